"""The disclosure auditor (surveys/report/audit.py) and the suppression it drives: the
adversary's findings 1 and 3 of issue 10 on hand-made tables, then a property over generated
surveys."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.report.audit import (
    ALL_MONTHS,
    COUNTRY,
    MIN_OPTION_COUNT,
    POSITIVE,
    SIZE,
    UNANIMOUS,
    QuestionModel,
    Table,
    area_place,
    audit,
    count_of,
    protected_figures,
)
from surveys.report.disclosure import hidden_cells, publish

LIKERT = QuestionModel("got_help", "one", tuple("12345"), (1, 2, 3, 4, 5))
NPS_Q = QuestionModel("recommend", "one", tuple(str(i) for i in range(11)), tuple(range(11)),
                      nps=True)
J, F = "2026-01", "2026-02"
NORTH = area_place("pohjois")


def cell(respondents, likert, nps):
    return {"*": {"n": respondents},
            "got_help": {"n": sum(likert.values()), **likert},
            "recommend": {"n": sum(nps.values()), **nps}}


def adversary_table() -> Table:
    """Lapland (21) had 3 respondents in January, all answering 1 on the Likert question and 0
    on the NPS question; North Ostrobothnia (19) is the other county of the area."""
    return Table({"19": "pohjois", "21": "pohjois"}, (J, F), (LIKERT, NPS_Q), 5, {
        ("21", J): cell(3, {"1": 3}, {"0": 3}),
        ("21", F): cell(20, {"4": 12, "5": 8}, {"9": 10, "10": 10}),
        ("19", J): cell(30, {"4": 15, "3": 15}, {"8": 15, "7": 15}),
        ("19", F): cell(30, {"4": 15, "2": 15}, {"8": 15, "6": 15}),
    })


def old_publication(t: Table) -> dict:
    """What Palaute published before the auditor: every place and month (counties' months
    too), each count hidden by the threshold and the per-sum heuristic only."""
    published = {}
    for key in ["*", "got_help", "recommend"]:
        hidden = hidden_cells({c: v[key]["n"] for c, v in t.cells.items()}, t.area_of, 5)
        for g in t.groups():
            if g in hidden or t.value((*g, key, "n")) < 5:
                continue
            published[(*g, key, "n")] = t.value((*g, key, "n"))
            if key == "*":
                continue
            q = t.question[key]
            measures = ["mean", "nps"] if q.nps else ["mean"]
            if g[1] == ALL_MONTHS:
                measures += [count_of(o) for o in q.options]
            for m in measures:
                published[(*g, key, m)] = t.value((*g, key, m))
    return published


def test_adversary_combines_tables_and_the_auditor_sees_it():
    t = adversary_table()
    published = old_publication(t)
    # Each sum was protected on its own: Lapland's January was hidden...
    assert ("21", J, "*", "n") not in published
    result = audit(t, published, full_ranges=True)
    exposed = {(r.figure, r.rule): r for r in result.exposed}
    # ...but 19's year total minus its shown February gives its January, and the area's
    # January minus that gives Lapland's: exactly 3.
    r = exposed[(("21", J, "*", "n"), SIZE)]
    assert (r.low, r.high) == (3, 3)
    # And mean × n gives the sum of their answers: all three answered 1, and 0 on the NPS.
    # (Even with means rounded to one decimal: more than 2 ones among 3 people is 3.)
    likert_ones = exposed[(("21", J, "got_help", count_of("1")), POSITIVE)]
    assert likert_ones.low > 2
    assert (("21", J, "recommend", count_of("0")), POSITIVE) in exposed
    assert (("21", J, "got_help", count_of("1")), UNANIMOUS) in exposed


def test_the_auditor_driven_suppression_passes_and_keeps_what_it_can():
    t = adversary_table()
    pub = publish(t)
    assert pub.result.passed
    again = audit(t, pub.figures, full_ranges=True)
    assert again.passed and again.ranges
    # No county's months are published; areas, the country and county totals are.
    assert not any(f[0] in t.area_of and f[1] != ALL_MONTHS for f in pub.figures)
    assert pub.figures[("21", ALL_MONTHS, "*", "n")] == 23
    assert pub.figures[(NORTH, F, "*", "n")] == 50


def test_mean_times_n_recovers_a_hidden_sum():
    t = Table({"19": "pohjois", "21": "pohjois"}, (J,), (LIKERT,), 5, {
        ("21", J): {"*": {"n": 3}, "got_help": {"n": 3, "1": 3}},
        ("19", J): {"*": {"n": 10}, "got_help": {"n": 10, "4": 5, "5": 5}},
    })
    published = {}
    for place in (NORTH, COUNTRY, "19"):
        for period in (J, ALL_MONTHS):
            g = (place, period)
            for f in ((*g, "*", "n"), (*g, "got_help", "n"), (*g, "got_help", "mean")):
                published[f] = t.value(f)
    exposed = {(r.figure, r.rule) for r in audit(t, published).exposed}
    assert (("21", ALL_MONTHS, "*", "n"), SIZE) in exposed
    assert (("21", ALL_MONTHS, "got_help", count_of("1")), POSITIVE) in exposed
    assert publish(t).result.passed


def test_two_small_counties_hidden_together_are_protected():
    t = Table({"19": "pohjois", "21": "pohjois", "18": "pohjois"}, (J,), (LIKERT,), 5, {
        ("21", J): {"*": {"n": 3}, "got_help": {"n": 3, "1": 2, "2": 1}},
        ("18", J): {"*": {"n": 4}, "got_help": {"n": 4, "2": 2, "3": 2}},
        ("19", J): {"*": {"n": 40}, "got_help": {"n": 40, "3": 10, "4": 15, "5": 15}},
    })
    pub = publish(t)
    assert pub.result.passed
    assert ("19", ALL_MONTHS, "*", "n") in pub.figures  # 3 + 4 hidden together: 7 ≥ 5
    assert ("21", ALL_MONTHS, "*", "n") not in pub.figures


def test_attribute_rules_inside_shown_groups():
    t = Table({"17": "lansi", "05": "lansi"}, (J,), (LIKERT, NPS_Q), 5, {
        # Everyone in 17 answered 4: its Likert counts and mean are withheld, its n is not.
        ("17", J): cell(5, {"4": 5}, {"9": 3, "10": 2}),
        ("05", J): cell(30, {"1": 1, "3": 9, "4": 10, "5": 10}, {"10": 30}),
    })
    pub = publish(t)
    f = pub.figures
    assert pub.result.passed
    assert f[("17", ALL_MONTHS, "got_help", "n")] == 5
    assert ("17", ALL_MONTHS, "got_help", count_of("4")) not in f
    assert ("17", ALL_MONTHS, "got_help", "mean") not in f
    # A count of 1 is withheld, and with it enough that neither n nor the mean gives it back.
    assert ("05", ALL_MONTHS, "got_help", count_of("1")) not in f
    assert not any(0 < v < MIN_OPTION_COUNT for k, v in f.items() if k[3].startswith("count:"))
    # Unanimous NPS in 05 (all 10): withheld, in the country's months too where it would show.
    assert ("05", ALL_MONTHS, "recommend", "nps") not in f


def test_a_harmless_answer_may_be_everyones_and_every_other_rule_still_holds():
    """docs/privacy.md, "Harmless answers": a shown county where everyone answered 4 shows its
    counts and mean when 4 is declared harmless; an undeclared unanimity is still withheld, a
    small group's counts still prove nothing, and the auditor still protects the rest."""
    harmless = QuestionModel("got_help", "one", tuple("12345"), (1, 2, 3, 4, 5),
                             harmless=("4",))
    cells = {
        ("17", J): cell(5, {"4": 5}, {"9": 3, "10": 2}),
        ("05", J): cell(30, {"1": 2, "3": 8, "4": 10, "5": 10}, {"10": 30}),
        ("06", J): cell(3, {"4": 3}, {"9": 3}),  # a small county, everyone 4 too
        ("08", J): cell(30, {"2": 10, "4": 10, "5": 10}, {"8": 15, "9": 15}),
        ("09", J): cell(30, {"3": 10, "4": 10, "5": 10}, {"7": 15, "10": 15}),
    }
    area_of = {"17": "lansi", "05": "lansi", "06": "ita", "08": "ita", "09": "ita"}
    strict = publish(Table(area_of, (J,), (LIKERT, NPS_Q), 5, cells))
    assert ("17", ALL_MONTHS, "got_help", count_of("4")) not in strict.figures
    t = Table(area_of, (J,), (harmless, NPS_Q), 5, cells)
    pub = publish(t)
    f = pub.figures
    assert pub.result.passed
    assert f[("17", ALL_MONTHS, "got_help", count_of("4"))] == 5
    assert f[("17", ALL_MONTHS, "got_help", "mean")] == 4
    # Unanimous NPS in 05 (all 10, not declared harmless): withheld as before.
    assert ("05", ALL_MONTHS, "recommend", "nps") not in f
    # The small county: hidden, and the tables do not prove that anyone there answered 4.
    assert ("06", ALL_MONTHS, "*", "n") not in f
    rules = {(fig, rule) for fig, rule in protected_figures(t, f)}
    assert (("06", ALL_MONTHS, "got_help", count_of("4")), POSITIVE) in rules
    assert not any(rule == UNANIMOUS and fig[2] == "got_help" and fig[3] == count_of("4")
                   for fig, rule in rules)
    assert any(rule == UNANIMOUS and fig[2] == "recommend" for fig, rule in
               protected_figures(t, {}))
    low = next(r for r in audit(t, f, full_ranges=True).ranges
               if r.figure == ("06", ALL_MONTHS, "got_help", count_of("4")))
    assert low.low == pytest.approx(0)


