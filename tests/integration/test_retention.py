"""Retention: raw responses are deleted exactly when past their survey's date; aggregates stay."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import func, select

from surveys.collect import store
from surveys.collect.answers import Checked
from surveys.definitions import demo, lifecycle
from surveys.fold import aggregation
from surveys.fold.retention import add_months, expires_on, purge_expired
from surveys.infra import clock, db
from surveys.models import Aggregate, PendingResponse, SubmissionReceipt, Survey, UnitCutRefusal
from tests.conftest import SETTINGS, TestCli
from webapp.cli import main as cli
from workers import jobs


def make_survey(session, slug: str, closed_on: date | None, months: int = 24,
                answered: tuple[int, date] | None = None) -> Survey:
    """A published survey, answered `answered` = (n, day) times, then closed on `closed_on`."""
    text = demo.definitions()[0].replace("slug: asiakaskokemus-2026", f"slug: {slug}")
    text += f"\nretention_months: {months}\n"
    survey, _ = lifecycle.import_survey(session, text)
    lifecycle.publish(session, slug)
    session.commit()
    if answered:
        answer(session, survey, *answered)
    if closed_on:
        close(session, slug, closed_on)
    return survey


def close(session, slug: str, day: date) -> None:
    lifecycle.close(session, slug, today=day)
    session.commit()


def answer(session, survey: Survey, n: int, day: date) -> None:
    for i in range(n):
        checked = Checked(answers={"recommend": i % 11, "service": "dental", "got_help": 4,
                                   "comment": "Hyvä palvelu"}, region="17")
        assert store.store_response(session, survey, "fi", checked, secrets.token_hex(8), day)


def count(session, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return session.scalar(stmt)


def test_add_months_clamps_to_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 24) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 15), 24) == date(2027, 11, 15)
    assert expires_on(None, 24) is None


def test_purge_deletes_exactly_what_is_past_its_date(database_url, session_factory):
    today = date(2026, 6, 15)
    with session_factory() as s:
        six = (6, date(2024, 3, 1))
        # Expires today (24 months after 2024-06-15): deleted. Closed below.
        due = make_survey(s, "due-today", None, answered=six)
        # Expires tomorrow: kept.
        tomorrow = make_survey(s, "due-tomorrow", date(2024, 6, 16), answered=six)
        # A short retention, long past: deleted.
        short = make_survey(s, "short", date(2026, 1, 10), months=3, answered=six)
        # Still open: kept whatever the age of its responses.
        still_open = make_survey(s, "open", None, answered=six)
        ids = {sv.slug: sv.id for sv in (due, tomorrow, short, still_open)}
    assert aggregation.fold_pending(session_factory) == 24
    with session_factory() as s:
        before = aggregation.stored_counts(s, list(ids.values()))
        # One more response for "due" is still waiting to be folded when the survey closes.
        late = s.get(Survey, ids["due-today"])
        answer(s, late, 1, date(2024, 6, 15))
        close(s, "due-today", date(2024, 6, 15))
        s.add(SubmissionReceipt(token_hash="old", expires_on=date(2026, 6, 1)))
        s.add(SubmissionReceipt(token_hash="new", expires_on=date(2026, 6, 16)))
        s.commit()

    deleted = purge_expired(session_factory, today)
    assert deleted == {"due-today": 7, "short": 6}

    with session_factory() as s:
        assert aggregation.stored_count(s, [ids["due-today"]]) == 0
        assert aggregation.stored_count(s, [ids["short"]]) == 0
        assert aggregation.stored_count(s, [ids["due-tomorrow"]]) == 6
        assert aggregation.stored_count(s, [ids["open"]]) == 6
        # Closed surveys' responses were all moved; an open one's last few wait (6 < 2 x 5).
        assert count(s, PendingResponse) == 6
        assert count(s, PendingResponse, survey_id=ids["open"]) == 6
        assert aggregation.pending_count(s) == 0
        # Aggregates are kept, and the late response was folded before its row was deleted.
        after = aggregation.stored_counts(s, list(ids.values()))
        assert after[aggregation.Key(ids["due-today"], "17", "2024-06", "fi", "*", "*")] == 1
        assert {k: v for k, v in after.items() if k.month == "2024-03"} == before
        assert count(s, Aggregate) > 0
        assert s.get(Survey, ids["due-today"]).responses_purged_on == today
        assert s.get(Survey, ids["due-tomorrow"]).responses_purged_on is None
        assert set(s.scalars(select(SubmissionReceipt.token_hash))) == {"new"}

    # Running again (a retried job) deletes nothing more.
    assert purge_expired(session_factory, today) == {"due-today": 0, "short": 0}
    # The next day the other survey's date has come.
    assert purge_expired(session_factory, date(2026, 6, 16))["due-tomorrow"] == 6


def test_purge_job_and_cli(database_url, session_factory):
    with session_factory() as s:
        survey = make_survey(s, "old-survey", date(2020, 1, 1), answered=(5, date(2019, 12, 1)))
        # A unit cut refused on these figures (surveys.report.units): with the raw responses
        # gone a cut reads otherwise, so the refusal goes with them (found by review).
        s.add(UnitCutRefusal(survey_id=survey.id, data={"why": "audit"}))
        s.commit()
    assert jobs.purge_expired("2022-01-01") == {"old-survey": 5}
    with session_factory() as s:
        assert count(s, UnitCutRefusal) == 0
    runner = TestCli()
    result = runner.invoke(cli, ["retention", "purge", "--today", "2022-01-02"])
    assert result.exit_code == 0, result.output
    assert "old-survey: deleted 0 raw responses" in result.output
    # Aggregates of a purged survey can't be recounted: verify skips it, rebuild refuses it.
    result = runner.invoke(cli, ["aggregates", "verify"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["aggregates", "rebuild", "old-survey"])
    assert result.exit_code != 0
    assert "deleted" in result.output
    with db.session_scope(SETTINGS.database_url) as s:
        assert count(s, Aggregate) > 0


def test_close_records_the_date(database_url, session_factory):
    with session_factory() as s:
        make_survey(s, "to-close", None, months=6)
    result = TestCli().invoke(cli, ["surveys", "close", "to-close"])
    assert result.exit_code == 0, result.output
    with session_factory() as s:
        survey = s.scalar(select(Survey).where(Survey.slug == "to-close"))
        assert survey.status == "closed"
        assert survey.closed_on == clock.today()
        assert str(add_months(clock.today(), 6)) in result.output


def test_privacy_notice_in_each_survey_language_linked_from_the_form(client, demo_survey):
    form = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert f'href="/fi/s/{demo_survey}/privacy"' in form
    for lang in ("fi", "sv", "se"):
        resp = client.get(f"/{lang}/s/{demo_survey}/privacy")
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert html.count("<h2>") == 5  # controller, purpose, stored, retention, rights
        assert "24" in html
    assert client.get(f"/en/s/{demo_survey}/privacy").status_code == 404
    assert client.get("/fi/s/no-such/privacy").status_code == 404


def test_privacy_notice_texts_from_the_definition(client, database_url, session_factory):
    text = demo.definitions()[0].replace("slug: asiakaskokemus-2026", "slug: own-texts")
    text += ("\nretention_months: 12\nprivacy:\n  controller: {fi: Testikunta, sv: Testkommun, "
             "se: Testagielda}\n  purpose: {fi: Kehittäminen, sv: Utveckling, se: Ovdánahttin}\n")
    with session_factory() as s:
        lifecycle.import_survey(s, text)
        lifecycle.publish(s, "own-texts")
        s.commit()
    html = client.get("/sv/s/own-texts/privacy").get_data(as_text=True)
    assert "Testkommun" in html and "Utveckling" in html and "12" in html


def test_privacy_notice_of_a_closed_survey_gives_the_deletion_date(client, demo_survey,
                                                                    session_factory):
    with session_factory() as s:
        lifecycle.close(s, demo_survey, today=date(2026, 3, 31))
        s.commit()
    closed = client.get(f"/se/s/{demo_survey}")
    assert closed.status_code == 410
    assert f"/se/s/{demo_survey}/privacy" in closed.get_data(as_text=True)
    html = client.get(f"/sv/s/{demo_survey}/privacy").get_data(as_text=True)
    assert "31 mars 2028" in html  # Swedish date format, 24 months after closing
