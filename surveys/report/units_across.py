"""A unit publication's breakdowns read against each other (docs/privacy.md, "Breakdowns read
together").

The auditor reads each breakdown's table with the unit totals alone (surveys.report.units): a
reader of every view could also read them together. What one view says about a unit's size can
bound another view's groups: in the profession view "U0's nurses: 5" puts at least 5 people in
U0, in the age view "U1's over-50s: 5" at least 5 in U1, and with the organisation's 12 U0's
people who gave no profession are 0 … 2, though each view alone leaves them 0 … 7
(tests/unit/report/test_units_across.py).

Read together exactly, and small: views share nothing but the units. Each view is a table of
leaf × its values (a leaf: a unit without sub-units, or a unit's own part), and any set of such
tables whose leaf totals agree is the marginals of some table leaf × every breakdown's value
with no count below 0 (one way: each leaf's people spread over the values of each breakdown
independently). So the cells leaf × value of every view, with one total per leaf that each
view's values sum to, are all a reader can solve for: variables Σ_leaves (1 + Σ_views values),
not leaves × Π values.

Checked, with the published respondent counts of every view, the reasons a reader sees (a
view's own for its values, the unit totals' for totals) and each leaf's invitations (the
tables' `caps`: each leaf's total now at most them; the size rule's none … k−1 then none …
the place's invitations where fewer): every place's (unit's or own part's)
total, every (place, value) group and every set each table's own audit reads as a hidden group
(`Table.unions`: a place's values, places a hidden sum stands for) of 1 … k−1 people, by the
auditor's size rule (a range of at least k, or none … k−1), and every unit's unanimity in a
value (UnitTable.unanimous_values: someone may still be outside it), by its rule. And, given
the true counts of each pair of breakdowns (`Pairs`, counted from the stored responses: no
aggregate holds them), every place's people in a value of two breakdowns at once (a unit's old
nurses) of 1 … k−1, by the size rule: given a leaf's total T and its people a in one value and
b in the other, the people in both can be anything from max(0, a + b − T) to min(a, b) (and
any such pair table extends to every breakdown's), so each bound is one more program with an
unknown per leaf (`_joint_range`). Likewise, given the true counts of each three breakdowns
(since the fourth 6 December session), a place's people in a value of each of three at once:
from max(0, a + b + c − 2T) to min(a, b, c) per leaf (the Fréchet bounds of three events,
sharp: the other values' people can be nested, or their complements kept apart, and anything
between is one person moved at a time), and so for every number m of breakdowns at once
(since the fifth 6 December session): max(0, Σ a_i − (m − 1)·T) … min a_i. With the earlier
unit releases as layers of the same (`_System`). And (since the 8 December session,
`SETS`) each view's sets of cells of any shape, by the gate's search over this system
(surveys.report.narrowing.sets_in). Not checked here: sets across two breakdowns' values
(docs/privacy.md; bench/sets_across_breakdowns.py searched for them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, vstack

from surveys.fold.units import UNIT_TOTAL
from surveys.models import RESPONDENTS

from .audit import (
    ALL_MONTHS,
    BELOW_THRESHOLD,
    BETWEEN,
    SIZE,
    UNANIMOUS,
    UNION,
    Figure,
    Layer,
    N,
    Reasons,
    Table,
    _highs_core,
    _highs_model,
    _sparse,
    between_of,
    protected,
    union_period,
)

# Off only to measure what the check costs (bench/units_cpu.py --flag across_breakdowns).
CHECKED = True
# Whether the check also searches each view's sets of cells of any shape that the views read
# together pin or narrow (surveys.report.narrowing.sets_in, since the 8 December session);
# off only to measure what it costs (bench/units_cpu.py --flag sets_across_breakdowns).
SETS = True
# A view whose search for such sets stopped at its time limit undecided: not proven, so its
# values are withheld as a narrowed group's are (`Narrowed.rule`).
UNDECIDED = "undecided"
# "highs": the programs of one system in one HiGHS model, warm-started (`_Warm`); "linprog":
# scipy's linprog for each from scratch (the reference, and the fallback without HiGHS's
# bindings). The pairs' programs, each with unknowns of its own, go through linprog.
SOLVER = "highs"

# People per (leaf, breakdown, value, other breakdown, its value[, a third, its value, …]), each
# pair, each three, … of the breakdowns in the tables' order (surveys.report.units.pairs_of),
# values as the fold counts them ("" for no answer).
Pairs = Mapping[tuple[str, ...], int]


@dataclass(frozen=True)
class Narrowed:
    """A group bounded more narrowly by the views together than its rule allows."""

    # UNIT_TOTAL for a place's total; "<b1>×<b2>" for a pair of breakdowns, "<b1>×<b2>×<b3>"
    # for three, and so on
    breakdown: str
    # A set of a view's cells (`_System._sets`): its leaf, or audit.UNION and its leaves
    # joined by "+"; its value each cell's "value@leaf" as a union (audit.union_period, as
    # audit's `Table._union` names a set that is no product of places and periods)
    place: str
    # ALL_MONTHS for the total; for a unanimity, the value held; "<v1>×<v2>[×<v3>…]"
    value: str
    rule: str  # audit.SIZE or audit.UNANIMOUS; UNDECIDED for a view's search of sets
    low: float
    high: float


def narrowed(tables: Mapping[str, Table], figures: Mapping[str, Mapping[Figure, float]],
             reasons: Mapping[str, Reasons], pairs: Pairs | None = None,
             history: Mapping[str, Sequence[Layer]] | None = None) -> list[Narrowed]:
    """The groups that every view's figures and reasons, read together, bound more narrowly
    than the auditor's rules allow (module docstring). `tables`: UNIT_TOTAL and each
    breakdown's (surveys.report.units.UnitTable, all of one tree); `figures`, `reasons`: what
    each view publishes; `pairs`: the true counts of each pair, three, … of breakdowns
    (surveys.report.units.pairs_of; None: their groups are not checked); `history`: per
    view, the figures and reasons of the earlier unit releases still public, newest first (as
    surveys.report.units.cut audits each table with them). [] with fewer than two breakdowns
    (one is audited with the totals already)."""
    views = [b for b in tables if b != UNIT_TOTAL]
    if not CHECKED or len(views) < 2:
        return []
    history = history or {}
    layers = max((len(history.get(b, ())) for b in tables), default=0)
    # Counts only grow, but not always: a cell may fall by the threshold or more (the release
    # rule allows it) and a rebuild may quarantine responses. Earlier releases that today's
    # figures contradict are left out, the oldest first, as each table's own audit leaves
    # them out (audit `contradicted`); today's own figures always have a solution.
    while True:
        system = _System(tables, views, 1 + layers)
        system.publish(0, figures, reasons)
        for t in range(layers):
            system.publish(t + 1,
                           {b: history[b][t][0] for b in tables if t < len(history.get(b, ()))},
                           {b: history[b][t][1] or {} for b in tables
                            if t < len(history.get(b, ()))})
        try:
            return system.narrowed(pairs)
        except Infeasible:
            if layers == 0:
                raise
            layers -= 1


class Infeasible(RuntimeError):
    """The figures read together have no solution (not a solver's failure)."""


class _System:
    """The views' cells per layer (0: now; 1, 2, …: the earlier releases, newest first), each
    unknown of an earlier layer at most the same unknown of the next newer one (counts only
    grow: surveys.report.history). Exact with layers too: each layer's table leaf × every
    breakdown's values is the one before it plus an increment whose marginals are the
    differences of theirs (all ≥ 0, with agreeing totals), and any such increment exists."""

    def __init__(self, tables: Mapping[str, Table], views: list[str], layers: int = 1) -> None:
        self.tables = tables
        self.views = views
        self.layers = layers
        totals = tables[UNIT_TOTAL]
        self.k = totals.threshold
        self.leaves: list[str] = list(totals.counties)
        self.places: list[str] = list(totals.parent_of)
        self.index: dict[tuple[int, str, str, str], int] = {}
        for t in range(layers):
            for leaf in self.leaves:
                self.index[(t, UNIT_TOTAL, leaf, ALL_MONTHS)] = len(self.index)
            for b in views:
                for leaf in self.leaves:
                    for v in tables[b].months:
                        self.index[(t, b, leaf, v)] = len(self.index)
        # The views whose values some figure or reason of any layer reads (`publish`).
        self.read_values: set[str] = set()
        self.eq: list[dict[int, float]] = []
        self.eq_rhs: list[float] = []
        self.ub: list[dict[int, float]] = []
        self.ub_rhs: list[float] = []
        # Each view's values of a leaf sum to the leaf's total, on every layer.
        for t in range(layers):
            for b in views:
                for leaf in self.leaves:
                    row = {self.index[(t, b, leaf, v)]: 1.0 for v in tables[b].months}
                    row[self.index[(t, UNIT_TOTAL, leaf, ALL_MONTHS)]] = -1.0
                    self.eq.append(row)
                    self.eq_rhs.append(0.0)
        # Each leaf's total now at most its invitations (`Table.caps`: HR issued them); an
        # earlier layer's, at most that (below).
        for leaf, cap in totals.caps.items():
            if leaf in totals.parent_of:
                self.ub.append({self.index[(0, UNIT_TOTAL, leaf, ALL_MONTHS)]: 1.0})
                self.ub_rhs.append(float(cap))
        # An earlier layer's unknown is at most the newer one's.
        for (t, b, leaf, v), i in self.index.items():
            if t > 0:
                self.ub.append({i: 1.0, self.index[(t - 1, b, leaf, v)]: -1.0})
                self.ub_rhs.append(0.0)

    def row(self, breakdown: str, place: str, values: list[str],
            layer: int = 0) -> dict[int, float]:
        """The sum of `place`'s people in `values` of `breakdown` (ALL_MONTHS: its total)."""
        if values == [ALL_MONTHS]:
            breakdown = UNIT_TOTAL
        leaves = self.tables[UNIT_TOTAL].counties_of(place)
        return {self.index[(layer, breakdown, leaf, v)]: 1.0 for leaf in leaves for v in values}

    def group_row(self, breakdown: str, group: tuple[str, str]) -> dict[int, float]:
        """The sum of a group of the breakdown's table (a union: of each of its parts)."""
        out: dict[int, float] = {}
        for place, period in self.tables[breakdown].parts(group):
            out |= self.row(breakdown, place, [period])
        return out

    def publish(self, layer: int, figures: Mapping[str, Mapping[Figure, float]],
                reasons: Mapping[str, Reasons]) -> None:
        if layer == 0:
            self.figures = {b: figures.get(b, {}) for b in self.tables}
        seen: set[tuple[str, str, str]] = set()
        for b, published in figures.items():
            for (place, period, key, measure), value in published.items():
                if key != RESPONDENTS or measure != N:
                    continue
                if period != ALL_MONTHS:
                    self.read_values.add(b)
                which = (UNIT_TOTAL if period == ALL_MONTHS else b, place, period)
                if which in seen:  # the unit totals, alike in every view
                    continue
                seen.add(which)
                self.eq.append(self.row(b, place, [period], layer))
                self.eq_rhs.append(float(value))
        for b, why in reasons.items():
            for (place, period, key), reason in why.items():
                # A view shows its own reasons for its values, the unit totals' for totals.
                if key != RESPONDENTS or (period == ALL_MONTHS) != (b == UNIT_TOTAL):
                    continue
                if period != ALL_MONTHS:
                    self.read_values.add(b)
                row = self.row(b, place, [period], layer)
                if reason.startswith(BETWEEN):  # with the invitations issued by then
                    low, high = between_of(reason)
                    self.ub += [row, {i: -c for i, c in row.items()}]
                    self.ub_rhs += [high, -low]
                elif reason == BELOW_THRESHOLD:  # at most k − 1
                    self.ub.append(row)
                    self.ub_rhs.append(self.k - 1.0)
                else:  # hidden to protect another: at least k
                    self.ub.append({i: -c for i, c in row.items()})
                    self.ub_rhs.append(-float(self.k))

    def _solve(self, c: np.ndarray, extra: list[dict[int, float]] | None = None):
        """min c·x over the system, with `extra` rows (≤ 0) over unknowns past the system's
        (each such column ≥ 0 and in no other row)."""
        width = len(c)
        a_eq = self.A_eq
        a_ub = self.A_ub
        if width > len(self.index):
            pad = width - len(self.index)
            a_eq = hstack([a_eq, csr_matrix((a_eq.shape[0], pad))]).tocsr()
            if a_ub is not None:
                a_ub = hstack([a_ub, csr_matrix((a_ub.shape[0], pad))]).tocsr()
        b_ub = list(self.ub_rhs)
        if extra:
            rows = _sparse(extra, width)
            a_ub = rows if a_ub is None else vstack([a_ub, rows]).tocsr()
            b_ub += [0.0] * len(extra)
        got = linprog(c, A_eq=a_eq, b_eq=self.eq_rhs, bounds=(0, None), method="highs",
                      **({"A_ub": a_ub, "b_ub": b_ub} if a_ub is not None else {}))
        if got.status == 3:  # unbounded: nothing published bounds the group (none above it)
            return -np.inf
        if got.status == 2:
            raise Infeasible(f"the views read together have no solution: {got.message}")
        if got.status != 0:
            raise RuntimeError(f"the views read together were not solved: {got.message}")
        return got.fun

    def _range(self, objective: dict[int, float]) -> tuple[float, float]:
        c = np.zeros(len(self.index))
        for i, w in objective.items():
            c[i] = w
        if self.warm is not None:
            return self.warm.minimum(c), -self.warm.minimum(-c)
        return self._solve(c), -self._solve(-c)

    def _joint_range(self, place: str, joint: tuple[str, ...]) -> tuple[float, float]:
        """The range of `place`'s people now in value v1 of b1, v2 of b2 (and v3 of b3, …),
        `joint` = (b1, v1, b2, v2[, b3, v3]) (module docstring): with a_i a leaf's people in
        each value and T its total, the least Σ z, z ≥ Σ a_i − (m − 1)·T per leaf (m values),
        and the most Σ w, w ≤ each a_i per leaf (the Fréchet bounds), of the oldest layer and
        of each increment since (a_i, T its differences: the people in every value now are
        those of the oldest layer plus those of each increment, each anywhere in its own
        bounds)."""
        parts = list(zip(joint[::2], joint[1::2], strict=True))
        leaves = self.tables[UNIT_TOTAL].counties_of(place)
        n = len(self.index)
        low_rows, high_rows = [], []
        extra = 0
        for t in range(self.layers):
            for leaf in leaves:
                keys = [(b, leaf, v) for b, v in parts] + [(UNIT_TOTAL, leaf, ALL_MONTHS)]
                # The increment from layer t + 1 to t (the oldest layer's own counts).
                rows = [{self.index[(t, *key)]: 1.0} for key in keys]
                if t + 1 < self.layers:
                    for part, key in zip(rows, keys, strict=True):
                        part[self.index[(t + 1, *key)]] = -1.0
                *values, total = rows
                z = n + extra
                extra += 1
                low: dict[int, float] = {z: -1.0}
                for part in values:  # (each value's unknowns are its own: no index twice)
                    low |= part
                low |= {i: -(len(values) - 1) * w for i, w in total.items()}
                low_rows.append(low)
                high_rows += [{z: 1.0, **{i: -w for i, w in part.items()}} for part in values]
        c = np.concatenate([np.zeros(n), np.ones(extra)])
        return self._solve(c, low_rows), -self._solve(-c, high_rows)

    def narrowed(self, pairs: Pairs | None = None) -> list[Narrowed]:
        self.A_eq = _sparse(self.eq, len(self.index))
        self.A_ub = _sparse(self.ub, len(self.index)) if self.ub else None
        core = _highs_core() if SOLVER == "highs" else None
        self.warm = None if core is None else _Warm(core, self.A_eq, self.eq_rhs, self.A_ub,
                                                     self.ub_rhs)
        k = self.k
        out: list[Narrowed] = []
        totals = self.tables[UNIT_TOTAL]
        groups = [(UNIT_TOTAL, place, ALL_MONTHS) for place in self.places]
        groups += [(b, place, v) for b in self.views for place in self.places
                   for v in self.tables[b].months]
        for b, place, v in groups:
            table = totals if b == UNIT_TOTAL else self.tables[b]
            true = table.value((place, v, RESPONDENTS, N)) or 0
            if not 0 < true < k:
                continue
            low, high = self._range(self.row(b, place, [v]))
            if not protected(SIZE, low, high, k, totals.cap_of((place, ALL_MONTHS))):
                out.append(Narrowed(b, place, v, SIZE, low, high))
        # The sets each table's own audit reads as hidden groups (`Table.unions`: a place's
        # values, or places a hidden sum stands for), of 1 … k−1 people.
        for b, table in self.tables.items():
            for group in table.unions(self.figures[b]):
                true = table.value((*group, RESPONDENTS, N)) or 0
                if not 0 < true < k:
                    continue
                low, high = self._range(self.group_row(b, group))
                if not protected(SIZE, low, high, k, table.cap_of(group)):
                    out.append(Narrowed(b, *group, SIZE, low, high))
        for b in self.views:
            table = self.tables[b]
            for (place, period, _key, _measure), _rule in table.unanimous_values():
                held = table.held_in((place, period))
                low, high = self._range(self.group_row(b, (place, period)))
                if not protected(UNANIMOUS, low, high, k):  # nobody outside: all are in it
                    out.append(Narrowed(b, held[0] if held else place,
                                        held[1] if held else period, UNANIMOUS, low, high))
        if SETS:
            out += self._sets(out)
        if pairs is not None:
            # Every number of breakdowns at once the true counts are given for
            # (surveys.report.units.joint_sizes), fewest first.
            joint = self._joint_groups(pairs)
            for size in sorted({len(views) for views in joint}):
                for views in combinations(self.views, size):
                    out += self._joint_narrowed(views, joint.get(views, {}))
        return out

    def _sets(self, groups: Sequence[Narrowed] = ()) -> list[Narrowed]:
        """Each view's sets of cells (leaf × value) of 1 … k−1 people, of any shape, whose
        range every view's figures and reasons, read together with the earlier releases,
        pin or narrow below the size rule (surveys.report.narrowing.sets_in, the gate each
        view's table passes alone in `publish`; the sets above are only the groups and the
        unions its audit lists). One search per view; one that stops undecided is reported
        as UNDECIDED (not proven: its view's values are withheld). A set whose cells are
        those of a group in `groups` (found above) is that group, not reported twice."""
        from .narrowing import FIGURES_TIME_LIMIT, Program, sets_in

        totals = self.tables[UNIT_TOTAL]
        caps = {p: float(c) for p, c in totals.caps.items() if np.isfinite(c)}
        n = len(self.index)
        a_ub = self.A_ub if self.A_ub is not None else csr_matrix((0, n))
        out: list[Narrowed] = []
        # A view none of whose values a figure or reason of any layer reads (withheld, or
        # hidden without a reason, now and before) says nothing of its cells but the leaves'
        # totals: a set of its cells ranges as the leaves it takes whole do at
        # least and the leaves it touches at most, so narrowed only where a set of leaves'
        # totals is, which the search of any view finds (all of a leaf's cells). One such view
        # is searched, and only where no view shows a value (a review of the 8 December
        # session: every round of `units.withhold_across` searched each again).
        showing = [b for b in self.views if b in self.read_values]
        for b in showing or self.views[:1]:
            table = self.tables[b]
            cells = [c for c in table._index if (0, b, c[0], c[1]) in self.index]
            values = np.array([table.cells.get(c, {}).get(RESPONDENTS, {}).get(N, 0)
                               for c in cells], dtype=float)
            program = Program(self.A_eq, np.asarray(self.eq_rhs, dtype=float), a_ub,
                              np.asarray(self.ub_rhs, dtype=float), n,
                              np.array([self.index[(0, b, c[0], c[1])] for c in cells]),
                              values, [c[0] for c in cells], caps, self.k)
            found, undecided = sets_in(program, time_limit=FIGURES_TIME_LIMIT)
            known = {self._cells_of(b, g) for g in groups}
            for chosen, low, high, _rows in found:
                if frozenset(cells[i] for i in chosen) in known:
                    continue
                leaves = list(dict.fromkeys(cells[i][0] for i in chosen))
                out.append(Narrowed(b, leaves[0] if len(leaves) == 1
                                    else UNION + "+".join(leaves),
                                    union_period(f"{cells[i][1] or '-'}@{cells[i][0]}"
                                                 for i in chosen), SIZE, low, high))
            if undecided:
                out.append(Narrowed(b, ALL_MONTHS, ALL_MONTHS, UNDECIDED, 0.0, np.inf))
        return out

    def _cells_of(self, view: str, group: Narrowed) -> frozenset | None:
        """The cells (leaf, value) of `view` a group found by size is the sum of (None: a
        group of another view, of several at once, or by another rule)."""
        if group.rule != SIZE or group.breakdown not in (view, UNIT_TOTAL):
            return None
        leaves_of = self.tables[UNIT_TOTAL].counties_of
        out: set[tuple[str, str]] = set()
        for place, period in self.tables[group.breakdown].parts((group.place, group.value)):
            values = self.tables[view].months if period == ALL_MONTHS else [period]
            out |= {(leaf, v) for leaf in leaves_of(place) for v in values}
        return frozenset(out)

    def _joint_groups(self, pairs: Pairs) -> dict[tuple[str, ...], dict[tuple, int]]:
        """The true counts of `pairs` summed to every place, per set of breakdowns:
        {(b1, b2, …): {(place, (v1, v2, …)): people}}. Only the groups someone is in: with
        many breakdowns, every value of each at once would be too many to walk."""
        totals = self.tables[UNIT_TOTAL]
        places_of: dict[str, list[str]] = {}
        for place in self.places:
            for leaf in totals.counties_of(place):
                places_of.setdefault(leaf, []).append(place)
        out: dict[tuple[str, ...], dict[tuple, int]] = {}
        for (leaf, *joint), n in pairs.items():
            views, values = tuple(joint[::2]), tuple(joint[1::2])
            groups = out.setdefault(views, {})
            for place in places_of.get(leaf, ()):
                groups[(place, values)] = groups.get((place, values), 0) + n
        return out

    def _joint_narrowed(self, views: tuple[str, ...],
                        groups: Mapping[tuple, int]) -> list[Narrowed]:
        """The groups of 1 … k−1 people in a value of each of `views` at once (two or more of
        the breakdowns) that the views read together bound too narrowly; `groups`: their true
        counts, {(place, values): people} (`_joint_groups`)."""
        out: list[Narrowed] = []
        order = {place: i for i, place in enumerate(self.places)}
        values_at = [{v: i for i, v in enumerate(self.tables[b].months)} for b in views]
        # (A value the table does not count, e.g. a choice no longer offered, is in no view.)
        known = [(place, values) for place, values in groups
                 if all(v in at for v, at in zip(values, values_at, strict=True))]
        for place, values in sorted(known, key=lambda g: (order[g[0]], *(
                at[v] for v, at in zip(g[1], values_at, strict=True)))):
            if not 0 < groups[(place, values)] < self.k:
                continue
            joint = tuple(x for bv in zip(views, values, strict=True) for x in bv)
            low, high = self._joint_range(place, joint)
            cap = self.tables[UNIT_TOTAL].cap_of((place, ALL_MONTHS))
            if not protected(SIZE, low, high, self.k, cap):
                out.append(Narrowed("×".join(views), place, "×".join(values), SIZE,
                                    low, high))
        return out


class _Warm:
    """One HiGHS model of the system, kept between programs: only the objective changes, and
    each program starts from the last one's basis with the primal simplex (it stays feasible),
    as surveys.report.audit's systems are solved. The same optima as linprog's."""

    def __init__(self, core, a_eq: csr_matrix, b_eq: list[float], a_ub: csr_matrix | None,
                 b_ub: list[float]) -> None:
        matrix = a_eq if a_ub is None else vstack([a_eq, a_ub]).tocsr()
        self.core = core
        self.ncol = matrix.shape[1]
        self.all = np.arange(self.ncol, dtype=np.int32)
        row_upper = np.array([*b_eq, *(b_ub if a_ub is not None else [])], dtype=float)
        row_lower = np.concatenate([np.asarray(b_eq, dtype=float),
                                    np.full(len(row_upper) - len(b_eq), -core.kHighsInf)])
        self.h = core._Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(_highs_model(core, matrix, np.zeros(self.ncol), np.zeros(self.ncol),
                                      np.full(self.ncol, core.kHighsInf), row_lower, row_upper))
        self.started = False  # a basis to start from

    def minimum(self, c: np.ndarray) -> float:
        h, status_of = self.h, self.core.HighsModelStatus
        h.changeColsCost(self.ncol, self.all, c)
        h.setOptionValue("simplex_strategy", 4 if self.started else 1)
        h.run()
        status = h.getModelStatus()
        if status == status_of.kUnboundedOrInfeasible:  # presolve could not tell which
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
            h.setOptionValue("presolve", "choose")
        self.started = status in (status_of.kOptimal, status_of.kUnbounded)
        if status == status_of.kOptimal:
            fun = h.getInfo().objective_function_value
            return 0.0 if abs(fun) < 1e-9 else fun  # a warm start's rounding noise
        if status == status_of.kUnbounded:
            return -np.inf
        message = h.modelStatusToString(status)
        if status == status_of.kInfeasible:
            raise Infeasible(f"the views read together have no solution: {message}")
        raise RuntimeError(f"the views read together were not solved: {message}")

