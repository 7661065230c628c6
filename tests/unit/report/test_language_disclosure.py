"""The language breakdown is part of the audited publication: a small language group is hidden,
not recoverable by differencing (a place's total minus its other languages, the country's
language group minus the areas'), bounded by the auditor; and the reasons published for hidden
groups are true and never pin a small group (surveys.report.disclosure, audit)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from bench.derivable_sets import derivable
from surveys.report.audit import (
    ALL_MONTHS,
    BELOW_THRESHOLD,
    PROTECTS_OTHER,
    RESPONDENTS,
    SIZE,
    N,
    QuestionModel,
    Table,
    audit,
    lang_period,
)
from surveys.report.disclosure import publish, publish_without_months
from tests.unit.report.test_unit_disclosure import Span
from tests.unit.staff.test_suppression import _in_span

AREA_OF = {"17": "lansi", "18": "pohjois", "19": "pohjois", "21": "pohjois", "01": "etela"}
MONTHS = ("2026-01", "2026-02")
LANGS = ("fi", "sv", "se")
Q = QuestionModel("got_help", "one", ("1", "2", "3", "4", "5"), (1, 2, 3, 4, 5))


def table(sizes: dict[tuple[str, str, str], int], k: int = 5) -> Table:
    """Respondents per (county, month, language); everyone answered, spread over the options."""
    cells = {}
    for (county, month, lang), n in sizes.items():
        counts = {str(o): 0 for o in range(1, 6)}
        for i in range(n):
            counts[str(2 + i % 3)] += 1
        cells[(county, month, lang)] = {"*": {"n": n}, "got_help": {"n": n, **counts}}
    return Table(AREA_OF, MONTHS, (Q,), k, cells, LANGS)


def differencing_leaks(t: Table, figures, k: int) -> list:
    """Groups of 1 … k−1 people a sum and its shown parts give back (one hidden part)."""
    leaks = []
    for key in (RESPONDENTS, Q.id):
        for parent, parts in t.relations():
            if (*parent, key, N) not in figures:
                continue
            hidden = [p for p in parts if (*p, key, N) not in figures]
            if len(hidden) == 1 and 0 < t._sum(hidden[0], key, N) < k:
                leaks.append((hidden[0], key))
    return leaks


def test_a_small_language_group_is_hidden_and_its_complement_too():
    t = table({("19", "2026-01", "fi"): 18, ("19", "2026-01", "sv"): 3,
               ("17", "2026-01", "fi"): 20, ("17", "2026-02", "sv"): 9,
               ("01", "2026-02", "fi"): 12})
    pub = publish(t)
    assert pub.result.passed
    sv = ("19", lang_period("sv"), RESPONDENTS, N)
    assert sv not in pub.figures
    # The county's total stays (a small language costs the breakdown, not the place).
    assert pub.figures[("19", ALL_MONTHS, RESPONDENTS, N)] == 21
    assert ("19", lang_period("fi"), RESPONDENTS, N) not in pub.figures
    assert differencing_leaks(t, pub.figures, 5) == []
    # The auditor bounds the language cell, and would catch the complement published.
    assert any(r.figure == sv and r.rule == SIZE for r in pub.result.ranges)
    leaky = dict(pub.figures)
    leaky[("19", lang_period("fi"), RESPONDENTS, N)] = 18
    assert sv in {r.figure for r in audit(t, leaky).exposed}
    # Every shown figure is the true one.
    for fig, value in pub.figures.items():
        assert t.value(fig) == value


def test_the_countrys_language_group_minus_the_areas_does_not_give_a_county_back():
    """Only county 19 has Swedish speakers in its area: the country's Swedish group minus the
    other areas' would be them."""
    t = table({("19", "2026-01", "fi"): 15, ("19", "2026-01", "sv"): 2,
               ("17", "2026-01", "fi"): 15, ("17", "2026-01", "sv"): 8,
               ("01", "2026-01", "fi"): 10, ("01", "2026-01", "sv"): 7})
    pub = publish(t)
    assert pub.result.passed
    assert differencing_leaks(t, pub.figures, 5) == []
    for place in ("19", "area:pohjois"):
        assert (place, lang_period("sv"), RESPONDENTS, N) not in pub.figures


