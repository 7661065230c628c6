"""The cross-time audit: a release and the figures of earlier times, as one system of sums.

Pure (no database). A release mixes times: a block that takes new figures at a cut shows
today's sums, a block that carries shows the sums of the release that last changed it
(surveys.report.releases), and the release before it was public too. Each block's figures were
audited when they were computed, but not the mixture: a carried county total from last week
beside this week's area and sibling totals may pin a group that is small today.

So every time whose figures are public is a *layer* of unknowns, the same cells as today's
(county × month × respondents' language), and

- each figure (and published reason) shown for a time constrains that time's layer exactly as
  today's figures constrain today's cells (sums; means and NPS within their rounding);
- aggregates only grow, which every reader knows: a layer's unknowns are at least 0 and at most
  the same unknowns of the next newer layer, the newest at most today's (responses are only
  added: a cell's respondents, a question's n and each option count never fall). Where that
  fails (a rebuild that quarantines responses, an operator deleting rows), the auditor finds the
  earlier figures above today's and audits that system without the earlier times (the result's
  `contradicted`, docs/privacy.md);
- the protected figures are those of today's true table under today's rules (size, positive,
  unanimous, exact); a group shown at an earlier time counts as shown. The true values of
  earlier times are not needed: only what was published constrains their layers.

Which times: every earlier time whose figures were ever public (every release of the survey,
each time once), each with everything any release showed of it (a question's figures of a group
become public when a later release shows that group's respondents). `palaute disclosure audit`
audits all of them. A cut keeps its audit bounded: the times of the release being cut and of
the one before it always (`AUDITED_RELEASES` = 2, what the cut audited before every release
was), then the newest other times while the system stays within `MAX_HISTORY_CELLS` (cells ×
layers, `select_times`). The times left out still enter as lower bounds: every count they
showed is at least as large at every later time (`floors_of`, put on the oldest layer audited
after them), a relaxation of their layers that misses only what their figures say
together; the cut logs how many it left out (docs/privacy.md, "Earlier releases and the
audit").

The auditor protects the groups and the sets it lists or finds within one time; once it passes,
a cut's gate searches for sets of any shape that the times narrow together
(`narrowed_release`, surveys.report.narrowing; docs/privacy.md "Sets narrowed across
releases").

Layers that add nothing are dropped exactly (`reduce_layers`, per linear system): a layer whose
constraints are all constraints of the *next newer* layer kept (the same figures with the same
values, the same reasons) — set it equal to that newer layer and every constraint still holds,
so the feasible range of every figure of today is the same. "Also published at some later
time" is not enough: a layer between them may be pinned by the two together (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from .audit import (
    ALL_MONTHS,
    COUNT,
    LANG,
    MEAN,
    NPS,
    PROTECTS_OTHER,
    RESPONDENTS,
    AuditResult,
    Figure,
    N,
    Range,
    Table,
    area_place,
    audit,
    count_of,
    lang_period,
    marginals_apply,
    reduce_layers,  # noqa: F401 (the exact layer reduction: run by the auditor, per system)
)
from .pacing import MIN_TIMES, capacity

# The release being audited and the one before it: their times are always in a cut's audit
# (unit releases are audited with every earlier one, surveys.report.units).
AUDITED_RELEASES = 2
# A cut audits further earlier times, newest first, while unknowns × layers (today's and the
# earlier ones, as solved: cells, marginals or cells summed over the months, `solved_cells`)
# stays within this; `palaute disclosure audit` audits every one. 660 = a national survey
# without months (22 counties × 3 languages) with 10 layers: 2-20 s of CPU at 2,000-20,000
# respondents, where 15 layers took 38 s and 30 layers 459 s (bench/history_cpu.py,
# docs/performance.md "The cross-time audit over every release"); a cut may audit several
# times (settle). The months of the newest times have a budget of their own (below).
MAX_HISTORY_CELLS = 660
# Above this many finest cells × times the cross-time audit leaves the cells: at national size
# (22 counties × 12 months × 3 languages × 2 times) the audit on the cells took 696 s of CPU
# with a linprog per program, 25 s since each system keeps one warm-started HiGHS model
# (bench/audit_cpu.py, docs/performance.md "The cross-time audit"), too long for a cut.
MAX_MONTHLY_CELLS = 800
# Above it, the months stay in on the marginals (audit._Marginals: areas × months + counties ×
# languages per layer) wherever no county's month is published; False: left out, as before 2
# December (bench/history_cpu.py --compare-months times both; docs/privacy.md, "Months").
MONTHS_ON_MARGINALS = True
# How many of the newest times have their months audited on the marginals (unknowns × times,
# today's included; every time is audited without its months besides). Pacing gives a survey
# no more times than this holds (`times_in_full`). 630 = 5 national layers in three languages
# (126 each) or 3 in six (192 each): 83-88 s of CPU at 2,000 respondents per round of a cut's
# settle loop, where 7 layers took 949 s (bench/history_cpu.py --months-cells,
# docs/performance.md "Months of every time").
MONTHS_HISTORY_CELLS = 630

Block = tuple[str, str]  # (place, measure): measure "*" (respondents) or a question id
Reasons = dict[tuple[str, str, str], str]
Figures = dict[Figure, float]
T = TypeVar("T")


def _groups(data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any] | None]]:
    """(period, figures) of a block's data: the whole period, each month, each language."""
    yield ALL_MONTHS, data.get("total")
    for month, figures in (data.get("months") or {}).items():
        yield month, figures
    for lang, figures in (data.get("langs") or {}).items():
        yield lang_period(lang), figures