# -- property: what publish() publishes always passes the audit ----------------------------

COUNTIES = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
SMALL_Q = QuestionModel("q", "one", ("1", "2", "3"), (1, 2, 3))
MULTI_Q = QuestionModel("m", "multi", ("x", "y"))


@st.composite
def tables(draw):
    months = tuple(f"2026-{m:02d}" for m in range(1, draw(st.integers(1, 3)) + 1))
    cells = {}
    for c in COUNTIES:
        for m in months:
            answers = draw(st.lists(st.integers(1, 3), max_size=9))
            picks = draw(st.lists(st.tuples(st.booleans(), st.booleans()),
                                  min_size=len(answers), max_size=len(answers)))
            one = {str(v): answers.count(v) for v in (1, 2, 3) if answers.count(v)}
            multi = {"x": sum(x for x, _ in picks), "y": sum(y for _, y in picks)}
            cells[(c, m)] = {"*": {"n": len(answers)}, "q": {"n": len(answers), **one},
                             "m": {"n": len(answers), **multi}}
    return Table(COUNTIES, months, (SMALL_Q, MULTI_Q), draw(st.sampled_from([3, 5])), cells)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_published_tables_pass_the_audit(t):
    pub = publish(t)
    check = audit(t, pub.figures, full_ranges=True)
    assert check.passed, check.exposed[:3]
    k = t.threshold
    for (place, period, key, measure), value in pub.figures.items():
        if measure == "n":
            assert value >= k  # no group or question below the threshold
        elif measure.startswith("count:"):
            assert not 0 < value < MIN_OPTION_COUNT
            assert key == "m" or value < pub.figures[(place, period, key, "n")]  # not unanimous


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_whole_period_fallback_covers_the_months(t):
    """With no month published, the audit of the table summed over months is enough: the same
    figures audited against the full county × month table pass too."""
    from surveys.report.disclosure import affordable, publish_without_months

    assert not affordable(t, -1)
    pub = publish_without_months(t)
    assert pub.result.passed and not pub.monthly and pub.months == t.months
    assert all(f[1] == ALL_MONTHS for f in pub.figures)
    check = audit(t, pub.figures, full_ranges=True)
    assert check.passed, check.exposed[:3]


