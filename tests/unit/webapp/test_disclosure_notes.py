"""What `palaute disclosure audit` tells the operator about how each system was solved
(webapp.cli.disclosure._how_solved), on a real audit that went past the coupling's budget.
Printed for today's figures as for the latest release (until the 4 December session only the
release's audit had the notes)."""

from __future__ import annotations

import math

from surveys.report import audit as audit_module
from tests.unit.report.test_audit_marginals import case
from webapp.cli.disclosure import _how_solved


def test_systems_left_alone_past_the_budget_are_named(capsys, monkeypatch):
    t, current, _earlier = case(38, 1, 5, 0.7)
    _how_solved(audit_module.audit(t, current, full_ranges=True))
    assert "not coupled" not in capsys.readouterr().out
    monkeypatch.setattr(audit_module._Joint, "MAX_ROUNDS", 0)
    monkeypatch.setattr(audit_module._Joint, "EMBED_BUDGET", 0)
    result = audit_module.audit(t, current, full_ranges=True)
    assert result.uncoupled
    _how_solved(result)
    note = next(line for line in capsys.readouterr().out.splitlines() if "not coupled" in line)
    assert note.startswith("note: audited one question at a time")
    for key in result.uncoupled:
        assert (key if key != audit_module.RESPONDENTS else "the respondents") in note, note


def test_questions_read_together_on_the_marginals_are_said_to_be(capsys):
    """A cut's months on the marginals (history.audit_release above MAX_MONTHLY_CELLS) read the
    questions together through the respondents' marginals only: a relaxation, said."""
    t, current, earlier = case(19, 3, 5, 0.7)
    _how_solved(audit_module.audit(t, current, history=earlier, full_ranges=True))
    assert "marginals, not their cells" not in capsys.readouterr().out
    _how_solved(audit_module.audit(t, current, history=earlier, full_ranges=True,
                                   basis="marginals"))
    assert "note: the questions were read together through the respondents' marginals, not " \
        "their cells" in capsys.readouterr().out


def test_a_units_unanimity_in_a_breakdown_value_is_named_for_what_it_is():
    """An exposed unanimity of a unit in a breakdown value (UnitTable.unanimous_values) is a
    range of the unit's people in its other values, on the respondents: not "n − n of *"."""
    from surveys.report.audit import ALL_MONTHS
    from tests.unit.report.test_unit_disclosure import two_wards_leaking
    from webapp.cli.disclosure import _what

    table, leaky = two_wards_leaking()
    assert named_unanimity(table, leaky) == {"respondents who answered outside the one value "
                                             "that holds all who answered"}
    assert _what(("19", ALL_MONTHS, "q1", "count:2"), "unanimous") == "n − count:2 of q1"


def test_a_one_choice_breakdowns_unanimity_is_named_by_those_who_did_not_answer():
    """With one choice the group protected is the unit's people who gave no answer to the
    breakdown question (`UnitTable._others`), not "who answered outside the one value"."""
    import copy

    from surveys.report.audit import ALL_MONTHS, RESPONDENTS, N
    from tests.unit.report.test_unit_disclosure import DEFINITION, counted, make_tree, tables_of

    definition = copy.deepcopy(DEFINITION)
    definition["questions"][1]["choices"] = [{"id": "nurse", "label": {"fi": "Esihenkilö"}}]
    responses = ([(2, "nurse", None, "4", False)] * 6 + [(3, "nurse", None, "2", False)] * 6
                 + [(3, None, None, "5", False)] * 5)
    table = tables_of(counted(responses), make_tree([0, 0]), definition, 5)["profession"]
    leaky = {("U0", ALL_MONTHS, RESPONDENTS, N): 6, ("U0", "nurse", RESPONDENTS, N): 6}
    assert named_unanimity(table, leaky) == {"respondents who gave no answer to the breakdown "
                                             "question (all who did chose its one value)"}


def named_unanimity(table, figures) -> set[str]:
    """How the audit command names each exposed unanimity of a unit in a breakdown value."""
    from surveys.report.audit import RESPONDENTS
    from webapp.cli.disclosure import _what

    return {_what(r.figure, r.rule) for r in audit_module.audit(table, figures).exposed
            if r.rule == "unanimous" and r.figure[2] == RESPONDENTS}


def test_the_breakdowns_read_together_are_named_without_a_range(capsys):
    """`palaute disclosure audit` on a unit release: the groups its breakdowns read together
    narrow, by place, breakdown, value and rule, never their range (surveys.report.
    units_across)."""
    from surveys.fold.units import UNIT_TOTAL
    from surveys.report.units import tables_of
    from surveys.report.units_across import narrowed
    from tests.unit.report.test_unit_disclosure import DEFINITION, counted, make_tree
    from tests.unit.report.test_units_across import NURSES, OLD, TOTAL, TWELVE
    from webapp.cli.disclosure import _print_across

    tables = tables_of(counted(TWELVE), make_tree([0, 0]), DEFINITION, 5)
    both = {UNIT_TOTAL: TOTAL, "profession": {**TOTAL, **NURSES}, "age": {**TOTAL, **OLD}}
    _print_across(narrowed(tables, both, {}), 2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "breakdowns read together: FAILS, 4 group(s) narrowed"
    assert sorted(line.split(maxsplit=3) for line in lines[1:]) == [
        ["EXPOSED", "U0", "profession", "(no answer)      size"],
        ["EXPOSED", "U0", "profession", "doctor+(no answer) size"],
        ["EXPOSED", "U1", "age", "(no answer)      size"],
        ["EXPOSED", "U1", "age", "young+(no answer) size"]]
    _print_across([], 2)
    _print_across([], 1)
    _print_across(None, 2)
    assert capsys.readouterr().out.splitlines() == [
        "breakdowns read together: passes, 0 group(s) narrowed",
        "breakdowns read together: 1 breakdown(s), nothing to read together",
        "breakdowns read together: FAILS: not read (the stored figures have no solution "
        "together, or the solver failed)"]
    # A view whose search for sets of cells did not decide: named, unproven.
    from surveys.report.audit import ALL_MONTHS
    from surveys.report.units_across import UNDECIDED, Narrowed

    _print_across([Narrowed("age", ALL_MONTHS, ALL_MONTHS, UNDECIDED, 0.0, math.inf)], 2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "breakdowns read together: FAILS, 0 group(s) narrowed, 1 view(s) not " \
        "decided"
    assert lines[1].split() == ["UNPROVEN", "age", "the", "search", "for", "sets", "of",
                                "cells", "read", "together", "did", "not", "decide"]