def _head(head: Mapping[str, Any] | None, period: str) -> Mapping[str, Any] | None:
    """The respondents' figures of the same group in the respondents' block."""
    if head is None:
        return None
    if period == ALL_MONTHS:
        return head.get("total")
    if period.startswith(LANG):
        return (head.get("langs") or {}).get(period[len(LANG):])
    return (head.get("months") or {}).get(period)


def block_figures(place: str, measure: str, data: Mapping[str, Any],
                  head: Mapping[str, Any] | None) -> tuple[Figures, Reasons]:
    """The figures and reasons a block's data shows, as the auditor's figures.

    A block holds exactly what was served: `total`, `months` and `langs` each in the shape of
    the results documents (surveys.report.results). `head`: the data of the same place's
    respondents block in the same release; where it hides a group, the question's figures of
    that group are not served (surveys.report.releases.released_results), so they show nothing.
    """
    figures: Figures = {}
    reasons: Reasons = {}
    for period, doc in _groups(data):
        if not doc:
            continue
        if measure == RESPONDENTS:
            if doc.get("suppressed", True) or doc.get("respondents") is None:
                if doc.get("reason"):
                    reasons[(place, period, RESPONDENTS)] = doc["reason"]
                continue
            figures[(place, period, RESPONDENTS, N)] = doc["respondents"]
            continue
        own = _head(head, period)
        if not own or own.get("suppressed", True):
            continue
        if doc.get("n") is None:
            if doc.get("reason"):
                reasons[(place, period, measure)] = doc["reason"]
            continue
        figures[(place, period, measure, N)] = doc["n"]
        for option, count in (doc.get("counts") or {}).items():
            if count is not None:
                figures[(place, period, measure, count_of(option))] = count
        for m in (MEAN, NPS):
            if doc.get(m) is not None:
                figures[(place, period, measure, m)] = doc[m]
    return figures, reasons


def served(blocks: Mapping[Block, tuple[Mapping[str, Any], T]]) -> dict[T, tuple[Figures, Reasons]]:
    """What one release shows, per time: {time: (figures, reasons)} from its blocks, each
    {block: (data, the time its figures were computed at)}."""
    out: dict[T, tuple[Figures, Reasons]] = {}
    for (place, measure), (data, time) in blocks.items():
        head = blocks.get((place, RESPONDENTS))
        figures, reasons = block_figures(place, measure, data, head[0] if head else None)
        layer = out.setdefault(time, ({}, {}))
        layer[0].update(figures)
        layer[1].update(reasons)
    return out


