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
        held = aggregation._claim_batch(session, 1, only=uuid.UUID(response_id))
        if not held:
            return 0
        rows = [h.row for h in held]
        definitions = aggregation._definitions(session, {r.survey_id for r in rows})
        aggregation._upsert(session, aggregation.count_rows(rows, definitions))
        aggregation.place(session, held)
        return 1


class PreloadedWorker(Worker):
    """RQ's default forking worker, with this module imported before it forks: the
    one-job-per-response design gets its best case, not a fresh import in every work horse."""
