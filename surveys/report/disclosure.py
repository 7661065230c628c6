"""Small-group suppression that also survives differencing.

Hiding a county with 3 respondents is not enough when its collaboration area (say 40) and the
area's other counties (37 together) are shown: 40 - 37 = 3. The same holds over time: a year's total
minus its shown months reveals a hidden month. So the figures are treated as one table, places
(county, area, country) × periods (each month and all months), and within every sum in it (counties
→ area, areas → country, months → all months) the hidden parts must together hold nobody or at
least the threshold; if not, the smallest shown parts are hidden too (secondary suppression),
repeated until nothing changes. A hidden total hides all its parts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .audit import (
    ALL_MONTHS,
    BELOW_THRESHOLD,
    COUNT,
    COUNTRY,
    LANG,
    MEAN,
    MIN_OPTION_COUNT,
    NPS,
    PROTECTS_OTHER,
    RESPONDENTS,
    UNANIMOUS,
    AuditResult,
    Figure,
    Group,
    Layer,
    N,
    QuestionModel,
    Reasons,
    Table,
    area_place,
    audit,
    count_of,
    protected_figures,
)

if TYPE_CHECKING:
    from .narrowing import Narrowed

log = logging.getLogger(__name__)

Cell = tuple[str, str]  # (place, period): place is a county code, "area:<code>" or "FI"


def secondary(parts: Mapping[str, int], hidden: set[str], threshold: int) -> set[str]:
    """Parts of one shown sum to hide as well, so the hidden ones hold nobody or >= threshold."""
    hidden_sum = sum(parts[p] for p in hidden)
    shown = sorted((n, p) for p, n in parts.items() if p not in hidden)
    extra: set[str] = set()
    while 0 < hidden_sum < threshold and shown:
        n, p = shown.pop(0)
        extra.add(p)
        hidden_sum += n
    return extra


def _relations(area_of: Mapping[str, str], months: Iterable[str]) -> list[tuple[Cell, list[Cell]]]:
    areas: dict[str, list[str]] = {}
    for region, area in sorted(area_of.items()):
        areas.setdefault(area, []).append(region)
    places = [*area_of, *(area_place(a) for a in areas), COUNTRY]
    periods = [*months, ALL_MONTHS]
    relations: list[tuple[Cell, list[Cell]]] = []
    for period in periods:
        relations.append(((COUNTRY, period), [(area_place(a), period) for a in areas]))
        for area, regions in areas.items():
            relations.append(((area_place(area), period), [(r, period) for r in regions]))
    for place in places:
        relations.append(((place, ALL_MONTHS), [(place, m) for m in months]))
    return relations


def hidden_cells(counts: Mapping[Cell, int], area_of: Mapping[str, str],
                 threshold: int) -> set[Cell]:
    """Every cell of the table that must be hidden.

    `counts` holds county-level counts per month, {(county, "YYYY-MM"): n}; missing ones are 0.
    """
    months = sorted({m for _, m in counts})
    values: dict[Cell, int] = {}
    for region in area_of:
        for m in months:
            values[(region, m)] = counts.get((region, m), 0)
    relations = _relations(area_of, months)
    # Sums bottom-up: areas from counties, the country from areas, all months from months.
    for parent, children in relations:
        if parent[1] != ALL_MONTHS and parent[0] != COUNTRY:
            values[parent] = sum(values.get(c, 0) for c in children)
    for parent, children in relations:
        if parent[0] == COUNTRY and parent[1] != ALL_MONTHS:
            values[parent] = sum(values.get(c, 0) for c in children)
    for parent, children in relations:
        if parent[1] == ALL_MONTHS:
            values[parent] = sum(values.get(c, 0) for c in children)

    return _spread({cell for cell, n in values.items() if n < threshold}, values, relations,
                   threshold)


def _spread(hidden: set, values: dict, relations: list, threshold: int) -> set:
    """`hidden` grown until each sum's hidden parts are nobody or at least `threshold`
    (`secondary` per sum; a hidden sum hides all its parts), until nothing changes."""
    changed = True
    while changed:
        changed = False
        for parent, children in relations:
            if parent in hidden:
                newly = set(children) - hidden
            else:
                parts = {c: values[c] for c in children}
                newly = secondary(parts, {c for c in children if c in hidden}, threshold)
            if newly:
                hidden |= newly
                changed = True
    return hidden


def hidden_groups(table: Table, key: str) -> set[Group]:
    """`hidden_cells` over the table's own groups and sums (months and, with languages, the
    language groups): every group of `key`'s n below the threshold, and the secondary
    suppression that keeps each sum's hidden parts at nobody or at least the threshold."""
    k = table.threshold
    values = {g: table._sum(g, key, N) for g in table.groups()}
    relations = table.relations()
    return _spread({g for g, n in values.items() if n < k}, values, relations, k)


