"""The one-job-per-response design, for the fold ratio: each RQ job folds exactly one response.

Same exactly-once machinery as the real fold (claim the outbox row, count, upsert, one
transaction); the only difference is one job, one transaction and one response at a time.
"""

from __future__ import annotations

import uuid

from rq import Worker
from sqlalchemy import delete

from surveys import aggregation, db
from surveys.models import OutboxEvent


def fold_one(response_id: str) -> int:
    with db.session_scope() as session:
        claimed = session.scalars(
            delete(OutboxEvent).where(OutboxEvent.response_id == uuid.UUID(response_id))
            .returning(OutboxEvent.response_id)
        ).all()
        if not claimed:
            return 0
        rows = aggregation._load_rows(session, claimed)
        definitions = aggregation._definitions(session, {r.survey_id for r in rows})
        aggregation._upsert(session, aggregation.count_rows(rows, definitions))
        return 1


class PreloadedWorker(Worker):
    """RQ's default forking worker, with this module imported before it forks: the
    one-job-per-response design gets its best case, not a fresh import in every work horse."""
