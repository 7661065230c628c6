"""bench/sets_across_breakdowns.py, the exploratory search for sets across two breakdowns'
values (docs/privacy.md, "Breakdowns read together"): it finds such a set where the figures give
one away, and none in what a cut stores for the same answers."""

from __future__ import annotations

from bench.sets_across_breakdowns import narrowed_sets
from surveys.report import units
from surveys.report.audit import RESPONDENTS, N
from surveys.report.units import publish_units, tables_of
from tests.unit.report.test_unit_disclosure import make_tree
from tests.unit.report.test_units_across_threes import DEFINITION, counted, pairs

# One unit of 12 (k = 5), everyone answered every breakdown.
RESPONSES = [(1, "doctor", "old", "short"), (1, "doctor", "old", "long"),
             (1, "doctor", "old", "long"), (1, "nurse", "young", "long"),
             (1, "nurse", "young", "long"), (1, "nurse", "old", "short"),
             (1, "nurse", "old", "long"), (1, "nurse", "old", "long"),
             (1, "doctor", "young", "long"), (1, "doctor", "old", "short"),
             (1, "nurse", "young", "long"), (1, "nurse", "old", "long")]


def test_a_set_given_away_by_small_groups_is_found_and_a_cut_gives_none():
    tree = make_tree([])
    tables = tables_of(counted(RESPONSES), tree, DEFINITION, 5)
    # Every one-way count published, the groups below the threshold too (tenure's 3 short):
    # "no answer" is then nobody, so the old nurses with the young who gave no profession are
    # the old nurses (4), bounded to 3 … 7 by the counts.
    everything = {b: {(place, period, RESPONDENTS, N): table.value(
        (place, period, RESPONDENTS, N)) for place in table.units
        for period in table.periods() if period != ""} for b, table in tables.items()}
    found, read = narrowed_sets(tree, RESPONSES, tables, everything, 5, products=False)
    assert read > 0
    assert ("ORG", "profession", "age", (("nurse", "old"), ("", "young")), 3.0, 7.0) in found
    pub = publish_units(tables)
    units.withhold_across(pub, {}, pairs(RESPONSES, tree))
    cut = {b: p.figures for b, p in pub.pubs.items()}
    assert narrowed_sets(tree, RESPONSES, tables, cut, 5, products=False)[0] == []
    assert narrowed_sets(tree, RESPONSES, tables, cut, 5, products=True)[0] == []