# ---------------------------------------------------------------------------------------------
# The published system, audited (surveys.report.audit): what results.py publishes.

MAX_ROUNDS = 200


@dataclass
class Publication:
    """Every figure published for a survey, {(place, period, key, measure): value}, and the
    audit that passed it. A figure not in `figures` is hidden."""

    table: Table
    figures: dict[Figure, float]
    result: AuditResult
    county_months: bool = False
    rounds: int = 0
    seconds: float = 0.0
    # False: no month is published at all (publish_without_months).
    monthly: bool = True
    months: tuple[str, ...] = ()
    # Why each hidden group (its respondents, or a question's n inside a shown group) is hidden:
    # {(place, period, key): BELOW_THRESHOLD | PROTECTS_OTHER}; audited with the figures.
    reasons: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # The county × month (× language) table it was computed from (`table` is summed over months
    # when no month is published), and that table's results stamp (surveys.report.results).
    source: Table | None = None
    stamp: str | None = None
    # The systems (question ids, "*" the respondents') whose figures passed the audit one
    # question at a time but could not be read with every other question within the coupling's
    # budget (audit._Joint, the audit's `uncoupled`): not proven against a reader of all of
    # them, so nothing was published (`publish`), and the survey's publication falls back to
    # whole-period figures (surveys.report.results.audited_publication).
    unproven: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.months:
            self.months = self.table.months

    def get(self, place: str, period: str, key: str, measure: str) -> float | None:
        return self.figures.get((place, period, key, measure))

    def reason(self, place: str, period: str, key: str) -> str | None:
        return self.reasons.get((place, period, key))


def positions(table: Table, county_months: bool = False, monthly: bool = True) -> list[Group]:
    """The groups that have figures at all: every place over the whole period and in each
    respondents' language; each month for the areas and the country (and the counties only if
    `county_months`; none if not `monthly`)."""
    return [(place, period) for place, period in table.groups()
            if period == ALL_MONTHS or period.startswith(LANG)
            or (monthly and (place not in table.area_of or county_months))]


def measures(q: QuestionModel, period: str) -> list[str]:
    """What a shown group publishes for question q besides n: option counts over the whole
    period only (the monthly view has n, mean and NPS), the mean of a scale, the NPS."""
    out = []
    if period == ALL_MONTHS:
        out += [count_of(o) for o in q.options]
    if q.values is not None and q.kind == "one":
        out.append(MEAN)
    if q.nps:
        out.append(NPS)
    return out


