"""The auditor on the marginals (surveys/report/audit.py, `_Marginals`) against the auditor on
the cells: where no county's month is published, every system has the same ranges on both,
over any number of times, for every protected figure (a county's month included). A
single-choice or text question's system is exact on the marginals as it stands; the
respondents' system and a `multi` question's are exact because every point the auditor uses
is lifted to cells first (`_Lift`), and a point that cannot be cuts itself off."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.report.audit import (
    ALL_MONTHS,
    COUNTRY,
    MEAN,
    RESPONDENTS,
    N,
    QuestionModel,
    Table,
    area_place,
    audit,
    count_of,
    lang_period,
    marginals_apply,
)


@pytest.fixture(autouse=True, scope="module")
def each_system_alone():
    """These compare the marginals with the cells system by system, as audited alone
    (`audit.JOINT` off); the systems coupled are compared in test_audit_joint.py."""
    from surveys.report import audit as audit_module
    joint = audit_module.JOINT
    audit_module.JOINT = False
    yield
    audit_module.JOINT = joint


AREA_OF = {"c1": "a", "c2": "a", "c3": "a", "c4": "b", "c5": "b"}
MONTHS = ("2026-01", "2026-02", "2026-03")
LANGS = ("fi", "sv")
LIKERT = QuestionModel("q", "one", ("1", "2", "3"), (1, 2, 3))
TEXT = QuestionModel("t", "text")
MULTI = QuestionModel("m", "multi", ("x", "y"))
QUESTIONS = (LIKERT, TEXT, MULTI)


def grow(rng: random.Random, cells: dict, people: int) -> dict:
    """`cells` with `people` more respondents, each in a random cell, with random answers."""
    out = {k: {q: dict(m) for q, m in v.items()} for k, v in cells.items()}
    counties = sorted(AREA_OF)
    for _ in range(people):
        cell = out.setdefault((rng.choice(counties[:3] if rng.random() < 0.6 else counties),
                               rng.choice(MONTHS), rng.choice(LANGS)), {})

        def add(key: str, measure: str, cell: dict = cell) -> None:
            got = cell.setdefault(key, {})
            got[measure] = got.get(measure, 0) + 1

        add(RESPONDENTS, N)
        if rng.random() < 0.8:
            add("q", N)
            add("q", rng.choice(LIKERT.options))
        if rng.random() < 0.5:
            add("t", N)
        if rng.random() < 0.7:
            add("m", N)
            for option in MULTI.options:
                if rng.random() < 0.5:
                    add("m", option)
    return out


def groups(t: Table) -> list[tuple[str, str]]:
    """Every group a release may publish: no county's month."""
    return [(p, per) for p, per in t.groups() if not (p in AREA_OF and per in MONTHS)]


def publication(rng: random.Random, t: Table, share: float) -> dict:
    """A random part of the true figures of `t` (what some release showed)."""
    out: dict = {}
    for place, period in groups(t):
        if rng.random() < share:
            out[(place, period, RESPONDENTS, N)] = t.value((place, period, RESPONDENTS, N))
        for q in QUESTIONS:
            if rng.random() >= share:
                continue
            n = t.value((place, period, q.id, N))
            out[(place, period, q.id, N)] = n
            for o in q.options:
                if rng.random() < share:
                    out[(place, period, q.id, count_of(o))] = t.value(
                        (place, period, q.id, count_of(o)))
            if q.values and n and rng.random() < share:
                out[(place, period, q.id, MEAN)] = t.value((place, period, q.id, MEAN))
    return out


@st.composite
def histories(draw):
    seed = draw(st.integers(0, 10**9))
    times = draw(st.integers(1, 3))
    k = draw(st.integers(3, 5))
    share = draw(st.sampled_from([0.4, 0.7, 0.9]))
    return seed, times, k, share


def table_of(cells: dict, k: int) -> Table:
    return Table(AREA_OF, MONTHS, QUESTIONS, k, cells, LANGS)


