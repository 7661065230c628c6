"""Staff surveys' unit results under RESULTS_RELEASE daily/hourly are served from unit releases
cut when the survey closes (surveys.report.units), not from the live unit aggregates: a survey
that is reopened and closed again shows figures that changed only where enough people joined,
so the two sets of figures a reader saw never give away the answers of one or two late
respondents (docs/privacy.md, "Releases of unit figures")."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, func, select, update

from surveys.definitions import lifecycle, lookup
from surveys.infra import clock, db
from surveys.models import Survey, UnitCutRefusal, UnitRelease
from surveys.staff import invitations
from tests.conftest import TestCli, at_once, run_worker
from tests.integration import test_unit_results as unit_results
from tests.integration.test_unit_results import ANSWERS, SLUG, answer, token_for
from webapp.cli import main

answered = unit_results.answered  # the staff survey answered (a fixture)

UNITS = ("ORG1", "HR", "CARE", "WARD1", "WARD2", "WARD3")
K = 5  # the staff survey's min_group_size (the default)


@pytest.fixture
def released_app(settings, redis_conn):
    from webapp import create_app

    return create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})


def shown(app, token: str) -> dict:
    """Everything the API shows of the unit results: per unit, without and with the
    breakdown."""
    client = app.test_client()
    out = {}
    for code in UNITS:
        for breakdown in (None, "profession"):
            params = {"unit": code, **({"breakdown": breakdown} if breakdown else {})}
            resp = client.get(f"/api/v1/surveys/{SLUG}/results", query_string=params,
                              headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 200, resp.get_data(as_text=True)
            out[(code, breakdown)] = resp.get_json()
    return out


def groups(docs: dict) -> dict[tuple, dict]:
    """Each shown group (unit, breakdown value) with its respondents and workload figures,
    and the unit's response rate."""
    out = {}
    for (code, breakdown), doc in docs.items():
        out[(code, "*")] = {"respondents": doc["respondents"],
                            "workload": doc["questions"]["workload"],
                            "rate": doc["response_rate"]}
        if breakdown:
            for v in doc["breakdown"]["values"]:
                out[(code, v["value"])] = {"respondents": v["respondents"],
                                           "workload": v["questions"]["workload"]}
    return out


def derivable(before: dict, after: dict) -> list[tuple]:
    """The groups whose shown figures changed by 1 … K−1 respondents or answers: the difference
    of the two would be those few people's answers."""
    out = []
    for group, now in groups(after).items():
        was = groups(before).get(group)
        if was is None or was["respondents"] is None or now["respondents"] is None:
            continue
        for a, b in ((was["respondents"], now["respondents"]),
                     (was["workload"]["n"], now["workload"]["n"])):
            if a is not None and b is not None and 0 < abs(b - a) < K:
                out.append((group, a, b))
    return out


def reopen_and_answer(client, database_url, late: dict[str, list[tuple[str, str]]]) -> None:
    with db.session_scope(database_url) as s:
        lifecycle.reopen(s, SLUG, "a unit was left out", None, clock.today())
    for unit, rows in late.items():
        with db.session_scope(database_url) as s:
            links = invitations.create(s, lookup.find(s, SLUG), unit, len(rows))
        for token, (workload, profession) in zip(links, rows, strict=True):
            answer(client, token, workload, profession)


def close(app) -> None:
    """The close path: `palaute surveys close` (under the app's RESULTS_RELEASE)."""
    result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output


def releases(database_url) -> int:
    with db.session_scope(database_url) as s:
        return s.scalar(select(func.count()).select_from(UnitRelease))


def test_no_unit_figure_is_shown_before_the_first_close(answered, released_app,
                                                        database_url):
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    docs = shown(released_app, hr)
    assert all(d["published"] is False and d["respondents"] is None for d in docs.values())
    assert all(d["response_rate"]["of_issued"] is None for d in docs.values())


