"""The language breakdown is part of the audited publication: a small language group is hidden,
not recoverable by differencing (a place's total minus its other languages, the country's
language group minus the areas'), bounded by the auditor; and the reasons published for hidden
groups are true and never pin a small group (surveys.report.disclosure, audit)."""

from __future__ import annotations

import itertools
import random

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
            for (place, period, key), reason in pub.reasons.items():
                value = pub.table._sum((place, period), key, N)
                assert reason == (BELOW_THRESHOLD if value < 5 else PROTECTS_OTHER)
            # The reasons, added to the attacker's system, still pass the audit.
            assert audit(pub.table, pub.figures, reasons=pub.reasons).passed


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
