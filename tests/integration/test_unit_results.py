"""Staff surveys' results per unit: the fold, `aggregates rebuild` and `aggregates verify` keep
counts per unit and breakdown value (surveys.fold.units); the API's `unit=` and `breakdown=`
answer only accounts the policy lets view the survey's results, with the response rate, and
hide small units and values and whatever would give them back (surveys.report.units)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from surveys.accounts import tokens, users
from surveys.definitions import lifecycle, lookup
from surveys.fold import aggregation, quarantine
from surveys.infra import db
from surveys.models import AuditEvent, PendingResponse, QuarantinedResponse, Unit, UnitAggregate
from surveys.staff import invitations
from tests.conftest import TestCli, form_tokens, make_user, run_worker
from tests.integration.test_staff_units import import_units
from tests.unit.staff.test_staff_format import SLUG, staff_yaml
from webapp.cli import main

TREE = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Pohjanmaan hyvinvointialue,Österbottens välfärdsområde,1000
HR,ORG1,Henkilöstöpalvelut,Personaltjänster,40
CARE,ORG1,Hoito,Vård,600
WARD1,CARE,Osasto 1,Avdelning 1,30
WARD2,CARE,Osasto 2,Avdelning 2,25
WARD3,CARE,Osasto 3,Avdelning 3,20
"""
# unit: [(workload, profession)], one per respondent.
ANSWERS = {
    "HR": [("4", "nurse"), ("3", "other"), ("4", "nurse"), ("2", "other"), ("5", "nurse"),
           ("4", "other"), ("3", "nurse"), ("3", "other"), ("2", "nurse"), ("5", "other")],
    "WARD1": [("4", "nurse")] * 3 + [("2", "nurse"), ("3", "nurse"), ("5", "other"),
                                     ("1", "other")],
    "WARD2": [("3", "nurse"), ("4", "nurse"), ("4", "nurse"), ("2", "other"), ("3", "other"),
              ("5", "other")],
    "WARD3": [("2", "other"), ("4", "other")],
}
ISSUED = {"HR": 12, "WARD1": 10, "WARD2": 8, "WARD3": 4}


def answer(client, token: str, workload: str, profession: str) -> None:
    page = client.get(f"/fi/i/{token}")
    data = {**form_tokens(page.get_data(as_text=True)), "workload": workload,
            "profession": profession}
    assert client.post(f"/fi/i/{token}", data=data).status_code == 303


@pytest.fixture
def answered(client, database_url, redis_conn):
    """The staff survey, its organisation, invitations per unit, and the answers above, folded."""
    import_units(database_url, TREE)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml())
        lifecycle.publish(s, SLUG)
    for unit, n in ISSUED.items():
        with db.session_scope(database_url) as s:
            links = invitations.create(s, lookup.find(s, SLUG), unit, n)
        for token, (workload, profession) in zip(links, ANSWERS[unit], strict=False):
            answer(client, token, workload, profession)
    run_worker(redis_conn)
    return SLUG


def unit_counts(database_url) -> dict[tuple, int]:
    with db.session_scope(database_url) as s:
        code = dict(s.execute(select(Unit.id, Unit.code)).all())
        return {(code[r.unit_id], r.breakdown, r.value, r.question_id, r.option): r.count
                for r in s.scalars(select(UnitAggregate))}


def test_the_fold_counts_each_response_into_its_own_unit_and_breakdown_values(answered,
                                                                              database_url):
    counts = unit_counts(database_url)
    assert counts[("WARD1", "*", "*", "*", "*")] == 7
    assert counts[("WARD1", "profession", "nurse", "*", "*")] == 5
    assert counts[("WARD1", "profession", "other", "workload", "1")] == 1
    assert counts[("HR", "*", "*", "workload", "4")] == 3
    assert counts[("HR", "profession", "other", "*", "*")] == 5
    # Only the response's own unit: ancestors are summed when results are read.
    assert not any(k[0] in ("CARE", "ORG1") for k in counts)
    # The unit totals add up to the region aggregates.
    total = sum(n for k, n in counts.items() if k[1:] == ("*", "*", "*", "*"))
    assert total == sum(len(a) for a in ANSWERS.values())


