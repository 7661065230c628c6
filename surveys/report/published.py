"""What results views show: the latest release, or (RESULTS_RELEASE=live, development and tests
only) the figures as folded. Every view (page, JSON, CSV, monthly) reads through here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.definitions.snapshots import SurveySnapshot
from surveys.models import ResultRelease, Survey

from . import releases, results
from .scopes import Scope


def survey_results(session: Session, survey: SurveySnapshot, scope: Scope, lang: str,
                   mode: str) -> dict[str, Any]:
    if mode == "live":
        return results.survey_results(session, survey, scope, lang)
    return releases.released_results(session, survey, scope)


def monthly_results(session: Session, survey: SurveySnapshot, scope: Scope, lang: str,
                    mode: str) -> dict[str, Any]:
    if mode == "live":
        return results.monthly_results(session, survey, scope, lang)
    return releases.released_monthly(session, survey, scope)


def versions(session: Session, surveys: list[SurveySnapshot], mode: str) -> dict[int, str]:
    """What the published figures of each survey depend on, in one statement: its latest
    release (a release is never changed, a new one is cut), or under `live` its results stamp
    (replaced by every transaction that folds responses into its aggregates). A cache of a
    results view keyed by this is invalidated exactly when its figures may change."""
    if not surveys:
        return {}
    latest = (select(func.max(ResultRelease.id)).where(ResultRelease.survey_id == Survey.id)
              .correlate(Survey).scalar_subquery())
    # With its time: a release id alone may name another release in a database restored from a
    # backup, or made anew, while a cache shared by the web processes still holds the old one.
    released_at = (select(ResultRelease.released_at).where(ResultRelease.id == latest)
                   .scalar_subquery())
    rows = session.execute(select(Survey.id, Survey.results_stamp, latest, released_at)
                           .where(Survey.id.in_([s.id for s in surveys])))
    out = {}
    for survey_id, stamp, release_id, at in rows:
        out[survey_id] = (f"s{stamp}" if mode == "live"
                          else f"r{release_id or 0}@{at.isoformat() if at else ''}")
    return out


def distinct(version: str) -> bool:
    """Whether a version from `versions` names its figures in no other database state: a
    release (its id with its time), or a results stamp (random, new at every fold). Not a
    survey never folded (no stamp) or never released: another database, or this one made
    anew, would give the same version to other figures."""
    return version not in ("", "s", "r0@")