def test_random_tables_never_leak_a_language_group():
    rng = random.Random(13)
    for _ in range(6):
        sizes = {}
        for county, month, lang in itertools.product(AREA_OF, MONTHS, LANGS):
            if rng.random() < 0.5:
                sizes[(county, month, lang)] = rng.choice((1, 2, 3, 4, 6, 9, 15))
        t = table(sizes)
        for pub in (publish(t), publish_without_months(t)):
            assert pub.result.passed
            assert differencing_leaks(pub.table, pub.figures, 5) == []
            assert derivable_sets_of_languages(pub.table, pub.figures, 5) == []
            assert derivable_sets(pub.table, pub.figures, 5) == []
            for (place, period, key), reason in pub.reasons.items():
                value = pub.table._sum((place, period), key, N)
                assert reason == (BELOW_THRESHOLD if value < 5 else PROTECTS_OTHER)
            # The reasons, added to the attacker's system, still pass the audit.
            assert audit(pub.table, pub.figures, reasons=pub.reasons).passed


def derivable_sets_of_languages(t: Table, figures, k: int) -> list:
    """Sets of two or more of a place's languages, not all, holding 1 … k−1 people whose
    count a combination of the published respondent counts gives (exact rational span): an
    independent check besides the auditor."""
    rows = []
    for (place, period, key, measure) in figures:
        if key == RESPONDENTS and measure == N:
            cells = set(t.cells_of((place, period)))
            rows.append([1 if i in cells else 0 for i in range(t.size)])
    found = []
    for place in t.places():
        for r in range(2, len(LANGS)):
            for langs in itertools.combinations(LANGS, r):
                groups = [(place, lang_period(lg)) for lg in langs]
                if not 0 < sum(t._sum(g, RESPONDENTS, N) for g in groups) < k:
                    continue
                cells = {i for g in groups for i in t.cells_of(g)}
                if _in_span(rows, [1 if i in cells else 0 for i in range(t.size)]):
                    found.append((place, langs))
    return found


def test_a_places_other_languages_together_are_not_derivable():
    """County 19: 6 in Finnish, 2 in Swedish and 2 in Northern Sámi, k = 5. Its total (10) is
    shown, and its Finnish group follows from the area's minus the other counties' (41 − 20 −
    15 = 6): Swedish and Sámi together would be exactly 4, a group below the threshold that no
    published category names, while each alone still ranges over 0 … 4 and passes."""
    t = table({("19", "2026-01", "fi"): 6, ("19", "2026-01", "sv"): 2,
               ("19", "2026-01", "se"): 2,
               ("18", "2026-01", "fi"): 20, ("18", "2026-01", "sv"): 7,
               ("18", "2026-01", "se"): 6,
               ("21", "2026-01", "fi"): 15, ("21", "2026-01", "sv"): 8,
               ("21", "2026-01", "se"): 9,
               ("17", "2026-01", "fi"): 20, ("01", "2026-02", "fi"): 12})
    union = ("19", next(g[1] for g in t.unions() if g[0] == "19"
                        and sorted(t.parts(g)) == [("19", lang_period("se")),
                                                   ("19", lang_period("sv"))]))
    # Published without its sets of languages, the publication gives the set away; the
    # auditor finds it, and only it: each language alone passes.
    unaudited = publish(t, unions=False)
    assert derivable_sets_of_languages(t, unaudited.figures, 5) == [("19", ("sv", "se"))]
    result = audit(t, unaudited.figures)
    assert not result.passed
    assert {r.figure[:2] for r in result.exposed} == {union}
    assert audit(t, unaudited.figures, unions=False).passed
    # Published as it is, the set is audited and holds.
    pub = publish(t)
    assert pub.result.passed
    assert derivable_sets_of_languages(t, pub.figures, 5) == []
    assert (*union, RESPONDENTS, N) in {r.figure for r in pub.result.ranges}
    # The county's total stays shown: what goes is near its languages.
    assert pub.figures[("19", ALL_MONTHS, RESPONDENTS, N)] == 10
    for fig, value in pub.figures.items():
        assert t.value(fig) == value


