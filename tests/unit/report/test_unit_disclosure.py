"""Unit results: generated organisation trees, breakdowns and responses, counted as the fold
counts them (surveys.fold.units), published as results publish them (surveys.report.units), and
then every table's published figures — unit totals, every breakdown value — given to the
disclosure auditor (surveys.report.audit): no group below the threshold (a unit, a unit's own
part, a breakdown value of a unit, "no answer") can be derived from them, nor its answers.
An independent check besides the auditor: no combination of published respondent counts
(exact rational span) gives a group of up to four cells below the threshold."""

from __future__ import annotations

import copy
from datetime import date
from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from surveys.definitions.format import MAX_BREAKDOWN_CHOICES
from surveys.fold.aggregation import Row, count_answers
from surveys.fold.units import UNIT_TOTAL, count_unit_rows
from surveys.models import Unit
from surveys.report import units
from surveys.report.audit import ALL_MONTHS, RESPONDENTS, N, audit
from surveys.report.units import (
    OWN,
    Tree,
    UnitTable,
    pairs_of,
    publish_units,
    tables_of,
    withhold_across,
)
from surveys.staff.units import depth_first

SURVEY = 1
DEFINITION = {"questions": [
    {"id": "workload", "type": "likert5", "text": {"fi": "Työmäärä"}},
    {"id": "profession", "type": "single", "breakdown": True, "text": {"fi": "Ammatti"},
     "choices": [{"id": "nurse", "label": {"fi": "Hoitaja"}},
                 {"id": "doctor", "label": {"fi": "Lääkäri"}}]},
    {"id": "age", "type": "single", "breakdown": True, "text": {"fi": "Ikä"},
     "choices": [{"id": "young", "label": {"fi": "Alle 40"}},
                 {"id": "old", "label": {"fi": "40 tai yli"}}]},
    {"id": "comment", "type": "text", "text": {"fi": "Kommentti"}},
]}


def make_tree(parents: list[int]) -> Tree:
    units = [Unit(id=1, code="ORG", parent_id=None, kind="organisation", name_fi="O",
                  name_sv="O", headcount=None)]
    for i, p in enumerate(parents):
        units.append(Unit(id=i + 2, code=f"U{i}", parent_id=p + 1, kind="unit",
                          name_fi=f"U{i}", name_sv=f"U{i}", headcount=None))
    return Tree(units[0], depth_first(units[0], units))


class Span:
    """The rational span of 0/1 rows (row echelon form, exact): `holds(target)`."""

    def __init__(self, rows: list[list[int]]) -> None:
        self.basis: list[tuple[int, list[Fraction]]] = []  # (pivot column, row)
        for row in rows:
            reduced = self._reduce([Fraction(x) for x in row])
            pivot = next((j for j, x in enumerate(reduced) if x), None)
            if pivot is not None:
                self.basis.append((pivot, [x / reduced[pivot] for x in reduced]))

    def _reduce(self, row: list[Fraction]) -> list[Fraction]:
        for pivot, base in self.basis:
            if row[pivot]:
                factor = row[pivot]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
        return row

    def holds(self, target: list[int]) -> bool:
        return not any(self._reduce([Fraction(x) for x in target]))


def derivable_cells(table, figures, k: int, largest: int = 4) -> list:
    """Sets of up to `largest` cells holding 1 … k−1 people whose count a combination of the
    published respondent counts gives: an independent check besides the auditor."""
    cells = list(table._index)
    span = Span([[1 if i in table.cells_of(f[:2]) else 0 for i in range(len(cells))]
                 for f in figures if f[2] == RESPONDENTS and f[3] == N])
    found = []
    for size in range(1, largest + 1):
        for group in combinations(range(len(cells)), size):
            n = sum(table.cells.get(cells[i], {}).get(RESPONDENTS, {}).get(N, 0)
                    for i in group)
            if 0 < n < k and span.holds([1 if i in group else 0 for i in range(len(cells))]):
                found.append(([cells[i] for i in group], n))
    return found


def unanimous_groups(table, places):
    """(place, value, the cells of its other shown values, those and the value's) where the
    value holds all of the place's respondents who answered the breakdown question (at least
    one; "no answer" is no value: a ward of 6 nurses and 5 who gave no profession is
    unanimous, as a question's answers are among those who answered it). With one choice,
    answering is choosing it: all of the place's respondents, "no answer" the other value."""
    out = []
    for place in places:
        for value in table.shown_values:
            others = [v for v in table.shown_values if v != value] or [""]
            rest = set().union(*(table.cells_of((place, v)) for v in others))
            if table.value((place, value, RESPONDENTS, N)) and not sum(
                    table.value((place, v, RESPONDENTS, N)) for v in others):
                out.append((place, value, rest, rest | set(table.cells_of((place, value)))))
    return out


def derivable_unanimity(table, figures) -> list:
    """The (unit, value) where the value holds all of the unit's respondents and "everyone
    else in the unit" (0 people) follows from a combination of published respondent counts.
    (Among those who answered, with "no answer" beside, a combination alone never gives it:
    that needs the counts' being at least 0, `pinned_unanimity`.)"""
    cells = list(table._index)
    span = Span([[1 if i in table.cells_of(f[:2]) else 0 for i in range(len(cells))]
                 for f in figures if f[2] == RESPONDENTS and f[3] == N])
    found = []
    for unit in table.units:
        total = table.value((unit, ALL_MONTHS, RESPONDENTS, N))
        for value in table.shown_values:
            if total and table.value((unit, value, RESPONDENTS, N)) == total:
                rest = set(table.cells_of((unit, ALL_MONTHS))) - set(table.cells_of((unit, value)))
                if span.holds([1 if i in rest else 0 for i in range(len(cells))]):
                    found.append((unit, value))
    return found


def test_derivable_unanimity_is_found_where_a_publication_gives_it():
    """The check above finds what it looks for: ORG's 12 all nurses, shown with its total."""
    tree = make_tree([0])
    tables = tables_of(counted([(2, "nurse", None, "4", False)] * 12), tree, DEFINITION, 5)
    table = tables["profession"]
    leaky = {("ORG", ALL_MONTHS, RESPONDENTS, N): 12, ("ORG", "nurse", RESPONDENTS, N): 12}
    assert derivable_unanimity(table, leaky) == [("ORG", "nurse"), ("U0", "nurse")]
    pub = publish_units(tables)
    assert derivable_unanimity(table, pub.pubs["profession"].figures) == []


