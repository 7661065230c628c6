"""The disclosure auditor: every hidden figure's feasible range, given everything published.

Pure (no database). A survey's published results are one system of linear sums over the finest
cells an attacker could want, county × month:

- unknowns, per cell: the respondents R, per question the number who answered it n, and per
  option the count of that answer (x);
- published figures, per group (a place, county / area / "FI", × a period, a month / "*" for
  all months): a sum of R, of n or of an option's x over the group's cells (equalities); a mean
  rounded to MEAN_DECIMALS, which with the group's n published bounds Σ value·x within
  n·(mean ± half a unit); an NPS rounded to NPS_DECIMALS bounds Σ promoters − Σ detractors
  likewise;
- what an attacker knows besides: every unknown ≥ 0; in a cell, the option counts of a
  one-answer question (single, likert5, nps, number) sum to its n, each option of a `multi`
  question is ≤ its n, and n ≤ R.

For each protected figure (below) `audit` computes its minimum and maximum over that system with
HiGHS and reports the ones the protection rule fails: one HiGHS model per system, kept between
its programs (only the objective changes; each program starts from the previous optimal basis
with the primal simplex), through HiGHS's Python bindings (highspy, or the copy scipy ships);
`SOLVER = "linprog"` solves each program from scratch with `scipy.optimize.linprog(method=
"highs")` instead, the reference the tests compare with (same optima, same verdicts). The
linear relaxation is what statistical offices audit with (τ-ARGUS does the same); an attacker
who also uses integrality may narrow a range a little further, which the rules' margins absorb.

Protected figures and their rules, with k = the survey's `min_group_size`:

- "size": the respondents or a question's n of a group with 1 … k−1 people that is not
  published (hidden, or never published, e.g. a county's month): its range must be at least k
  wide (max − min ≥ k): anyone could be in it, or out.
- "positive": an option count of such a small group: its minimum must be 0, so that the tables
  never prove that anyone in a small group gave a particular answer.
- "unanimous": where every member of any group (small or not, published or not: a withheld n
  may follow from other sums) gave the same answer o: the maximum of n − x_o must be ≥ 1, so
  that unanimity is never proven; unless o is one of the question's `harmless` answers (the
  survey's `harmless_answers`: unanimity there tells nothing by definition). On the
  respondents, a unit's unanimity in a breakdown value (`Table.unanimous_values`, unit
  tables only): the figure's group is the unit's people in its other values, whose maximum
  must be ≥ 1.
- "exact": a withheld option count of 1 … MIN_OPTION_COUNT−1 inside a published group: its range
  must be at least 1 wide, so the exact count is never determined.

Figures hidden only to cover others (a big county hidden beside a small one) need no protection
of their own. Questions are solved separately (one linear program per question and the
respondents, linked through n ≤ R); the respondents' system includes every question's n. What
passes so is audited again with the systems coupled through the respondents (`_Joint`): on
the cells the ranges are then the whole system's, within a budget (the result's `uncoupled`
lists the systems past it, which stand as audited alone).

Where the cells are too many (a national survey's months across several times), the same
systems are solved on two marginals of the cells instead (`_Marginals`, `audit(basis=
"marginals")`): exact where a system separates into counted quantities; elsewhere (the
respondents' system, a `multi` question of more than MAX_SET_OPTIONS options) every point is
lifted to cells before it counts (`_Lift`: cuts off a point that has none, or puts that
part's cells into the system, until the optimum has), so the ranges are the cells' there too;
past _Lift.MAX_ROUNDS such solves every part that still fails gets its cells, so a lift
always settles, at worst as the system on the cells. Without a lift (`audit(lift=False)`,
for comparisons) those systems are relaxations, listed in the result's `relaxed`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, combinations, product
from typing import TYPE_CHECKING, ClassVar, TypeVar

from .names import ALL_MONTHS, COUNTRY, LANG, RESPONDENTS, N, area_place, lang_period

log = logging.getLogger(__name__)

T = TypeVar("T")

if TYPE_CHECKING:  # NumPy and SciPy are imported where the programs are solved: the web tier
    # reads releases (and imports this module for its names) without loading them.
    import numpy as np
    from scipy.sparse import csr_matrix

MEAN = "mean"
NPS = "nps"
COUNT = "count:"  # + the option value
PATTERN = "set:"  # + a `multi` question's options chosen together, comma-separated
# A `multi` question of at most this many options is audited with its sets of options as
# unknowns on the marginals (2^k blocks: 16 at most), above it option by option (`audit`).
MAX_SET_OPTIONS = 4
MEAN_DECIMALS = 1
NPS_DECIMALS = 0
MIN_OPTION_COUNT = 3
PROMOTER_MIN, DETRACTOR_MAX = 9, 6

# + the periods of a set joined by "+" ("-": a unit's "no answer"): a place's people in two or
# more of its languages (or a unit's breakdown values) together (`Table.unions`)
UNION = "∪"


def union_period(periods: Iterable[str]) -> str:
    """The name of a union group's periods (or breakdown values; an empty one, a unit's "no
    answer", as "-")."""
    return UNION + "+".join(v or "-" for v in periods)
Group = tuple[str, str]  # (place, period): period a month, "*", "lang:<code>" or a UNION
Figure = tuple[str, str, str, str]  # (place, period, key, measure); key "*" or a question id

SIZE, POSITIVE, UNANIMOUS, EXACT = "size", "positive", "unanimous", "exact"
# Why a figure is hidden, as the page and the API say it: its group (or its question's n) is
# below the threshold, or it is hidden to protect another group. A published reason is a fact
# about the hidden count (< k, or >= k), so the auditor adds it to the attacker's system.
BELOW_THRESHOLD, PROTECTS_OTHER = "threshold", "secondary"
# What a reader knows of a group's respondents at an earlier time, given to the auditor as a
# reason of that time's layer and never published (`between`): from `low` to `high` people, the
# group's published reason and the invitations HR had issued by then taken together
# (surveys.report.units.cut). Today's bounds are the table's `caps`.
BETWEEN = "between "


def between(low: float, high: float) -> str:
    return f"{BETWEEN}{low:g} {high:g}"


def between_of(reason: str) -> tuple[float, float]:
    low, high = reason[len(BETWEEN):].split()
    return float(low), float(high)


Reasons = Mapping[tuple[str, str, str], str]  # (place, period, key) -> reason


def reason_bounds(reason: str, threshold: int) -> list[tuple[float, float]]:
    """What a published reason says of its group's count, as (sign, bound) with sign · count
    ≤ bound: below the threshold at most k − 1, protecting another at least k, `between` both
    of its ends."""
    if reason.startswith(BETWEEN):
        low, high = between_of(reason)
        return [(1.0, high), (-1.0, -low)]
    if reason == BELOW_THRESHOLD:
        return [(1.0, threshold - 1.0)]
    return [(-1.0, -float(threshold))]
_TOL = 1e-6
# A list to append each system's size and times to (bench/audit_cpu.py), or None.
PROFILE: list[dict] | None = None
# "highs": one HiGHS model per system, warm-started from program to program (_System
# ._solve_highs); "linprog": scipy's linprog for each program from scratch, the reference path
# (and the fallback where neither highspy nor scipy's own copy of its bindings is there).
SOLVER = "highs"
# Whether `audit` lifts the points of systems that do not separate to cells on the marginals
# (`_Lift`; exact) by default, or solves them as relaxations (bench/history_cpu.py times both).
LIFT = True
# Whether `audit` confirms what passes with the questions' systems coupled through the
# respondents (`_Joint`), as one system of everything published.
JOINT = True


def _highs_core():
    """HiGHS's Python bindings: the copy scipy (>= 1.15) ships for its own linprog (a private
    module: tested here, tests/unit/test_audit.py), else highspy if installed; None without
    either (then every program goes through linprog)."""
    try:
        from scipy.optimize._highspy import _core  # type: ignore[import-not-found]
    except ImportError:
        try:
            from highspy import _core  # type: ignore[import-not-found]
        except ImportError:
            return None
    return _core


def _subsets(items: Sequence[T], smallest: int, largest: int,
             cap: int | None = None) -> Iterator[tuple[T, ...]]:
    """The subsets of `items` of `smallest` … `largest` of them, in order; past `cap` items
    only the pairs and all of them (where those sizes are allowed): `Table.unions`' sets,
    2^items otherwise."""
    largest = min(largest, len(items))
    if cap is None or len(items) <= cap:
        for r in range(smallest, largest + 1):
            yield from combinations(items, r)
        return
    if smallest <= 2 <= largest:
        yield from combinations(items, 2)
    if len(items) == largest and len(items) != 2:
        yield tuple(items)


def count_of(option: str) -> str:
    return COUNT + option


@dataclass(frozen=True)
class QuestionModel:
    id: str
    kind: str  # "one" (counts sum to n), "multi" (each count ≤ n), "text" (n only)
    options: tuple[str, ...] = ()
    values: tuple[float, ...] | None = None  # per option, when a mean is published
    nps: bool = False
    # Options whose unanimity the survey declares harmless by definition (its
    # `harmless_answers`): not protected by the "unanimous" rule; every other rule holds.
    harmless: tuple[str, ...] = ()


