"""Engine and session factory. One engine per process and database URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from . import config

# How long a write waits for a locked SQLite database before failing (then: 503, send again).
SQLITE_BUSY_TIMEOUT_S = float(os.environ.get("PALAUTE_SQLITE_BUSY_TIMEOUT_S", "10"))
PG_CONNECT_TIMEOUT_S = 5

@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = url or config.database_url()
    if url.startswith("sqlite"):
        # hide_parameters: a database error must never write answers into a log.
        engine = create_engine(url, hide_parameters=True,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S,
                                             "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            # WAL lets the web tier read while a worker folds; FKs are off by default in SQLite.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # A database that doesn't answer fails the request fast (503) instead of hanging a worker.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         pool_timeout=10, hide_parameters=True,
                         connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})


@lru_cache(maxsize=8)
def _factory(url: str | None) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


def new_session(url: str | None = None) -> Session:
    return _factory(url or config.database_url())()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    session = new_session(url)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
