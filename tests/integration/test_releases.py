"""Results views serve releases: a poller sees nothing of one submission (issue 10, finding 2)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from surveys.definitions import lookup
from surveys.infra import db
from surveys.report import releases
from tests.conftest import VALID_ANSWERS, TestCli, demo_year_long, run_worker, submit
from tests.integration.test_release_queue import start_job

URL = "/api/v1/surveys/{slug}/results?region=19"


@pytest.fixture
def released_app(settings, redis_conn, demo_survey):
    from webapp import create_app

    # Cut in 2026: the demo's period (a year from the day it is seeded) set to 2026, over
    # which release pacing spreads its times.
    demo_year_long(settings, demo_survey)
    return create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})


def answer(client, slug: str, n: int, region: str = "19", **changes) -> None:
    for _ in range(n):
        resp = submit(client, slug, "fi", {**VALID_ANSWERS, "region": region, **changes})
        assert resp.status_code == 303


def figures(resp) -> dict:
    """The document without the release date (which names the latest release)."""
    return {k: v for k, v in resp.get_json().items() if k != "release"}


def cut(settings, slug: str, when: str = "2026-06-01T04:00") -> bool:
    with db.session_scope(settings) as s:
        return releases.cut(s, lookup.visible(s, slug), datetime.fromisoformat(when)) is not None


def test_nothing_is_shown_before_the_first_release(released_app, demo_survey, redis_conn):
    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    doc = client.get(URL.format(slug=demo_survey)).get_json()
    assert doc["suppressed"] is True and doc["respondents"] is None and doc["release"] is None
    assert all(q["suppressed"] for q in doc["questions"].values())


def test_one_submission_is_not_seen_as_a_change(released_app, settings, demo_survey,
                                                redis_conn):
    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    assert cut(settings, demo_survey)
    first = client.get(URL.format(slug=demo_survey)).get_json()
    country = client.get(f"/api/v1/surveys/{demo_survey}/results").get_json()
    assert first["respondents"] == 6 and first["release"] is not None

    # One more person answers, with answers nobody else gave: polling shows nothing of it.
    answer(client, demo_survey, 1, recommend="0", got_help="1")
    run_worker(redis_conn)
    assert not cut(settings, demo_survey, "2026-06-02T04:00")  # nothing may change: no release
    assert client.get(URL.format(slug=demo_survey)).get_json() == first
    assert client.get(f"/api/v1/surveys/{demo_survey}/results").get_json() == country

    # Four more (five since the last change): now the county and the country change.
    answer(client, demo_survey, 4)
    run_worker(redis_conn)
    assert cut(settings, demo_survey, "2026-06-03T04:00")
    later = client.get(URL.format(slug=demo_survey)).get_json()
    assert later["respondents"] == 11
    # That one answer of 0 is now among eleven, and as a count of one it stays withheld.
    assert later["questions"]["recommend"]["counts"]["0"] is None


def test_a_small_county_cannot_be_recovered_from_a_changing_sum(released_app, settings,
                                                                demo_survey, redis_conn):
    """County 19 gains 6 and county 18 (both in the northern collaboration area) gains 1: the
    area and the country must not change, or their change minus county 19's would be that one
    person."""
    client = released_app.test_client()
    answer(client, demo_survey, 6, region="19")
    answer(client, demo_survey, 6, region="18")
    run_worker(redis_conn)
    assert cut(settings, demo_survey)
    area = client.get(f"/api/v1/surveys/{demo_survey}/results?area=pohjois")
    country = client.get(f"/api/v1/surveys/{demo_survey}/results")
    answer(client, demo_survey, 6, region="19")
    answer(client, demo_survey, 1, region="18", recommend="0")
    run_worker(redis_conn)
    assert cut(settings, demo_survey, "2026-06-02T04:00")
    assert client.get(URL.format(slug=demo_survey)).get_json()["respondents"] == 12
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=18").get_json()[
        "respondents"] == 6
    assert figures(client.get(f"/api/v1/surveys/{demo_survey}/results?area=pohjois")) == \
        figures(area)
    assert figures(client.get(f"/api/v1/surveys/{demo_survey}/results")) == figures(country)


def test_monthly_csv_and_page_are_served_from_the_release(released_app, settings, demo_survey,
                                                          redis_conn):
    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    assert cut(settings, demo_survey)
    answer(client, demo_survey, 2)
    run_worker(redis_conn)
    monthly = client.get(f"/api/v1/surveys/{demo_survey}/results/monthly?area=pohjois"
                         ).get_json()
    assert [m["respondents"] for m in monthly["months"]] == [6]
    csv = client.get(f"/api/v1/surveys/{demo_survey}/results.csv?region=19").get_data(
        as_text=True)
    assert ",respondents,6" in csv
    page = client.get(f"/fi/results/{demo_survey}?region=19").get_data(as_text=True)
    assert "Luvut julkaistu" in page


def test_live_mode_shows_figures_as_folded(client, demo_survey, redis_conn):
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    assert client.get(URL.format(slug=demo_survey)).get_json()["respondents"] == 6


def test_cli_and_the_scheduled_job_cut_releases(released_app, settings, demo_survey,
                                                redis_conn):
    from surveys.infra import queue

    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    result = TestCli().invoke(__import__("webapp.cli", fromlist=["main"]).main,
                              ["results", "release", demo_survey])
    assert result.exit_code == 0, result.output
    assert "released at" in result.output
    again = TestCli().invoke(__import__("webapp.cli", fromlist=["main"]).main,
                             ["results", "release", demo_survey])
    assert "no figure may change yet" in again.output
    # The hourly job: nothing due an hour later (daily), due a day later.
    from workers import context

    context.use(settings.with_overrides(results_release="daily"))
    try:
        answer(client, demo_survey, 5)
        run_worker(redis_conn)
        queue.enqueue(redis_conn, "workers.jobs.cut_releases", "2099-01-01T04:07")
        run_worker(redis_conn)
        assert client.get(URL.format(slug=demo_survey)).get_json()["respondents"] == 11
    finally:
        context.use(settings)


def test_a_release_is_dated_by_the_finnish_day(released_app, settings, demo_survey, redis_conn):
    """A release cut at 22:30 UTC on 30 November was cut on 1 December in Finland: the page and
    the export say so (surveys.infra.clock), not the UTC date of its stamp."""
    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    assert cut(settings, demo_survey, "2026-11-30T22:30")
    assert client.get(URL.format(slug=demo_survey)).get_json()["release"] == {
        "released_at": "2026-11-30T22:30Z"}
    page = client.get(f"/en/results/{demo_survey}").get_data(as_text=True)
    assert "Figures as released on December 1, 2026." in page
    assert "November 30" not in page
    book = load_workbook(io.BytesIO(client.get(f"/en/results/{demo_survey}/export.xlsx")
                                    .get_data()))
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Figures as of"] == "2026-12-01"


def test_one_survey_whose_cut_fails_does_not_hold_back_the_others(
        released_app, settings, demo_survey, redis_conn, monkeypatch, caplog):
    """The hourly job hands every due survey to the release queue, a job each: one whose cut
    fails (a bug, a definition it cannot read) is logged and its job fails, visibly, but the
    other surveys' releases are stored, rather than all rolled back with it every hour."""
    from rq.registry import FailedJobRegistry

    from surveys.infra import queue
    from workers import context

    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    real_cut = releases.cut

    def cut(session, survey, now, **kwargs):
        if survey.slug == "lappi-kielipalvelut-2026":
            raise RuntimeError("this survey's cut fails")
        return real_cut(session, survey, now, **kwargs)

    monkeypatch.setattr(releases, "cut", cut)
    context.use(settings.with_overrides(results_release="daily"))
    try:
        with caplog.at_level("ERROR", logger="workers.jobs"):
            queue.enqueue(redis_conn, "workers.jobs.cut_releases", "2099-01-01T04:07")
            run_worker(redis_conn)
    finally:
        context.use(settings)
    assert client.get(URL.format(slug=demo_survey)).get_json()["respondents"] == 6
    failed = FailedJobRegistry(queue=queue.queue(redis_conn, queue.RELEASE_QUEUE_NAME))
    lappi = lookup_id(settings, "lappi-kielipalvelut-2026")
    assert failed.get_job_ids() == [f"release-{lappi}-2099-01-01T04"]
    assert FailedJobRegistry(queue=queue.queue(redis_conn)).get_job_ids() == []
    errors = [r for r in caplog.records if r.levelname == "ERROR"
              and getattr(r, "survey", None) == "lappi-kielipalvelut-2026"]
    # Its type and where it was raised, not its message (which might quote a count)...
    assert errors and "RuntimeError" in errors[0].getMessage(), caplog.records
    assert "this survey's cut fails" not in caplog.text
    # ... nor in what RQ keeps of the failed job, which the queue-health page shows.
    health = queue.health(redis_conn)
    assert health.failed_count == 1
    assert health.failed[0].error == ("workers.jobs.ReleaseFailed: results release failed "
                                      "for lappi-kielipalvelut-2026")
    from rq.job import Job

    kept = Job.fetch(failed.get_job_ids()[0], connection=redis_conn).latest_result().exc_string
    assert "this survey's cut fails" not in kept and "ReleaseFailed" in kept
    # The operator requeues it from that page once the cause is fixed; it then cuts.
    monkeypatch.setattr(releases, "cut", real_cut)
    assert queue.requeue_failed(redis_conn, failed.get_job_ids()[0])
    context.use(settings.with_overrides(results_release="daily"))
    try:
        run_worker(redis_conn)
    finally:
        context.use(settings)
    assert failed.get_job_ids() == []


