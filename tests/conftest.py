"""Test fixtures: a real database (DATABASE_URL, else a fresh SQLite file) and a real Redis
(REDIS_URL, else an embedded server the tests start).

The tests build their own Settings (surveys.infra.settings) from what the environment gives
(DATABASE_URL, REDIS_URL) plus a temporary instance folder, and hand it to the app, the CLI
(`cli_runner`) and the worker context; child processes get it as `TEST_ENV`. Nothing here
writes to os.environ.

Tiers, by folder (each gets its marker): tests/unit (no database, no Redis: seconds),
tests/integration (a real database and Redis), tests/system (real processes: gunicorn, RQ
workers, the benchmark), tests/browser (a real Chromium). `pytest -m unit` runs the fast tier.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import logging
import os
import re
import socket
import tempfile
from datetime import date
from pathlib import Path

import hypothesis
import pytest
from sqlalchemy import delete, text

from surveys.definitions import lookup
from surveys.infra import db, logs, migrate
from surveys.infra.embedded_redis import EmbeddedRedis
from surveys.infra.mail import DevMailServer
from surveys.infra.settings import Settings
from surveys.models import (
    AccessibilityFeedback,
    AccountLink,
    Aggregate,
    AnalystGrant,
    ApiToken,
    AuditEvent,
    Invitation,
    InvitationMail,
    PendingResponse,
    QuarantinedResponse,
    Response,
    SubmissionReceipt,
    Survey,
    TranslationReport,
    TranslatorLink,
    Unit,
    UnitAggregate,
    UnitRelease,
    User,
    UserSession,
)

_TMP = Path(tempfile.mkdtemp(prefix="palaute-tests-"))
# The environment the tests' settings are built from: the outside world's database and Redis
# (CI points them at PostgreSQL and a Redis database of the tests' own), else a temporary SQLite
# file and an embedded Redis (set by the `redis_url` fixture).
TEST_ENV: dict[str, str] = {
    "PALAUTE_INSTANCE_DIR": str(_TMP / "instance"),
    "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}",
    "REDIS_URL": os.environ.get("REDIS_URL", ""),
    # Most tests read figures as folded; tests/integration/test_releases.py tests releases.
    "RESULTS_RELEASE": "live",
}
SETTINGS = Settings.from_env(TEST_ENV)

# CI (.ci/run) runs the property tests derandomized: the same examples on every run, so a red
# CI always means a change broke something, never that a new random example turned up. `make
# test` on a developer's machine keeps exploring with fresh examples (how the unanimity gap of
# tests/unit/test_audit.py was found); a failure prints the seed to reproduce it.
hypothesis.settings.register_profile("ci", derandomize=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))



def pytest_configure(config):
    # Cheaper argon2id for the suite (still the real argon2id): the defaults take a large part
    # of a second per hash on a shared CI machine, and the sign-in tests hash hundreds of times.
    # tests/unit/test_accounts.py checks the production parameters.
    from surveys.accounts import passwords

    passwords.use_cost(time_cost=1, memory_cost_kib=1024, parallelism=1)

DATA_TABLES = (QuarantinedResponse, PendingResponse, Aggregate, UnitAggregate, UnitRelease,
               Response,
               SubmissionReceipt,
               InvitationMail, Invitation, TranslatorLink, Survey, Unit, UserSession, AccountLink,
               ApiToken,
               AnalystGrant, User, TranslationReport, AccessibilityFeedback)
TIERS = ("unit", "integration", "system", "browser")


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).parent
    for item in items:
        parts = Path(item.fspath).relative_to(root).parts
        if parts and parts[0] in TIERS:
            item.add_marker(parts[0])
            if parts[0] == "unit":
                # The fast tier must not touch the database (and so not Redis either).
                item.add_marker(pytest.mark.usefixtures("_no_database"))


@pytest.fixture
def _no_database(request):
    for name in ("database_url", "redis_url"):
        if name in request.fixturenames:
            pytest.fail(f"a unit test may not use {name!r}: move it to tests/integration")


def _reset_postgres(url: str) -> None:
    engine = db.get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> str:
    url = SETTINGS.database_url
    if url.startswith("postgresql"):
        _reset_postgres(url)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url():
    if SETTINGS.redis_url:
        yield SETTINGS.redis_url
        return
    server = EmbeddedRedis(_TMP / "redis")
    url = server.start()
    TEST_ENV["REDIS_URL"] = url
    yield url
    server.stop()


@pytest.fixture(scope="session")
def settings(database_url, redis_url) -> Settings:
    """The tests' settings, with the database migrated and Redis running."""
    from workers import context

    built = SETTINGS.with_overrides(database_url=database_url, redis_url=redis_url)
    context.use(built)  # jobs run in this process (SimpleWorker) use the same
    return built


