"""Store a checked response: receipt and held response in one transaction.

The response goes only into the holding table (`pending_responses`, which is also the outbox);
the fold moves it into `responses` in a shuffled batch (surveys/fold/aggregation.py), so nothing
in permanent storage follows the order in which responses arrived.

The one documented exception to "the edge owns the transaction": `store_response` commits
itself, because on PostgreSQL the guard, the receipt and the held response are a single
statement and nothing else may share that transaction (docs/architecture.md).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import Date, Integer, Uuid, bindparam, insert, text
from sqlalchemy.orm import Session

from surveys.infra import clock
from surveys.models import PendingResponse

from . import pii
from .answers import Checked

RECEIPT_DAYS = 3


def scrub_answers(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with personal data removed from every free-text answer."""
    text_ids = {q["id"] for q in definition["questions"] if q["type"] == "text"}
    return {qid: pii.scrub(v) if qid in text_ids and isinstance(v, str) else v
            for qid, v in answers.items()}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SurveyChanged(Exception):
    """The survey was closed or revised after the response was validated: nothing was stored.
    Load the survey again (surveys.definitions.lookup.visible, fresh) and decide again."""


# The guard every way of storing a response checks in its own transaction.
_OPEN_AT_REVISION = "id = :survey_id AND revision = :revision AND status = 'published'"
# One statement on PostgreSQL: guard, receipt and held response in a single round trip.
# The guard is the survey still published at the revision the answers were checked against; the
# receipt is the one-time token (a conflict means a replay); each INSERT feeds the next, so a
# failed guard or a replay stores nothing. Returns (survey still open, rows stored).
_STORE_PG = text(f"""
WITH open_survey AS (
    SELECT id FROM surveys WHERE {_OPEN_AT_REVISION}),
receipt AS (
    INSERT INTO submission_receipts (token_hash, expires_on)
    SELECT :token_hash, :expires_on FROM open_survey
    ON CONFLICT DO NOTHING
    RETURNING 1),
held AS (
    INSERT INTO pending_responses (id, survey_id, region_code, lang, submitted_on, answers,
                                   unit_id)
    SELECT :response_id, :survey_id, :region_code, :lang, :submitted_on, :answers, :unit_id
    FROM receipt
    RETURNING 1)
SELECT (SELECT count(*) FROM open_survey) AS open, (SELECT count(*) FROM held) AS stored
""")
# SQLite: the guarded receipt first (its upsert needs the WHERE), then the held response.
_RECEIPT_SQLITE = text(f"""
INSERT INTO submission_receipts (token_hash, expires_on)
SELECT :token_hash, :expires_on WHERE EXISTS (SELECT 1 FROM surveys WHERE {_OPEN_AT_REVISION})
ON CONFLICT DO NOTHING
""")
_STILL_OPEN = text(f"SELECT 1 FROM surveys WHERE {_OPEN_AT_REVISION}")
_TYPES = (bindparam("response_id", type_=Uuid()), bindparam("submitted_on", type_=Date()),
          bindparam("unit_id", type_=Integer()),  # staff surveys (0014_staff)
          bindparam("expires_on", type_=Date()),
          bindparam("answers", type_=PendingResponse.__table__.c.answers.type))
_STORE_PG = _STORE_PG.bindparams(*_TYPES)
# Built once: a statement built per call (.values()) cost a fifth of store_response on SQLite.
_INSERT_HELD = insert(PendingResponse.__table__)
_RECEIPT_SQLITE = _RECEIPT_SQLITE.bindparams(bindparam("expires_on", type_=Date()))


class _SurveyLike(Protocol):
    id: int
    revision: int
    definition: dict[str, Any]


def store_response(session: Session, survey: _SurveyLike, lang: str, checked: Checked,
                   token: str, today: date | None = None, unit_id: int | None = None) -> bool:
    """Store a valid response (held for the fold) and its receipt in one transaction, commit.

    Returns False (storing nothing) when this form's token was already used: a double click or
    a replayed POST. The receipt is not linked to the response, so it can't identify it.
    Raises SurveyChanged (storing nothing) unless the survey is still published at
    `survey.revision`, checked inside the same transaction, so `survey` may be a kept snapshot.
    Free text is scrubbed of personal data here, so no caller can store the original.
    `unit_id` (staff surveys, surveys.staff): the unit of the invitation, never the invitation;
    the caller may have spent the invitation in `session` first: it is committed with the
    response or rolled back with it.
    """
    assert checked.ok and checked.region
    today = today or clock.today()
    params = {
        "survey_id": survey.id, "revision": survey.revision, "token_hash": token_hash(token),
        "expires_on": today + timedelta(days=RECEIPT_DAYS),
        "response_id": uuid.uuid4(),  # random, so ids reveal nothing about submission order
        "region_code": checked.region, "lang": lang, "submitted_on": today,
        "answers": scrub_answers(survey.definition, checked.answers),
        "unit_id": unit_id,  # staff surveys (0014_staff)
    }
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        still_open, stored = conn.execute(_STORE_PG, params).one()
    else:
        stored = conn.execute(_RECEIPT_SQLITE, params).rowcount
        still_open = stored or conn.execute(_STILL_OPEN, params).first() is not None
        if stored:
            conn.execute(_INSERT_HELD, {
                "id": params["response_id"], "survey_id": survey.id,
                "region_code": checked.region, "lang": lang, "submitted_on": today,
                "answers": params["answers"], "unit_id": unit_id})
    if not still_open:
        session.rollback()
        raise SurveyChanged(survey.id)
    if not stored:
        session.rollback()
        return False
    session.commit()
    return True
