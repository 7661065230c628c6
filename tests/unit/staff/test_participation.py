"""The daily participation rule on its own (surveys.staff.participation.next_figures): which
counts a day publishes, and a property test that, over generated trees and days of growing
counts, no figure of any day, nor any change between two days, says anything about fewer
people than the threshold — checked with every day's published figures together, as a reader
who keeps the page of every day has them: per group of units' own respondents, its feasible
range (linear programs over all days, counts only growing) is at least the threshold wide
whenever its true size or growth is 1 … threshold − 1."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from surveys.staff.participation import Figure, next_figures
from surveys.staff.suppression import rolled_up
from tests.unit.staff.test_suppression import disclosures

K = 5
# root 0 → HR 1, CARE 2 → WARD1 3, WARD2 4
PARENTS = {0: None, 1: 0, 2: 0, 3: 2, 4: 2}


def counts(**own):
    return {int(k[1:]): v for k, v in own.items()}


def loose(spent):
    """Invitations far beyond the counts: the daily rule on its own, which these tests are
    about (read with tight invitations: tests/unit/staff/test_suppression_invitations.py)."""
    return {u: n + 100 for u, n in spent.items()}


def publish(previous, spent, parents=PARENTS, threshold=K):
    return next_figures(previous, parents, 0, loose(spent), spent, threshold)


def shown(figures):
    return {u for u, f in figures.items() if not f.hidden}


def test_nothing_published_until_the_organisation_has_the_threshold():
    first = publish(None, counts(u3=3))
    assert {u: f.spent for u, f in first.items()} == dict.fromkeys(PARENTS, 0)
    assert shown(first) == set()
    second = publish(first, counts(u3=6))
    assert second[3].spent == 6 and shown(second) == {0, 2, 3}


def test_a_unit_grown_by_fewer_than_the_threshold_keeps_its_figure():
    day1 = publish(None, counts(u3=6, u4=8))
    assert shown(day1) == {0, 2, 3, 4}
    day2 = publish(day1, counts(u3=7, u4=13))  # WARD1 +1, WARD2 +5
    assert (day2[3].spent, day2[4].spent) == (6, 13)
    day3 = publish(day2, counts(u3=11, u4=13))  # WARD1 +5 since its figure
    assert day3[3].spent == 11


def test_a_hidden_unit_moves_with_its_shown_parents_region():
    """WARD2 (2) is hidden and covered by WARD1: CARE's region is CARE's own part and WARD2's,
    and takes new counts only when they grew by the threshold together."""
    day1 = publish(None, counts(u3=20, u4=2, u2=3))
    assert shown(day1) == {0, 2, 3}
    day2 = publish(day1, counts(u3=20, u4=4, u2=3))  # +2 in the region: stands
    assert day2[4].spent == 2
    day3 = publish(day2, counts(u3=20, u4=5, u2=6))  # +6 in the region: moves, as a whole
    assert (day3[4].spent, day3[2].spent) == (5, 6)


def test_a_unit_once_shown_stays_shown():
    """CARE's own 2 must be covered. Day 1 covers it with WARD2 (6, the smaller); WARD2 then
    grows past WARD1 (7): the smaller is now WARD1, but hiding it would let day 1's WARD1
    beside day 2's figures give the own part away, so WARD2 stays the one hidden."""
    day1 = publish(None, counts(u2=2, u3=7, u4=6))
    assert shown(day1) == {0, 2, 3}
    day2 = publish(day1, counts(u2=2, u3=7, u4=11))
    assert day2[4].spent == 11 and shown(day2) == {0, 2, 3}


def test_a_changed_tree_leaves_the_figures_standing():
    day1 = publish(None, counts(u3=10, u4=10))
    moved = {**PARENTS, 4: 0}  # WARD2 moved under the organisation
    assert publish(day1, counts(u3=10, u4=20), parents=moved) is None
    added = {**PARENTS, 5: 2}  # a new unit: its count starts from nobody
    day2 = publish(day1, counts(u3=10, u4=10, u5=3), parents=added)
    assert day2[5] == Figure(2, 103, 0, True)  # (its 3 not yet published; `loose` issued)


def test_issued_invitations_are_todays():
    day1 = next_figures(None, PARENTS, 0, {3: 12}, {3: 1}, K)
    assert day1[3].issued == 12 and day1[3].spent == 0


# The property test.

def _subtree(parents, node):
    out = {node}
    for child, parent in parents.items():
        if parent == node:
            out |= _subtree(parents, child)
    return out