def test_unanimity_is_protected_where_a_withheld_n_follows_from_other_sums():
    """Found by the property above (seed 301180313404456622926163572116888153381): b2's four
    respondents all answered 1. Its question n and counts were withheld, but the n followed from
    the area's minus b1's, and the means and the count of 3 then proved that nobody in b2 answered
    2 or 3. Unanimity is protected in every group, shown or not."""
    from surveys.report.disclosure import publish_without_months

    months = ("2026-01", "2026-02")

    def c(n, q, x, y):
        return {"*": {"n": n}, "q": {"n": n, **q}, "m": {"n": n, "x": x, "y": y}}

    t = Table(COUNTIES, months, (SMALL_Q, MULTI_Q), 3, {
        ("a1", months[0]): c(0, {}, 0, 0),
        ("a1", months[1]): c(9, {"1": 4, "2": 2, "3": 3}, 6, 4),
        ("a2", months[0]): c(5, {"1": 3, "2": 1, "3": 1}, 3, 2),
        ("a2", months[1]): c(1, {"1": 1}, 0, 0),
        ("b1", months[0]): c(9, {"1": 3, "2": 3, "3": 3}, 5, 5),
        ("b1", months[1]): c(2, {"1": 1, "3": 1}, 2, 1),
        ("b2", months[0]): c(2, {"1": 2}, 0, 2),
        ("b2", months[1]): c(2, {"1": 2}, 2, 1),
    })
    assert ((("b2", ALL_MONTHS, "q", count_of("1")), "unanimous")
            in protected_figures(t, {("b2", ALL_MONTHS, "*", "n"): 4}))
    pub = publish_without_months(t)
    assert pub.result.passed
    check = audit(t, pub.figures, full_ranges=True)
    assert check.passed, check.exposed[:3]


