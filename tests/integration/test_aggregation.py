"""Folding responses into aggregates with real Redis and RQ: batched, exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from surveys.fold import aggregation
from surveys.infra import db, queue
from surveys.models import Survey
from tests.conftest import SETTINGS, VALID_ANSWERS, fold_concurrently, run_worker, submit
from workers import jobs


def results(client, slug, **params):
    resp = client.get(f"/api/v1/surveys/{slug}/results", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def submit_many(client, slug, n, **overrides):
    for i in range(n):
        answers = {**VALID_ANSWERS, "recommend": str(i % 11), **overrides}
        assert submit(client, slug, "fi", answers).status_code == 303


def test_worker_folds_submissions_with_real_redis(client, demo_survey, redis_conn):
    submit_many(client, demo_survey, 6)
    # One debounced job for the burst, not one per response.
    assert queue.queue(redis_conn).count == 1
    run_worker(redis_conn)
    data = results(client, demo_survey, region="17")
    assert data["respondents"] == 6
    assert data["suppressed"] is False
    recommend = data["questions"]["recommend"]
    assert recommend["n"] == 6
    # Answers 0-5 once each: counts of 1 are withheld inside the shown group (docs/privacy.md).
    assert set(recommend["withheld"]) >= {str(i) for i in range(6)}
    assert all(c is None or c == 0 for c in recommend["counts"].values())
    assert recommend["mean"] in (2.5, None) and recommend["nps"] in (-100, None)
    # Everyone chose phone and online: unanimous, so withheld; n is still shown.
    assert data["questions"]["channels"]["n"] == 6
    assert data["questions"]["channels"]["counts"]["phone"] is None
    assert data["questions"]["comment"]["counts"] is None
    assert "Hyvää" not in str(data)


def test_same_batch_processed_twice_counts_once(client, demo_survey, session_factory):
    submit_many(client, demo_survey, 5)
    assert jobs.fold_pending() == 5
    assert jobs.fold_pending() == 0
    with db.session_scope(SETTINGS.database_url) as s:
        ids = list(s.scalars(select(Survey.id)))
        stored = aggregation.stored_counts(s, ids)
        assert aggregation.recount(s, ids) == stored
    assert sum(n for k, n in stored.items() if k.question_id == "*") == 5


def test_worker_killed_mid_batch_leaves_nothing_half_done(client, demo_survey, monkeypatch):
    submit_many(client, demo_survey, 5)

    def crash(*_args, **_kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(aggregation, "_upsert", crash)
    with pytest.raises(RuntimeError):
        jobs.fold_pending()
    monkeypatch.undo()
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.pending_count(s) == 5
    assert jobs.fold_pending() == 5
    assert results(client, demo_survey)["respondents"] == 5


def test_rebuild_equals_incremental(client, demo_survey):
    submit_many(client, demo_survey, 7)
    submit_many(client, demo_survey, 3, region="21", channels="in_person")
    jobs.fold_pending()
    with db.session_scope(SETTINGS.database_url) as s:
        ids = list(s.scalars(select(Survey.id)))
        incremental = aggregation.stored_counts(s, ids)
    from tests.conftest import TestCli
    from webapp.cli import main

    result = TestCli().invoke(main, ["aggregates", "rebuild", demo_survey])
    assert result.exit_code == 0, result.output
    assert "rebuilt aggregates from 10 responses" in result.output
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.stored_counts(s, ids) == incremental
    result = TestCli().invoke(main, ["aggregates", "verify"])
    assert result.exit_code == 0, result.output


def test_suppression_below_threshold(client, demo_survey):
    submit_many(client, demo_survey, 6)
    submit_many(client, demo_survey, 4, region="21")
    submit_many(client, demo_survey, 5, region="01")
    jobs.fold_pending()
    lapland = results(client, demo_survey, region="21")
    assert lapland["suppressed"] is True
    assert lapland["respondents"] is None
    for q in lapland["questions"].values():
        assert q["counts"] is None and q["mean"] is None and q["nps"] is None and q["n"] is None
    # The whole country (15) and Ostrobothnia (6) are shown. Northern Finland (4) is not, and
    # so neither is the smallest other area (Southern, 5), or 15 - 6 would reveal it.
    assert results(client, demo_survey)["respondents"] == 15
    assert results(client, demo_survey, area="lansi")["respondents"] == 6
    assert results(client, demo_survey, region="17")["respondents"] == 6
    assert results(client, demo_survey, area="pohjois")["suppressed"] is True
    assert results(client, demo_survey, area="etela")["suppressed"] is True
    assert results(client, demo_survey, region="01")["suppressed"] is True
    # The HTML results page suppresses too: no count for Lapland or its area, the country's shown.
    html = client.get(f"/en/results/{demo_survey}?region=21").get_data(as_text=True)
    assert "Lapland wellbeing services county" in html
    assert html.count("too few to show") == 2
    assert ">15<" in html


def test_redis_down_at_submit_then_folded_after_it_returns(database_url, redis_url, redis_conn,
                                                           demo_survey):
    from webapp import create_app

    down = create_app(SETTINGS.with_overrides(database_url=database_url, redis_url="redis://127.0.0.1:1/0"),
                     {"TESTING": True})
    client = down.test_client()
    resp = submit(client, demo_survey)
    assert resp.status_code == 303
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.stored_count(s) == 1
        assert aggregation.pending_count(s) == 1
    assert queue.queue(redis_conn).count == 0
    # Redis is back: the periodic sweep (rq cron) schedules the fold.
    queue.queue(redis_conn).enqueue("workers.jobs.sweep_outbox")
    run_worker(redis_conn)
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.pending_count(s) == 0
    healthy = create_app(SETTINGS.with_overrides(database_url=database_url, redis_url=redis_url),
                     {"TESTING": True})
    assert healthy.test_client().get(
        f"/api/v1/surveys/{demo_survey}/results").get_json()["suppressed"] is True
    with db.session_scope(SETTINGS.database_url) as s:
        ids = list(s.scalars(select(Survey.id)))
        assert sum(v for k, v in aggregation.stored_counts(s, ids).items()
                   if k.question_id == "*") == 1


def test_concurrent_folds_never_double_count(client, demo_survey, session_factory):
    submit_many(client, demo_survey, 40)
    folded = fold_concurrently(session_factory, batch_size=3)
    assert folded == 40
    assert results(client, demo_survey)["respondents"] == 40


def test_count_rows_is_pure_maths():
    from datetime import date

    rows = [
        aggregation.Row(1, "01", "fi", date(2026, 3, 5), {"q": 3, "m": ["a", "b"], "t": "x"}),
        aggregation.Row(1, "01", "fi", date(2026, 3, 9), {"q": 5}),
    ]
    defs = {1: {"questions": [{"id": "q", "type": "likert5"}, {"id": "m", "type": "multi"},
                              {"id": "t", "type": "text"}]}}
    counts = aggregation.count_rows(rows, defs)
    key = lambda q, o: aggregation.Key(1, "01", "2026-03", "fi", q, o)  # noqa: E731
    assert counts[key("*", "*")] == 2
    assert counts[key("q", "*")] == 2 and counts[key("q", "3")] == 1 and counts[key("q", "5")] == 1
    assert counts[key("m", "a")] == 1 and counts[key("m", "*")] == 1
    assert counts[key("t", "*")] == 1 and key("t", "x") not in counts


def test_answers_stored_as_python_json_but_not_strict_json_still_fold(client, demo_survey):
    """The fold parses a batch's answers in one go only when every text is strict JSON; a text
    Python's json reads but SQLite's json_valid does not (NaN) is parsed on its own, as before."""
    if SETTINGS.database_url.startswith("postgresql"):
        pytest.skip("jsonb holds strict JSON only")
    from sqlalchemy import text

    submit_many(client, demo_survey, 6)
    with db.session_scope(SETTINGS.database_url) as s:
        s.execute(text("UPDATE pending_responses SET answers = '{\"age\": NaN}' WHERE id = "
                       "(SELECT id FROM pending_responses LIMIT 1)"))
    assert jobs.fold_pending() == 6
    with db.session_scope(SETTINGS.database_url) as s:
        sid = s.scalar(select(Survey.id).where(Survey.slug == demo_survey))
        stored = aggregation.stored_counts(s, [sid])
    assert sum(n for k, n in stored.items() if k.question_id == "*") == 6
    assert sum(n for k, n in stored.items() if k.question_id == "age" and k.option == "nan") == 1
