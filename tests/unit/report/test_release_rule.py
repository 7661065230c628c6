"""The release rule on its own: which blocks take new figures at a cut (surveys.report.releases)."""

from __future__ import annotations

from surveys.report.releases import changing_blocks

T = 5
SUMS = [("FI", ["area:a", "area:b"]), ("area:a", ["01", "02"]), ("area:b", ["03"])]


def test_first_publication_has_nothing_to_subtract():
    now = {("01", "*"): {"2026-01": 3}, ("area:a", "*"): {"2026-01": 3}}
    assert changing_blocks({}, now, SUMS, T) == set(now)


def test_one_new_respondent_changes_nothing_five_do():
    before = {("01", "*"): {"2026-01": 10}}
    assert changing_blocks(before, {("01", "*"): {"2026-01": 11}}, [], T) == set()
    assert changing_blocks(before, {("01", "*"): {"2026-01": 14}}, [], T) == set()
    assert changing_blocks(before, {("01", "*"): {"2026-01": 15}}, [], T) == {("01", "*")}


def test_a_month_that_gained_one_holds_the_block_back():
    before = {("01", "*"): {"2026-01": 10, "2026-02": 10}}
    now = {("01", "*"): {"2026-01": 11, "2026-02": 20}}
    assert changing_blocks(before, now, [], T) == set()


def test_unchanged_blocks_are_not_cut_again():
    before = {("01", "*"): {"2026-01": 10}}
    assert changing_blocks(before, dict(before), [], T) == set()


def test_a_sum_waits_while_its_unchanged_parts_gained_a_few():
    """County 01 gained 6 (changes), county 02 gained 1 (carries): the area's new total minus
    the published counties would be that one person, so the area carries too; and so does the
    country, whose new total minus area b minus county 01 would be the same person."""
    before = {("01", "*"): {"m": 10}, ("02", "*"): {"m": 10}, ("03", "*"): {"m": 10},
              ("area:a", "*"): {"m": 20}, ("area:b", "*"): {"m": 10}, ("FI", "*"): {"m": 30}}
    now = {("01", "*"): {"m": 16}, ("02", "*"): {"m": 11}, ("03", "*"): {"m": 10},
           ("area:a", "*"): {"m": 27}, ("area:b", "*"): {"m": 10}, ("FI", "*"): {"m": 37}}
    assert changing_blocks(before, now, SUMS, T) == {("01", "*")}


def test_the_residual_rule_cascades_to_the_country():
    """Area b gained 2 (carries) while area a gained 10 and changes: the country's new total
    minus the published areas would be those 2, so the country carries."""
    before = {("01", "*"): {"m": 10}, ("02", "*"): {"m": 10}, ("03", "*"): {"m": 10},
              ("area:a", "*"): {"m": 20}, ("area:b", "*"): {"m": 10}, ("FI", "*"): {"m": 30}}
    now = {("01", "*"): {"m": 15}, ("02", "*"): {"m": 15}, ("03", "*"): {"m": 12},
           ("area:a", "*"): {"m": 30}, ("area:b", "*"): {"m": 12}, ("FI", "*"): {"m": 42}}
    assert changing_blocks(before, now, SUMS, T) == {("01", "*"), ("02", "*"), ("area:a", "*")}


def test_measures_are_decided_apart():
    """Five new respondents of whom one answered an optional question: the respondent count
    changes, the question's figures wait."""
    before = {("01", "*"): {"m": 10}, ("01", "q"): {"m": 10}}
    now = {("01", "*"): {"m": 15}, ("01", "q"): {"m": 11}}
    assert changing_blocks(before, now, [], T) == {("01", "*")}


# --- against an independent oracle ---------------------------------------------------------------
import itertools  # noqa: E402

import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TREE = {"FI": ["area:a", "area:b"], "area:a": ["01", "02"], "area:b": ["03", "04"]}
COUNTIES = ["01", "02", "03", "04"]


def leaves(place: str) -> set[str]:
    return {place} if place in COUNTIES else set().union(*(leaves(p) for p in TREE[place]))


def determined_small_groups(changing: set[str], inc: dict[str, int]) -> list[set[str]]:
    """Groups of counties whose joiners' total an attacker can compute from the increments the
    changing blocks publish (a linear combination of them), that hold 1..T-1 people."""
    rows = [[1 if c in leaves(p) else 0 for c in COUNTIES] for p in sorted(changing)]
    found = []
    for r in range(1, len(COUNTIES) + 1):
        for group in itertools.combinations(COUNTIES, r):
            target = [1 if c in group else 0 for c in COUNTIES]
            if rows:
                a = np.array(rows, dtype=float).T
                coef, *_ = np.linalg.lstsq(a, np.array(target, dtype=float), rcond=None)
                in_span = np.allclose(a @ coef, target)
            else:
                in_span = False
            total = sum(inc[c] for c in group)
            if in_span and 0 < total < T:
                found.append(set(group))
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=4, max_size=4))
def test_no_small_group_of_joiners_can_be_computed(joined):
    before_counties = dict.fromkeys(COUNTIES, 10)
    inc = dict(zip(COUNTIES, joined, strict=True))

    def sizes(counts):
        out = {}
        for place in [*COUNTIES, *TREE]:
            out[(place, "*")] = {"m": sum(counts[c] for c in leaves(place))}
        return out

    before = sizes(before_counties)
    now = sizes({c: before_counties[c] + inc[c] for c in COUNTIES})
    changing = {place for place, _m in changing_blocks(before, now, list(TREE.items()), T)}
    assert determined_small_groups(changing, inc) == [], (joined, changing)
