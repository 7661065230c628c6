"""Surveys as read-only snapshots, kept per process for about a second (used through `lookup`).

Loading the survey through the ORM on every form GET and POST was the largest single cost of a
response after rendering (docs/performance.md). A web process now keeps a read-only snapshot of
each survey for `max_age_s` (Settings.survey_cache_s) and the respondent pages use it:

- A form may be shown for up to `max_age_s` after the survey was closed or its texts changed.
- A submission never relies on the snapshot being current: its INSERT stores the response only if
  the survey still has the snapshot's `revision` and is still published, in the same statement
  (surveys.collect.store.store_response). Otherwise the caller reloads the snapshot and decides
  again (closed: 410; new texts or languages: validated again).
- A commit in this process that changes a survey forgets that survey's snapshot at once, so a
  change made here (the admin pages, tests) is seen by the next request.

`Survey.revision` is raised by the ORM on every UPDATE of a survey row (version_id_col).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, object_session

from surveys.models import Survey

_CHANGED_KEY = "palaute_changed_surveys"


@dataclass(frozen=True, slots=True)
class SurveySnapshot:
    """The columns the respondent pages read. `definition` is shared: never mutate it."""

    id: int
    slug: str
    revision: int
    status: str
    audience: str
    scope: str
    definition: dict[str, Any]
    closed_on: date | None
    retention_months: int
    min_group_size: int
    language_rights_override: dict[str, Any] | None
    loaded_at: float
    # Changes with anything a rendered form shows: a key for caches of rendered pages (ids and
    # revisions alone may repeat when a survey is deleted and another created).
    fingerprint: str


_COLUMNS = (Survey.id, Survey.slug, Survey.revision, Survey.status, Survey.audience,
            Survey.scope, Survey.definition, Survey.closed_on, Survey.retention_months,
            Survey.min_group_size, Survey.language_rights_override)

# Per engine (one per database URL and process) and slug.
_kept: dict[tuple[Engine, str], SurveySnapshot] = {}


def _snapshot(row: Any) -> SurveySnapshot:
    digest = hashlib.blake2b(
        json.dumps([row.id, row.slug, row.status, row.scope, row.definition],
                   sort_keys=True, default=str).encode(), digest_size=16).hexdigest()
    return SurveySnapshot(*row, loaded_at=time.monotonic(), fingerprint=digest)


def load(session: Session, slug: str) -> SurveySnapshot | None:
    """Read the survey afresh (one plain SELECT, no ORM objects) and keep it."""
    row = session.execute(select(*_COLUMNS).where(Survey.slug == slug)).first()
    engine = session.get_bind()
    if row is None:
        _kept.pop((engine, slug), None)
        return None
    snapshot = _snapshot(row)
    _kept[(engine, slug)] = snapshot
    return snapshot


def load_many(session: Session, where: Any) -> list[SurveySnapshot]:
    """Snapshots of every survey matching `where`, by slug (not kept: lists are read afresh)."""
    rows = session.execute(select(*_COLUMNS).where(where).order_by(Survey.slug))
    return [_snapshot(row) for row in rows]


def get(session: Session, slug: str, max_age_s: float) -> SurveySnapshot | None:
    """The kept snapshot if it is younger than `max_age_s`, else `load`."""
    kept = _kept.get((session.get_bind(), slug))
    if kept is not None and time.monotonic() - kept.loaded_at < max_age_s:
        return kept
    return load(session, slug)


def last_seen(engine: Engine, slug: str) -> SurveySnapshot | None:
    """The last snapshot read, however old: for showing a form again when the database is
    unreachable. Never used while the database answers."""
    return _kept.get((engine, slug))


def forget(slug: str | None = None) -> None:
    """Drop the snapshots of `slug` (every survey if None) in this process."""
    for key in [k for k in _kept if slug is None or k[1] == slug]:
        _kept.pop(key, None)


@event.listens_for(Survey, "after_update")
@event.listens_for(Survey, "after_delete")
def _note_change(_mapper, _connection, target: Survey) -> None:
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_CHANGED_KEY, set()).add(target.slug)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for slug in session.info.pop(_CHANGED_KEY, ()):
        forget(slug)


@event.listens_for(Session, "after_rollback")
def _drop_notes(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)
