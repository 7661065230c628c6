"""A staff survey with two breakdowns: a unit cut reads them against each other with the true
counts of each pair counted from the stored responses (surveys.report.units.stored_pairs), on
the real database, through the real form, the fold and `palaute surveys close`."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from sqlalchemy import delete, func, select

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from surveys.models import PendingResponse, Response, UnitCutRefusal, UnitRelease
from surveys.report import units
from surveys.staff import invitations
from tests.conftest import form_tokens, run_worker
from tests.integration.test_staff_units import import_units
from tests.integration.test_unit_results import TREE
from tests.unit.staff.test_staff_format import SLUG, staff_yaml
from webapp.cli import main

# unit: [(profession, age)], one per respondent ("" for no answer).
ANSWERS = {
    "HR": [("nurse", "young")] * 4 + [("other", "old")] * 4 + [("nurse", "old"), ("", "old")],
    "WARD1": [("nurse", "old")] * 5 + [("other", "")],
    "WARD2": [("other", "young")] * 6,
}


def two_breakdowns() -> str:
    data = yaml.safe_load(staff_yaml())
    data["questions"].append(
        {"id": "age", "type": "single", "breakdown": True,
         "text": {"fi": "Ikäryhmä", "sv": "Åldersgrupp"},
         "choices": [{"id": "young", "label": {"fi": "Alle 40", "sv": "Under 40"}},
                     {"id": "old", "label": {"fi": "40 tai yli", "sv": "40 eller mer"}}]})
    return yaml.safe_dump(data, allow_unicode=True)


def answer_all(client, database_url, redis_conn, tree: str, answers: dict, workload: str,
               threshold: int | None = None) -> str:
    """The organisation `tree`, the survey with two breakdowns (its threshold if given), one
    invitation per (profession, age) of `answers` per unit, each answered through the form,
    and the worker run. Each unit also gets 3 invitations nobody answers: were all answered,
    the invitations issued would tell HR every unit's count beside a shown total
    (surveys.report.units.pinned_by_invitations hides such totals)."""
    import_units(database_url, tree)
    data = yaml.safe_load(two_breakdowns())
    if threshold is not None:
        data["min_group_size"] = threshold
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, yaml.safe_dump(data, allow_unicode=True))
        lifecycle.publish(s, SLUG)
    for unit, rows in answers.items():
        with db.session_scope(database_url) as s:
            links = invitations.create(s, lookup.find(s, SLUG), unit, len(rows) + 3)
        answer_links(client, links[:len(rows)], rows, workload)
    run_worker(redis_conn)
    return SLUG


def answer_links(client, links: list[str], rows: list[tuple[str, ...]], workload: str) -> None:
    """Each invitation link answered through the form with its (profession, age) ("" for no
    answer), and `workload` unless the row gives its own third."""
    for token, (profession, age, *own) in zip(links, rows, strict=True):
        page = client.get(f"/fi/i/{token}")
        data = {**form_tokens(page.get_data(as_text=True)), "workload": own[0] if own else workload,
                **({"profession": profession} if profession else {}),
                **({"age": age} if age else {})}
        assert client.post(f"/fi/i/{token}", data=data).status_code == 303


@pytest.fixture
def answered(client, database_url, redis_conn):
    return answer_all(client, database_url, redis_conn, TREE, ANSWERS, "3")


def expected() -> Counter:
    """The pairs per leaf as the answers above give them (CARE has sub-units and no
    respondents of its own; HR and the wards are leaves)."""
    out: Counter = Counter()
    for unit, rows in ANSWERS.items():
        for profession, age in rows:
            out[(unit, "profession", profession, "age", age)] += 1
    return out


def pairs(database_url):
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, SLUG)
        tree = units.tree_of(s, survey)
        return units.stored_pairs(s, survey, tree, units.live_tables(s, survey, tree))


def released_app(settings):
    from webapp import create_app

    return create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})


def releases(database_url) -> int:
    with db.session_scope(database_url) as s:
        return s.scalar(select(func.count()).select_from(UnitRelease))


def test_a_cut_reads_the_pairs_from_the_stored_responses(answered, database_url, settings,
                                                         monkeypatch):
    """The pairs are counted from the stored responses (moved, and folded and held for their
    batch), each response once per pair of breakdowns, and the close's cut reads them with the
    views (nothing narrowed here) and stores the release."""
    from surveys.report import units_across

    with db.session_scope(database_url) as s:  # some wait for their batch, folded
        held = s.scalar(select(func.count()).select_from(PendingResponse)
                        .where(PendingResponse.folded.is_(True)))
        assert 0 < held < sum(map(len, ANSWERS.values()))
    assert pairs(database_url) == expected()
    read = []
    real = units_across.narrowed

    def reading(tables, figures, reasons, pairs=None, history=None):
        read.append(pairs)
        return real(tables, figures, reasons, pairs, history)

    monkeypatch.setattr(units_across, "narrowed", reading)
    app = released_app(settings)
    result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    assert releases(database_url) == 1
    assert read and all(p == expected() for p in read)
    audit = app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert "breakdowns read together: passes, 0 group(s) narrowed" in audit.output, audit.output


def test_no_release_where_the_stored_responses_are_not_those_counted(answered, database_url,
                                                                    settings, caplog, client,
                                                                    redis_conn):
    """A stored response missing (not for a retention purge): the pairs cannot be read, and
    nothing unproven is cut. After a purge (responses_purged_on) they can never be read
    again: the first cut shows one breakdown's values at most (before, it went on without the
    pairs, reading no group in a value of two), and a later one, with the first public,
    refuses to change it."""
    from datetime import date

    from surveys.models import Survey

    with db.session_scope(database_url) as s:
        one = s.scalars(select(Response.id).limit(1)).one()
        s.execute(delete(Response).where(Response.id == one))
    assert pairs(database_url) is None
    app = released_app(settings)
    with caplog.at_level("INFO", logger="surveys.report.units"):
        result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    assert releases(database_url) == 0
    assert "the stored responses are not those counted; no release" in caplog.text
    with db.session_scope(database_url) as s:
        s.scalars(select(Survey).where(Survey.slug == SLUG)).one().responses_purged_on = (
            date(2099, 1, 1))
    with caplog.at_level("INFO", logger="surveys.report.units"):
        result = app.test_cli_runner().invoke(main, ["results", "release", SLUG])
    assert result.exit_code == 0, result.output
    assert releases(database_url) == 1
    assert "one breakdown's values at most are shown" in caplog.text
    with db.session_scope(database_url) as s:
        data = s.scalars(select(UnitRelease)).one().data
    assert data["withheld"] == ["age"]
    assert any(f[1] == "other" for f in data["figures"]["profession"])  # ORG1's (12)
    assert not any(f[1] in ("young", "old") for f in data["figures"]["age"])
    # Reopened (as a survey could be before a purged one was refused reopening: set here by
    # hand; tests/integration/test_schedule.py), five more in HR (every cell they touch grew by
    # the threshold), closed: the cut cannot read the pairs against the first release's views,
    # which stands.
    with pytest.raises(lifecycle.PublishError, match="purged"), db.session_scope(
            database_url) as s:
        lifecycle.reopen(s, SLUG, "a unit was left out", None, date(2099, 1, 2))
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, SLUG)
        survey.status, survey.closed_on, survey.closes_on = "published", None, date(2099, 2, 1)
        links = invitations.create(s, survey, "HR", 5)
    answer_links(client, links, [("nurse", "young")] * 5, "3")
    run_worker(redis_conn)
    with caplog.at_level("INFO", logger="surveys.report.units"):
        result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    assert "cannot be read with the last release, which stands" in caplog.text
    assert releases(database_url) == 1
    with db.session_scope(database_url) as s:  # recorded: the hourly job does not retry it
        assert s.scalars(select(UnitCutRefusal.data)).one()["why"] == "purged"
        assert not units.release_due(s, lookup.visible(s, SLUG))


# test_units_across.GIVEN_AWAY through the real form (k = 3; "other" for its doctors): what
# publish_units publishes gives U1's own part away when its views are read together.
GIVEN_AWAY_TREE = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Organisaatio,Organisation,100
U0,ORG1,U0,U0,10
U1,ORG1,U1,U1,10
U2,U1,U2,U2,10
U3,U2,U3,U3,10
"""
GIVEN_AWAY = {
    "ORG1": [("", "young"), ("other", "old"), ("other", "old"), ("nurse", "old")],
    "U0": [("nurse", "young")],
    "U1": [("other", "")],
    "U2": [("", "old"), ("other", "young"), ("nurse", "old")],
    "U3": [("", "old"), ("other", ""), ("nurse", "old"), ("nurse", "young"), ("nurse", "young")],
}