def pinned_unanimity(table, figures) -> list:
    """The (unit, value) where the value holds all of the unit's respondents who answered the
    breakdown question and the published respondent counts, with no count below zero, leave
    "everyone else in the unit who answered" no room but 0 while someone in the unit must have
    answered: `derivable_unanimity` with what a combination alone does not give (a unit's
    other values are 0 where a harmless value shows all of it, and a parent's sum then gives a
    sibling whole). A linear program per unanimous (unit, value)."""
    cells = list(table._index)
    rows = [[1.0 if i in set(table.cells_of(f[:2])) else 0.0 for i in range(len(cells))]
            for f in figures if f[2] == RESPONDENTS and f[3] == N]
    rhs = [v for f, v in figures.items() if f[2] == RESPONDENTS and f[3] == N]
    found = []
    # The units and their own parts.
    for unit, value, rest, held in unanimous_groups(table, table.places()):
        most_else = linprog([-1.0 if i in rest else 0.0 for i in range(len(cells))],
                            A_eq=rows or None, b_eq=rhs or None, bounds=(0, None),
                            method="highs")
        least = linprog([1.0 if i in held else 0.0 for i in range(len(cells))],
                        A_eq=rows or None, b_eq=rhs or None, bounds=(0, None), method="highs")
        if most_else.status == 0 and -most_else.fun < 1e-6 and least.fun > 1e-6:
            found.append((unit, value))
    return found


def two_wards_leaking():
    """U0's 6 nurses beside U1's 6 doctors (k = 5), and figures that show U0's nurses whole:
    the profession table, and those figures."""
    responses = [(2, "nurse", None, "4", False)] * 6 + [(3, "doctor", None, "2", False)] * 6
    table = tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5)["profession"]
    leaky = {("ORG", ALL_MONTHS, RESPONDENTS, N): 12, ("ORG", "doctor", RESPONDENTS, N): 6,
             ("ORG", "nurse", RESPONDENTS, N): 6, ("U0", ALL_MONTHS, RESPONDENTS, N): 6,
             ("U0", "nurse", RESPONDENTS, N): 6, ("U1", ALL_MONTHS, RESPONDENTS, N): 6}
    return table, leaky


def test_pinned_unanimity_is_found_where_a_publication_gives_it():
    """The check above finds what it looks for, also where no combination gives it: U0's 6
    nurses shown with its total say that U0 has no doctor, and the organisation's 6 doctors
    are then all of U1's 6."""
    table, leaky = two_wards_leaking()
    assert ("U1", "doctor") in pinned_unanimity(table, leaky)
    assert ("U1", "doctor") not in derivable_unanimity(table, leaky)  # no combination gives it


def test_a_harmless_breakdown_value_does_not_show_a_unit_held_whole():
    """Found by review (6 December session): a ward of 6 nurses beside a ward of 6 doctors,
    "nurse" declared harmless. Shown because harmless, the first ward's nurses (6 of 6) said it
    had no doctor, so the organisation's 6 doctors were all the second ward's: everyone there
    a doctor, which is not harmless. Neither the auditor (no rule on a breakdown value's
    unanimity) nor a combination of counts finds it; a count's being at least 0 does. In the
    unit views a breakdown question's harmless answers are therefore not read (the question's
    own figures in a county's results still read them, under the auditor's rules)."""
    tree = make_tree([0, 0])
    responses = [(2, "nurse", None, "4", False)] * 6 + [(3, "doctor", None, "2", False)] * 6
    marked = copy.deepcopy(DEFINITION)
    marked["questions"][1]["harmless_answers"] = ["nurse"]
    tables = tables_of(counted(responses), tree, marked, 5)
    pub = publish_units(tables)
    assert pub.get("profession", "U0", "nurse", RESPONDENTS, N) is None
    for b, table in tables.items():
        assert audit(table, pub.pubs[b].figures).passed
        assert pinned_unanimity(table, pub.pubs[b].figures) == [], b
        assert derivable_cells(table, pub.pubs[b].figures, 5) == [], b


def shown_reasons(pub, breakdown: str) -> dict:
    """The reasons a reader of a breakdown's view sees: its own for the values' groups, and
    those of the unit totals, which every view shows from the table without a breakdown
    (surveys.report.units.unit_results)."""
    own = pub.pubs[breakdown].reasons
    totals = pub.pubs[UNIT_TOTAL].reasons
    return {**{g: r for g, r in own.items() if g[1] != ALL_MONTHS},
            **{g: r for g, r in totals.items() if g[1] == ALL_MONTHS}}


def test_the_reasons_shown_for_unit_totals_pass_in_every_view():
    """Found by review (6 December session): each table withdrew the reasons that exposed
    something in its own audit, but the totals' reasons shown are the table without a
    breakdown's. Here it kept U0 "hidden to protect another" (at least 5) and U1, U2 "below
    the threshold" (at most 4), which the profession table had withdrawn: with them, the
    organisation's own people and U0's outside the nurses were pinned to 3 … 7 (truly 3).
    The reasons of a unit total are now shown only where every table kept them alike."""
    responses = [
        (1, "doctor", None, "4", True), (4, "nurse", "old", "5", False),
        (4, "doctor", "young", "1", False), (4, "nurse", "young", "5", False),
        (3, None, "old", "5", True), (3, "nurse", None, "4", True), (2, "doctor", None, "4", True),
        (3, "nurse", "young", "4", False), (4, "nurse", "old", "2", True),
        (1, "doctor", "old", "1", False), (3, None, "old", "4", True),
        (1, "doctor", "young", "1", True), (1, "doctor", None, "4", False)]
    tables = tables_of(counted(responses), make_tree([0, 0, 1]), DEFINITION, 5)
    pub = publish_units(tables)
    for b, table in tables.items():
        assert audit(table, pub.pubs[b].figures, reasons=shown_reasons(pub, b)).passed, b


