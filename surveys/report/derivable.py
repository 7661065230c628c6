"""Sets of people that a publication's counts give exactly: searched for, not listed.

The auditor protects every group of the table and the sets `Table.unions` lists (a place's
languages or months, a sum's hidden places and their mixes). A list can miss a set: in the
7 December session's third stop bench/derivable_sets.py still found, in 600 small random
publications, three sets across places *and* several languages at once (county 01's Swedish
speakers with county 17's Swedish and Northern Sámi speakers, 4 people, each part alone
ranging over 0 … k−1). So every audit that protects the unions also asks one mixed-integer
program per counted key (the respondents, each question's n; SciPy's `milp`, HiGHS) for *any*
set of the table's finest cells that holds 1 … k−1 people of that key and whose indicator is
a combination of the published sums of that key (so that its count follows exactly), the
smallest first. Each one found becomes a union of groups (`groups_of`) that the auditor then
protects like any other: its size, its questions' n, its option counts (`audit.
protected_figures`). A set the program finds that is not exactly derivable (a solver's
near-solution) only costs one more protected figure, whose range then passes.

Why every such set is a union of groups: a published figure is the sum of a (place, period)
group, so an indicator x that the figures span is, per county, x(month, language) =
α(month) + β(language) + γ with α, β, γ the coefficients of the county's month, language and
whole-period groups (its own, its area's, the country's). For x of 0 and 1 only, α or β is
constant: per county the set is some of its months (in every language) or some of its
languages (in every month). Where months are published for areas only, α is the area's, so
all counties of an area take the same months: the area's months, which the marginals
(`audit._Marginals`) also hold. A unit table's cells are (leaf, value): a leaf's values.

Found here only: exact derivation of the count of one key from that key's published sums
within one time. Narrowing without pinning, a question's answers within a set, and sums across
earlier releases are the auditor's (for the sets listed or found). A program that reaches its
time limit before deciding leaves its key unproven (`Search.undecided`; the audit lists
the key in `uncoupled`, and what is not proven is not published).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, identity

from .audit import (
    ALL_MONTHS,
    BELOW_THRESHOLD,
    BETWEEN,
    RESPONDENTS,
    SIZE,
    Figure,
    Group,
    N,
    Reasons,
    Table,
    area_place,
    between_of,
    lang_period,
    protected,
)

log = logging.getLogger(__name__)

# Sets per key and publication: one is enough to fail an audit; a few more let one round of
# the suppression fix several (surveys.report.disclosure.publish).
MOST = 4
# Seconds per program. The served national publication with months (792 cells) decides in
# about 1.4 CPU seconds (docs/performance.md, "Sets searched").
TIME_LIMIT = 60.0
# Bound of the programs' multipliers (the combination of published sums that gives a set, or
# the duals of its range). Unbounded, HiGHS stalled for minutes on a 30-cell table, past its
# time limit (a review's suggestion, undone in the same stop); a set whose certificate needs
# a larger multiplier is not found, far beyond any combination of these 0/1 sums seen.
MULTIPLIER = 1e4


@dataclass
class Search:
    """The sets found for one key (each a list of the table's cell indices); `undecided`: no
    set found, and the last program stopped at its time limit before proving there is none."""

    sets: list[list[int]] = field(default_factory=list)
    undecided: bool = False


def values_of(table: Table, key: str) -> np.ndarray:
    """Per finest cell, the people of `key` (respondents, or who answered a question)."""
    out = np.zeros(table.size)
    for cell, i in table._index.items():
        out[i] = table.cells.get(cell, {}).get(key, {}).get(N, 0)
    return out


def search(table: Table, published: Mapping[Figure, float], key: str, most: int = MOST,
           time_limit: float | None = None) -> Search:
    """Up to `most` sets of cells holding 1 … k−1 people of `key` whose count the published
    sums of `key` give exactly, the smallest first (module docstring); `time_limit` per
    program (default TIME_LIMIT)."""
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    groups = [f[:2] for f in published if f[2] == key and f[3] == N]
    values = values_of(table, key)
    k = table.threshold
    found = Search()
    if not groups or values.sum() <= 0:
        return found
    size, m = table.size, len(groups)
    rows, cols = [], []
    for j, group in enumerate(groups):
        members = table.cells_of(group)
        rows += [j] * len(members)
        cols += members
    a = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, size))
    # Unknowns: x (per cell, 0/1: in the set), then y (per figure, free): Aᵀy = x.
    span = hstack([-identity(size, format="csr"), a.T.tocsr()]).tocsr()
    count = np.concatenate([values, np.zeros(m)])
    constraints = [LinearConstraint(span, 0.0, 0.0), LinearConstraint(count, 1.0, k - 1.0)]
    cost = np.concatenate([np.ones(size), np.zeros(m)])
    integrality = np.concatenate([np.ones(size), np.zeros(m)])
    # A cell in no published sum is in no derivable set.
    covered = np.zeros(size)
    covered[cols] = 1.0
    bounds = Bounds(np.concatenate([np.zeros(size), np.full(m, -MULTIPLIER)]),
                    np.concatenate([covered, np.full(m, MULTIPLIER)]))
    while True:
        got = milp(cost, constraints=constraints, integrality=integrality, bounds=bounds,
                   options={"time_limit": time_limit})
        if got.status == 2:  # infeasible: no (other) set
            return found
        if got.x is None:  # the time limit, or the solver gave up
            found.undecided = not found.sets
            return found
        chosen = [i for i in range(size) if got.x[i] > 0.5]
        found.sets.append(chosen)
        if got.status != 0 or len(found.sets) >= most:
            # A set found at the limit, or enough for one round: the audit fails on it, and
            # the next one searches again.
            return found
        # Not this set again.
        cut = np.zeros(size + m)
        cut[chosen] = 1.0
        constraints.append(LinearConstraint(cut, -np.inf, len(chosen) - 1.0))


def groups_of(table: Table, cells: list[int]) -> list[Group] | None:
    """A set of finest cells as the groups whose union it is (module docstring): per place,
    its whole period, some of its languages or some of its months; an area's months where all
    its counties take the same. None: no such union (a set no published sums can give)."""
    key_of = {i: key for key, i in table._index.items()}
    by_place: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for i in cells:
        key = key_of[i]
        by_place[key[0]].add(key[1:])
    months, langs = table.months, table.langs
    every = {(m, lg) for m in months for lg in langs} if langs else {(m,) for m in months}
    parts: dict[str, list[str]] = {}
    for place, rest in by_place.items():
        if rest == every:
            parts[place] = [ALL_MONTHS]
            continue
        if langs:
            in_all_months = [lg for lg in langs if all((m, lg) in rest for m in months)]
            in_all_langs = [m for m in months if all((m, lg) in rest for lg in langs)]
            if rest == {(m, lg) for m in months for lg in in_all_months}:
                parts[place] = [lang_period(lg) for lg in in_all_months]
            elif rest == {(m, lg) for m in in_all_langs for lg in langs}:
                parts[place] = in_all_langs
            else:
                return None
        else:
            parts[place] = [m for m in months if (m,) in rest]
    out: list[Group] = []
    # An area's months where all its counties take the same months (and only those).
    for area in getattr(table, "areas", ()):
        counties = table.counties_of(area_place(area))
        first = parts.get(counties[0])
        if first and first[0] in months and all(parts.get(c) == first for c in counties):
            out += [(area_place(area), m) for m in first]
            for c in counties:
                del parts[c]
    out += [(place, period) for place, periods in parts.items() for period in periods]
    return out


def derived_unions(table: Table, published: Mapping[Figure, float]
                   ) -> tuple[list[list[Group]], list[str]]:
    """The sets found for every counted key (the respondents, then each question), each as
    its groups, and the keys whose search was not decided within its time limit."""
    out: list[list[Group]] = []
    seen: set[frozenset[Group]] = set()
    undecided: list[str] = []
    done: dict[tuple, Search] = {}
    groups = set(table.groups())
    for key in [RESPONDENTS, *(q.id for q in table.questions)]:
        # A question everyone answered wherever its n is published as the respondents' is:
        # the same sets (one program for both).
        values = values_of(table, key)
        shape = (frozenset(f[:2] for f in published if f[2] == key and f[3] == N),
                 values.tobytes())
        if shape not in done:
            done[shape] = search(table, published, key)
        found = done[shape]
        if found.undecided:
            undecided.append(key)
        for cells in found.sets:
            parts = groups_of(table, cells)
            if parts is None:
                log.warning("disclosure: a set found derivable is no union of groups; %s "
                            "left unproven", key, extra={"key": key})
                undecided.append(key)
                continue
            if len(parts) == 1 and parts[0] in groups:
                continue  # a group of the table: audited as one already
            if frozenset(parts) not in seen:
                seen.add(frozenset(parts))
                out.append(parts)
    return out, sorted(set(undecided))


@dataclass
class Narrowed:
    """A set of cells whose range the published sums of `key` break the size rule for: its
    cells (the table's keys), and its range (`low`, `high`) computed directly."""

    key: str
    cells: list[tuple[str, ...]]
    low: float
    high: float


def _indicators(table: Table, groups: list[Group], signs: list[float] | None = None
                ) -> csr_matrix:
    """One row per group: its cells (times its sign)."""
    rows, cols, data = [], [], []
    for j, group in enumerate(groups):
        members = table.cells_of(group)
        rows += [j] * len(members)
        cols += members
        data += [1.0 if signs is None else signs[j]] * len(members)
    return csr_matrix((data, (rows, cols)), shape=(len(groups), table.size))


def narrowed_sets(table: Table, published: Mapping[Figure, float], key: str = RESPONDENTS,
                  most: int = MOST, time_limit: float | None = None,
                  reasons: Reasons | None = None) -> list[Narrowed]:
    """`narrowed_search`'s sets (whether or not it was decided)."""
    return narrowed_search(table, published, key, most, time_limit, reasons)[0]


def narrowed_search(table: Table, published: Mapping[Figure, float], key: str = RESPONDENTS,
                    most: int = MOST, time_limit: float | None = None,
                    reasons: Reasons | None = None) -> tuple[list[Narrowed], bool]:
    """Sets of cells of 1 … k−1 people of `key` whose range, given the published sums of `key`
    (and its published `reasons`: below the threshold at most k − 1, protecting another at
    least k) and that no cell is negative, breaks the size rule (audit.protected: narrower
    than k, and not from none to k − 1 or more): pinned *or* narrowed, which `search` (exact
    derivation only) does not find.

    A range's two ends are linear programs (max and min of the set's sum subject to Ap = b,
    Gp ≤ h, p ≥ 0) whose duals are linear in the set x: its maximum is at most bᵀy + hᵀμ for
    any y, μ ≥ 0 with Aᵀy + Gᵀμ ≥ x, and its minimum at least bᵀz − hᵀλ for any z, λ ≥ 0 with
    Aᵀz − Gᵀλ ≤ x (weak duality, tight at the optimum). So one mixed-integer program per kind
    asks for x with either a minimum of at least 1 (someone proven there) and a width below
    k, or a maximum below k − 1. Each set found is confirmed by its range computed directly
    (two linear programs). Returns the sets and whether a program stopped at its time limit
    undecided (then others may exist).

    Not a gate of `publish`: such a set need not be a union of groups (a county's month in
    one language is a cell), which the auditor cannot hold. The operator's audit runs it
    (`palaute disclosure audit`), and the tests over generated publications."""
    from scipy.optimize import linprog

    time_limit = TIME_LIMIT if time_limit is None else time_limit
    sums = [(f[:2], v) for f, v in published.items() if f[2] == key and f[3] == N]
    values = values_of(table, key)
    k, size = table.threshold, table.size
    if not sums or values.sum() <= 0:
        return [], False
    bounded: list[tuple[Group, float, float]] = []  # (group, sign, bound): sign·sum ≤ bound
    for (place, period, rkey), reason in (reasons or {}).items():
        if rkey != key:
            continue
        if reason.startswith(BETWEEN):
            low, high = between_of(reason)
            bounded += [((place, period), 1.0, high), ((place, period), -1.0, -low)]
        elif reason == BELOW_THRESHOLD:
            bounded.append(((place, period), 1.0, k - 1.0))
        else:
            bounded.append(((place, period), -1.0, -float(k)))
    a = _indicators(table, [g for g, _v in sums])
    g = _indicators(table, [grp for grp, _s, _h in bounded], [s for _g, s, _h in bounded])
    b = np.array([v for _g, v in sums], dtype=float)
    h = np.array([bound for _g, _s, bound in bounded], dtype=float)
    m, r = len(sums), len(bounded)
    # Unknowns: x (cells, 0/1), then y (m), μ (r), z (m), λ (r).
    width = size + 2 * (m + r)
    eye = identity(size, format="csr")
    nm, nr = csr_matrix((size, m)), csr_matrix((size, r))
    cost = np.concatenate([np.ones(size), np.zeros(width - size)])
    integrality = np.concatenate([np.ones(size), np.zeros(width - size)])
    free, nonneg = np.full(m, -MULTIPLIER), np.zeros(r)
    bounds = Bounds(np.concatenate([np.zeros(size), free, nonneg, free, nonneg]),
                    np.concatenate([np.ones(size), np.full(width - size, MULTIPLIER)]))
    zeros_x = np.zeros(size)
    high_of = np.concatenate([zeros_x, b, h, np.zeros(m + r)])  # bᵀy + hᵀμ
    low_of = np.concatenate([zeros_x, np.zeros(m + r), b, -h])  # bᵀz − hᵀλ
    base = [LinearConstraint(np.concatenate([values, np.zeros(width - size)]), 1.0, k - 1.0),
            # Aᵀy + Gᵀμ ≥ x
            LinearConstraint(hstack([-eye, a.T, g.T, nm, nr]).tocsr(), 0.0, np.inf)]
    kinds = [  # someone proven there, within fewer than k
        [LinearConstraint(hstack([-eye, nm, nr, a.T, -g.T]).tocsr(), -np.inf, 0.0),
         LinearConstraint(low_of, 1e-3, np.inf),
         LinearConstraint(high_of - low_of, -np.inf, k - 1e-3)],
        # at most fewer than k − 1
        [LinearConstraint(high_of, -np.inf, k - 1 - 1e-3)]]
    dense, g_dense = a.toarray(), g.toarray() if r else None
    keys = list(table._index)
    found: list[Narrowed] = []
    undecided = False
    for kind in kinds:
        constraints = [*base, *kind]
        while len(found) < most:
            got = milp(cost, constraints=constraints, integrality=integrality, bounds=bounds,
                       options={"time_limit": time_limit})
            if got.x is None:
                undecided = undecided or got.status != 2
                break
            chosen = [i for i in range(size) if got.x[i] > 0.5]
            objective = np.zeros(size)
            objective[chosen] = 1.0
            ends = [linprog(sign * objective, A_eq=dense, b_eq=b, A_ub=g_dense,
                            b_ub=h if r else None, bounds=(0, None)).fun
                    for sign in (1.0, -1.0)]
            low, high = ends[0], -ends[1]
            cells = [keys[i] for i in chosen]
            if not protected(SIZE, low, high, k) and cells not in [f.cells for f in found]:
                found.append(Narrowed(key, cells, low, high))
            cut = np.zeros(width)
            cut[chosen] = 1.0
            constraints.append(LinearConstraint(cut, -np.inf, len(chosen) - 1.0))
    return found, undecided


# Seconds per program of the search for sets the published reasons narrow
# (`narrowing_reasons`): past it, the key's reasons are withdrawn rather than waited for.
REASONS_TIME_LIMIT = 10.0


def narrowing_reasons(table: Table, published: Mapping[Figure, float],
                      reasons: Reasons) -> set[tuple[str, str, str]]:
    """The published reasons to withdraw so that no set of cells is pinned or narrowed with
    them (`narrowed_search`, per key that has reasons): those of the groups that share cells
    with a set found; all of the key's where the sets share none, or the search stopped at
    REASONS_TIME_LIMIT. Empty: the reasons narrow nothing the search finds. (A set narrowed
    without any reason is found too, and costs its key's reasons: the auditor's rounds and
    the tests say there are none; the operator's audit names any.)"""
    out: set[tuple[str, str, str]] = set()
    for key in sorted({rkey for _p, _per, rkey in reasons}):
        mine = {g: r for g, r in reasons.items() if g[2] == key}
        found, undecided = narrowed_search(table, published, key, reasons=mine,
                                           time_limit=REASONS_TIME_LIMIT)
        if not found and not undecided:
            continue
        cells = {i for s in found for i in (table._index[c] for c in s.cells)}
        near = {g for g in mine if cells & set(table.cells_of(g[:2]))}
        out |= near if near and not undecided else set(mine)
    return out