class _Suppression:
    def __init__(self, table: Table, county_months: bool, monthly: bool = True) -> None:
        self.table = table
        self.positions = positions(table, county_months, monthly)
        self.position_set = set(self.positions)
        self.relations = table.relations()
        k = table.threshold
        # Start: the threshold and the differencing heuristic above, per count.
        self.hidden: dict[str, set[Group]] = {}
        for key in table.counted_keys():
            self.hidden[key] = hidden_groups(table, key)
            self.hidden[key] |= {g for g in self.positions if table.value((*g, key, N)) < k}
        self.withheld: set[tuple[Group, str, str]] = set()
        self.published: dict[Figure, float] = {}
        for group in self.positions:
            for q in table.questions:
                self._attribute_rules(group, q)

    def _attribute_rules(self, group: Group, q: QuestionModel) -> None:
        """Inside a shown group: no unanimous answer, no option count of 1 … MIN_OPTION_COUNT−1."""
        if not q.options:
            return
        n = self.table.value((*group, q.id, N))
        if not n:
            return
        counts = {o: self.table.value((*group, q.id, count_of(o))) for o in q.options}
        ms = self.measures(q, group[1])
        if any(v == n for o, v in counts.items() if o not in q.harmless):
            self.withheld |= {(group, q.id, m) for m in ms}
            return
        if not any(m.startswith(COUNT) for m in ms):  # a month: no option counts
            return
        small = [o for o, v in counts.items() if 0 < v < MIN_OPTION_COUNT]
        self.withheld |= {(group, q.id, count_of(o)) for o in small}
        if len(small) == 1 and q.kind == "one":
            # n minus the shown counts would give it: the smallest other count goes too.
            _, o = min((v, o) for o, v in counts.items() if o not in small)
            self.withheld.add((group, q.id, count_of(o)))

    def measures(self, q: QuestionModel, period: str) -> list[str]:
        """What a shown group publishes for q besides n (a subclass may publish more: the
        units' breakdown values have option counts, surveys.report.units)."""
        return measures(q, period)

    def breakdown_value(self, period: str) -> bool:
        """Whether `period` is a value of a breakdown rather than a total or a month: a fix
        near a group of such values hides other values first (`fix`). Here the languages; the
        unit tables' breakdown values too (surveys.report.units._UnitSuppression)."""
        return period.startswith(LANG)

    def shown(self, group: Group, key: str) -> bool:
        return (group in self.position_set and group not in self.hidden[RESPONDENTS]
                and group not in self.hidden[key])

    def figures(self) -> dict[Figure, float]:
        out: dict[Figure, float] = {}
        self.published = out
        for group in self.positions:
            if not self.shown(group, RESPONDENTS):
                continue
            out[(*group, RESPONDENTS, N)] = self.table.value((*group, RESPONDENTS, N))
            for q in self.table.questions:
                if not self.shown(group, q.id):
                    continue
                out[(*group, q.id, N)] = self.table.value((*group, q.id, N))
                for m in self.measures(q, group[1]):
                    if (group, q.id, m) not in self.withheld:
                        value = self.table.value((*group, q.id, m))
                        if value is not None:
                            out[(*group, q.id, m)] = value
        return out

    def reasons(self) -> dict[tuple[str, str, str], str]:
        """Why each hidden group is hidden, as the page says it: its respondents (or, in a shown
        group, a question's answers) below the threshold, or hidden to protect another group.
        Read from the true counts, so the auditor can add each as what it tells (< k, >= k)."""
        k = self.table.threshold
        out: dict[tuple[str, str, str], str] = {}

        def why(group: Group, key: str) -> str:
            return BELOW_THRESHOLD if self.table._sum(group, key, N) < k else PROTECTS_OTHER

        for group in self.positions:
            if not self.shown(group, RESPONDENTS):
                out[(*group, RESPONDENTS)] = why(group, RESPONDENTS)
                continue
            for q in self.table.questions:
                if not self.shown(group, q.id):
                    out[(*group, q.id)] = why(group, q.id)
        return out

    def _nearest(self, group: Group, wanted: Callable[[Group], bool],
                 start: Iterable[Group] | None = None) -> Group | None:
        """The smallest group satisfying `wanted` among those sharing a sum with `group`;
        failing that, with the hidden groups that do, and so on outwards (breadth first). A
        union (`Table.unions`) shares the sums of each of its parts. `start`: search from
        these groups instead of `group`'s parts."""
        frontier = set(self.table.parts(group) if start is None else start)
        seen = {group, *frontier}
        while frontier:
            found, hidden = set(), set()
            for parent, parts in self.relations:
                members = {parent, *parts}
                if not frontier & members:
                    continue
                for g in members - seen:
                    (found if wanted(g) else hidden).add(g)
            if found:
                return min(found, key=lambda g: (self.table.value((*g, RESPONDENTS, N)), g))
            seen |= hidden
            frontier = hidden
        return None

    def _beside_union(self, group: Group, key: str) -> Group | None:
        """For an exposed union (`Table.unions`) of some parts of one sum: the sum minus its
        shown parts gives all its hidden parts together, so the union follows once the other
        hidden parts do, from sums of their own (a month of an area from the country's minus
        the other areas'). Hide the smallest shown group sharing a sum with those, outside
        this one: one group where hiding near the union's own parts takes many (the sums
        around them were not the way it was derived). None for a group that is no union, or
        where nothing is found."""
        parts = set(self.table.parts(group))
        if len(parts) < 2:
            return None
        for parent, members in self.relations:
            if not parts < set(members):
                continue
            rest = [g for g in members if g not in parts and not self.shown(g, key)]
            if not rest:
                continue
            own = {parent, *members}
            near = self._nearest(group, lambda g, own=own: g not in own and self.shown(g, key),
                                 start=rest)
            if near is not None:
                return near
        return None

    def _not_alone(self, group: Group, q: QuestionModel) -> None:
        """A one-answer question with a single withheld count gives it back as n minus the
        shown ones: withhold the smallest shown count of the group too."""
        if q.kind != "one":
            return
        ms = [m for m in self.measures(q, group[1]) if m.startswith(COUNT)]
        withheld = [m for m in ms if (group, q.id, m) in self.withheld]
        shown = [(self.table.value((*group, q.id, m)), m) for m in ms if m not in withheld]
        if len(withheld) == 1 and shown:
            self.withheld.add((group, q.id, min(shown)[1]))

    def fix_all(self, exposed: list) -> bool:
        """One more hidden figure near each exposed one (one per figure, so a group with many
        exposed counts loses several in a round: fewer rounds)."""
        changed = False
        parts = self.table.parts
        fixed: set[Group] = set()
        # A union (`Table.unions`) last, and not in a round that fixes one of its parts: what
        # protects the part often protects the union, and the next audit says if not.
        for r in sorted(exposed, key=lambda r: len(parts(r.figure[:2])) > 1):
            group = r.figure[:2]
            if len(parts(group)) > 1 and fixed & set(parts(group)):
                continue
            if self.fix(r.figure, r.rule):
                changed = True
                fixed.add(group)
        return changed

    def fix_sets(self, found: list[Narrowed]) -> bool:
        """Against sets of cells the published figures of one key pin or narrow (surveys.
        report.narrowing): per set, hide that key in the smallest group still shown among
        those whose sums bound its range (its programs' duals), else among those whose cells
        it shares (one sum fewer: its range can only widen). False if no such group is
        left."""
        changed = False
        index = self.table._index
        for s in found:
            cells = {index[c] for c in s.cells}
            # (A question's set may be bounded through the respondents' counts too: its own
            # sums first, then the smallest group.)
            near = [(g, key) for g, key in s.through
                    if g in self.position_set and self.shown(g, key)]
            near = near or [(g, s.key) for g in self.positions
                            if self.shown(g, s.key) and cells & set(self.table.cells_of(g))]
            if near:
                group, key = min(near, key=lambda gk: (
                    gk[1] != s.key, self.table.value((*gk[0], RESPONDENTS, N)), gk))
                self.hidden[key].add(group)
                changed = True
        return changed

    def fix(self, figure: Figure, rule: str | None = None) -> bool:
        """Hide one more figure near an exposed one; False if nothing is left to hide."""
        place, period, key, measure = figure
        group = (place, period)
        if rule == UNANIMOUS and not self.shown(group, key):
            # Unanimity in a group that is not shown (a county's month, a withheld n) follows
            # from the counts of the groups that share its sums: withhold that count where it
            # is shown nearest before hiding whole groups.
            if key == RESPONDENTS:
                # A unit's unanimity in a breakdown value (`Table.unanimous_values`; the
                # group is the unit's other values): the value holding all of it goes where
                # it is shown, else the nearest shown group of its sums (the unit's total
                # ties with the value and goes first, as it sorts first).
                held = self.table.held_in(group)
                near = held if held is not None and self.shown(held, key) else \
                    self._nearest(group, lambda g: (*g, key, measure) in self.published)
                if near is not None:
                    self.hidden[key].add(near)
                    return True
            near = self._nearest(group, lambda g: (*g, key, measure) in self.published)
            if near is not None:
                self.withheld.add((near, key, measure))
                self._not_alone(near, self.table.question[key])
                return True
        if measure != N and self.shown(group, key):
            # A count withheld inside a shown group: withhold the smallest shown count of the
            # group, then its mean and NPS.
            q = self.table.question[key]
            ms = self.measures(q, period)
            counts = [(self.table.value((*group, key, m)), m) for m in ms
                      if m.startswith(COUNT) and (group, key, m) not in self.withheld]
            if counts:
                self.withheld.add((group, key, min(counts)[1]))
                return True
            rest = {(group, key, m) for m in ms} - self.withheld
            if rest:
                self.withheld |= rest
                return True
            # Recovered from another sum (an area minus its other counties): withhold the same
            # count where it is shown nearest.
            near = self._nearest(group, lambda g: (*g, key, measure) in self.published)
            if near is not None:
                self.withheld.add((near, key, measure))
                self._not_alone(near, q)
                return True
            self.hidden[key].add(group)
            return True
        # A hidden (or never published) group: hide the smallest shown group that shares a
        # sum with it, or failing that with the hidden groups that do, and so on.
        near = self._beside_union(group, key)
        if near is None and all(self.breakdown_value(p[1]) for p in self.table.parts(group)):
            # A language group (or a set of a place's languages, `Table.unions`): hide other
            # language groups first, so that a small language costs the breakdown, not the
            # places' own totals and months.
            near = self._nearest(group, lambda g: self.breakdown_value(g[1]) and self.shown(g, key))
        if near is None:
            near = self._nearest(group, lambda g: self.shown(g, key))
        if near is None:
            return False
        self.hidden[key].add(near)
        return True