@dataclass
class Table:
    """The true counts, county × month: cells[(county, month)][key][measure] (missing = 0);
    measure "n" for respondents (key "*") and answered, else an option value.

    With `langs` (the respondents' languages) the finest cells are county × month × language,
    cells[(county, month, lang)], and every place has a group per language over the whole
    period, ("lang:<code>"): the language breakdown is more sums over the same unknowns, so the
    auditor bounds a small language group like any other, and a county's months across
    languages."""

    area_of: Mapping[str, str]
    months: tuple[str, ...]
    questions: tuple[QuestionModel, ...]
    threshold: int
    cells: Mapping[tuple[str, ...], Mapping[str, Mapping[str, int]]]
    langs: tuple[str, ...] = ()
    # Upper bounds every reader knows of each county's respondents over the whole period, read
    # as sums of the cells of the current time (an earlier time's are at most those): a staff
    # survey's invitations per unit, which HR issued (surveys.report.units.tables_of). A
    # group's size rule is then also kept by anything from none to its bound where that is
    # below k − 1 (`protected`, `cap_of`). Empty: no bounds (the citizen tables).
    caps: Mapping[str, float] = field(default_factory=dict)
    _index: dict[tuple[str, ...], int] = field(default_factory=dict, init=False, repr=False)
    _groups: dict[Group, list[int]] = field(default_factory=dict, init=False, repr=False)
    # A union -> the groups it is the union of (`unions`, `parts`).
    _union_parts: dict[Group, tuple[Group, ...]] = field(default_factory=dict, init=False,
                                                         repr=False)
    _unions: list[Group] | None = field(default=None, init=False, repr=False)
    # Off only to measure what the sets cost (bench/publish_cpu.py, bench/units_cpu.py).
    audit_unions: ClassVar[bool] = True
    # Whether `unions` also lists sets across a sum's hidden places (`_across`); off only to
    # measure what they cost (bench/publish_cpu.py).
    across_places: ClassVar[bool] = True
    # And, within them, each hidden place by its hidden parts where some of its parts are
    # shown (`_across`: sets across places of different sums).
    across_parents: ClassVar[bool] = True
    # Whether `unions` also lists the sets a search of the published sums finds
    # (surveys.report.derivable, `derived`); off only to measure what they cost, and in the
    # tests that show what the lists alone miss.
    derived_sets: ClassVar[bool] = True
    # {the published n figures: (the sets found, as unions; the keys left undecided)}.
    _derived: dict[frozenset, tuple[list[Group], list[str]]] = field(
        default_factory=dict, init=False, repr=False)
    # Whether `publish` also refuses figures that pin or narrow a set of cells of any shape
    # (surveys.report.narrowing.narrowing_figures); off only to measure what it costs
    # (bench/publish_cpu.py, bench/units_cpu.py) and in the tests that show what it catches.
    narrowing_gate: ClassVar[bool] = True
    # Whether that gate reads the earlier times a publication is given (a unit release's
    # history, `narrowing_figures(earlier=...)`); off only to measure what it costs
    # (bench/unit_history_cpu.py --compare-one-time).
    gate_across_times: ClassVar[bool] = True
    # Whether that gate reads the other questions' counts as bounds of the respondents
    # (surveys.report.narrowing.bounding_keys); off only to measure what it costs
    # (bench/publish_cpu.py, bench/units_cpu.py --flag other_questions).
    gate_other_questions: ClassVar[bool] = True
    # Whether a question's program in that gate reads the other questions' counts too
    # (through the respondents: bounding_keys); off only to measure what it costs
    # (bench/publish_cpu.py, bench/units_cpu.py --flag questions_through_others).
    gate_questions_through_others: ClassVar[bool] = True
    # Whether that gate reads, across times, that those who did not answer a question only
    # grow (surveys.report.narrowing._primal); off only to measure what it costs
    # (bench/history_cpu.py --gate).
    gate_non_answers_grow: ClassVar[bool] = True
    # {`narrowing.signature`: (the sets the search found, whether it stopped undecided)}: one
    # search per distinct program (a key's published n figures and people per cell, the
    # respondents', the questions' read with them) and publication.
    _narrowed: dict[tuple, tuple[list, bool]] = field(default_factory=dict, init=False,
                                                      repr=False)
    # At most this many such mixes per set of a sum's hidden places.
    MAX_ACROSS_MIXES: ClassVar[int] = 64
    # A sum with more hidden places than this has its sets across them audited for pairs and
    # for all of them only, not every subset (2^places).
    MAX_ACROSS_PLACES: ClassVar[int] = 6

    def __post_init__(self) -> None:
        counties = sorted(self.area_of)
        if self.langs:
            keys: list[tuple[str, ...]] = [(c, m, lg) for c in counties for m in self.months
                                           for lg in self.langs]
        else:
            keys = [(c, m) for c in counties for m in self.months]
        self._index = {k: i for i, k in enumerate(keys)}
        self.counties = counties
        self.areas = sorted(set(self.area_of.values()))
        self.question = {q.id: q for q in self.questions}

    def _keys(self, place: str, period: str) -> list[tuple[str, ...]]:
        """The finest cells of a group (county × month, or × language)."""
        parts = self._union_parts.get((place, period))
        if parts is not None:
            return [key for part in parts for key in self._keys(*part)]
        if period.startswith(LANG):
            return [(c, m, period[len(LANG):]) for c in self.counties_of(place)
                    for m in self.months]
        months = self.months if period == ALL_MONTHS else (period,)
        if self.langs:
            return [(c, m, lg) for c in self.counties_of(place) for m in months
                    for lg in self.langs]
        return [(c, m) for c in self.counties_of(place) for m in months]

    @property
    def size(self) -> int:
        return len(self._index)

    def places(self) -> list[str]:
        return [*self.counties, *(area_place(a) for a in self.areas), COUNTRY]

    def periods(self) -> list[str]:
        return [*self.months, *(lang_period(lg) for lg in self.langs), ALL_MONTHS]

    def groups(self) -> list[Group]:
        return [(p, per) for p in self.places() for per in self.periods()]

    def counted_keys(self) -> list[str]:
        """What is counted per cell: the respondents, then each question's answerers."""
        return [RESPONDENTS, *(q.id for q in self.questions)]

    def unions(self, published: Mapping[Figure, float] | None = None,
               derived: bool = True) -> list[Group]:
        """Groups that are no published category but unions of groups an attacker can still
        single out, each protected as a hidden group is (`protected_figures`): here each
        place's people in two or more of its languages but not all, where they are 1 … k−1.
        A place's total and its Finnish group may both follow from published sums (a county
        hidden or not, its Finnish group from its area's minus the other counties'), and with
        them its other languages together (10 − 6 = 4 in
        tests/unit/report/test_language_disclosure.py), while each of them alone still ranges
        over 0 … k−1 and passes. Sets holding a language nobody answered in are audited too
        (a reader may count it in or not). At most 2^languages per place (6 languages: 57).
        A unit table's sets are of its breakdown values (surveys.report.units).

        With `published`, also the sets of a place's months that it hides (`_hidden_months`)
        and, with `across_places`, the sets across the places a sum of it hides (`_across`);
        with `derived` (and `derived_sets`), the sets a search of its sums finds (`derived`)."""
        if not self.audit_unions:
            return []
        if self._unions is None:
            self._unions = self._find_unions()
        if published is None:
            return self._unions
        listed = [*self._unions, *self._hidden_months(published),
                  *(self._across(published) if self.across_places else ())]
        if derived and self.derived_sets:
            # A set found that a group or a listed set already holds is audited once: the
            # same people under two names were fixed twice in a round (a review of the
            # 7 December session's fourth stop: 36 → 28 figures on a random table).
            known = {frozenset(self.cells_of(g)) for g in [*self.groups(), *listed]}
            for group in self.derived(published)[0]:
                cells = frozenset(self.cells_of(group))
                if cells not in known:
                    known.add(cells)
                    listed.append(group)
        return listed

    def more_to_audit(self, published: Mapping[Figure, float]) -> bool:
        """Whether an audit with the unions reads more than one without: sets listed or
        found, or a search for sets left undecided (which only an audit with the unions
        reports, `uncoupled`: not proven, so not published)."""
        return bool(self.unions(published)) or bool(
            self.derived_sets and self.audit_unions and self.derived(published)[1])

    def derived(self, published: Mapping[Figure, float]) -> tuple[list[Group], list[str]]:
        """The sets of people that the published counts give exactly, found by a search
        rather than listed (surveys.report.derivable), as unions; and the keys whose search
        stopped undecided at its time limit. Once per publication's counts."""
        signature = frozenset((f, v) for f, v in published.items() if f[3] == N)
        if signature not in self._derived:
            from .derivable import derived_unions  # (scipy: only where a table is audited)

            sets, undecided = derived_unions(self, published)
            self._derived[signature] = ([self._union(parts) for parts in sets], undecided)
        return self._derived[signature]

    def unanimous_values(self) -> list[tuple[Figure, str]]:
        """Groups whose unanimity in a dimension of the table is protected like an answer's
        (`protected_figures`, rule "unanimous" on the respondents: the rest can hold someone).
        None here: a place's language or month is no answer (a unit table's breakdown values
        are, surveys.report.units)."""
        return []

    def held_in(self, group: Group) -> Group | None:
        """The group whose unanimity in a dimension a group of `unanimous_values` protects
        (None here: there are none)."""
        return None

    def _hidden_months(self, published: Mapping[Figure, float]) -> list[Group]:
        """Sets of two or more of a place's months (not all) that the publication hides,
        holding 1 … k−1 people: a place's whole period minus its shown months gives its hidden
        months together (kept at none or at least k by the heuristic), but where one of those
        follows from another sum (an area's month as the country's minus the other areas'),
        the rest follow together, while each alone still ranges over 0 … k−1
        (tests/unit/report/test_disclosure_sets.py: 53 − 29 − 20 = 4). Only the months hidden
        below k enter (one of k or more makes a set of k or more); past MAX_ACROSS_PLACES of
        them, pairs and all of them. Every set of all the months is the whole period, a group
        of its own; the sets of languages are `_find_unions`'."""
        covered = set(self._union_periods())
        k = self.threshold
        out: list[Group] = []
        for parent, parts in self.relations():
            if len(parts) < 3 or any(p[0] != parent[0] or p[1] in covered for p in parts):
                continue  # only a place's months
            size = {p: self._sum(p, RESPONDENTS, N) for p in parts
                    if (*p, RESPONDENTS, N) not in published}
            if len(size) == len(parts):
                # No month shown (a county's, never published): its hidden months together
                # are its whole period, a group of its own, and none of them follows from
                # another sum of months (docs/privacy.md, "Sets of a place's months").
                continue
            small = [p for p, n in size.items() if n < k]
            for c in _subsets(small, 2, len(parts) - 1, self.MAX_ACROSS_PLACES):
                if 0 < sum(size[p] for p in c) < k:
                    out.append(self._union(list(c)))
        return out

    def _union_periods(self) -> tuple[str, ...]:
        """The periods whose sets `unions` audits: a place's languages."""
        return tuple(lang_period(lg) for lg in self.langs)

    def _find_unions(self) -> list[Group]:
        """Each place's sets of two or more of its periods (`_union_periods`), not all, where
        they hold 1 … k−1 respondents, or 1 … k−1 who answered a question: a set of k or more
        people of whom two answered a question has that question's n to protect as a hidden
        group's (a review of the 7 December session's second stop found an own part's comments
        outside one value to be exactly 2; only the respondents were read before)."""
        periods = self._union_periods()
        k = self.threshold
        out: list[Group] = []
        for place in self.places():
            if not any(self._sum((place, p), RESPONDENTS, N) for p in periods):
                continue
            found: set[tuple[str, ...]] = set()
            for key in self.counted_keys():
                size = {p: self._sum((place, p), key, N) for p in periods}
                small = [p for p in periods if size[p] < k]  # a part of k or more: no union
                for parts in _subsets(small, 2, len(periods) - 1):
                    if parts not in found and 0 < sum(size[p] for p in parts) < k:
                        found.add(parts)
                        out.append(self._union([(place, p) for p in parts]))
        return out

    def _across(self, published: Mapping[Figure, float]) -> list[Group]:
        """Sets across the places a sum hides: where two or more parts of a sum of places (a
        unit's sub-units and own part, an area's counties) are hidden over the whole period,
        their total follows from the sum and its shown parts whenever the sum does, and so
        does their total in a value wherever the value's sum does: their people *outside* that
        value then follow together (tests/unit/report/test_unit_disclosure.py: an own part and
        a sub-unit, 10 − 6 = 4 who are not doctors), while each place's cells alone still
        range over 0 … k−1. Every set of two or more of a sum's hidden places (pairs and all
        of them past MAX_ACROSS_PLACES) × every set of one or more of the periods
        (`_union_periods`, else the whole period) holding 1 … k−1 people is one group.

        Places of different sums (`across_parents`): the set's total less its places' shown
        parts is their hidden parts' total, as derivable as the set's. So each place of a set
        may stand for its hidden parts (recursively, where some of a place's parts are shown),
        and every such mix is a set too: two hidden areas whose total the country's sum gives,
        each with a small hidden county and a shown one, give the two small counties together
        (tests/unit/report/test_disclosure_across_parents.py)."""
        # (Without languages or values, the hidden places' totals together.)
        periods = self._union_periods() or (ALL_MONTHS,)
        k = self.threshold
        out: list[Group] = []
        seen: set[Group] = set()
        children = self._place_parts()

        def hidden_of(places: list[str]) -> list[str]:
            return [c for c in places if (c, ALL_MONTHS, RESPONDENTS, N) not in published]

        memo: dict[str, list[tuple[str, ...]]] = {}

        def mixes(place: str) -> list[tuple[str, ...]]:
            """The place itself, then what may stand for it: its hidden parts, each as itself
            or as what stands for it in turn (a part shown further down makes a difference
            even where all of its level are hidden); the most refined of them first after the
            place itself, so that a cap keeps it. Each other than the place holds other cells
            (the place less some shown parts below it)."""
            if place in memo:
                return memo[place]
            found = [(place,)]
            unseen = hidden_of(children.get(place, []))
            if self.across_parents and unseen:
                options = [mixes(c) for c in unseen]
                candidates = chain([tuple(o[1] if len(o) > 1 else o[0] for o in options)],
                                   product(*options))
                whole = set(children[place]) == set(unseen)
                for combo in candidates:
                    flat = tuple(dict.fromkeys(c for part in combo for c in part))
                    if whole and flat == tuple(unseen):
                        continue  # all its parts as themselves: the place's own cells
                    if flat not in found:
                        found.append(flat)
                    if len(found) >= self.MAX_ACROSS_MIXES:
                        break
            memo[place] = found
            return found

        size: dict[tuple[str, str], int] = {}

        def size_of(c: str, v: str) -> int:
            if (c, v) not in size:
                size[(c, v)] = self._sum((c, v), RESPONDENTS, N)
            return size[(c, v)]

        for parent, parts in self.relations():
            if parent[1] != ALL_MONTHS or any(p[1] != ALL_MONTHS or p[0] == parent[0]
                                              for p in parts):
                continue  # only sums of places over the whole period
            hidden = hidden_of([p for p, _ in parts])
            if len(hidden) < 2:
                continue
            sets: list[tuple[str, ...]] = []
            listed: set[tuple[str, ...]] = set()
            for chosen in _subsets(hidden, 2, len(hidden), self.MAX_ACROSS_PLACES):
                sets.append(chosen)
                options = [mixes(c) for c in chosen]
                # First each place alone refined (the others as they are), then every place
                # at its most refined, then the rest in turn: a cap keeps the likeliest.
                combos = [tuple(m if j == i else o[0] for j, o in enumerate(options))
                          for i, opts in enumerate(options) for m in opts[1:]]
                combos.append(tuple(o[1] if len(o) > 1 else o[0] for o in options))
                added = 0
                for combo in chain(combos, product(*options)):
                    if added >= self.MAX_ACROSS_MIXES:
                        break
                    mixed = tuple(dict.fromkeys(c for part in combo for c in part))
                    if len(mixed) >= 2 and mixed != chosen and mixed not in listed:
                        listed.add(mixed)
                        sets.append(mixed)
                        added += 1
            # Where the sum publishes months (the country's, over the areas'), its hidden
            # places' months too: a set's month total follows from the sum's month as its
            # whole period does from the sum's (the country's January 13 less pohjois' 9, shown
            # or its total less its February, gives two hidden areas' 4 in January; a month
            # not shown follows from the sum's total less its shown months). Found by
            # bench/derivable_sets.py in the 7 December session's third stop.
            # (Months are published for areas and the country only: a sum of counties has
            # none of its parts' months, and a county's month is no sum of the marginals'
            # unknowns. A unit table's "months" are its values, read above already.)
            months = list(self.months) if (
                len(self.months) > 1 and not set(self.months) & set(periods)
                and all(p not in self.area_of for p, _ in parts)
                and any((parent[0], m, RESPONDENTS, N) in published for m in self.months)
            ) else []
            for chosen in sets:
                per_period = {v: sum(size_of(c, v) for c in chosen) for v in periods}
                if sum(per_period.values()) == 0:
                    continue
                small = [v for v in periods if per_period[v] < k]
                per_month = {m: sum(size_of(c, m) for c in chosen) for m in months
                             if all(c not in self.area_of for c in chosen)}  # (no county)
                small_months = [m for m, n in per_month.items() if n < k]
                for values in chain(
                        _subsets(small, 1, len(small)),
                        ((m,) for m in small_months),
                        _subsets(small_months, 2, len(small_months), self.MAX_ACROSS_PLACES)):
                    total = sum(per_period[v] if v in per_period else per_month[v]
                                for v in values)
                    if 0 < total < k:
                        group = self._union([(c, v) for c in chosen for v in values])
                        if group not in seen:
                            seen.add(group)
                            out.append(group)
        # And a sum of places in one period (a language, or an area's month) whose parts
        # that period hides: the sum's figure there less its shown parts gives the hidden ones
        # together, however each place's whole period is shown (the country's Swedish 10 less
        # lansi's 6, its total less its other languages, gives the other areas' Swedish
        # speakers, 4, across four counties; found by bench/derivable_sets.py in the
        # 7 December session's third stop). Counties' months are never published.
        for parent, parts in self.relations():
            period = parent[1]
            if period == ALL_MONTHS or any(p[1] != period or p[0] == parent[0] for p in parts):
                continue
            if period in self.months and any(p in self.area_of for p, _ in parts):
                continue
            hidden = [c for c, _ in parts if (c, period, RESPONDENTS, N) not in published]
            if len(hidden) < 2:
                continue
            for chosen in _subsets(hidden, 2, len(hidden), self.MAX_ACROSS_PLACES):
                if len(chosen) == len(parts):
                    continue  # all of them: the sum's own group
                if 0 < sum(size_of(c, period) for c in chosen) < k:
                    group = self._union([(c, period) for c in chosen])
                    if group not in seen:
                        seen.add(group)
                        out.append(group)
        return out

    def _place_parts(self) -> dict[str, list[str]]:
        """Each place's parts over the whole period, from the published sums (`relations`):
        an area's counties, the country's areas, a unit's sub-units and own part."""
        out: dict[str, list[str]] = {}
        for parent, parts in self.relations():
            if parent[1] == ALL_MONTHS and parts and all(
                    p[1] == ALL_MONTHS and p[0] != parent[0] for p in parts):
                out.setdefault(parent[0], [p for p, _ in parts])
        return out

    @staticmethod
    def places_in(place: str) -> list[str]:
        """The places of a group's place: itself, or those of a set across places (`_union`
        names it UNION + the places joined by "+")."""
        return place[len(UNION):].split("+") if place.startswith(UNION) else [place]

    def _union(self, parts: list[Group]) -> Group:
        places = list(dict.fromkeys(p for p, _ in parts))
        periods = list(dict.fromkeys(v for _, v in parts))
        place = places[0] if len(places) == 1 else UNION + "+".join(places)
        if len(parts) == len(places) * len(periods):  # every place in every period
            group = (place, union_period(periods))
        else:  # (a set found by surveys.report.derivable: each part named)
            group = (place, union_period(f"{v or '-'}@{p}" for p, v in parts))
        self._union_parts[group] = tuple(parts)
        return group

    def parts(self, group: Group) -> list[Group]:
        """The groups a group is the union of (itself, unless it is one of `unions`)."""
        return list(self._union_parts.get(group, (group,)))

    def counties_of(self, place: str) -> list[str]:
        if place == COUNTRY:
            return self.counties
        if place.startswith("area:"):
            area = place[5:]
            return [c for c in self.counties if self.area_of[c] == area]
        return [place]

    def cap_of(self, group: Group) -> float | None:
        """The bound (`caps`) of a group's respondents: its counties' bounds summed (None:
        the table has none)."""
        if not self.caps:
            return None
        counties = {key[0] for key in self._keys(*group)}
        return sum(self.caps.get(c, math.inf) for c in counties)

    def cells_of(self, group: Group) -> list[int]:
        cached = self._groups.get(group)
        if cached is None:
            cached = self._groups[group] = [self._index[k] for k in self._keys(*group)]
        return cached

    def relations(self) -> list[tuple[Group, list[Group]]]:
        """Every published sum: country = Σ areas, area = Σ counties (per period), a place's
        whole period = Σ its months."""
        out: list[tuple[Group, list[Group]]] = []
        for period in self.periods():
            out.append(((COUNTRY, period), [(area_place(a), period) for a in self.areas]))
            for a in self.areas:
                out.append(((area_place(a), period),
                            [(c, period) for c in self.counties_of(area_place(a))]))
        if self.months:
            for place in self.places():
                out.append(((place, ALL_MONTHS), [(place, m) for m in self.months]))
        if self.langs:  # a place's whole period = Σ its languages
            for place in self.places():
                out.append(((place, ALL_MONTHS), [(place, lang_period(lg)) for lg in self.langs]))
        return out

    def _sum(self, group: Group, key: str, measure: str) -> int:
        total = 0
        for k in self._keys(*group):
            total += self.cells.get(k, {}).get(key, {}).get(measure, 0)
        return total

    def value(self, figure: Figure) -> float | None:
        """The true value of a figure, rounded as it would be published (None: undefined)."""
        place, period, key, measure = figure
        group = (place, period)
        if measure == N:
            return self._sum(group, key, N)
        if measure.startswith(COUNT):
            return self._sum(group, key, measure[len(COUNT):])
        q = self.question[key]
        n = self._sum(group, key, N)
        if n == 0:
            return None
        counts = [self._sum(group, key, o) for o in q.options]
        if measure == MEAN:
            assert q.values is not None
            return round(sum(v * c for v, c in zip(q.values, counts, strict=True)) / n,
                         MEAN_DECIMALS)
        if measure == NPS:
            return round(100 * _nps_balance(q, counts) / n, NPS_DECIMALS)
        raise ValueError(f"unknown measure {measure!r}")