@pytest.fixture
def redis_conn(redis_url):
    from surveys.infra import queue

    conn = queue.connect(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def session_factory(database_url):
    def factory():
        return db.new_session(database_url)

    return factory


@pytest.fixture(autouse=True)
def clean_data(request):
    yield
    if "database_url" in request.fixturenames:
        with db.session_scope(request.getfixturevalue("database_url")) as session:
            for table in DATA_TABLES:
                session.execute(delete(table))
            # The audit log refuses deletes but the retention purge's (migration 0010).
            from surveys.accounts import audit

            audit.allow_purge(session)
            session.execute(delete(AuditEvent))
    if "redis_url" in request.fixturenames:
        # The results answers the web processes share: the next test's database may give its
        # release the same id and time (tests fix the clock).
        from surveys.infra import queue
        from webapp.results_cache import forget

        forget(queue.connect(request.getfixturevalue("redis_url")))
    reset_process_caches()


def reset_process_caches() -> None:
    """Every per-process cache, forgotten: the one place tests reset them.

    Core DELETEs bypass the ORM events that forget a changed survey's kept snapshot, and the
    next test reuses the slugs: a server process would see the change within
    Settings.survey_cache_s, a test must not wait for it.
    """
    from surveys.infra import bursts
    from surveys.report import results
    from surveys.report import units as unit_results
    from webapp.respond.form_cache import blank_forms
    from webapp.respond.views import _REGIONS
    from webapp.results_cache import kept as kept_results

    lookup.forget()
    bursts.forget()
    results.forget_cached_tables()
    unit_results.forget_cached()
    blank_forms.clear()
    kept_results.clear()
    _REGIONS.clear()


@pytest.fixture
def session(session_factory):
    s = session_factory()
    yield s
    s.close()


@pytest.fixture
def app(settings, redis_conn):
    from webapp import create_app

    return create_app(settings, {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli_runner(app):
    """Runs `palaute` commands (webapp.cli.main) against the test app and its settings."""
    return app.test_cli_runner()


@pytest.fixture
def count_queries(settings):
    """`with count_queries() as statements:` records every SQL statement the block runs on the
    tests' database (a guard on how much work a path does, not a timing test)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    engine = db.engine_for(settings)

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(_conn, _cursor, statement, _params, _context, _many):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def log_stream():
    """The JSON log lines the app writes (surveys.infra.logs), captured for a test."""
    stream = io.StringIO()
    logs.configure("web", stream=stream)
    yield stream
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_palaute_json", False):
            root.removeHandler(handler)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


class TestCli:
    """Like click's CliRunner, for `palaute` commands: each run gets an app built from the
    tests' settings (the way the real CLI builds one from the environment)."""

    def invoke(self, cli, args=None, **kwargs):
        from webapp import create_app

        current = SETTINGS.with_overrides(redis_url=TEST_ENV["REDIS_URL"])
        return create_app(current, {"TESTING": True}).test_cli_runner().invoke(cli, args,
                                                                                **kwargs)


@pytest.fixture
def demo_survey(database_url):
    from surveys.definitions import demo

    with db.session_scope(database_url) as s:
        demo.seed(s)
    return "asiakaskokemus-2026"


@pytest.fixture
def smtp(tmp_path, settings):
    """A real SMTP server in this process (the development one, writing each message to a
    file), and the workers' settings pointing at it."""
    from workers import context

    server = DevMailServer(tmp_path / "mail", port=free_port()).start()
    context.use(settings.with_overrides(smtp_host="127.0.0.1", smtp_port=server.port,
                                        mail_from="palaute@example.fi"))
    yield server
    context.use(settings)
    server.stop()


def mails(server) -> list[email.message.Message]:
    """The messages the `smtp` server received, parsed."""
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in server.messages()]


def form_tokens(html: str) -> dict[str, str]:
    tokens = {}
    for name in ("csrf_token", "submission_token"):
        m = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html)
        assert m, f"{name} missing from the form"
        tokens[name] = m.group(1)
    return tokens


VALID_ANSWERS = {
    "region": "17",
    "recommend": "9",
    "service": "dental",
    "got_help": "4",
    "channels": ["phone", "online"],
    "age": "42",
    "comment": "Hyvää palvelua.",
}


def submit(client, slug: str, lang: str = "fi", answers: dict | None = None):
    page = client.get(f"/{lang}/s/{slug}")
    assert page.status_code == 200
    data = {**form_tokens(page.get_data(as_text=True)), **(answers or VALID_ANSWERS)}
    return client.post(f"/{lang}/s/{slug}", data=data)


def run_worker(conn, names=None) -> None:
    """Run the RQ queues `names` (None: every queue, surveys.infra.queue.QUEUE_NAMES) to empty
    in this process, with the real Redis."""
    from rq import SimpleWorker

    from surveys.infra import queue

    queues = [queue.queue(conn, n) for n in (names or queue.QUEUE_NAMES)]
    SimpleWorker(queues, connection=conn).work(burst=True)


def demo_year_long(settings, slug: str) -> None:
    """`slug` open through 2026, where the release tests cut: the demo's period runs a year
    from the day it is seeded, and release pacing spreads its times over that
    (surveys.report.pacing)."""
    from sqlalchemy import update

    from surveys.models import Survey

    with db.session_scope(settings) as s:
        s.execute(update(Survey).where(Survey.slug == slug)
                  .values(opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31)))