def publish(table: Table, *, county_months: bool = False, audited: bool = True,
            state: _Suppression | None = None, history: Sequence[Layer] = (),
            unions: bool = True) -> Publication:
    """The figures to publish: the threshold, the differencing heuristic, the attribute rules,
    then, while the auditor finds a protected figure exposed, one more hidden figure near it.

    `audited=False` stops before the auditor's rounds (what the rules alone would publish: for
    operators comparing, never for publishing). `state`: the starting suppression of another
    table shape (the unit tree, surveys.report.units), audited the same way. `history`: the
    figures and reasons of earlier times still public (newest first), audited with these as
    surveys.report.history does (a release of unit figures, surveys.report.units): more is
    hidden until the two together pass. `unions=False`: the table's unions (`Table.unions`)
    are not audited (a round that will be repeated, surveys.report.units.publish_units)."""
    started = time.perf_counter()
    state = state or _Suppression(table, county_months)
    if not audited:
        figures = state.figures()
        return Publication(table, figures, audit(table, figures), county_months, 0,
                           time.perf_counter() - started)
    cache: dict = {}
    # The unions (`Table.unions`: sets of a unit's values) only once the groups pass: each
    # round's fixes for a group usually protect the unions near it, and a union fixed in the
    # same round would hide one figure more than needed (and cost its programs every round).
    now = False
    for rounds in range(1, MAX_ROUNDS + 1):
        figures = state.figures()
        result = audit(table, figures, cache=cache, history=history, unions=now)
        if result.passed and unions and not now and table.more_to_audit(figures):
            now = True
            result = audit(table, figures, cache=cache, history=history, unions=now)
        if result.passed:
            reasons, result = audited_reasons(table, figures, state.reasons(), cache, history,
                                              unions=now)
            narrowed = _narrowing(table, figures, result, history) \
                if unions and not result.uncoupled else []
            if result.uncoupled:
                return _unproven(table, result, history, county_months, rounds, started)
            if not narrowed:
                return Publication(table, figures, result, county_months, rounds,
                                   time.perf_counter() - started, reasons=reasons)
            if not state.fix_sets(narrowed):
                break
            continue
        if not state.fix_all(result.exposed):
            break
    # Nothing left to hide near the exposed figures: publish nothing at all (and no reasons).
    return Publication(table, {}, audit(table, {}, history=history), county_months, rounds,
                       time.perf_counter() - started)


