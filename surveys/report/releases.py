"""Releases: results views show figures cut on a schedule, then fixed, never live ones.

Why: a reader polling live figures sees one submission arrive as a change of one respondent,
with each changed option count: that person's answers (docs/privacy.md, "Watching it change").
So every results view (page, JSON, CSV, monthly) is served from the latest release of its
survey, and a release changes a figure only when enough people joined since it last changed.

A release is made of *blocks*: one per place (county, collaboration area, the country) and
measure (respondents, or one question's answers). A block holds its published figures (over
the whole period and per month) and the sizes they were computed from (respondents or answers
per month). At a cut, a block takes new figures only if

1. its size grew since the release that last changed it by nobody or at least the threshold in
   every month (`min_group_size`; a month that gained 1 would show that one answer as the
   change of the month's figures), and by at least the threshold in all; and
2. where it is a sum of other blocks (an area of its counties, the country of its areas), its
   increment minus the increments its parts publish (each part that changes publishes its own;
   a part that carries is looked into, down to the counties) is nobody or at least the
   threshold in every month: else the new sum minus the published parts would show the few who
   joined the parts that keep their old figures.

Otherwise it carries its previous figures. Rule 2 is applied until nothing changes (carrying a
sum can only make its own sum carry too). A block published for the first time has no earlier
figures to subtract: the threshold and secondary suppression of the figures themselves protect
it, as they protect every release (surveys.report.results).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from surveys.definitions.format import reported_questions
from surveys.definitions.lifecycle import default_closes_on
from surveys.definitions.snapshots import SurveySnapshot
from surveys.fold.aggregation import ANSWERED
from surveys.infra import db
from surveys.models import (
    RESPONDENTS,
    Aggregate,
    CollaborationArea,
    Region,
    ReleasedBlock,
    ResultRelease,
    Survey,
)
from surveys.reference.regions import name_in

from . import history, pacing, results
from .audit import LANG, AuditResult, Figure, Reasons, Table, lang_period
from .disclosure import COUNTRY
from .scopes import COUNTRY_NAMES, Scope

log = logging.getLogger(__name__)

Block = tuple[str, str]  # (place, measure)
Sizes = Mapping[str, int]  # month -> respondents or answers
# How old the latest release may be before the schedule cuts another (a little less than the
# period, so a job that runs a minute early still cuts).
DUE_AFTER = {"hourly": 55 * 60, "daily": 23 * 3600}


# --- the rule (pure) ----------------------------------------------------------------------------
def increments_since(before: Sizes | None, now: Sizes) -> dict[str, int]:
    """Per size (respondents or answers, per month and in all), how many joined since `before`
    (a block published for the first time: since nothing)."""
    before = before or {}
    return {m: now.get(m, 0) - before.get(m, 0) for m in set(now) | set(before)}


def increments_protected(increments: Iterable[int], threshold: int) -> bool:
    """The release rule for a set of increments: each is nobody or at least the threshold (the
    staff unit releases apply it cell by cell: surveys.report.units.growth)."""
    return all(v == 0 or abs(v) >= threshold for v in increments)


def changing_blocks(previous: Mapping[Block, Sizes], now: Mapping[Block, Sizes],
                    sums: Iterable[tuple[str, list[str]]], threshold: int,
                    carry: Iterable[Block] = ()) -> set[Block]:
    """The blocks that take new figures at this cut (module docstring); the rest carry theirs.

    `previous`: each published block's sizes when its figures last changed; `now`: the sizes
    today; `sums`: (place, [its parts]) for every place that is a sum of others; `carry`: blocks
    held back whatever their sizes (by the cross-time audit, see `cut`), which rule 2 then
    treats like any other block that carries.
    """
    changing: set[Block] = set()
    increments: dict[Block, dict[str, int]] = {}
    for block in set(previous) | set(now):
        inc = increments[block] = increments_since(previous.get(block), now.get(block, {}))
        if block not in previous:
            if any(now.get(block, {}).values()):
                changing.add(block)  # first publication: nothing earlier to subtract
        elif any(inc.values()) and increments_protected(inc.values(), threshold) \
                and abs(sum(v for m, v in inc.items() if not m.startswith(LANG))) >= threshold:
            changing.add(block)
    changing -= set(carry)
    children = {place: parts for place, parts in sums}
    measures = {measure for _place, measure in increments}

    def covered(place: str, measure: str) -> dict[str, int]:
        """What the attacker can attribute below `place`: the increments of its highest
        changing blocks (a changing block publishes its own increment)."""
        if (place, measure) in changing:
            return increments.get((place, measure), {})
        out: dict[str, int] = defaultdict(int)
        for part in children.get(place, ()):
            for month, v in covered(part, measure).items():
                out[month] += v
        return out

    changed = True
    while changed:
        changed = False
        for measure in measures:
            for place, parts in children.items():
                block = (place, measure)
                if block not in changing or block not in previous:
                    continue
                # The sum's increment minus what its parts publish: the few who joined the
                # parts that keep their old figures, wherever they are below.
                residual = dict(increments.get(block, {}))
                for part in parts:
                    for month, v in covered(part, measure).items():
                        residual[month] = residual.get(month, 0) - v
                if not increments_protected(residual.values(), threshold):
                    changing.discard(block)
                    changed = True
    return changing


# --- the database -------------------------------------------------------------------------------
def scopes(session: Session, lang: str = "fi") -> list[Scope]:
    """Every place results are published for: the country, the areas, the counties."""
    regions = session.scalars(select(Region).order_by(Region.code)).all()
    areas = session.scalars(select(CollaborationArea).order_by(CollaborationArea.code)).all()
    by_area: dict[str, list[str]] = defaultdict(list)
    for r in regions:
        by_area[r.collaboration_area].append(r.code)
    return ([Scope("country", COUNTRY, COUNTRY_NAMES.get(lang, "Suomi"), None)]
            + [Scope("area", a.code, name_in(a, lang), tuple(by_area[a.code])) for a in areas]
            + [Scope("region", r.code, name_in(r, lang), (r.code,), r.collaboration_area)
               for r in regions])


def _sums_of(all_scopes: list[Scope]) -> list[tuple[str, list[str]]]:
    areas = [s for s in all_scopes if s.level == "area"]
    return ([(COUNTRY, [a.place for a in areas])]
            + [(a.place, list(a.region_codes or ())) for a in areas])


def current_sizes(session: Session, survey: SurveySnapshot,
                  all_scopes: list[Scope]) -> dict[Block, dict[str, int]]:
    """Respondents and answers per question, per place and month, and per place and
    respondents' language ("lang:<code>": the language breakdown is published too, so a
    language group that gained one person must not change either), from the aggregates."""
    stmt = (select(Aggregate.question_id, Aggregate.region_code, Aggregate.month,
                   Aggregate.lang, func.sum(Aggregate.count))
            .where(Aggregate.survey_id == survey.id,
                   Aggregate.option == literal(ANSWERED, literal_execute=True))
            .group_by(Aggregate.question_id, Aggregate.region_code, Aggregate.month,
                      Aggregate.lang))
    county: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for measure, region, month, lang, n in session.execute(stmt):
        if n:
            county[(region, measure)][month] += int(n)
            county[(region, measure)][lang_period(lang)] += int(n)
    sizes: dict[Block, dict[str, int]] = {}
    for scope in all_scopes:
        codes = scope.region_codes
        for (region, measure), months in county.items():
            if codes is None or region in codes:
                target = sizes.setdefault((scope.place, measure), {})
                for month, n in months.items():
                    target[month] = target.get(month, 0) + n
    return sizes


def latest(session: Session, survey_id: int) -> ResultRelease | None:
    return session.scalars(select(ResultRelease).where(ResultRelease.survey_id == survey_id)
                           .order_by(ResultRelease.id.desc()).limit(1)).first()


def _blocks(session: Session, release_id: int,
            place: str | None = None) -> dict[Block, ReleasedBlock]:
    """The release's blocks; with `place`, only that place's (what one results document
    reads: a page's three columns then load three places' blocks, not every place's three
    times over)."""
    stmt = select(ReleasedBlock).where(ReleasedBlock.release_id == release_id)
    if place is not None:
        stmt = stmt.where(ReleasedBlock.place == place)
    return {(b.place, b.measure): b for b in session.scalars(stmt)}


def _block_data(survey: SurveySnapshot, measure: str, sizes: Sizes, total: dict[str, Any],
                monthly: dict[str, Any]) -> dict[str, Any]:
    head = ("respondents", "suppressed", "reason")
    if measure == RESPONDENTS:
        figures = {k: total[k] for k in head if k in total}
        months = {m["month"]: {k: m[k] for k in head if k in m} for m in monthly["months"]}
        langs = {lg: {k: f[k] for k in head if k in f}
                 for lg, f in total.get("languages", {}).items()}
    else:
        figures = total["questions"][measure]
        months = {m["month"]: m["questions"][measure] for m in monthly["months"]}
        langs = {lg: f["questions"][measure] for lg, f in total.get("languages", {}).items()}
    return {"sizes": dict(sizes), "total": figures, "months": months, "langs": langs}


# The time of the figures computed at the cut being made (release ids are the times of earlier
# ones: a release's id is larger than every earlier release's).
NOW = math.inf
Timed = dict[Block, tuple[dict[str, Any], float]]  # {block: (data, time computed)}


def _public_layers(session: Session, survey_id: int, upto: int | None = None
                   ) -> dict[float, Any]:
    """Everything ever public of each time, per time: what every release of the survey (up to
    release `upto`) showed of the figures computed at that time (surveys.report.history: a
    question's figures of a group are public once any release shows that group's respondents).

    A carried block holds the same data as the block of the release it was computed in, so
    each block's data is read once (the rows where release and time agree) and every release
    contributes only which block of which time it shows beside which respondents' block."""
    where = [ResultRelease.survey_id == survey_id]
    if upto is not None:
        where.append(ResultRelease.id <= upto)
    shape = session.execute(
        select(ReleasedBlock.release_id, ReleasedBlock.place, ReleasedBlock.measure,
               ReleasedBlock.computed_in)
        .join(ResultRelease, ResultRelease.id == ReleasedBlock.release_id).where(*where))
    views: dict[int, dict[Block, int]] = defaultdict(dict)
    for release_id, place, measure, computed_in in shape:
        views[release_id][(place, measure)] = computed_in
    own = session.execute(
        select(ReleasedBlock.place, ReleasedBlock.measure, ReleasedBlock.computed_in,
               ReleasedBlock.data)
        .join(ResultRelease, ResultRelease.id == ReleasedBlock.release_id)
        .where(*where, ReleasedBlock.computed_in == ReleasedBlock.release_id))
    data = {(place, measure, t): d for place, measure, t, d in own}
    layers: dict[float, Any] = {}
    seen: set[tuple[str, str, int, int | None]] = set()
    for view in views.values():
        for (place, measure), t in view.items():
            head_t = view.get((place, RESPONDENTS))
            if (place, measure, t, head_t) in seen or (place, measure, t) not in data:
                continue
            seen.add((place, measure, t, head_t))
            head = data.get((place, RESPONDENTS, head_t)) if head_t is not None else None
            figures, reasons = history.block_figures(place, measure, data[(place, measure, t)],
                                                     head)
            layer = layers.setdefault(t, ({}, {}))
            layer[0].update(figures)
            layer[1].update(reasons)
    return layers


