"""Jobs run by `rq worker`. Each is idempotent: running it twice has the effect of running once."""

from __future__ import annotations

import logging

from rq import get_current_job

from surveys import aggregation, db, events

log = logging.getLogger(__name__)


def fold_pending(batch_size: int = aggregation.DEFAULT_BATCH_SIZE) -> int:
    """Fold every pending response into the aggregates. Returns how many were folded."""
    job = get_current_job()
    if job is not None:
        # Cleared before claiming: a response committed from now on schedules a new job.
        job.connection.delete(events.FOLD_SCHEDULED_KEY)
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