def narrow_across_breakdowns(tree, responses, tables, pub, k: int) -> list:
    """The breakdowns read against each other (each breakdown's table is audited with the unit
    totals alone; a cut reads them together with surveys.report.units_across, which this
    checks apart, tests/unit/report/test_units_across.py): over the cells leaf × profession × age,
    counted from the responses, every view's published respondent counts and shown reasons
    together, with no count below 0. The groups of 1 … k−1 people (a unit's or own part's in
    a value of one breakdown, or in a value of each) whose size they bound more narrowly than
    the auditor's rule for a hidden group allows (a range of at least k, or 0 … k−1 where a
    reason says it is below the threshold)."""
    import numpy as np

    table = tables["profession"]
    values = {b: tables[b].months for b in ("profession", "age")}  # with "" (no answer)
    code = {u.id: u.code for _d, u in tree.rows}
    cells = [(leaf, p, a) for leaf in table.counties for p in values["profession"]
             for a in values["age"]]
    index = {c: i for i, c in enumerate(cells)}
    truth = np.zeros(len(cells))
    for unit_id, profession, age, *_rest in responses:
        leaf = code[unit_id] + OWN if code[unit_id] in table.children else code[unit_id]
        truth[index[(leaf, profession or "", age or "")]] += 1

    def row(place: str, breakdown: str, value: str) -> np.ndarray:
        leaves = set(table.counties_of(place))
        out = np.zeros(len(cells))
        for (leaf, p, a), i in index.items():
            if leaf in leaves and (value == ALL_MONTHS or (p, a)[breakdown == "age"] == value):
                out[i] = 1
        return out

    eq, eq_rhs, ub, ub_rhs = [], [], [], []
    for b, p in pub.pubs.items():
        for (place, period, key, measure), v in p.figures.items():
            if key == RESPONDENTS and measure == N:
                eq.append(row(place, b, period))
                eq_rhs.append(v)
        for (place, period, key), reason in shown_reasons(pub, b).items():
            if key == RESPONDENTS:
                sign = 1 if reason == "threshold" else -1  # at most k − 1; at least k
                ub.append(sign * row(place, b, period))
                ub_rhs.append(sign * (k - 1) if sign == 1 else -k)
    if not eq:
        return []
    bounds = {"A_eq": np.array(eq), "b_eq": eq_rhs, "bounds": (0, None), "method": "highs",
              **({"A_ub": np.array(ub), "b_ub": ub_rhs} if ub else {})}
    return narrow_groups(table, values, cells, truth, k,
                         lambda group: (linprog(group, **bounds).fun,
                                        -linprog(-group, **bounds).fun))


def narrow_groups(table, values, cells, truth, k: int, solve) -> list:
    """(place, profession or None, age or None, low, high) of each group of 1 … k−1 people (a
    place's in a value of one breakdown, or of each) whose range, `solve(group)` over the
    cells, is narrower than a hidden group's must be."""
    import numpy as np

    narrow = []
    for place in table.parent_of:
        leaves = set(table.counties_of(place))
        for p_ in (*values["profession"], None):
            for a_ in (*values["age"], None):
                if p_ is None and a_ is None:
                    continue
                group = np.array([1.0 if leaf in leaves and p_ in (None, p) and a_ in (None, a)
                                  else 0.0 for leaf, p, a in cells])
                if not 0 < group @ truth < k:
                    continue
                low, high = solve(group)
                if high - low < k - 1e-6 and not (low <= 1e-6 and high >= k - 1 - 1e-6):
                    narrow.append((place, p_, a_, low, high))
    return narrow


@st.composite
def cases(draw):
    n = draw(st.integers(1, 4))
    parents = [draw(st.integers(0, i)) for i in range(n)]  # parent index among earlier units
    k = draw(st.sampled_from([3, 5]))
    response = st.tuples(
        st.integers(1, n + 1),  # unit id (1 is the organisation itself)
        st.sampled_from([None, "nurse", "doctor", "doctor"]),
        st.sampled_from([None, "young", "old"]),
        st.sampled_from(["1", "2", "4", "4", "5"]),
        st.booleans())
    responses = draw(st.lists(response, max_size=30))
    return parents, k, responses


def counted(responses) -> list[tuple]:
    rows = []
    for unit_id, profession, age, workload, comment in responses:
        answers = {"workload": int(workload)}
        if profession:
            answers["profession"] = profession
        if age:
            answers["age"] = age
        if comment:
            answers["comment"] = "x"
        rows.append((unit_id, Row(SURVEY, "15", "fi", date(2026, 11, 2), answers)))
    counts = count_unit_rows(rows, {SURVEY: DEFINITION}, count_answers)
    return [(k.unit_id, k.breakdown, k.value, k.question_id, k.option, n)
            for k, n in counts.items()]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_nothing_below_the_threshold_is_derivable_from_what_units_publish(case):
    parents, k, responses = case
    tree = make_tree(parents)
    tables = tables_of(counted(responses), tree, DEFINITION, k)
    assert set(tables) == {UNIT_TOTAL, "profession", "age"}
    pub = publish_units(tables)
    totals = None
    for b, table in tables.items():
        figures = pub.pubs[b].figures
        # The auditor over everything this view publishes, with the reasons it shows: passes.
        result = audit(table, figures, reasons=shown_reasons(pub, b))
        assert result.passed, (b, result.exposed)
        for (place, period, key, measure), value in figures.items():
            assert not place.endswith(OWN) and period != ""  # never an own part, never "none"
            if measure == N:
                assert value >= k, (place, period, key, value)
        # The unit totals are the same figures in every view.
        mine = {f: v for f, v in figures.items() if f[1] == ALL_MONTHS}
        assert totals is None or mine == totals
        totals = mine
        # Independently: no set of up to four cells below the threshold in the span of the
        # published respondent counts.
        assert derivable_cells(table, figures, k) == [], b
        # Nor that everyone in a unit gave one value of the breakdown question (the auditor's
        # rule since the 6 December session, UnitTable.unanimous_values; checked here apart).
        assert derivable_unanimity(table, figures) == [], b
        assert pinned_unanimity(table, figures) == [], b
    # And the breakdowns against each other (read by a unit cut since the third 6 December
    # session, surveys.report.units_across, which withholds a breakdown's values where they
    # would give a group away; here over the cells, apart from it), on the respondent counts
    # of what the cut stores: no group below the threshold, nor a unit's people of one
    # profession and one age group, bounded more narrowly than a hidden group must be.
    answers = [(unit_id, {q: v for q, v in (("profession", p), ("age", a)) if v is not None})
               for unit_id, p, a, *_rest in responses]
    assert withhold_across(pub, {}, pairs_of(answers, tree, ["profession", "age"]))[1]
    assert narrow_across_breakdowns(tree, responses, tables, pub, k) == []


