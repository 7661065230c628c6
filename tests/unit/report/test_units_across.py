"""A unit publication's breakdowns read against each other (surveys.report.units_across), and a
unit release refused where they give a group away (surveys.report.units.passes_with_history)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.fold.units import UNIT_TOTAL
from surveys.report import narrowing, units, units_across
from surveys.report.audit import (
    ALL_MONTHS,
    PROTECTS_OTHER,
    RESPONDENTS,
    SIZE,
    UNANIMOUS,
    UNION,
    N,
    union_period,
)
from surveys.report.units import publish_units, tables_of
from tests.unit.report.test_unit_disclosure import (
    DEFINITION,
    cases,
    counted,
    make_tree,
    narrow_across_breakdowns,
    narrow_groups,
)

# ORG's 12: U0's 5 nurses and 1 who gave no profession, U1's 5 old doctors and 1 who gave no
# age (k = 5); the units' totals hidden.
TWELVE = ([(2, "nurse", "young", "4", False)] * 5 + [(2, None, "young", "4", False)]
          + [(3, "doctor", "old", "2", False)] * 5 + [(3, "doctor", None, "2", False)])
TOTAL = {("ORG", ALL_MONTHS, RESPONDENTS, N): 12}
NURSES = {("U0", "nurse", RESPONDENTS, N): 5}
OLD = {("U1", "old", RESPONDENTS, N): 5}


def found(tables, figures, reasons=None, pairs=None, sets=True) -> dict:
    saved, units_across.SETS = units_across.SETS, sets
    try:
        return {(g.breakdown, g.place, g.value, g.rule): (round(g.low, 6), round(g.high, 6))
                for g in units_across.narrowed(tables, figures, reasons or {}, pairs)}
    finally:
        units_across.SETS = saved


def pairs(responses, tree):
    """The true counts of profession × age per leaf, as a cut counts them from the stored
    responses (surveys.report.units.pairs_of)."""
    rows = [(unit_id, {q: v for q, v in (("profession", p), ("age", a)) if v is not None})
            for unit_id, p, a, *_rest in responses]
    return units.pairs_of(rows, tree, ["profession", "age"])


def test_two_views_harmless_alone_are_found_together():
    """The profession view's U0 nurses (5) say U0 has at least 5, the age view's U1 old (5)
    that U1 has at least 5, so U0 at most 7: together U0's people without a profession are
    0 … 2 (and U1's without an age), while either view alone leaves them 0 … 7. The test
    suite's own check over the responses' cells (narrow_across_breakdowns) finds the same."""
    tree = make_tree([0, 0])
    tables = tables_of(counted(TWELVE), tree, DEFINITION, 5)
    for profession, age in (({**TOTAL, **NURSES}, TOTAL), (TOTAL, {**TOTAL, **OLD})):
        assert found(tables, {UNIT_TOTAL: TOTAL, "profession": profession, "age": age}) == {}
    both = {UNIT_TOTAL: TOTAL, "profession": {**TOTAL, **NURSES}, "age": {**TOTAL, **OLD}}
    got = found(tables, both, pairs=pairs(TWELVE, tree))
    assert got[("profession", "U0", "", SIZE)] == (0, 2)
    assert got[("age", "U1", "", SIZE)] == (0, 2)
    # And the sets the tables' own audits read (U0's outside the nurses: no profession or a
    # doctor), which the cells' reading does not look at.
    assert got[("profession", "U0", union_period(["doctor", ""]), SIZE)] == (0, 2)
    # The same as the cells leaf × profession × age give, groups in a value of both included.
    assert no_sets(got) == oracle(tree, TWELVE, tables, both, 5)


def test_the_views_together_are_read_with_the_invitations():
    """HR knows each unit's invitations: with U0's 6 and U1's 6 issued (all answered), the
    profession view's 5 nurses of U0 and ORG's 12 say U0 holds 5 … 6 people and U1 the rest,
    at most 6: both hold 6, and U0's one without a profession is 0 … 1. Without the
    invitations (until the 7 December session's second stop) U0 was 5 … 12 and nothing was
    found."""
    tree = make_tree([0, 0])
    figures = {UNIT_TOTAL: TOTAL, "profession": {**TOTAL, **NURSES}, "age": TOTAL}
    assert found(tables_of(counted(TWELVE), tree, DEFINITION, 5), figures) == {}
    tables = tables_of(counted(TWELVE), tree, DEFINITION, 5, issued={"U0": 6, "U1": 6})
    got = found(tables, figures)
    assert got[("profession", "U0", "", SIZE)] == (0, 1)
    # Where the invitations are fewer than k − 1, none … as many as were invited keeps the
    # size rule (HR knows that much without a figure): U1's one of 3 invited, hidden.
    few = [(2, "nurse", "young", "4", False)] * 9 + [(3, "doctor", "old", "2", False)]
    tables = tables_of(counted(few), tree, DEFINITION, 5, issued={"U0": 12, "U1": 3})
    nine = {("ORG", ALL_MONTHS, RESPONDENTS, N): 10, ("U0", ALL_MONTHS, RESPONDENTS, N): 9}
    assert (UNIT_TOTAL, "U1", ALL_MONTHS, SIZE) not in found(
        tables, {UNIT_TOTAL: {("ORG", ALL_MONTHS, RESPONDENTS, N): 10}, "profession": {},
                 "age": {}})
    assert found(tables, {UNIT_TOTAL: nine, "profession": {}, "age": {}})[
        (UNIT_TOTAL, "U1", ALL_MONTHS, SIZE)] == (1, 1)


def no_sets(got: dict) -> dict:
    return {g: r for g, r in got.items() if UNION not in g[1] + g[2]}


def oracle(tree, responses, tables, figures, k) -> dict:
    """The test suite's own reading over the cells (narrow_across_breakdowns), keyed as
    `found`."""
    views = type("Views", (), {"pubs": {b: type("View", (), {"figures": f, "reasons": {}})()
                                        for b, f in figures.items()}})()
    return keyed(narrow_across_breakdowns(tree, responses, tables, views, k))


def test_a_group_in_a_value_of_two_breakdowns_is_read_from_their_bounds():
    """U0's 6: 4 old nurses, a young nurse, one old who gave no profession. With U0's total,
    its 5 nurses and its 5 old shown, its old nurses are at least 5 + 5 − 6 = 4 and at most 5:
    no view publishes them, and only the pairs' true counts say they are a group to protect
    (4 people)."""
    tree = make_tree([0, 0])
    responses = ([(2, "nurse", "old", "4", False)] * 4 + [(2, "nurse", "young", "4", False)]
                 + [(2, None, "old", "4", False)] + [(3, "doctor", "young", "2", False)] * 6)
    tables = tables_of(counted(responses), tree, DEFINITION, 5)
    u0 = {("U0", ALL_MONTHS, RESPONDENTS, N): 6}
    figures = {UNIT_TOTAL: {**TOTAL, **u0},
               "profession": {**TOTAL, **u0, ("U0", "nurse", RESPONDENTS, N): 5},
               "age": {**TOTAL, **u0, ("U0", "old", RESPONDENTS, N): 5}}
    assert ("profession×age", "U0", "nurse×old", SIZE) not in found(tables, figures)
    got = found(tables, figures, pairs=pairs(responses, tree))
    assert got[("profession×age", "U0", "nurse×old", SIZE)] == (4, 5)
    assert no_sets(got) == oracle(tree, responses, tables, figures, 5)


def test_the_reasons_a_reader_sees_are_read():
    """A reason is a fact about a hidden count: U1's total "hidden to protect another" says U1
    has at least 5, so with ORG's 12 and U0's 5 nurses, U0's people without a profession are
    0 … 2. Every view shows the unit totals' reasons (those of the view without a breakdown)."""
    tables = tables_of(counted(TWELVE), make_tree([0, 0]), DEFINITION, 5)
    figures = {UNIT_TOTAL: TOTAL, "profession": {**TOTAL, **NURSES}, "age": TOTAL}
    assert found(tables, figures) == {}
    at_least = {("U1", ALL_MONTHS, RESPONDENTS): PROTECTS_OTHER}
    got = found(tables, figures, {UNIT_TOTAL: at_least})
    assert got[("profession", "U0", "", SIZE)] == (0, 2)


def test_a_units_unanimity_given_away_by_the_other_view_is_found():
    """U0's 6 are all nurses. The profession view's U0 nurses (6) leave U0 anywhere in 6 … 12,
    so it may hold doctors; the age view's U1 old (6) puts U0 at most 6: all nurses."""
    responses = ([(2, "nurse", "young", "4", False)] * 6
                 + [(3, "doctor", "old", "2", False)] * 6)
    tables = tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5)
    profession = {**TOTAL, ("U0", "nurse", RESPONDENTS, N): 6}
    age = {**TOTAL, ("U1", "old", RESPONDENTS, N): 6}
    assert found(tables, {UNIT_TOTAL: TOTAL, "profession": profession, "age": TOTAL}) == {}
    got = found(tables, {UNIT_TOTAL: TOTAL, "profession": profession, "age": age})
    assert got[("profession", "U0", "nurse", UNANIMOUS)] == (0, 0)


def test_a_group_nothing_bounds_is_not_narrowed():
    """Nothing published (an organisation below the threshold): every range is unbounded above,
    which is no narrowing (and no failure)."""
    tables = tables_of(counted(TWELVE[:3]), make_tree([0, 0]), DEFINITION, 5)
    assert found(tables, {b: {} for b in tables}, pairs=pairs(TWELVE[:3], make_tree([0, 0]))) == {}


def test_a_release_is_refused_where_the_views_give_a_group_away(monkeypatch):
    """passes_with_history (what a unit cut asks before it stores a release) refuses a
    publication whose views read together narrow a group, though every table passes its own
    audit: TWELVE's publication with its views' figures replaced by the hand-built ones."""
    tables = tables_of(counted(TWELVE), make_tree([0, 0]), DEFINITION, 5)
    pub = publish_units(tables)
    assert units.passes_with_history(pub, {})
    both = {UNIT_TOTAL: TOTAL, "profession": {**TOTAL, **NURSES}, "age": {**TOTAL, **OLD}}
    for b, figures in both.items():
        pub.pubs[b].figures, pub.pubs[b].reasons = figures, {}
        pub.pubs[b].result = units.audit(tables[b], figures)
        assert pub.pubs[b].result.passed, b  # each view alone passes its audit
    assert not units.passes_with_history(pub, {})
    monkeypatch.setattr(units_across, "CHECKED", False)
    assert units.passes_with_history(pub, {})


# Found by review (third 6 December session): what publish_units publishes for this tree and
# these answers (k = 3) gives U1's own part away when its views are read together: its total
# and its doctors 1 … 3 (truly 1). (unit id, profession, age)
GIVEN_AWAY = [(1, None, "young"), (1, "doctor", "old"), (1, "doctor", "old"), (1, "nurse", "old"),
              (2, "nurse", "young"), (3, "doctor", None), (4, None, "old"), (4, "doctor", "young"),
              (4, "nurse", "old"), (5, None, "old"), (5, "doctor", None), (5, "nurse", "old"),
              (5, "nurse", "young"), (5, "nurse", "young")]


def test_a_breakdown_is_withheld_where_the_views_read_together_give_a_group_away():
    """Each table passes its own audit, the views together do not: the cut withholds the
    values of the last breakdown (the age groups), keeping the unit totals, and then passes
    (before, passes_with_history refused it at every hourly try, and no unit figure was ever
    released)."""
    responses = [(u, p, a, "4", False) for u, p, a in GIVEN_AWAY]
    tree = make_tree([0, 0, 2, 3])
    tables = tables_of(counted(responses), tree, DEFINITION, 3)
    pub = publish_units(tables)
    both = pairs(responses, tree)
    assert all(p.result.passed for p in pub.pubs.values())
    got = found(tables, {b: p.figures for b, p in pub.pubs.items()},
                {b: p.reasons for b, p in pub.pubs.items()}, both)
    assert got[(UNIT_TOTAL, "U1/own", ALL_MONTHS, SIZE)] == (1, 3)
    assert not units.passes_with_history(pub, {}, both)
    profession = dict(pub.pubs["profession"].figures)
    totals = {f: v for f, v in pub.pubs["age"].figures.items() if f[1] == ALL_MONTHS}
    assert len(totals) < len(pub.pubs["age"].figures)
    assert units.withhold_across(pub, {}, both) == (["age"], True)
    assert pub.pubs["age"].figures == totals
    assert all(g[1] == ALL_MONTHS for g in pub.pubs["age"].reasons)
    assert pub.pubs["profession"].figures == profession
    assert units.passes_with_history(pub, {}, both)
    assert units.withhold_across(pub, {}, both) == ([], True)  # nothing more to withhold


def test_an_earlier_release_that_todays_counts_contradict_is_left_out():
    """Counts may fall (a cell by the threshold or more, which the release rule allows, or a
    rebuild that quarantines responses): an earlier release of 17 where today has 12 has no
    solution with today's figures. It is left out, as each table's own audit leaves it out
    (`contradicted`), instead of failing the cut at every hourly try (found by review)."""
    tree = make_tree([0, 0])
    before = TWELVE + [(2, "nurse", "old", "4", False)] * 5
    earlier = publish_units(tables_of(counted(before), tree, DEFINITION, 5))
    layers = {b: [(p.figures, p.reasons)] for b, p in earlier.pubs.items()}
    pub = publish_units(tables_of(counted(TWELVE), tree, DEFINITION, 5), history=layers)
    assert all(p.result.passed and p.result.contradicted for p in pub.pubs.values())
    assert units.withhold_across(pub, layers, pairs(TWELVE, tree)) == ([], True)
    # Today's figures themselves with no solution (altered): no release.
    pub.pubs[UNIT_TOTAL].figures = {**pub.pubs[UNIT_TOTAL].figures, **TOTAL,
                                    ("ORG", ALL_MONTHS, RESPONDENTS, N): 99}
    with pytest.raises(units_across.Infeasible):
        units_across.narrowed(pub.tables, {b: p.figures for b, p in pub.pubs.items()},
                              {}, pairs(TWELVE, tree))


def test_a_solver_failure_refuses_the_release(monkeypatch, caplog):
    """A program the solver cannot finish proves nothing: no release (the cut's other work,
    a survey's own release in the same job, is not rolled back by it)."""
    tables = tables_of(counted(TWELVE), make_tree([0, 0]), DEFINITION, 5)
    pub = publish_units(tables)
    assert units.passes_with_history(pub, {})

    def fails(*_args, **_kwargs):
        raise RuntimeError("the views read together have no solution: Time limit reached")

    monkeypatch.setattr(units_across, "narrowed", fails)
    with caplog.at_level("ERROR", logger="surveys.report.units"):
        assert not units.passes_with_history(pub, {})
    assert "could not be read together: RuntimeError" in caplog.text
    assert units.withhold_across(pub, {}) == ([], None)  # not known (a cut tries again)


def _sets_read_together(tables, figures) -> dict:
    """Each view's sets of cells the views read together narrow (`_System._sets`, with no
    group found before it): {(view, place, value): (low, high)}."""
    system = units_across._System(tables, [b for b in tables if b != UNIT_TOTAL])
    system.publish(0, figures, {})
    system.narrowed()  # (sets up the system's programs)
    return {(g.breakdown, g.place, g.value): (round(g.low, 6), round(g.high, 6))
            for g in system._sets()}


def test_a_views_sets_of_cells_are_searched_read_together():
    """U0's one without a profession is 0 … 2 only with both views read together (each alone
    leaves 0 … 7): a set of the profession view's cells, which the search of sets of any
    shape over the views together finds (`units_across.SETS`, since the 8 December
    session), as it finds any set whose cells no group or union the checks above list
    covers. Here it is a group too, so `narrowed` reports it once."""
    tree = make_tree([0, 0])
    tables = tables_of(counted(TWELVE), tree, DEFINITION, 5)
    both = {UNIT_TOTAL: TOTAL, "profession": {**TOTAL, **NURSES}, "age": {**TOTAL, **OLD}}
    got = _sets_read_together(tables, both)
    assert got[("profession", "U0", union_period(["-@U0"]))] == (0, 2)
    assert got[("age", "U1", union_period(["-@U1"]))] == (0, 2)
    # Each view with the totals alone: no set.
    assert _sets_read_together(tables, {**both, "age": TOTAL}) == {}
    assert _sets_read_together(tables, {**both, "profession": TOTAL}) == {}
    # Reported once: as the group it is.
    assert found(tables, both) == {**found(tables, both, sets=False)}
    assert ("profession", "U0", "", SIZE) in found(tables, both)


def test_a_set_of_cells_that_is_no_group_is_found_read_together():
    """Found by a probe of hand-published figures (the 8 December session): ORG's own part
    10, U0 2, U1 10 people. The age view shows ORG's 7 young and 11 without an age, U0's 0
    young and U1's 6 without an age; the profession view ORG's 5 nurses, 9 doctors and 8
    without a profession, so ORG's 22, which the age view alone does not give: ORG's old are
    then 22 − 7 − 11 = 4 (a group, which the checks above find pinned). U0's without an age
    and U1's young together are (11 − 6 − own's without an age) + (7 − own's young) = 2 +
    own's old, so 2 … 6: 4 in truth, narrowed, and no group or union the checks list; each
    view with the totals alone narrows nothing. (In the random hand-published cases probed
    that session, trees of 2 … 4 units and k 3 or 5, no set was found that the groups and
    each view alone both missed: here the groups refuse the figures too.)"""
    people = ([(1, "doctor", "old")] + [(1, "doctor", "young")] + [(1, "doctor", None)] * 3
              + [(1, "nurse", "old"), (1, "nurse", "young")] + [(1, None, "young")] * 2
              + [(1, None, None), (2, "doctor", None), (2, None, "old"), (3, "doctor", "old"),
                 (3, "doctor", "young"), (3, "doctor", None), (3, "nurse", "young")]
              + [(3, "nurse", None)] * 2 + [(3, None, "young")] + [(3, None, None)] * 3)
    tables = tables_of(counted([(*p, "4", False) for p in people]), make_tree([0, 0]),
                       DEFINITION, 5)
    own = {("ORG/own", ALL_MONTHS, RESPONDENTS, N): 10.0}

    def n(place, value, v):
        return (place, value, RESPONDENTS, N), float(v)

    figures = {UNIT_TOTAL: own,
               "profession": {**own, **dict([n("ORG", "nurse", 5), n("ORG", "doctor", 9),
                                             n("ORG", "", 8), n("U0", "nurse", 0)])},
               "age": {**own, **dict([n("ORG", "young", 7), n("ORG", "", 11),
                                      n("U0", "young", 0), n("U1", "", 6)])}}
    for b, t in tables.items():
        assert narrowing.narrowed_everywhere(t, figures[b]) == ([], [])
    the_set = ("age", UNION + "U0+U1", union_period(["-@U0", "young@U1"]))
    assert _sets_read_together(tables, figures)[the_set] == (2, 6)
    assert found(tables, figures)[(*the_set, SIZE)] == (2, 6)
    assert (*the_set, SIZE) not in found(tables, figures, sets=False)
    assert found(tables, figures, sets=False)[("age", "ORG", "old", SIZE)] == (4, 4)


def test_a_search_of_sets_read_together_that_does_not_decide_withholds(monkeypatch):
    """A view whose search for sets stops at its time limit undecided is not proven: it is
    reported (`units_across.UNDECIDED`), and a cut withholds a breakdown's values as for a
    group narrowed; a search that never decides leaves the release refused (the last one
    stands)."""
    from scipy.optimize import OptimizeResult

    tables = tables_of(counted(TWELVE), make_tree([0, 0]), DEFINITION, 5)
    pub = publish_units(tables)
    assert units.withhold_across(pub, {}) == ([], True)
    pub = publish_units(tables)
    monkeypatch.setattr(narrowing, "solve", lambda *a, **kw: OptimizeResult(
        status=1, x=None, success=False, message="time limit"))
    got = units_across.narrowed(pub.tables, {b: p.figures for b, p in pub.pubs.items()},
                                {b: p.reasons for b, p in pub.pubs.items()})
    assert {(g.breakdown, g.rule) for g in got} == {("profession", units_across.UNDECIDED),
                                                     ("age", units_across.UNDECIDED)}
    withheld, passes = units.withhold_across(pub, {})
    assert withheld == ["age", "profession"] and passes is False
    # With no value shown, one view's search stands for all (the leaves' totals).
    got = units_across.narrowed(pub.tables, {b: p.figures for b, p in pub.pubs.items()},
                                {b: p.reasons for b, p in pub.pubs.items()})
    assert [(g.breakdown, g.rule) for g in got] == [("profession", units_across.UNDECIDED)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_what_a_unit_cut_stores_passes_read_together(case):
    """What a first unit cut stores (publish_units, then withhold_across) passes read together,
    and the test suite's reading over the cells finds nothing in it either."""
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    pub = publish_units(tables)
    both = pairs(responses, tree)
    withheld, together = units.withhold_across(pub, {}, both)
    assert together and withheld in ([], ["age"], ["age", "profession"])
    figures = {b: p.figures for b, p in pub.pubs.items()}
    reasons = {b: p.reasons for b, p in pub.pubs.items()}
    assert units_across.narrowed(tables, figures, reasons, both) == []
    assert units.passes_with_history(pub, {}, both)
    assert narrow_across_breakdowns(tree, responses, tables, pub, k) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.randoms(use_true_random=False))
def test_the_small_program_reads_what_the_cells_give(case, rng):
    """The claim the check rests on (module docstring): its program over leaf × value of each
    breakdown, with the pairs' bounds, finds exactly what the program over the cells leaf ×
    profession × age finds, here for views that publish any true respondent counts (not only
    what publish_units would: many of these narrow something)."""
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    figures = {}
    for b, table in tables.items():
        groups = [(place, period) for place in table.units for period in table.periods()
                  if period != ""]
        # The organisation's total in every view: the cells' reading needs every group bounded.
        figures[b] = {(place, period, RESPONDENTS, N): table.value((place, period, RESPONDENTS, N))
                      for place, period in groups
                      if rng.random() < 0.4 or (place, period) == ("ORG", ALL_MONTHS)}
    got = found(tables, figures, pairs=pairs(responses, tree))
    # (The cells' reading skips places' totals and sets, and has no unanimity rule.)
    assert {g: r for g, r in no_sets(got).items() if g[0] != UNIT_TOTAL and g[3] == SIZE} == (
        oracle(tree, responses, tables, figures, k))
    # The warm-started HiGHS model and linprog from scratch find the same.
    assert units_across.SOLVER == "highs"
    units_across.SOLVER = "linprog"
    try:
        assert found(tables, figures, pairs=pairs(responses, tree)) == got
    finally:
        units_across.SOLVER = "highs"


def layered_oracle(tree, now, earlier, tables, figures, history, k) -> dict:
    """The cells' reading with an earlier release: unknowns leaf × profession × age per layer
    (now, then earlier), each earlier cell at most the same cell now, each layer bound by its
    own views' respondent counts; the groups of 1 … k−1 people now (in one value, or in a value
    of each breakdown) whose range breaks the size rule, keyed as `found`."""
    import numpy as np
    from scipy.optimize import linprog

    table = tables["profession"]
    values = {b: tables[b].months for b in ("profession", "age")}
    code = {u.id: u.code for _d, u in tree.rows}
    cells = [(leaf, p, a) for leaf in table.counties for p in values["profession"]
             for a in values["age"]]
    width = len(cells)
    truth = np.zeros(width)
    for unit_id, profession, age, *_rest in now:
        leaf = code[unit_id] + units.OWN if code[unit_id] in table.children else code[unit_id]
        truth[cells.index((leaf, profession or "", age or ""))] += 1

    def row(layer: int, place: str, b: str, value: str) -> np.ndarray:
        leaves = set(table.counties_of(place))
        out = np.zeros(2 * width)
        for i, (leaf, p, a) in enumerate(cells):
            if leaf in leaves and (value == ALL_MONTHS or (p, a)[b == "age"] == value):
                out[layer * width + i] = 1
        return out

    eq, rhs = [], []
    for layer, views in enumerate([figures, {b: history[b][0][0] for b in history}]):
        for b, published in views.items():
            for (place, period, _key, _measure), v in published.items():
                eq.append(row(layer, place, b, period))
                rhs.append(v)
    ub = [np.eye(1, 2 * width, width + i)[0] - np.eye(1, 2 * width, i)[0] for i in range(width)]
    program = {"A_eq": np.array(eq), "b_eq": rhs, "A_ub": np.array(ub), "b_ub": [0] * width,
               "bounds": (0, None), "method": "highs"}

    def solve(group):
        c = np.concatenate([group, np.zeros(width)])  # the groups now: layer 0
        return linprog(c, **program).fun, -linprog(-c, **program).fun

    return keyed(narrow_groups(table, values, cells, truth, k, solve))


def keyed(narrow: list) -> dict:
    """The cells' readings' groups, keyed as `found`."""
    out = {}
    for place, p, a, low, high in narrow:
        key = (("profession", place, p) if a is None else ("age", place, a) if p is None
               else ("profession×age", place, f"{p}×{a}"))
        out[(*key, SIZE)] = (round(low, 6), round(high, 6))
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(0, 30), st.randoms(use_true_random=False))
def test_an_earlier_release_is_read_with_the_views(case, cut_at, rng):
    """With an earlier release (the first `cut_at` responses, its views any true counts of
    then), the small program with its layers finds exactly what the layered program over the
    cells finds, pairs included."""
    parents, k, responses = case
    tree = make_tree(parents)
    earlier = responses[:cut_at]
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    then = tables_of(counted(earlier), tree, DEFINITION, k)

    def views(of) -> dict:
        out = {}
        for b, table in of.items():
            out[b] = {(place, period, RESPONDENTS, N): table.value((place, period, RESPONDENTS, N))
                      for place in table.units for period in table.periods()
                      if period != "" and (rng.random() < 0.3
                                           or (place, period) == ("ORG", ALL_MONTHS))}
        return out

    figures = views(tables)
    history = {b: [(f, {})] for b, f in views(then).items()}
    got = units_across.narrowed(tables, figures, {}, pairs(responses, tree), history)
    got = {(g.breakdown, g.place, g.value, g.rule): (round(g.low, 6), round(g.high, 6))
           for g in got}
    assert {g: r for g, r in no_sets(got).items() if g[0] != UNIT_TOTAL and g[3] == SIZE} == (
        layered_oracle(tree, responses, earlier, tables, figures, history, k))