def _pattern_count(got: Mapping[str, int], options: Sequence[str],
                   chosen: frozenset[str]) -> int:
    """How many of a cell's respondents to a `multi` question chose exactly `chosen`, in one
    split of its counts that fits them (nested sets: the i-th respondent chose every option
    counted more than i times). The audit needs only some split that fits: the true one is not
    stored, and any one is a point of the system."""
    n = got.get(N, 0)
    counts = {o: min(n, got.get(o, 0)) for o in options}
    cuts = sorted({0, n, *counts.values()})
    total = 0
    for low, high in zip(cuts, cuts[1:], strict=False):
        if frozenset(o for o, x in counts.items() if x > low) == chosen:
            total += high - low
    return total


def _nps_signs(q: QuestionModel) -> list[int]:
    assert q.values is not None
    return [1 if v >= PROMOTER_MIN else -1 if v <= DETRACTOR_MAX else 0 for v in q.values]


def _nps_balance(q: QuestionModel, counts: Iterable[float]) -> float:
    return sum(s * c for s, c in zip(_nps_signs(q), counts, strict=True))


class _Cells:
    """The unknowns of a block: the table's finest cells (county × month × language)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.size = table.size

    def members(self, group: Group) -> list[int] | None:
        return self.table.cells_of(group)

    def truth(self, key: str, of: Callable[[Mapping[str, int]], float]) -> list[float]:
        """Per unknown, `of` (a cell's counts of `key`: {measure: count})."""
        out = [0.0] * self.size
        for cell, i in self.table._index.items():
            out[i] = of(self.table.cells.get(cell, {}).get(key, {}))
        return out

    def links(self) -> list[tuple[list[int], list[int]]]:
        return []

    def split(self, group: Group) -> tuple[list[int], int, list[int]] | None:
        return None


class _Marginals:
    """The unknowns of a block: two marginals of the cells instead of the cells, for a table
    whose month figures are published for areas and the country only (docs/performance.md,
    "Months on marginals"): u[a, m] (an area's month, over its counties and languages), then
    v[c, l] (a county's language, over all months). Every group but a county's month is a sum
    of one of them; per area both sum to the same total (`links`); a county's month is bounded
    through `split` (its county's v, its area's month and its area's months).

    For one counted quantity (an option's count, the non-answers, a question's n of a text
    question) any non-negative, growing pair of marginals with equal area totals comes from
    non-negative, growing cells (a transportation problem with equal totals always has a
    solution, and so has each increment between two times), so a system whose unknowns
    separate into such quantities has the same ranges on the marginals as on the cells: a
    single-choice or text question with its respondents, a `multi` question with its sets of
    options (or one of its options alone). Where a bound ties quantities cell by cell (each
    option of a `multi` question at most its n; the respondents' system, each question's n at
    most the respondents) the same bound on the marginals is weaker than on the cells: a
    relaxation (`_System.separates` False), made exact by lifting every point to cells
    (`_Lift`; docs/privacy.md, "Months")."""

    def __init__(self, table: Table) -> None:
        self.table = table
        langs = table.langs or ("",)
        self.langs = langs
        self.u = {(a, m): i for i, (a, m) in
                  enumerate((a, m) for a in table.areas for m in table.months)}
        self.v = {(c, lg): len(self.u) + i for i, (c, lg) in
                  enumerate((c, lg) for c in table.counties for lg in langs)}
        self.size = len(self.u) + len(self.v)
        self.months = set(table.months)

    def members(self, group: Group) -> list[int] | None:
        parts = self.table.parts(group)
        if parts != [group]:  # a union (`Table.unions`): its parts' marginals together
            got = [self.members(p) for p in parts]
            return None if any(g is None for g in got) else [i for g in got for i in g or ()]
        place, period = group
        table = self.table
        if period in self.months:
            if place == COUNTRY:
                return [self.u[(a, period)] for a in table.areas]
            if place.startswith("area:"):
                return [self.u[(place[5:], period)]]
            return None  # a county's month: not a sum of the marginals
        langs = (period[len(LANG):],) if period.startswith(LANG) else self.langs
        return [self.v[(c, lg)] for c in table.counties_of(place) for lg in langs]

    def truth(self, key: str, of: Callable[[Mapping[str, int]], float]) -> list[float]:
        out = [0.0] * self.size
        table = self.table
        for cell, got in table.cells.items():
            value = of(got.get(key, {}))
            if not value:
                continue
            county, month = cell[0], cell[1]
            lg = cell[2] if len(cell) > 2 else ""
            out[self.u[(table.area_of[county], month)]] += value
            out[self.v[(county, lg)]] += value
        return out

    def links(self) -> list[tuple[list[int], list[int]]]:
        """Per area: its months' sum = its counties' languages' sum."""
        table = self.table
        return [([self.u[(a, m)] for m in table.months],
                 [self.v[(c, lg)] for c in table.counties_of(area_place(a))
                  for lg in self.langs]) for a in table.areas]

    def split(self, group: Group) -> tuple[list[int], int, list[int]] | None:
        """A county's month: (the county's v, its area's month u, its area's months u)."""
        place, period = group
        if period not in self.months or place == COUNTRY or place.startswith("area:"):
            return None
        area = self.table.area_of[place]
        return ([self.v[(place, lg)] for lg in self.langs], self.u[(area, period)],
                [self.u[(area, m)] for m in self.table.months])


def marginals_apply(table: Table, layers: Iterable[tuple[Mapping[Figure, float],
                                                            Reasons | None]]) -> bool:
    """Whether every figure and reason of `layers` is a sum of `_Marginals` (no county's month
    is published): then the auditor may solve on the marginals (`audit(basis="marginals")`)."""
    if type(table) is not Table or not table.months or not table.areas:
        return False
    basis = _Marginals(table)
    for figures, reasons in layers:
        for group in {*(f[:2] for f in figures), *(g[:2] for g in (reasons or {}))}:
            if basis.members(group) is None:
                return False
    return True


@dataclass(frozen=True)
class Range:
    figure: Figure
    rule: str
    value: float  # the true value of what is bounded (for "unanimous": n − x_o, i.e. 0)
    low: float
    high: float
    cap: float | None = None  # the group's known bound (`Table.cap_of`), if any

    @property
    def width(self) -> float:
        return self.high - self.low

    def ok(self, threshold: int) -> bool:
        return protected(self.rule, self.low, self.high, threshold, self.cap)


def protected(rule: str, low: float, high: float, threshold: int,
              cap: float | None = None) -> bool:
    """Whether a range [low, high] of a protected figure keeps its rule (module docstring).
    `cap`: a bound of the group's respondents every reader knows (`Table.caps`)."""
    if rule == SIZE:
        # Anywhere in a range of k; or, where the page says the group is below the
        # threshold (a published reason, see `Reasons`), still anything from none to k − 1;
        # or to its bound where that is lower (HR knows that much of a unit without a figure).
        least = threshold - 1 if cap is None else min(threshold - 1, cap)
        return high - low >= threshold - _TOL or (low <= _TOL and high >= least - _TOL)
    if rule == POSITIVE:
        return low <= _TOL
    if rule == UNANIMOUS:
        return high >= 1 - _TOL
    return high - low >= 1 - _TOL  # EXACT


def protected_figures(table: Table, published: Mapping[Figure, float],
                      shown: Collection[tuple[str, str, str]] = (),
                      unions: bool = True, derived: bool = True) -> list[tuple[Figure, str]]:
    """The figures the auditor must find well protected, each with its rule (module docstring).

    `shown`: groups (place, period, key) whose n an earlier release shows (figures of an earlier
    time, surveys.report.history): their current counts are protected as a shown group's are,
    though none of them is published for the current time. `unions`: the table's unions
    (`Table.unions`) too, each as a hidden group; with `derived`, those a search finds."""
    out: list[tuple[Figure, str]] = []
    k = table.threshold
    sets = table.unions(published, derived=derived) if unions else ()
    for place, period in [*table.groups(), *sets]:
        r = table._sum((place, period), RESPONDENTS, N)
        r_small = 0 < r < k
        rfig = (place, period, RESPONDENTS, N)
        if r_small and rfig not in published:
            out.append((rfig, SIZE))
        for q in table.questions:
            nfig = (place, period, q.id, N)
            n = table._sum((place, period), q.id, N)
            shown_ = nfig in published or (place, period, q.id) in shown
            small = (0 < n < k or r_small) and not shown_
            if small and n > 0:
                out.append((nfig, SIZE))
            if n == 0:
                continue
            for o in q.options:
                v = table._sum((place, period), q.id, o)
                cfig = (place, period, q.id, count_of(o))
                if v == 0 or cfig in published:
                    continue
                if small:
                    out.append((cfig, POSITIVE))
                elif shown_ and v < MIN_OPTION_COUNT:
                    out.append((cfig, EXACT))
                if v == n and o not in q.harmless:
                    # Any group, shown or not: a withheld n may still follow from other sums
                    # (a question's n from the area's minus the siblings'), and with it the
                    # means can prove that everyone gave the same answer.
                    out.append((cfig, UNANIMOUS))
    out += table.unanimous_values()
    return out


class Uncoupled(Exception):
    """A system whose coupling with the other questions (`_Joint`) would take more than its
    budget: it stands as audited alone."""


class Contradiction(Exception):
    """The figures of the earlier times cannot all lie below one another and below the current
    ones: the aggregates did not only grow (surveys.report.history)."""


# One earlier time's published figures and reasons: a layer of the cross-time audit.
Layer = tuple[Mapping[Figure, float], "Reasons | None"]


class _System:
    """One linear system: the respondents (with every question's n), or one question.

    With `history` (the figures and reasons published at earlier times, newest first) the system
    has a layer of unknowns per time besides the current one (layer 0): each layer is bound by
    its own figures and the same structure, and every unknown of a layer is at most the same
    unknown of the next newer layer (aggregates only grow; surveys.report.history)."""

    def __init__(self, table: Table, published: Mapping[Figure, float], key: str,
                 reasons: Reasons | None = None, history: Sequence[Layer] = (),
                 floors: Mapping[Figure, float] | None = None, floors_layer: int = 0,
                 basis: str = "cells", protected: Sequence[tuple[Figure, str]] = (),
                 options: tuple[str, ...] | None = None, patterns: bool = False,
                 lift: bool = True) -> None:
        import numpy as np
        self.table, self.key = table, key
        self.basis = _Marginals(table) if basis == "marginals" else _Cells(table)
        c = self.basis.size
        if key == RESPONDENTS:
            self.blocks = {(RESPONDENTS, N): 0}
            for i, q in enumerate(table.questions):
                self.blocks[(q.id, N)] = i + 1
        else:
            q = table.question[key]
            # `options`: a `multi` question's system with some of its options only (each is
            # bound only by its n); the others' figures are left out of it.
            assert options is None or q.kind == "multi"
            self.options = q.options if options is None else options
            self.blocks = {(RESPONDENTS, N): 0, (key, N): 1}
            for i, o in enumerate(self.options):
                self.blocks[(key, count_of(o))] = i + 2
        # `patterns` (a `multi` question): one more block per set of its options a respondent
        # may choose (2^k), n and each option's count their sums cell by cell. What a
        # respondent gives is one such set, so this is what every reader knows; and with the
        # sets as counted quantities the system separates (`_Marginals`: exact there).
        self.patterns: list[frozenset[str]] = []
        if patterns and key != RESPONDENTS and table.question[key].kind == "multi":
            k = len(self.options)
            self.patterns = [frozenset(o for j, o in enumerate(self.options) if bits >> j & 1)
                             for bits in range(2 ** k)]
            for j, chosen in enumerate(self.patterns):
                self.blocks[(key, PATTERN + ",".join(sorted(chosen)))] = len(self.options) + 2 + j
        # Whether the system separates into counted quantities (`_Marginals`: exact there).
        self.separates = key != RESPONDENTS and (
            table.question[key].kind != "multi" or len(self.options) == 1
            or bool(self.patterns))
        self.width = len(self.blocks) * c  # unknowns per layer
        self.layers = 1 + len(history)
        self.nvar = self.width * self.layers
        # Differences of blocks that only grow too, cell by cell: the respondents who did not
        # answer a question (R − n), and those who answered a `multi` question without
        # choosing an option (n − x): a response, once stored, never changes.
        self.differences: list[dict[int, float]] = []
        if key == RESPONDENTS:
            self.differences = [{0: 1.0, b: -1.0} for (bk, _m), b in self.blocks.items()
                                if bk != RESPONDENTS]
        else:
            self.differences = [{0: 1.0, 1: -1.0}]
            if table.question[key].kind == "multi":
                self.differences += [{1: 1.0, b: -1.0}
                                     for b in range(2, 2 + len(self.options))]
        # A county's month on the marginals: per protected group and counted quantity, one
        # unknown per layer, its growth since the next older layer (`_split_rows`).
        self.splits: dict[tuple[Group, tuple[tuple[int, float], ...]], int] = {}
        self._growth_cache: dict = {}
        if isinstance(self.basis, _Marginals):
            for fig, rule in protected:
                if self.basis.split(fig[:2]) is None:
                    continue
                for quantity in self._quantities(fig, rule):
                    skey = (fig[:2], tuple(sorted(quantity.items())))
                    if skey not in self.splits:
                        self.splits[skey] = self.nvar
                        self.nvar += self.layers
        # Unknowns past nvar: cells a lift put into the system (`_embed`), which no objective,
        # bound or point reads.
        self.extra = 0
        self.cells_extra = 0  # of them, a lift's cells (the rest: questions, `_embed_check`)
        self.eq_rows: list[dict[int, float]] = []
        self.eq_rhs: list[float] = []
        self.ub_rows: list[dict[int, float]] = []
        self.ub_rhs: list[float] = []
        for layer, (figures, layer_reasons) in enumerate([(published, reasons), *history]):
            self._published(layer, figures, layer_reasons)
            self._structure(layer)
        # Lower bounds of sums on one layer (`audit`'s floors: what earlier times left out of
        # the system still say about every later one).
        # Each county's known bound (`Table.caps`) on the current time's respondents: an
        # earlier time's are at most those (below), cell by cell.
        for county, cap in table.caps.items():
            row = self._row(self.blocks[(RESPONDENTS, N)], self._members((county, ALL_MONTHS)))
            self.ub_rows.append(row)
            self.ub_rhs.append(float(cap) + _TOL)
        for fig, value in (floors or {}).items():
            place, period, fkey, measure = fig
            if (fkey, measure) in self.blocks:
                row = self._row(self.blocks[(fkey, measure)], self._members((place, period)),
                                layer=floors_layer)
                self.ub_rows.append({j: -w for j, w in row.items()})
                self.ub_rhs.append(-float(value) + _TOL)
        for layer in range(1, self.layers):  # x of an earlier time <= x of the next newer one
            older, newer = layer * self.width, (layer - 1) * self.width
            for j in range(self.width):
                self.ub_rows.append({older + j: 1.0, newer + j: -1.0})
                self.ub_rhs.append(0.0)
            for diff in self.differences:  # and so does each difference above
                for i in range(c):
                    row: dict[int, float] = {}
                    for b, w in diff.items():
                        row[older + b * c + i] = w
                        row[newer + b * c + i] = -w
                    self.ub_rows.append(row)
                    self.ub_rhs.append(0.0)
        for (group, quantity), start in self.splits.items():
            self._split_rows(group, dict(quantity), start)
        self.a_eq, self.b_eq = self._matrix(self.eq_rows), np.array(self.eq_rhs)
        self.a_ub, self.b_ub = self._matrix(self.ub_rows), np.array(self.ub_rhs)
        # Where the system does not separate, a relaxation on the marginals unless every point
        # is lifted to cells (`_Lift`): then the same ranges as on the cells.
        self.lift = _Lift(self) if lift and isinstance(self.basis, _Marginals) \
            and not self.separates else None
        # Lifted, every unknown is at most `box`, far above any count the data allow (the
        # table's respondents): a program that is unbounded on the marginals then has an
        # optimum at the box, a point like any other to lift (where an unbounded one has only a
        # direction, and HiGHS takes many times longer to find it), read as unbounded
        # (`bound`). A range inside the box holds inside the attacker's.
        self.box = math.inf
        if self.lift is not None:
            everyone = table._sum((COUNTRY, ALL_MONTHS), RESPONDENTS, N)
            figures = [abs(float(v)) for layer in [published, *(f for f, _r in history)]
                       for v in layer.values()]
            self.box = 100.0 * (max([everyone, *figures]) + table.threshold) + 1000.0
        self.cuts = 0
        self.rounds = 0  # of the lift's cuts or cells, each a solve of the whole system
        # The other questions, coupled through the respondents (`couple`, `_Joint`): None
        # while the system is audited alone.
        self.joint: _Joint | None = None
        self._unchecked: set[int] = set()  # ids of points seen before the coupling
        self.joint_rounds = 0
        self.joint_embedded: set[str] = set()  # questions put into it whole
        self.joint_added: set[tuple[str, bytes]] = set()  # (question, ρ) whose cut it has
        self.joint_key: str | None = None
        self._stale = False
        self.solved = 0
        self.solve_s = 0.0
        self._stacked: np.ndarray | None = None
        self._highs = None
        self._fixed = self._optimal = False
        # Feasible points seen so far, the truth first: a rule they already satisfy needs no
        # linear program of its own (their range lies inside the feasible one).
        truth = np.zeros(self.width)
        for (bkey, measure), b in self.blocks.items():
            if measure.startswith(PATTERN):
                chosen = frozenset(filter(None, measure[len(PATTERN):].split(",")))
                truth[b * c:(b + 1) * c] = self.basis.truth(
                    bkey, lambda got, chosen=chosen: _pattern_count(got, self.options, chosen))
                continue
            m = measure[len(COUNT):] if measure.startswith(COUNT) else N
            truth[b * c:(b + 1) * c] = self.basis.truth(bkey, lambda got, m=m: got.get(m, 0))
        self.truth_fits = True
        if self.layers == 1 and not floors and not self.splits:
            self.points = [truth]
        else:
            # The earlier layers' true values are not known (nor needed): a point with the
            # current truth and earlier layers that fit under it, or failing that any point.
            self.points = []
            fixed = [(float(v), float(v)) for v in truth] + \
                [(0, None)] * (self.nvar - self.width)
            if self._solve(np.zeros(self.nvar), fixed) is None:
                self.truth_fits = False
                if self._solve(np.zeros(self.nvar), (0, None)) is None:
                    raise Contradiction(key)

    def _published(self, layer: int, published: Mapping[Figure, float],
                   reasons: Reasons | None) -> None:
        """The rows of one layer's published figures and reasons."""
        table, key = self.table, self.key
        eq_rows, eq_rhs, ub_rows, ub_rhs = self.eq_rows, self.eq_rhs, self.ub_rows, self.ub_rhs
        for fig, value in published.items():
            place, period, fkey, measure = fig
            if (fkey, measure) in self.blocks and measure != MEAN and measure != NPS:
                cells = self._members((place, period))
                eq_rows.append(self._row(self.blocks[(fkey, measure)], cells, layer=layer))
                eq_rhs.append(float(value))
            elif fkey == key and measure in (MEAN, NPS):
                cells = self._members((place, period))
                q = table.question[key]
                n = published.get((place, period, key, N))
                if n is None:
                    raise ValueError(f"{fig} is published without its n")
                if measure == MEAN:
                    weights, half, scale = q.values, 0.5 * 10 ** -MEAN_DECIMALS, 1.0
                else:
                    weights, half, scale = _nps_signs(q), 0.5 * 10 ** -NPS_DECIMALS, 100.0
                assert weights is not None
                row: dict[int, float] = {}
                for o, w in zip(q.options, weights, strict=True):
                    if w:
                        row.update(self._row(self.blocks[(key, count_of(o))], cells, w,
                                             layer=layer))
                hi = n * (value + half) / scale + _TOL
                lo = n * (value - half) / scale - _TOL
                ub_rows.append(row)
                ub_rhs.append(hi)
                ub_rows.append({j: -w for j, w in row.items()})
                ub_rhs.append(-lo)
        # Published reasons: a count below the threshold is at most k − 1, one hidden to protect
        # another at least k.
        k = table.threshold
        for (place, period, rkey), reason in (reasons or {}).items():
            if (rkey, N) not in self.blocks:
                continue
            row = self._row(self.blocks[(rkey, N)], self._members((place, period)),
                            layer=layer)
            for sign, bound in reason_bounds(reason, k):
                ub_rows.append({j: sign * w for j, w in row.items()})
                ub_rhs.append(bound + _TOL)

    def _structure(self, layer: int) -> None:
        """Structure every attacker knows, in one layer."""
        table, key, c = self.table, self.key, self.basis.size
        base = layer * self.width
        ub_rows, ub_rhs = self.ub_rows, self.ub_rhs
        for months, counties in self.basis.links():  # per area, per block: equal totals
            for b in range(len(self.blocks)):
                row = {base + b * c + i: 1.0 for i in months}
                for i in counties:
                    row[base + b * c + i] = -1.0
                self.eq_rows.append(row)
                self.eq_rhs.append(0.0)
        for i in range(c):
            if key == RESPONDENTS:
                for q in table.questions:
                    ub_rows.append({base + self.blocks[(q.id, N)] * c + i: 1.0, base + i: -1.0})
                    ub_rhs.append(0.0)
                continue
            q = table.question[key]
            nvar = base + c + i
            ub_rows.append({nvar: 1.0, base + i: -1.0})
            ub_rhs.append(0.0)
            if q.kind == "one" and q.options:
                row = {base + (b + 2) * c + i: 1.0 for b in range(len(q.options))}
                row[nvar] = -1.0
                self.eq_rows.append(row)
                self.eq_rhs.append(0.0)
            elif q.kind == "multi":
                for b in range(len(self.options)):
                    ub_rows.append({base + (b + 2) * c + i: 1.0, nvar: -1.0})
                    ub_rhs.append(0.0)
                if self.patterns:  # n and each option's count: sums of the sets
                    first = len(self.options) + 2
                    row = {base + (first + j) * c + i: -1.0 for j in range(len(self.patterns))}
                    row[nvar] = 1.0
                    self.eq_rows.append(row)
                    self.eq_rhs.append(0.0)
                    for b, o in enumerate(self.options):
                        row = {base + (first + j) * c + i: -1.0
                               for j, chosen in enumerate(self.patterns) if o in chosen}
                        row[base + (b + 2) * c + i] = 1.0
                        self.eq_rows.append(row)
                        self.eq_rhs.append(0.0)

    def _row(self, block: int, cells: list[int], weight: float = 1.0,
             layer: int = 0) -> dict[int, float]:
        base = layer * self.width + block * self.basis.size
        return {base + i: weight for i in cells}

    def _members(self, group: Group) -> list[int]:
        got = self.basis.members(group)
        if got is None:
            raise ValueError(f"{group} is not a sum of the audit's unknowns (a county's month "
                             "on the marginals)")
        return got

    def _quantities(self, figure: Figure, rule: str) -> list[dict[int, float]]:
        """A figure of a county's month as a sum of counted quantities (blocks, or differences
        of blocks, that are non-negative and only grow cell by cell): on the marginals each is
        bounded on its own (`_split_rows`). In a single-choice question the options and the
        non-answers separate exactly; elsewhere the blocks are taken as they are."""
        _place, _period, key, measure = figure
        b = self.blocks[(key, measure)]
        q = self.table.question.get(key)
        if key == RESPONDENTS and self.key != RESPONDENTS and self.separates:
            # The respondents in a question's system: its answers and its non-answers.
            return [*self._answered(), {0: 1.0, 1: -1.0}]
        if key != RESPONDENTS and measure == N and self.separates:
            return self._answered()
        if q is not None and self.patterns:  # an option's count, or n − it: sets with, without
            option = measure[len(COUNT):]
            return [{self._pattern_block(chosen): 1.0} for chosen in self.patterns
                    if (option in chosen) != (rule == UNANIMOUS)]
        if q is not None and q.kind == "multi" and self.separates:  # one option: x, n − x
            return [{1: 1.0, b: -1.0}] if rule == UNANIMOUS else [{b: 1.0}]
        if q is not None and q.kind == "one" and q.options:
            options = [self.blocks[(key, count_of(o))] for o in q.options]
            if measure == N:
                terms = options
            elif rule == UNANIMOUS:  # n − x_o: the other options
                terms = [o for o in options if o != b]
            else:
                terms = [b]
            return [{t: 1.0} for t in terms]
        if rule == UNANIMOUS and key != RESPONDENTS:  # n − x_o
            return [{self.blocks[(key, N)]: 1.0, b: -1.0}]
        return [{b: 1.0}]

    def _answered(self) -> list[dict[int, float]]:
        """A separable question's n as a sum of counted quantities: its options' counts, or
        (a `multi` question) its sets of options, or (one option of it) that option's count
        and those who answered without choosing it, or (a text question) n itself."""
        own = self.table.question[self.key]
        if self.patterns:
            return [{self._pattern_block(chosen): 1.0} for chosen in self.patterns]
        if own.kind == "one" and own.options:
            return [{self.blocks[(own.id, count_of(o))]: 1.0} for o in own.options]
        if own.kind == "multi":
            return [{2: 1.0}, {1: 1.0, 2: -1.0}]
        return [{1: 1.0}]

    def _pattern_block(self, chosen: frozenset[str]) -> int:
        return self.blocks[(self.key, PATTERN + ",".join(sorted(chosen)))]

    def _split_rows(self, group: Group, quantity: Mapping[int, float], start: int) -> None:
        """The growth of one quantity in a county's month between two times (unknown `start` +
        layer, the oldest layer's from nothing), as its area's growth allows: at least what the
        county's and the month's growth must share within the area's, Δv + Δu − ΔT, at most
        each of Δv and Δu, never negative. Over the cells of each growth (a transportation
        problem) every value between is possible, whatever the other cells hold, so the sum of
        these unknowns over the layers ranges exactly as the county's month does
        (bench/month_projection.py compares both)."""
        dv, du, dt = self._growths(group, quantity)

        def growth(matrix, layer: int, sign: float = 1.0) -> dict[int, float]:
            lo, hi = matrix.indptr[layer], matrix.indptr[layer + 1]
            return {int(j): sign * float(w)
                    for j, w in zip(matrix.indices[lo:hi], matrix.data[lo:hi], strict=True)}

        for layer in range(self.layers):
            d = start + layer
            for matrix in (dv, du):  # d ≤ Δv, d ≤ Δu
                row = growth(matrix, layer, -1.0)
                row[d] = row.get(d, 0.0) + 1.0
                self.ub_rows.append(row)
                self.ub_rhs.append(0.0)
            row = growth(dv, layer)  # Δv + Δu − ΔT ≤ d
            for matrix, sign in ((du, 1.0), (dt, -1.0)):
                for j, w in growth(matrix, layer, sign).items():
                    row[j] = row.get(j, 0.0) + w
            row[d] = row.get(d, 0.0) - 1.0
            self.ub_rows.append(row)
            self.ub_rhs.append(0.0)

    def _matrix(self, rows: list[dict[int, float]]) -> csr_matrix | None:
        return _sparse(rows, self.nvar + self.extra) if rows else None

    def objective(self, figure: Figure, rule: str) -> np.ndarray:
        import numpy as np
        place, _period, key, measure = figure
        obj = np.zeros(self.nvar)
        if self.basis.split(figure[:2]) is not None:
            for quantity in self._quantities(figure, rule):
                start = self.splits[(figure[:2], tuple(sorted(quantity.items())))]
                obj[start:start + self.layers] = 1.0
            return obj
        cells = self._members(figure[:2])
        for j, w in self._row(self.blocks[(key, measure)], cells).items():
            obj[j] += w
        if rule == UNANIMOUS and key != RESPONDENTS:  # n − x_o
            obj = -obj
            for j, w in self._row(self.blocks[(key, N)], cells).items():
                obj[j] += w
        # (On the respondents the figure's group is already the rest: `unanimous_values`.)
        return obj

    def _solve(self, obj: np.ndarray, bounds: object) -> float | None:
        """The minimum of obj·x (−inf if unbounded), its optimum kept as a seen point; None if
        the system has no solution. `bounds`: (0, None) for every unknown, or a list of (low,
        high) per unknown.

        With a lift (`_Lift`) an optimum counts only once cells lie under it: until then each
        round adds the cuts that its failing parts give and solves again. Every cut holds for
        every point with cells under it, so the last optimum is the optimum over those points:
        the cells' own."""
        got = self._solve_once(obj, bounds)
        while got is not None and got[1] is not None:
            if self.lift is not None:
                if self.rounds >= _Lift.MAX_ROUNDS:
                    # Enough rounds: from now on a part that fails gets its cells, whatever
                    # their number. Each part at most once, so this ends, at worst with the
                    # system on the cells.
                    self.lift.cells_only = True
                cuts, embed = self.lift.check(got[1])
                if cuts or embed:
                    self.rounds += 1
                    self._add_cuts(cuts)
                    for part, layer in embed:
                        self._embed(part, layer)
                    got = self._solve_once(obj, bounds)
                    continue
            if self.joint is not None:
                # The other questions' systems at this point's respondents (`_Joint`).
                cuts, whole = self.joint.check(self, got[1])
                if cuts or whole:
                    self.joint_rounds += 1
                    self._add_cuts(cuts)
                    for check in whole:
                        self._embed_check(check)
                    got = self._solve_once(obj, bounds)
                    continue
            break
        if got is None or got[1] is None:
            return None if got is None else got[0]
        self.points.append(got[1])
        return got[0]

    def _solve_once(self, obj: np.ndarray, bounds: object
                    ) -> tuple[float, np.ndarray | None] | None:
        self.solved += 1
        started = time.process_time()
        core = _highs_core() if SOLVER == "highs" else None
        got = self._solve_highs(core, obj, bounds) if core is not None \
            else self._solve_linprog(obj, bounds)
        self.solve_s += time.process_time() - started
        if got is not None and got[1] is not None and self.extra:
            got = got[0], got[1][:self.nvar]  # a point is the system's own unknowns
        return got

    def _add_cuts(self, cuts: list[tuple[dict[int, float], float]]) -> None:
        """Rows `row · x ≤ rhs` that every point with cells under it satisfies (`_Lift`)."""
        if not cuts:
            return
        self.cuts += len(cuts)
        self._add_rows([], [row for row, _rhs in cuts], [rhs for _row, rhs in cuts])

    def _embed(self, part: int, layer: int) -> None:
        """A lift's part (an area at one time) as cells in the system: exact there from now
        on (`_Lift.embedded`)."""
        assert self.lift is not None
        first = self.nvar + self.extra
        eq, ub = self.lift.embedded(part, layer, first)
        added = self.lift.parts[part]["program"].ncells
        self._add_cols(added)
        self.cells_extra += added
        self._add_rows(eq, ub, [0.0] * len(ub))

    def _add_cols(self, added: int) -> None:
        """New unknowns past the system's own (each at least 0, no cost), in the live HiGHS
        model at once: a lift's cells (`_embed`) or another question (`_embed_check`)."""
        import numpy as np
        self.extra += added
        if self._highs is not None:
            core = _highs_core()
            empty = np.zeros(0, dtype=np.int32)
            self._highs.addCols(added, np.zeros(added), np.zeros(added),
                                np.full(added, core.kHighsInf), 0,
                                np.zeros(added, dtype=np.int32), empty, np.zeros(0))

    def couple(self, joint: _Joint, own: str | None) -> None:
        """Audit this system with the other questions' (`_Joint`): every point it uses must
        have, at its respondents, a solution of every other question's system (`own`: the
        question whose system this is in full, checked by the system itself). The points seen
        so far count only where they do (`seen` checks them as it reads them)."""
        self.joint, self.joint_key = joint, own
        self._add_cuts(joint.pool_rows(self))
        # Checked when `seen` first reads them as an extreme (most never are).
        self._unchecked = {id(point) for point in self.points}

    def _embed_check(self, check: _Check) -> None:
        """Another question's whole system in this one (`_Joint`), sharing the respondents:
        exact for it from now on."""
        first = self.nvar + self.extra
        c = self.basis.size
        at: dict[int, int] = {}
        for layer in range(self.layers):
            for i in range(c):
                at[layer * check.width + i] = layer * self.width + i
        added = 0
        for j in range(check.nvar):
            if j not in at:
                at[j] = first + added
                added += 1
        self._add_cols(added)
        eq = [{at[j]: w for j, w in row.items()} for row in check.eq_rows]
        ub = [{at[j]: w for j, w in row.items()} for row in check.ub_rows]
        self._add_rows(eq, ub, list(check.ub_rhs), list(check.eq_rhs))

    def _add_rows(self, eq: list[dict[int, float]], ub: list[dict[int, float]],
                  ub_rhs: list[float], eq_rhs: list[float] | None = None) -> None:
        """New rows of the system (equalities = eq_rhs, 0 by default, then rows ≤ rhs), in the
        live HiGHS model at once; the matrices are rebuilt when next needed (`_matrices`)."""
        import numpy as np
        eq_rhs = [0.0] * len(eq) if eq_rhs is None else eq_rhs
        self.eq_rows += eq
        self.eq_rhs += eq_rhs
        self.ub_rows += ub
        self.ub_rhs += ub_rhs
        if self._highs is not None:
            core = _highs_core()
            rows = [*eq, *ub]
            lower = np.concatenate([np.array(eq_rhs, dtype=float),
                                    np.full(len(ub), -core.kHighsInf)])
            upper = np.concatenate([np.array(eq_rhs, dtype=float),
                                    np.array(ub_rhs, dtype=float)])
            starts = np.cumsum([0, *(len(r) for r in rows[:-1])]).astype(np.int32)
            idx = np.fromiter((j for r in rows for j in r), dtype=np.int32)
            vals = np.fromiter((w for r in rows for w in r.values()), dtype=float)
            self._highs.addRows(len(rows), lower, upper, len(idx), starts, idx, vals)
        # The last basis is no longer feasible: the dual simplex from it (`_solve_highs`).
        self._optimal = False
        self._stale = True  # the matrices (linprog's, or a new HiGHS model's) lack them

    def _matrices(self) -> None:
        import numpy as np
        if self._stale:
            self.a_eq, self.b_eq = self._matrix(self.eq_rows), np.array(self.eq_rhs)
            self.a_ub, self.b_ub = self._matrix(self.ub_rows), np.array(self.ub_rhs)
            self._stale = False

    def _solve_linprog(self, obj: np.ndarray, bounds: object
                       ) -> tuple[float, np.ndarray | None] | None:
        """The reference path: each program from scratch with scipy's `linprog`."""
        import numpy as np
        from scipy.optimize import linprog
        self._matrices()
        if self.box < math.inf:
            bounds = [(0, self.box)] * self.nvar if isinstance(bounds, tuple) else [
                (lo, self.box if hi is None else hi) for lo, hi in bounds]  # type: ignore
        if self.extra:  # embedded cells: no cost, at least 0
            obj = np.concatenate([obj, np.zeros(self.extra)])
            if not isinstance(bounds, tuple):
                bounds = [*bounds, *[(0, None)] * self.extra]  # type: ignore[misc]
        a_ub, b_ub = self.a_ub, self.b_ub
        res = linprog(obj, A_ub=a_ub, b_ub=b_ub if a_ub is not None
                      else None, A_eq=self.a_eq, b_eq=self.b_eq if self.a_eq is not None else None,
                      bounds=bounds, method="highs")
        if res.status == 3:
            return -math.inf, None
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"disclosure audit: linear program failed: {res.message}")
        return res.fun, res.x

    def _solve_highs(self, core, obj: np.ndarray, bounds: object
                     ) -> tuple[float, np.ndarray | None] | None:
        """One HiGHS model per system, kept between programs: only the objective (and, for the
        truth's check, the bounds) change, and each program starts from the optimal basis of
        the one before (a warm start: a few simplex iterations instead of a solve from
        scratch). Same programs, same optima as `_solve_linprog`."""
        import numpy as np
        fixed = not isinstance(bounds, tuple)
        if fixed:
            lower = np.array([lo for lo, _hi in bounds], dtype=float)  # type: ignore[attr-defined]
            upper = np.array([min(self.box, core.kHighsInf) if hi is None else hi
                              for _lo, hi in bounds], dtype=float)  # type: ignore[attr-defined]
        else:
            lower, upper = np.zeros(self.nvar), np.full(self.nvar,
                                                         min(self.box, core.kHighsInf))
        h = self._highs
        # The dual simplex (HiGHS's default) for a new model and after the bounds changed, the
        # primal simplex from an optimal basis whose objective changed: it stays feasible, and
        # usually needs a few dozen iterations where the dual needs thousands.
        strategy = 1
        if h is None:
            h = self._highs = core._Highs()
            h.setOptionValue("output_flag", False)
            h.passModel(self._highs_lp(core, obj, lower, upper))
            self._all = np.arange(self.nvar, dtype=np.int32)
        else:
            if self.cells_extra:
                # With cells embedded (`_embed`), each program from scratch: a start from the
                # last basis skips HiGHS's presolve, which removes most of such a model (the
                # cells that stay 0, the sums they repeat). Measured on a national table's
                # respondents' system with 22,428 cells: 1 s a program from scratch, 5–64 s
                # from the last basis (docs/performance.md, "Lifting to cells").
                h.clearSolver()
                self._optimal = False
            h.changeColsCost(self.nvar, self._all, np.asarray(obj, dtype=float))
            if fixed or self._fixed:
                # The dual simplex from the last basis. (A start from the truth's point by
                # HiGHS's crossover saved half the time of the national cross-time audit, but
                # crossover on a model not yet run crashes HiGHS 1.x, in native code: not worth
                # that risk in a release cut while that size stays off, history.MAX_MONTHLY_CELLS.)
                h.changeColsBounds(self.nvar, self._all, lower, upper)
            elif self._optimal:
                strategy = 4
        h.setOptionValue("simplex_strategy", strategy)
        self._fixed = fixed
        h.run()
        status = h.getModelStatus()
        if status == core.HighsModelStatus.kUnboundedOrInfeasible:
            # Presolve could not tell which: again without it (from the same basis).
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
        # A primal simplex that finds the program unbounded stops at a feasible basis, as good
        # a start for the next program as an optimal one.
        self._optimal = status == core.HighsModelStatus.kOptimal or (
            strategy == 4 and status == core.HighsModelStatus.kUnbounded)
        if status == core.HighsModelStatus.kOptimal:
            fun = h.getInfo().objective_function_value
            # Rounding noise of a warm start (1e-14 where linprog gives 0) reads as 0.
            return (0.0 if abs(fun) < 1e-9 else fun), np.array(h.getSolution().col_value)
        if status == core.HighsModelStatus.kUnbounded:
            return -math.inf, None
        if status == core.HighsModelStatus.kInfeasible:
            return None
        raise RuntimeError("disclosure audit: linear program failed: "
                           + h.modelStatusToString(status))

    def _highs_lp(self, core, obj: np.ndarray, lower: np.ndarray, upper: np.ndarray):
        """The system as one HiGHS model: the equalities, then the inequalities (≤)."""
        import numpy as np
        from scipy.sparse import csr_matrix, vstack
        assert not self.extra  # cells are embedded only after a first solve built the model
        self._matrices()
        parts = [m for m in (self.a_eq, self.a_ub) if m is not None]
        a = csr_matrix(vstack(parts).tocsr()) if parts else csr_matrix((0, self.nvar))
        neq = self.a_eq.shape[0] if self.a_eq is not None else 0
        nub = self.a_ub.shape[0] if self.a_ub is not None else 0
        return _highs_model(core, a, obj, lower, upper,
                            np.concatenate([self.b_eq[:neq], np.full(nub, -core.kHighsInf)]),
                            np.concatenate([self.b_eq[:neq], self.b_ub[:nub]]))

    def bound(self, obj: np.ndarray, sense: int) -> float:
        """min (sense = 1) or max (sense = -1) of obj·x over the system."""
        got = self._solve(sense * obj, (0, None))
        if got is None:
            raise RuntimeError("disclosure audit: the published figures have no solution")
        if abs(got) >= self.box / 2:  # at the box (`box`): as far as it goes, unbounded
            return sense * -math.inf
        return sense * got

    def seen(self, obj: np.ndarray, figure: tuple[Figure, str] | None = None
             ) -> tuple[float, float]:
        import numpy as np
        while True:
            if not self.points:  # none yet (every program so far unbounded)
                return math.inf, -math.inf
            if self._stacked is None or self._stacked.shape[0] != len(self.points):
                self._stacked = np.vstack(self.points)  # one row per point
            points = self._stacked
            # (Lifted, a point's split unknowns are what its cells hold: the values as they
            # are.)
            if figure is not None and self.lift is None \
                    and self.basis.split(figure[0][:2]) is not None:
                # A county's month: at each point seen, its least and largest value given that
                # point's marginals (`_split_rows`: what its growth unknowns may take there),
                # not the values they happen to have.
                low = np.zeros(len(points))
                high = np.zeros(len(points))
                for quantity in self._quantities(*figure):
                    dv, du, dt = self._growths(figure[0][:2], quantity)
                    # (layers, points); sparse × dense, the cheap way round
                    v, u, t = dv @ points.T, du @ points.T, dt @ points.T
                    low += np.maximum(0.0, v + u - t).sum(axis=0)
                    high += np.minimum(v, u).sum(axis=0)
            else:
                low = high = points @ obj
            if self._unchecked and self._drop_unjoint(
                    (int(np.argmin(low)), int(np.argmax(high)))):
                continue  # a point that was not one of the whole: without it
            return float(low.min()), float(high.max())

    def _drop_unjoint(self, chosen: Iterable[int]) -> bool:
        """Coupled (`couple`): check the chosen points seen before the coupling, and drop
        those that are not points of the whole system (adding their cuts); whether any was."""
        assert self.joint is not None
        dropped = []
        for i in set(chosen):
            point = self.points[i]
            if id(point) not in self._unchecked:
                continue
            self._unchecked.discard(id(point))
            # (Not `check`: it passes a point whose respondents already gave this system a
            # cut, as the optimum solved with that cut lies on it, and skips the questions
            # embedded since; a point seen before need not lie on the one, nor fit the other.)
            cuts = self.joint.failing(self, point)
            if cuts:
                self._add_cuts(cuts)
                dropped.append(i)
        for i in sorted(dropped, reverse=True):
            del self.points[i]
        if dropped:
            self._stacked = None
        return bool(dropped)

    def _growths(self, group: Group, quantity: Mapping[int, float]):
        """Matrices (layers × unknowns) giving, per layer, the growth of `quantity` in the
        county's v, the month's u and the area's months: the rows of `_split_rows`, and what
        `seen` reads its points through."""
        import numpy as np
        from scipy.sparse import csr_matrix
        key = (group, tuple(sorted(quantity.items())))
        cached = self._growth_cache.get(key)
        if cached is not None:
            return cached
        county, month, months = self.basis.split(group)  # type: ignore[misc]
        c = self.basis.size
        out = []
        for cells in (county, [month], months):
            rows, cols, data = [], [], []
            for layer in range(self.layers):
                for at, sign in ((layer, 1.0), (layer + 1, -1.0)):
                    if at >= self.layers:
                        continue
                    for b, w in quantity.items():
                        for i in cells:
                            rows.append(at * self.width + b * c + i)
                            cols.append(layer)
                            data.append(sign * w)
            out.append(csr_matrix((np.array(data), (np.array(cols), np.array(rows))),
                                  shape=(self.layers, self.nvar)))
        self._growth_cache[key] = tuple(out)
        return self._growth_cache[key]


