"""Participation on HR's invitations page: respondents (spent invitations) per unit, counted
once a day in the night and published under a rule, never read live.

Why (docs/privacy.md, "Participation on HR's page"): a count read live moves when someone
answers, so HR watching the page would see who answered when (the one person at their desk at
14:02). So the page shows the figures of the latest daily count (`latest`, `rates`), and a
count publishes new figures only where they changed by nobody or by at least the threshold.

The daily count (`count`): workers.jobs.count_participation runs every hour and counts each
staff survey that takes answers once a day, at its first run in the night (NIGHT_HOURS,
Finnish time: surveys.infra.clock), never at a time a reader or an administrator chooses, nor when a
page is viewed (a count at the first view of the day would let HR choose its moment: one view
at 23:59 and one at 00:01 would frame two minutes). It stores per unit: its parent, the
invitations issued and its own spent invitations *as published*, and whether the page hides
the unit. A closed survey is counted until its figures stop changing. The spent flags carry
no time, and nothing here adds one to an invitation: a count is a number per unit and day.

The rule (`next_figures`, pure): the units shown in the previous figures split the tree into
*regions*: each shown unit's own invitations with those of its hidden sub-units (whole
subtrees, surveys.staff.suppression), plus, while the organisation itself is hidden, the whole
tree as one region. A region takes today's counts only if its respondents grew by nobody or by
at least the threshold since they were last published; otherwise all its units keep their
published counts. Every figure on the page is a sum over published counts, so each figure, and
any sum or difference of figures of two days, changed by nobody or by at least the threshold.
Then the suppression of surveys.staff.suppression is applied to the published counts, hiding
first the units that were hidden before: a unit once shown stays shown (its region's hidden
part was nobody or at least the threshold, and still is), so an earlier day's figures add
nothing to what today's say of a hidden part. If the organisation tree changed under the
previous figures (a unit moved), they stand as they are: sums over another tree would differ
by whole units moved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from surveys.infra import db
from surveys.models import ParticipationCount, Survey, Unit, UnitRelease

from . import invitations, units
from .suppression import UnitRate, hidden_units, rolled_up

log = logging.getLogger(__name__)

# Hours of the counties' night (surveys.infra.clock: a server in UTC would otherwise count at
# 2-8 in Finland, the last hours in summer after people start work) in which the hourly job
# counts (the first run of the day that finds a survey not yet counted today counts it): a
# count is as of the end of the previous day, give or take the night's first hours.
NIGHT_HOURS = range(0, 6)
# Surveys whose participation is counted: open, and closed until their figures stop changing.
COUNTED_STATUSES = ("published", "closed")
# The lock a count and a unit release's store take in turn, per survey (`hold_page`).
PAGE_LOCK = 0x50616765  # "Page"


@dataclass(frozen=True)
class Figure:
    parent_id: int | None
    issued: int  # invitations issued to the unit itself, at the count
    spent: int  # the unit's own spent invitations, as published (not always the day's count)
    hidden: bool  # the unit's rolled-up respondents are hidden on the page


def next_figures(previous: Mapping[int, Figure] | None, parents: Mapping[int, int | None],
                 root: int, issued: Mapping[int, int], spent: Mapping[int, int],
                 threshold: int) -> dict[int, Figure] | None:
    """The figures to publish after `previous` (None: nothing published yet, which is every
    count at 0, as everyone knows a survey opens), for the tree `parents` ({unit: its parent},
    every unit under and including `root`) and today's own counts of each unit; None if the
    previous figures must stand as they are (the tree changed under them)."""
    previous = previous or {}
    for unit, figure in previous.items():
        if unit in parents:
            if parents[unit] != figure.parent_id:
                return None
        elif figure.spent:  # a unit with invitations is never deleted, only retired
            return None
    shown_before = {u for u, f in previous.items() if not f.hidden and u in parents}

    def region(unit: int | None) -> int | None:
        while unit is not None and unit not in shown_before:
            unit = parents[unit]
        return unit

    base = {u: previous[u].spent if u in previous else 0 for u in parents}
    regions: dict[int | None, list[int]] = {}
    for unit in parents:
        regions.setdefault(region(unit), []).append(unit)
    published: dict[int, int] = {}
    for members in regions.values():
        grew = [spent.get(u, 0) - base[u] for u in members]
        takes = min(grew) >= 0 and (sum(grew) == 0 or sum(grew) >= threshold)
        for u in members:
            published[u] = spent.get(u, 0) if takes else base[u]
    children: dict[int | None, list[int]] = {}
    for unit, parent in parents.items():
        children.setdefault(parent, []).append(unit)
    hidden = hidden_units(children, published, root, threshold,
                          prefer=set(parents) - shown_before, invited=issued)
    if shown_before & hidden:
        # A unit shown before would now be hidden: to cover another (the rule above rules
        # that out) or, read with the invitations issued since, because its figure pins a
        # small unit. Hidden now, its earlier figure beside the new ones would give the
        # covered part away: the figures stand.
        return None
    return {u: Figure(parents[u], issued.get(u, 0), published[u], u in hidden) for u in parents}


def hold_page(session: Session, survey_id: int) -> None:
    """Hold the survey's page until the transaction ends: a count (`count`) and the store of
    a unit release (surveys.report.units.cut) take it in turn, so each sees what the other
    committed. Without it a count committed while a slow cut audited the release with the
    page's previous count stood beside a release that had not read it."""
    db.hold(session, PAGE_LOCK, survey_id)