def test_one_or_two_late_respondents_are_not_derivable_after_a_reopen(
        answered, released_app, client, database_url, redis_conn):
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    close(released_app)
    first = shown(released_app, hr)
    assert first[("HR", None)]["published"] is True
    assert first[("HR", None)]["respondents"] == len(ANSWERS["HR"]) == 10
    assert first[("HR", "profession")]["breakdown"]["values"][0]["respondents"] == 5
    assert releases(database_url) == 1

    # Reopened: one late nurse in HR with an answer nobody in HR gave, and one in WARD1.
    reopen_and_answer(client, database_url, {"HR": [("1", "nurse")], "WARD1": [("1", "other")]})
    run_worker(redis_conn)
    # While it is open again, the first release is what is shown.
    assert shown(released_app, hr) == first
    close(released_app)
    second = shown(released_app, hr)
    assert derivable(first, second) == []
    # Carried as a whole: the same figures and rates as after the first close.
    assert second == first
    assert releases(database_url) == 1

    # The scheduled job and `palaute results release` keep it too (nothing new enough).
    result = released_app.test_cli_runner().invoke(main, ["results", "release", SLUG])
    assert result.exit_code == 0, result.output
    assert "unit figures: no figure may change yet" in result.output
    assert shown(released_app, hr) == first


def test_enough_new_respondents_update_the_unit_figures(answered, released_app, client,
                                                       database_url, redis_conn):
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    close(released_app)
    first = shown(released_app, hr)
    reopen_and_answer(client, database_url, {"HR": [("1", "nurse")]})
    run_worker(redis_conn)
    close(released_app)
    assert shown(released_app, hr) == first
    # Five more HR nurses: six joined HR since the release, all nurses who answered workload.
    reopen_and_answer(client, database_url, {"HR": [("2", "nurse")] * 5})
    run_worker(redis_conn)
    close(released_app)
    third = shown(released_app, hr)
    assert releases(database_url) == 2
    assert third[("HR", None)]["respondents"] == 16
    assert third[("ORG1", None)]["respondents"] == 31
    hr_values = {v["value"]: v["respondents"]
                 for v in third[("HR", "profession")]["breakdown"]["values"]}
    assert hr_values == {"nurse": 11, "other": 5}
    assert third[("HR", None)]["response_rate"]["of_issued"] == round(16 / 18, 3)
    # Counts as the live figures give them (integers), the same figures the live view shows.
    workload = third[("HR", None)]["questions"]["workload"]
    assert workload["n"] == 16 and isinstance(workload["n"], int)
    assert third[("ORG1", None)]["questions"]["workload"]["counts"]["2"] == 10  # 3 + 2 + 5
    # Here the audit with the first release hid nothing more: the release shows what the
    # live publication of the same answers shows.
    from surveys.report import units as unit_report
    with db.session_scope(database_url) as s:
        survey = lookup.visible(s, SLUG)
        for code in UNITS:
            live = unit_report.unit_results(s, survey, code, "profession", "fi", "live")
            got = dict(third[(code, "profession")])
            assert {k: got[k] for k in ("respondents", "questions", "breakdown")} == \
                {k: live[k] for k in ("respondents", "questions", "breakdown")}, code
    assert derivable(first, third) == []


def test_the_scheduled_job_cuts_a_unit_release_for_a_closed_staff_survey(
        answered, released_app, settings, database_url, redis_conn):
    from surveys.infra import queue
    from workers import context

    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    with db.session_scope(database_url) as s:  # closed without the CLI (no cut yet)
        lifecycle.close(s, SLUG)
    assert shown(released_app, hr)[("CARE", None)]["published"] is False
    context.use(settings.with_overrides(results_release="daily"))
    try:
        queue.enqueue(redis_conn, "workers.jobs.cut_releases",
                      datetime(2099, 1, 1, 4, 7).isoformat())
        run_worker(redis_conn)
    finally:
        context.use(settings)
    doc = shown(released_app, hr)[("CARE", None)]
    assert doc["published"] is True and doc["respondents"] == 15