class _Lift:
    """Cells under a point of a system on the marginals, or cuts that no cells allow.

    Where a system does not separate (the respondents' with every question's n, a `multi`
    question's with its options), a point of the marginals may have no cells under it: each
    question's n at most the respondents summed over months and over counties, but not cell by
    cell. Such a point gives a range wider than an attacker's (a relaxation). So every point is
    lifted: per area (the marginals of different areas share no cell) and per time (with the
    growth of every cell as unknowns, δ ≥ 0, whatever grows cell by cell, R − n or n − x, is
    δ_R − δ_n ≥ 0 there, and the times separate), cells whose sums are the point's area months,
    county languages and a county's month's growth (its split unknowns). The check is a small
    linear program, the least total misfit of those sums (phase 1 of the simplex method): 0
    when cells lie under the point. Where it is not, its dual gives weights π with
    π · sums ≤ 0 for every point that has cells, and > 0 for this one: a cut for the system on
    the marginals (Benders' feasibility cut). `_System._solve` adds the cuts and solves again
    until the optimum has cells: then it is the optimum over the cells (the system on the
    marginals with cuts holds every point with cells, and this optimum is one of them).

    Per area the program has one unknown per block and cell (a large area with 5 counties, 12
    months and 3 languages: 180 cells) and is the same for every time and point but for its
    sums: one HiGHS model per area, the sums set as fixed unknowns, each check starting from
    the last basis (docs/performance.md, "Lifting to cells")."""

    # Rounds of cuts or cells (each a solve of the whole system) after which every part that
    # fails gets its cells, beyond EMBED_BUDGET and EMBED_AFTER (`cells_only`): a lift always
    # settles, in at most MAX_ROUNDS + areas × times rounds, at worst as the system on the
    # cells. A national table's respondents' system settles in 4 with its parts' cells
    # embedded; with cuts alone it took over a thousand (docs/performance.md, "Lifting to
    # cells").
    MAX_ROUNDS = 40
    # A part (area, time) whose points failed more often than this gets its cells in the
    # system instead of a cut, while the cells so added stay within EMBED_BUDGET unknowns;
    # beyond, cuts only. Cuts alone tail: a national table's respondents' system took over a
    # thousand rounds without settling, each optimum cut off only to move to the next vertex
    # without cells. Cells settle a part at once: the same system with each part's cells
    # embedded at its first failure settled in 4 rounds (22,428 cells of its 5 × 5 parts, at
    # 1,260 unknowns a part: 180 cells × 7 blocks), in 21 s where 40 rounds of cuts took
    # 52 s and did not settle. The embedded programs are solved from scratch
    # (`_System._solve_highs`). (docs/performance.md, "Lifting to cells".)
    EMBED_AFTER = 0
    EMBED_BUDGET = 40_000
    # A misfit up to this is the solvers' tolerances, not a point without cells; a cut gives
    # CUT_TOL of room (whatever the rounding of π), well under it, so that a point on a cut
    # never reads as a misfit again.
    TOL = 1e-6
    CUT_TOL = 1e-9

    def __init__(self, system: _System) -> None:
        import numpy as np
        basis = system.basis
        assert isinstance(basis, _Marginals)
        table = basis.table
        self.layers, self.width = system.layers, system.width
        self.embedded_unknowns = 0  # of the parts embedded so far
        self.cells_only = False  # past MAX_ROUNDS: cells for every part that fails
        nblocks, c = len(system.blocks), basis.size
        self.parts: list[dict] = []
        for area in table.areas:
            counties = table.counties_of(area_place(area))
            cells = [(county, m, lg) for county in counties for m in table.months
                     for lg in basis.langs]
            at = {cell: j for j, cell in enumerate(cells)}
            n = len(cells)
            rows: list[dict[int, float]] = []
            marginal: list[int] = []  # per sum of a marginal: its unknown in a layer
            for b in range(nblocks):
                for m in table.months:
                    rows.append({b * n + at[(county, m, lg)]: 1.0 for county in counties
                                 for lg in basis.langs})
                    marginal.append(b * c + basis.u[(area, m)])
                for county in counties:
                    for lg in basis.langs:
                        rows.append({b * n + at[(county, m, lg)]: 1.0 for m in table.months})
                        marginal.append(b * c + basis.v[(county, lg)])
            splits: list[int] = []  # per county's month split: its first unknown (`_System`)
            for (group, quantity), start in system.splits.items():
                county, month = group
                if table.area_of[county] != area:
                    continue
                row: dict[int, float] = {}
                for b, w in quantity:
                    for lg in basis.langs:
                        j = b * n + at[(county, month, lg)]
                        row[j] = row.get(j, 0.0) + w
                rows.append(row)
                splits.append(start)
            growing = [{b * n + j: w for b, w in diff.items()}
                       for diff in system.differences for j in range(n)]
            self.parts.append({
                "marginal": np.array(marginal, dtype=np.int64),
                "splits": np.array(splits, dtype=np.int64),
                "program": _Phase1(rows, growing, nblocks * n),
                "seen": {},  # sums checked → their cut's weights, or None
                "failed": {},  # layer → how many points had no cells there
                "embedded": set(),  # layers whose cells are in the system
                "cut": set(),  # (sums checked, layer) whose cut is in the system
            })

    def check(self, point: np.ndarray
              ) -> tuple[list[tuple[dict[int, float], float]], list[tuple[int, int]]]:
        """The cuts a point violates, and the parts (area, time) to embed instead: none of
        either if cells lie under it."""
        import numpy as np
        cuts: list[tuple[dict[int, float], float]] = []
        embed: list[tuple[int, int]] = []
        for p, part in enumerate(self.parts):
            marginal, splits = part["marginal"], part["splits"]
            for layer in range(self.layers):
                if layer in part["embedded"]:
                    continue  # its cells are in the system: exact
                sums = point[layer * self.width + marginal]
                if layer + 1 < self.layers:
                    sums = sums - point[(layer + 1) * self.width + marginal]
                sums = np.concatenate([sums, point[splits + layer]])
                key = np.round(sums, 7).tobytes()
                weights = part["seen"].get(key, False)
                if weights is False:
                    # (Relative to the sums as well: near the box, `_System.box`, the solvers'
                    # rounding is larger than TOL.)
                    tol = max(self.TOL, 1e-8 * float(np.abs(sums).max(initial=0.0)))
                    weights = part["seen"][key] = part["program"].cut(sums, tol)
                if weights is None:
                    continue
                part["failed"][layer] = part["failed"].get(layer, 0) + 1
                cells = part["program"].ncells
                if self.cells_only or (part["failed"][layer] > self.EMBED_AFTER
                                       and self.embedded_unknowns + cells <= self.EMBED_BUDGET):
                    part["embedded"].add(layer)
                    self.embedded_unknowns += cells
                    embed.append((p, layer))
                    continue
                # π · sums ≤ 0 for a point with cells. Every time of a part has the same
                # program, so the cut holds at each of them: all go in at once (most points
                # that fail at one time fail alike at the others).
                for at in range(self.layers):
                    if at in part["embedded"] or (key, at) in part["cut"]:
                        continue
                    part["cut"].add((key, at))
                    row: dict[int, float] = {}
                    for i in np.flatnonzero(weights):
                        for j, w in self.terms(p, int(i), at).items():
                            row[j] = row.get(j, 0.0) + float(weights[i]) * w
                    cuts.append((row, self.CUT_TOL))
        return cuts, embed

    def terms(self, p: int, i: int, layer: int) -> dict[int, float]:
        """The i-th sum of part p's program at `layer`, in the system's unknowns: a marginal's
        growth since the next older layer, or a county's month's split unknown."""
        part = self.parts[p]
        marginal = part["marginal"]
        if i < len(marginal):
            j = layer * self.width + int(marginal[i])
            if layer + 1 < self.layers:
                return {j: 1.0, j + self.width: -1.0}
            return {j: 1.0}
        return {int(part["splits"][i - len(marginal)]) + layer: 1.0}

    def embedded(self, p: int, layer: int, first: int
                 ) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
        """The rows that put part p's cells at `layer` into the system, as unknowns `first`
        on: their sums equal to the system's (equalities), and what grows cell by cell
        (rows ≤ 0)."""
        program = self.parts[p]["program"]
        eq = []
        for i, row in enumerate(program.rows):
            out = {first + j: w for j, w in row.items()}
            for j, w in self.terms(p, i, layer).items():
                out[j] = out.get(j, 0.0) - w
            eq.append(out)
        ub = [{first + j: -w for j, w in row.items()} for row in program.growing]
        return eq, ub