def _timed(blocks: Mapping[Block, ReleasedBlock]) -> Timed:
    return {b: (blk.data, blk.computed_in) for b, blk in blocks.items()}


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _months_between(start: datetime, close: datetime) -> int:
    """How many calendar months the survey's period touches (its table's months at most)."""
    return (close.year - start.year) * 12 + close.month - start.month + 1


def pace(session: Session, survey: SurveySnapshot, now: datetime) -> pacing.Pace:
    """The survey's release times at `now` (surveys.report.pacing): how many its figures may
    take (history.times_in_full: as many as a cut audits in full, every one with its months,
    for the largest table the survey can have: every county, as a county-scoped survey's table
    holds them all too (results.publication), every month of its period, every language it
    offers), how many its releases have shown, and whether a cut now may add one."""
    counties = session.scalar(select(func.count()).select_from(Region)) or 1
    areas = session.scalar(select(func.count()).select_from(CollaborationArea)) or 1
    langs = len(survey.definition.get("languages") or ()) or 1
    released = select(ResultRelease.id).where(ResultRelease.survey_id == survey.id)
    used = session.scalar(select(func.count(func.distinct(ReleasedBlock.computed_in)))
                          .where(ReleasedBlock.release_id.in_(released))) or 0
    opens_on, closes_on, closed_on = session.execute(
        select(Survey.opens_on, Survey.closes_on, Survey.closed_on)
        .where(Survey.id == survey.id)).one()
    first = session.scalar(select(func.min(ResultRelease.released_at))
                           .where(ResultRelease.survey_id == survey.id))
    opening = _moment(opens_on) if opens_on else (first or now)
    # The table starts at the first month with answers, which may come before the opening
    # counted here (no opens_on: answered under `live`, or before a first release delayed).
    first_month = session.scalar(select(func.min(Aggregate.month))
                                 .where(Aggregate.survey_id == survey.id))
    start = min(opening, datetime.strptime(first_month, "%Y-%m")) if first_month else opening
    close_day = closes_on or default_closes_on(opening.date())
    if closed_on is not None:
        close_day = min(close_day, closed_on)
    close = max(_moment(close_day), start)
    times = history.times_in_full(counties, areas, _months_between(start, close), langs)
    points = pacing.schedule(start, close, times)
    return pacing.Pace(times, used, pacing.allowed(times, used, points, now),
                       pacing.next_allowed(times, used, points, now))


