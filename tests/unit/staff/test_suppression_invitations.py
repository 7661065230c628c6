"""The invitations HR issued bound each unit's respondents from above, and HR knows them: read
with them, the figures HR's pages show pin no unit of 1 … threshold − 1 respondents
(surveys.staff.suppression.hidden_units(invited=…), pinned). Checked against every integer
assignment of the units' own respondents that the shown figures and the invitations allow."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.staff.suppression import Contradicted, Unsolvable, hidden_units, pinned, rolled_up


def children_of(parents: list[int | None]) -> dict[int | None, list[int]]:
    out: dict[int | None, list[int]] = {}
    for unit, parent in enumerate(parents):
        out.setdefault(parent, []).append(unit)
    return out


def pinned_by_enumeration(parents, own, issued, threshold, hidden) -> list[int]:
    """Each hidden unit of 1 … threshold − 1 respondents whose possible counts (over every
    assignment of own respondents within the invitations that gives the shown figures) lie in
    a range the size rule refuses."""
    children = children_of(parents)
    total = rolled_up(children, dict(enumerate(own)), 0)
    shown = {u: n for u, n in total.items() if u not in hidden}
    possible: dict[object, set[int]] = {u: set() for u in total}
    parents_of_some = [u for u in total if children.get(u)]  # their own parts: never shown
    possible |= {("own", u): set() for u in parents_of_some}
    for guess in product(*(range(n + 1) for n in issued)):
        guessed = rolled_up(children, dict(enumerate(guess)), 0)
        if all(guessed[u] == n for u, n in shown.items()):
            for u in total:
                possible[u].add(guessed[u])
            for u in parents_of_some:
                possible[("own", u)].add(guess[u])
    caps = rolled_up(children, dict(enumerate(issued)), 0)
    groups = [(u, n, caps[u]) for u, n in total.items() if u in hidden] + \
        [(("own", u), own[u], issued[u]) for u in parents_of_some]
    out = []
    for place, n, cap in groups:
        if 0 < n < threshold:
            low, high = min(possible[place]), max(possible[place])
            if not (high - low >= threshold or low == 0 and high >= min(threshold - 1, cap)):
                out.append(place)
    return out


def test_a_total_that_pins_a_unit_with_its_invitations_is_hidden():
    # R (none of its own) over A: 3 of 4 invited answered, and B: 7 of 7. Without the
    # invitations R's 10 is shown; with them A = 10 − B ≥ 3 and ≤ 4.
    parents, own, issued = [None, 0, 0], [0, 3, 7], [0, 4, 7]
    children = children_of(parents)
    blind = hidden_units(children, dict(enumerate(own)), 0, 5)
    assert blind == {1, 2}
    assert pinned_by_enumeration(parents, own, issued, 5, blind) == [1]
    read = hidden_units(children, dict(enumerate(own)), 0, 5, invited=dict(enumerate(issued)))
    assert read == {0, 1, 2}
    assert pinned_by_enumeration(parents, own, issued, 5, read) == []


@st.composite
def trees(draw):
    n = draw(st.integers(2, 5))
    parents = [None] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    own = [draw(st.integers(0, 6)) for _ in range(n)]
    issued = [o + draw(st.integers(0, 2)) for o in own]
    return parents, own, issued, draw(st.sampled_from([3, 5]))


@settings(max_examples=60, deadline=None)
@given(trees())
def test_no_unit_is_pinned_by_the_invitations(case):
    parents, own, issued, threshold = case
    hidden = hidden_units(children_of(parents), dict(enumerate(own)), 0, threshold,
                          invited=dict(enumerate(issued)))
    assert pinned_by_enumeration(parents, own, issued, threshold, hidden) == []


def test_what_earlier_figures_pin_alone_is_left_to_them():
    """Hiding today's figures can't undo what earlier ones pin: such a place is left out (and
    logged), not answered by hiding everything shown today."""
    places = {"ORG": ["A", "B"], "A": ["A"], "B": ["B"]}
    invited = {"A": 4, "B": 7}
    truth = {"ORG": 10, "A": 3, "B": 7}
    organisation = [(["A", "B"], 10.0)]  # the organisation's 10
    assert pinned(places, [organisation], invited, truth, 5) == ["A"]  # shown today
    assert pinned(places, [[], organisation], invited, truth, 5) == []  # shown before only


def test_a_quarantined_response_does_not_drop_the_pages_layer():
    """HR's page counts spent invitations; the figures count folded responses. A response in
    quarantine is in the first and not the second, so an earlier count may exceed today's by
    as many: `slack` allows it, and the page's layer stays read (without it, the layer
    contradicts today's: refused, where it was left out, and what it pins with today's
    figures with it, until the 7 December session's third stop)."""
    places = {"ORG": ["A", "B", "C"], "A": ["A"], "B": ["B"], "C": ["C"]}
    invited = {"A": 9, "B": 8, "C": 3}
    truth = {"ORG": 14, "A": 6, "B": 7, "C": 1}
    today = [(["A", "B", "C"], 14.0), (["B"], 7.0)]  # B: one of its 8 in quarantine
    page = [(["A"], 6.0), (["B"], 8.0)]  # A's 6 then: C is 14 − 7 − (6 or more) now
    assert pinned(places, [today, page], invited, truth, 5, slack={"B": 1}) == ["C"]
    with pytest.raises(Contradicted):
        pinned(places, [today, page], invited, truth, 5)
    with pytest.raises(Unsolvable):  # today's alone: not counts of the same responses
        pinned(places, [[(["A", "B", "C"], 14.0), (["C"], 4.0)], page], invited, truth, 5)
