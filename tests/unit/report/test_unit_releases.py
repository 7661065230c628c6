"""Releases of unit figures (surveys.report.units): the rule that decides whether a new release
may change the figures at all (every finest cell of every table grew by nobody or by at least
the threshold since the release that last changed them), and the cross-time audit that hides
more where the previous release's figures and today's together would pin a small group."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.fold.units import UNIT_TOTAL
from surveys.report.audit import ALL_MONTHS, RESPONDENTS, N, audit
from surveys.report.units import growth, publish_units, tables_of, unit_sizes
from tests.unit.report.test_unit_disclosure import DEFINITION, cases, counted, make_tree

# ORG: U0 (under ORG), U1 (under ORG), U2 (under U1); unit ids 2, 3, 4.
TREE = make_tree([0, 0, 2])
K = 5
BASE = ([(2, "nurse", "young", "4", False)] * 6 + [(3, "doctor", "old", "2", False)] * 5
        + [(4, "nurse", "old", "5", False)] * 7)


def sizes(responses):
    return unit_sizes(tables_of(counted(responses), TREE, DEFINITION, K))


def test_nothing_new_changes_nothing():
    got = growth(sizes(BASE), sizes(BASE), K)
    assert not got.changed and not got.too_few and not got.allowed


def test_one_late_respondent_in_a_leaf_holds_the_release_back():
    got = growth(sizes(BASE), sizes(BASE + [(2, "nurse", "young", "1", False)]), K)
    assert got.changed and not got.allowed
    assert ("U0", RESPONDENTS, "*", 1) in got.too_few


def test_enough_in_a_unit_but_few_in_a_breakdown_value_holds_it_back():
    late = [(2, "nurse", "young", "1", False)] * 4 + [(2, "doctor", "young", "1", False)]
    got = growth(sizes(BASE), sizes(BASE + late), K)
    assert not got.allowed
    assert ("U0", RESPONDENTS, "profession=doctor", 1) in got.too_few
    assert ("U0", RESPONDENTS, "profession=nurse", 4) in got.too_few


def test_a_few_in_a_units_own_part_hold_it_back_though_the_unit_grew_enough():
    # U1 (with sub-unit U2) gets 5 in U2 and 1 of its own: U1 − U2 would give the one away.
    late = [(4, "nurse", "old", "1", False)] * 5 + [(3, "doctor", "old", "1", False)]
    got = growth(sizes(BASE), sizes(BASE + late), K)
    assert not got.allowed
    assert ("U1/own", RESPONDENTS, "*", 1) in got.too_few


def test_a_question_few_answered_holds_it_back():
    late = [(2, "nurse", "young", "1", True)] + [(2, "nurse", "young", "1", False)] * 4
    got = growth(sizes(BASE), sizes(BASE + late), K)
    assert not got.allowed
    assert ("U0", "comment", "*", 1) in got.too_few


def test_enough_new_respondents_alike_in_every_cell_allow_a_new_release():
    late = [(2, "nurse", "young", "1", False)] * 5 + [(4, "nurse", "old", "3", False)] * 6
    got = growth(sizes(BASE), sizes(BASE + late), K)
    assert got.changed and got.allowed and got.too_few == []


def test_the_previous_release_is_audited_with_the_new_one_and_more_is_hidden():
    # ORG: U0 with 3 (hidden), U1 with 9 (hidden beside it), ORG 12 shown. Had an earlier
    # release shown U1's 9 (its figures only grow), ORG's 12 would pin U0 to at most 3.
    tree = make_tree([0, 0])
    responses = ([(2, "nurse", "young", "4", False)] * 3
                 + [(3, "doctor", "old", "2", False)] * 9)
    tables = tables_of(counted(responses), tree, DEFINITION, K)
    alone = publish_units(tables)
    assert alone.get(UNIT_TOTAL, "ORG", ALL_MONTHS, RESPONDENTS, N) == 12
    assert alone.get(UNIT_TOTAL, "U1", ALL_MONTHS, RESPONDENTS, N) is None
    earlier = {("U1", ALL_MONTHS, RESPONDENTS, N): 9.0}
    history = {b: [(earlier, {})] for b in tables}
    pub = publish_units(tables, history=history)
    assert pub.get(UNIT_TOTAL, "ORG", ALL_MONTHS, RESPONDENTS, N) is None
    assert not audit(tables[UNIT_TOTAL], alone.pubs[UNIT_TOTAL].figures,
                     history=history[UNIT_TOTAL]).passed
    for b, table in tables.items():
        assert audit(table, pub.pubs[b].figures, reasons=pub.pubs[b].reasons,
                     history=history[b]).passed, b


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_when_the_rule_allows_a_change_no_group_grew_by_a_few(case, data):
    """An oracle independent of the sizes the rule compares: the true increment of every group
    of every table (every unit, own part and breakdown value, "no answer" included, in
    respondents and every question's answers) is nobody or at least the threshold whenever the
    rule lets the figures change."""
    parents, k, responses = case
    tree = make_tree(parents)
    n_units = len(parents) + 1
    # A few kinds of late respondent (answering like an earlier one, maybe in the next unit),
    # each one person or the threshold's worth of people alike.
    kinds = data.draw(st.lists(st.sampled_from(responses), max_size=4)) if responses else []
    late = []
    for u, *rest in kinds:
        late += [(min(u + data.draw(st.integers(0, 1)), n_units), *rest)] * \
            data.draw(st.sampled_from([1, k]))
    before = tables_of(counted(responses), tree, DEFINITION, k)
    after = tables_of(counted(responses + late), tree, DEFINITION, k)
    got = growth(unit_sizes(before), unit_sizes(after), k)
    keys = [RESPONDENTS, *(q["id"] for q in DEFINITION["questions"])]
    small = []
    for b, table in after.items():
        for place, period in table.groups():
            for key in keys:
                was = (before[b].value((place, period, key, N))
                       if place in before[b].parent_of else 0)  # an own part new since
                inc = table.value((place, period, key, N)) - was
                if 0 < inc < k:
                    small.append((b, place, period, key, inc))
    # The finest cells are groups of the tables too: the rule allows exactly when no group
    # grew by a few.
    assert got.changed == (late != [])
    assert got.allowed == (late != [] and small == [])


def counting_audits(units, tables) -> tuple[list[str], object]:
    """Replaces `units.audit` by one that lists the table (by its breakdown) of each audit;
    the list and the real audit, to put back."""
    audited: list[str] = []
    real = units.audit

    def counting(table, *args, **kwargs):
        audited.append(next(b for b, t in tables.items() if t is table))
        return real(table, *args, **kwargs)

    units.audit = counting
    return audited, real


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_a_cut_audits_again_only_the_tables_whose_figures_changed_since(case, data):
    """`passes_with_history` (what a cut asks) says what auditing every table again with the
    earlier release says, and audits again only the tables whose audit in `publish_units` did
    not pass (or was not read with every question): every table's audit there was of its
    figures as published, a table that lost a total audited again. And what `publish_units`
    publishes passes with the earlier release, as published."""
    from surveys.report import units

    parents, k, responses = case
    tree = make_tree(parents)
    first = publish_units(tables_of(counted(responses), tree, DEFINITION, k))
    late = data.draw(st.lists(st.sampled_from(responses or [(1, None, None, "4", False)]),
                              max_size=12))
    tables = tables_of(counted(responses + late), tree, DEFINITION, k)
    layers = {b: [(dict(p.figures), dict(p.reasons))] for b, p in first.pubs.items()}
    pub = publish_units(tables, history=layers)
    every = all(audit(t, pub.pubs[b].figures, reasons=pub.pubs[b].reasons,
                      history=layers[b]).passed for b, t in tables.items())
    audited, real = counting_audits(units, tables)
    try:
        assert units.passes_with_history(pub, layers) == every
    finally:
        units.audit = real
    assert every
    expected = {b for b, p in pub.pubs.items() if not p.result.passed or p.result.uncoupled}
    assert set(audited) <= expected


def ranges_of(result) -> list:
    return sorted((r.figure, r.rule, round(r.low, 6), round(r.high, 6)) for r in result.ranges)


# Ten people in an organisation of three units whose unit totals table loses a total after
# its own audit (another table hides it): found by a search of generated cases, 6 December.
LOSES_A_TOTAL = [
    (2, "nurse", "old", "1", True), (2, "nurse", "old", "1", True),
    (4, "doctor", "young", "1", True), (3, "doctor", "young", "1", False),
    (3, "doctor", "old", "4", False), (4, None, None, "2", True),
    (3, "nurse", "old", "4", True), (4, "doctor", "old", "1", True),
    (4, None, "young", "5", False), (3, None, "old", "2", False)]


def test_a_table_that_lost_a_total_after_its_audit_is_audited_again():
    """A table whose figures lost a total that another table hides (found by a search of
    generated cases, 6 December session) is listed in `UnitPublication.reduced` and audited
    again as published by `publish_units` (since the second 6 December session; before, only a
    cut did, and refused the release where that failed): its result is that of its figures as
    published, the total then a hidden group in it, so a cut does not audit it once more. A
    table whose audit did not pass is audited again by a cut, and where that fails, so does
    the whole cut's. (The tables published together, `publish_units`'s first step: here
    it withholds both breakdowns instead, which would cost the totals.)"""
    from surveys.report import units

    tables = tables_of(counted(LOSES_A_TOTAL), make_tree([0, 1, 1]), DEFINITION, 3)
    pub = units._publish_together(tables)
    assert UNIT_TOTAL in pub.reduced
    for b, p in pub.pubs.items():
        assert ranges_of(p.result) == ranges_of(audit(tables[b], p.figures, reasons=p.reasons))
    audited, real = counting_audits(units, tables)
    try:
        assert units.passes_with_history(pub, {})
        assert audited == []
        # A table's figures given every hidden unit's total (U1 and U2, 4 each, give U0's own
        # 2 people), with the result of their audit: found, and the cut refused.
        def leaky(b: str) -> dict:
            more = {**pub.pubs[b].figures}
            for u in tables[b].units:
                more.setdefault((u, ALL_MONTHS, RESPONDENTS, N),
                                tables[b].value((u, ALL_MONTHS, RESPONDENTS, N)))
            return more

        pub.pubs["age"].figures = leaky("age")
        pub.pubs["age"].result = real(tables["age"], pub.pubs["age"].figures)
        assert not pub.pubs["age"].result.passed
        assert not units.passes_with_history(pub, {})
        assert audited == ["age"]
        # A table whose audit did not pass is audited again, though not reduced.
        pub = units._publish_together(tables)
        pub.pubs["age"].result = real(tables["age"], leaky("age"))
        audited.clear()
        assert units.passes_with_history(pub, {})
        assert audited == ["age"]
    finally:
        units.audit = real


def test_a_table_failing_its_audit_as_published_is_published_again(monkeypatch):
    """The fallback of `publish_units` where a table that lost a total fails its audit as
    published (which the unit totals' n being forced alike should rule out: docs/privacy.md):
    what it lost is hidden in every table from the start, all are published again, and every
    table then passes as published. The failure is made here by reporting the reduced table
    failing once. (In `publish_units`'s first step, the tables published together.)"""
    from surveys.report import units

    tables = tables_of(counted(LOSES_A_TOTAL), make_tree([0, 1, 1]), DEFINITION, 3)
    before = units._publish_together(tables)
    assert UNIT_TOTAL in before.reduced
    shown = set(before.pubs[UNIT_TOTAL].figures)
    real = units._failing_as_published
    calls: list[set] = []

    def failing_once(tables, pubs, reduced, history):
        got = real(tables, pubs, reduced, history)
        calls.append(set(reduced))
        return [UNIT_TOTAL] if len(calls) == 1 else got

    monkeypatch.setattr(units, "_failing_as_published", failing_once)
    pub = units._publish_together(tables)
    assert UNIT_TOTAL in calls[0] and len(calls) >= 2
    # What the table lost the first time is hidden from the start: its groups (a unit's total
    # for a question) are published in no table now.
    lost = {(f[0], f[1], f[2]) for f in shown - set(pub.pubs[UNIT_TOTAL].figures)}
    assert lost and all(g[1] == ALL_MONTHS for g in lost)
    for b, p in pub.pubs.items():
        assert not {f for f in p.figures if (f[0], f[1], f[2]) in lost}, b
        assert audit(tables[b], p.figures, reasons=p.reasons).passed, b
    assert units.passes_with_history(pub, {})


def test_the_gate_of_a_unit_release_reads_the_earlier_releases(monkeypatch):
    """The gate after the auditor (narrowing.narrowing_figures) runs, for a unit release, with
    each table's earlier releases (`publish_units(history=...)`): every call of the release
    below gets the earlier figures, so a set narrowed by both releases together is searched
    for (tests/unit/report/test_release_history.py shows one the gate finds only so)."""
    from surveys.report import narrowing

    tree = make_tree([0, 0])
    responses = ([(2, "nurse", "young", "4", False)] * 3
                 + [(3, "doctor", "old", "2", False)] * 9)
    tables = tables_of(counted(responses), tree, DEFINITION, K)
    earlier = {("U1", ALL_MONTHS, RESPONDENTS, N): 9.0}
    history = {b: [(earlier, {})] for b in tables}
    seen = []
    real = narrowing.narrowing_figures

    def recording(table, figures, earlier=()):
        seen.append(list(earlier))
        return real(table, figures, earlier)

    monkeypatch.setattr(narrowing, "narrowing_figures", recording)
    publish_units(tables, history=history)
    assert seen and all(got == [earlier] for got in seen)
