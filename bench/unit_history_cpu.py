"""CPU time of a unit release's publication and audit with every earlier unit release as an
earlier layer (surveys.report.units.cut: `publish_units(tables, history=…)`, then each table's
audit with the same layers), by the number of earlier releases: what the cap on a staff
survey's unit releases (`units.MAX_UNIT_RELEASES`, docs/privacy.md "Releases of unit figures")
is chosen from.

    .venv/bin/python -m bench.unit_history_cpu [--respondents 150] [--earlier 0 1 2 3 4]
        [--step 60] [--seed 1] [--compare-again] [--compare-one-time]

Pure (no database, no Redis), on bench/units_cpu.py's organisation (40 units, the staff
wellbeing template's questions and breakdowns, threshold 5). The survey's respondents grow by
`--step` between two releases (the first release has `--respondents`), each release being the
publication of its time audited with those before it, as a cut stores them; the timed cut is the
one after `--earlier` releases. Prints its CPU seconds and whether every table passed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bench.units_cpu import TEMPLATE, THRESHOLD, organisation, responses
from surveys.definitions.format import load
from surveys.fold.aggregation import count_answers
from surveys.fold.units import count_unit_rows
from surveys.report.audit import audit
from surveys.report.units import passes_with_history, publish_units, tables_of


def tables_at(n: int, tree, definition, seed: int):
    # The same seed: the first n respondents of a larger run are those of a smaller one, so
    # every count only grows from one release to the next, as a survey's do.
    answered = responses(n, tree, definition, random.Random(seed))
    counts = count_unit_rows(answered, {1: definition}, count_answers)
    rows = [(k.unit_id, k.breakdown, k.value, k.question_id, k.option, c)
            for k, c in counts.items()]
    return tables_of(rows, tree, definition, THRESHOLD)


def cut(tables, layers, again: bool = False, across: bool = True) -> tuple[float, bool, dict]:
    """What `units.cut` computes; `again`: every table audited again after publish_units, as
    before the 6 December session (`--compare-again`); `across` False: the gate of sets
    narrowed reads today's figures only (`Table.gate_across_times`, `--compare-one-time`)."""
    from surveys.report.audit import Table

    started = time.process_time()
    Table.gate_across_times = across
    try:
        pub = publish_units(tables, history=layers)
    finally:
        Table.gate_across_times = True
    if again:
        passed = all(audit(t, pub.pubs[b].figures, reasons=pub.pubs[b].reasons,
                           history=layers.get(b, ())).passed for b, t in tables.items())
    else:
        passed = passes_with_history(pub, layers)
    return time.process_time() - started, passed, pub.pubs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=150)
    parser.add_argument("--earlier", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--step", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare-one-time", action="store_true",
                        help="time each cut also with the gate of sets narrowed reading "
                             "today's figures only (before the 7 December session's sixth "
                             "stop), side by side")
    parser.add_argument("--compare-again", action="store_true",
                        help="time each cut also with every table audited again after "
                             "publish_units (before the 6 December session), side by side")
    args = parser.parse_args(argv)
    definition = load(TEMPLATE.read_text("utf-8"))
    tree = organisation(random.Random(args.seed))
    print(f"{len(tree.rows)} units, threshold {THRESHOLD}, {args.respondents} respondents at "
          f"the first release, {args.step} more at each later one", flush=True)
    layers: dict[str, list] = {}
    for i in range(max(args.earlier) + 1):
        tables = tables_at(args.respondents + i * args.step, tree, definition, args.seed)
        seconds, passed, pubs = cut(tables, layers)
        if i in args.earlier:
            line = f"after {i} earlier releases: {seconds:.2f} s, passed: {passed}"
            shown = sum(len(p.figures) for p in pubs.values())
            line += f", {shown} figures"
            if args.compare_one_time:
                # (Tables built again: each table memoises its searches.)
                fresh = tables_at(args.respondents + i * args.step, tree, definition, args.seed)
                before, was, other = cut(fresh, layers, across=False)
                line += (f"; the gate reading one time: {before:.2f} s, passed: {was}, "
                         f"{sum(len(p.figures) for p in other.values())} figures")
            if args.compare_again:
                before, was, _pubs = cut(tables, layers, again=True)
                line += f"; audited again after publish_units: {before:.2f} s, passed: {was}"
            print(line, flush=True)
        for b, p in pubs.items():
            layers.setdefault(b, []).insert(0, (dict(p.figures), dict(p.reasons)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
