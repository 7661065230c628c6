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
within one time. Narrowing without pinning is the gate's after the auditor (surveys.report.
narrowing.narrowing_figures, any shape of set; across earlier releases, history.
narrowed_release); a question's answers within a set, and sums across earlier releases, are
the auditor's (for the sets listed or found). A program that
reaches its time limit before deciding leaves its key unproven (`Search.undecided`; the audit
lists the key in `uncoupled`, and what is not proven is not published).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
from scipy.sparse import csr_matrix, hstack, identity

from .names import ALL_MONTHS, N, area_place, lang_period

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


# (The auditor's types, by shape: this module imports nothing of surveys.report.audit, which
# calls it.)
Table = Any
Figure = tuple[str, str, str, str]
Group = tuple[str, str]


# HiGHS once ran minutes past its own time limit (7 December session's fourth stop, before
# MULTIPLIER): a stalled program held a release job, and the release queue behind it, until
# RQ's job timeout. So each program also has a hard limit on the wall clock: past it, the
# program counts as stopped undecided (what is not proven is not published), and the stalled
# solver is left to finish in a daemon thread (HiGHS releases the GIL; an RQ work horse exits
# after its job).
STALL_GRACE = 2.0  # × the time limit, plus STALL_SLACK seconds
STALL_SLACK = 5.0


def solve(cost: np.ndarray, *, time_limit: float, **kwargs: Any) -> OptimizeResult:
    """SciPy's `milp` with `time_limit` for HiGHS and a hard limit on the wall clock
    (STALL_GRACE × time_limit + STALL_SLACK): a program past it answers as one stopped at its
    time limit with nothing found (status 1, no x)."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = milp(cost, options={"time_limit": time_limit}, **kwargs)
        except BaseException as e:  # raised in the caller's thread below
            out["error"] = e

    worker = threading.Thread(target=run, name="highs", daemon=True)
    worker.start()
    worker.join(STALL_GRACE * time_limit + STALL_SLACK)
    if worker.is_alive():
        log.warning("disclosure: HiGHS ran past its time limit of %.0f s; the program counts "
                    "as undecided", time_limit, extra={"time_limit": time_limit})
        return OptimizeResult(status=1, x=None, success=False,
                              message="stalled past its time limit")
    if "error" in out:
        raise out["error"]
    return out["result"]


def values_of(table: Table, key: str) -> np.ndarray:
    """Per finest cell, the people of `key` (respondents, or who answered a question)."""
    out = np.zeros(table.size)
    for cell, i in table._index.items():
        out[i] = table.cells.get(cell, {}).get(key, {}).get(N, 0)
    return out


def indicators(table: Table, groups: list[Group], signs: list[float] | None = None
               ) -> csr_matrix:
    """One row per group: its cells (times its sign)."""
    rows, cols, data = [], [], []
    for j, group in enumerate(groups):
        members = table.cells_of(group)
        rows += [j] * len(members)
        cols += members
        data += [1.0 if signs is None else signs[j]] * len(members)
    return csr_matrix((data, (rows, cols)), shape=(len(groups), table.size))


def excluding(chosen: list[int], width: int) -> LinearConstraint:
    """Not this set of cells again (the first unknowns of a program `width` wide)."""
    cut = np.zeros(width)
    cut[chosen] = 1.0
    return LinearConstraint(cut, -np.inf, len(chosen) - 1.0)


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
    a = indicators(table, groups)
    # Unknowns: x (per cell, 0/1: in the set), then y (per figure, free): Aᵀy = x.
    span = hstack([-identity(size, format="csr"), a.T.tocsr()]).tocsr()
    count = np.concatenate([values, np.zeros(m)])
    constraints = [LinearConstraint(span, 0.0, 0.0), LinearConstraint(count, 1.0, k - 1.0)]
    cost = np.concatenate([np.ones(size), np.zeros(m)])
    integrality = np.concatenate([np.ones(size), np.zeros(m)])
    # A cell in no published sum is in no derivable set.
    covered = (np.asarray(a.sum(axis=0)).ravel() > 0).astype(float)
    bounds = Bounds(np.concatenate([np.zeros(size), np.full(m, -MULTIPLIER)]),
                    np.concatenate([covered, np.full(m, MULTIPLIER)]))
    while True:
        got = solve(cost, constraints=constraints, integrality=integrality, bounds=bounds,
                    time_limit=time_limit)
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
        constraints.append(excluding(chosen, size + m))


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
    for key in table.counted_keys():
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