def case(seed: int, times: int, k: int, share: float):
    rng = random.Random(seed)
    cells: dict = {}
    published = []
    for _ in range(times):
        cells = grow(rng, cells, rng.choice([3, 8, 20]))
        published.append(publication(rng, table_of(cells, k), share))
    # Newest first: the current time's figures, then the earlier ones.
    return table_of(cells, k), published[-1], [(p, {}) for p in reversed(published[:-1])]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories(), st.booleans())
def test_ranges_on_the_marginals_are_those_on_the_cells(history, multi_sets):
    """`multi_sets` off, the `multi` question's own system is lifted too (else its sets of
    options separate it)."""
    t, current, earlier = case(*history)
    assert marginals_apply(t, [(current, {}), *earlier])
    cells = audit(t, current, history=earlier, full_ranges=True, respondents_everywhere=True,
                  multi_by_option=True, multi_sets=True)
    marginals = audit(t, current, history=earlier, full_ranges=True, basis="marginals",
                      multi_sets=multi_sets)
    assert [(r.figure, r.rule) for r in cells.ranges] == \
        [(r.figure, r.rule) for r in marginals.ranges]
    assert marginals.relaxed == []
    assert_same_ranges(cells, marginals)


def assert_same_ranges(cells, marginals) -> None:
    assert [(r.figure, r.rule) for r in cells.ranges] == \
        [(r.figure, r.rule) for r in marginals.ranges]
    for on_cells, on_marginals in zip(cells.ranges, marginals.ranges, strict=True):
        assert on_marginals.low == pytest.approx(on_cells.low, abs=1e-6), on_cells
        assert on_marginals.high == pytest.approx(on_cells.high, abs=1e-6), on_cells


@pytest.mark.parametrize("embed_after", [0, 2, 10**6])
@pytest.mark.parametrize("history", [(59, 2, 3, 0.7), (53, 3, 3, 0.4)])
def test_the_respondents_system_is_exact_on_the_marginals(history, embed_after, monkeypatch):
    """Histories where the marginals alone allowed more than the cells (found by comparing
    both bases over generated histories): county 1's respondents over the whole period are
    exactly 2 given what the questions' n say cell by cell, which the marginals' n ≤ R
    (summed over months, or over counties) did not see. Lifting every point to cells closes
    it; the relaxation is what the auditor solved before (`lift=False`). Whether a part
    that keeps failing gets cuts only, or its cells at once (`_Lift.EMBED_AFTER`), the same
    ranges."""
    import surveys.report.audit as audit_mod

    monkeypatch.setattr(audit_mod._Lift, "EMBED_AFTER", embed_after)
    t, current, earlier = case(*history)
    flags = {"history": earlier, "full_ranges": True, "respondents_everywhere": True,
             "multi_by_option": True, "multi_sets": True}
    cells = audit(t, current, **flags)
    monkeypatch.setattr(audit_mod, "PROFILE", [])
    marginals = audit(t, current, basis="marginals", **flags)
    assert_same_ranges(cells, marginals)
    assert [r.figure for r in marginals.exposed] == [r.figure for r in cells.exposed]
    respondents_system = next(p for p in audit_mod.PROFILE if p["key"] == RESPONDENTS)
    if embed_after == 0:  # every part that failed has its cells, no cut
        assert respondents_system["embedded"] > 0 and respondents_system["cuts"] == 0
    elif embed_after > 100:  # cuts alone
        assert respondents_system["cuts"] > 0 and respondents_system["embedded"] == 0
    relaxed = audit(t, current, basis="marginals", lift=False, **flags)
    assert relaxed.relaxed == [RESPONDENTS]
    wider = [r.figure for a, r in zip(cells.ranges, relaxed.ranges, strict=True)
             if r.width > a.width + 1e-6]
    assert wider and all(f[2] == RESPONDENTS for f in wider)