def test_hidden_counties_other_languages_together_are_not_derivable():
    """Counties 19 (3 in Finnish, 1 in Swedish) and 21 (3 and 3) are hidden in their area (19
    below the threshold, 21 to cover it): together they are the area's 38 minus county 18's 28
    = 10, and their Finnish groups the area's 26 minus 18's 20 = 6 (both at least k, as the
    heuristic keeps them), so their people in the other languages would follow together: 4,
    across two counties. Sets across a sum's hidden places are audited (`Table._across`)."""
    t = table({("19", "2026-01", "fi"): 3, ("19", "2026-01", "sv"): 1,
               ("21", "2026-01", "fi"): 3, ("21", "2026-01", "sv"): 3,
               ("18", "2026-01", "fi"): 20, ("18", "2026-01", "se"): 8,
               ("17", "2026-01", "fi"): 20, ("17", "2026-01", "sv"): 9,
               ("01", "2026-02", "fi"): 12, ("01", "2026-02", "sv"): 6})
    pub = publish(t)
    assert pub.result.passed
    assert derivable_sets(t, pub.figures, 5) == []
    across = [r.figure for r in pub.result.ranges
              if {p for p, _ in t.parts(r.figure[:2])} == {"19", "21"}]
    assert across  # audited
    # The areas' and the country's totals stay.
    assert pub.figures[("area:pohjois", ALL_MONTHS, RESPONDENTS, N)] == 38
    for fig, value in pub.figures.items():
        assert t.value(fig) == value


def derivable_sets(t: Table, figures, k: int, largest: int = 4) -> list:
    """Sets of up to `largest` groups of a county in a language, of 1 … k−1 people, whose
    count a combination of the published respondent counts gives (exact rational span)."""
    span = Span([[1 if i in set(t.cells_of(f[:2])) else 0 for i in range(t.size)]
                 for f in figures if f[2] == RESPONDENTS and f[3] == N])
    groups = [(c, lang_period(lg)) for c in t.counties for lg in LANGS]
    found = []
    for r in range(1, largest + 1):
        for chosen in itertools.combinations(groups, r):
            n = sum(t._sum(g, RESPONDENTS, N) for g in chosen)
            if 0 < n < k:
                cells = {i for g in chosen for i in t.cells_of(g)}
                if span.holds([1 if i in cells else 0 for i in range(t.size)]):
                    found.append((chosen, n))
    return found


def test_reasons_that_would_pin_a_small_group_are_withdrawn():
    """Counties 18 (3) and 21 (4) hidden together beside 19 (40) in a shown area: "both below
    the threshold" with 3 + 4 = 7 would put each at 3 … 4."""
    t = Table({"18": "pohjois", "19": "pohjois", "21": "pohjois"}, ("2026-01",), (), 5,
              {("18", "2026-01"): {"*": {"n": 3}}, ("21", "2026-01"): {"*": {"n": 4}},
               ("19", "2026-01"): {"*": {"n": 40}}})
    pub = publish(t)
    assert pub.figures[("19", ALL_MONTHS, RESPONDENTS, N)] == 40
    assert pub.figures[("area:pohjois", ALL_MONTHS, RESPONDENTS, N)] == 47
    both = {("18", ALL_MONTHS, RESPONDENTS), ("21", ALL_MONTHS, RESPONDENTS)}
    assert not both <= {g for g, r in pub.reasons.items() if r == BELOW_THRESHOLD}
    assert audit(t, pub.figures, reasons=pub.reasons).passed
    # Both published, the auditor would find them pinned.
    pinned = {**pub.reasons, **{g: BELOW_THRESHOLD for g in both}}
    assert not audit(t, pub.figures, reasons=pinned).passed