def latest(session: Session, survey_id: int) -> tuple[date, dict[int, Figure]] | None:
    """The day of the survey's latest count and its figures per unit, or None."""
    day = session.scalar(select(func.max(ParticipationCount.counted_on))
                         .where(ParticipationCount.survey_id == survey_id))
    if day is None:
        return None
    rows = session.scalars(select(ParticipationCount).where(
        ParticipationCount.survey_id == survey_id, ParticipationCount.counted_on == day))
    return day, {r.unit_id: Figure(r.parent_id, r.issued, r.spent, r.hidden) for r in rows}


def count(session: Session, survey, today: date) -> bool:
    """Count `survey`'s participation of `today` (once a day: the caller decides it is the
    night, see NIGHT_HOURS). Returns whether a count was stored: not if one was already taken
    today, nor for a closed survey whose figures did not change, nor while the organisation
    tree differs from the published figures' (they stand, with their day), nor once a unit
    release exists (cut with the page's last count read beside it: surveys.report.units.cut).
    Flushes only; a concurrent count of the same day fails on the primary key."""
    root = invitations.organisation_of(session, survey)
    if root is None or survey.status not in COUNTED_STATUSES:
        return False
    if _released(session, survey.id):
        return False
    last = latest(session, survey.id)
    if last is not None and last[0] >= today:
        return False
    parents = {unit.id: unit.parent_id for _depth, unit in units.tree(session, root)}
    own = invitations.counts(session, survey.id)
    figures = next_figures(last[1] if last else None, parents, root.id,
                           {u: c[0] for u, c in own.items()}, {u: c[1] for u, c in own.items()},
                           survey.min_group_size)
    if figures is None:  # (the page keeps saying the day they were counted)
        log.warning("participation: the organisation tree changed under the published "
                    "figures, or a unit they show would now have to be hidden; they stand",
                    extra={"survey": survey.slug})
        return False
    if survey.status != "published" and last is not None and figures == last[1]:
        return False
    # Only a count that stores takes the page's lock (a long cut holding SQLite's write lock
    # would make every survey's count wait), and then looks again: a release stored since it
    # read, or a count of the same night, and it stores nothing.
    hold_page(session, survey.id)
    again = latest(session, survey.id)
    if _released(session, survey.id) or (again[0] if again else None) != (
            last[0] if last else None):
        return False
    session.execute(insert(ParticipationCount), [
        {"survey_id": survey.id, "counted_on": today, "unit_id": unit, "parent_id": f.parent_id,
         "issued": f.issued, "spent": f.spent, "hidden": f.hidden}
        for unit, f in sorted(figures.items())])
    session.flush()
    return True


def _released(session: Session, survey_id: int) -> bool:
    """Whether a unit release exists: it was audited with the page's last count
    (surveys.report.units.cut); a later count, hiding by its own rule, was not, so the page
    keeps that count."""
    return session.scalar(select(UnitRelease.id).where(UnitRelease.survey_id == survey_id)
                          .limit(1)) is not None


def counted_surveys(session: Session) -> list[int]:
    """Ids of the staff surveys the daily count looks at."""
    return list(session.scalars(select(Survey.id).where(
        Survey.audience == "staff", Survey.status.in_(COUNTED_STATUSES)).order_by(Survey.id)))


def _rolled(figures: Mapping[int, Figure]) -> tuple[dict[int, int], dict[int, int],
                                                   dict[int | None, list[int]]]:
    """Each unit's issued and published spent with its sub-units', over the count's own tree
    (which stands with its figures if the organisation's has changed since)."""
    children: dict[int | None, list[int]] = {}
    for unit, f in figures.items():
        children.setdefault(f.parent_id if f.parent_id in figures else None, []).append(unit)
    issued: dict[int, int] = {}
    spent: dict[int, int] = {}
    for top in children.get(None, []):
        issued |= rolled_up(children, {u: f.issued for u, f in figures.items()}, top)
        spent |= rolled_up(children, {u: f.spent for u, f in figures.items()}, top)
    return issued, spent, children


def shown_respondents(session: Session, survey_id: int) -> dict[int, int]:
    """{unit id: its respondents with its sub-units'} for the units HR's page shows, as of the
    latest count (none before the first)."""
    last = latest(session, survey_id)
    return {} if last is None else shown_of(last[1])


def shown_of(figures: Mapping[int, Figure]) -> dict[int, int]:
    """`shown_respondents` of a count's figures (`latest`)."""
    _issued, spent, _children = _rolled(figures)
    return {u: spent[u] for u, f in figures.items() if not f.hidden}


def rates(session: Session, survey) -> tuple[date, list[UnitRate]] | None:
    """The day of the latest count and, per unit of it (depth first, children by code), what
    HR's page shows: invitations issued, respondents and the response rates (÷ issued, ÷ the
    unit's headcount) where the unit is not hidden. None before the first count."""
    last = latest(session, survey.id)
    if last is None:
        return None
    day, figures = last
    issued, spent, children = _rolled(figures)
    found = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(list(figures))))}
    out: list[UnitRate] = []

    def walk(unit_id: int, depth: int) -> None:
        out.append(UnitRate.of(depth, found[unit_id], issued[unit_id],
                               None if figures[unit_id].hidden else spent[unit_id]))
        for child in sorted(children.get(unit_id, []), key=lambda c: found[c].code):
            walk(child, depth + 1)

    for top in sorted(children.get(None, []), key=lambda c: found[c].code):
        walk(top, 0)
    return day, out
