"""The invitations HR issued bound a unit's respondents from above: HR issued them, and HR's
pages show each unit's count. Read with them, the shown unit totals may pin a hidden unit
(surveys.report.units.pinned_by_invitations); publish_units then hides the total that pins it
(found by a review of the 7 December session)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from surveys.fold.units import UNIT_TOTAL
from surveys.report import units
from surveys.report.audit import (
    ALL_MONTHS,
    BELOW_THRESHOLD,
    RESPONDENTS,
    SIZE,
    N,
    audit,
    between,
    protected,
)
from surveys.report.units import publish_units, tables_of
from tests.unit.report.test_unit_disclosure import make_tree
from tests.unit.report.test_units_across_threes import DEFINITION, counted

# ORG (no invitations of its own) with U0: 4 invited, 3 answered, and U1: 7 invited, all 7
# answered (k = 5). Without the invitations the cut shows ORG's 10 and hides both units; with
# them, U0 = 10 − U1 ≥ 10 − 7 = 3, and U0 ≤ 4.
RESPONSES = [(2, "nurse", "old", "long")] * 3 + [(3, "doctor", "young", "short")] * 7
ISSUED = {"U0": 4, "U1": 7}


def totals_read_with(table, shown, invited) -> dict[str, tuple[float, float]]:
    """Each unit's respondents as bounded by the shown unit totals and the invitations: the
    program over the leaves, written out here (a second reading beside the module's)."""
    leaves = list(table.counties)
    eq = [[1.0 if leaf in table.counties_of(place) else 0.0 for leaf in leaves]
          for (place, period, key, measure) in shown
          if (period, key, measure) == (ALL_MONTHS, RESPONDENTS, N)]
    rhs = [v for (_p, period, key, measure), v in shown.items()
           if (period, key, measure) == (ALL_MONTHS, RESPONDENTS, N)]
    program = {"A_eq": np.array(eq) if eq else None, "b_eq": rhs or None,
               "bounds": [(0, invited[leaf]) for leaf in leaves], "method": "highs"}
    out = {}
    for place in table.parent_of:  # the units and their own parts
        row = [1.0 if leaf in table.counties_of(place) else 0.0 for leaf in leaves]
        out[place] = (linprog(row, **program).fun,
                      -linprog([-x for x in row], **program).fun)
    return out


def test_a_total_that_pins_a_unit_with_the_invitations_is_hidden():
    tree = make_tree([0, 0])
    tables = tables_of(counted(RESPONSES), tree, DEFINITION, 5)
    invited = units.invited_per_leaf(tables[UNIT_TOTAL], ISSUED)
    assert invited == {"U0": 4, "U1": 7}  # (ORG has no part of its own here)
    blind = publish_units(tables).pubs[UNIT_TOTAL].figures
    assert blind[("ORG", ALL_MONTHS, RESPONDENTS, N)] == 10
    assert totals_read_with(tables[UNIT_TOTAL], blind, invited)["U0"] == (3, 4)
    assert units.pinned_by_invitations(tables[UNIT_TOTAL], blind, invited) == ["U0"]
    pub = publish_units(tables_of(counted(RESPONSES), tree, DEFINITION, 5, issued=ISSUED))
    for b, p in pub.pubs.items():  # hidden in every table
        assert ("ORG", ALL_MONTHS, RESPONDENTS, N) not in p.figures, b
    low, high = totals_read_with(tables[UNIT_TOTAL], pub.pubs[UNIT_TOTAL].figures,
                                 invited)["U0"]
    assert protected(SIZE, low, high, 5)
    assert units.pinned_by_invitations(tables[UNIT_TOTAL], pub.pubs[UNIT_TOTAL].figures,
                                       invited) == []


def test_an_earlier_release_is_read_with_the_invitations():
    """Counts only grow: U1's 7 in an earlier release, with its 7 invitations, is U1's 7 now,
    and ORG's 10 now then gives U0's 3, though ORG's 10 and the invitations alone leave
    U0 anywhere in 3 … 9."""
    tree = make_tree([0, 0])
    tables = tables_of(counted(RESPONSES), tree, DEFINITION, 5)
    invited = {"U0": 9, "U1": 7}
    now = {("ORG", ALL_MONTHS, RESPONDENTS, N): 10.0}
    assert units.pinned_by_invitations(tables[UNIT_TOTAL], now, invited) == []
    earlier = {("ORG", ALL_MONTHS, RESPONDENTS, N): 9.0, ("U1", ALL_MONTHS, RESPONDENTS, N): 7.0}
    assert units.pinned_by_invitations(tables[UNIT_TOTAL], now, invited,
                                       [units.unit_sums(tables[UNIT_TOTAL], earlier)]) == ["U0"]


def test_an_own_part_pinned_by_the_invitations_is_protected():
    """A unit's own part is never shown, and protected all the same: ORG over U0 over U1, U0's
    own 3 of 4 invited, U1's 7 of 7. Shown U0's 10 less U1's (at most 7, all answered) left U0's
    own part 3 … 4 (found by the review of the fix)."""
    tree = make_tree([0, 1])  # U1 under U0
    responses = [(2, "nurse", "old", "long")] * 3 + [(3, "doctor", "young", "short")] * 7
    tables = tables_of(counted(responses), tree, DEFINITION, 5)
    invited = units.invited_per_leaf(tables[UNIT_TOTAL], {"U0": 4, "U1": 7})
    assert invited == {"U0/own": 4, "U1": 7}
    blind = publish_units(tables).pubs[UNIT_TOTAL].figures
    assert totals_read_with(tables[UNIT_TOTAL], blind, invited)["U0/own"] == (3, 4)
    shown = publish_units(tables_of(counted(responses), tree, DEFINITION, 5,
                                    issued={"U0": 4, "U1": 7})).pubs[UNIT_TOTAL].figures
    low, high = totals_read_with(tables[UNIT_TOTAL], shown, invited)["U0/own"]
    assert protected(SIZE, low, high, 5), (low, high)


@st.composite
def cases(draw):
    n = draw(st.integers(1, 4))
    parents = [draw(st.integers(0, i)) for i in range(n)]
    k = draw(st.sampled_from([3, 5]))
    responses = draw(st.lists(st.tuples(
        st.integers(1, n + 1), st.sampled_from([None, "nurse", "doctor"]),
        st.sampled_from([None, "young", "old"]), st.sampled_from([None, "short", "long"])),
        max_size=30))
    spare = draw(st.lists(st.integers(0, 3), min_size=n + 1, max_size=n + 1))
    return parents, k, responses, spare


def generated(case):
    """A generated case (`cases`): its threshold, its tables read with the invitations
    (each unit's answers and its spare invitations; a unit's own part with invitations is a
    leaf, answered or not), their publication, and the invitations per leaf."""
    parents, k, responses, spare = case
    tree = make_tree(parents)
    codes = {u.id: u.code for _d, u in tree.rows}
    answered = {c: 0 for c in codes.values()}
    for unit_id, *_values in responses:
        answered[codes[unit_id]] += 1
    issued = {c: answered[c] + spare[i] for i, c in enumerate(sorted(answered))}
    tables = tables_of(counted(responses), tree, DEFINITION, k, issued=issued)
    invited = units.invited_per_leaf(tables[UNIT_TOTAL], issued)
    return k, tables, publish_units(tables), invited


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_what_publish_units_shows_pins_no_unit_with_the_invitations(case):
    """Over generated trees, answers and invitations (each unit's answers and up to 3 more),
    no unit of 1 … k−1 respondents is pinned by the shown unit totals read with the
    invitations, by the second reading above."""
    k, tables, pub, invited = generated(case)
    shown = pub.pubs[UNIT_TOTAL].figures
    ranges = totals_read_with(tables[UNIT_TOTAL], shown, invited)
    for place, (low, high) in ranges.items():
        truth = tables[UNIT_TOTAL].value((place, ALL_MONTHS, RESPONDENTS, N)) or 0
        if 0 < truth < k and (place, ALL_MONTHS, RESPONDENTS, N) not in shown:
            cap = sum(invited[leaf] for leaf in tables[UNIT_TOTAL].counties_of(place))
            # the size rule, its "none … k − 1" up to the invitations where fewer were issued
            assert protected(SIZE, low, high, k) or (low <= 1e-6 and high >= min(k - 1, cap)
                                                     - 1e-6), (place, truth, low, high, cap)


def values_read_with(table, figures, reasons, invited) -> dict:
    """Each group (place, value) of a breakdown's table as bounded by its shown respondents,
    its reasons and the invitations (each leaf's respondents over all its values at most its
    invitations): a program over the (leaf, value) cells, written out here."""
    cells = [(leaf, v) for leaf in table.counties for v in table.months]

    def row(place, period):
        values = table.months if period == ALL_MONTHS else (period,)
        leaves = table.counties_of(place)
        return [1.0 if c in leaves and v in values else 0.0 for c, v in cells]

    eq = [(row(p, per), v) for (p, per, key, measure), v in figures.items()
          if (key, measure) == (RESPONDENTS, N)]
    ub = [(row(p, per), k_1) for (p, per, key), r in reasons.items() if key == RESPONDENTS
          for k_1 in [table.threshold - 1] if r == BELOW_THRESHOLD]
    ub += [([-x for x in row(p, per)], -table.threshold)
           for (p, per, key), r in reasons.items() if key == RESPONDENTS and r != BELOW_THRESHOLD]
    ub += [(row(leaf, ALL_MONTHS), invited[leaf]) for leaf in table.counties]
    program = {"A_eq": np.array([r for r, _v in eq]) if eq else None,
               "b_eq": [v for _r, v in eq] or None,
               "A_ub": np.array([r for r, _v in ub]), "b_ub": [v for _r, v in ub],
               "bounds": [(0, None)] * len(cells), "method": "highs"}
    out = {}
    for place in table.parent_of:
        for period in [*table.shown_values, ALL_MONTHS]:
            target = row(place, period)
            out[(place, period)] = (linprog(target, **program).fun,
                                    -linprog([-x for x in target], **program).fun)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
@example(([0], 3, [(1, None, None, None)] * 2 + [(2, None, None, None)], [0, 0]))  # (below)
# ORG's own 2 invitations unanswered: read over the tables with its own part as a leaf.
@example(([0, 0], 3, [(2, None, None, None)] * 2 + [(3, None, None, None)], [2, 0, 1]))
def test_what_publish_units_shows_pins_no_breakdown_value_with_the_invitations(case):
    """The breakdowns' values too: a hidden value of a unit (or of its own part) of 1 … k−1
    respondents is not pinned by its table's shown figures and reasons read with the
    invitations. Until the 7 December session's second stop only the unit totals were read
    with them."""
    k, tables, pub, invited = generated(case)
    for b, table in tables.items():
        if b == UNIT_TOTAL:
            continue
        p = pub.pubs[b]
        for (place, period), (low, high) in values_read_with(
                table, p.figures, p.reasons, invited).items():
            truth = table.value((place, period, RESPONDENTS, N)) or 0
            if 0 < truth < k and (place, period, RESPONDENTS, N) not in p.figures:
                cap = sum(invited[leaf] for leaf in table.counties_of(place))
                assert protected(SIZE, low, high, k) or (
                    low <= 1e-6 and high >= min(k - 1, cap) - 1e-6), (
                        b, place, period, truth, low, high, cap)


# Found by a probe of this generator in the 7 December session's fifth stop, without the gate
# below: ORG's own part's, U1's and U2's nurses and no-answers, 2 people, within 2 … 3 by ORG's
# total less ORG's doctors, and U3's non-doctors bounded by its invitations.
NARROWED_BY_INVITATIONS = ([0, 1, 1], 3, [
    (3, None, "young", "long"), (2, "nurse", "old", "long"), (1, "nurse", "old", "short"),
    (4, "doctor", None, None), (3, "doctor", "old", "short"), (3, "doctor", "young", "long")],
    [3, 0, 1, 2])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
@example(NARROWED_BY_INVITATIONS)
def test_what_publish_units_shows_narrows_no_set_of_cells_with_the_invitations(case):
    """Not only groups: no set of a table's cells (units' values across the tree) of 1 … k−1
    respondents or answers is pinned or narrowed below the size rule by what a table shows
    and says, read with the invitations (surveys.report.narrowing, the search the gate after
    the auditor runs, here on the publication as it stands after the tables were reconciled).
    The auditor lists sets of a unit's values and across a sum's hidden places; the example
    is a set across three places of two levels, which it did not list (the gate off, this
    failed on it)."""
    from surveys.report.narrowing import narrowed_sets

    k, tables, pub, _invited = generated(case)
    for b, table in tables.items():
        p = pub.pubs[b]
        for key in [RESPONDENTS, *(q.id for q in table.questions)]:
            assert narrowed_sets(table, p.figures, key) == [], (b, key)
            assert narrowed_sets(table, p.figures, key, reasons=p.reasons) == [], (b, key)


def test_a_reason_read_with_the_invitations_gives_no_unit_away():
    """ORG's own 2 of 2 invited and U0's 1 of 1 answered (k = 3), nothing shown: ORG's reason
    "hidden to protect another" says it holds at least 3, all of its 3 invitations, and so
    U0's one respondent (and its own part's 2). Found by the property test above (its
    example; the reasons were not read with the invitations): the auditor reads them together
    now, the reason is withdrawn, and U0 could be nobody."""
    tree = make_tree([0])
    responses = [(1, None, None, None)] * 2 + [(2, None, None, None)]
    tables = tables_of(counted(responses), tree, DEFINITION, 3, issued={"ORG": 2, "U0": 1})
    assert tables[UNIT_TOTAL].caps == {"ORG/own": 2, "U0": 1}
    reason = {("ORG", ALL_MONTHS, RESPONDENTS): "secondary"}
    blind = tables_of(counted(responses), tree, DEFINITION, 3)[UNIT_TOTAL]
    assert audit(blind, {}, reasons=reason).passed
    read = audit(tables[UNIT_TOTAL], {}, reasons=reason, full_ranges=True)
    assert {(r.figure[0], round(r.low), round(r.high)) for r in read.exposed} == {
        ("U0", 1, 1), ("ORG/own", 2, 2)}
    pub = publish_units(tables)
    for b, table in tables.items():
        p = pub.pubs[b]
        low, high = values_read_with(table, p.figures, p.reasons, table.caps)[("U0", ALL_MONTHS)]
        assert (low, high) == (0, 1), b


def test_an_own_part_with_invitations_and_no_respondents_is_read_with_them():
    """ORG over U0 over U1, and U2 (k = 5): U0's 20 own invitations unanswered, U1's 1 of 1,
    U2's 6 of 10. Without a leaf for U0's own part its count was read as none and U0's bound
    as U1's 1: [0, 1] passed, and ORG's 7 with U2's reason "hidden to protect another" (at
    least 5) left U0 at 0 … 2 of 21 invited (found by a review of the 7 December session's
    second stop). The own part is a leaf now, and U0 anything from none to 4."""
    tree = make_tree([0, 1, 0])
    responses = [(3, None, None, None)] + [(4, None, None, None)] * 6
    tables = tables_of(counted(responses), tree, DEFINITION, 5,
                       issued={"U0": 20, "U1": 1, "U2": 10})
    assert tables[UNIT_TOTAL].caps == {"U0/own": 20, "U1": 1, "U2": 10}
    pub = publish_units(tables)
    for b, table in tables.items():
        p = pub.pubs[b]
        low, high = values_read_with(table, p.figures, p.reasons, table.caps)[("U0", ALL_MONTHS)]
        assert protected(SIZE, low, high, 5, 21), (b, low, high)


def totals_over_times(table, times) -> dict[str, tuple[float, float]]:
    """Each place's respondents now, read from the unit totals' figures and reasons of each
    time (newest first: (figures, reasons, each leaf's invitations then)), counts only growing:
    the program over the leaves per time, written out here."""
    leaves = list(table.counties)
    m = len(leaves)
    width = m * len(times)

    def row(place, t):
        out = np.zeros(width)
        for i, leaf in enumerate(leaves):
            if leaf in table.counties_of(place):
                out[t * m + i] = 1.0
        return out

    eq, rhs, ub, ub_rhs = [], [], [], []
    for t, (figures, reasons, _caps) in enumerate(times):
        for (place, period, key, measure), v in figures.items():
            if (period, key, measure) == (ALL_MONTHS, RESPONDENTS, N):
                eq.append(row(place, t))
                rhs.append(v)
        for (place, period, key), r in reasons.items():
            if (period, key) == (ALL_MONTHS, RESPONDENTS):
                below = r == BELOW_THRESHOLD
                ub.append(row(place, t) if below else -row(place, t))
                ub_rhs.append(table.threshold - 1 if below else -table.threshold)
    for t in range(1, len(times)):
        for i in range(m):
            ub.append(np.eye(width)[t * m + i] - np.eye(width)[(t - 1) * m + i])
            ub_rhs.append(0.0)
    program = {"A_eq": np.array(eq) if eq else None, "b_eq": rhs or None,
               "A_ub": np.array(ub) if ub else None, "b_ub": ub_rhs or None,
               "bounds": [(0, caps[leaf]) for _f, _r, caps in times for leaf in leaves],
               "method": "highs"}
    return {place: (linprog(row(place, 0), **program).fun,
                    -linprog(-row(place, 0), **program).fun) for place in table.parent_of}


def test_an_earlier_release_is_read_with_the_invitations_issued_by_then():
    """U0's 1 of 10 invited and U1's 4 of 4 answered at the first release (k = 3), which
    showed ORG's 5; U1 then got 100 invitations and 3 more answers. Read with today's
    invitations only, the second release showed ORG's 8 with U0's reason "at most 2": with
    U1's 4 of then, U0 was at least 1 (a review of the 7 December session's second stop). An
    earlier layer carries the invitations of its time now (`units._bounded`, read by the
    auditor as reasons `audit.between`)."""
    tree = make_tree([0, 0])
    first = [(2, None, None, None)] + [(3, None, None, None)] * 4
    then, now = {"U0": 10, "U1": 4}, {"U0": 10, "U1": 100}
    t1 = tables_of(counted(first), tree, DEFINITION, 3, issued=then)
    t2 = tables_of(counted(first + [(3, None, None, None)] * 3), tree, DEFINITION, 3,
                   issued=now)
    pub1 = publish_units(t1)
    old = {b: [(p.figures, p.reasons)] for b, p in pub1.pubs.items()}
    bounded = {b: [units._bounded(layer, {"U1": 4}, 3) for layer in ls] for b, ls in old.items()}
    for history, kept in ((old, False), (bounded, True)):
        p2 = publish_units(t2, history=history).pubs[UNIT_TOTAL]
        p1 = pub1.pubs[UNIT_TOTAL]
        low, high = totals_over_times(t2[UNIT_TOTAL], [(p2.figures, p2.reasons, now),
                                                       (p1.figures, p1.reasons, then)])["U0"]
        assert protected(SIZE, low, high, 3, 10) is kept, (low, high, p2.figures, p2.reasons)


def test_an_earlier_times_bound_keeps_the_reason_it_showed():
    """A group has one reason per layer: the bound of then is taken together with the reason
    the layer showed, not put in its place (a review: U1's "hidden to protect another", at
    least k, replaced by "at most 4" left U1 anything from 0, and a set of U1's pinned)."""
    layer = ({}, {("U0", ALL_MONTHS, RESPONDENTS): BELOW_THRESHOLD,
                  ("U1", ALL_MONTHS, RESPONDENTS): "secondary"})
    _figures, reasons = units._bounded(layer, {"U0": 9, "U1": 4, "U2": 2}, 3)
    assert {g[0]: r for g, r in reasons.items()} == {
        "U0": between(0, 2), "U1": between(3, 4), "U2": between(0, 2)}
