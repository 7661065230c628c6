"""Server-side sessions of signed-in administrators.

The browser's cookie carries a random id (256 bits); the table keeps its SHA-256 with the
account, the start and the last request. A session ends when its row is gone: logout,
deactivation, or a timeout (idle: no request for `idle`; absolute: `absolute` after sign-in,
however busy). Times come from the caller (a clock the tests can set).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.models import User, UserSession

# last_seen is written at most this often, not on every request.
TOUCH_EVERY = timedelta(seconds=60)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    # SQLite gives naive datetimes back; every stored time is UTC.
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


def start(session: Session, user: User, now: datetime) -> str:
    """A new session for `user`; returns the raw id for the cookie (never stored)."""
    raw = secrets.token_urlsafe(32)
    session.add(UserSession(id_hash=_hash(raw), user_id=user.id, created_at=now, last_seen=now))
    session.flush()
    return raw


def end(session: Session, raw: str | None) -> None:
    if raw:
        session.execute(delete(UserSession).where(UserSession.id_hash == _hash(raw)))


def resume(session: Session, raw: str | None, now: datetime,
           timeouts: Timeouts) -> tuple[User, UserSession] | None:
    """The active account of a live session, or None (unknown, ended, timed out: the row of a
    timed-out session is deleted). Records the request as the session's last one."""
    if not raw or len(raw) > 100:
        return None
    row = session.get(UserSession, _hash(raw))
    if row is None:
        return None
    created, seen = _aware(row.created_at), _aware(row.last_seen)
    user = session.get(User, row.user_id)
    if (user is None or not user.active or now - seen >= timeouts.idle
            or now - created >= timeouts.absolute):
        session.delete(row)
        session.flush()
        return None
    if now - seen >= TOUCH_EVERY:
        row.last_seen = now
        session.flush()
    return user, row


def purge_expired(session: Session, now: datetime, timeouts: Timeouts) -> int:
    """Delete sessions past either timeout (their cookies would be refused anyway)."""
    result = session.execute(delete(UserSession).where(
        (UserSession.last_seen <= now - timeouts.idle)
        | (UserSession.created_at <= now - timeouts.absolute)))
    return result.rowcount or 0


def count_for(session: Session, user_id: int) -> int:
    return len(session.scalars(select(UserSession.id_hash)
                               .where(UserSession.user_id == user_id)).all())
