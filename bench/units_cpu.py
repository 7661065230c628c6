"""CPU time of one audited unit publication (surveys.report.units.publish_units: the unit
totals and each breakdown question's table) with and without the sets of a place's values
(`--flag unions`, the default: `UnitTable.unions`, audited since the 4 December evening
session) or the sets across a unit tree's levels (`--flag across_parents`: a hidden unit
standing for its hidden parts, since the 6 December session) or a unit's unanimity in a
breakdown value as a rule of the auditor (`--flag unanimous_values`, `UnitTable.
unanimous_values`, since the 6 December session), or that unanimity read among those who
answered the breakdown question rather than among all of a unit (`--flag among_answering`,
`UnitTable.unanimity_among_answering`, since the second 6 December session), or with the
publication's breakdowns then read against each other (`--flag across_breakdowns`,
surveys.report.units_across, since the third 6 December session), or read with the groups in
a value of three breakdowns at once besides two (`--flag joint_threes`, with a third
breakdown in the survey, since the fourth 6 December session), or of every number of them at
once besides two and three (`--flag joint_all`, with a third and a fourth breakdown, since the
fifth 6 December session), or with the invitations HR issued read as upper bounds
(`--flag invitations`, `Table.caps`, since the 7 December session's second stop), or with the
sets a search of the published sums finds (`--flag derived_sets`, surveys.report.derivable,
since the 7 December session's fourth stop), or with the gate for sets of cells of any shape the
figures pin or narrow (`--flag narrowing_gate`, surveys.report.narrowing, with the invitations
read in both, since the 7 December session's fifth stop), or within it the other questions'
counts read as bounds of the respondents (`--flag other_questions`, since its seventh stop)
and in each question's program (`--flag questions_through_others`, since the 8 December
session), or with the breakdowns read together searched for sets of cells of any shape
(`--flag sets_across_breakdowns`, units_across.SETS, the same session), side by side in one
run.

    .venv/bin/python -m bench.units_cpu [--respondents 150 600] [--repeat 3] [--seed 1]
        [--flag unions|across_parents|unanimous_values|among_answering|across_breakdowns|
                joint_threes|joint_all|invitations|derived_sets|narrowing_gate|
                other_questions|questions_through_others|sets_across_breakdowns]

Pure (no database, no Redis): the staff wellbeing template's questions and breakdowns
(profession, 5 choices; age band, 3; surveys/definitions/templates/staff-wellbeing.yaml), an
organisation of 40 units (an organisation with 4 services of 3 … 4 departments, some with 2 …
3 wards: own parts at every level above the wards), respondents spread over the units
unevenly (some units of 1 … 4), 10 % without a profession, threshold 5, the counts as the fold
counts them (surveys.fold.units). The two settings alternate, `--repeat` times each, so that
the shared machine's speed weighs on both alike; printed: the median CPU seconds of each, the
ratio, the number of sets each audits (every set `Table.unions` gives for the publication's
figures: of values, of hidden months, across hidden places), and whether both publish the same
figures. Results:
docs/performance.md, "Sets of a unit's values".
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from surveys.definitions.format import load
from surveys.fold.aggregation import Row, count_answers
from surveys.fold.units import UNIT_TOTAL, count_unit_rows
from surveys.models import Unit
from surveys.report import units, units_across
from surveys.report.units import Tree, UnitTable, pairs_of, publish_units, tables_of
from surveys.staff.units import depth_first

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "surveys/definitions/templates/staff-wellbeing.yaml"
THRESHOLD = 5


def organisation(rng: random.Random) -> Tree:
    units = [Unit(id=1, code="ORG", parent_id=None, kind="organisation", name_fi="O",
                  name_sv="O", headcount=None)]

    def add(parent: int) -> int:
        uid = len(units) + 1
        # (Zero-padded: siblings by code, as `depth_first` walks them, are in the order added.)
        units.append(Unit(id=uid, code=f"U{uid:02d}", parent_id=parent, kind="unit",
                          name_fi=f"U{uid}", name_sv=f"U{uid}", headcount=None))
        return uid

    while len(units) < 40:
        service = add(1)
        for _ in range(rng.randint(3, 4)):
            department = add(service)
            for _ in range(rng.choice([0, 0, 2, 3])):
                add(department)
    return Tree(units[0], depth_first(units[0], units))


def responses(n: int, tree: Tree, definition: dict, rng: random.Random) -> list[tuple]:
    units = [u for _d, u in tree.rows]
    weights = [rng.choice([1, 1, 3, 8]) for _ in units]  # some units far smaller than others
    questions = {q["id"]: q for q in definition["questions"]}
    out = []
    for _ in range(n):
        unit = rng.choices(units, weights)[0]
        answers: dict = {}
        for qid, q in questions.items():
            if q["type"] == "likert5":
                answers[qid] = rng.choice([1, 2, 3, 4, 4, 5])
            elif q["type"] == "single":
                choices = [c["id"] for c in q["choices"]]
                if qid == "profession" and rng.random() < 0.1:
                    continue  # no answer
                answers[qid] = rng.choice([choices[0], *choices])  # the first most common
            elif q["type"] == "nps":
                answers[qid] = rng.randint(0, 10)
        out.append((unit.id, Row(1, "15", "fi", date(2026, 11, 2), answers)))
    return out


SWITCHES = {"unions": "audit_unions", "across_parents": "across_parents",
            # The sets a search of the published sums finds (surveys.report.derivable, since
            # the 7 December session's fourth stop).
            "derived_sets": "derived_sets",
            # No set of cells of any shape pinned or narrowed by the figures, read with the
            # invitations (surveys.report.narrowing, since the 7 December session's fifth
            # stop): measured with the invitations HR issued, as a cut reads them.
            "narrowing_gate": "narrowing_gate",
            # Within that gate, the other questions' counts read as bounds of the respondents
            # (surveys.report.narrowing.bounding_keys, since its seventh stop), the same way.
            "other_questions": "gate_other_questions",
            # ... and in each question's program (through the respondents, since the 8
            # December session).
            "questions_through_others": "gate_questions_through_others",
            "unanimous_values": "audit_unanimous_values",
            "among_answering": "unanimity_among_answering",
            # Not the table's: the publication's breakdowns read against each other after it
            # (surveys.report.units_across, which a unit cut asks since the third 6 December
            # session), in the timed part with the flag on; the figures are the same.
            "across_breakdowns": None,
            # Within that check, each view's sets of cells of any shape the views read
            # together pin or narrow (units_across.SETS, since the 8 December session), read
            # with the invitations in both.
            "sets_across_breakdowns": None,
            # Not the table's either: the breakdowns read together both ways, with the groups in
            # a value of three breakdowns at once (since the fourth 6 December session) or of
            # two only, with a third breakdown (tenure, 3 choices) in the survey.
            "joint_threes": None,
            # The same with a fourth breakdown (shift, 2 choices): the groups in a value of
            # every number of breakdowns at once (since the fifth 6 December session) or of two
            # and three only.
            "joint_all": None,
            # Not the table's either: the tables read with the invitations HR issued as upper
            # bounds of each leaf's respondents (`Table.caps`, since the 7 December session's
            # second stop) or without; some units answered in full (`issued_for`).
            "invitations": None}
TENURE = {"id": "tenure", "type": "single", "breakdown": True,
          "text": {"fi": "Työsuhteen kesto", "sv": "Anställningens längd"},
          "choices": [{"id": c, "label": {"fi": c, "sv": c}} for c in ("short", "mid", "long")]}
SHIFT = {"id": "shift", "type": "single", "breakdown": True,
         "text": {"fi": "Työvuoro", "sv": "Arbetsskift"},
         "choices": [{"id": c, "label": {"fi": c, "sv": c}} for c in ("day", "night")]}
# Per flag reading the breakdowns together both ways: the most breakdowns read at once without
# and with it (units.MAX_JOINT_SIZE), and the breakdowns added to the template's two.
JOINT = {"joint_threes": ((2, 3), [TENURE]), "joint_all": ((3, None), [TENURE, SHIFT])}


def issued_for(answered: list[tuple], tree: Tree, rng: random.Random) -> dict[str, int]:
    """Invitations per unit code: each unit's respondents at a response rate of 50 … 90 %,
    or every invitation answered in one unit of five (where the invitations bound most)."""
    code = {u.id: u.code for _d, u in tree.rows}
    got = {c: 0 for c in code.values()}
    for unit_id, _row in answered:
        got[code[unit_id]] += 1
    return {c: n if rng.random() < 0.2 else round(n / rng.uniform(0.5, 0.9))
            for c, n in sorted(got.items())}


def publication(rows: list[tuple], tree: Tree, definition: dict, flag: str,
                on: bool, answered: list[tuple] = (),
                issued: dict[str, int] | None = None) -> tuple[float, dict, int]:
    switch = SWITCHES[flag]
    if switch:
        setattr(UnitTable, switch, on)
    saved = units.MAX_JOINT_SIZE
    if flag == "sets_across_breakdowns":
        units_across.SETS = on
    try:
        started = time.process_time()
        tables = tables_of(rows, tree, definition, THRESHOLD,
                           issued=issued if (flag == "invitations" and on)
                           or flag in ("narrowing_gate", "other_questions",
                                       "questions_through_others", "sets_across_breakdowns")
                           else None)
        pub = publish_units(tables)
        if flag in JOINT:
            units.MAX_JOINT_SIZE = JOINT[flag][0][on]
        if (flag == "across_breakdowns" and on) or flag in JOINT \
                or flag in ("invitations", "sets_across_breakdowns"):
            # With the pairs' true counts, as a cut counts them from the stored responses.
            pairs = pairs_of([(unit_id, row.answers) for unit_id, row in answered], tree,
                             [b for b in tables if b != UNIT_TOTAL])
            found = units_across.narrowed(tables, {b: p.figures for b, p in pub.pubs.items()},
                                          {b: p.reasons for b, p in pub.pubs.items()}, pairs)
            if found:
                print(f"  breakdowns read together narrow {len(found)} group(s)")
        spent = time.process_time() - started
        sets = sum(len(t.unions(pub.pubs[b].figures)) for b, t in tables.items())
    finally:
        if switch:
            setattr(UnitTable, switch, True)
        units.MAX_JOINT_SIZE = saved
        units_across.SETS = True
    return spent, {b: p.figures for b, p in pub.pubs.items()}, sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, nargs="+", default=[150, 600])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flag", choices=sorted(SWITCHES), default="unions")
    args = parser.parse_args(argv)
    definition = load(TEMPLATE.read_text("utf-8"))
    if args.flag in JOINT:
        definition["questions"] += JOINT[args.flag][1]
    tree = organisation(random.Random(args.seed))
    print(f"{len(tree.rows)} units, threshold {THRESHOLD}")
    for n in args.respondents:
        answered = responses(n, tree, definition, random.Random(args.seed))
        issued = issued_for(answered, tree, random.Random(args.seed))
        counts = count_unit_rows(answered, {1: definition}, count_answers)
        rows = [(k.unit_id, k.breakdown, k.value, k.question_id, k.option, c)
                for k, c in counts.items()]
        times: dict[bool, list[float]] = {True: [], False: []}
        figures: dict[bool, dict] = {}
        sets = {False: 0, True: 0}
        for _ in range(args.repeat):
            for on in (False, True):
                spent, figures[on], got = publication(rows, tree, definition, args.flag, on,
                                                      answered, issued)
                times[on].append(spent)
                sets[on] = max(sets[on], got)
        off, on_ = statistics.median(times[False]), statistics.median(times[True])
        same = figures[True] == figures[False]
        shown = {on: sum(len(f) for f in figures[on].values()) for on in (False, True)}
        print(f"{n} respondents: without {args.flag} {off:.2f} s ({sets[False]} sets), with "
              f"{on_:.2f} s ({sets[True]} sets); x{on_ / off:.2f}; same figures: {same} "
              f"({shown[False]} and {shown[True]} figures shown)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
