"""The one-job-per-response design, for the fold ratio: each RQ job folds exactly one response.

Same exactly-once machinery as the real fold (claim the held response, count, upsert, place it,
one transaction); the only difference is one job, one transaction and one response at a time.
"""

from __future__ import annotations

import uuid

from rq import Worker

from surveys.fold import aggregation
from surveys.infra import db
from surveys.infra.settings import Settings


def fold_one(response_id: str) -> int:
    with db.session_scope(Settings.from_env()) as session:
        claimed = aggregation._claim_batch(session, 1, only=uuid.UUID(response_id))
        if not claimed:
            return 0
        definitions = aggregation._definitions(session, {c[1] for c in claimed})
        counts, _ = aggregation._count_claimed(claimed, aggregation._parse(claimed),
                                               definitions)
        aggregation._upsert(session, counts)
        aggregation.place(session, claimed)
        return 1


class PreloadedWorker(Worker):
    """RQ's default forking worker, with this module imported before it forks: the
    one-job-per-response design gets its best case, not a fresh import in every work horse."""