# -- the warm-started HiGHS path gives the reference path's verdicts ---------------------------

def audited_with(solver: str, t: Table, figures: dict, **kwargs):
    import surveys.report.audit as audit_mod

    saved = audit_mod.SOLVER
    audit_mod.SOLVER = solver
    try:
        return audit(t, figures, **kwargs)
    finally:
        audit_mod.SOLVER = saved


def verdicts(result) -> list:
    return [(r.figure, r.rule) for r in result.exposed]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.booleans())
def test_the_reused_highs_model_finds_what_linprog_finds(t, old):
    """One HiGHS model per system, only the objective changing between programs (audit.SOLVER
    "highs"), against scipy's linprog from scratch for each (the reference): the same figures
    exposed, by the same rules, and with full ranges the same minima and maxima. On what the
    rules alone publish (audited=False) and on the pre-auditor publication, so that some
    figures are exposed."""
    from surveys.report.audit import _highs_core

    assert _highs_core() is not None  # else both paths would be linprog
    figures = old_publication_of(t) if old else publish(t, audited=False).figures
    for full in (False, True):
        fast = audited_with("highs", t, figures, full_ranges=full)
        ref = audited_with("linprog", t, figures, full_ranges=full)
        assert verdicts(fast) == verdicts(ref)
        if full:
            for a, b in zip(fast.ranges, ref.ranges, strict=True):
                assert a.figure == b.figure and a.rule == b.rule
                assert (a.low, a.high) == (pytest.approx(b.low, abs=1e-6),
                                           pytest.approx(b.high, abs=1e-6))


def old_publication_of(t: Table) -> dict:
    """Every group's n and counts at or above the threshold, months too: little protected."""
    out = {}
    for g in t.groups():
        for key in ("*", "q", "m"):
            n = t.value((*g, key, "n"))
            if n >= t.threshold:
                out[(*g, key, "n")] = n
                if key != "*":
                    for o in t.question[key].options:
                        out[(*g, key, count_of(o))] = t.value((*g, key, count_of(o)))
    return out


def test_a_questions_counts_bound_the_respondents_they_answered():
    """Lapland's respondents are hidden, and so is how many of them answered the Likert
    question; but its option counts are shown (3 ones), as are North Ostrobothnia's (30), and
    the area's respondents (33). Whoever answered is a respondent: Lapland had at least 3 and
    North Ostrobothnia at least 30, so Lapland exactly 3. The respondents' system alone (every
    question's n, no option) does not see it; the Likert question's system, holding the
    respondents too, does, and the audit reports the narrowest range of all its systems."""
    t = Table({"19": "pohjois", "21": "pohjois"}, (J,), (LIKERT,), 5, {
        ("21", J): {"*": {"n": 3}, "got_help": {"n": 3, "1": 3}},
        ("19", J): {"*": {"n": 30}, "got_help": {"n": 30, "4": 15, "3": 15}},
    })
    published = {(NORTH, ALL_MONTHS, "*", "n"): 33}
    for county in ("19", "21"):
        for o in LIKERT.options:
            published[(county, ALL_MONTHS, "got_help", count_of(o))] = \
                t.value((county, ALL_MONTHS, "got_help", count_of(o)))
    result = audit(t, published, full_ranges=True)
    lapland = next(r for r in result.ranges
                   if r.figure == ("21", ALL_MONTHS, "*", "n") and r.rule == SIZE)
    assert (lapland.low, lapland.high) == pytest.approx((3, 3))
    assert lapland in result.exposed
