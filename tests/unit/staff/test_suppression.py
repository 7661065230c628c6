"""Small units in a tree: no figure below the threshold is shown, and none can be derived by
any combination (sum or difference) of the shown figures — checked by an auditor that
enumerates every group of units' own respondents and asks whether its count lies in the span
of what is shown."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.staff.suppression import hidden_units, rolled_up


def _in_span(rows: list[list[int]], target: list[int]) -> bool:
    """Is `target` a rational linear combination of `rows`? (exact Gaussian elimination)"""
    def rank(matrix):
        m = [[Fraction(x) for x in r] for r in matrix]
        r = 0
        for col in range(len(m[0]) if m else 0):
            pivot = next((i for i in range(r, len(m)) if m[i][col] != 0), None)
            if pivot is None:
                continue
            m[r], m[pivot] = m[pivot], m[r]
            for i in range(len(m)):
                if i != r and m[i][col] != 0:
                    factor = m[i][col] / m[r][col]
                    m[i] = [a - factor * b for a, b in zip(m[i], m[r], strict=True)]
            r += 1
        return r

    return rank(rows + [target]) == rank(rows) if rows else not any(target)


def disclosures(parents: list[int | None], own: list[int], threshold: int,
                hide=hidden_units) -> list:
    """Every group of units (as sets of their own respondents) whose count follows from the
    shown figures and is between 1 and threshold - 1."""
    n = len(parents)
    children: dict[int | None, list[int]] = {}
    for node, parent in enumerate(parents):
        children.setdefault(parent, []).append(node)
    own_map = dict(enumerate(own))
    hidden = hide(children, own_map, 0, threshold)
    total = rolled_up(children, own_map, 0)

    def subtree(node: int) -> set[int]:
        out = {node}
        for c in children.get(node, []):
            out |= subtree(c)
        return out

    shown = [node for node in range(n) if node not in hidden]
    found: list = [((node,), total[node]) for node in shown if total[node] < threshold]
    rows = [[1 if a in subtree(node) else 0 for a in range(n)] for node in shown]
    for size in range(1, n + 1):
        for group in combinations(range(n), size):
            count = sum(own[a] for a in group)
            if 0 < count < threshold:
                vector = [1 if a in group else 0 for a in range(n)]
                if _in_span(rows, vector):
                    found.append((group, count))
    return found


@st.composite
def trees(draw):
    n = draw(st.integers(1, 8))
    parents: list[int | None] = [None] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    own = [draw(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 7, 12, 30])) for _ in range(n)]
    return parents, own


@settings(max_examples=300, deadline=None)
@given(trees(), st.sampled_from([3, 5, 10]))
def test_no_small_group_can_be_derived_from_what_is_shown(tree, threshold):
    parents, own = tree
    assert disclosures(parents, own, threshold) == []


def test_the_next_smallest_sibling_is_hidden_with_a_small_one():
    # root 0 (own 0) → 1 (20), 2 (8), 3 (2): hiding 3 alone would give it away as 30 - 20 - 8.
    children = {None: [0], 0: [1, 2, 3]}
    own = {0: 0, 1: 20, 2: 8, 3: 2}
    assert hidden_units(children, own, 0, 5) == {2, 3}


def test_a_parents_own_small_part_hides_a_child():
    children = {None: [0], 0: [1, 2]}
    own = {0: 1, 1: 10, 2: 6}  # the root's own respondent would be 17 - 10 - 6
    assert hidden_units(children, own, 0, 5) == {2}


def test_the_auditor_finds_leaks():
    """The auditor itself: without suppression, or with primary suppression only, it finds
    the small groups."""
    assert disclosures([None, 0, 0], [0, 2, 9], 5, hide=lambda *_: set()) != []
    primary_only = lambda children, own, root, t: {  # noqa: E731
        u for u, n in rolled_up(children, own, root).items() if n < t}
    assert disclosures([None, 0, 0, 0], [0, 20, 8, 2], 5, hide=primary_only) == [((0, 3), 2)]