def _unproven(table: Table, result: AuditResult, history: Sequence[Layer],
              county_months: bool, rounds: int, started: float, monthly: bool = True,
              months: tuple[str, ...] = ()) -> Publication:
    """Nothing published: the figures that passed question by question could not all be read
    together within the coupling's budget (`result.uncoupled`), so what a reader of every
    question learns of them is not proven (docs/privacy.md, "Questions read together")."""
    log.warning("disclosure: figures passed question by question, but reading %s with the "
                "other questions outgrew the coupling's budget; nothing is published in this "
                "layout", ", ".join(result.uncoupled),
                extra={"unproven": list(result.uncoupled), "monthly": monthly})
    return Publication(table, {}, audit(table, {}, history=history), county_months, rounds,
                       time.perf_counter() - started, monthly=monthly, months=months,
                       unproven=list(result.uncoupled))


def _narrowing(table: Table, figures: Mapping[Figure, float], result: AuditResult,
               history: Sequence[Layer] = ()) -> list[Narrowed]:
    """The gate after the auditor (surveys.report.narrowing.narrowing_figures): the sets of
    cells the figures that passed pin or narrow, of any shape, for one key, with the figures
    of the earlier times in `history` (a unit release's). A key whose search stopped
    undecided is added to the result's `uncoupled` (not proven: nothing is published in this
    layout, `_unproven`). Where the table's switch is off, none."""
    if not table.narrowing_gate:
        return []
    from .narrowing import narrowing_figures  # (scipy: only where one is audited)

    found, undecided = narrowing_figures(table, figures, [f for f, _r in history])
    if undecided:
        result.uncoupled = sorted({*result.uncoupled, *undecided})
        log.warning("disclosure: the search for sets of cells the figures narrow stopped "
                    "undecided for %s", ", ".join(undecided), extra={"undecided": undecided})
    return found