def test_the_lift_on_linprog_gives_the_same_ranges(monkeypatch):
    """The reference path (audit.SOLVER "linprog": every program, the lift's included, from
    scratch) lifts as the warm-started HiGHS models do."""
    import surveys.report.audit as audit_mod

    t, current, earlier = case(59, 2, 3, 0.7)
    cells = audit(t, current, history=earlier, full_ranges=True, respondents_everywhere=True)
    monkeypatch.setattr(audit_mod, "SOLVER", "linprog")
    marginals = audit(t, current, history=earlier, full_ranges=True, basis="marginals",
                      multi_sets=False)
    assert marginals.relaxed == []
    assert_same_ranges(cells, marginals)


@pytest.mark.parametrize("history", [(59, 2, 3, 0.7), (53, 3, 3, 0.4)])
def test_a_lift_past_its_rounds_takes_cells_and_stays_exact(history, monkeypatch):
    """Past _Lift.MAX_ROUNDS every part that still fails gets its cells, whatever
    EMBED_BUDGET: the lift settles, exact, and nothing is listed as relaxed, whichever round
    the budget ends at (while the system finds the truth, or while it bounds the figures). A
    system that spent its rounds used to be solved on as the relaxation narrowed by its cuts;
    one that spent them while bounding was not even listed."""
    import surveys.report.audit as audit_mod
    from surveys.report.audit import _Lift

    t, current, earlier = case(*history)
    cells = audit(t, current, history=earlier, full_ranges=True, respondents_everywhere=True)
    monkeypatch.setattr(_Lift, "EMBED_BUDGET", 0)  # cuts only, until the rounds run out
    monkeypatch.setattr(audit_mod, "PROFILE", [])
    audit(t, current, history=earlier, full_ranges=True, basis="marginals")
    needed = next(p for p in audit_mod.PROFILE if p["key"] == RESPONDENTS)["rounds"]
    assert needed >= 2  # some while finding the truth, some while bounding
    for budget in range(needed):
        monkeypatch.setattr(_Lift, "MAX_ROUNDS", budget)
        monkeypatch.setattr(audit_mod, "PROFILE", [])
        lifted = audit(t, current, history=earlier, full_ranges=True, basis="marginals")
        profile = next(p for p in audit_mod.PROFILE if p["key"] == RESPONDENTS)
        assert profile["cells_only"] and profile["embedded"] > 0, budget
        assert lifted.relaxed == [], budget
        assert_same_ranges(cells, lifted)


def test_a_system_unbounded_on_the_marginals_is_unbounded_there_too():
    """A publication without the country's respondents (nor a reason) leaves the respondents'
    system unbounded: lifted, its unknowns stay within a box far above the data
    (`_System.box`), and a bound at the box reads as unbounded, as on the cells."""
    import math

    t, current, earlier = case(1, 1, 3, 0.4)
    cells = audit(t, current, history=earlier, full_ranges=True, respondents_everywhere=True)
    assert any(math.isinf(r.high) for r in cells.ranges if r.figure[2] == RESPONDENTS)
    marginals = audit(t, current, history=earlier, full_ranges=True, basis="marginals",
                      multi_sets=False)
    assert marginals.relaxed == []
    assert_same_ranges(cells, marginals)


