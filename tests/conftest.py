"""Test fixtures: a real database (DATABASE_URL, else a fresh SQLite file) and a real Redis
(REDIS_URL, else an embedded server the tests start)."""

from __future__ import annotations

import os
import re
import socket
import tempfile
from pathlib import Path

# Point the instance folder (secret key, SQLite file, embedded Redis) at a temporary place
# before any project module reads it.
_TMP = Path(tempfile.mkdtemp(prefix="palaute-tests-"))
os.environ["PALAUTE_INSTANCE_DIR"] = str(_TMP / "instance")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'test.db'}")

import pytest  # noqa: E402
from sqlalchemy import delete, text  # noqa: E402

from surveys import config, db, migrate, snapshots  # noqa: E402
from surveys.embedded_redis import EmbeddedRedis  # noqa: E402
from surveys.models import (  # noqa: E402
    Aggregate,
    OutboxEvent,
    Response,
    SubmissionReceipt,
    Survey,
)

DATA_TABLES = (OutboxEvent, Aggregate, Response, SubmissionReceipt, Survey)


def _reset_postgres(url: str) -> None:
    engine = db.get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> str:
    url = config.database_url()
    if url.startswith("postgresql"):
        _reset_postgres(url)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(_TMP / "redis")
    url = server.start()
    os.environ["REDIS_URL"] = url
    yield url
    server.stop()


@pytest.fixture
def redis_conn(redis_url):
    from surveys import events

    conn = events.connect(redis_url)
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
        # Core DELETEs bypass the ORM events that forget a changed survey's kept snapshot, and
        # the next test reuses the slugs: a server process would see the change within
        # snapshots.MAX_AGE_S, a test must not wait for it.
        snapshots.forget()


@pytest.fixture
def session(session_factory):
    s = session_factory()
    yield s
    s.close()


@pytest.fixture
def app(database_url, redis_url, redis_conn):
    from webapp import create_app

    return create_app({"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": redis_url})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_survey(database_url):
    from surveys import demo

    with db.session_scope(database_url) as s:
        demo.seed(s)
    return "asiakaskokemus-2026"


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


def run_worker(conn) -> None:
    """Run the RQ queue to empty in this process, with the real Redis."""
    from rq import SimpleWorker

    from surveys import events

    SimpleWorker([events.queue(conn)], connection=conn).work(burst=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
