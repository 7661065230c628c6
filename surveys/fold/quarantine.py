"""Quarantine (dead letters): stored responses the fold could not count.

A response whose answers the fold cannot count (answers that are not a mapping, a multi answer
that is not a list, a value too long for an option, a survey definition without a question's
type, a value the database refuses) is moved from the holding table (or, found by a rebuild,
from `responses`) to `quarantined_responses`, with its answers, in the fold's own transaction
(surveys.fold.aggregation.fold_batch), so that one bad row never stops the others. `palaute
aggregates verify` fails while any are left and `palaute aggregates quarantine` lists them and,
once their cause is fixed, moves them back to the holding table to be folded again (`requeue`).

What is recorded names the failure, never an answer: the exception's type and either our own
description (`Unfoldable`: the question id and what is wrong) or where in the code it was raised
(a Python exception's message may quote a value), or the database's error code (its message may
quote a value). No time finer than the day (surveys.models.QuarantinedResponse).
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from surveys.infra import clock
from surveys.models import PendingResponse, QuarantinedResponse, Response, Survey

ERROR_TYPE_MAX = 100
ERROR_MAX = 500


class Unfoldable(ValueError):
    """A stored response the fold cannot count. Its message names the question and the
    reason, never an answer (it is stored and shown to operators)."""


# Errors of the database that a row's own values cause (a value too long, out of range, a
# refused constraint): the row is quarantined. Any other database error (a lost connection, a
# deadlock, a timeout) is not the row's fault: the whole transaction rolls back and is retried.
ROW_DATABASE_ERRORS = (DataError, IntegrityError)


def is_row_fault(exc: BaseException) -> bool:
    """Is `exc`, raised while counting one response, that response's fault (quarantine it)
    rather than the system's (roll back and retry)?"""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, ROW_DATABASE_ERRORS)
    return isinstance(exc, Exception) and not isinstance(exc, MemoryError | RecursionError)


def describe(exc: BaseException) -> tuple[str, str]:
    """(error type, message) of a fold failure, holding no answer content."""
    if isinstance(exc, Unfoldable):
        return "Unfoldable", str(exc)[:ERROR_MAX]
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        return (type(orig).__name__[:ERROR_TYPE_MAX],
                f"the database refused the counts ({type(exc).__name__}, code {code})")
    frames = traceback.extract_tb(exc.__traceback__)
    where = (f"raised at {Path(frames[-1].filename).name}:{frames[-1].lineno} "
             f"in {frames[-1].name}") if frames else "raised"
    return type(exc).__name__[:ERROR_TYPE_MAX], where[:ERROR_MAX]


class Failed(NamedTuple):
    response_id: Any
    survey_id: int
    exc: BaseException
    # The response (surveys.fold.aggregation.Row): kept with its error until requeued.
    row: Any
    # Its unit (staff surveys), kept with it.
    unit_id: int | None = None


def add(session: Session, failed: Sequence[Failed], today: date | None = None) -> None:
    """Quarantine these responses: out of the holding table (claimed by the fold) or out of
    `responses` (found by a rebuild), into the quarantine with their error. Flushes only."""
    if not failed:
        return
    day = today or clock.today()
    ids = [f.response_id for f in failed]
    conn = session.connection()
    for source in (PendingResponse, Response):
        conn.execute(delete(source).where(source.id.in_(ids)))
    conn.execute(delete(QuarantinedResponse).where(QuarantinedResponse.response_id.in_(ids)))
    rows = []
    # Sorted by the random id: the order of insertion says nothing about arrival.
    for f in sorted(failed, key=lambda f: str(f.response_id)):
        error_type, error = describe(f.exc)
        rows.append({"response_id": f.response_id, "survey_id": f.survey_id,
                     "region_code": f.row.region_code, "lang": f.row.lang,
                     "submitted_on": f.row.submitted_on, "answers": f.row.answers,
                     "unit_id": f.unit_id,
                     "error_type": error_type, "error": error, "quarantined_on": day})
    conn.execute(insert(QuarantinedResponse), rows)


def quarantined_ids():
    """A subquery of the quarantined responses' ids (kept out of recounts and rebuilds)."""
    return select(QuarantinedResponse.response_id)


def counts_by_survey(session: Session, survey_ids: Iterable[int] | None = None
                     ) -> dict[str, int]:
    """{survey slug: responses quarantined}, surveys with none left out."""
    stmt = (select(Survey.slug, func.count()).select_from(QuarantinedResponse)
            .join(Survey, Survey.id == QuarantinedResponse.survey_id)
            .group_by(Survey.slug).order_by(Survey.slug))
    if survey_ids is not None:
        stmt = stmt.where(QuarantinedResponse.survey_id.in_(list(survey_ids)))
    return {slug: n for slug, n in session.execute(stmt)}


class Entry(NamedTuple):
    response_id: uuid.UUID
    survey: str
    error_type: str
    error: str
    quarantined_on: date


def listing(session: Session, slug: str | None = None) -> list[Entry]:
    """Every quarantined response (by survey, then id: an order that says nothing of arrival)."""
    stmt = (select(QuarantinedResponse.response_id, Survey.slug, QuarantinedResponse.error_type,
                   QuarantinedResponse.error, QuarantinedResponse.quarantined_on)
            .select_from(QuarantinedResponse)
            .join(Survey, Survey.id == QuarantinedResponse.survey_id)
            .order_by(Survey.slug, QuarantinedResponse.response_id))
    if slug is not None:
        stmt = stmt.where(Survey.slug == slug)
    return [Entry(*r) for r in session.execute(stmt)]


def requeue(session: Session, response_ids: Iterable[Any] | None = None) -> int:
    """Move these quarantined responses (None: all) back to the holding table, not yet folded,
    for another fold. Returns how many. Flushes only: the caller commits."""
    stmt = select(QuarantinedResponse)
    if response_ids is not None:
        stmt = stmt.where(QuarantinedResponse.response_id.in_(list(response_ids)))
    # Sorted by the random id: the order of insertion says nothing about arrival.
    entries = sorted(session.scalars(stmt), key=lambda q: str(q.response_id))
    if not entries:
        return 0
    ids = [q.response_id for q in entries]
    values = [{"id": q.response_id, "survey_id": q.survey_id, "region_code": q.region_code,
               "lang": q.lang, "submitted_on": q.submitted_on, "answers": q.answers,
               "unit_id": q.unit_id, "folded": False} for q in entries]
    session.execute(delete(QuarantinedResponse).where(QuarantinedResponse.response_id.in_(ids)))
    session.execute(insert(PendingResponse), values)
    session.flush()
    return len(ids)
