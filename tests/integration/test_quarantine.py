"""Poison isolation: a stored response the fold can't count is quarantined with its error, every
other response keeps folding exactly once, `aggregates verify` fails until it is requeued."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from surveys.fold import aggregation, quarantine
from surveys.infra import db
from surveys.models import PendingResponse, QuarantinedResponse, Response, Survey
from tests.conftest import SETTINGS, VALID_ANSWERS, TestCli, fold_concurrently, run_worker, submit
from webapp.cli import main
from workers import jobs

OTHER = "osterbotten-halsostation-2026"
# Stands for an answer's content: must never reach the error, the CLI's output or a log line.
SECRET = "Matti Meikäläinen 040 1234567"


def palaute(args):
    return TestCli().invoke(main, args)


def submit_many(client, slug, n, lang="fi", **answers):
    for i in range(n):
        data = answers or {**VALID_ANSWERS, "recommend": str(i % 11)}
        assert submit(client, slug, lang, data).status_code == 303


def submit_other(client, n):
    submit_many(client, OTHER, n, "sv", recommend="8", language_ok="4")


def respondents(client, slug):
    resp = client.get(f"/api/v1/surveys/{slug}/results")
    assert resp.status_code == 200
    return resp.get_json()["respondents"]


def counted(slug) -> int:
    """Respondents in the aggregates (not subject to suppression)."""
    with db.session_scope(SETTINGS.database_url) as s:
        sid = s.scalar(select(Survey.id).where(Survey.slug == slug))
        return sum(n for k, n in aggregation.stored_counts(s, [sid]).items()
                   if k.question_id == "*")


def spoil(answers_of, slug="asiakaskokemus-2026") -> str:
    """Make one response to `slug` not yet folded malformed (answers_of(its answers) -> new
    answers); returns its id."""
    with db.session_scope(SETTINGS.database_url) as s:
        rid, answers = s.execute(
            select(PendingResponse.id, PendingResponse.answers)
            .join(Survey, Survey.id == PendingResponse.survey_id)
            .where(Survey.slug == slug, PendingResponse.folded.is_(False)).limit(1)).one()
        s.execute(update(PendingResponse).where(PendingResponse.id == rid)
                  .values(answers=answers_of(dict(answers))))
    return rid


def spoil_counted(answers) -> str:
    """Change one response already counted (moved into `responses`, or held folded); its id."""
    with db.session_scope(SETTINGS.database_url) as s:
        for table in (Response, PendingResponse):
            rid = s.scalar(select(table.id).limit(1))
            if rid is not None:
                s.execute(update(table).where(table.id == rid).values(answers=answers))
                return rid
    raise AssertionError("no counted response")


def quarantined():
    with db.session_scope(SETTINGS.database_url) as s:
        return s.execute(select(QuarantinedResponse.response_id,
                                QuarantinedResponse.error_type,
                                QuarantinedResponse.error)).all()


MALFORMED = {
    "answers not a mapping": (lambda a: [SECRET], "answers are not a mapping"),
    "multi not a list": (lambda a: {**a, "channels": SECRET}, "'channels': a multi answer"),
    "value not a scalar": (lambda a: {**a, "service": {"x": SECRET}}, "'service': an answer "
                                                                      "that is not a single"),
    "null value": (lambda a: {**a, "recommend": None}, "'recommend': an answer that is not"),
    "option too long": (lambda a: {**a, "service": SECRET * 10}, "longer than 64"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_malformed_response_is_quarantined_and_the_others_fold_once(
        kind, client, demo_survey, redis_conn, caplog):
    spoil_it, reason = MALFORMED[kind]
    submit_many(client, demo_survey, 6)
    submit_other(client, 5)
    bad = spoil(spoil_it)
    caplog.set_level(logging.INFO)

    run_worker(redis_conn)  # the job succeeds: one batch held the good and the bad

    assert counted(demo_survey) == 5
    assert counted(OTHER) == 5
    rows = quarantined()
    assert [r[0] for r in rows] == [bad]
    assert rows[0][1] == "Unfoldable" and reason in rows[0][2]
    assert SECRET not in rows[0][2] and SECRET not in caplog.text
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.pending_count(s) == 0

    # Folds keep succeeding, for this survey and the others.
    submit_many(client, demo_survey, 2)
    submit_other(client, 1)
    assert jobs.fold_pending() == 3
    assert counted(demo_survey) == 7 and counted(OTHER) == 6
    assert respondents(client, OTHER) == 6


def test_stored_answers_that_are_not_json_at_all_are_quarantined(client, demo_survey,
                                                                  redis_conn):
    """SQLite keeps the answers as text: a row edited by hand into something that is not JSON
    must stop only itself, as any other malformed response does (PostgreSQL's jsonb can't hold
    such a text)."""
    if not SETTINGS.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's jsonb refuses a text that is not JSON")
    from sqlalchemy import text

    submit_many(client, demo_survey, 6)
    submit_other(client, 5)
    with db.session_scope(SETTINGS.database_url) as s:
        bad = s.scalar(select(PendingResponse.id).where(PendingResponse.folded.is_(False))
                       .limit(1))
        s.execute(text("UPDATE pending_responses SET answers = :t WHERE id = :id"),
                  {"t": "{" + SECRET, "id": bad.hex})

    run_worker(redis_conn)

    assert counted(demo_survey) + counted(OTHER) == 10
    rows = quarantined()
    assert [r[0] for r in rows] == [bad]
    assert rows[0][1] == "Unfoldable" and SECRET not in rows[0][2]
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.pending_count(s) == 0
    submit_other(client, 1)
    assert jobs.fold_pending() == 1


def test_verify_reports_quarantine_and_requeue_after_the_fix_folds_once(
        client, demo_survey, redis_conn):
    submit_many(client, demo_survey, 6)
    bad = spoil(lambda a: {**a, "channels": SECRET})
    jobs.fold_pending()

    result = palaute(["aggregates", "verify"])
    assert result.exit_code == 1
    assert f"{demo_survey}: 1 response(s) quarantined" in result.output
    assert "--requeue ID" in result.output
    listed = palaute(["aggregates", "quarantine"])
    assert listed.exit_code == 0
    assert str(bad) in listed.output and "Unfoldable" in listed.output
    assert SECRET not in listed.output + result.output

    # Requeued before the fix: quarantined again, still not counted.
    again = palaute(["aggregates", "quarantine", "--requeue", str(bad)])
    assert again.exit_code == 0, again.output
    run_worker(redis_conn)  # the requeue scheduled a fold
    assert [r[0] for r in quarantined()] == [bad]
    assert counted(demo_survey) == 5

    with db.session_scope(SETTINGS.database_url) as s:  # the operator fixes the row
        s.execute(update(QuarantinedResponse).where(QuarantinedResponse.response_id == bad)
                  .values(answers={**VALID_ANSWERS, "recommend": 3, "channels": ["phone"]}))
    requeued = palaute(["aggregates", "quarantine", "--all"])
    assert requeued.exit_code == 0 and "requeued 1" in requeued.output
    assert quarantined() == []
    run_worker(redis_conn)
    assert jobs.fold_pending() == 0  # once
    assert counted(demo_survey) == 6
    ok = palaute(["aggregates", "verify"])
    assert ok.exit_code == 0, ok.output
    rebuilt = palaute(["aggregates", "rebuild", demo_survey])
    assert rebuilt.exit_code == 0 and counted(demo_survey) == 6


def test_requeue_refuses_ids_not_quarantined(client, demo_survey):
    result = palaute(
        ["aggregates", "quarantine", "--requeue", "00000000-0000-0000-0000-000000000001"])
    assert result.exit_code == 1 and "not quarantined" in result.output
    result = palaute(["aggregates", "quarantine", "--requeue", "nope"])
    assert result.exit_code == 2


def test_a_survey_whose_definition_lacks_a_type_stops_only_itself(client, demo_survey,
                                                                  redis_conn):
    submit_many(client, demo_survey, 4)
    submit_other(client, 5)
    with db.session_scope(SETTINGS.database_url) as s:
        survey = s.scalar(select(Survey).where(Survey.slug == demo_survey))
        broken = dict(survey.definition)
        broken["questions"] = [{k: v for k, v in q.items() if k != "type"}
                               for q in broken["questions"]]
        s.execute(update(Survey.__table__).where(Survey.__table__.c.id == survey.id)
                  .values(definition=broken))
    run_worker(redis_conn)
    assert counted(OTHER) == 5 and counted(demo_survey) == 0
    rows = quarantined()
    assert len(rows) == 4 and {r[2] for r in rows} == {
        "the survey's definition lacks a question id or type"}


def test_rebuild_quarantines_what_it_cannot_count(client, demo_survey):
    submit_many(client, demo_survey, 6)
    jobs.fold_pending()
    rid = spoil_counted("x")
    with db.session_scope(SETTINGS.database_url) as s:
        sid = s.scalar(select(Survey.id).where(Survey.slug == demo_survey))
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.rebuild(s, [sid]) == 6
    assert counted(demo_survey) == 5
    assert [r[0] for r in quarantined()] == [rid]


def test_rebuild_quarantines_a_counted_response_that_is_not_json_at_all(client, demo_survey,
                                                                        redis_conn):
    """A counted response edited by hand into text that is not JSON (SQLite keeps answers as
    text; PostgreSQL's jsonb can't hold it): the rebuild quarantines it without its content and
    counts every other response once."""
    if not SETTINGS.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's jsonb refuses a text that is not JSON")
    from sqlalchemy import text

    submit_many(client, demo_survey, 6)
    submit_other(client, 5)
    run_worker(redis_conn)
    with db.session_scope(SETTINGS.database_url) as s:
        sid = s.scalar(select(Survey.id).where(Survey.slug == demo_survey))
        # Counted: moved into `responses`, or held and folded (moved with a later batch).
        for table in (Response, PendingResponse):
            bad = s.scalar(select(table.id).where(table.survey_id == sid).limit(1))
            if bad is not None:
                s.execute(text(f"UPDATE {table.__tablename__} SET answers = :t WHERE id = :id"),
                          {"t": "{" + SECRET, "id": bad.hex})
                break
        assert bad is not None
    with db.session_scope(SETTINGS.database_url) as s:
        aggregation.rebuild(s, [sid])
    assert counted(demo_survey) == 5 and counted(OTHER) == 5
    found = quarantined()
    assert [r[0] for r in found] == [bad]
    assert SECRET not in found[0][2]
    assert palaute(["aggregates", "verify"]).exit_code != 0  # a quarantined response is named


def test_database_refusing_a_value_quarantines_only_that_row(client, demo_survey, monkeypatch):
    if not SETTINGS.database_url.startswith("postgresql"):
        pytest.skip("SQLite stores any length in a VARCHAR(64): nothing for it to refuse")
    submit_many(client, demo_survey, 6)
    bad = spoil(lambda a: {**a, "service": "x" * 65 + SECRET})
    # Without the fold's own length check, the database's VARCHAR(64) refuses the option.
    monkeypatch.setattr(aggregation, "OPTION_MAX", 10 ** 6)
    assert jobs.fold_pending() == 6
    rows = quarantined()
    assert [r[0] for r in rows] == [bad]
    assert rows[0][1] == "StringDataRightTruncation" and "22001" in rows[0][2]
    assert SECRET not in rows[0][2]
    assert counted(demo_survey) == 5


def test_a_failure_that_is_not_the_rows_quarantines_nothing(client, demo_survey, monkeypatch):
    submit_many(client, demo_survey, 3)
    bad = spoil(lambda a: {**a, "channels": "x"})

    def database_gone(*_args, **_kwargs):
        raise ConnectionError("database went away")

    monkeypatch.setattr(aggregation, "_upsert", database_gone)
    with pytest.raises(ConnectionError):
        jobs.fold_pending()
    monkeypatch.undo()
    assert quarantined() == []  # rolled back with the claim
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.pending_count(s) == 3
    assert jobs.fold_pending() == 3
    assert [r[0] for r in quarantined()] == [bad] and counted(demo_survey) == 2


def test_concurrent_workers_fold_the_good_once_and_quarantine_the_bad(client, demo_survey,
                                                                     session_factory):
    submit_many(client, demo_survey, 30)
    with db.session_scope(SETTINGS.database_url) as s:
        ids = list(s.scalars(select(PendingResponse.id).limit(4)))
        s.execute(update(PendingResponse).where(PendingResponse.id.in_(ids))
                  .values(answers=[SECRET]))
    folded = fold_concurrently(session_factory, batch_size=3)
    assert folded == 30
    assert counted(demo_survey) == 26
    assert sorted(r[0] for r in quarantined()) == sorted(ids)
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.pending_count(s) == 0
        assert quarantine.counts_by_survey(s) == {demo_survey: 4}


def test_a_quarantined_response_is_deleted_with_its_survey_s_raw_responses(client, demo_survey):
    """It holds answers: the retention purge deletes it with the survey's raw responses."""
    from datetime import date

    from surveys.fold import retention

    submit_many(client, demo_survey, 2)
    bad = spoil(lambda a: [1])
    jobs.fold_pending()
    assert [r[0] for r in quarantined()] == [bad]
    with db.session_scope(SETTINGS.database_url) as s:
        s.execute(update(Survey).where(Survey.slug == demo_survey)
                  .values(status="closed", closed_on=date(2020, 1, 1)))
    deleted = retention.purge_expired(lambda: db.new_session(SETTINGS.database_url),
                                      date(2026, 12, 1))
    assert deleted[demo_survey] == 2
    assert quarantined() == []


def test_verify_names_a_folded_response_that_went_bad_and_rebuild_quarantines_it(
        client, demo_survey):
    submit_many(client, demo_survey, 3)
    jobs.fold_pending()
    rid = spoil_counted(SECRET)  # changed after it was counted
    result = palaute(["aggregates", "verify"])
    assert result.exit_code == 1 and "can't be recounted" in result.output
    assert "Traceback" not in result.output and SECRET not in result.output
    assert palaute(["aggregates", "rebuild"]).exit_code == 0
    assert [r[0] for r in quarantined()] == [rid] and counted(demo_survey) == 2
    assert "1 response(s) quarantined" in palaute(["aggregates", "verify"]).output
