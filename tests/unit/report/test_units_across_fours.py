"""Four breakdowns read together (surveys.report.units_across): a place's people in a value of
each of four breakdowns at once, bounded by the views' one-way figures (the Fréchet bounds of
four), read as the groups in a value of two or three are: every number of a survey's
breakdowns is read at once, not only pairs and threes; checked against the program over the
cells leaf × profession × age × tenure × shift."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.fold.units import UNIT_TOTAL
from surveys.report import units
from surveys.report.audit import ALL_MONTHS, RESPONDENTS, SIZE, N
from surveys.report.units import publish_units, tables_of
from tests.unit.report import test_units_across_threes as threes
from tests.unit.report.test_unit_disclosure import make_tree
from tests.unit.report.test_units_across_threes import DEFINITION as THREE_BREAKDOWNS
from tests.unit.report.test_units_across_threes import cells_reading, found, no_sets, some_views

VIEWS = ("profession", "age", "tenure", "shift")
DEFINITION = {"questions": [*THREE_BREAKDOWNS["questions"], {
    "id": "shift", "type": "single", "breakdown": True, "text": {"fi": "Työvuoro"},
    "choices": [{"id": "day", "label": {"fi": "Päivä"}},
                {"id": "night", "label": {"fi": "Yö"}}]}]}


def counted(responses) -> list[tuple]:
    return threes.counted(responses, DEFINITION, VIEWS)


def joint_counts(responses, tree):
    return threes.pairs(responses, tree, VIEWS)


# U0's 8 (k = 5): 7 in each of nurse, old, long and day, the one outside each value a
# different person, so 4 are in all four. With U0's total and its 7s shown, any three of those
# values hold 5 … 7 people (no group below the threshold: 5 are in each three), any two 6 … 7,
# and all four 4 … 7: 4 people, proven there.
FOUR_OTHERS = [(2, "doctor", "old", "long", "day"), (2, "nurse", "young", "long", "day"),
               (2, "nurse", "old", "short", "day"), (2, "nurse", "old", "long", "night")]
U0 = FOUR_OTHERS + [(2, "nurse", "old", "long", "day")] * 4
TOTALS = {("ORG", ALL_MONTHS, RESPONDENTS, N): 8, ("U0", ALL_MONTHS, RESPONDENTS, N): 8}
SHOWN = ("nurse", "old", "long", "day")


def shown_views() -> dict:
    return {UNIT_TOTAL: TOTALS,
            **{b: {**TOTALS, ("U0", v, RESPONDENTS, N): 7}
               for b, v in zip(VIEWS, SHOWN, strict=True)}}


def test_a_group_in_a_value_of_four_breakdowns_is_read_from_their_bounds():
    tree = make_tree([0])
    tables = tables_of(counted(U0), tree, DEFINITION, 5)
    joint = joint_counts(U0, tree)
    # Every number of the breakdowns at once is counted: pairs, threes and the four.
    assert {(len(key) - 1) // 2 for key in joint} == {2, 3, 4}
    got = found(tables, shown_views(), joint)
    assert got[("profession×age×tenure×shift", "U0", "nurse×old×long×day", SIZE)] == (4, 7)
    # No pair or three of those values is a group below the threshold.
    assert not any(1 <= g[0].count("×") <= 2 and set(g[2].split("×")) <= set(SHOWN)
                   for g in got)
    assert cells_reading(tree, U0, tables, shown_views(), 5, views=VIEWS) == no_sets(got)


def test_the_largest_group_read_at_once_can_be_capped_for_the_bench(monkeypatch):
    """bench.units_cpu measures what reading more breakdowns at once costs by capping it;
    capped at three, the four's group is not read."""
    monkeypatch.setattr(units, "MAX_JOINT_SIZE", 3)
    tree = make_tree([0])
    joint = joint_counts(U0, tree)
    assert {(len(key) - 1) // 2 for key in joint} == {2, 3}
    got = found(tables_of(counted(U0), tree, DEFINITION, 5), shown_views(), joint)
    assert not any(g[0].count("×") == 3 for g in got)


@st.composite
def four_breakdown_cases(draw):
    n = draw(st.integers(1, 2))
    parents = [draw(st.integers(0, i)) for i in range(n)]
    k = draw(st.sampled_from([3, 5]))
    response = st.tuples(st.integers(1, n + 1),
                         st.sampled_from([None, "nurse", "nurse", "doctor"]),
                         st.sampled_from(["young", "old", "old"]),
                         st.sampled_from(["short", "long", "long"]),
                         st.sampled_from([None, "day", "day", "night"]))
    return parents, k, draw(st.lists(response, max_size=20))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(four_breakdown_cases(), st.randoms(use_true_random=False))
def test_the_small_program_reads_what_the_cells_of_four_breakdowns_give(case, rng):
    """With four breakdowns, the check (Fréchet bounds of pairs, threes and fours) finds
    exactly what the program over the cells leaf × a value of each finds."""
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    figures = some_views(tables, rng, 0.5)
    got = found(tables, figures, joint_counts(responses, tree))
    assert no_sets(got) == cells_reading(tree, responses, tables, figures, k, views=VIEWS)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(four_breakdown_cases())
def test_what_a_unit_cut_stores_with_four_breakdowns_passes_read_together(case):
    """What a first cut stores (publish_units, then withhold_across) passes with every number
    of its breakdowns read at once, and the cells' reading finds nothing in it either."""
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    pub = publish_units(tables)
    joint = joint_counts(responses, tree)
    _withheld, together = units.withhold_across(pub, {}, joint)
    assert together
    assert units.passes_with_history(pub, {}, joint)
    figures = {b: p.figures for b, p in pub.pubs.items()}
    assert cells_reading(tree, responses, tables, figures, k, views=VIEWS) == {}
