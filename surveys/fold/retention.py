"""Retention of raw responses: deleted a survey's retention period after it closed.

Aggregates are kept (they hold no free text and suppress small groups). A response still waiting
in the holding table to be folded is folded first (and, its survey being closed, moved), and a
response whose fold has not committed is never deleted, so purging can't lose a count.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.models import (
    ENDED_STATUSES,
    CommentTag,
    PendingResponse,
    QuarantinedResponse,
    Response,
    SubmissionReceipt,
    Survey,
    UnitCutRefusal,
)
from surveys.staff import mailing

from . import aggregation


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day if it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expires_on(closed_on: date | None, retention_months: int) -> date | None:
    """First day on which raw responses are no longer kept; None while the survey is open."""
    return None if closed_on is None else add_months(closed_on, retention_months)


def purge_expired(session_factory: Callable[[], Session], today: date) -> dict[str, int]:
    """Delete raw responses past their retention date. Returns {survey slug: rows deleted}.

    Safe to run twice: a second run finds nothing left to delete.
    """
    aggregation.fold_pending(session_factory)
    deleted: dict[str, int] = {}
    with session_factory() as session:
        candidates = session.execute(
            select(Survey.id, Survey.slug, Survey.closed_on, Survey.retention_months)
            .where(Survey.status.in_(ENDED_STATUSES), Survey.closed_on.is_not(None))
        ).all()
    for survey_id, slug, closed_on, months in candidates:
        expiry = expires_on(closed_on, months)
        if expiry is None or today < expiry:
            continue
        with session_factory() as session, session.begin():
            # The survey's row first (the fold locks it before deleting folded rows: one
            # order), and so that two runs at once each add what they deleted below. FOR NO
            # KEY UPDATE, as the fold's own update of the row: a row inserted meanwhile that
            # refers to the survey (a response quarantined) need not wait for the purge.
            survey = session.get(Survey, survey_id, with_for_update={"key_share": True},
                                 populate_existing=True)
            result = session.execute(delete(Response).where(Response.survey_id == survey_id))
            held = session.execute(delete(PendingResponse).where(
                PendingResponse.survey_id == survey_id,
                # Not yet folded: kept until the next run (its fold commits first).
                PendingResponse.folded.is_(True),
            ))
            # Quarantined responses are raw responses too (with their answers). How many a
            # unit had stays: HR's page counted them (spent invitations), the figures never
            # did, and a unit cut allows for them (surveys.report.units `_quarantined`).
            # Counted from what the delete removed: a count beside it (another statement, on
            # PostgreSQL another snapshot) missed a response quarantined in between, or
            # counted one requeued in between (a review of the 7 December session).
            quarantined = session.scalars(delete(QuarantinedResponse).where(
                QuarantinedResponse.survey_id == survey_id)
                .returning(QuarantinedResponse.unit_id)).all()
            per_unit = Counter(u for u in quarantined if u is not None)
            # Analysts' tags name comments that are gone now (surveys.report.comments).
            session.execute(delete(CommentTag).where(CommentTag.survey_id == survey_id))
            # A unit cut refused on the figures as they stood may pass now (with the raw
            # responses gone it shows one breakdown's values at most): the hourly job is to
            # try again (surveys.report.units.release_due), though the results stamp stays.
            session.execute(delete(UnitCutRefusal).where(UnitCutRefusal.survey_id == survey_id))
            if survey is not None and survey.responses_purged_on is None:
                survey.responses_purged_on = today
            if survey is not None and per_unit:  # (a later run may delete a few more)
                kept = dict(survey.quarantine_purged or {})
                for unit_id, n in per_unit.items():
                    kept[str(unit_id)] = kept.get(str(unit_id), 0) + n
                survey.quarantine_purged = kept
            deleted[slug] = ((result.rowcount or 0) + (held.rowcount or 0)
                             + len(quarantined))
    with session_factory() as session, session.begin():
        # The addresses of invitations by e-mail go when the survey closes
        # (surveys.definitions.lifecycle); this catches a survey closed any other way.
        mailing.forget_closed(session)
        # Replay-guard receipts are kept only a few days anyway.
        session.execute(delete(SubmissionReceipt).where(SubmissionReceipt.expires_on < today))
    return deleted
