"""The audit log: every admin action and every sign-in attempt, append-only.

`record` is the only writer; there is no update path, and the one delete is `purge_expired`
(retention, Settings.audit_retention_days), which on PostgreSQL must say so to the trigger of
migration 0010_accounts (`SET LOCAL palaute.audit_purge = 'on'`): any other UPDATE or DELETE of
the table is refused by the database. An event names who (account id, or the keyed hash of
the e-mail address tried), what, when, which object and from which client address; never a
survey answer, never a password.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from surveys.infra.spreadsheet import csv_text
from surveys.models import AuditEvent

CSV_COLUMNS = ("id", "at", "via", "actor_user_id", "actor_email_hash", "action", "outcome",
               "object_kind", "object_id", "client_address")


def record(session: Session, *, action: str, outcome: str = "ok", at: datetime,
           via: str = "web", user_id: int | None = None, email_hash: str | None = None,
           object_kind: str | None = None, object_id: str | None = None,
           client_address: str | None = None) -> AuditEvent:
    event = AuditEvent(at=at, via=via, actor_user_id=user_id, actor_email_hash=email_hash,
                       action=action, outcome=outcome, object_kind=object_kind,
                       object_id=(object_id or None) and object_id[:200],
                       client_address=(client_address or None) and client_address[:64])
    session.add(event)
    session.flush()
    return event


def latest(session: Session, limit: int = 200, offset: int = 0) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())
                                .offset(offset).limit(limit)))


def all_events(session: Session) -> Iterable[AuditEvent]:
    return session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(
        yield_per=1000))


def csv_lines(events: Iterable[AuditEvent]) -> Iterable[str]:
    """The events as CSV, header first, one line at a time (for a streamed download)."""
    buf = io.StringIO()
    writer = csv.writer(buf)

    def flush() -> str:
        value = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for e in events:
        row = [e.id, e.at.isoformat(), e.via, e.actor_user_id, e.actor_email_hash, e.action,
               e.outcome, e.object_kind, e.object_id, e.client_address]
        writer.writerow([csv_text(v) for v in row])
        yield flush()


def allow_purge(session: Session) -> None:
    """Tell the PostgreSQL trigger that this transaction is the retention purge."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL palaute.audit_purge = 'on'"))


def purge_expired(session: Session, now: datetime, retention_days: int) -> int:
    """Delete events older than `retention_days`. The only delete of the audit log."""
    allow_purge(session)
    result = session.execute(delete(AuditEvent)
                             .where(AuditEvent.at < now - timedelta(days=retention_days)))
    return result.rowcount or 0