def _highs_model(core, matrix: csr_matrix, cost: np.ndarray, col_lower: np.ndarray,
                 col_upper: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray):
    """A HiGHS model (SciPy's bindings, `_highs_core`) of rows `matrix` (CSR): min cost·x with
    col_lower ≤ x ≤ col_upper and row_lower ≤ matrix·x ≤ row_upper."""
    import numpy as np
    nrow, ncol = matrix.shape
    lp = core.HighsLp()
    lp.num_col_, lp.num_row_ = ncol, nrow
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_, lp.col_upper_ = col_lower, col_upper
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.a_matrix_.format_ = core.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = ncol, nrow
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    return lp


def _sparse(rows: list[dict[int, float]], ncol: int) -> csr_matrix:
    """Rows of {column: weight} as a sparse matrix."""
    from scipy.sparse import csr_matrix
    data, ri, ci = [], [], []
    for r, row in enumerate(rows):
        for j, w in row.items():
            ri.append(r)
            ci.append(j)
            data.append(w)
    return csr_matrix((data, (ri, ci)), shape=(len(rows), ncol))


class _FixedMisfit:
    """The least misfit (`cost` · x, cost on slack unknowns only) of rows `matrix` with
    `row_lower` ≤ rows · x ≤ `row_upper`, x ≥ 0, where the unknowns `_fixed` are fixed to given
    values, and the reduced costs of those at the optimum (a subgradient of the misfit in
    them: the weights of a cut). One HiGHS model kept between checks; only the fixed values
    change (`_Phase1`, `_Check`)."""

    what = "check"
    matrix: csr_matrix
    cost: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    ncol: int
    _fixed: np.ndarray
    _highs: object = None

    def _misfit(self, values: np.ndarray) -> tuple[float, np.ndarray]:
        core = _highs_core() if SOLVER == "highs" else None
        return self._solve_highs(core, values) if core is not None \
            else self._solve_linprog(values)

    def _solve_highs(self, core, values: np.ndarray) -> tuple[float, np.ndarray]:
        import numpy as np
        h = self._highs
        if h is None:
            h = self._highs = core._Highs()
            h.setOptionValue("output_flag", False)
            lower = np.zeros(self.ncol)
            upper = np.full(self.ncol, core.kHighsInf)
            lower[self._fixed] = upper[self._fixed] = values
            h.passModel(_highs_model(
                core, self.matrix, self.cost, lower, upper,
                np.where(np.isinf(self.row_lower), -core.kHighsInf, self.row_lower),
                np.where(np.isinf(self.row_upper), core.kHighsInf, self.row_upper)))
        else:  # the dual simplex from the last basis: it stays dual feasible
            h.changeColsBounds(len(self._fixed), self._fixed, values, values)
        h.run()
        status = h.getModelStatus()
        if status != core.HighsModelStatus.kOptimal:
            raise RuntimeError(f"disclosure audit: {self.what} failed: "
                               + h.modelStatusToString(status))
        misfit = h.getInfo().objective_function_value
        return misfit, np.array(h.getSolution().col_dual)[self._fixed]

    def _solve_linprog(self, values: np.ndarray) -> tuple[float, np.ndarray]:
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import vstack
        bounds = [(0, None)] * self.ncol
        for i, j in enumerate(self._fixed):
            bounds[j] = (float(values[i]), float(values[i]))
        lo, hi = self.row_lower, self.row_upper
        eq = lo == hi
        below = ~eq & np.isfinite(hi)  # rows ≤ hi
        above = ~eq & np.isfinite(lo)  # rows ≥ lo, as −rows ≤ −lo
        a_ub = vstack([self.matrix[below], -self.matrix[above]]).tocsr()
        b_ub = np.concatenate([hi[below], -lo[above]])
        res = linprog(self.cost, A_ub=a_ub if a_ub.shape[0] else None,
                      b_ub=b_ub if a_ub.shape[0] else None,
                      A_eq=self.matrix[eq] if eq.any() else None,
                      b_eq=hi[eq] if eq.any() else None, bounds=bounds, method="highs")
        if res.status != 0:
            raise RuntimeError(f"disclosure audit: {self.what} failed: {res.message}")
        # The reduced costs of the fixed unknowns: the sensitivity of the misfit to each.
        return res.fun, np.array(res.lower.marginals)[self._fixed] + \
            np.array(res.upper.marginals)[self._fixed]