def audited_reasons(table: Table, figures: Mapping[Figure, float], reasons: Reasons,
                    cache: dict, history: Sequence[Layer] = (), unions: bool = True
                    ) -> tuple[dict[tuple[str, str, str], str], AuditResult]:
    """The reasons that may be published with `figures` (which passed the audit alone).

    A reason is a fact about a hidden count: below the threshold says it is at most k − 1,
    protecting another says at least k. Two small counties hidden together in a shown area
    (3 + 4 = 7, both "below the threshold") would each be pinned to 3 … 4. So the reasons are
    audited with the figures, and while the auditor finds something exposed the reasons of the
    groups sharing a sum with it are withdrawn (the page then says only that the figure is
    hidden). The figures never pay for a reason; with no reason left the audit is the one that
    passed. `unions`: as `publish`'s."""
    kept = dict(reasons)
    relations = table.relations()
    while True:
        result = audit(table, figures, cache=cache, reasons=kept, history=history,
                       unions=unions)
        if result.passed and kept:
            # And no set of cells the reasons pin or narrow, of any shape (the auditor reads
            # the groups and the sets listed or found; surveys.report.derivable): "below the
            # threshold" for 01's and 17's Sámi speakers narrowed four counties' Sámi speakers
            # to 4 … 8 on a random table (bench/derivable_sets.py --narrowed, 7 December
            # session's fourth stop).
            from .narrowing import narrowing_reasons  # (scipy: only where one is audited)

            drop = narrowing_reasons(table, figures, kept)
            if drop:
                for g in drop:
                    del kept[g]
                continue
        if result.passed or not kept:
            return kept, result
        for r in result.exposed:
            own = set(table.parts(r.figure[:2]))  # a union (`Table.unions`): its parts
            near = set(own)
            for parent, parts in relations:
                if own & {parent, *parts}:
                    near |= {parent, *parts}
            dropped = {g for g in kept if g[:2] in near}
            if not dropped:  # exposed by reasons further away: withdraw them all
                dropped = set(kept)
            for g in dropped:
                del kept[g]


