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

Checked, with the published respondent counts of every view and the reasons a reader sees (a
view's own for its values, the unit totals' for totals): every place's (unit's or own part's)
total and every (place, value) group of 1 … k−1 people, by the auditor's size rule (a range of
at least k, or none … k−1), and every unit's unanimity in a value (UnitTable.unanimous_values:
someone may still be outside it), by its rule. Not checked here: groups in a value of two
breakdowns at once (a unit's old nurses), sets of a place's values, and earlier releases;
the property test reads the first against the responses (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from surveys.fold.units import UNIT_TOTAL
from surveys.models import RESPONDENTS

from .audit import _TOL, ALL_MONTHS, BELOW_THRESHOLD, SIZE, UNANIMOUS, Figure, N, Reasons, Table

# Off only to measure what the check costs (bench/units_cpu.py --flag across_breakdowns).
CHECKED = True


@dataclass(frozen=True)
class Narrowed:
    """A group bounded more narrowly by the views together than its rule allows."""

    breakdown: str  # UNIT_TOTAL for a place's total
    place: str
    value: str  # ALL_MONTHS for the total; for a unanimity, the value held
    rule: str  # audit.SIZE or audit.UNANIMOUS
    low: float
    high: float


def narrowed(tables: Mapping[str, Table], figures: Mapping[str, Mapping[Figure, float]],
             reasons: Mapping[str, Reasons]) -> list[Narrowed]:
    """The groups that every view's figures and reasons, read together, bound more narrowly
    than the auditor's rules allow (module docstring). `tables`: UNIT_TOTAL and each
    breakdown's (surveys.report.units.UnitTable, all of one tree); `figures`, `reasons`: what
    each view publishes. [] with fewer than two breakdowns (one is audited with the totals
    already)."""
    views = [b for b in tables if b != UNIT_TOTAL]
    if not CHECKED or len(views) < 2:
        return []
    system = _System(tables, views)
    system.publish(figures, reasons)
    return system.narrowed()


class _System:
    def __init__(self, tables: Mapping[str, Table], views: list[str]) -> None:
        self.tables = tables
        self.views = views
        totals = tables[UNIT_TOTAL]
        self.k = totals.threshold
        self.leaves: list[str] = list(totals.counties)
        self.places: list[str] = list(totals.parent_of)
        self.index: dict[tuple[str, str, str], int] = {}
        for leaf in self.leaves:
            self.index[(UNIT_TOTAL, leaf, ALL_MONTHS)] = len(self.index)
        for b in views:
            for leaf in self.leaves:
                for v in tables[b].months:
                    self.index[(b, leaf, v)] = len(self.index)
        self.eq: list[dict[int, float]] = []
        self.eq_rhs: list[float] = []
        self.ub: list[dict[int, float]] = []
        self.ub_rhs: list[float] = []
        # Each view's values of a leaf sum to the leaf's total.
        for b in views:
            for leaf in self.leaves:
                row = {self.index[(b, leaf, v)]: 1.0 for v in tables[b].months}
                row[self.index[(UNIT_TOTAL, leaf, ALL_MONTHS)]] = -1.0
                self.eq.append(row)
                self.eq_rhs.append(0.0)

    def row(self, breakdown: str, place: str, values: list[str]) -> dict[int, float]:
        """The sum of `place`'s people in `values` of `breakdown` (ALL_MONTHS: its total)."""
        if values == [ALL_MONTHS]:
            breakdown = UNIT_TOTAL
        leaves = self.tables[UNIT_TOTAL].counties_of(place)
        return {self.index[(breakdown, leaf, v)]: 1.0 for leaf in leaves for v in values}

    def publish(self, figures: Mapping[str, Mapping[Figure, float]],
                reasons: Mapping[str, Reasons]) -> None:
        seen: set[tuple[str, str, str]] = set()
        for b, published in figures.items():
            for (place, period, key, measure), value in published.items():
                if key != RESPONDENTS or measure != N:
                    continue
                which = (UNIT_TOTAL if period == ALL_MONTHS else b, place, period)
                if which in seen:  # the unit totals, alike in every view
                    continue
                seen.add(which)
                self.eq.append(self.row(b, place, [period]))
                self.eq_rhs.append(float(value))
        for b, why in reasons.items():
            for (place, period, key), reason in why.items():
                # A view shows its own reasons for its values, the unit totals' for totals.
                if key != RESPONDENTS or (period == ALL_MONTHS) != (b == UNIT_TOTAL):
                    continue
                row = self.row(b, place, [period])
                if reason == BELOW_THRESHOLD:  # at most k − 1
                    self.ub.append(row)
                    self.ub_rhs.append(self.k - 1.0)
                else:  # hidden to protect another: at least k
                    self.ub.append({i: -c for i, c in row.items()})
                    self.ub_rhs.append(-float(self.k))

    def _matrix(self, rows: list[dict[int, float]]) -> csr_matrix:
        data, cols, ptr = [], [], [0]
        for row in rows:
            cols.extend(row)
            data.extend(row.values())
            ptr.append(len(cols))
        return csr_matrix((data, cols, ptr), shape=(len(rows), len(self.index)))

    def _range(self, objective: dict[int, float]) -> tuple[float, float]:
        c = np.zeros(len(self.index))
        for i, w in objective.items():
            c[i] = w
        common = {"A_eq": self.A_eq, "b_eq": self.eq_rhs, "bounds": (0, None),
                  "method": "highs"}
        if self.ub:
            common |= {"A_ub": self.A_ub, "b_ub": self.ub_rhs}
        low, high = linprog(c, **common), linprog(-c, **common)
        if low.status != 0 or high.status != 0:
            # The figures are sums of true counts, so the system has a solution and is bounded
            # (counts of a finite published total).
            raise RuntimeError(f"the views read together have no bounded solution: "
                               f"{low.message} / {high.message}")
        return low.fun, -high.fun

    def narrowed(self) -> list[Narrowed]:
        self.A_eq = self._matrix(self.eq)
        self.A_ub = self._matrix(self.ub) if self.ub else None
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
            if not (high - low >= k - _TOL or (low <= _TOL and high >= k - 1 - _TOL)):
                out.append(Narrowed(b, place, v, SIZE, low, high))
        for b in self.views:
            table = self.tables[b]
            for (place, period, _key, _measure), _rule in table.unanimous_values():
                parts = table.parts((place, period))
                held = table.held_in((place, period))
                objective: dict[int, float] = {}
                for part_place, value in parts:
                    objective |= self.row(b, part_place, [value])
                low, high = self._range(objective)
                if high < 1 - _TOL:  # nobody can be outside the value: all are in it
                    out.append(Narrowed(b, held[0] if held else place,
                                        held[1] if held else period, UNANIMOUS, low, high))
        return out