def lookup_id(settings, slug: str) -> int:
    with db.session_scope(settings) as s:
        return lookup.find(s, slug).id


def test_the_hourly_job_leaves_each_cut_to_the_release_queue(released_app, settings,
                                                             demo_survey, redis_conn):
    """A national cut audits for minutes: the hourly job only queues each due survey's cut on
    the release queue, which a worker of its own serves, so the fold's worker is never held
    back by one. Run twice in the hour, or again while the survey's job still waits, it queues
    no second job of that survey."""
    from surveys.infra import queue
    from workers import context

    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    context.use(settings.with_overrides(results_release="daily"))
    try:
        # Twice in the hour, then the next hour with the release worker still behind.
        for moment in ("2099-01-01T04:07", "2099-01-01T04:37", "2099-01-01T05:07"):
            queue.enqueue(redis_conn, "workers.jobs.cut_releases", moment)
            run_worker(redis_conn, [queue.QUEUE_NAME])  # the fold's worker
        releasing = queue.queue(redis_conn, queue.RELEASE_QUEUE_NAME)
        national = lookup_id(settings, demo_survey)
        assert [j for j in releasing.job_ids if j.startswith(f"release-{national}-")] == [
            f"release-{national}-2099-01-01T04"]
        assert client.get(URL.format(slug=demo_survey)).get_json()["release"] is None
        run_worker(redis_conn, [queue.RELEASE_QUEUE_NAME])  # the release worker
    finally:
        context.use(settings)
    doc = client.get(URL.format(slug=demo_survey)).get_json()
    assert doc["respondents"] == 6 and doc["release"] == {"released_at": "2099-01-01T04:07Z"}