def test_verify_finds_a_wrong_unit_count_and_rebuild_repairs_it(answered, database_url):
    before = unit_counts(database_url)
    result = TestCli().invoke(main, ["aggregates", "verify", SLUG])
    assert result.exit_code == 0, result.output
    assert "unit counts" in result.output
    with db.session_scope(database_url) as s:
        s.execute(update(UnitAggregate).where(UnitAggregate.breakdown == "profession",
                                              UnitAggregate.value == "nurse")
                  .values(count=UnitAggregate.count + 1))
    result = TestCli().invoke(main, ["aggregates", "verify", SLUG])
    assert result.exit_code != 0 and "differ from the recount" in result.output
    result = TestCli().invoke(main, ["aggregates", "rebuild", SLUG])
    assert result.exit_code == 0, result.output
    assert unit_counts(database_url) == before
    assert TestCli().invoke(main, ["aggregates", "verify", SLUG]).exit_code == 0


def test_a_quarantined_response_keeps_its_unit_and_is_counted_there_once_requeued(
        answered, database_url, session_factory):
    with db.session_scope(database_url) as s:
        survey_id = lookup.find(s, SLUG).id
        ward3 = s.scalar(select(Unit.id).where(Unit.code == "WARD3"))
        s.add(PendingResponse(survey_id=survey_id, region_code="17", lang="fi",
                              submitted_on=datetime.now(UTC).date(), unit_id=ward3,
                              answers={"workload": [1, 2], "profession": "nurse"}))
    aggregation.fold_pending(session_factory)
    with db.session_scope(database_url) as s:
        (held,) = s.scalars(select(QuarantinedResponse)).all()
        assert held.unit_id == ward3
        held.answers = {"workload": 1, "profession": "nurse"}  # the cause, fixed
    assert unit_counts(database_url)[("WARD3", "*", "*", "*", "*")] == 2
    with db.session_scope(database_url) as s:
        assert quarantine.requeue(s) == 1
        assert s.scalar(select(PendingResponse.unit_id)
                        .where(PendingResponse.folded.is_(False))) == ward3
    aggregation.fold_pending(session_factory)
    counts = unit_counts(database_url)
    assert counts[("WARD3", "*", "*", "*", "*")] == 3
    assert counts[("WARD3", "profession", "nurse", "workload", "1")] == 1


def token_for(database_url, email: str, role: str, **kwargs) -> str:
    make_user(database_url, email, role, **kwargs)
    with db.session_scope(database_url) as s:
        _row, raw = tokens.create(s, users.find(s, email), "x", datetime.now(UTC))
    return raw


