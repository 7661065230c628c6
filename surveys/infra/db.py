"""Engine and session factory. One engine per process and database URL."""

from __future__ import annotations

import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .settings import Settings

PG_CONNECT_TIMEOUT_S = 5
# Defaults of Settings.sqlite_busy_timeout_s and Settings.db_idle_ping_s, for callers (tests,
# the benchmark) that hand in a bare URL.
SQLITE_BUSY_TIMEOUT_S = 10.0
IDLE_PING_S = 1.0

Target = Settings | str


def engine_for(target: Target) -> Engine:
    """The process's engine for these settings (or a bare database URL with default options)."""
    if isinstance(target, Settings):
        return get_engine(target.database_url, target.sqlite_busy_timeout_s,
                          target.db_idle_ping_s)
    return get_engine(target)


@lru_cache(maxsize=8)
def get_engine(url: str, sqlite_busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
               idle_ping_s: float = IDLE_PING_S) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: a database error must never write answers into a log.
        # The busy timeout: how long a write waits for a locked database before failing (503).
        engine = create_engine(url, hide_parameters=True,
                               connect_args={"timeout": sqlite_busy_timeout_s,
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
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_timeout=10,
                           hide_parameters=True,
                           connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
    _ping_idle_connections(engine, idle_ping_s)
    return engine


def _ping_idle_connections(engine: Engine, idle_ping_s: float) -> None:
    """Pessimistic disconnect handling, minus a round trip per request.

    SQLAlchemy's pool_pre_ping pings every connection at every checkout: one more statement per
    request, for the web process and for the database server (docs/performance.md). Here a
    connection is pinged only if it rested in the pool for `idle_ping_s` or more, or if the server
    has sent it something while it was idle (its socket is readable: a backend terminated by a
    restart, a failover or an administrator says so before it closes); a dead one is replaced by
    the pool (DisconnectionError from a checkout listener). Checking the socket is one
    non-blocking poll(). What it can't see is a connection lost without a word (a network
    path gone) while in constant use: that request fails with 503 (a respondent's answers are
    kept: webapp.respond.unavailable), and SQLAlchemy then invalidates the whole pool.
    """

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn, record) -> None:
        record.info["rested_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _rest(_dbapi_conn, record) -> None:
        if record is not None:
            record.info["rested_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_rested_or_told(dbapi_conn, record, _proxy) -> None:
        rested = time.monotonic() - record.info.get("rested_since", 0.0) >= idle_ping_s
        if not rested and not _has_unread_data(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure means "don't use this one"
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


def _has_unread_data(dbapi_conn) -> bool:
    """Has the server written to this idle connection (or closed it)?"""
    try:
        poller = select.poll()  # not select(): no limit on the descriptor's number
        poller.register(dbapi_conn.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):  # already closed on our side
        return True


_FACTORIES: dict[Engine, sessionmaker[Session]] = {}


def new_session(target: Target) -> Session:
    engine = engine_for(target)
    factory = _FACTORIES.get(engine)
    if factory is None:
        factory = _FACTORIES[engine] = sessionmaker(engine, expire_on_commit=False)
    return factory()


@contextmanager
def session_scope(target: Target) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error: what an edge
    (a CLI command, a job) uses to own its transaction."""
    session = new_session(target)
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


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """`session.begin_nested()` that is a savepoint on SQLite too. Python's sqlite3 (legacy
    transaction control) begins a transaction only before a write statement, and SQLite treats
    a SAVEPOINT outside a transaction as the transaction itself: releasing it commits, so what
    it holds would stay even if the edge then rolled back. BEGIN first where none is open."""
    if is_sqlite(session):
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("BEGIN")
    with session.begin_nested():
        yield


def hold(session: Session, lock: int, key: int) -> None:
    """Hold, until the transaction ends, the lock named (`lock`, `key`): another transaction
    taking it waits for this one to end, and then reads what it committed. PostgreSQL: a
    transaction-level advisory lock (no row of the tables is written, so none carries this
    transaction's id). SQLite: the database's write lock (BEGIN IMMEDIATE where no
    transaction is open; a transaction open under Python's legacy control has written, so
    holds it), which serialises every writer, not only those of this name."""
    if is_sqlite(session):
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # busy past the timeout: as SQLAlchemy says
                raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:lock, :key)"),
                    {"lock": lock, "key": key})


def add_unless_taken(session: Session, row: object) -> bool:
    """Add and flush `row` under a savepoint: False, and nothing added, if a unique constraint
    refuses it (another transaction stored the same key; on PostgreSQL after waiting for it to
    end). How a second writer at the same moment finds its place taken."""
    try:
        with savepoint(session):
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def vacuum(target: Target, table: str) -> None:
    """PostgreSQL: VACUUM `table` now (outside a transaction, as VACUUM must run), so the row
    versions a rewrite left behind no longer stand in its pages with their transaction ids
    (surveys.staff.invitations.settle_marks). Nothing on SQLite."""
    engine = engine_for(target)
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'VACUUM "{table}"')