def test_the_cli_can_leave_a_cut_to_the_release_worker(released_app, settings, demo_survey,
                                                       redis_conn):
    """`palaute results release --enqueue SLUG` queues the survey's cut now (whether due or not,
    as the command cuts it) for the release worker instead of auditing in the shell; a second
    while it waits is not queued; under `live` it refuses (the worker would cut nothing)."""
    from surveys.infra import queue
    from webapp.cli import main
    from workers import context

    client = released_app.test_client()
    answer(client, demo_survey, 6)
    run_worker(redis_conn, [queue.QUEUE_NAME])
    cli = released_app.test_cli_runner()
    result = cli.invoke(main, ["results", "release", "--enqueue", demo_survey])
    assert result.exit_code == 0, result.output
    assert "queued for the release worker" in result.output
    again = cli.invoke(main, ["results", "release", "--enqueue", demo_survey])
    assert "not queued: a release job of this survey waiting to run will cut it" in again.output
    releasing = queue.queue(redis_conn, queue.RELEASE_QUEUE_NAME)
    (job_id,) = releasing.job_ids
    assert releasing.fetch_job(job_id).args[2] == queue.CUT_NOW
    assert client.get(URL.format(slug=demo_survey)).get_json()["release"] is None  # not yet
    context.use(settings.with_overrides(results_release="daily"))
    try:
        run_worker(redis_conn, [queue.RELEASE_QUEUE_NAME])
    finally:
        context.use(settings)
    doc = client.get(URL.format(slug=demo_survey)).get_json()
    assert doc["respondents"] == 6 and doc["release"] is not None
    # While a job of the survey runs, the operator's waits for it and says so.
    worker, _ = start_job(settings.redis_url, redis_conn,
                          survey=lookup_id(settings, demo_survey))
    try:
        behind = cli.invoke(main, ["results", "release", "--enqueue", demo_survey])
        assert "to run when the job of this survey now running has ended" in behind.output
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()
    assert len(releasing.job_ids) == 1
    releasing.empty()
    live = TestCli().invoke(main, ["results", "release", "--enqueue", demo_survey])
    assert live.exit_code == 1 and "RESULTS_RELEASE is live" in live.output
    assert releasing.job_ids == []
