"""Jobs run by `rq worker`. Each is idempotent: running it twice has the effect of running once."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, date, datetime

from rq import get_current_job

from surveys import aggregation, db, events, retention

log = logging.getLogger(__name__)


def _batch_size() -> int:
    # Smaller batches shorten each transaction (and what a killed worker has to redo).
    return int(os.environ.get("PALAUTE_FOLD_BATCH_SIZE", aggregation.DEFAULT_BATCH_SIZE))


# A fold job waits until it is this old before it starts claiming. Submissions meanwhile find
# the fold already scheduled and enqueue nothing, so under load one job folds half a second of
# responses instead of each job forking a work horse for a handful (the benchmark measured ~13
# jobs/s taking CPU from the web tier on two cores). Costs at most this much freshness.
FOLD_COALESCE_S = 0.5


def _wait_to_coalesce(job) -> None:
    enqueued = job.enqueued_at
    if enqueued is None:
        return
    if enqueued.tzinfo is None:  # RQ stores UTC
        enqueued = enqueued.replace(tzinfo=UTC)
    age = (datetime.now(UTC) - enqueued).total_seconds()
    if 0 <= age < FOLD_COALESCE_S:
        time.sleep(FOLD_COALESCE_S - age)


def fold_pending(batch_size: int | None = None) -> int:
    """Fold every pending response into the aggregates. Returns how many were folded."""
    batch_size = batch_size or _batch_size()
    job = get_current_job()
    if job is not None:
        _wait_to_coalesce(job)
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


def purge_expired(today: str | None = None) -> dict[str, int]:
    """Daily: delete raw responses past their survey's retention period (aggregates stay)."""
    day = date.fromisoformat(today) if today else date.today()
    deleted = retention.purge_expired(db.new_session, day)
    for slug, n in deleted.items():
        log.info("retention: deleted raw responses", extra={"survey": slug, "deleted": n})
    return deleted