def test_the_hourly_job_queues_a_closed_staff_survey_only_when_answers_were_folded(
        answered, released_app, client, settings, database_url, redis_conn):
    """A closed staff survey gets a unit release job when it has no release yet, or answers
    were folded since its last one (its results stamp changed): not every hour for good,
    each job reading its unit tables only to find that nothing changed."""
    from workers import context, jobs

    with db.session_scope(database_url) as s:  # closed without the CLI (no cut yet)
        lifecycle.close(s, SLUG)
    context.use(settings.with_overrides(results_release="daily"))
    try:
        assert jobs.cut_releases(datetime(2099, 1, 1, 4, 7).isoformat()).get(SLUG)
        run_worker(redis_conn)
        assert releases(database_url) == 1
        # Nothing folded since: no job, hour after hour.
        for hour in (5, 6):
            assert SLUG not in jobs.cut_releases(datetime(2099, 1, 1, hour, 7).isoformat())
        # Late answers after a reopen, folded, and the survey closed again: a job again.
        reopen_and_answer(client, database_url, {"HR": [("1", "nurse")] * K})
        run_worker(redis_conn)
        with db.session_scope(database_url) as s:
            lifecycle.close(s, SLUG)
        assert jobs.cut_releases(datetime(2099, 1, 1, 7, 7).isoformat()).get(SLUG)
        run_worker(redis_conn)
        assert releases(database_url) == 2
        assert SLUG not in jobs.cut_releases(datetime(2099, 1, 1, 8, 7).isoformat())
    finally:
        context.use(settings)


def test_live_mode_keeps_reading_the_aggregates(answered, client, database_url, redis_conn):
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    result = TestCli().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    assert releases(database_url) == 0
    reopen_and_answer(client, database_url, {"HR": [("1", "nurse")]})
    run_worker(redis_conn)
    doc = client.get(f"/api/v1/surveys/{SLUG}/results", query_string={"unit": "HR"},
                     headers={"Authorization": f"Bearer {hr}"}).get_json()
    assert doc["respondents"] == 11


def test_the_schedule_closing_a_staff_survey_releases_its_unit_figures(
        answered, released_app, settings, database_url):
    from workers import context, jobs

    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    with db.session_scope(database_url) as s:
        closes = lookup.find(s, SLUG).closes_on
    context.use(settings.with_overrides(results_release="daily"))
    try:
        assert (SLUG, "surveys.close") in jobs.apply_schedule(closes.isoformat())
    finally:
        context.use(settings)
    assert releases(database_url) == 1
    doc = shown(released_app, hr)[("ORG1", "profession")]
    assert doc["published"] is True and doc["respondents"] == 25
    assert doc["release"] is not None


def test_the_first_release_waits_for_answers_stored_before_the_close(
        answered, released_app, database_url, session_factory):
    from surveys.fold import aggregation
    from surveys.models import PendingResponse, Unit

    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    with db.session_scope(database_url) as s:  # stored just before the close, not yet counted
        ward3 = s.scalar(select(Unit.id).where(Unit.code == "WARD3"))
        s.add(PendingResponse(survey_id=lookup.find(s, SLUG).id, region_code="17", lang="fi",
                              submitted_on=clock.today(), unit_id=ward3,
                              answers={"workload": 3, "profession": "other"}))
    close(released_app)
    assert releases(database_url) == 0
    aggregation.fold_pending(session_factory)
    result = released_app.test_cli_runner().invoke(main, ["results", "release", SLUG])
    assert "unit figures released at" in result.output, result.output
    assert shown(released_app, hr)[("ORG1", None)]["respondents"] == 26


def test_two_unit_cuts_at_once_store_one_release(answered, database_url):
    """The close path and the hourly job cutting the unit release at the same moment: each
    would compare with the same previous release and be audited without the other, so two
    releases apart by one late respondent would show that person's answers. The second waits
    for the first (its release row on PostgreSQL, its write lock on SQLite) and stores
    nothing."""
    from surveys.report import units

    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)

    def cut(session):
        return units.cut(session, lookup.visible(session, SLUG), datetime(2099, 1, 1, 4, 7))

    outcome = at_once(database_url, cut, cut)
    assert outcome["first"] is not None and outcome["second"] is None, outcome
    assert releases(database_url) == 1


