"""Faults with real processes: every acknowledged response is stored once and counted once.

Each test runs gunicorn, RQ workers and the cron scheduler as the Procfile does, with a Redis
server of its own, and ends with acknowledged (303) = stored = counted in the aggregates, and
`palaute aggregates verify` passing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import threading
import time
import uuid
from html import unescape

import pytest
import redis
import requests
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import create_engine, text

from surveys.definitions import demo
from surveys.infra import db, migrate, queue
from surveys.infra import settings as config
from tests.conftest import SETTINGS, VALID_ANSWERS
from tests.system.stack import (
    Respondent,
    Stack,
    assert_all_counted_once,
    stored_and_counted,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(database_url, redis_server, demo_survey, tmp_path):
    s = Stack(database_url, redis_server.url, tmp_path)
    yield s
    s.stop()


def _non_json_lines(log: str) -> list[str]:
    bad = []
    for line in log.splitlines():
        try:
            json.loads(line)
        except ValueError:
            bad.append(line)
    return bad


def test_redis_stopped_during_a_stream_and_started_again(stack, redis_server, database_url,
                                                        demo_survey):
    stack.web()
    stack.worker()
    stack.cron()
    respondent = Respondent(stack.base, demo_survey)
    acknowledged = 0
    for i in range(45):
        if i == 15:
            redis_server.stop()  # queued jobs and the debounce flag are lost with it
        if i == 30:
            redis_server.start()
        form = respondent.open_form()
        resp = respondent.post(form)
        # Redis down never costs a respondent their answer: no error, no resend needed.
        assert resp.status_code == 303, resp.text[:300]
        acknowledged += 1
    # The worker reconnects, the cron sweep finds the responses whose fold was never scheduled.
    assert_all_counted_once(database_url, acknowledged)
    for proc in stack.procs:
        log = proc.output()
        # JSON lines only (a worker's traceback, when it lost Redis, is a field of one), and
        # no answer text in any of them.
        assert not _non_json_lines(log), (proc.name, _non_json_lines(log)[:20])
        assert VALID_ANSWERS["comment"] not in log
    web_records = [json.loads(line) for line in stack.procs[0].output().splitlines()]
    assert not [r for r in web_records if r["level"] in ("error", "critical")]
    assert sum(r.get("status") == 303 for r in web_records) == acknowledged
    assert all(r["request_id"] for r in web_records if r["logger"] == "webapp.request")


def test_worker_killed_mid_batch_is_retried_without_double_count(
        database_url, redis_server, demo_survey, tmp_path):
    # Small batches: many short transactions, so the kill lands inside a fold job that has
    # committed some batches and not others.
    stack = Stack(database_url, redis_server.url, tmp_path, PALAUTE_FOLD_BATCH_SIZE="1")
    try:
        stack.web()
        n = 150
        respondents = [Respondent(stack.base, demo_survey) for _ in range(3)]
        acks = [0] * len(respondents)

        def stream(i: int) -> None:
            for _ in range(n // len(respondents)):
                acks[i] += respondents[i].answer()

        threads = [threading.Thread(target=stream, args=(i,)) for i in range(len(respondents))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        acknowledged = sum(acks)
        assert acknowledged == n
        assert stored_and_counted(database_url) == (n, n, 0)

        worker = stack.worker("worker-1")
        wait_until(lambda: stored_and_counted(database_url)[1] <= n - 10, 30, 0.005,
                   "the worker to start folding")
        worker.kill(signal.SIGKILL)  # the worker and its work horse, mid-job
        _, pending, counted = stored_and_counted(database_url)
        assert 0 < pending < n and counted == n - pending, (pending, counted)

        # RQ notices the abandoned job once its heartbeat has expired (a minute or more): run
        # that same registry cleanup with the clock moved on instead of waiting.
        conn = redis.Redis.from_url(redis_server.url)
        registry = StartedJobRegistry(queue=queue.queue(conn))
        abandoned = registry.get_job_ids(cleanup=False)
        assert len(abandoned) == 1
        registry.cleanup(timestamp=time.time() + 3600)
        job = Job.fetch(abandoned[0], connection=conn)
        assert job.get_status() == "scheduled"  # RQ Retry: to run again after its interval

        # A new worker sweeps the outbox at start-up; the abandoned job, retried, finds nothing
        # left to claim or only what is still pending: nothing is counted twice.
        stack.worker("worker-2")
        stack.cron()
        assert_all_counted_once(database_url, acknowledged)
        # The killed worker's scheduler still holds RQ's scheduler lock for a minute; do what the
        # next scheduler will do then: move the due retry back to the queue. Worker 2 runs it.
        time.sleep(1.1)  # the first Retry interval
        scheduler = RQScheduler([queue.queue(conn)], connection=conn)
        scheduler.prepare_registries([config.QUEUE_NAME])
        scheduler.enqueue_scheduled_jobs()
        wait_until(lambda: job.get_status() == "finished", 30, 0.2, "the retried job to run")
        assert_all_counted_once(database_url, acknowledged)
    finally:
        stack.stop()


def test_worker_killed_inside_a_fold_transaction(database_url, redis_server, demo_survey,
                                                 tmp_path, client):
    """The fold is held inside its transaction (events claimed, aggregates not yet written)
    by a lock, and killed there: the claim rolls back, nothing is lost or counted twice."""
    if not database_url.startswith("postgresql"):
        pytest.skip("row-level lock waits need PostgreSQL (SQLite is covered by the test above)")
    from tests.conftest import submit

    for _ in range(20):
        assert submit(client, demo_survey).status_code == 303
    stack = Stack(database_url, redis_server.url, tmp_path, PALAUTE_FOLD_BATCH_SIZE="5")
    engine = create_engine(database_url)
    try:
        with engine.connect() as blocker:
            tx = blocker.begin()
            blocker.execute(text("LOCK TABLE aggregates IN EXCLUSIVE MODE"))
            worker = stack.worker()

            def fold_waiting() -> bool:
                with engine.connect() as c:
                    return bool(c.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND ltrim(query, E' \\n') ILIKE 'INSERT INTO aggregates%'")))

            wait_until(fold_waiting, 30, 0.05, "the fold to block inside its transaction")
            worker.kill(signal.SIGKILL)
            tx.rollback()
        # The dead worker's transaction is rolled back: its claimed events are pending again.
        wait_until(lambda: stored_and_counted(database_url) == (20, 20, 0), 30, 0.1,
                   "the killed fold to roll back")
        stack.worker("worker-2")
        assert_all_counted_once(database_url, 20)
    finally:
        stack.stop()
        engine.dispose()


# --- database unavailable ---------------------------------------------------------------------
class PostgresOutage:
    """A throwaway PostgreSQL database that stops accepting connections (and loses the open
    ones), as in a failover."""

    def __init__(self) -> None:
        base = SETTINGS.database_url
        self.name = f"palaute_outage_{uuid.uuid4().hex[:8]}"
        self.url = base.rsplit("/", 1)[0] + f"/{self.name}"
        self.admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))

    def begin(self) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = :n"), {"n": self.name})

    def end(self) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))

    def close(self) -> None:
        db.get_engine(self.url).dispose()
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


class SqliteOutage:
    """A SQLite database another process holds the write lock on: writes fail (after the busy
    timeout) while reads go on."""

    def __init__(self, tmp_path) -> None:
        self.path = tmp_path / "outage.db"
        self.url = f"sqlite:///{self.path}"
        self.conn: sqlite3.Connection | None = None

    def begin(self) -> None:
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        assert self.conn is not None
        self.conn.execute("ROLLBACK")
        self.conn.close()

    def close(self) -> None:
        db.get_engine(self.url).dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def outage(request, tmp_path, database_url):
    if request.param == "postgresql":
        if not database_url.startswith("postgresql"):
            pytest.skip("needs DATABASE_URL pointing to PostgreSQL (as in CI)")
        o = PostgresOutage()
    else:
        o = SqliteOutage(tmp_path)
    migrate.upgrade(o.url)
    with db.session_scope(o.url) as s:
        demo.seed(s)
    yield o
    o.close()


def _field(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html)
    assert m, f"{name} missing"
    return m.group(1)


def test_database_unavailable_gives_503_and_keeps_the_answers(outage, redis_server, tmp_path,
                                                             demo_survey):
    stack = Stack(outage.url, redis_server.url, tmp_path, PALAUTE_SQLITE_BUSY_TIMEOUT_S="1")
    try:
        stack.web(workers=1)
        stack.worker()
        respondent = Respondent(stack.base, demo_survey, lang="sv")
        form = respondent.open_form()
        form["comment"] = "Bra service, tack & hej <3"
        outage.begin()
        try:
            resp = respondent.post(form)
            assert resp.status_code == 503
            assert resp.headers["Retry-After"].isdigit()
            html = resp.text
            # Translated page in the respondent's language, the form again, answers in it.
            assert '<html lang="sv">' in html
            assert 'class="error-summary"' in html
            assert "Bra service, tack &amp; hej &lt;3</textarea>" in html
            assert re.search(r'value="dental" checked', html)
            assert re.search(r'<option value="17" selected>', html)
            # Same one-time token: if the failed commit had landed, a resend is a replay.
            assert _field(html, "submission_token") == form["submission_token"]
            assert stack.procs[0].process.poll() is None
        finally:
            outage.end()
        assert stored_and_counted(outage.url) == (0, 0, 0)  # nothing half-written

        resend = {**form, "csrf_token": unescape(_field(html, "csrf_token"))}
        assert respondent.post(resend).status_code == 303
        assert respondent.post(resend).status_code == 303  # a double click: stored once
        assert_all_counted_once(outage.url, 1)
    finally:
        stack.stop()


def test_database_unavailable_json_api_and_health(outage, redis_server, tmp_path, demo_survey):
    if isinstance(outage, SqliteOutage):
        pytest.skip("SQLite reads go on under a write lock")
    stack = Stack(outage.url, redis_server.url, tmp_path)
    try:
        stack.web(workers=1)
        outage.begin()
        try:
            api = requests.get(f"{stack.base}/api/v1/surveys/{demo_survey}/results", timeout=10)
            assert api.status_code == 503 and api.headers["Retry-After"].isdigit()
            assert api.json()["error"] == "Service Unavailable"
            page = requests.get(f"{stack.base}/en/", timeout=10)
            assert page.status_code == 503 and '<html lang="en">' in page.text
            assert requests.get(f"{stack.base}/healthz", timeout=10).status_code == 503
        finally:
            outage.end()
        assert requests.get(f"{stack.base}/healthz", timeout=10).status_code == 200
    finally:
        stack.stop()


# --- web workers restarted --------------------------------------------------------------------
def _write_lock(database_url: str):
    """Hold the database's write lock: a POST then waits inside its transaction."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")

        def release_sqlite() -> None:
            conn.execute("ROLLBACK")
            conn.close()

        return release_sqlite
    engine = create_engine(database_url)
    conn = engine.connect()
    tx = conn.begin()
    conn.execute(text("LOCK TABLE submission_receipts IN EXCLUSIVE MODE"))

    def release() -> None:
        tx.rollback()
        conn.close()
        engine.dispose()

    return release


