"""Sets of a place's months that a publication hides (surveys.report.audit.Table.unions with
the published figures): where one hidden month follows from another sum, the others follow
together, and each alone still ranges over 0 … k−1. Checked independently besides the
auditor: no set of up to three groups below the threshold lies in the exact rational span
of the published respondent counts."""

from __future__ import annotations

import itertools
import random

from surveys.report.audit import (
    ALL_MONTHS,
    RESPONDENTS,
    SIZE,
    N,
    QuestionModel,
    Table,
    audit,
    protected_figures,
    union_period,
)
from surveys.report.disclosure import publish
from surveys.report.units import publish_units, tables_of
from tests.unit.report.test_unit_disclosure import DEFINITION as UNIT_DEFINITION
from tests.unit.report.test_unit_disclosure import Span, make_tree
from tests.unit.report.test_unit_disclosure import counted as unit_counted

AREA_OF = {"17": "lansi", "18": "pohjois", "19": "pohjois", "21": "pohjois", "01": "etela"}
MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04")
Q = QuestionModel("got_help", "one", ("1", "2", "3", "4", "5"), (1, 2, 3, 4, 5))


def table(sizes: dict[tuple[str, str], int], k: int = 5) -> Table:
    """Respondents per (county, month); everyone answered, spread over the options."""
    cells = {}
    for (county, month), n in sizes.items():
        counts = {str(o): 0 for o in range(1, 6)}
        for i in range(n):
            counts[str(2 + i % 3)] += 1
        cells[(county, month)] = {"*": {"n": n}, "got_help": {"n": n, **counts}}
    return Table(AREA_OF, MONTHS, (Q,), k, cells)


def derivable_sets(t: Table, figures, k: int, largest: int = 3) -> list:
    """Sets of up to `largest` groups (a place in a month) of 1 … k−1 people whose count a
    combination of the published respondent counts gives."""
    span = Span([[1 if i in set(t.cells_of(f[:2])) else 0 for i in range(t.size)]
                 for f in figures if f[2] == RESPONDENTS and f[3] == N])
    groups = [(p, m) for p in t.places() for m in MONTHS]
    found = []
    for r in range(1, largest + 1):
        for chosen in itertools.combinations(groups, r):
            cells = {i for g in chosen for i in t.cells_of(g)}
            n = sum(t.cells.get(key, {}).get(RESPONDENTS, {}).get(N, 0)
                    for key, i in t._index.items() if i in cells)
            if 0 < n < k and span.holds([1 if i in cells else 0 for i in range(t.size)]):
                found.append((chosen, n))
    return found


SIZES = {("19", MONTHS[0]): 20, ("19", MONTHS[1]): 20, ("19", MONTHS[2]): 2,
         ("19", MONTHS[3]): 2, ("18", MONTHS[0]): 9,
         **{(c, m): 10 for c in ("17", "01") for m in MONTHS}}


def test_a_places_hidden_months_together_are_not_derivable():
    """Area pohjois: 29, 20, 2 and 2 in four months, 53 in all, k = 5. Its two small months
    are hidden, and its first month with them (so that 53 − 29 − 20 does not give them back
    together); but that month follows from the country's minus the other areas' (49 − 10 −
    10 = 29), and then the two small ones do together: 4, while each alone still ranges over
    0 … 4."""
    t = table(SIZES)
    pohjois = "area:pohjois"
    small = {(pohjois, MONTHS[2]), (pohjois, MONTHS[3])}
    # Published without its sets of months, as before the 5 December session: the set is
    # derivable, and the auditor with the sets finds it, and only sets of it.
    unaudited = publish(t, unions=False)
    assert (tuple(sorted(small)), 4) in derivable_sets(t, unaudited.figures, 5)
    hidden = [g for g in t.unions(unaudited.figures) if set(t.parts(g)) == small]
    assert len(hidden) == 1 and t.value((*hidden[0], RESPONDENTS, N)) == 4
    result = audit(t, unaudited.figures)
    assert (*hidden[0], RESPONDENTS, N) in {r.figure for r in result.exposed}
    assert audit(t, unaudited.figures, unions=False).passed
    # Published as it is: nothing below the threshold follows, the totals stay.
    pub = publish(t)
    assert pub.result.passed
    assert derivable_sets(t, pub.figures, 5) == []
    assert pub.figures[(pohjois, ALL_MONTHS, RESPONDENTS, N)] == 53
    # What goes is one group beside the month that gave the set away (the country's month
    # minus the other areas'), not the sums around the small months themselves (which took
    # eight groups, among them the area's total, before `_beside_union`).
    before = {f[:2] for f in unaudited.figures if f[2] == RESPONDENTS}
    after = {f[:2] for f in pub.figures if f[2] == RESPONDENTS}
    assert after <= before and len(before - after) == 1
    for fig, value in pub.figures.items():
        assert t.value(fig) == value


def test_random_tables_never_give_a_set_of_months_away():
    rng = random.Random(5)
    for _ in range(8):
        sizes = {(c, m): rng.choice((1, 2, 2, 3, 4, 6, 10, 20))
                 for c in AREA_OF for m in MONTHS if rng.random() < 0.6}
        t = table(sizes)
        pub = publish(t)
        assert pub.result.passed
        assert derivable_sets(t, pub.figures, 5) == [], sizes


# Found by a review of the 7 December session's second stop (k = 3): ORG's own part holds 5
# people outside the age "young" (old or no age), of whom 2 left a comment.
FIVE_OUTSIDE = [
    (2, None, "old", "1", True), (1, "nurse", None, "5", False), (1, "nurse", None, "2", False),
    (2, "doctor", None, "1", True), (1, None, "young", "2", True),
    (1, "doctor", "young", "1", True), (1, "nurse", "old", "4", False),
    (2, "nurse", None, "4", True), (1, "nurse", "old", "4", True), (2, "doctor", "old", "4", False),
    (1, "doctor", "young", "5", True), (2, "doctor", "young", "4", True),
    (2, "doctor", "young", "4", True), (2, None, "young", "5", True), (1, None, None, "2", True),
    (2, "doctor", "old", "5", False), (2, None, "old", "1", False)]


def test_a_set_of_k_or_more_with_fewer_answering_a_question_is_audited():
    """A set of a place's values holding k or more people, of whom 1 … k−1 answered a
    question, has that question's n to protect as a hidden group's: the sets were chosen by
    their respondents alone, so ORG's own part's 2 comments outside "young" (of 5 people) were
    never read (the review above)."""
    tree = make_tree([0])
    tables = tables_of(unit_counted(FIVE_OUTSIDE), tree, UNIT_DEFINITION, 3)
    age = tables["age"]
    outside = ("ORG/own", union_period(["old", ""]))
    assert outside in age.unions()
    assert age.value((*outside, RESPONDENTS, N)) == 5
    assert age.value((*outside, "comment", N)) == 2
    pub = publish_units(tables)
    figures, reasons = pub.pubs["age"].figures, pub.pubs["age"].reasons
    assert (outside + ("comment", N), SIZE) in protected_figures(age, figures)
    assert audit(age, figures, reasons=reasons).passed