def test_a_unit_cut_whose_transaction_is_rolled_back_stores_nothing(answered, database_url):
    """As for the counties' releases: a unit cut rolled back leaves no unit release (on SQLite
    its savepoint must not commit it on its own)."""
    from surveys.report import units

    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
    session = db.new_session(database_url)
    try:
        assert units.cut(session, lookup.visible(session, SLUG), datetime(2099, 1, 1, 4, 7))
        session.rollback()
    finally:
        session.close()
    assert releases(database_url) == 0


def test_a_staff_survey_has_at_most_its_unit_releases(answered, released_app, client,
                                                     database_url, redis_conn, settings,
                                                     monkeypatch):
    """Each unit release is one more earlier layer in every later cut's audit: a survey
    reopened and closed again and again would grow it without bound. Past
    MAX_UNIT_RELEASES the last release stands for good (here 2 for the test)."""
    from surveys.report import units as unit_report

    monkeypatch.setattr(unit_report, "MAX_UNIT_RELEASES", 2)
    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    close(released_app)
    from tests.integration.test_release_pacing import reopen_page
    assert "at most 1 more times (1 of 2 unit releases are used)" in \
        reopen_page(released_app, settings, SLUG)
    reopen_and_answer(client, database_url, {"HR": [("2", "nurse")] * K})
    run_worker(redis_conn)
    close(released_app)
    second = shown(released_app, hr)
    assert releases(database_url) == 2
    assert second[("HR", None)]["respondents"] == 15
    # Enough new respondents again, but the survey's releases are used: nothing changes.
    reopen_and_answer(client, database_url, {"HR": [("3", "nurse")] * K})
    run_worker(redis_conn)
    close(released_app)
    assert releases(database_url) == 2
    assert shown(released_app, hr) == second
    result = released_app.test_cli_runner().invoke(main, ["results", "release", SLUG])
    assert result.exit_code == 0, result.output
    assert "unit figures stay as released: all 2 unit releases of this survey are used" \
        in result.output
    assert releases(database_url) == 2
    # And the hourly job no longer finds its unit release due, though answers were folded
    # since the last (its counties' release has a schedule of its own).
    with db.session_scope(database_url) as s:
        assert not unit_report.release_due(s, lookup.visible(s, SLUG))
    # The reopen page tells the admin before reopening (found in review: it said nothing).
    from tests.integration.test_release_pacing import reopen_page
    page = reopen_page(released_app, settings, SLUG)
    assert "All 2 unit releases of this staff survey are used" in page
    # With room for one more (the cap raised), the same answers are released.
    monkeypatch.setattr(unit_report, "MAX_UNIT_RELEASES", 3)
    result = released_app.test_cli_runner().invoke(main, ["results", "release", SLUG])
    assert "unit figures released at" in result.output, result.output
    assert shown(released_app, hr)[("HR", None)]["respondents"] == 20


def test_the_first_unit_release_is_audited_again_where_a_table_changed_after_its_audit(
        answered, database_url, monkeypatch):
    """The first cut, with no earlier release, asks `passes_with_history` as every later cut
    does (a table whose audit in `publish_units` did not pass is audited again as published),
    and where that fails no release is stored (until the 6 December session only later cuts
    asked)."""
    from surveys.report import units

    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
    asked: list[dict] = []

    def refused(pub, layers, pairs=None, across=True):
        asked.append(layers)
        return False

    monkeypatch.setattr(units, "passes_with_history", refused)
    with db.session_scope(database_url) as s:
        assert units.cut(s, lookup.visible(s, SLUG), datetime(2099, 1, 1, 4, 7)) is None
    assert asked == [{}]
    assert releases(database_url) == 0