def _wait_for_blocked_post(database_url: str) -> None:
    """Until the POST is inside its transaction, waiting for the lock the test holds."""
    if database_url.startswith("sqlite"):
        time.sleep(2)  # well within the 10 s busy timeout the POST waits for
        return
    engine = create_engine(database_url)
    try:
        def blocked() -> bool:
            with engine.connect() as c:
                return bool(c.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE '%INSERT INTO submission_receipts%' "
                    "AND pid <> pg_backend_pid()")))

        wait_until(blocked, 30, 0.05, "the POST to wait inside its transaction")
    finally:
        engine.dispose()


def test_web_worker_killed_mid_request_and_restarted(stack, database_url, demo_survey):
    web = stack.web(workers=2)
    stack.worker()
    stack.cron()

    # 1. A worker killed while a POST is inside its transaction: the respondent gets no answer,
    #    sends again, and the response is stored once.
    respondent = Respondent(stack.base, demo_survey)
    form = respondent.open_form()
    release = _write_lock(database_url)
    result: dict[str, object] = {}

    def post() -> None:
        try:
            result["status"] = respondent.post(form).status_code
        except requests.RequestException as exc:
            result["error"] = exc

    try:
        t = threading.Thread(target=post)
        t.start()
        _wait_for_blocked_post(database_url)
        for pid in web.children():
            os.kill(pid, signal.SIGKILL)
        t.join(30)
    finally:
        release()
    assert "error" in result or result.get("status", 0) >= 500, result
    wait_until(lambda: len(web.children()) == 2, 30, 0.1, "gunicorn to replace its workers")
    assert respondent.post(form).status_code == 303
    acknowledged = 1

    # 2. A stream of respondents while workers are killed and the whole pool reloaded (HUP).
    respondents = [Respondent(stack.base, demo_survey) for _ in range(3)]
    acks = [0] * 3

    def stream(i: int) -> None:
        for _ in range(20):
            acks[i] += respondents[i].answer()

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    wait_until(web.children, 10, 0.05, "gunicorn workers")
    os.kill(web.children()[0], signal.SIGKILL)
    time.sleep(0.7)
    os.kill(web.pid, signal.SIGHUP)
    time.sleep(0.7)
    wait_until(web.children, 10, 0.05, "gunicorn workers")
    os.kill(web.children()[-1], signal.SIGTERM)
    for t in threads:
        t.join(120)
    assert acks == [20, 20, 20]
    acknowledged += sum(acks)
    assert_all_counted_once(database_url, acknowledged)
    assert web.process.poll() is None