def collapsed(table: Table) -> Table:
    """The table summed over its months: one pseudo-month, "*" itself's only part."""
    cells = summed_cells(table, lambda county, _month, *lang: (county, ALL_MONTHS + "all",
                                                                *lang))
    return Table(table.area_of, (ALL_MONTHS + "all",), table.questions, table.threshold, cells,
                 table.langs)


def summed_cells(table: Table, into: Callable[..., tuple[str, ...]]
                 ) -> dict[tuple[str, ...], dict[str, dict[str, int]]]:
    """The table's cells summed into coarser ones: each cell's counts added to those of the
    cell `into(*its key)` names."""
    cells: dict[tuple[str, ...], dict[str, dict[str, int]]] = {}
    for old, keys in table.cells.items():
        cell = cells.setdefault(into(*old), {})
        for key, measures_ in keys.items():
            got = cell.setdefault(key, {})
            for measure, v in measures_.items():
                got[measure] = got.get(measure, 0) + v
    return cells


def publish_without_months(table: Table) -> Publication:
    """Only whole-period figures (county, area, country), audited on the table summed over
    months. No month being published, a county's months appear in nothing but its total, so
    each can hold anything from none to all of it: a county month inside a published total of at
    least k has a range of at least k, may hold none of any answer, and is proven unanimous only
    if the total's unanimity is proven, which the audit of the totals refuses (it protects
    unanimity in every group, shown or not). So the small audit of the totals covers the
    months too."""
    started = time.perf_counter()
    small = collapsed(table)
    state = _Suppression(small, False, monthly=False)
    cache: dict = {}
    figures: dict[Figure, float] = {}
    reasons: Reasons = {}
    # The sets a search of the published sums finds (`Table.derived`) only once the rest
    # passes, as in `publish`: in the first rounds the groups' own fixes protect most of them,
    # and fixing them there as well hid more than needed (38 of 1,150 figures of the
    # benchmark's national survey in six languages at 2,000 respondents).
    searched = False
    for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 (reported)
        figures = state.figures()
        result = audit(small, figures, cache=cache, derived=searched)
        if result.passed and not searched:
            searched = True
            result = audit(small, figures, cache=cache)
        if result.passed:
            reasons, result = audited_reasons(small, figures, state.reasons(), cache)
            narrowed = [] if result.uncoupled else _narrowing(small, figures, result)
            if result.uncoupled:
                return _unproven(small, result, (), False, rounds, started, monthly=False,
                                 months=table.months)
            if not narrowed:
                break
            if state.fix_sets(narrowed):
                continue
        if not state.fix_all(result.exposed):
            figures, reasons = {}, {}
            result = audit(small, figures)
            break
    else:
        # The rounds ran out on figures not yet passed (as `publish`): nothing at all (a
        # review of the 7 December session's fifth stop: with one round the last figures,
        # a set of 4 pinned among them, were published).
        figures, reasons = {}, {}
        result = audit(small, figures)
    return Publication(small, figures, result, False, rounds, time.perf_counter() - started,
                       monthly=False, months=table.months, reasons=dict(reasons))


def affordable(table: Table, limit: int) -> bool:
    """Whether the full audit (with the areas' and the country's months) is small enough to run
    now: at most `limit` protected figures to start from (the groups': the sets of a place's
    languages, `Table.unions`, are audited once, after the rounds, and never decided the
    layout)."""
    state = _Suppression(table, False)
    return len(protected_figures(table, state.figures(), unions=False)) <= limit