def test_a_small_unit_hides_a_sibling_and_a_small_value_hides_another():
    # ORG: U0 (2 people), U1 (10), U2 (12); in U1, 2 doctors and 8 nurses.
    tree = make_tree([0, 0, 0])
    responses = ([(2, "nurse", None, "4", False)] * 2 + [(3, "nurse", None, "4", False)] * 8
                 + [(3, "doctor", None, "2", False)] * 2 + [(4, "doctor", None, "5", False)] * 12)
    tables = tables_of(counted(responses), tree, DEFINITION, 5)
    pub = publish_units(tables)
    shown = {place for (place, period, key, measure) in pub.pubs[UNIT_TOTAL].figures
             if key == RESPONDENTS and measure == N}
    assert "ORG" in shown and "U0" not in shown
    assert len({"U1", "U2"} - shown) >= 1  # ORG − U1 − U2 would give U0 back
    assert pub.get("profession", "U1", "doctor", RESPONDENTS, N) is None
    assert pub.get("profession", "U1", "nurse", RESPONDENTS, N) is None  # U1 − nurses = doctors
    for b, table in tables.items():
        assert audit(table, pub.pubs[b].figures).passed
    # Passing without its sets of values, the publication was audited with them too, as it is.
    unions = set(tables["profession"].unions())
    assert unions and unions <= {r.figure[:2] for r in pub.pubs["profession"].result.ranges}


def test_an_own_parts_cells_outside_a_shown_value_are_not_derivable_together():
    """Found by the property test above (a random run, 4 December session; the derandomized CI
    examples do not reach it): the organisation has 5 people of its own (2 without a
    profession, 3 doctors) and one unit of 6 (3 and 3), k = 3. With the organisation's and the
    unit's totals and doctors shown, the organisation's own non-doctors would follow:
    11 − 6 − (6 − 3) = 2, nurses and no profession together, a group below the threshold that
    no published category names (each cell alone still ranges 0 … 2). The auditor now audits
    such sets of values as groups (`UnitTable.unions`)."""
    responses = ([(1, None, None, "1", False)] * 2 + [(1, "doctor", None, "1", False)] * 3
                 + [(2, None, None, "1", False)] * 3 + [(2, "doctor", None, "1", False)] * 3)
    test_nothing_below_the_threshold_is_derivable_from_what_units_publish.hypothesis \
        .inner_test(([0], 3, responses))


def test_the_auditor_finds_a_set_of_an_own_parts_values_below_the_threshold():
    # The case above, with the unit's doctors shown as well: the own part's people outside
    # the doctors are exactly 2.
    responses = ([(1, None, None, "1", False)] * 2 + [(1, "doctor", None, "1", False)] * 3
                 + [(2, None, None, "1", False)] * 3 + [(2, "doctor", None, "1", False)] * 3)
    tables = tables_of(counted(responses), make_tree([0]), DEFINITION, 3)
    table = tables["profession"]
    union = [g for g in table.unions() if g[0] == "ORG" + OWN]
    assert len(union) == 1 and sorted(table.parts(union[0])) == [("ORG/own", ""),
                                                                 ("ORG/own", "nurse")]
    assert table.value((*union[0], RESPONDENTS, N)) == 2
    figures = {("ORG", ALL_MONTHS, RESPONDENTS, N): 11, ("U0", ALL_MONTHS, RESPONDENTS, N): 6,
               ("ORG", "doctor", RESPONDENTS, N): 6, ("U0", "doctor", RESPONDENTS, N): 3}
    result = audit(table, figures)
    assert not result.passed
    assert (*union[0], RESPONDENTS, N) in {r.figure for r in result.exposed}
    # Each cell of it alone passes: only the set is exposed.
    assert all(r.figure[1] == union[0][1] for r in result.exposed)
    # Published, the unit's doctors are what goes (hidden near the set), and all of it passes.
    pub = publish_units(tables)
    assert pub.get("profession", "U0", "doctor", RESPONDENTS, N) is None
    assert audit(table, pub.pubs["profession"].figures).passed
    # The publication's own audit is the one with the sets in it.
    assert (*union[0], RESPONDENTS, N) in {r.figure for r in pub.pubs["profession"].result.ranges}


def test_a_units_hidden_parts_outside_a_shown_value_are_not_derivable_together(monkeypatch):
    """An organisation of 20: unit U0 of 10 (5 nurses, 5 doctors), unit U1 of 4 (1 nurse, 3
    doctors), 6 of its own (3 and 3), k = 5. U1 is below the threshold and hides the own
    part; together they are 20 − 10 = 10, their doctors the organisation's 11 minus U0's 5 =
    6 (both at least k, as the heuristic keeps them), so their people who are not doctors
    would follow: 4, across two places, while each place's cells alone still range over
    0 … 4. Sets across a sum's hidden places are audited (`Table._across`)."""
    responses = ([(2, "nurse", None, "4", False)] * 5 + [(2, "doctor", None, "4", False)] * 5
                 + [(3, "nurse", None, "2", False)] + [(3, "doctor", None, "2", False)] * 3
                 + [(1, "nurse", None, "5", False)] * 3 + [(1, "doctor", None, "5", False)] * 3)
    tables = tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5)
    table = tables["profession"]
    leaky = {("ORG", ALL_MONTHS, RESPONDENTS, N): 20, ("U0", ALL_MONTHS, RESPONDENTS, N): 10,
             ("ORG", "doctor", RESPONDENTS, N): 11, ("U0", "doctor", RESPONDENTS, N): 5}
    [(cells, n)] = [d for d in derivable_cells(table, leaky, 5) if len(d[0]) == 4]
    assert n == 4 and {c[0] for c in cells} == {"ORG" + OWN, "U1"}
    across = [g for g in table.unions(leaky) if {p for p, _v in table.parts(g)}
              == {"ORG" + OWN, "U1"} and {v for _p, v in table.parts(g)} == {"", "nurse"}]
    assert len(across) == 1 and table.value((*across[0], RESPONDENTS, N)) == 4
    result = audit(table, leaky)
    assert (*across[0], RESPONDENTS, N) in {r.figure for r in result.exposed}
    # Without the sets across places (as before the 5 December session) it passed; the
    # search for derivable sets (surveys.report.derivable) finds it too.
    monkeypatch.setattr(UnitTable, "across_places", False)
    assert not audit(table, leaky).passed
    monkeypatch.setattr(UnitTable, "derived_sets", False)
    assert audit(table, leaky).passed
    monkeypatch.undo()
    pub = publish_units(tables)
    for b, t in tables.items():
        assert audit(t, pub.pubs[b].figures).passed
        assert derivable_cells(t, pub.pubs[b].figures, 5) == [], b
    assert pub.get("profession", "ORG", ALL_MONTHS, RESPONDENTS, N) == 20


