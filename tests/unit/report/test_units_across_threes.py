"""Three breakdowns read together (surveys.report.units_across): a place's people in a value of
each of three breakdowns at once, bounded by the views' one-way figures (the Fréchet bounds of
three), read as the groups in a value of two are; and the whole reading checked against the
program over the cells leaf × profession × age × tenure."""

from __future__ import annotations

from datetime import date
from itertools import product

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from surveys.fold.aggregation import Row, count_answers
from surveys.fold.units import UNIT_TOTAL, count_unit_rows
from surveys.report import units, units_across
from surveys.report.audit import ALL_MONTHS, RESPONDENTS, SIZE, UNION, N
from surveys.report.units import publish_units, tables_of
from tests.unit.report.test_unit_disclosure import DEFINITION as TWO_BREAKDOWNS
from tests.unit.report.test_unit_disclosure import make_tree

SURVEY = 1
VIEWS = ("profession", "age", "tenure")
# The two-breakdown survey of the unit tests (with its text question) and a third breakdown.
DEFINITION = {"questions": [*TWO_BREAKDOWNS["questions"], {
    "id": "tenure", "type": "single", "breakdown": True, "text": {"fi": "Työsuhteen kesto"},
    "choices": [{"id": "short", "label": {"fi": "Alle 5 vuotta"}},
                {"id": "long", "label": {"fi": "5 vuotta tai yli"}}]}]}


def answers_of(*values, views=VIEWS) -> dict:
    """A response's answers: a value of each of `views` (None: no answer)."""
    return {"workload": 4, **{q: v for q, v in zip(views, values, strict=True)
                              if v is not None}}


def counted(responses, definition=DEFINITION, views=VIEWS) -> list[tuple]:
    """The unit aggregates of (unit id, a value of each of `views`: profession, age, tenure)
    responses, as the fold counts them."""
    rows = [(unit_id, Row(SURVEY, "15", "fi", date(2026, 11, 2),
                          answers_of(*values, views=views)))
            for unit_id, *values in responses]
    counts = count_unit_rows(rows, {SURVEY: definition}, count_answers)
    return [(k.unit_id, k.breakdown, k.value, k.question_id, k.option, n)
            for k, n in counts.items()]


def pairs(responses, tree, views=VIEWS):
    return units.pairs_of([(u, answers_of(*values, views=views)) for u, *values in responses],
                          tree, list(views))


def found(tables, figures, joint) -> dict:
    return {(g.breakdown, g.place, g.value, g.rule): (round(g.low, 6), round(g.high, 6))
            for g in units_across.narrowed(tables, figures, {}, joint)}


# U0's 10 (k = 5): 8 nurses, 8 over 40, 8 of long tenure, the two of each other value six
# different people, so 4 are all three. With U0's total and its 8s shown, any two of those
# values hold 6 … 8 people (none of them a group below the threshold: 6), and all three hold
# 4 … 8: 4 people, proven there.
SIX_OTHERS = [(2, "doctor", "old", "long")] * 2 + [(2, "nurse", "young", "long")] * 2 + \
    [(2, "nurse", "old", "short")] * 2
U0 = SIX_OTHERS + [(2, "nurse", "old", "long")] * 4
TOTALS = {("ORG", ALL_MONTHS, RESPONDENTS, N): 10, ("U0", ALL_MONTHS, RESPONDENTS, N): 10}