def get(client, token: str | None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1/surveys/{SLUG}/results", query_string=params, headers=headers)


def test_unit_results_are_for_the_roles_the_policy_allows(answered, client, database_url):
    assert get(client, None, unit="CARE").status_code == 401
    assert get(client, None, breakdown="profession").status_code == 401
    other_hr = token_for(database_url, "hr2@example.fi", "hr_admin", org="ORG9")
    assert get(client, other_hr, unit="CARE").status_code == 404
    region_admin = token_for(database_url, "alue@example.fi", "region_admin", region="17")
    assert get(client, region_admin, unit="CARE").status_code == 404
    with db.session_scope(database_url) as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert len(denied) == 2 and {e.object_id for e in denied} == {SLUG}
    for email, role, kw in (("hr@example.fi", "hr_admin", {"org": "ORG1"}),
                            ("kaikki@example.fi", "national_admin", {}),
                            ("analyytikko@example.fi", "analyst", {"grants": ["org:ORG1"]})):
        got = get(client, token_for(database_url, email, role, **kw), unit="CARE")
        assert got.status_code == 200, role
        assert got.headers["Cache-Control"] == "no-store"


def test_unit_figures_roll_up_and_small_units_are_hidden_with_a_sibling(answered, client,
                                                                        database_url):
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    docs = {code: get(client, hr, unit=code, lang="sv").get_json()
            for code in ("ORG1", "HR", "CARE", "WARD1", "WARD2", "WARD3")}
    assert docs["ORG1"]["scope"] == {"level": "unit", "code": "ORG1",
                                     "name": "Österbottens välfärdsområde"}
    assert docs["ORG1"]["respondents"] == 25
    assert docs["CARE"]["respondents"] == 15  # its wards together
    assert docs["HR"]["respondents"] == 10
    assert docs["WARD1"]["respondents"] == 7
    # WARD3 has 2: hidden, and so is WARD2, or CARE − WARD1 − WARD2 would give it back.
    for code in ("WARD2", "WARD3"):
        assert docs[code]["respondents"] is None and docs[code]["suppressed"] is True
        assert all(q["n"] is None for q in docs[code]["questions"].values())
        assert docs[code]["response_rate"]["of_issued"] is None
        assert docs[code]["response_rate"]["suppressed"] is True
    # The response rate: spent ÷ issued and ÷ headcount, with the sub-units.
    assert docs["CARE"]["response_rate"] == {
        "issued": 22, "headcount": 600, "of_issued": round(15 / 22, 3),
        "of_headcount": round(15 / 600, 3), "suppressed": False}
    assert docs["WARD1"]["response_rate"]["of_issued"] == 0.7
    assert docs["WARD1"]["questions"]["workload"]["n"] == 7
    # The breakdown question is a dimension, not one of the unit's questions.
    assert docs["WARD1"]["questions"]["profession"]["suppressed"] is True
    # A unit that is not the survey's organisation's, and a question that is no breakdown.
    assert get(client, hr, unit="NOPE").status_code == 400
    assert get(client, hr, unit="CARE", breakdown="workload").status_code == 400


def test_breakdown_values_are_suppressed_each_on_their_own(answered, client, database_url):
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    doc = get(client, hr, unit="CARE", breakdown="profession").get_json()
    values = {v["value"]: v for v in doc["breakdown"]["values"]}
    assert doc["breakdown"]["question"] == "profession"
    assert set(values) == {"nurse", "other"}
    # CARE: 8 nurses, 7 others, each at least the threshold. The others are hidden all the
    # same, as cover: they are the wards' others (2, 3 and 2), whose respondents the workload
    # counts bound (the audit bounds the respondents in every question's system). The total
    # shows them as 15 − 8, which protects nothing but exposes nobody either.
    assert values["nurse"]["respondents"] == 8
    assert values["other"]["suppressed"] and values["other"]["respondents"] is None
    assert values["nurse"]["questions"]["workload"]["n"] == 8
    assert doc["respondents"] == 15
    # WARD1: 5 nurses, 2 others: the others are hidden, and so are the nurses (7 − 5 = 2).
    doc = get(client, hr, unit="WARD1", breakdown="profession").get_json()
    assert doc["respondents"] == 7
    assert all(v["suppressed"] and v["respondents"] is None
               for v in doc["breakdown"]["values"])
    # HR: 5 and 5.
    doc = get(client, hr, unit="HR", breakdown="profession").get_json()
    assert [v["respondents"] for v in doc["breakdown"]["values"]] == [5, 5]
    # The whole organisation by default.
    doc = get(client, hr, breakdown="profession").get_json()
    assert doc["scope"]["code"] == "ORG1"
    values = {v["value"]: v["respondents"] for v in doc["breakdown"]["values"]}
    assert values == {"nurse": 13, "other": 12}


def test_under_releases_no_unit_figure_is_published_until_a_unit_release_is_cut(
        answered, app, database_url):
    from surveys.report import units as unit_report

    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    with app.app_context(), db.session_scope(database_url) as s:
        survey = lookup.visible(s, SLUG)
        doc = unit_report.unit_results(s, survey, "CARE", "profession", "fi", "daily")
        assert doc["published"] is False and doc["respondents"] is None
        assert all(v["respondents"] is None for v in doc["breakdown"]["values"])
        lifecycle.close(s, SLUG)
    lookup.forget()
    with db.session_scope(database_url) as s:
        # Closed, but no unit release cut yet (the close path cuts one: test_unit_releases).
        doc = unit_report.unit_results(s, lookup.visible(s, SLUG), "CARE", None, "fi", "daily")
        assert doc["published"] is False and doc["respondents"] is None
        assert unit_report.cut(s, lookup.visible(s, SLUG), datetime(2026, 12, 1)) is not None
    with db.session_scope(database_url) as s:
        doc = unit_report.unit_results(s, lookup.visible(s, SLUG), "CARE", None, "fi", "daily")
        assert doc["published"] is True and doc["respondents"] == 15
        assert doc["release"] == {"released_at": "2026-12-01T00:00Z"}
    assert hr
