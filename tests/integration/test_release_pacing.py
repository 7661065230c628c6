"""Release pacing on a real database (surveys/report/pacing.py, releases.cut): a survey cut every
day never takes more release times than its cut audits in full, so no earlier release is ever
reduced to lower bounds at a cut."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select, update

from surveys.definitions import lookup
from surveys.infra import db
from surveys.models import ReleasedBlock, ResultRelease, Survey, User
from surveys.report import history, releases
from tests.conftest import (
    VALID_ANSWERS,
    TestCli,
    at_once,
    demo_year_long,
    make_user,
    run_worker,
    sign_in,
    submit,
)
from tests.integration.test_release_history import answer

LANGS = ("fi", "sv", "se")  # the demo survey's languages: one time adds 22 × 3 cells
# (`answer` answers in Finnish only: a language group that gained fewer than the threshold
# holds its place's figures back, releases.changing_blocks, which is not what this tests.)


@pytest.fixture
def released_app(settings, redis_conn):
    from webapp import create_app

    return create_app(settings.with_overrides(results_release="daily", rate_limit_submit="off"),
                      {"TESTING": True})


def reopen_page(app, settings, slug: str, lang: str = "en") -> str:
    """The reopen page of `slug`, closed first, as a national admin sees it."""
    with db.session_scope(settings) as s:
        s.execute(update(Survey).where(Survey.slug == slug)
                  .values(status="closed", closed_on=date(2026, 12, 1)))
    with db.session_scope(settings) as s:
        known = s.scalar(select(User.id).where(User.email == "national@example.fi"))
    if known is None:
        make_user(settings.database_url, "national@example.fi", "national_admin")
    admin = app.test_client()
    assert sign_in(admin, "national@example.fi", lang=lang).status_code == 303
    page = admin.get(f"/{lang}/admin/surveys/{slug}/reopen")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def paced(settings, slug: str, monkeypatch, opens: date, closes: date) -> None:
    """`slug` open from `opens` to `closes`, with a budget of 4 times (22 counties × its 3
    languages a time; the months' budget, which a period of several months needs besides, is
    tested below)."""
    monkeypatch.setattr(history, "MAX_HISTORY_CELLS", 4 * 22 * len(LANGS))
    monkeypatch.setattr(history, "MONTHS_HISTORY_CELLS", 10**6)
    with db.session_scope(settings) as s:
        s.execute(update(Survey).where(Survey.slug == slug)
                  .values(opens_on=opens, closes_on=closes))


def test_a_survey_cut_every_day_never_takes_more_times_than_its_cut_audits(
        released_app, settings, demo_survey, redis_conn, monkeypatch, caplog):
    paced(settings, demo_survey, monkeypatch, date(2026, 6, 1), date(2026, 6, 30))
    client = released_app.test_client()
    taken = []
    with caplog.at_level("INFO", logger="surveys.report.releases"):
        for day in ("06-01", "06-02", "06-03", "06-10", "06-15", "06-16", "06-29", "06-30",
                    "07-01"):
            answer(client, demo_survey, 5, "19")
            answer(client, demo_survey, 5, "18")
            run_worker(redis_conn)
            with db.session_scope(settings) as s:
                survey = lookup.visible(s, demo_survey)
                if releases.cut(s, survey, datetime.fromisoformat(f"2026-{day}T04:00")):
                    taken.append(day)
                    # What a cut audits: every earlier time, none left out to lower bounds.
                    table = releases.results.publication(s, survey).table
                    audit = releases.audit_latest(s, survey, table, None, times="recent",
                                                  full_ranges=False)
                    assert audit.left_out == 0 and audit.times == len(taken) - 1
    # Two spare times at the start, then the schedule's points (15 June noon, the close).
    assert taken == ["06-01", "06-02", "06-16", "06-30"]
    assert not any("left out" in r.getMessage() for r in caplog.records)
    assert any("release pacing: 2 of 4 times used; figures may next change from "
               "2026-06-15 12:00" in r.getMessage() for r in caplog.records), caplog.records
    with db.session_scope(settings) as s:
        survey_id = lookup.visible(s, demo_survey).id
        assert s.query(ResultRelease).filter_by(survey_id=survey_id).count() == 4
        assert len({b.computed_in for b in s.query(ReleasedBlock)}) == 4

    # Every time used: the operator's release says so, and stores nothing.
    from webapp.cli import main

    result = TestCli().invoke(main, ["results", "release", demo_survey])
    assert result.exit_code == 0, result.output
    assert (f"{demo_survey}: figures stay as released: all 4 release times of this survey "
            "are used") in result.output
    with db.session_scope(settings) as s:
        assert s.query(ResultRelease).filter_by(survey_id=survey_id).count() == 4
    # And the results page tells its readers, in their language.
    for lang, text in (("en", "These figures will not change any more."),
                       ("fi", "Nämä luvut eivät enää muutu.")):
        page = client.get(f"/{lang}/results/{demo_survey}").get_data(as_text=True)
        assert text in page, lang
    # A survey released more often than its capacity (before pacing; or a budget lowered
    # since): it stays as released, and the operator is told how many it used.
    monkeypatch.setattr(history, "MAX_HISTORY_CELLS", 2 * 22 * len(LANGS))
    result = TestCli().invoke(main, ["results", "release", demo_survey])
    assert (f"{demo_survey}: figures stay as released: 4 release times are used, more than "
            "the 2 this survey may have") in result.output
    page = reopen_page(released_app, settings, demo_survey)
    assert ("4 release times of this survey are used, more than the 2 it may have: after "
            "reopening, its published figures will not change.") in page
    # Reopening it would not change them either: the admin is told before reopening.
    monkeypatch.setattr(history, "MAX_HISTORY_CELLS", 4 * 22 * len(LANGS))
    assert ("All 4 release times of this survey are used: after reopening, its published "
            "figures will not change.") in reopen_page(released_app, settings, demo_survey)


def test_the_operator_is_told_when_figures_may_next_change(released_app, settings, demo_survey,
                                                           redis_conn, monkeypatch):
    paced(settings, demo_survey, monkeypatch, date(2026, 1, 1), date(2036, 1, 1))
    client = released_app.test_client()
    from webapp.cli import main

    outputs = []
    for _ in range(3):
        answer(client, demo_survey, 5, "19")
        run_worker(redis_conn)
        result = TestCli().invoke(main, ["results", "release", demo_survey])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    # Two times (the first, a spare), then the next of the schedule's points, halfway through
    # the ten years: 2031-01-01.
    assert all("released at" in out for out in outputs[:2]), outputs
    assert (f"{demo_survey}: figures may next change from 2031-01-01 00:00 UTC (2 of 4 "
            "release times used)") in outputs[2], outputs
    page = client.get(f"/en/results/{demo_survey}").get_data(as_text=True)
    assert "Figures may next change on or after January 1, 2031." in page
    assert "will not change any more" not in page
    page = client.get(f"/sv/results/{demo_survey}").get_data(as_text=True)
    assert "Siffrorna kan ändras nästa gång tidigast den 1 januari 2031." in page
    page = reopen_page(released_app, settings, demo_survey, "fi")
    assert ("Kyselyn julkaistut luvut voivat muuttua enää enintään 2 kertaa (4 julkaisukerrasta "
            "on käytetty 2)") in page


def test_at_its_capacity_a_cut_in_every_language_still_audits_every_earlier_time(
        released_app, settings, demo_survey, redis_conn, monkeypatch, caplog):
    """The table's cells are as many as pacing counted (22 counties × the 3 languages offered,
    each with answers), so the budget is tight: the cut that takes the last time audits every
    earlier one (history.select_times counts `len(chosen) + 2` layers, today's included)."""
    paced(settings, demo_survey, monkeypatch, date(2026, 6, 1), date(2026, 6, 30))
    client = released_app.test_client()
    taken = []
    with caplog.at_level("WARNING", logger="surveys.report.releases"):
        for day in ("06-01", "06-02", "06-16", "06-30"):
            for lang in LANGS:
                for i in range(5):
                    resp = submit(client, demo_survey, lang,
                                  {**VALID_ANSWERS, "recommend": str(5 + i % 5),
                                   "region": "19"})
                    assert resp.status_code == 303
            run_worker(redis_conn)
            with db.session_scope(settings) as s:
                survey = lookup.visible(s, demo_survey)
                table = releases.results.publication(s, survey).source
                assert len(table.langs) == len(LANGS)
                assert releases.cut(s, survey, datetime.fromisoformat(f"2026-{day}T04:00"))
                taken.append(day)
                audit = releases.audit_latest(s, survey, table, None, times="recent",
                                              full_ranges=False)
                assert audit.left_out == 0 and audit.times == len(taken) - 1
    assert len(taken) == 4
    assert not any("left out" in r.getMessage() for r in caplog.records)


def test_two_cuts_at_once_store_one_release(released_app, settings, demo_survey, redis_conn,
                                            caplog):
    """The hourly job and an operator's `palaute results release` cutting the same survey at
    the same moment: each would see the same releases, take the same next time and audit it
    without the other's figures. The second waits for the first's release (its row on
    PostgreSQL, its write lock on SQLite), then finds its place in the survey's sequence taken
    and stores nothing; or, had it read after the first's commit, follows that release. Either
    way every release is audited with every one before it (their places run 0, 1, 2, …)."""
    demo_year_long(settings, demo_survey)
    client = released_app.test_client()
    answer(client, demo_survey, 10, "19")
    answer(client, demo_survey, 10, "18")
    run_worker(redis_conn)
    with db.session_scope(settings) as s:
        assert releases.cut(s, lookup.visible(s, demo_survey),
                            datetime.fromisoformat("2026-06-01T04:00"))
    answer(client, demo_survey, 5, "19")
    answer(client, demo_survey, 5, "18")
    run_worker(redis_conn)
    moment = datetime.fromisoformat("2026-06-02T04:00")

    def cut(session):
        return releases.cut(session, lookup.visible(session, demo_survey), moment)

    with caplog.at_level("WARNING", logger="surveys.report.releases"):
        outcome = at_once(settings.database_url, cut, cut)
    assert outcome["first"] is not None and "error" not in outcome, outcome
    with db.session_scope(settings) as s:
        survey_id = lookup.visible(s, demo_survey).id
        seqs = list(s.scalars(select(ResultRelease.seq).where(
            ResultRelease.survey_id == survey_id).order_by(ResultRelease.id)))
        postgres = s.get_bind().dialect.name == "postgresql"
    assert seqs == list(range(len(seqs))) and len(seqs) == 2 + (outcome["second"] is not None)
    if postgres:  # its reads never wait: it read before the first's commit, and was refused
        assert outcome["second"] is None and seqs == [0, 1], (outcome, seqs)
    if outcome["second"] is None:
        assert any("another cut of this survey" in r.getMessage() for r in caplog.records)


def test_a_cut_whose_transaction_is_rolled_back_stores_nothing(released_app, settings,
                                                               demo_survey, redis_conn):
    """The edge owns the transaction: a cut rolled back (the job failed after it) leaves no
    release, not even one without its blocks. (On SQLite a savepoint opened outside a
    transaction is one, and releasing it committed the release row on its own.)"""
    client = released_app.test_client()
    answer(client, demo_survey, 10, "19")
    run_worker(redis_conn)
    session = db.new_session(settings.database_url)
    try:
        assert releases.cut(session, lookup.visible(session, demo_survey),
                            datetime.fromisoformat("2026-06-01T04:00"))
        session.rollback()
    finally:
        session.close()
    with db.session_scope(settings) as s:
        assert s.query(ResultRelease).count() == 0
        assert s.query(ReleasedBlock).count() == 0


def answered_on(client, slug: str, day: str, monkeypatch, redis_conn) -> None:
    """Five answers in each offered language in two counties on `day` (the counties' date),
    folded."""
    from surveys.infra import clock

    today = date.fromisoformat(day)
    monkeypatch.setattr(clock, "today", lambda moment=None, today=today: today)
    for lang in LANGS:
        for region in ("19", "18"):
            for i in range(5):
                resp = submit(client, slug, lang, {**VALID_ANSWERS, "recommend": str(5 + i % 5),
                                                   "region": region})
                assert resp.status_code == 303
    run_worker(redis_conn)


def test_a_survey_of_many_months_takes_only_as_many_times_as_its_cut_audits_with_months(
        released_app, settings, demo_survey, redis_conn, monkeypatch, caplog):
    """A year-long national survey's table (22 counties × 12 months × 3 languages) is solved
    on the marginals with the months of as many times as MONTHS_HISTORY_CELLS holds; pacing
    gives it no more times than that (history.times_in_full), so every cut audits every
    earlier time with its months and none has its months reduced to lower bounds."""
    monkeypatch.setattr(history, "MONTHS_HISTORY_CELLS", 3 * (5 * 12 + 22 * len(LANGS)))
    demo_year_long(settings, demo_survey)
    client = released_app.test_client()
    taken, refused = [], []
    with caplog.at_level("WARNING", logger="surveys.report.releases"):
        for day in ("01-15", "01-16", "07-15", "07-16", "12-31"):
            answered_on(client, demo_survey, f"2026-{day}", monkeypatch, redis_conn)
            with db.session_scope(settings) as s:
                survey = lookup.visible(s, demo_survey)
                if not releases.cut(s, survey, datetime.fromisoformat(f"2026-{day}T04:00")):
                    refused.append(day)
                    continue
                taken.append(day)
                table = releases.results.publication(s, survey).source
                audit = releases.audit_latest(s, survey, table, None, times="recent",
                                              full_ranges=False)
                assert audit.left_out == 0 and audit.times == len(taken) - 1
                if len(table.months) > 1 and audit.times:
                    # On the marginals, each earlier time with its months.
                    assert audit.result.months_times == audit.times, (day, audit.result)
    assert taken == ["01-15", "07-15", "12-31"] and refused == ["01-16", "07-16"]
    with db.session_scope(settings) as s:
        assert releases.pace(s, lookup.visible(s, demo_survey), datetime(2027, 1, 1)).times == 3
    assert not any("earlier times audited at the cut" in r.getMessage()
                   for r in caplog.records), caplog.records


def test_pace_counts_every_month_the_table_has_without_an_opening_date(
        released_app, settings, demo_survey, redis_conn, monkeypatch):
    """Published without `opens_on` (the usual publish) and answered from January (under
    RESULTS_RELEASE=live, or with the first release delayed), first released in November: the
    table has every month from January, and pacing counts them all (found by review)."""
    from surveys.infra import clock

    with db.session_scope(settings) as s:
        s.execute(update(Survey).where(Survey.slug == demo_survey)
                  .values(opens_on=None, closes_on=date(2026, 12, 31)))
    client = released_app.test_client()
    for day in (date(2026, 1, 15), date(2026, 11, 1)):
        monkeypatch.setattr(clock, "today", lambda moment=None, day=day: day)
        answer(client, demo_survey, 6, "19")
        run_worker(redis_conn)
    with db.session_scope(settings) as s:
        assert releases.cut(s, lookup.visible(s, demo_survey), datetime(2026, 11, 1, 4))
    with db.session_scope(settings) as s:
        survey = lookup.visible(s, demo_survey)
        months = len(releases.results.publication(s, survey).source.months)
        times = releases.pace(s, survey, datetime(2026, 11, 2)).times
    assert months == 11  # January to today (November); December's comes
    assert times == history.times_in_full(22, 5, 12, len(LANGS)) == 5, (times, months)


def test_a_cut_whose_table_outgrew_pacing_says_it_left_months_to_lower_bounds(
        released_app, settings, demo_survey, redis_conn, monkeypatch, caplog):
    """Where pacing counted a smaller table than a cut has (answers in a language the survey
    no longer offers, a period extended), the months of the oldest times enter as lower
    bounds: the cut says so in its log (here pacing is told the survey may have 10 times)."""
    monkeypatch.setattr(history, "MONTHS_HISTORY_CELLS", 3 * (5 * 12 + 22 * len(LANGS)))
    monkeypatch.setattr(history, "times_in_full", lambda *args: 10)
    demo_year_long(settings, demo_survey)
    client = released_app.test_client()
    with caplog.at_level("WARNING", logger="surveys.report.releases"):
        for day in ("01-15", "01-16", "01-17", "07-15"):
            answered_on(client, demo_survey, f"2026-{day}", monkeypatch, redis_conn)
            with db.session_scope(settings) as s:
                assert releases.cut(s, lookup.visible(s, demo_survey),
                                    datetime.fromisoformat(f"2026-{day}T04:00")), day
    short = [r.getMessage() for r in caplog.records
             if "earlier times audited at the cut" in r.getMessage()]
    assert short == ["release audit: months of 2 of 3 earlier times audited at the cut, the "
                     "others' as lower bounds (history.MONTHS_HISTORY_CELLS)"], short