def test_hidden_areas_in_a_month_together_are_not_derivable():
    """Areas etela (01) and lansi (17) hidden, the country's and pohjois' totals and months
    shown (or pohjois' January from its total less its February): the country's January
    less pohjois' gives the two hidden areas' January, 4 (17's 4 Sámi speakers, 01 none),
    while each area alone still ranges over 0 … 4 and passes. Sets across a sum's hidden
    places were audited over the whole period and its languages only; the months of the
    sum are read too (found by bench/derivable_sets.py, a search for any set the
    publication gives exactly, in the 7 December session's third stop)."""
    t = table({("19", "2026-01", "se"): 3, ("19", "2026-02", "sv"): 2,
               ("19", "2026-02", "se"): 6, ("18", "2026-01", "se"): 3,
               ("18", "2026-02", "sv"): 1, ("21", "2026-01", "sv"): 2,
               ("21", "2026-01", "se"): 1, ("17", "2026-01", "se"): 4,
               ("17", "2026-02", "se"): 9, ("01", "2026-02", "fi"): 2})
    pub = publish(t)
    assert pub.result.passed
    assert ("FI", "2026-01", RESPONDENTS, N) in pub.figures
    assert derivable(t, pub.figures) == []
    assert any({p for p, _v in t.parts(r.figure[:2])} == {"area:etela", "area:lansi"}
               and {v for _p, v in t.parts(r.figure[:2])} == {"2026-01"}
               for r in pub.result.ranges)


def test_hidden_areas_in_a_language_together_are_not_derivable():
    """Whole-period figures: the country's Swedish speakers (10) and lansi's total, Finnish
    and Sámi (so its Swedish, 6) shown; pohjois' and etela's Swedish speakers together are
    then 4 (county 18's), while each area's alone ranges over 0 … 4. Sets across a sum's
    hidden places were read only where the places were hidden over the whole period; a sum in
    one language (or an area's month) whose parts that period hides is read too (found by
    bench/derivable_sets.py, 7 December session's third stop)."""
    sizes = {("18", "2026-01", "fi"): 4, ("18", "2026-01", "se"): 1, ("18", "2026-02", "sv"): 4,
             ("21", "2026-01", "fi"): 1, ("21", "2026-01", "se"): 2, ("21", "2026-02", "fi"): 2,
             ("17", "2026-01", "fi"): 15, ("17", "2026-01", "sv"): 6, ("17", "2026-02", "fi"): 1,
             ("17", "2026-02", "se"): 15, ("01", "2026-01", "fi"): 2, ("01", "2026-01", "se"): 2,
             ("01", "2026-02", "se"): 9}
    t = Table(AREA_OF, MONTHS, (), 5, {c: {RESPONDENTS: {N: n}} for c, n in sizes.items()},
              LANGS)
    for pub in (publish(t), publish_without_months(t)):
        assert pub.result.passed
        assert derivable(pub.table, pub.figures) == []


