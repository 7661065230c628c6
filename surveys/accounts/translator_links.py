"""Translator links: a time-limited link for ONE language of ONE survey.

An admin who may edit a survey makes a link (`create`) and sends it to a translator himself;
the link's random token (256 bits) is shown once and only its SHA-256 is stored, as for the
account links (surveys.accounts.links). Whoever holds the link may read the survey's source
texts and write its texts in the link's language (webapp.admin.translator), nothing else: no
other language, no other survey, no settings, no results. A link is good until it expires
(`DEFAULT_DAYS` unless the admin chose otherwise, at most `MAX_DAYS`) or is revoked.

Functions flush at most; the edge commits. Times come from the caller.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.languages import LANGUAGES
from surveys.models import Survey, TranslatorLink

DEFAULT_DAYS = 14
MAX_DAYS = 90


class LinkError(ValueError):
    pass


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def create(session: Session, survey: Survey, lang: str, *, now: datetime,
           days: int = DEFAULT_DAYS, by_user_id: int | None = None
           ) -> tuple[TranslatorLink, str]:
    """A new link and its token (the only copy: shown once, never stored)."""
    if lang not in LANGUAGES:
        raise LinkError(f"unknown language {lang!r}")
    if lang == survey.definition["languages"][0]:
        raise LinkError("the source language is not translated")
    if not 1 <= days <= MAX_DAYS:
        raise LinkError(f"a link lasts 1 to {MAX_DAYS} days")
    raw = secrets.token_urlsafe(32)
    row = TranslatorLink(survey_id=survey.id, lang=lang, token_hash=_hash(raw),
                         created_by=by_user_id, created_at=now,
                         expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    return row, raw


def find(session: Session, raw: str | None) -> TranslatorLink | None:
    """The link of this token, whatever its state (None: no such link)."""
    if not raw or len(raw) > 100:
        return None
    return session.scalar(select(TranslatorLink).where(TranslatorLink.token_hash == _hash(raw)))


def usable(link: TranslatorLink | None, now: datetime) -> bool:
    return link is not None and link.revoked_at is None and _aware(link.expires_at) > now


def of_survey(session: Session, survey_id: int) -> list[TranslatorLink]:
    return list(session.scalars(select(TranslatorLink)
                                .where(TranslatorLink.survey_id == survey_id)
                                .order_by(TranslatorLink.id.desc())))


def revoke(session: Session, survey_id: int, link_id: int, now: datetime) -> bool:
    """Revoke a link of this survey (a link of another survey is not found). True if it was
    good until now."""
    link = session.get(TranslatorLink, link_id)
    if link is None or link.survey_id != survey_id:
        return False
    if link.revoked_at is not None:
        return False
    link.revoked_at = now
    session.flush()
    return True


def state(link: TranslatorLink, now: datetime) -> str:
    """'active', 'expired' or 'revoked' (for the admin's list)."""
    if link.revoked_at is not None:
        return "revoked"
    return "active" if _aware(link.expires_at) > now else "expired"