def at_once(target, first, second) -> dict[str, object]:
    """Two writers at the same moment: `first(session)` runs in one transaction (its writes
    flushed, not committed), then `second(session)` starts in a thread with another session
    and must still be running a second later (waiting for the first's locks); then the first
    commits, and the second commits once done. Returns {"first": what the first returned,
    "second": what the second returned, or "error": repr of what it raised (rolled back)}."""
    import threading

    one, other = db.new_session(target), db.new_session(target)
    outcome: dict[str, object] = {}

    def run_second() -> None:
        try:
            outcome["second"] = second(other)
            other.commit()
        except Exception as e:  # noqa: BLE001 - the caller asserts on what happened
            other.rollback()
            outcome["error"] = repr(e)

    try:
        outcome["first"] = first(one)
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), outcome  # waiting for the first's locks
        one.commit()
        thread.join(60)
        assert not thread.is_alive()
    finally:
        one.close()
        other.close()
    return outcome


def fold_concurrently(session_factory, batch_size: int, workers: int = 4) -> int:
    """`workers` threads fold at once (surveys.fold.aggregation.fold_pending); the total they
    folded. Raises the first error any of them met."""
    import threading

    from surveys.fold import aggregation

    totals: list[int] = []
    errors: list[BaseException] = []

    def fold():
        try:
            totals.append(aggregation.fold_pending(session_factory, batch_size=batch_size))
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=fold) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(totals)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ADMIN_PASSWORD = "korrekt-hevonen-paristo-niitti"


def make_user(database_url: str, email: str, role: str = "national_admin",
              password: str = ADMIN_PASSWORD, **kwargs) -> int:
    """An account straight in the database (the CLI's path is tested in test_accounts_cli)."""
    from surveys.accounts import users

    with db.session_scope(database_url) as s:
        return users.create(s, email, password, role, **kwargs).id


def admin_csrf(client, lang: str = "fi") -> str:
    """The CSRF token of an admin form (the login page's when signed out, else the home's)."""
    page = client.get(f"/{lang}/admin/login").get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, "csrf_token missing from the admin form"
    return m.group(1)


def sign_in(client, email: str, password: str = ADMIN_PASSWORD, lang: str = "fi"):
    return client.post(f"/{lang}/admin/login", data={
        "email": email, "password": password, "csrf_token": admin_csrf(client, lang)})


@pytest.fixture
def admin_client(app, database_url):
    """A test client signed in as a national admin."""
    make_user(database_url, "national@example.fi", "national_admin")
    client = app.test_client()
    assert sign_in(client, "national@example.fi").status_code == 303
    return client