def cut(session: Session, survey: SurveySnapshot, now: datetime, *,
        audit_history: bool = True, paced: bool = True) -> ResultRelease | None:
    """Cut a release of `survey` now; None if no figure would change (nothing is stored).

    The blocks that may change (`changing_blocks`) take today's audited figures, the rest carry
    theirs. Then the release about to be stored is audited with the figures of earlier times
    (surveys.report.history): every time of it and of the release before it, then the newest
    other times any release showed, within history.MAX_HISTORY_CELLS (the times left out are
    logged; `palaute disclosure audit` audits them all). While a
    protected figure of today's table is exposed, the changing blocks that share a sum with it
    carry their previous figures (or, published for the first time, show none), and the audit
    runs again. A release that fails is never stored. `audit_history=False` skips that audit
    (what a cut did before it existed: for tests that show what it prevents, never for
    publishing).

    A cut adds a time to the survey's history only where its pacing allows (`pace`,
    surveys.report.pacing): else it stores nothing, so every cut audits every earlier time.
    `paced=False` skips that (for tests of the budget that pacing keeps a survey within)."""
    all_scopes = scopes(session)
    previous_release = latest(session, survey.id)
    if previous_release is not None and paced:
        times = pace(session, survey, now)
        if not times.allowed:
            log.info("release pacing: %d of %d times used; figures may next change from %s",
                     times.used, times.times,
                     f"{times.next_at:%Y-%m-%d %H:%M}" if times.next_at else "never",
                     extra={"survey": survey.slug})
            return None
    previous = _blocks(session, previous_release.id) if previous_release else {}
    sizes = current_sizes(session, survey, all_scopes)
    measures = {RESPONDENTS} | {q["id"] for q in reported_questions(survey.definition)}
    for scope in all_scopes:  # every block exists, with or without answers
        for measure in measures:
            sizes.setdefault((scope.place, measure), {})
    sums = _sums_of(all_scopes)
    before = {b: blk.data["sizes"] for b, blk in previous.items()}
    changing = changing_blocks(before, sizes, sums, survey.min_group_size)
    if previous_release is not None and not changing:
        return None
    fresh: dict[Block, dict[str, Any]] = {}
    pub = results.publication(session, survey)
    for scope in all_scopes:
        if not any((scope.place, m) in changing for m in measures):
            continue
        total = results.survey_results(session, survey, scope)
        monthly = results.monthly_results(session, survey, scope)
        for measure in measures:
            block = (scope.place, measure)
            if block in changing:
                fresh[block] = _block_data(survey, measure, sizes[block], total, monthly)
                fresh[block]["stamp"] = pub.stamp

    def assemble(changing: set[Block]) -> Timed:
        out: Timed = {}
        for scope in all_scopes:
            for measure in measures:
                block = (scope.place, measure)
                if block in changing:
                    out[block] = (fresh[block], NOW)
                elif block in previous:
                    out[block] = (previous[block].data, previous[block].computed_in)
        return out

    if previous_release is not None and audit_history:
        table = pub.source or pub.table
        public = _public_layers(session, survey.id)
        # Every earlier time within the cut's budget: the previous release's always, then the
        # newest others (history.select_times); the rest as lower bounds only (below), and in
        # full in `palaute disclosure audit`.
        # What the times left out still say about later ones: their counts as lower bounds.
        budget = history.within_budget(
            table, public, {t for _d, t in _timed(previous).values()}, survey.min_group_size)
        if budget.left_out:
            log.warning("release audit: %d of %d earlier times audited at the cut, %d left out "
                        "(history.MAX_HISTORY_CELLS); `palaute disclosure audit` audits all",
                        len(budget.earlier), len(public), len(budget.left_out),
                        extra={"survey": survey.slug, "audited_times": len(budget.earlier),
                               "left_out_times": len(budget.left_out)})
        cache: dict = {}
        months_short: list[tuple[int, int]] = []  # (earlier times with months, of all)
        on_marginals: list[bool] = []  # per audit: questions read together on the marginals

        def audit_of(changing: set[Block]) -> AuditResult:
            shown = history.served(assemble(changing))
            layers = dict(budget.earlier)
            history.merge(layers, {t: v for t, v in shown.items() if t != NOW})
            result = history.audit_release(table, shown.get(NOW, ({}, {})), layers,
                                           cache=cache, floors=budget.floors,
                                           floors_until=budget.floors_until)
            if result.months_times is not None and result.months_times < len(layers):
                months_short.append((result.months_times, len(layers)))
            on_marginals.append(result.joint_on_marginals)
            if result.passed and result.uncoupled:
                log.warning("release audit: %s could not be read with the other questions "
                            "within the coupling's budget; their changing blocks are held back",
                            ", ".join(result.uncoupled),
                            extra={"survey": survey.slug, "unproven": list(result.uncoupled)})
            if result.contradicted or result.truth_outside:
                log.warning("release audit: earlier figures do not all lie under today's "
                            "(aggregates rebuilt or responses removed?)",
                            extra={"survey": survey.slug})
            return result

        def gate_of(changing: set[Block], result: AuditResult) -> set[Block]:
            # Sets of any shape that the release narrows with the earlier times' figures
            # (history.narrowed_release): those that the auditor's groups and lists miss. A
            # key whose earlier figures lie above today's is searched in today's alone
            # (narrowing.narrowed_search), the others with every time: skipping all where
            # the auditor found one contradicted left a respondents' set pinned (a review of
            # the 7 December session's sixth stop).
            if not table.narrowing_gate:
                return set()
            shown = history.served(assemble(changing))
            layers = dict(budget.earlier)
            history.merge(layers, {t: v for t, v in shown.items() if t != NOW})
            found, undecided = history.narrowed_release(
                table, shown.get(NOW, ({}, {})), layers, floors=budget.floors)
            if found or undecided:
                log.warning("release audit: %d sets narrowed across releases, %d keys "
                            "undecided; their changing blocks are held back", len(found),
                            len(undecided), extra={"survey": survey.slug,
                                                   "narrowed_sets": len(found),
                                                   "unproven": undecided})
            return history.blocks_narrowing(found, undecided, changing, sums)

        wanted = set(changing)
        changing, result = history.settle(
            changing, audit_of,
            lambda carry: changing_blocks(before, sizes, sums, survey.min_group_size, carry),
            sums, gate_of)
        if months_short:
            # Pacing gives no survey more times than this budget holds (history.times_in_full):
            # a table larger than it counted (a language no longer offered, a period reopened
            # beyond its close).
            with_months, of = months_short[-1]
            log.warning("release audit: months of %d of %d earlier times audited at the cut, "
                        "the others' as lower bounds (history.MONTHS_HISTORY_CELLS)",
                        with_months, of, extra={"survey": survey.slug})
        if any(on_marginals):
            # Not held back (that would stop every national monthly release): a relaxation
            # docs/privacy.md names under "Not yet", said where an operator looks.
            log.warning("release audit: the questions were read together through the "
                        "respondents' marginals, not their cells (audit._Joint); a range may "
                        "be wider than an attacker's", extra={"survey": survey.slug})
        if wanted - changing:
            log.info("release audit held back %d of %d changing blocks", len(wanted - changing),
                     len(wanted), extra={"survey": survey.slug})
        if not changing:
            log.warning("release audit: no figure can change without exposing a small group; "
                        "the last release stands", extra={"survey": survey.slug})
            return None
    release = ResultRelease(survey_id=survey.id,
                            released_at=now.replace(second=0, microsecond=0),
                            seq=previous_release.seq + 1 if previous_release else 0)
    # Its place in the survey's sequence is unique: another cut of this survey that stored a
    # release since this one read the last takes it, so no two releases are audited without
    # each other.
    if not db.add_unless_taken(session, release):
        log.warning("release not stored: another cut of this survey stored one first",
                    extra={"survey": survey.slug})
        return None
    for block, (data, time) in assemble(changing).items():
        session.add(ReleasedBlock(release_id=release.id, place=block[0], measure=block[1],
                                  data=data,
                                  computed_in=release.id if time == NOW else int(time)))
    session.flush()
    return release