def test_the_gate_of_sets_narrowed_holds_a_unit_publication_the_lists_miss(monkeypatch):
    """The organisation above with neither the sets across places nor the exact search: the
    lists alone publish the own part's and U1's nurses and no-answers, 4, derivable. The gate
    after the auditor (surveys.report.narrowing.narrowing_figures, read with the tables'
    invitations) finds the nurses pinned, hides one of the sums that bound them (their duals:
    a unit's value, not the organisation's total), and what is published narrows nothing."""
    from surveys.report.narrowing import narrowing_figures

    responses = ([(2, "nurse", None, "4", False)] * 5 + [(2, "doctor", None, "4", False)] * 5
                 + [(3, "nurse", None, "2", False)] + [(3, "doctor", None, "2", False)] * 3
                 + [(1, "nurse", None, "5", False)] * 3 + [(1, "doctor", None, "5", False)] * 3)
    monkeypatch.setattr(UnitTable, "across_places", False)
    monkeypatch.setattr(UnitTable, "derived_sets", False)
    with monkeypatch.context() as m:
        m.setattr(UnitTable, "narrowing_gate", False)
        tables = tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5)
        # The tables published together, as the gate must hold them (`publish_units` itself
        # withholds the profession's values here, which would cost two unit-total figures).
        leaky = units._publish_together(tables)
    assert derivable_cells(tables["profession"], leaky.pubs["profession"].figures, 5)
    tables = tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5)
    pub = publish_units(tables)
    for b, t in tables.items():
        assert derivable_cells(t, pub.pubs[b].figures, 5) == [], b
        assert narrowing_figures(t, pub.pubs[b].figures) == ([], []), b
    assert pub.get("profession", "ORG", ALL_MONTHS, RESPONDENTS, N) == 20
    # What the gate costs, the tables published together both ways: two figures.
    together = units._publish_together(tables)
    for b, t in tables.items():
        assert narrowing_figures(t, together.pubs[b].figures) == ([], []), b
    shown = sum(len(p.figures) for p in together.pubs.values())
    assert shown >= sum(len(p.figures) for p in leaky.pubs.values()) - 2


def test_a_set_of_values_is_audited_with_an_empty_value_in_it():
    # A reader who derives "the own part outside the doctors" counts its empty values in it:
    # the set with the nurses (nobody) is a union as the set without is.
    responses = ([(1, None, None, "1", False)] * 2 + [(1, "doctor", None, "1", False)] * 3
                 + [(2, "nurse", None, "1", False)] * 4)
    table = tables_of(counted(responses), make_tree([0]), DEFINITION, 3)["profession"]
    sets = {tuple(sorted(v for _p, v in table.parts(g))) for g in table.unions()
            if g[0] == "ORG/own"}
    assert ("", "nurse") in sets


def test_a_breakdown_question_has_few_enough_choices_for_its_sets_to_be_audited():
    big = [{"id": f"c{i}", "label": {"fi": str(i)}} for i in range(MAX_BREAKDOWN_CHOICES + 1)]
    definition = {"questions": [
        {"id": "workload", "type": "likert5", "text": {"fi": "Työmäärä"}},
        {"id": "profession", "type": "single", "breakdown": True, "text": {"fi": "Ammatti"},
         "choices": big}]}
    responses = [(1, Row(SURVEY, "15", "fi", date(2026, 11, 2),
                         {"workload": 1, "profession": "c0"}))]
    counts = count_unit_rows(responses, {SURVEY: definition}, count_answers)
    rows = [(k.unit_id, k.breakdown, k.value, k.question_id, k.option, n)
            for k, n in counts.items()]
    table = tables_of(rows, make_tree([]), definition, 3)["profession"]
    with pytest.raises(ValueError, match="cannot be audited"):
        table.unions()


@pytest.mark.parametrize("seed", [5, 13])
def test_unit_figures_not_read_with_every_question_are_not_published(seed, monkeypatch):
    """A unit view whose figures pass one question at a time, but could not be read with every
    other question within the coupling's budget (audit._Joint, here none), is not proven
    against the reader of them all. Until the second 5 December session `publish_units` kept
    such views (the audit with the sets of values passed alone and its `uncoupled` was not
    read); now only what the coupled audit proved is published: with a budget of none, in
    these seeds, nothing. (Seeds whose views went past it.)"""
    import random

    from surveys.report import audit as audit_module

    monkeypatch.setattr(audit_module._Joint, "MAX_ROUNDS", 0)
    monkeypatch.setattr(audit_module._Joint, "EMBED_BUDGET", 0)
    rng = random.Random(seed)
    n = rng.randint(1, 4)
    parents = [rng.randint(0, i) for i in range(n)]
    k = rng.choice([3, 5])
    responses = [(rng.randint(1, n + 1), rng.choice([None, "nurse", "doctor", "doctor"]),
                  rng.choice([None, "young", "old"]), rng.choice(["1", "2", "4", "4", "5"]),
                  rng.random() < .5) for _ in range(rng.randint(0, 30))]
    tables = tables_of(counted(responses), make_tree(parents), DEFINITION, k)
    pub = publish_units(tables)
    for b, table in tables.items():
        figures = pub.pubs[b].figures
        result = audit(table, figures, reasons=pub.pubs[b].reasons)
        assert result.passed and result.uncoupled == [], (b, result.uncoupled)