class _Phase1(_FixedMisfit):
    """min Σ s⁺ + s⁻ over δ ≥ 0 (cells' growth), s± ≥ 0 with rows·δ + s⁺ − s⁻ = sums and
    growing·δ ≥ 0: 0 where cells fit the sums. The sums are fixed unknowns ρ (rows·δ + s⁺ −
    s⁻ − ρ = 0), so that a new check changes only their bounds; their reduced costs at the
    optimum are the cut's weights π (the dual objective is π · sums, every other bound being
    0)."""

    what = "lift"

    def __init__(self, rows: list[dict[int, float]], growing: list[dict[int, float]],
                 ncells: int) -> None:
        import numpy as np
        nrow = len(rows)
        self.nrow, self.ncells = nrow, ncells
        self.rows, self.growing = rows, growing
        with_sums = [{**row, ncells + r: -1.0, ncells + nrow + r: 1.0,  # ρ, s⁺, s⁻
                      ncells + 2 * nrow + r: -1.0} for r, row in enumerate(rows)]
        self.ncol = ncells + 3 * nrow
        self.matrix = _sparse([*with_sums, *growing], self.ncol)
        self.cost = np.concatenate([np.zeros(ncells + nrow), np.ones(2 * nrow)])
        self.row_lower = np.zeros(nrow + len(growing))
        self.row_upper = np.concatenate([np.zeros(nrow), np.full(len(growing), np.inf)])
        self._fixed = np.arange(ncells, ncells + nrow, dtype=np.int32)

    def cut(self, sums: np.ndarray, tol: float) -> np.ndarray | None:
        """π (per sum) with π · sums > 0 and π · s ≤ 0 for any sums s that cells fit; None
        where cells fit these."""
        import numpy as np
        if not np.any(np.abs(sums) > tol):
            return None  # nothing grew: no cells, no misfit
        misfit, weights = self._misfit(sums)
        if misfit <= tol:
            return None
        dual = float(weights @ sums)
        if abs(dual - misfit) > 1e-6 * max(1.0, misfit):
            raise RuntimeError(f"disclosure audit: lift duals disagree ({dual} != {misfit})")
        return weights