def test_a_group_in_a_value_of_three_breakdowns_is_read_from_their_bounds():
    tree = make_tree([0])
    tables = tables_of(counted(U0), tree, DEFINITION, 5)
    figures = {UNIT_TOTAL: TOTALS,
               **{b: {**TOTALS, ("U0", v, RESPONDENTS, N): 8}
                  for b, v in zip(VIEWS, ("nurse", "old", "long"), strict=True)}}
    got = found(tables, figures, pairs(U0, tree))
    assert got[("profession×age×tenure", "U0", "nurse×old×long", SIZE)] == (4, 8)
    # Every pair of those values holds 6: no group of a pair below the threshold to protect.
    assert not any(g[0].count("×") == 1 and g[2] in ("nurse×old", "nurse×long", "old×long")
                   for g in got)
    # Without the threes' true counts the group is not read (as before).
    only_pairs = {key: n for key, n in pairs(U0, tree).items() if len(key) == 5}
    assert ("profession×age×tenure", "U0", "nurse×old×long", SIZE) not in found(
        tables, figures, only_pairs)
    assert cells_reading(tree, U0, tables, figures, 5) == no_sets(got)


def test_a_cut_withholds_a_breakdown_where_three_give_a_group_away():
    """withhold_across withholds the last breakdown's values (tenure) where the three read
    together narrow a group: then nothing is narrowed."""
    tree = make_tree([0])
    tables = tables_of(counted(U0), tree, DEFINITION, 5)
    pub = publish_units(tables)
    for b, v in zip(VIEWS, ("nurse", "old", "long"), strict=True):  # as the case above
        pub.pubs[b].figures = {**TOTALS, ("U0", v, RESPONDENTS, N): 8}
        pub.pubs[b].reasons = {}
    pub.pubs[UNIT_TOTAL].figures, pub.pubs[UNIT_TOTAL].reasons = dict(TOTALS), {}
    joint = pairs(U0, tree)
    assert not units.passes_with_history(pub, {}, joint)
    withheld, together = units.withhold_across(pub, {}, joint)
    assert together and withheld[0] == "tenure"
    assert units.passes_with_history(pub, {}, joint)


def no_sets(got: dict) -> dict:
    return {g: r for g, r in got.items()
            if UNION not in g[1] + g[2] and g[0] != UNIT_TOTAL and g[3] == SIZE}


def cells_reading(tree, responses, tables, figures, k, history=None, views=VIEWS) -> dict:
    """The program over the cells leaf × a value of each of `views` (profession × age ×
    tenure): every view's published respondent counts, no count below 0; each group of 1 … k−1
    people (a place's in a value of one or more breakdowns) whose range breaks the size rule,
    keyed as `found`. With `history` (each view's figures of an earlier release) a second
    layer of the cells, each at most the same cell now, bound by those. `responses`: (unit id,
    a value of each view or None)."""
    totals = tables[UNIT_TOTAL]
    values = [tables[b].months for b in views]  # with "" (no answer)
    parents = {u.parent_id for _d, u in tree.rows}
    leaf_of = {u.id: u.code + units.OWN if u.id in parents else u.code for _d, u in tree.rows}
    cells = [(leaf, *vs) for leaf in totals.counties for vs in product(*values)]
    index = {c: i for i, c in enumerate(cells)}
    width, layers = len(cells), 1 if history is None else 2
    truth = np.zeros(width)
    for unit_id, *vs in responses:
        truth[index[(leaf_of[unit_id], *(v or "" for v in vs))]] += 1

    def row(place: str, wanted: dict[str, str], layer: int = 0) -> np.ndarray:
        leaves = set(totals.counties_of(place))
        out = np.zeros(layers * width)
        for c, i in index.items():
            if c[0] in leaves and all(c[1 + views.index(b)] == v for b, v in wanted.items()):
                out[layer * width + i] = 1.0
        return out

    eq, rhs = [], []
    for layer, shown in enumerate([figures, *([] if history is None else [history])]):
        for b, published in shown.items():
            for (place, period, _key, _measure), v in published.items():
                eq.append(row(place, {} if period == ALL_MONTHS else {b: period}, layer))
                rhs.append(v)
    if not eq:  # nothing published: nothing bounded
        return {}
    program = {"A_eq": np.array(eq), "b_eq": rhs, "bounds": (0, None), "method": "highs"}
    if history is not None:  # an earlier cell at most the same cell now
        program |= {"A_ub": np.hstack([-np.eye(width), np.eye(width)]), "b_ub": np.zeros(width)}
    out = {}
    for place in totals.parent_of:
        for choice in product(*([None, *vs] for vs in values)):
            wanted = {b: v for b, v in zip(views, choice, strict=True) if v is not None}
            if not wanted:
                continue
            group = row(place, wanted)
            if not 0 < group[:width] @ truth < k:
                continue
            low, high = linprog(group, **program).fun, -linprog(-group, **program).fun
            if high - low < k - 1e-6 and not (low <= 1e-6 and high >= k - 1 - 1e-6):
                out[("×".join(wanted), place, "×".join(wanted.values()), SIZE)] = (
                    round(low, 6), round(high, 6))
    return out