def test_the_auditor_refuses_a_units_unanimity_in_a_value_that_follows_from_other_sums():
    """The publication the harmless mark gave (above): U0's 6 nurses shown whole say that U0
    has no doctor, and the organisation's 6 doctors are then all of U1's 6. The auditor now
    protects a unit's unanimity in a breakdown value as it does an answer's
    (`UnitTable.unanimous_values`): U1's people outside "doctor" must be able to hold someone.
    Without U0's nurses it passes."""
    table, leaky = two_wards_leaking()
    result = audit(table, leaky)
    exposed = {(r.figure[0], tuple(sorted(p[1] for p in table.parts(r.figure[:2]))), r.rule)
               for r in result.exposed}
    # The group of each: the unit's people in its other values who answered ("no answer"
    # left out since the rule reads those who answered).
    assert ("U1", ("nurse",), "unanimous") in exposed
    assert ("U0", ("doctor",), "unanimous") in exposed  # U0's own nurses, shown whole
    safe = {f: v for f, v in leaky.items() if f[:2] != ("U0", "nurse")}
    assert audit(table, safe).passed
    # Suppression started without the hiding of unanimous values (as the harmless mark
    # did) is brought back to a publication that passes by the auditor alone.
    from surveys.report import units
    from surveys.report.disclosure import publish

    class Unmarked(units._UnitSuppression):
        def __init__(self, table, forced):
            super().__init__(table, forced)
            self.hidden[RESPONDENTS].discard(("U0", "nurse"))
            self.hidden[RESPONDENTS].discard(("U1", "doctor"))

    pub = publish(table, state=Unmarked(table, {}))
    assert pub.figures and audit(table, pub.figures).passed
    assert pinned_unanimity(table, pub.figures) == []


def unanimity_exposed(table, figures) -> set:
    """(place, the value held by all of it) of each unanimity the auditor refuses."""
    out = set()
    for r in audit(table, figures).exposed:
        if r.rule == "unanimous" and r.figure[2] == RESPONDENTS:
            rest = {p[1] for p in table.parts(r.figure[:2])}
            (value,) = set(table.shown_values) - rest
            out.add((r.figure[0], value))
    return out


def test_the_auditor_refuses_an_inner_units_unanimity_that_follows_by_subtraction():
    """ORG: U0 (its wards U1, U2 with 5 nurses each) and U3 (6 doctors, 4 nurses). The
    organisation's and U3's nurses, with the totals, give U0's nurses 14 − 4 = 10 of its 10."""
    responses = ([(3, "nurse", None, "4", False)] * 5 + [(4, "nurse", None, "4", False)] * 5
                 + [(5, "doctor", None, "2", False)] * 6 + [(5, "nurse", None, "2", False)] * 4)
    table = tables_of(counted(responses), make_tree([0, 1, 1, 0]), DEFINITION, 3)["profession"]
    leaky = {("ORG", ALL_MONTHS, RESPONDENTS, N): 20, ("U0", ALL_MONTHS, RESPONDENTS, N): 10,
             ("U3", ALL_MONTHS, RESPONDENTS, N): 10, ("ORG", "nurse", RESPONDENTS, N): 14,
             ("U3", "nurse", RESPONDENTS, N): 4, ("ORG", "doctor", RESPONDENTS, N): 6,
             ("U3", "doctor", RESPONDENTS, N): 6}
    assert pinned_unanimity(table, leaky) == [("U0", "nurse")]
    # And anyone in U1 or U2 a nurse (each may be empty, but not both): refused too.
    assert unanimity_exposed(table, leaky) == {("U0", "nurse"), ("U1", "nurse"),
                                               ("U2", "nurse")}
    pub = publish_units(tables_of(counted(responses), make_tree([0, 1, 1, 0]), DEFINITION, 3))
    assert pinned_unanimity(table, pub.pubs["profession"].figures) == []


def test_an_own_parts_unanimity_is_refused_and_not_published():
    """Found by review (6 December session): the organisation's own 6 staff all nurses, beside
    a unit of 5 nurses and 5 doctors (k = 5). Published were the organisation's 16 and 11
    nurses, the unit's 10 and 5 nurses: its own 16 − 10 = 6 people were 11 − 5 = 6 nurses.
    An own part is no published group, but its unanimity is a unit's (`unanimous_values` goes
    over the own parts too)."""
    responses = ([(1, "nurse", None, "4", False)] * 6 + [(2, "nurse", None, "2", False)] * 5
                 + [(2, "doctor", None, "5", False)] * 5)
    tables = tables_of(counted(responses), make_tree([0]), DEFINITION, 5)
    table = tables["profession"]
    leaky = {("ORG", ALL_MONTHS, RESPONDENTS, N): 16, ("U0", ALL_MONTHS, RESPONDENTS, N): 10,
             ("ORG", "nurse", RESPONDENTS, N): 11, ("U0", "nurse", RESPONDENTS, N): 5,
             ("ORG", "doctor", RESPONDENTS, N): 5, ("U0", "doctor", RESPONDENTS, N): 5}
    assert pinned_unanimity(table, leaky) == [("ORG" + OWN, "nurse")]
    assert unanimity_exposed(table, leaky) == {("ORG" + OWN, "nurse")}
    pub = publish_units(tables)
    for b, t in tables.items():
        assert audit(t, pub.pubs[b].figures).passed, b
        assert pinned_unanimity(t, pub.pubs[b].figures) == [], b
    assert pub.pubs["profession"].figures  # not everything hidden


def two_wards_answering_alike():
    """U0's 6 nurses and U1's 6 doctors, each beside 5 who gave no profession (k = 5), and the
    figures published before the rule covered those who answered: the organisation's 6 nurses
    and 6 doctors, U0's 6 nurses, U1's 6 doctors. The profession table, and those figures."""
    responses = ([(2, "nurse", None, "4", False)] * 6 + [(2, None, None, "3", False)] * 5
                 + [(3, "doctor", None, "2", False)] * 6 + [(3, None, None, "5", False)] * 5)
    table = tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5)["profession"]
    leaky = {("ORG", ALL_MONTHS, RESPONDENTS, N): 22, ("ORG", "doctor", RESPONDENTS, N): 6,
             ("ORG", "nurse", RESPONDENTS, N): 6, ("U0", ALL_MONTHS, RESPONDENTS, N): 11,
             ("U0", "nurse", RESPONDENTS, N): 6, ("U1", ALL_MONTHS, RESPONDENTS, N): 11,
             ("U1", "doctor", RESPONDENTS, N): 6}
    return responses, table, leaky


