"""The one way to read a survey, for every caller.

- `find`: the ORM object, for changing it (life cycle, admin actions).
- `visible`: a published or closed survey as a read-only snapshot, kept per process for up to
  `max_age_s` (0: read it now). Respondent pages, results and the API read surveys this way; a
  submission re-checks the snapshot's revision in its own INSERT (surveys.collect.store).
- `listing`: snapshots of every survey in some states, optionally for one audience or goal.
- `last_seen`: the last snapshot read, however old, for showing a form when the database is gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Engine, select, true
from sqlalchemy.orm import Session

from surveys.models import Survey

from . import snapshots
from .snapshots import SurveySnapshot

__all__ = ["SurveySnapshot", "valid_slug", "find", "visible", "listing", "last_seen", "forget",
           "VISIBLE_STATUSES"]

# The schema's slug pattern: anything else can't name a survey (and a NUL byte would make
# PostgreSQL refuse the query).
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# States in which a survey's pages and results are public.
VISIBLE_STATUSES = ("published", "closed")


def valid_slug(slug: str) -> bool:
    return len(slug) <= 100 and _SLUG.fullmatch(slug) is not None


def find(session: Session, slug: str) -> Survey | None:
    if not valid_slug(slug):
        return None
    return session.scalar(select(Survey).where(Survey.slug == slug))


def visible(session: Session, slug: str, max_age_s: float = 0.0) -> SurveySnapshot | None:
    """The survey if it is published or closed (None for a draft or an unknown slug)."""
    if not valid_slug(slug):
        return None
    survey = snapshots.get(session, slug, max_age_s)
    if survey is None or survey.status not in VISIBLE_STATUSES:
        return None
    return survey


def visible_by_id(session: Session, survey_id: int) -> SurveySnapshot | None:
    """The survey with this id if it is published or closed (jobs take ids)."""
    found = snapshots.load_many(session, (Survey.id == survey_id)
                                & Survey.status.in_(VISIBLE_STATUSES))
    return found[0] if found else None


def listing(session: Session, statuses: Iterable[str] | None = VISIBLE_STATUSES,
            audience: str | None = None, goal: int | None = None) -> list[SurveySnapshot]:
    """Surveys in `statuses` (None: all), by slug, optionally for one audience or goal."""
    where = Survey.status.in_(tuple(statuses)) if statuses is not None else true()
    if audience is not None:
        where = where & (Survey.audience == audience)
    found = snapshots.load_many(session, where)
    if goal is not None:
        found = [s for s in found if goal in s.definition.get("goals", [])]
    return found


def last_seen(engine: Engine, slug: str) -> SurveySnapshot | None:
    return snapshots.last_seen(engine, slug)


def forget(slug: str | None = None) -> None:
    snapshots.forget(slug)