class _Check(_FixedMisfit):
    """Whether one question's system has a solution at given respondents (per cell and time),
    and if not, a cut: min Σ s⁺ + s⁻ over the system's unknowns and s± ≥ 0 with its rows and
    R + s⁺ − s⁻ = ρ, the respondents ρ fixed unknowns (as in `_Phase1`). The least misfit v(ρ)
    is convex in ρ and the reduced costs d of ρ at the optimum are a subgradient, so every ρ
    with a solution (v = 0) has d · ρ ≤ d · ρ* − v(ρ*), which ρ* itself breaks: Benders'
    feasibility cut, on the respondents only."""

    what = "joint check"

    def __init__(self, system: _System) -> None:
        import numpy as np
        self.key = system.key
        self.width, self.nvar = system.width, system.nvar
        self.eq_rows, self.eq_rhs = system.eq_rows, system.eq_rhs
        self.ub_rows, self.ub_rhs = system.ub_rows, system.ub_rhs
        c = system.basis.size
        self.respondents = np.array([layer * system.width + i for layer in range(system.layers)
                                     for i in range(c)], dtype=np.int64)
        m = len(self.respondents)
        self.m = m
        nvar = system.nvar
        links = [{int(j): 1.0, nvar + r: -1.0, nvar + m + r: 1.0, nvar + 2 * m + r: -1.0}
                 for r, j in enumerate(self.respondents)]
        self.ncol = nvar + 3 * m
        self.matrix = _sparse([*self.eq_rows, *links, *self.ub_rows], self.ncol)
        self.cost = np.concatenate([np.zeros(nvar + m), np.ones(2 * m)])
        self.row_lower = np.concatenate([np.array(self.eq_rhs, dtype=float), np.zeros(m),
                                         np.full(len(self.ub_rows), -np.inf)])
        self.row_upper = np.concatenate([np.array(self.eq_rhs, dtype=float), np.zeros(m),
                                         np.array(self.ub_rhs, dtype=float)])
        self._fixed = np.arange(nvar, nvar + m, dtype=np.int32)
        self.solved = 0

    def cut(self, rho: np.ndarray, tol: float) -> tuple[np.ndarray, float] | None:
        """(d, rhs) with d · ρ ≤ rhs for every ρ at which the system has a solution, and
        d · rho > rhs; None where it has one at rho."""
        self.solved += 1
        misfit, d = self._misfit(rho)
        if misfit <= tol:
            return None
        return d, float(d @ rho) - misfit