@dataclass
class ReleaseAudit:
    """The cross-time audit of a survey's latest release (`audit_latest`)."""

    release: ResultRelease
    result: AuditResult
    releases: int  # how many releases it was audited with (itself and those before it)
    times: int  # how many earlier times' figures are in the system
    # Whether today's aggregates are those the release was cut from (its results stamp): if
    # not, today's table stands in for the one at the cut (docs/privacy.md).
    current: bool
    # Earlier times whose figures were public but are not in this audit ("recent": a cut's
    # budget, history.MAX_HISTORY_CELLS); 0 when every earlier time is in it.
    left_out: int = 0
    # The release's figures of the time it was cut (those it carries from earlier times are
    # the earlier layers'): what `palaute disclosure audit` searches for sets narrowed.
    figures: Mapping[Figure, float] = field(default_factory=dict)
    reasons: Reasons = field(default_factory=dict)  # and its reasons of that time
    # The earlier times' figures and reasons audited with it, and the floors of those left
    # out: what the search for sets narrowed across times reads (history.narrowed_release).
    earlier: Mapping[Any, tuple[Mapping[Figure, float], Reasons]] = field(default_factory=dict)
    floors: Mapping[Figure, float] = field(default_factory=dict)


def audit_latest(session: Session, survey: SurveySnapshot, table: Table, stamp: str | None, *,
                 full_ranges: bool = True, times: str = "all") -> ReleaseAudit | None:
    """Audit the latest release of `survey` as a whole: the figures computed at its cut are the
    current time, against `table` (today's true table, read under results `stamp`); every
    figure any release showed of an earlier time is a figure of that time (`times="all"`), or
    only the times a cut would audit (`"recent"`: those of this release and the one before it,
    then the newest others within history.MAX_HISTORY_CELLS). None if nothing was released
    yet."""
    rows = session.scalars(select(ResultRelease).where(ResultRelease.survey_id == survey.id)
                           .order_by(ResultRelease.id.desc())).all()
    if not rows:
        return None
    newest = rows[0]
    own: Timed = {b: (d, NOW if t == newest.id else t)
                  for b, (d, t) in _timed(_blocks(session, newest.id)).items()}
    public = _public_layers(session, survey.id, upto=newest.id)
    public.pop(newest.id, None)  # the release's own figures: the current time
    shown = history.served(own)
    budget = history.Budgeted(public, [], {}, None)
    if times == "recent":
        keep = {t for _d, t in own.values()} - {NOW}
        if len(rows) > 1:
            keep |= {b.computed_in for b in _blocks(session, rows[1].id).values()}
        budget = history.within_budget(table, public, keep, survey.min_group_size)
    elif times != "all":
        raise ValueError(f"times: 'all' or 'recent', not {times!r}")
    layers = dict(budget.earlier)
    history.merge(layers, {t: v for t, v in shown.items() if t != NOW})
    result = history.audit_release(table, shown.get(NOW, ({}, {})), layers,
                                   full_ranges=full_ranges, floors=budget.floors,
                                   floors_until=budget.floors_until)
    stamps = {d.get("stamp") for d, t in own.values() if t == NOW}
    audited_releases = len(rows) if times == "all" else min(len(rows), history.AUDITED_RELEASES)
    return ReleaseAudit(newest, result, audited_releases, len(layers),
                        stamp is not None and stamps == {stamp}, len(budget.left_out),
                        *shown.get(NOW, ({}, {})), layers, budget.floors)