def test_a_units_unanimity_among_those_who_answered_the_breakdown_is_refused():
    """Found by review (6 December session), left open then: the rule protected a value holding
    *all* of a unit, "no answer" included. U0's 6 nurses beside 5 who gave no profession were
    published as U0's 6 nurses and the organisation's 6 nurses and 6 doctors, U1's 6 doctors:
    U0's doctors 6 − 6 = 0, so everyone in U0 who gave a profession a nurse, and everyone in
    U1 who did a doctor. A question's unanimity is protected among those who answered it; a
    breakdown value's now is too."""
    responses, table, leaky = two_wards_answering_alike()
    assert pinned_unanimity(table, leaky) == [("U0", "nurse"), ("U1", "doctor")]
    assert unanimity_exposed(table, leaky) >= {("U0", "nurse"), ("U1", "doctor")}
    tables = tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5)
    pub = publish_units(tables)
    for b, t in tables.items():
        assert audit(t, pub.pubs[b].figures, reasons=shown_reasons(pub, b)).passed, b
        assert pinned_unanimity(t, pub.pubs[b].figures) == [], b
    assert pub.get("profession", "U0", "nurse", RESPONDENTS, N) is None
    assert pub.get("profession", "U1", "doctor", RESPONDENTS, N) is None
    assert pub.get("profession", "ORG", "nurse", RESPONDENTS, N) == 6  # not everything hidden


def test_a_breakdown_of_one_choice_protects_a_unit_that_chose_it_whole():
    """With one choice, answering a breakdown question is choosing it: its unanimity is that of
    all of a unit's respondents, "no answer" the other value. U0's 6 all managers is hidden
    (and stays so given everything published); the organisation's 12 managers beside 5 who
    did not say are shown."""
    definition = copy.deepcopy(DEFINITION)
    definition["questions"][1]["choices"] = [{"id": "nurse", "label": {"fi": "Esihenkilö"}}]
    responses = ([(2, "nurse", None, "4", False)] * 6 + [(3, "nurse", None, "2", False)] * 6
                 + [(3, None, None, "5", False)] * 5)
    tables = tables_of(counted(responses), make_tree([0, 0]), definition, 5)
    table = tables["profession"]
    assert table.held_by_all_answering(table.units) == [("U0", "nurse")]
    leaky = {("U0", ALL_MONTHS, RESPONDENTS, N): 6, ("U0", "nurse", RESPONDENTS, N): 6}
    assert pinned_unanimity(table, leaky) == [("U0", "nurse")]
    assert unanimity_exposed(table, leaky) == {("U0", "nurse")}
    together = units._publish_together(tables)
    pub = publish_units(tables)
    for p in (together, pub):
        for b, t in tables.items():
            assert audit(t, p.pubs[b].figures, reasons=shown_reasons(p, b)).passed, b
            assert pinned_unanimity(t, p.pubs[b].figures) == [], b
        assert p.get("profession", "U0", "nurse", RESPONDENTS, N) is None
    assert together.get("profession", "ORG", "nurse", RESPONDENTS, N) == 12  # 5 did not say
    # Published together, U0's total went with its value (and the organisation's workload
    # results with it), which the table without a breakdown shows: `publish_units` withholds
    # the profession's values instead (test_a_breakdown_that_would_hide_the_unit_totals_...).
    assert together.get(UNIT_TOTAL, "U0", ALL_MONTHS, RESPONDENTS, N) is None
    assert pub.withheld_for_totals == ["profession"]
    assert pub.get(UNIT_TOTAL, "U0", ALL_MONTHS, RESPONDENTS, N) == 6


class Views:
    """Figures of each view by hand, shaped as `publish_units` gives them (no reasons)."""

    def __init__(self, figures: dict) -> None:
        self.pubs = {b: type("View", (), {"figures": f, "reasons": {}})()
                     for b, f in figures.items()}


def test_narrow_across_breakdowns_finds_what_two_breakdowns_give_together():
    """The check above finds what it looks for. ORG's 12: U0's 5 nurses and 1 who gave no
    profession, U1's 5 old doctors and 1 who gave no age (k = 5), the units' totals hidden.
    The profession view's U0 nurses (5) say U0 has at least 5, the age view's U1 old (5) that
    U1 has at least 5, so U0 at most 7: together U0's people without a profession are 0 … 2,
    while either view alone leaves them 0 … 7."""
    tree = make_tree([0, 0])
    responses = ([(2, "nurse", "young", "4", False)] * 5 + [(2, None, "young", "4", False)]
                 + [(3, "doctor", "old", "2", False)] * 5 + [(3, "doctor", None, "2", False)])
    tables = tables_of(counted(responses), tree, DEFINITION, 5)
    total = {("ORG", ALL_MONTHS, RESPONDENTS, N): 12}
    nurses = {("U0", "nurse", RESPONDENTS, N): 5}
    old = {("U1", "old", RESPONDENTS, N): 5}
    for alone in (Views({UNIT_TOTAL: total, "profession": {**total, **nurses}, "age": total}),
                  Views({UNIT_TOTAL: total, "profession": total, "age": {**total, **old}})):
        assert narrow_across_breakdowns(tree, responses, tables, alone, 5) == []
    both = Views({UNIT_TOTAL: total, "profession": {**total, **nurses},
                  "age": {**total, **old}})
    got = {g[:3]: (round(g[3], 6), round(g[4], 6))
           for g in narrow_across_breakdowns(tree, responses, tables, both, 5)}
    assert got[("U0", "", None)] == (0, 2)
    assert got[("U1", None, "")] == (0, 2)