def _bounds(parents, days, objective):
    """min and max of a linear objective over every day's own counts x[t][u] ≥ 0 that only
    grow (x[t-1] ≤ x[t]) and give every figure shown on every day."""
    units = sorted(parents)
    n, t_count = len(units), len(days)
    index = {(t, u): t * n + i for t in range(t_count) for i, u in enumerate(units)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for t, figures in enumerate(days):
        total = rolled_up(_children(parents), {u: f.spent for u, f in figures.items()}, 0)
        for u in shown(figures):
            row = np.zeros(n * t_count)
            for v in _subtree(parents, u):
                row[index[t, v]] = 1
            a_eq.append(row)
            b_eq.append(total[u])
        if t:
            for u in units:
                row = np.zeros(n * t_count)
                row[index[t - 1, u]], row[index[t, u]] = 1, -1
                a_ub.append(row)
                b_ub.append(0)
    c = np.zeros(n * t_count)
    for (t, u), weight in objective.items():
        c[index[t, u]] += weight
    kwargs = {"A_eq": np.array(a_eq) if a_eq else None, "b_eq": b_eq or None,
              "A_ub": np.array(a_ub) if a_ub else None, "b_ub": b_ub or None,
              "bounds": (0, None), "method": "highs"}
    low = linprog(c, **kwargs)
    high = linprog(-c, **kwargs)
    assert low.status == 0
    return low.fun, (-high.fun if high.status == 0 else float("inf"))


def _children(parents):
    children: dict = {}
    for unit, parent in parents.items():
        children.setdefault(parent, []).append(unit)
    return children


@st.composite
def histories(draw):
    n = draw(st.integers(2, 5))
    parents = {0: None} | {i: draw(st.integers(0, i - 1)) for i in range(1, n)}
    days = draw(st.integers(2, 3))
    own = [[0] * n]
    for _ in range(days):
        own.append([c + draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5, 6, 9]))
                    for c in own[-1]])
    return parents, own[1:]


def leaks(parents, days, k) -> list:
    """The groups of units' own respondents whose size on a day, or growth from the day
    before, is 1 … k − 1 and whose feasible range given every day's figures is narrower
    than k."""
    found = []
    units = sorted(parents)
    for size in range(1, len(units) + 1):
        for group in combinations(units, size):
            for t, figures in enumerate(days):
                level = sum(figures[u].spent for u in group)
                if 0 < level < k:
                    low, high = _bounds(parents, days, {(t, u): 1 for u in group})
                    if high - low < k - 1e-6:
                        found.append(("size", group, t, low, high))
                if t:
                    grew = level - sum(days[t - 1][u].spent for u in group)
                    if 0 < grew < k:
                        change = {(t, u): 1 for u in group} | {(t - 1, u): -1 for u in group}
                        low, high = _bounds(parents, days, change)
                        if high - low < k - 1e-6:
                            found.append(("growth", group, t, low, high))
    return found


@settings(max_examples=400, deadline=None)
@example(({0: None, 1: 0, 2: 0, 3: 2, 4: 2}, [[0, 0, 2, 7, 6], [0, 0, 2, 7, 11]]), 5)
@given(histories(), st.sampled_from([3, 5]))
def test_no_day_nor_change_between_days_says_anything_about_a_small_group(history, k):
    parents, own = history
    days, previous = [], None
    for counts_of_day in own:
        today = dict(enumerate(counts_of_day))
        figures = next_figures(previous, parents, 0, loose(today), today, k)
        assert figures is not None
        if previous is not None:  # a unit once shown stays shown
            assert shown(previous) <= shown(figures)
        # Each day on its own passes the suppression's own auditor.
        published = [figures[u].spent for u in sorted(parents)]
        hidden = {u for u, f in figures.items() if f.hidden}
        assert disclosures([parents[u] for u in sorted(parents)], published, k,
                           hide=lambda *_a, hidden=hidden: hidden) == []
        days.append(figures)
        previous = figures
    assert leaks(parents, days, k) == []


def test_the_checker_finds_a_unit_hidden_after_being_shown():
    """Without hiding the earlier hidden units first, day 2 would hide WARD1 instead of WARD2:
    WARD1's day-1 figure beside day 2's would bound CARE's own part to 0 … 2."""
    day1 = publish(None, counts(u2=2, u3=7, u4=6))
    swapped = {u: Figure(f.parent_id, 0, f.spent, u in (1, 3)) for u, f in day1.items()}
    swapped[4] = Figure(2, 0, 11, False)
    assert ("size", (2,), 1, 0.0, 2.0) in leaks(PARENTS, [day1, swapped], K)
    assert leaks(PARENTS, [day1, publish(day1, counts(u2=2, u3=7, u4=11))], K) == []