# Two random tables of bench/derivable_sets.py (seeds 13 and 7) whose publications left a set
# across places *and* several languages derivable, which no list of `Table.unions` named.
ACROSS_LANGUAGES = {
    # 01's Swedish speakers with 17's Swedish and Northern Sámi speakers: 4 (3 + 1 + 0).
    "01 sv, 17 sv+se": {
        ("01", "2026-01", "fi"): 3, ("01", "2026-02", "fi"): 3, ("01", "2026-02", "se"): 6,
        ("01", "2026-02", "sv"): 3, ("17", "2026-01", "fi"): 15, ("17", "2026-01", "sv"): 1,
        ("18", "2026-01", "fi"): 15, ("18", "2026-01", "se"): 6, ("18", "2026-01", "sv"): 15,
        ("18", "2026-02", "se"): 2, ("18", "2026-02", "sv"): 2, ("19", "2026-01", "se"): 1,
        ("19", "2026-01", "sv"): 15, ("19", "2026-02", "fi"): 9, ("19", "2026-02", "se"): 1,
        ("21", "2026-01", "fi"): 6, ("21", "2026-01", "se"): 3, ("21", "2026-02", "fi"): 4},
    # 01's and 17's Finnish and Swedish speakers together: 4 (2 + 2).
    "01+17 fi+sv": {
        ("01", "2026-01", "se"): 2, ("01", "2026-02", "se"): 6, ("01", "2026-02", "sv"): 2,
        ("17", "2026-01", "fi"): 2, ("17", "2026-02", "se"): 9, ("18", "2026-01", "sv"): 15,
        ("18", "2026-02", "fi"): 1, ("19", "2026-01", "fi"): 15, ("19", "2026-01", "sv"): 9,
        ("19", "2026-02", "se"): 4, ("21", "2026-01", "se"): 2, ("21", "2026-02", "fi"): 9,
        ("21", "2026-02", "se"): 2, ("21", "2026-02", "sv"): 15},
}


def derivable_unions(t: Table, figures, k: int = 5) -> list:
    """Every set that is, per county, none, some of its months or some of its languages (what
    a combination of published sums can give: surveys.report.derivable), holding 1 … k−1
    respondents and in the span of the published respondent counts (float residual, then
    exact): an exhaustive check over those sets, independent of any solver."""
    size = t.size
    rows = np.array([[1.0 if i in set(t.cells_of(f[:2])) else 0.0 for i in range(size)]
                     for f in figures if f[2] == RESPONDENTS and f[3] == N])
    basis = np.linalg.svd(rows, full_matrices=False)[2][:np.linalg.matrix_rank(rows)]
    values = np.array([t.cells.get(c, {}).get(RESPONDENTS, {}).get(N, 0) for c in t._index])
    options = {}
    for county in t.counties:
        own = [[(m, lg) for m in t.months for lg in t.langs if m in ms or lg in ls]
               for ms in [(), *itertools.combinations(t.months, 1)] for ls in
               ([], *(c for r in range(1, len(t.langs) + 1)
                      for c in itertools.combinations(t.langs, r)))
               if not (ms and ls)]
        options[county] = [[t._index[(county, *c)] for c in cells] for cells in own]
    found = []
    for combo in itertools.product(*options.values()):
        chosen = [i for part in combo for i in part]
        x = np.zeros(size)
        x[chosen] = 1.0
        if not 0 < values @ x < k or np.linalg.norm(x - basis.T @ (basis @ x)) > 1e-7:
            continue
        if Span(rows.astype(int).tolist()).holds(x.astype(int).tolist()):
            found.append(sorted(chosen))
    return found


@pytest.mark.parametrize("name", sorted(ACROSS_LANGUAGES))
def test_places_in_several_languages_together_are_not_derivable(name):
    """Sets across places and several languages at once are no list's: the auditor reads
    the sets a search of the published sums finds (surveys.report.derivable). Found by
    bench/derivable_sets.py in the 7 December session's third stop; before, the first table's
    publication gave 01's Swedish speakers with 17's Swedish and Sámi speakers, 4."""
    sizes = ACROSS_LANGUAGES[name]
    t = Table(AREA_OF, MONTHS, (), 5, {c: {RESPONDENTS: {N: n}} for c, n in sizes.items()},
              LANGS)
    for pub in (publish(t), publish_without_months(t)):
        assert pub.result.passed
        assert pub.figures  # not by publishing nothing
        assert derivable(pub.table, pub.figures) == []
        if pub.table.months == MONTHS:
            assert derivable_unions(pub.table, pub.figures) == []