# 27 respondents: 8 in the organisation's own part, 13 and 6 in its two wards (k = 5), the
# profession and age often unanswered. (unit id, profession, age, workload, comment), each
# with how many gave it.
SPARSE = [((1, "doctor", "old", "4", False), 1), ((1, "doctor", "young", "2", False), 1),
          ((1, "nurse", "old", "4", False), 1), ((1, "nurse", "young", "1", False), 1),
          ((1, "nurse", None, "2", False), 1), ((1, "nurse", None, "5", False), 1),
          ((1, None, "young", "5", False), 1), ((1, None, None, "1", False), 1),
          ((2, "doctor", "old", "1", False), 1), ((2, "doctor", "young", "1", False), 1),
          ((2, "doctor", "young", "4", False), 2), ((2, "doctor", "young", "5", False), 1),
          ((2, "doctor", None, "2", False), 1), ((2, "doctor", None, "4", False), 1),
          ((2, "nurse", "old", "1", False), 2), ((2, None, "old", "4", False), 1),
          ((2, None, "old", "5", False), 1), ((2, None, "young", "1", False), 1),
          ((2, None, None, "1", False), 1), ((3, "doctor", "young", "4", False), 1),
          ((3, "doctor", None, "1", False), 1), ((3, "doctor", None, "2", False), 1),
          ((3, "doctor", None, "4", False), 1), ((3, "nurse", "young", "2", False), 1),
          ((3, None, None, "4", False), 1)]


def test_a_breakdown_that_would_hide_the_unit_totals_is_withheld_instead():
    """Found measuring (8 December session's second stop): a total hidden in one table is hidden
    in all, and the profession breakdown, a few people per unit in each value, hid the
    workload question's results of the organisation and of both wards, which the table
    without a breakdown shows (3 figures left of 16); at 150 respondents in 41 units
    (bench/units_cpu.py) nothing at all was left. The profession's values are withheld
    instead (reason "unit_totals"), the age's, which cost no total, kept; every view passes
    its audit as published."""
    tree = make_tree([0, 0])
    responses = [r for r, times in SPARSE for _ in range(times)]
    tables = tables_of(counted(responses), tree, DEFINITION, 5)
    alone = publish_units({UNIT_TOTAL: tables[UNIT_TOTAL]}).pubs[UNIT_TOTAL].figures
    assert alone[("ORG", ALL_MONTHS, "workload", N)] == 27
    assert alone[("U0", ALL_MONTHS, "workload", N)] == 13
    pub = publish_units(tables)
    assert pub.pubs[UNIT_TOTAL].figures == alone
    assert pub.withheld == ["profession"] and pub.withheld_for_totals == ["profession"]
    assert {f for f in pub.pubs["profession"].figures if f[1] != ALL_MONTHS} == set()
    assert pub.get("age", "ORG", "young", RESPONDENTS, N) == 10
    for b, table in tables.items():
        assert {f: v for f, v in pub.pubs[b].figures.items() if f[1] == ALL_MONTHS} == alone, b
        assert audit(table, pub.pubs[b].figures, reasons=pub.pubs[b].reasons).passed, b
        assert derivable_cells(table, pub.pubs[b].figures, 5) == [], b
    # Read together, the views narrow no group either (the check a cut runs after).
    answers = [(unit_id, {q: v for q, v in (("profession", p), ("age", a)) if v is not None})
               for unit_id, p, a, *_rest in responses]
    assert withhold_across(pub, {}, pairs_of(answers, tree, ["profession", "age"])) == ([], True)
    assert narrow_across_breakdowns(tree, responses, tables, pub, 5) == []


# Found by review (8 December session's second stop): a breakdown that keeps every unit's n but
# not a question's mean in one (k = 3; U1's 11 answerers of the workload question).
MEAN_LOST = [(1, "nurse", "old", "2", True), (3, "nurse", "old", "4", True),
             (1, None, "young", "2", True), (2, "doctor", "old", "4", False),
             (2, "doctor", None, "4", False), (3, "doctor", "old", "4", False),
             (3, "doctor", "old", "1", True), (3, "doctor", "old", "4", False),
             (3, "nurse", "young", "4", False), (2, "nurse", None, "5", True),
             (2, "doctor", "young", "5", True), (1, "doctor", "old", "2", False),
             (1, "doctor", None, "1", True), (3, "doctor", "young", "1", False),
             (1, "nurse", None, "4", False), (2, "doctor", None, "4", False),
             (2, "doctor", None, "4", False), (3, "nurse", "old", "5", True),
             (2, "nurse", "old", "1", False), (3, None, "young", "5", False),
             (2, "nurse", "young", "2", True), (3, None, None, "2", True),
             (3, None, "young", "4", False), (3, None, None, "4", True),
             (2, "doctor", "old", "5", False), (2, "doctor", None, "1", True),
             (1, "doctor", "old", "5", False), (2, "nurse", "old", "2", True),
             (1, "doctor", "old", "2", False)]


def test_a_breakdown_that_would_leave_a_units_question_without_its_mean_is_withheld():
    """The tables published together show U1's 11 answerers of the workload question but not
    their mean, which the table without a breakdown shows: the mean is a result HR reads, so
    the breakdown costing it is withheld too (an option count withheld more is not counted)."""
    tables = tables_of(counted(MEAN_LOST), make_tree([0, 0]), DEFINITION, 3)
    mean = ("U1", ALL_MONTHS, "workload", "mean")
    alone = publish_units({UNIT_TOTAL: tables[UNIT_TOTAL]}).pubs[UNIT_TOTAL].figures
    together = units._publish_together(tables).pubs[UNIT_TOTAL].figures
    assert mean in alone and mean not in together
    assert ("U1", ALL_MONTHS, "workload", N) in together
    pub = publish_units(tables)
    assert pub.pubs[UNIT_TOTAL].figures[mean] == alone[mean]
    assert pub.withheld_for_totals == ["profession"]
    for b, table in tables.items():
        assert audit(table, pub.pubs[b].figures, reasons=pub.pubs[b].reasons).passed, b


def test_a_purge_keeps_the_first_breakdown_still_showing_its_values():
    """Found by review: where the pairs cannot be read (the raw responses purged), a cut or
    `live` withholds every breakdown but the first (`_withhold_from(pub, 1)`); counted from the
    survey's first, the profession withheld for the unit totals was that one, and the age's
    values went too. Counted among those still showing, the age's stay (the rule, one
    breakdown's values at most, holds)."""
    responses = [r for r, times in SPARSE for _ in range(times)]
    pub = publish_units(tables_of(counted(responses), make_tree([0, 0]), DEFINITION, 5))
    assert pub.withheld == ["profession"]
    units._withhold_from(pub, 1)
    assert pub.withheld == ["profession"]
    assert pub.get("age", "ORG", "young", RESPONDENTS, N) == 10