def due(session: Session, survey: SurveySnapshot, mode: str, now: datetime) -> bool:
    """Is a scheduled release of `survey` due (RESULTS_RELEASE hourly or daily)?"""
    if mode not in DUE_AFTER:
        return False
    last = latest(session, survey.id)
    return last is None or (now - last.released_at).total_seconds() >= DUE_AFTER[mode]


# --- reading a release --------------------------------------------------------------------------
def _suppressed_question(question: dict[str, Any]) -> dict[str, Any]:
    return {"type": question["type"], "n": None, "counts": None, "mean": None, "nps": None,
            "suppressed": True}


def _release_info(release: ResultRelease | None) -> dict[str, Any] | None:
    if release is None:
        return None
    return {"released_at": release.released_at.strftime("%Y-%m-%dT%H:%MZ")}


def released_results(session: Session, survey: SurveySnapshot, scope: Scope) -> dict[str, Any]:
    """The results document (surveys.report.results.survey_results) as last released."""
    release = latest(session, survey.id)
    blocks = _blocks(session, release.id, scope.place) if release else {}
    own = blocks.get((scope.place, RESPONDENTS))
    suppressed = own is None or own.data["total"]["suppressed"]
    questions = {}
    for q in reported_questions(survey.definition):
        block = blocks.get((scope.place, q["id"]))
        questions[q["id"]] = _suppressed_question(q) if suppressed or block is None \
            else block.data["total"]
    doc = {
        "survey": survey.slug,
        "scope": scope.as_dict(),
        "min_group_size": survey.min_group_size,
        "respondents": None if suppressed else own.data["total"]["respondents"],
        "suppressed": suppressed,
        "questions": questions,
        "languages": _released_languages(survey, blocks, scope.place),
        "release": _release_info(release),
    }
    if suppressed:
        doc["reason"] = own.data["total"].get("reason") if own else None
    return doc