def merge(into: dict[T, tuple[Figures, Reasons]], more: Mapping[T, tuple[Figures, Reasons]],
          times: Iterable[T] | None = None) -> None:
    """Add `more`'s figures to `into`, time by time (only `times`, if given)."""
    keep = None if times is None else set(times)
    for time, (figures, reasons) in more.items():
        if keep is not None and time not in keep:
            continue
        layer = into.setdefault(time, ({}, {}))
        layer[0].update(figures)
        layer[1].update(reasons)


def _monthly(layers: Iterable[tuple[Figures, Reasons]]) -> bool:
    return any(not (period == ALL_MONTHS or period.startswith(LANG))
               for figures, reasons in layers
               for period in {*(f[1] for f in figures), *(g[1] for g in reasons)})


def floors_of(layers: Iterable[tuple[Figures, Reasons]], threshold: int) -> Figures:
    """What earlier times left out of a cut's audit still say about every later time: each
    count they showed (respondents, a question's n, an option's count; not a mean or an NPS)
    is a lower bound of the same sum at every later time, and a count "hidden to protect
    another" is at least the threshold, as sums only grow. The largest bound of each sum. A
    relaxation of those times' layers (their figures together may say more), never more than
    they say: `audit_release(floors=...)` on a layer later than all of them."""
    out: Figures = {}
    for figures, reasons in layers:
        for fig, value in figures.items():
            if fig[3] == N or fig[3].startswith(COUNT):
                out[fig] = max(out.get(fig, 0), value)
        for (place, period, key), reason in reasons.items():
            if reason == PROTECTS_OTHER:
                fig = (place, period, key, N)
                out[fig] = max(out.get(fig, 0), threshold)
    return out