@pytest.fixture
def given_away(client, database_url, redis_conn):
    return answer_all(client, database_url, redis_conn, GIVEN_AWAY_TREE, GIVEN_AWAY, "4",
                      threshold=3)


def breakdown_doc(client, token: str, breakdown: str) -> dict:
    """The `breakdown` block of the unit results, the whole answer checked against the API's
    document (schemathesis's requests carry no token: they never reach these)."""
    from jsonschema import Draft202012Validator

    from webapp.openapi import document

    got = client.get(f"/api/v1/surveys/{SLUG}/results", query_string={"breakdown": breakdown},
                     headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200, got.get_data(as_text=True)
    schema = {"$ref": "#/components/schemas/Results", "components": document()["components"]}
    Draft202012Validator(schema).validate(got.get_json())
    return got.get_json()["breakdown"]


def closed_release(app, database_url) -> dict:
    """The survey closed through the CLI, and the data of the one unit release it cut."""
    result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    with db.session_scope(database_url) as s:
        (release,) = s.scalars(select(UnitRelease)).all()
        return release.data


def assert_withheld(block: dict, reason: str) -> None:
    """A breakdown block whose values are all withheld, for `reason`."""
    assert block["values_withheld"] is True and block["reason"] == reason
    assert all(v["suppressed"] and v["respondents"] is None for v in block["values"])


def assert_shown(block: dict) -> None:
    """A breakdown block whose values are not withheld, some of them shown."""
    assert block["values_withheld"] is False and block["reason"] is None
    assert any(v["respondents"] is not None for v in block["values"])


def test_live_unit_results_withhold_a_breakdown_the_views_give_away_together(
        given_away, client, database_url, settings, caplog):
    """Under `live` too (suppression and the audit apply: issue 10) the views are read
    together: the age groups are withheld, said in `values_withheld`, and the profession
    groups and the unit totals are shown (before, live showed every table as its own audit
    passed it, and the ages with the professions gave U1's own part away)."""
    from tests.integration.test_unit_results import token_for

    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    with caplog.at_level("WARNING", logger="surveys.report.units"):
        age = breakdown_doc(client, hr, "age")
    assert "the values of age are withheld" in caplog.text
    assert_withheld(age, "read_together")
    assert_shown(breakdown_doc(client, hr, "profession"))
    whole = client.get(f"/api/v1/surveys/{SLUG}/results", query_string={"unit": "ORG1"},
                       headers={"Authorization": f"Bearer {hr}"}).get_json()
    assert whole["respondents"] == sum(map(len, GIVEN_AWAY.values()))
    # What the cut of the close stores says it too, and the API serves it from the release.
    app = released_app(settings)
    assert closed_release(app, database_url)["withheld"] == ["age"]
    got = app.test_client().get(f"/api/v1/surveys/{SLUG}/results",
                                query_string={"breakdown": "age"},
                                headers={"Authorization": f"Bearer {hr}"}).get_json()
    assert got["breakdown"]["values_withheld"] is True and "release" in got


def test_live_unit_results_withhold_every_breakdown_while_the_reading_is_not_proven(
        answered, client, database_url, caplog):
    """A stored response missing (not for a retention purge): the pairs cannot be read, so
    live shows no breakdown's values (the unit totals stay), and does not keep that: once the
    reading is possible again (here: a purge recorded, with the results stamp unchanged) the
    next request shows them."""
    from datetime import date

    from surveys.models import Survey
    from tests.integration.test_unit_results import token_for

    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    with db.session_scope(database_url) as s:
        s.execute(delete(Response).where(Response.id == s.scalars(select(Response.id)
                                                                  .limit(1)).one()))
    with caplog.at_level("WARNING", logger="surveys.report.units"):
        docs = {b: breakdown_doc(client, hr, b) for b in ("profession", "age")}
    assert "the stored responses are not those counted" in caplog.text
    for doc in docs.values():
        assert doc["values_withheld"] is True
        assert all(v["respondents"] is None for v in doc["values"])
    with db.session_scope(database_url) as s:
        s.scalars(select(Survey).where(Survey.slug == SLUG)).one().responses_purged_on = (
            date(2099, 1, 1))
    profession = breakdown_doc(client, hr, "profession")
    assert profession["values_withheld"] is False
    assert any(v["respondents"] is not None for v in profession["values"])
    # (The pairs can never be read again: one breakdown's values at most are shown.)
    assert breakdown_doc(client, hr, "age")["values_withheld"] is True


# An organisation through the real form (k = 5): 6 in its own part, 10 and 8 in its two wards,
# the profession and age sometimes unanswered; (profession, age, workload) per respondent.
SPARSE_TREE = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Organisaatio,Organisation,100
W1,ORG1,W1,W1,20
W2,ORG1,W2,W2,20
"""
SPARSE = {
    "ORG1": [("", "", "1"), ("nurse", "old", "2"), ("nurse", "young", "1"),
             ("nurse", "young", "2"), ("nurse", "young", "4"), ("nurse", "young", "5")],
    "W1": [("", "old", "2"), ("", "old", "4"), ("nurse", "", "1"), ("nurse", "old", "1"),
           ("nurse", "old", "1"), ("nurse", "old", "5"), ("nurse", "young", "4"),
           ("other", "", "1"), ("other", "", "1"), ("other", "old", "1")],
    "W2": [("nurse", "old", "1"), ("nurse", "old", "2"), ("nurse", "old", "2"),
           ("nurse", "old", "4"), ("nurse", "young", "4"), ("nurse", "young", "5"),
           ("other", "old", "1"), ("other", "young", "5")],
}


def test_a_breakdown_that_would_hide_the_unit_totals_is_withheld_with_its_reason(
        app, client, database_url, redis_conn, settings):
    """The profession's values, a few people per unit in each, would hide unit totals that the
    units' own results show without them: they are withheld (reason "unit_totals", which the
    page and the API say), the age groups and the organisation's workload results shown; the
    release a close cuts records it."""
    from tests.integration.test_unit_results import token_for

    answer_all(client, database_url, redis_conn, SPARSE_TREE, SPARSE, "")  # (own workloads)
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    assert_withheld(breakdown_doc(client, hr, "profession"), "unit_totals")
    assert_shown(breakdown_doc(client, hr, "age"))
    whole = client.get(f"/api/v1/surveys/{SLUG}/results", query_string={"unit": "ORG1"},
                       headers={"Authorization": f"Bearer {hr}"}).get_json()
    assert whole["questions"]["workload"]["n"] == sum(map(len, SPARSE.values()))
    from tests.integration.test_comments import signed_in

    page = signed_in(app, database_url, "hr2@example.fi", "hr_admin", org="ORG1").get(
        f"/en/admin/surveys/{SLUG}/units",
        query_string={"unit": "ORG1", "breakdown": "profession"})
    assert page.status_code == 200
    assert "showing them would hide the units' own results" in page.get_data(as_text=True)
    release = closed_release(released_app(settings), database_url)
    assert release["withheld"] == ["profession"]
    assert release["withheld_for_totals"] == ["profession"]
