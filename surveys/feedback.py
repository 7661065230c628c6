"""Visitors' feedback for the administrators: translation error reports (the draft notice on
pages whose interface catalog awaits native review) and accessibility feedback (the
accessibility statement's feedback channel, Act 306/2019).

No personal data is asked for. What is stored: the page language, the page, the texts (scrubbed
of identity codes, phone numbers, e-mail addresses and account numbers, as free-text answers
are: surveys.collect.pii) and the day; an accessibility feedback may carry a contact the sender
chose to give for an answer. Never a client address or a time finer than a day.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.collect import pii
from surveys.models import AccessibilityFeedback, TranslationReport

MAX_LENGTHS = {"page": 300, "problem": 2000, "suggestion": 2000, "message": 4000,
               "contact": 300}


class FeedbackErrors(ValueError):
    """Field name → error code ("required", "too_long", "invalid_text")."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _clean(fields: dict[str, str | None], required: tuple[str, ...]) -> dict[str, str | None]:
    errors: dict[str, str] = {}
    out: dict[str, str | None] = {}
    for name, raw in fields.items():
        value = (raw or "").strip()
        if any(unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t"
               for ch in value):
            errors[name] = "invalid_text"
        elif name in required and not value:
            errors[name] = "required"
        elif len(value) > MAX_LENGTHS[name]:
            errors[name] = "too_long"
        out[name] = value or None
    if errors:
        raise FeedbackErrors(errors)
    return out


def report_translation(session: Session, lang: str, page: str | None, problem: str | None,
                       suggestion: str | None, today: date) -> TranslationReport:
    """Store a translation error report (the edge commits). Raises FeedbackErrors."""
    fields = _clean({"page": page, "problem": problem, "suggestion": suggestion},
                    required=("problem",))
    row = TranslationReport(
        lang=lang, page=fields["page"] or "", problem=pii.scrub(fields["problem"] or ""),
        suggestion=pii.scrub(fields["suggestion"]) if fields["suggestion"] else None,
        reported_on=today)
    session.add(row)
    session.flush()
    return row


def give_accessibility_feedback(session: Session, lang: str, page: str | None,
                                message: str | None, contact: str | None,
                                today: date) -> AccessibilityFeedback:
    """Store accessibility feedback (the edge commits). Raises FeedbackErrors."""
    fields = _clean({"page": page, "message": message, "contact": contact},
                    required=("message",))
    row = AccessibilityFeedback(
        lang=lang, page=fields["page"], message=pii.scrub(fields["message"] or ""),
        contact=fields["contact"], received_on=today)
    session.add(row)
    session.flush()
    return row


def translation_reports(session: Session, lang: str | None = None,
                        limit: int = 500) -> list[TranslationReport]:
    """The newest reports first (optionally of one language)."""
    query = select(TranslationReport).order_by(TranslationReport.id.desc()).limit(limit)
    if lang:
        query = query.where(TranslationReport.lang == lang)
    return list(session.scalars(query))


def accessibility_feedback(session: Session, limit: int = 500) -> list[AccessibilityFeedback]:
    """The newest feedback first."""
    query = select(AccessibilityFeedback).order_by(AccessibilityFeedback.id.desc()).limit(limit)
    return list(session.scalars(query))