def some_views(tables, rng, share: float) -> dict:
    """Any true respondent counts of each view (the organisation's total always)."""
    out = {}
    for b, table in tables.items():
        out[b] = {(place, period, RESPONDENTS, N): table.value((place, period, RESPONDENTS, N))
                  for place in table.units for period in table.periods()
                  if period != "" and (rng.random() < share
                                       or (place, period) == ("ORG", ALL_MONTHS))}
    return out


@st.composite
def three_breakdown_cases(draw):
    n = draw(st.integers(1, 3))
    parents = [draw(st.integers(0, i)) for i in range(n)]
    k = draw(st.sampled_from([3, 5]))
    response = st.tuples(st.integers(1, n + 1),
                         st.sampled_from([None, "nurse", "nurse", "doctor"]),
                         st.sampled_from([None, "young", "old", "old"]),
                         st.sampled_from([None, "short", "long", "long"]))
    return parents, k, draw(st.lists(response, max_size=24))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(three_breakdown_cases(), st.randoms(use_true_random=False))
def test_the_small_program_reads_what_the_cells_of_three_breakdowns_give(case, rng):
    """The claim the check rests on, with three breakdowns: over leaf × value of each, with the
    Fréchet bounds of pairs and of threes, it finds exactly what the program over the cells
    leaf × profession × age × tenure finds, for views publishing any true respondent counts."""
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    figures = some_views(tables, rng, 0.5)
    got = found(tables, figures, pairs(responses, tree))
    assert no_sets(got) == cells_reading(tree, responses, tables, figures, k)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(three_breakdown_cases(), st.integers(0, 24), st.randoms(use_true_random=False))
def test_an_earlier_release_is_read_with_three_breakdowns(case, cut_at, rng):
    """With an earlier release (the first `cut_at` responses, its views any true counts of
    then), the layers' reading finds exactly what the layered program over the cells finds,
    the groups in a value of three breakdowns included (their bounds summed over the oldest
    layer and the increment)."""
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    then = tables_of(counted(responses[:cut_at]), tree, DEFINITION, k)
    figures, earlier = some_views(tables, rng, 0.4), some_views(then, rng, 0.4)
    got = units_across.narrowed(tables, figures, {}, pairs(responses, tree),
                                {b: [(f, {})] for b, f in earlier.items()})
    got = {(g.breakdown, g.place, g.value, g.rule): (round(g.low, 6), round(g.high, 6))
           for g in got}
    assert no_sets(got) == cells_reading(tree, responses, tables, figures, k, earlier)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(three_breakdown_cases())
def test_what_a_unit_cut_stores_with_three_breakdowns_passes_read_together(case):
    """What a first cut stores (publish_units, then withhold_across) passes read together, and
    the cells' reading finds nothing in it either."""
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    pub = publish_units(tables)
    joint = pairs(responses, tree)
    withheld, together = units.withhold_across(pub, {}, joint)
    assert together
    figures = {b: p.figures for b, p in pub.pubs.items()}
    assert units_across.narrowed(tables, figures, {b: p.reasons for b, p in pub.pubs.items()},
                                 joint) == []
    # (The cells' reading takes no reasons: fewer bounds, wider ranges; it finds no more.)
    assert cells_reading(tree, responses, tables, figures, k) == {}