def test_close_can_leave_the_unit_release_to_the_release_worker(
        answered, released_app, settings, database_url, redis_conn):
    """`palaute surveys close --enqueue` closes the survey at once and queues its unit release
    (the unit cut alone) for the release worker, which cuts it: no audit in the shell."""
    from surveys.infra import queue
    from workers import context

    hr = token_for(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    result = released_app.test_cli_runner().invoke(main, ["surveys", "close", "--enqueue", SLUG])
    assert result.exit_code == 0, result.output
    assert f"closed {SLUG}" in result.output
    assert "unit figures' release queued for the release worker" in result.output
    assert releases(database_url) == 0
    releasing = queue.queue(redis_conn, queue.RELEASE_QUEUE_NAME)
    (job_id,) = releasing.job_ids
    assert releasing.fetch_job(job_id).args[2] == queue.CUT_UNITS
    context.use(settings.with_overrides(results_release="daily"))
    try:
        run_worker(redis_conn, [queue.RELEASE_QUEUE_NAME])
    finally:
        context.use(settings)
    assert releases(database_url) == 1
    doc = shown(released_app, hr)[("CARE", None)]
    assert doc["published"] is True and doc["respondents"] == 15


def test_a_cut_refused_on_the_same_figures_is_not_queued_again_every_hour(
        answered, released_app, client, settings, database_url, redis_conn, monkeypatch):
    """The hourly job queued a closed staff survey whose last cut was refused again every hour
    (its figures differ from the last release's), each job auditing the same publication to
    refuse it again: for a refusal the same figures always give (too few late respondents, or
    the views narrowing a group with the last release) it now waits until the figures change.
    A reading not proven (the solver failed) is tried again the next hour."""
    from surveys.report import units as unit_report
    from workers import context, jobs

    def hourly(hour: int) -> bool:
        queued = jobs.cut_releases(datetime(2099, 1, 1, hour, 7).isoformat()).get(SLUG)
        run_worker(redis_conn)
        return bool(queued)

    close(released_app)
    assert releases(database_url) == 1
    reopen_and_answer(client, database_url, {"HR": [("1", "nurse")]})
    run_worker(redis_conn)
    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
    context.use(settings.with_overrides(results_release="daily"))
    try:
        assert hourly(4)  # one late nurse: refused (growth), and recorded
        assert releases(database_url) == 1
        assert not hourly(5) and not hourly(6)
        # K − 1 more: the cells grew by K, the figures changed: due again.
        reopen_and_answer(client, database_url, {"HR": [("2", "nurse")] * (K - 1)})
        run_worker(redis_conn)
        with db.session_scope(database_url) as s:
            lifecycle.close(s, SLUG)
        # The views read with the last release would narrow a group (as a release cut before
        # they were read together may make them): refused for these figures.
        monkeypatch.setattr(unit_report, "withhold_across", lambda *_a: ([], False))
        assert hourly(7)
        assert not hourly(8)
        assert releases(database_url) == 1
        with db.session_scope(database_url) as s:
            assert s.scalars(select(UnitCutRefusal.data)).one()["why"] == "audit"
        # Another organisation tree is other figures too: due again, refused (its tree is not
        # the release's), recorded; and the tree imported back, due again.
        from tests.integration.test_staff_units import import_units
        from tests.integration.test_unit_results import TREE

        import_units(database_url, TREE + "WARD4,CARE,Osasto 4,Avdelning 4,10\n")
        assert hourly(15) and not hourly(16)
        with db.session_scope(database_url) as s:
            assert s.scalars(select(UnitCutRefusal.data)).one()["why"] == "tree"
        import_units(database_url, TREE)
        assert hourly(17) and not hourly(18)
        # Another threshold is other figures: due again (and refused again, recorded).
        with db.session_scope(database_url) as s:
            s.execute(update(Survey).where(Survey.slug == SLUG).values(min_group_size=K + 1))
        lookup.forget()
        assert hourly(9) and not hourly(10)
        with db.session_scope(database_url) as s:
            assert s.scalars(select(UnitCutRefusal.data)).one()["threshold"] == K + 1
            s.execute(update(Survey).where(Survey.slug == SLUG).values(min_group_size=K))
            s.execute(delete(UnitCutRefusal))
        lookup.forget()
        # Not known (the solver failed): tried again the next hour, and the next.
        monkeypatch.setattr(unit_report, "withhold_across", lambda *_a: ([], None))
        assert hourly(11) and hourly(12)
        assert releases(database_url) == 1
        monkeypatch.undo()
        assert hourly(13)
        assert releases(database_url) == 2
        assert not hourly(14)
    finally:
        context.use(settings)