def _released_languages(survey: SurveySnapshot, blocks: Mapping[Block, ReleasedBlock],
                        place: str) -> dict[str, Any]:
    """The language breakdown as released (each block keeps its own, cut with its figures)."""
    own = blocks.get((place, RESPONDENTS))
    own_langs = own.data.get("langs", {}) if own else {}
    offered = list(survey.definition.get("languages") or [])
    hidden_q = {"n": None, "mean": None, "nps": None, "suppressed": True, "reason": None}
    out: dict[str, Any] = {}
    reported = reported_questions(survey.definition)
    for lg in offered + [lg for lg in own_langs if lg not in offered]:
        head = own_langs.get(lg) or {"respondents": None, "suppressed": True, "reason": None}
        questions = {}
        for q in reported:
            block = blocks.get((place, q["id"]))
            figures = block.data.get("langs", {}).get(lg) if block else None
            questions[q["id"]] = hidden_q if head["suppressed"] or figures is None else figures
        out[lg] = {"respondents": head["respondents"], "suppressed": head["suppressed"],
                   "questions": questions}
        if head["suppressed"]:
            out[lg]["reason"] = head.get("reason")
    return out


def released_monthly(session: Session, survey: SurveySnapshot, scope: Scope) -> dict[str, Any]:
    """The monthly document (surveys.report.results.monthly_results) as last released."""
    release = latest(session, survey.id)
    blocks = _blocks(session, release.id, scope.place) if release else {}
    own = blocks.get((scope.place, RESPONDENTS))
    month_names = sorted({m for (place, _measure), b in blocks.items() if place == scope.place
                          for m in b.data["months"]})
    hidden_q = {"n": None, "mean": None, "nps": None, "suppressed": True}
    months = []
    reported = reported_questions(survey.definition)
    for month in month_names:
        head = (own.data["months"].get(month) if own else None) or \
            {"respondents": None, "suppressed": True}
        questions = {}
        for q in reported:
            block = blocks.get((scope.place, q["id"]))
            figures = block.data["months"].get(month) if block else None
            questions[q["id"]] = hidden_q if head["suppressed"] or figures is None else figures
        entry = {"month": month, "respondents": head["respondents"],
                 "suppressed": head["suppressed"], "questions": questions}
        if head["suppressed"]:
            entry["reason"] = head.get("reason")
        months.append(entry)
    return {"survey": survey.slug, "scope": scope.as_dict(),
            "min_group_size": survey.min_group_size,
            "goals": survey.definition.get("goals", []), "months": months,
            "release": _release_info(release)}
