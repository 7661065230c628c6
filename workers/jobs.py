"""Jobs run by `rq worker`. Each is idempotent: running it twice has the effect of running once."""

from __future__ import annotations

import logging
import os
from datetime import date

from rq import get_current_job

from surveys import aggregation, db, events, retention

log = logging.getLogger(__name__)


def _batch_size() -> int:
    # Smaller batches shorten each transaction (and what a killed worker has to redo).
    return int(os.environ.get("PALAUTE_FOLD_BATCH_SIZE", aggregation.DEFAULT_BATCH_SIZE))


def fold_pending(batch_size: int | None = None) -> int:
    """Fold every pending response into the aggregates. Returns how many were folded."""
    batch_size = batch_size or _batch_size()
    job = get_current_job()
    if job is not None:
        # Waits until the fold has been scheduled for events.FOLD_COALESCE_S, then clears the
        # flag before claiming: a response committed from now on schedules a new job.
        events.clear_fold_flag(job.connection)
    folded = aggregation.fold_pending(db.new_session, batch_size)
    if folded:
        log.info("folded %d responses", folded)
    return folded


def sweep_outbox() -> int:
    """Periodic safety net: schedule a fold if responses are waiting (e.g. Redis was down)."""
    with db.session_scope() as session:
        pending = aggregation.pending_count(session)
    if pending:
        job = get_current_job()
        events.enqueue_fold(job.connection if job else events.connect())
    return pending


def purge_expired(today: str | None = None) -> dict[str, int]:
    """Daily: delete raw responses past their survey's retention period (aggregates stay)."""
    day = date.fromisoformat(today) if today else date.today()
    deleted = retention.purge_expired(db.new_session, day)
    for slug, n in deleted.items():
        log.info("retention: deleted raw responses", extra={"survey": slug, "deleted": n})
    return deleted