def test_a_county_month_is_bounded_by_what_the_areas_months_leave():
    """Two times: the area's February grew by 2 while only c1 grew (by 2) in the area: c1's
    February holds exactly those 2, on the marginals as on the cells."""
    area_of = {"c1": "a", "c2": "a"}
    months = ("2026-01", "2026-02")

    def respondents(n):
        return {RESPONDENTS: {N: n}}

    before = {("c1", "2026-01"): respondents(10), ("c2", "2026-01"): respondents(10)}
    after = {**before, ("c1", "2026-02"): respondents(2)}
    t = Table(area_of, months, (), 5, after)
    a = area_place("a")
    earlier = [({("c1", ALL_MONTHS, RESPONDENTS, N): 10, ("c2", ALL_MONTHS, RESPONDENTS, N): 10,
                 (a, "2026-02", RESPONDENTS, N): 0}, {})]
    current = {("c1", ALL_MONTHS, RESPONDENTS, N): 12, ("c2", ALL_MONTHS, RESPONDENTS, N): 10,
               (a, "2026-02", RESPONDENTS, N): 2, (COUNTRY, ALL_MONTHS, RESPONDENTS, N): 22}
    for basis in ("cells", "marginals"):
        result = audit(t, current, history=earlier, full_ranges=True, basis=basis)
        got = {r.figure: (r.low, r.high) for r in result.ranges}
        assert got[("c1", "2026-02", RESPONDENTS, N)] == (pytest.approx(2), pytest.approx(2))
        assert not result.passed
    # Without the earlier time c1's February could be anything from 0 to 2.
    alone = audit(t, current, full_ranges=True, basis="marginals")
    assert {r.figure: (r.low, r.high) for r in alone.ranges}[
        ("c1", "2026-02", RESPONDENTS, N)] == (pytest.approx(0), pytest.approx(2))


def test_marginals_do_not_apply_where_a_county_month_is_published():
    t = table_of({}, 5)
    assert marginals_apply(t, [({("c1", ALL_MONTHS, RESPONDENTS, N): 0}, {})])
    assert not marginals_apply(t, [({("c1", MONTHS[0], RESPONDENTS, N): 0}, {})])
    assert not marginals_apply(t, [({}, {("c1", MONTHS[1], RESPONDENTS): "threshold"})])
    assert marginals_apply(t, [({(area_place("a"), MONTHS[0], RESPONDENTS, N): 0,
                                 ("c1", lang_period("sv"), "q", N): 0}, {})])


def test_a_split_of_multi_counts_into_sets_fits_them():
    """_pattern_count: some split of a cell's multi counts into sets of options that has the
    cell's n and each option's count (the point the auditor starts from)."""
    from itertools import combinations

    from surveys.report.audit import _pattern_count

    options = ("x", "y", "z")
    got = {N: 7, "x": 5, "y": 2, "z": 7}
    sets = [frozenset(c) for r in range(4) for c in combinations(options, r)]
    counts = {s: _pattern_count(got, options, s) for s in sets}
    assert all(v >= 0 for v in counts.values())
    assert sum(counts.values()) == 7
    for o in options:
        assert sum(v for s, v in counts.items() if o in s) == got[o]


def test_a_multi_question_of_many_options_is_audited_option_by_option():
    """Above MAX_SET_OPTIONS a multi question's own system is lifted to cells like the
    respondents' (exact, nothing listed as relaxed); without the lift it is a relaxation
    (listed), and each option is bounded again in an exact system of its own."""
    from surveys.report.audit import MAX_SET_OPTIONS

    many = QuestionModel("w", "multi", tuple(str(i) for i in range(MAX_SET_OPTIONS + 1)))
    few = QuestionModel("v", "multi", ("a", "b"))
    cells = {("c1", MONTHS[0], "fi"): {RESPONDENTS: {N: 2}, "w": {N: 2, "0": 2, "1": 1},
                                       "v": {N: 2, "a": 2}}}
    t = Table(AREA_OF, MONTHS, (many, few), 5, cells, LANGS)
    published = {(COUNTRY, ALL_MONTHS, RESPONDENTS, N): 2}
    lifted = audit(t, published, full_ranges=True, basis="marginals")
    assert lifted.relaxed == []
    on_cells = audit(t, published, full_ranges=True, respondents_everywhere=True)
    assert_same_ranges(on_cells, lifted)
    result = audit(t, published, full_ranges=True, basis="marginals", lift=False)
    assert sorted(result.relaxed) == [RESPONDENTS, "w"]
    # Each protected figure once, whatever number of systems bounded it.
    keys = [(r.figure, r.rule) for r in result.ranges]
    assert len(keys) == len(set(keys)) and any(k[0][2] == "w" for k in keys)