def audit_release(table: Table, current: tuple[Figures, Reasons],
                  earlier: Mapping[Any, tuple[Figures, Reasons]], *, full_ranges: bool = False,
                  cache: dict | None = None, floors: Figures | None = None,
                  floors_until: Any = None) -> AuditResult:
    """Audit the figures of the current time (`current`: figures and reasons) together with
    those of earlier times (`earlier`: {time: (figures, reasons)}, times ordered as they were
    cut), against today's true `table` (module docstring).

    `floors` (`floors_of` the times left out), learnt at times up to `floors_until`, go on
    the oldest layer of a later time (the current one if no earlier time is later).

    Where no time publishes any month, the table summed over months is audited (as
    surveys.report.disclosure.publish_without_months argues: a county's month then appears in
    nothing but its totals, at every time alike, so the totals' ranges cover the months)."""
    # A group today's table does not have (a month or a language without data today) had
    # none at any earlier time either, unless the aggregates shrank: its figures can't be
    # placed and are left out (docs/privacy.md, "Earlier releases and the audit").
    groups = set(table.groups())
    order = sorted(earlier, reverse=True)
    history = [_within(groups, earlier[t]) for t in order]
    floors_at = -1
    if floors:
        if floors_until is None:
            raise ValueError("floors without the time they were learnt at")
        floors_at = max((i for i, t in enumerate(order) if t > floors_until), default=-1)
    floors = _within(groups, (floors or {}, {}))[0]
    figures, reasons = _within(groups, current)
    # The groups of the table summed over months: the whole period and each language.
    whole = {g for g in groups if g[1] == ALL_MONTHS or g[1].startswith(LANG)}
    monthly = _monthly([(figures, reasons), *history])
    if monthly and table.size * (1 + len(history)) > MAX_MONTHLY_CELLS:
        # Too many cells: the whole-period and language figures of every time (their months
        # across time left to what follows), and where the marginals apply (no county's month
        # published), the months of the newest times on them as well (audit._Marginals).
        coarse = _summed(table, (figures, reasons), history, floors, floors_at, whole,
                         full_ranges, cache)
        if not (MONTHS_ON_MARGINALS and marginals_apply(
                table, [(figures, reasons), *history, (floors, {})])):
            coarse.months_dropped = True
            return coarse
        per_layer = solved_cells(table, True, 1, months="marginals")
        fit = max(0, MONTHS_HISTORY_CELLS // per_layer - 1)  # earlier times with months
        newest, older = history[:fit], history[fit:]
        if older:
            # The times left out of the months' part still bound every later count from
            # below (floors_of): on the oldest time kept, or nearer today where the floors
            # given hold only from there (a floor on a later time is weaker, still true).
            floors_at = min(len(newest) - 1, floors_at) if floors else len(newest) - 1
            floors = {**floors}
            for fig, value in floors_of(older, table.threshold).items():
                floors[fig] = max(floors.get(fig, 0), value)
        fine = audit(table, figures, reasons=reasons, history=newest, full_ranges=full_ranges,
                     cache=cache, floors=floors, floors_at=floors_at, basis="marginals")
        fine.months_times = len(newest)
        return _both(fine, coarse)
    if not monthly:
        return _summed(table, (figures, reasons), history, floors, floors_at, whole,
                       full_ranges, cache)
    return audit(table, figures, reasons=reasons, history=history, full_ranges=full_ranges,
                 cache=cache, floors=floors, floors_at=floors_at)


def narrowed_release(table: Table, current: tuple[Figures, Reasons],
                     earlier: Mapping[Any, tuple[Figures, Reasons]],
                     floors: Figures | None = None) -> tuple[list[Any], list[str]]:
    """The gate of sets narrowed (surveys.report.narrowing) across times: the sets of today's
    cells, of 1 … k−1 people of any counted key, whose range the figures of the current time
    *together with* those of the earlier times (`earlier`, as `audit_release` takes them; each
    time a layer of the same cells, every cell at most its next newer self) and the `floors`
    pin or narrow below the size rule. Returns every set found (`narrowing.Narrowed`, each
    with the groups of the current time that bound it) and the keys whose search stopped
    undecided (not proven). Figures only, as `publish`'s gate reads them: the reasons are
    withdrawn at publication wherever they narrow a set of their time (`narrowing_reasons`).

    The cells are those `audit_release` solves on: today's where some time publishes months
    and cells × times stays within MAX_MONTHLY_CELLS, else the table summed over the months
    with the whole-period and language figures, and, where months are published, the areas'
    cells (`_areas_table`) with the areas' and the country's figures of today and of the
    newest earlier times that fit (a county's months across times left out: a relaxation,
    docs/privacy.md "Sets narrowed across releases")."""
    from .narrowing import FIGURES_TIME_LIMIT, narrowed_search, signature  # (scipy)

    groups = set(table.groups())
    layers = [_within(groups, earlier[t])[0] for t in sorted(earlier, reverse=True)]
    figures = _within(groups, current)[0]
    floors = _within(groups, (floors or {}, {}))[0]
    monthly = _monthly([(f, {}) for f in [figures, *layers]])
    systems = [(table, figures, layers, floors, False)]
    if not monthly or table.size * (1 + len(layers)) > MAX_MONTHLY_CELLS:
        from .disclosure import collapsed

        whole = {g for g in groups if g[1] == ALL_MONTHS or g[1].startswith(LANG)}
        systems = [(collapsed(table) if len(table.months) > 1 else table,
                    *_only(whole, figures, layers, floors), False)]
        # Months are published for areas and the country only (never a county's): their
        # cells area × month × language hold what the months of several times say together
        # (a month that nobody joins any more, beside the languages), which the table summed
        # over the months cannot. The newest times that fit.
        areas = _areas_table(table) if monthly and layers else None
        fit = MAX_MONTHLY_CELLS // areas.size - 1 if areas is not None else 0  # with months
        if areas is not None and fit >= 1:
            above = set(areas.groups())
            systems.append((areas, *_only(above, figures, layers[:fit], floors), True))
    found: list[Any] = []
    undecided: set[str] = set()
    for solved, shown, before, floor, of_areas in systems:
        searched: dict[tuple, tuple[list[Any], bool]] = {}
        for key in solved.counted_keys():
            # A question everyone answered, at every time, is the respondents' search.
            mark = signature(solved, shown, key, before, floor)
            if mark not in searched:
                searched[mark] = narrowed_search(solved, shown, key,
                                                 time_limit=FIGURES_TIME_LIMIT,
                                                 earlier=before, floors=floor)
            sets, stopped = searched[mark]
            sets = [s.of(key) for s in sets]
            if of_areas:  # cells named by their area's place, as the blocks are
                sets = [replace(s, cells=[(area_place(c[0]), *c[1:]) for c in s.cells])
                        for s in sets]
            found += sets
            undecided |= {key} if stopped else set()
    return found, sorted(undecided)


def _only(groups: set[tuple[str, str]], figures: Figures, layers: list[Figures],
          floors: Figures) -> tuple[Figures, list[Figures], Figures]:
    """The figures, earlier layers and floors of `groups` only."""
    return (_within(groups, (figures, {}))[0], [_within(groups, (f, {}))[0] for f in layers],
            _within(groups, (floors, {}))[0])


def _areas_table(table: Table) -> Table:
    """The table of areas × months × languages (each area one pseudo-county of its own name,
    in itself): its groups are the areas' and the country's, with the same names."""
    from .disclosure import summed_cells

    cells = summed_cells(table, lambda county, *rest: (table.area_of[county], *rest))
    return Table({a: a for a in table.areas}, table.months, table.questions, table.threshold,
                 cells, table.langs)


def _summed(table: Table, current: tuple[Figures, Reasons],
            history: list[tuple[Figures, Reasons]], floors: Figures, floors_at: int,
            whole: set[tuple[str, str]], full_ranges: bool, cache: dict | None) -> AuditResult:
    """The audit of the whole-period and language figures only, on the table summed over the
    months. A floor of a month can't be placed there (its group is not a group of the summed
    table), and the whole period's floors say at least as much."""
    from .disclosure import collapsed

    if len(table.months) > 1:
        table = collapsed(table)
    figures, reasons = _within(whole, current)
    return audit(table, figures, reasons=reasons,
                 history=[_within(whole, layer) for layer in history], full_ranges=full_ranges,
                 cache=cache, floors=_within(whole, (floors, {}))[0], floors_at=floors_at)


def _both(fine: AuditResult, coarse: AuditResult) -> AuditResult:
    """One result of two audits of the same release (each leaves out part of what the
    attacker knows): a figure passes where it passes in both (audit._narrowest)."""
    from .audit import _narrowest

    # (The summed table's one pseudo-month is its whole period again: not a figure of its own.)
    summed = [r for r in coarse.ranges if r.figure[1] != ALL_MONTHS + "all"]
    fine.ranges = _narrowest([*fine.ranges, *summed], fine.threshold, False)
    fine.programs += coarse.programs
    for name in ("contradicted", "truth_outside", "relaxed", "uncoupled"):
        setattr(fine, name, sorted({*getattr(fine, name), *getattr(coarse, name)}))
    fine.joint_on_marginals = fine.joint_on_marginals or coarse.joint_on_marginals
    fine.earlier_solved = max(fine.earlier_solved, coarse.earlier_solved)
    return fine


def solved_cells(table: Table, monthly: bool, layers: int, months: str | None = None) -> int:
    """Unknowns per layer (per block) × `layers` as `audit_release` solves its times: the cells
    where some time publishes months and cells × layers stays within MAX_MONTHLY_CELLS, else
    the cells summed over the months (county × language; above the limit the months of the
    newest times are solved on the marginals besides, within MONTHS_HISTORY_CELLS).
    `months="marginals"`: the marginals' count (areas × months + counties × languages)."""
    if months == "marginals":
        return (len(table.areas) * len(table.months)
                + len(table.counties) * max(1, len(table.langs))) * layers
    if monthly and table.size * layers <= MAX_MONTHLY_CELLS:
        return table.size * layers
    return len(table.counties) * max(1, len(table.langs)) * layers


def times_in_full(counties: int, areas: int, months: int, langs: int) -> int:
    """How many times (layers, today's included) a cut audits in full, each with its months,
    for a table of `counties` in `areas` over `months` in `langs`: the times within
    MAX_HISTORY_CELLS without months (`select_times`), and where the months go on the marginals
    (more than one month, and cells × layers above MAX_MONTHLY_CELLS: `audit_release`), within
    MONTHS_HISTORY_CELLS on the marginals too. Never fewer than pacing.MIN_TIMES (one early,
    one at the close): a table too large for two has its older time's months as lower bounds.
    What surveys.report.pacing gives a survey."""
    langs = max(1, langs)
    times = capacity(counties * langs, MAX_HISTORY_CELLS)
    cells = counties * months * langs
    if months > 1 and cells * times > MAX_MONTHLY_CELLS:
        per_layer = areas * months + counties * langs  # solved_cells(months="marginals")
        # As many as fit on the cells, or with their months on the marginals, whichever is
        # more (a table of few months and languages fits more times on its cells).
        with_months = max(MAX_MONTHLY_CELLS // cells, MONTHS_HISTORY_CELLS // per_layer)
        times = max(MIN_TIMES, min(times, with_months))
    return times


def select_times(table: Table, layers: Mapping[T, tuple[Figures, Reasons]], keep: Iterable[T],
                 limit: int | None = None) -> tuple[list[T], list[T]]:
    """Which earlier times a cut audits: every time in `keep` (those of the release being cut
    and of the one before it), then the newest others while the unknowns without months
    (`solved_cells(monthly=False)`) of today's layer and the chosen ones stay within `limit`
    (None: MAX_HISTORY_CELLS); surveys.report.pacing keeps a survey's times within it.
    Returns (chosen, left out), each newest first. Leaving a time out is a relaxation (the
    attacker knows it): the cut logs it, and `palaute disclosure audit` audits every time."""
    limit = MAX_HISTORY_CELLS if limit is None else limit
    order = sorted(layers, reverse=True)
    keep = set(keep)
    chosen = [t for t in order if t in keep]
    left_out: list[T] = []
    for t in order:
        if t in keep:
            continue
        # The budget bounds the unknowns without months (county × language per layer): where
        # the months are solved on the cells, MAX_MONTHLY_CELLS bounds them (audit_release
        # leaves the cells above it). Counting the cells against this budget instead left
        # every older time out where one more layer crossed it below MAX_MONTHLY_CELLS,
        # though more layers, solved without months, fitted again.
        if not left_out and solved_cells(table, False, len(chosen) + 2) <= limit:
            chosen.append(t)
        else:
            left_out.append(t)
    return sorted(chosen, reverse=True), left_out


@dataclass
class Budgeted(Generic[T]):
    """What a cut audits of the earlier times (`within_budget`)."""

    earlier: dict[T, tuple[Figures, Reasons]]  # the times audited in full
    left_out: list[T]  # newest first
    floors: Figures  # what the times left out still say (floors_of)
    floors_until: T | None  # the newest time left out: the floors hold after it


def within_budget(table: Table, layers: Mapping[T, tuple[Figures, Reasons]], keep: Iterable[T],
                  threshold: int) -> Budgeted[T]:
    """The earlier times a cut audits (`select_times`) and the lower bounds the others still
    give (`floors_of`): one piece for the cut and `palaute disclosure audit --history recent`,
    so the operator's audit is the cut's."""
    chosen, left_out = select_times(table, layers, keep)
    return Budgeted({t: layers[t] for t in chosen}, left_out,
                    floors_of([layers[t] for t in left_out], threshold),
                    max(left_out, default=None))


def _within(groups: set[tuple[str, str]],
            layer: tuple[Figures, Reasons]) -> tuple[Figures, Reasons]:
    figures, reasons = layer
    return ({f: v for f, v in figures.items() if f[:2] in groups},
            {g: r for g, r in reasons.items() if g[:2] in groups})


def neighbours(place: str, sums: Iterable[tuple[str, Sequence[str]]]) -> set[str]:
    """The place and every place that shares a sum with it (its sum, its parts, its
    siblings)."""
    out = {place}
    for parent, parts in sums:
        if place == parent or place in parts:
            out |= {parent, *parts}
    return out


def blocks_to_carry(exposed: Iterable[Range], changing: set[Block],
                    sums: Sequence[tuple[str, Sequence[str]]]) -> set[Block]:
    """The changing blocks to hold back (carry their previous figures, or show none) after the
    cross-time audit found `exposed`: per exposed figure, the changing blocks of its measure
    that share a sum with its place; failing that, of its measure anywhere; then any changing
    block sharing a sum with it; then all. Never empty while anything changes, so the cut's
    loop ends."""
    out: set[Block] = set()
    for r in exposed:
        place, _period, key, _measure = r.figure
        out |= _near(place, key, changing, sums)
    return out


def _near(place: str, key: str, changing: set[Block],
          sums: Sequence[tuple[str, Sequence[str]]]) -> set[Block]:
    """`blocks_to_carry`'s choice for one figure of `key` at `place`."""
    near = set().union(*(neighbours(p, sums) for p in Table.places_in(place)))
    pick = {b for b in changing if b[1] == key and b[0] in near}
    if not pick:
        pick = {b for b in changing if b[1] == key}
    if not pick:
        pick = {b for b in changing if b[0] in near}
    return pick or set(changing)


def blocks_narrowing(found: Iterable[Any], undecided: Iterable[str], changing: set[Block],
                     sums: Sequence[tuple[str, Sequence[str]]]) -> set[Block]:
    """The changing blocks to hold back after the gate across times (`narrowed_release`) found
    sets (`narrowing.Narrowed`) or could not decide keys: per set, the changing blocks whose
    sums of the current time bound its range (its `through`: one sum fewer widens it), failing
    those, `blocks_to_carry`'s choice around each of its places; per undecided key, its
    changing blocks (`unproven_blocks`). Never empty while something is found and anything
    changes, so the cut's loop ends."""
    undecided = list(undecided)
    if undecided:
        return unproven_blocks(undecided, changing)
    # One set a round: the sets found together often have one cause (a sum of the current
    # time beside an earlier one: in tests/unit/report/test_release_history.py the country's
    # January beside its languages pins February's Swedish and Northern Sámi speakers, and
    # so each question's), and the next round's search sees what holding it back did.
    first = next(iter(found), None)
    if first is None:
        return set()
    pick = {(g[0], of) for g, of in first.through} & changing
    return pick or set().union(*(_near(c[0], first.key, changing, sums) for c in first.cells))


def settle(changing: set[Block], audit_of: Callable[[set[Block]], AuditResult],
           rule: Callable[[set[Block]], set[Block]],
           sums: Sequence[tuple[str, Sequence[str]]],
           gate: Callable[[set[Block], AuditResult], set[Block]] | None = None
           ) -> tuple[set[Block], AuditResult]:
    """The blocks that may change at a cut once the cross-time audit passes.

    `audit_of(changing)` audits the release those changes would make; `rule(carry)` is the
    release rule with the blocks `carry` held back (surveys.report.releases.changing_blocks).
    While the audit exposes a figure, the changing blocks near it are held back
    (`blocks_to_carry`) and the audit runs again. Each round holds back at least one more
    block, so it ends: with a release that passes, or with nothing left to change (then the
    last release stands) and the failing result.

    A release that passes question by question, but whose questions could not all be read
    together within the coupling's budget (the result's `uncoupled`, audit._Joint), is not
    proven against a reader of all of them: the changing blocks of those questions are held
    back (`unproven_blocks`), as an exposed figure's are.

    `gate(changing, result)`, once the audit passes: the changing blocks to hold back for
    sets the release narrows across times (`narrowed_release`, `blocks_narrowing`); none, the
    release stands."""
    carry: set[Block] = set()
    while True:
        result = audit_of(changing)
        if not changing:
            return changing, result
        if result.passed and not result.uncoupled:
            more = gate(changing, result) if gate is not None else set()
            if not more:
                return changing, result
            carry |= more
        elif result.passed:
            carry |= unproven_blocks(result.uncoupled, changing)
        else:
            carry |= blocks_to_carry(result.exposed, changing, sums)
        changing = rule(carry)


def unproven_blocks(keys: Iterable[str], changing: set[Block]) -> set[Block]:
    """The changing blocks to hold back when the systems `keys` (question ids, or the
    respondents') passed alone but were not read with the others: those of their measures;
    failing that (the earlier times alone outgrow the budget), all. Never empty while
    anything changes."""
    keys = set(keys)
    return {b for b in changing if b[1] in keys} or set(changing)
