"""`palaute retention`: delete raw responses past their retention period."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from surveys.accounts import audit
from surveys.fold import retention
from surveys.infra import clock, db

from ..extensions import settings


@click.group("retention", cls=AppGroup)
def group() -> None:
    """Deletion of raw responses past their survey's retention period."""


@group.command("purge")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this date (YYYY-MM-DD).")
def retention_purge(today) -> None:
    """Delete raw responses (and free text) past retention now; aggregates are kept. Also
    deletes audit events older than AUDIT_RETENTION_DAYS."""
    day = today.date() if today else clock.today()
    deleted = retention.purge_expired(lambda: db.new_session(settings()), day)
    for slug, n in sorted(deleted.items()):
        click.echo(f"{slug}: deleted {n} raw responses")
    click.echo(f"retention purge done ({sum(deleted.values())} responses deleted)")
    moment = datetime.combine(day, datetime.min.time(), UTC) if today else datetime.now(UTC)
    with db.session_scope(settings()) as session:
        events = audit.purge_expired(session, moment, settings().audit_retention_days)
    click.echo(f"audit log: deleted {events} events older than "
               f"{settings().audit_retention_days} days")