class _Joint:
    """The questions' systems as one: what the attacker reads from all published figures at
    once. The systems share only the respondents R (per cell and time; each question's n and
    counts are its own, the respondents' system's n too, bound only by its question's figures
    and n ≤ R), so given R the whole system separates into one system per question, and a
    point of one system is a point of the whole exactly when every other question's system has
    a solution at its R (`_Check`). `_System._solve` accepts an optimum only then: until then
    each round adds the cuts on R that the failing questions give (valid for every system:
    kept in `pool`) and solves again, so the last optimum is the whole system's. Past
    MAX_ROUNDS (none by default: below) a question that still fails is put into the system
    whole (`_embed_check`): each at most once, so it always settles, at worst as the whole
    system, or past EMBED_BUDGET stands as audited alone (`Uncoupled`).

    On the marginals, R is the respondents' marginals (`_Marginals`): the questions coupled
    through them, a relaxation of the coupling through the cells (each range still holds the
    attacker's, but may be wider; docs/privacy.md, "Not yet")."""

    # Rounds of cuts (each a solve of the whole system), per system, after which a question
    # that still fails is put into it whole, within EMBED_BUDGET unknowns so put into one
    # system; beyond, the system and the rest are left as audited alone (`Uncoupled`, the
    # result's `uncoupled`). Both are counts, not times, so every process publishes the same
    # figures. Measured on the national benchmark publication (22 counties × 12 months × 3
    # languages): the cuts tail there (32 rounds did not settle the respondents' system);
    # with every failing question embedded the coupled audit took 338 s where the systems
    # alone took 10 s, and 10 rounds a system before giving up 125 s; a county's own survey
    # settles at once (docs/performance.md, "Questions read together"). Since the 4 December
    # session: no rounds (on that publication 3 rounds then embedding took 409 s and still
    # left one system past 24,000 unknowns; embedding at once, 323 s, every system exact,
    # 22,176 unknowns embedded at most) and a budget that holds every question's system of
    # a national survey with months in three languages (36,432 unknowns there); beyond it
    # (more languages, earlier times) a system stands as audited alone, listed
    # (docs/privacy.md, "Not yet").
    MAX_ROUNDS = 0
    EMBED_BUDGET = 40_000
    TOL = 1e-6
    CUT_TOL = 1e-9

    def __init__(self, checks: Mapping[str, Callable[[], _Check]], size: int, layers: int,
                 truth: np.ndarray | None) -> None:
        self._make = dict(checks)  # key → its check (built when first needed)
        self._checks: dict[str, _Check | None] = {}
        self.size, self.layers = size, layers
        # The respondents per cell (one time: a point of the whole, which every cut must
        # keep); None with earlier times, whose true values nobody knows.
        self.truth = truth if layers == 1 else None
        self.pool: list[tuple[np.ndarray, float]] = []
        self._seen: dict[tuple[str, bytes], tuple[np.ndarray, float] | None] = {}
        self.checked = 0

    def _check(self, key: str) -> _Check | None:
        if key not in self._checks:
            try:
                self._checks[key] = self._make[key]()
            except Contradiction:  # audited without it (the result says which)
                self._checks[key] = None
        return self._checks[key]

    def respondents(self, system: _System, point: np.ndarray) -> np.ndarray:
        import numpy as np
        c = self.size
        at = np.array([layer * system.width + i for layer in range(self.layers)
                       for i in range(c)], dtype=np.int64)
        return point[at]

    def _row(self, system: _System, d: np.ndarray, rhs: float) -> tuple[dict[int, float], float]:
        import numpy as np
        c = self.size
        row = {}
        for r in np.flatnonzero(d):
            row[int(r // c) * system.width + int(r % c)] = float(d[r])
        return row, rhs + self.CUT_TOL

    def pool_rows(self, system: _System) -> list[tuple[dict[int, float], float]]:
        return [self._row(system, d, rhs) for d, rhs in self.pool]

    def _at(self, system: _System, point: np.ndarray
            ) -> tuple[np.ndarray, bytes, float] | None:
        """The point's respondents, their key in `_seen` and the misfit tolerance there; None
        for today's respondents (a point of the whole: the truth's)."""
        import numpy as np
        rho = self.respondents(system, point)
        if self.truth is not None and np.allclose(rho, self.truth, rtol=0, atol=1e-9):
            return None
        tol = max(self.TOL, 1e-8 * float(np.abs(rho).max(initial=0.0)))
        return rho, np.round(rho, 7).tobytes(), tol

    def _cut(self, q: str, rho: np.ndarray, key: bytes, tol: float
             ) -> tuple[np.ndarray, float] | None:
        """Question q's cut at these respondents (None: its system has a solution there),
        each asked once (`_seen`); every cut joins the pool."""
        got = self._seen.get((q, key), False)
        if got is False:
            check = self._check(q)
            got = None if check is None else check.cut(rho, tol)
            self.checked += 1
            if got is not None:
                d, rhs = got
                if self.truth is not None and \
                        float(d @ self.truth) > rhs + 1e-6 * max(1.0, abs(rhs)):
                    raise RuntimeError("disclosure audit: a joint cut excludes the truth")
                self.pool.append(got)
            self._seen[(q, key)] = got
        return got

    def failing(self, system: _System, point: np.ndarray
                ) -> list[tuple[dict[int, float], float]]:
        """The cuts of every other question's system without a solution at the point's
        respondents, whether or not this system has its cut already or has since taken the
        question in whole (a point from before has no part for it): none where the point is
        one of the whole system. For the points seen before the coupling (`_drop_unjoint`)."""
        at = self._at(system, point)
        if at is None:
            return []
        cuts = []
        for q in self._make:
            got = None if q == system.joint_key else self._cut(q, *at)
            if got is not None:
                system.joint_added.add((q, at[1]))
                cuts.append(self._row(system, *got))
        return cuts

    def check(self, system: _System, point: np.ndarray
              ) -> tuple[list[tuple[dict[int, float], float]], list[_Check]]:
        """The cuts that the other questions give at the point's respondents, and the
        questions to embed whole instead (past MAX_ROUNDS): none of either if the point is
        one of the whole system."""
        at = self._at(system, point)
        if at is None:
            return [], []
        key = at[1]
        cuts: list[tuple[dict[int, float], float]] = []
        whole: list[_Check] = []
        done, added = system.joint_embedded, system.joint_added
        for q in self._make:
            if q == system.joint_key or q in done:
                continue
            got = self._cut(q, *at)
            if got is None or (q, key) in added:
                # (Already a cut of this system: the point is on it, within the solvers'
                # tolerances.)
                continue
            added.add((q, key))
            if system.joint_rounds >= self.MAX_ROUNDS:
                check = self._check(q)
                assert check is not None
                if system.extra - system.cells_extra + check.nvar > self.EMBED_BUDGET:
                    raise Uncoupled(system.key)
                done.add(q)
                whole.append(check)
            else:
                cuts.append(self._row(system, *got))
        return cuts, whole


@dataclass
class AuditResult:
    threshold: int
    ranges: list[Range]
    programs: int = 0
    # With history (surveys.report.history): the systems (their key) whose earlier figures
    # cannot lie under the current ones, audited without the earlier times; and those where the
    # current truth is not a solution (the figures of the current time are not today's, or the
    # aggregates did not only grow).
    contradicted: list[str] = field(default_factory=list)
    truth_outside: list[str] = field(default_factory=list)
    # The cross-time audit left the month figures out (too large to solve, history.py).
    months_dropped: bool = False
    # The most earlier layers any system solved after `reduce_layers` dropped those that add
    # nothing to it (computed, not cached: 0 when every system came from the cache).
    earlier_solved: int = 0
    # Systems solved on the marginals where those are a relaxation (`_Marginals`), by key.
    relaxed: list[str] = field(default_factory=list)
    # Systems whose coupling with the other questions went past its budget (`_Joint`), by key:
    # their ranges are those audited alone.
    uncoupled: list[str] = field(default_factory=list)
    # Above history.MAX_MONTHLY_CELLS: how many earlier times were audited with their months
    # (on the marginals), the newest; every time is audited without (None: not split).
    months_times: int | None = None
    # The questions were read together through the respondents' marginals, not their cells
    # (`_Joint` on the marginals): each range holds the attacker's but may be wider than the
    # whole system's, so a figure may pass that the cells would fail (docs/privacy.md, "Not
    # yet"; bench/marginals_gap.py measures how often).
    joint_on_marginals: bool = False

    @property
    def exposed(self) -> list[Range]:
        return [r for r in self.ranges if not r.ok(self.threshold)]

    @property
    def passed(self) -> bool:
        return not self.exposed


def _relevant(key: str, figure: Figure) -> bool:
    """Whether a published figure enters the system of `key` (see _System)."""
    if key == RESPONDENTS:
        return figure[3] == N
    return figure[2] == key or figure[2] == RESPONDENTS


def _signature(layer: tuple[dict, dict]) -> tuple[frozenset, frozenset]:
    """A `_relevant_layer`, hashable (the cache's key)."""
    return frozenset(layer[0].items()), frozenset(layer[1].items())


def _relevant_layer(key: str, published: Mapping[Figure, float],
                    reasons: Reasons | None) -> tuple[dict[Figure, float], dict]:
    """What of one time's figures and reasons enters the system of `key` (the rest is not
    read by `_System`)."""
    return ({f: v for f, v in published.items() if _relevant(key, f)},
            {g: r for g, r in (reasons or {}).items() if _relevant(key, (*g, N))})


def reduce_layers(current: Layer, history: Sequence[Layer]) -> list[Layer]:
    """The earlier layers (newest first) that add a constraint: a layer whose figures (same
    values) and reasons are all among those of the next newer layer kept (today's `current`
    for the newest) is dropped. Exact: given any solution of the rest, that layer equal to the
    next newer one satisfies its own figures and reasons, the structure, and lies between its
    older and newer neighbours, so every range of today's figures is the same. Only the *next*
    newer layer will do: a layer also published at some later time with a different layer
    between them is not redundant (the two pin the one between, as sums only grow)."""
    return [history[i] for i in _kept_layers(current, history)]


def _kept_layers(current: Layer, history: Sequence[Layer]) -> list[int]:
    """The indices (into `history`) of the layers `reduce_layers` keeps."""
    kept: list[int] = []
    newer_f, newer_r = current[0], current[1] or {}
    for i, (figures, reasons) in enumerate(history):
        reasons = reasons or {}
        if all(newer_f.get(f, _MISSING) == v for f, v in figures.items()) and \
                all(newer_r.get(g) == r for g, r in reasons.items()):
            continue
        kept.append(i)
        newer_f, newer_r = figures, reasons
    return kept


_MISSING = object()


def audit(table: Table, published: Mapping[Figure, float], *,
          full_ranges: bool = False, cache: dict | None = None,
          reasons: Reasons | None = None, history: Sequence[Layer] = (),
          floors: Mapping[Figure, float] | None = None, floors_at: int = -1,
          basis: str = "cells", respondents_everywhere: bool | None = None,
          multi_by_option: bool | None = None, multi_sets: bool | None = None,
          lift: bool | None = None, joint: bool | None = None,
          unions: bool = True, derived: bool | None = None) -> AuditResult:
    """Bound every protected figure given all of `published` (and the `reasons` published for
    hidden groups) and report the exposed ones.

    With `full_ranges` both ends of every range are computed (for operators); otherwise a bound
    that already proves the rule saves the other linear program. `cache` (a dict kept by the
    caller between audits of the same table) reuses a question's ranges while nothing that
    enters its system has changed.

    `history`: the figures and reasons published at earlier times and still public, newest
    first, each a layer of unknowns under the current one (surveys.report.history). The
    protected figures stay those of the current table; a group an earlier time shows counts as
    shown.

    `floors`: lower bounds of sums (a count figure's group, key and measure: at least the
    value) on the layer `history[floors_at]` (-1: the current one), which must be later than
    every time they were learnt at: what earlier times left out of the system still say, as
    sums only grow (surveys.report.history.floors_of).

    `basis`: "cells" (the finest cells) or "marginals" (`_Marginals`: where no figure, reason
    or floor is about a county's month; exact for single-choice and text questions, and with
    `lift` (default) for the respondents' system and `multi` questions too: every point is
    lifted to cells, `_Lift`; without, those are relaxations, listed in the result's
    `relaxed`). `respondents_everywhere` (default: on) bounds the respondents' figures in every
    question's system too, where that question's figures say more of them than its n alone
    (a county's shown option counts are at least its respondents who answered; until the
    second 3 December session the cells left it off); `multi_by_option` (default:
    on the marginals without `lift`) bounds each option of a `multi` question again in a
    system of its own (with its n and the respondents), where on the marginals each is exact;
    `multi_sets` (default: on the marginals) gives a `multi` question of at most
    MAX_SET_OPTIONS options its sets of options as unknowns (`_System`'s `patterns`), exact on
    the marginals without a lift. The range reported is what all systems allow (`_narrowest`).

    `unions` (default: on): the table's unions (`Table.unions`) are protected too; off only in
    a publication's first rounds (surveys.report.disclosure.publish), which audit them once the
    groups pass. `derived` (default: as `unions`): among them the sets a search of the
    published sums finds (`Table.derived`); off in a publication's first rounds too, where
    most of what it would find the groups' own fixes protect anyway.
    """
    ranges: list[Range] = []
    programs = 0
    k = table.threshold
    lift = LIFT if lift is None else lift
    by_key: dict[str, list[tuple[Figure, str]]] = {}
    shown = {f[:3] for figures, _r in history for f in figures if f[3] == N}
    contradicted: list[str] = []
    truth_outside: list[str] = []
    relaxed: list[str] = []
    layers_solved = 0
    derived = unions if derived is None else derived and unions
    # The sets a search found (`Table.derived`) are among the protected figures: a cached
    # system's ranges hold only for the same sets. A key whose search stopped undecided is
    # not proven (listed with `uncoupled`: not published).
    found, undecided = table.derived(published) if derived and table.derived_sets \
        else ([], [])
    # On the marginals a set must be a sum of them. A set found exactly always is (an area's
    # months, a county's languages: surveys.report.derivable); one that is not would be a
    # solver's near-solution, and is left unproven rather than read wrongly.
    marginals = _Marginals(table) if basis == "marginals" and found else None
    off_basis = {g for g in found if marginals is not None and marginals.members(g) is None}
    if off_basis:
        undecided = sorted({*undecided, *table.counted_keys()})
    for fig, rule in protected_figures(table, published, shown, unions, derived):
        if fig[:2] not in off_basis:
            by_key.setdefault(fig[2], []).append((fig, rule))
    # Each system as audited alone, with its layers (`_kept_layers`) and floors' layer.
    alone: dict[tuple[str, tuple[str, ...] | None],
                tuple[_System, tuple[int, ...], int] | None] = {}
    if multi_sets is None:
        multi_sets = basis == "marginals"
    in_sets = {q.id for q in table.questions if multi_sets and q.kind == "multi"
               and 1 < len(q.options) <= MAX_SET_OPTIONS}
    if respondents_everywhere is None:
        # The respondents' own system holds every question's n but no option: what a
        # question's counts say of the respondents is in that question's system only.
        respondents_everywhere = True
    if respondents_everywhere and by_key.get(RESPONDENTS):
        # Each question's system holds the respondents too, with what that question's figures
        # say of them: the respondents' figures are bounded in every one, and each range
        # reported is the narrowest (every system's range holds the attacker's). On the
        # marginals without a lift a `multi` question's own system is a relaxation: its
        # options' systems bound them instead (below).
        for q in table.questions:
            if q.kind != "multi" or q.id in in_sets or lift or basis == "cells":
                by_key.setdefault(q.id, []).extend(by_key[RESPONDENTS])
    systems: list[tuple[str, tuple[str, ...] | None, list[tuple[Figure, str]]]] = [
        (key, None, figs) for key, figs in by_key.items()]
    if multi_by_option is None:
        multi_by_option = basis == "marginals" and not lift
    if multi_by_option:
        # A `multi` question's system is a relaxation on the marginals (each option at most n,
        # cell by cell); with one option it is not: each option's figures (and its n, and the
        # respondents') are bounded again in a system of its own.
        for q in table.questions:
            if q.kind != "multi" or len(q.options) < 2 or q.id in in_sets:
                continue
            for o in q.options:
                mine = [(f, r) for f, r in by_key.get(q.id, [])
                        if f[3] in (N, count_of(o))]
                if respondents_everywhere:
                    mine += by_key.get(RESPONDENTS, [])
                if mine:
                    systems.append((q.id, (o,), mine))
    for key, options, figs in systems:
        # Per system, only what enters it (the cache's key, and what _System reads).
        current = _relevant_layer(key, published, reasons)
        relevant = [_relevant_layer(key, f, r) for f, r in history]
        key_floors = _relevant_layer(key, floors or {}, None)
        signature = None
        if cache is not None:
            signature = (key, options, key in in_sets, full_ranges, basis, lift, unions,
                         tuple(found),
                         _signature(current),
                         tuple(_signature(layer) for layer in relevant),
                         _signature(key_floors), floors_at)
            if signature in cache:
                key_ranges, flags, kept_system = cache[signature]
                alone[(key, options)] = kept_system
                ranges += key_ranges
                contradicted += [key] if "contradicted" in flags else []
                truth_outside += [key] if "truth_outside" in flags else []
                relaxed += [key] if "relaxed" in flags else []
                continue
        flags = set()
        started = time.process_time()
        # Without the layers that add nothing to it.
        kept = _kept_layers(current, relevant)
        mine = [relevant[i] for i in kept]
        layers_solved = max(layers_solved, len(mine))
        # The floors go on the oldest layer kept at or after theirs (a dropped layer equals the
        # next newer one kept), or on the current one.
        at = [j for j, i in enumerate(kept) if i <= floors_at]
        floors_layer = at[-1] + 1 if at else 0
        try:
            system = _System(table, published, key, reasons, mine, key_floors[0],
                             floors_layer, basis=basis, protected=figs, options=options,
                             patterns=options is None and key in in_sets, lift=lift)
        except Contradiction:
            flags.add("contradicted")
            contradicted.append(key)
            programs += 2
            system = _System(table, published, key, reasons, basis=basis, protected=figs,
                             options=options, patterns=options is None and key in in_sets,
                             lift=lift)
        if not system.truth_fits:
            flags.add("truth_outside")
            truth_outside.append(key)
        key_ranges = _audit_system(system, table, figs, full_ranges)
        # (For the joint audit below: its points and model, on these layers.)
        alone[(key, options)] = (system, tuple(kept), floors_layer) \
            if "contradicted" not in flags else None
        if basis == "marginals" and not system.separates and system.lift is None:
            flags.add("relaxed")
            relaxed.append(key)
        programs += system.solved
        if PROFILE is not None:
            PROFILE.append({"key": key, "vars": system.nvar, "rows": (
                (system.a_eq.shape[0] if system.a_eq is not None else 0)
                + (system.a_ub.shape[0] if system.a_ub is not None else 0)),
                "figures": len(figs), "programs": system.solved, "layers": system.layers,
                "cuts": system.cuts, "embedded": system.extra,
                "rounds": system.rounds,
                "cells_only": system.lift is not None and system.lift.cells_only,
                "cpu_s": round(time.process_time() - started, 2),
                "solve_s": round(system.solve_s, 2)})
        if cache is not None:
            cache[signature] = (key_ranges, flags, alone[(key, options)])
        ranges += key_ranges
    ranges = _narrowest(ranges, k, full_ranges)
    joint = JOINT if joint is None else joint
    uncoupled: list[str] = []
    if joint and len(table.questions) > 1 and (
            full_ranges or all(r.ok(k) for r in ranges)):
        # Each system alone holds the attacker's ranges, so what fails above fails; what
        # passes must pass with every question read at once too.
        more, solved, uncoupled = _audit_joint(
            table, published, systems, cache, full_ranges, reasons, history, floors,
            floors_at, basis, in_sets, lift, alone)
        programs += solved
        ranges = _narrowest([*ranges, *more], k, full_ranges)
        on_marginals = basis == "marginals"
    else:
        on_marginals = False
    if undecided:
        log.warning("disclosure: the search for sets the published counts give exactly "
                    "stopped undecided for %s; not proven", ", ".join(undecided),
                    extra={"undecided": undecided})
    return AuditResult(k, ranges, programs, contradicted, truth_outside,
                       earlier_solved=layers_solved, relaxed=relaxed,
                       uncoupled=sorted({*uncoupled, *undecided}),
                       joint_on_marginals=on_marginals)


def _audit_joint(table: Table, published: Mapping[Figure, float],
                 systems: list[tuple[str, tuple[str, ...] | None, list[tuple[Figure, str]]]],
                 cache: dict | None, full_ranges: bool, reasons: Reasons | None,
                 history: Sequence[Layer], floors: Mapping[Figure, float] | None,
                 floors_at: int, basis: str, in_sets: set[str], lift: bool,
                 alone: Mapping[tuple[str, tuple[str, ...] | None],
                                tuple[_System, tuple[int, ...], int] | None]
                 ) -> tuple[list[Range], int, list[str]]:
    """Every system's ranges again, each coupled with every question's system (`_Joint`), on
    the layers that add something to any of them (`_kept_layers` over everything published:
    a layer dropped there equals its next newer one in every system at once). A system
    audited alone on the same layers (`alone`, not yet coupled) goes on from where it was:
    its model, and those of its points that pass the coupling."""
    import numpy as np
    every = (published, reasons or {})
    kept = _kept_layers(every, history)
    signature = None
    history_sigs = tuple(_signature((f, r or {})) for f, r in history)
    if cache is not None:
        signature = ("joint", full_ranges, basis, lift, _signature(every), history_sigs,
                     frozenset((floors or {}).items()), floors_at, frozenset(in_sets),
                     tuple((key, options, tuple(figs)) for key, options, figs in systems))
        if signature in cache:
            return cache[signature]
    at = [j for j, i in enumerate(kept) if i <= floors_at]
    floors_layer = at[-1] + 1 if at else 0

    def build(key: str, options: tuple[str, ...] | None = None,
              figs: Sequence[tuple[Figure, str]] = (), with_lift: bool = False) -> _System:
        mine = [_relevant_layer(key, *history[i]) for i in kept]
        key_floors = _relevant_layer(key, floors or {}, None)[0]
        return _System(table, published, key, reasons, mine, key_floors, floors_layer,
                       basis=basis, protected=figs, options=options,
                       patterns=options is None and key in in_sets, lift=with_lift)

    def check(key: str) -> _Check:
        """A question's system for the checks: the same for every audit of the same figures
        of it (kept in `cache` between the suppression's rounds)."""
        mine = [_relevant_layer(key, *history[i]) for i in kept]
        key_floors = _relevant_layer(key, floors or {}, None)[0]
        ckey = ("check", key, basis, key in in_sets, _signature(_relevant_layer(
            key, published, reasons)), tuple(_signature(layer) for layer in mine),
            frozenset(key_floors.items()), floors_layer)
        if cache is not None and ckey in cache:
            return cache[ckey]
        got = _Check(build(key))
        if cache is not None:
            cache[ckey] = got
        return got

    base = _Cells(table) if basis == "cells" else _Marginals(table)
    truth = np.array(base.truth(RESPONDENTS, lambda got: got.get(N, 0)), dtype=float)
    coupling = _Joint({q.id: (lambda q=q: check(q.id)) for q in table.questions},
                      base.size, 1 + len(kept), truth)
    ranges: list[Range] = []
    uncoupled: list[str] = []
    solved = 0
    together = any(key == RESPONDENTS for key, _o, _f in systems)
    for key, options, figs in systems:
        started = time.process_time()
        figs_all = figs
        if basis == "cells" and together and key != RESPONDENTS:
            # The respondents' figures: their own system, coupled, has the whole's ranges.
            figs = [(f, r) for f, r in figs if f[2] != RESPONDENTS]
            if not figs:
                continue
        reuse = alone.get((key, options))
        try:
            if reuse is not None and reuse[0].joint is None and reuse[1:] == (
                    tuple(kept), floors_layer):
                system = reuse[0]
            else:
                system = build(key, options, figs, lift)
        except Contradiction:
            continue  # audited alone only (the result lists it as contradicted)
        system.couple(coupling, key if options is None and key != RESPONDENTS else None)
        try:
            ranges += _audit_system(system, table, figs, full_ranges)
        except Uncoupled:
            if PROFILE is not None:
                PROFILE.append({"key": "joint:" + key, "figures": len(figs),
                                "programs": system.solved, "cuts": system.cuts,
                                "embedded": system.extra, "rounds": system.joint_rounds,
                                "checks": coupling.checked, "uncoupled": True,
                                "cpu_s": round(time.process_time() - started, 2)})
            system.joint = None  # (never reused: `alone` keeps only systems not coupled)
            solved += system.solved
            # The questions share the respondents: where one system's coupling outgrew its
            # budget, the others' would too (on the national benchmark every one did, at 2
            # minutes spent for nothing); they stand as audited alone, listed.
            uncoupled += [k for k, _o, _f in systems[systems.index((key, options, figs_all)):]]
            break
        solved += system.solved
        if PROFILE is not None:
            PROFILE.append({"key": "joint:" + key, "vars": system.nvar, "figures": len(figs),
                            "programs": system.solved, "layers": system.layers,
                            "cuts": system.cuts, "embedded": system.extra,
                            "rounds": system.joint_rounds, "checks": coupling.checked,
                            "cpu_s": round(time.process_time() - started, 2),
                            "solve_s": round(system.solve_s, 2)})
    solved += coupling.checked
    if cache is not None:
        cache[signature] = (ranges, solved, uncoupled)
    return ranges, solved, uncoupled


def _narrowest(ranges: list[Range], threshold: int, full_ranges: bool) -> list[Range]:
    """One range per figure and rule where several systems bound it. Each system leaves out
    some of what the attacker knows, so each full range holds the attacker's, and so does what
    all of them allow (with `full_ranges`). Without, a range may be only as wide as a rule
    needed: a figure passes where it passes in every system, else the failing range stands."""
    out: dict[tuple[Figure, str], Range] = {}
    for r in ranges:
        got = out.get((r.figure, r.rule))
        if got is None:
            out[(r.figure, r.rule)] = r
        elif full_ranges:
            out[(r.figure, r.rule)] = Range(r.figure, r.rule, r.value, max(got.low, r.low),
                                            min(got.high, r.high), r.cap)
        elif got.ok(threshold) and not r.ok(threshold):
            out[(r.figure, r.rule)] = r
    return list(out.values())


def _audit_system(system: _System, table: Table, figs: list[tuple[Figure, str]],
                  full_ranges: bool) -> list[Range]:
    import numpy as np
    k = table.threshold
    ranges: list[Range] = []
    objs = [system.objective(fig, rule) for fig, rule in figs]
    values = [0.0 if rule == UNANIMOUS else float(table.value(fig) or 0) for fig, rule in figs]
    caps = [table.cap_of(fig[:2]) for fig, _rule in figs]
    if not full_ranges:
        # A few programs whose optima serve many rules at once: for each rule, one over the
        # figures the truth alone does not already prove.
        open_ = [i for i, (fig, rule) in enumerate(figs)
                 if not Range(fig, rule, values[i], *system.seen(objs[i], figs[i]),
                              caps[i]).ok(k)]
        for rule, sense in ((POSITIVE, 1), (SIZE, -1), (SIZE, 1), (UNANIMOUS, -1), (EXACT, -1),
                            (EXACT, 1)):
            chosen = [objs[i] for i in open_ if figs[i][1] == rule]
            if len(chosen) > 1:
                system.bound(np.sum(chosen, axis=0), sense)
    for (fig, rule), obj, value, cap in zip(figs, objs, values, caps, strict=True):
        low, high = system.seen(obj, (fig, rule))
        if full_ranges:
            low, high = system.bound(obj, 1), system.bound(obj, -1)
        elif not Range(fig, rule, value, low, high, cap).ok(k):
            if rule == POSITIVE:
                low = system.bound(obj, 1)
            elif rule == UNANIMOUS:
                high = system.bound(obj, -1)
            else:
                high = system.bound(obj, -1)
                if not Range(fig, rule, value, low, high, cap).ok(k):
                    low = system.bound(obj, 1)
        ranges.append(Range(fig, rule, value, low, high, cap))
    return ranges
