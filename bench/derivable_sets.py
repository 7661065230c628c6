"""Sets of cells that a publication's respondent counts give exactly, of any size: a search
for the gap docs/privacy.md ("Not yet", sets across places of different sums) leaves open.

    .venv/bin/python -m bench.derivable_sets [--respondents 300 2000] [--languages 3 6]
        [--random 40] [--seed 13] [--unanimous | --narrowed]

The auditor protects the sets it lists (`Table.unions`: a place's languages or months, a
sum's hidden places); the tests' span checks try every set of up to four groups. Here one
mixed-integer program per publication (SciPy's `milp`, HiGHS) asks for *any* set S of the
table's finest cells (county × month × language) holding 1 … k−1 respondents whose indicator
is a combination of the published respondent counts' rows (so its count follows exactly),
the smallest first; each one found is confirmed in exact rational arithmetic and then
excluded, until none is left or `--most` are found. Only the respondents' figures, and only
exact derivation: a set narrowed without being pinned is not found (the auditor's ranges are
the stricter test). Pure (no database).

Publications: the one the site serves for the synthetic national survey of bench/audit_cpu.py
(`results.audited_publication`), and `--random` small tables like
tests/unit/report/test_language_disclosure.py's, each published with and without months.
Results: docs/privacy.md, "Not yet". Since the 7 December session's fourth stop every audit
searches for such sets itself (surveys.report.derivable, a program of its own, per counted
key); this one stays the tests' check, written apart and confirmed exactly: 24, then 3, now 0
sets in 600 random publications (seeds 5, 7, 13).

`--unanimous`: instead, sets whose members the published n and option counts of a question
both give exactly, all with the same answer (`unanimous`: unanimity proven, which the auditor
protects in every group and set it reads), on the served publications and on random tables
whose respondents also answered a five-point question (three in four of them 5).

`--narrowed`: instead, sets of cells whose range the published respondent counts make
narrower than the auditor's size rule allows, pinned *or* narrowed (`narrowed`): what the
exact search above misses, confirmed by computing each set's range directly.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from bench.audit_cpu import DEMO, LANGS, MONTHS, THRESHOLD, counties, plain, respondents
from bench.publish_cpu import ALL_LANGS
from surveys.definitions.format import load, reported_questions
from surveys.report.audit import RESPONDENTS, N, QuestionModel, Table, count_of
from surveys.report.disclosure import publish, publish_without_months
from surveys.report.narrowing import narrowed_sets
from surveys.report.results import audited_publication, question_model
from tests.unit.report.test_unit_disclosure import Span


def derivable(table: Table, figures, most: int = 5) -> list[tuple[list, int]]:
    """Up to `most` sets of cells of 1 … k−1 respondents that the published respondent counts
    give exactly, smallest first: (the cells, their respondents)."""
    cells = list(table._index)
    size = len(cells)
    sums = [set(table.cells_of(f[:2])) for f in figures if f[2] == RESPONDENTS and f[3] == N]
    rows = [[1 if i in members else 0 for i in range(size)] for members in sums]
    if not rows:
        return []
    values = np.array([table.cells.get(c, {}).get(RESPONDENTS, {}).get(N, 0) for c in cells],
                      dtype=float)
    exact = Span(rows)
    a = np.array(rows, dtype=float)  # figures × cells
    m = len(rows)
    # Unknowns: x (one per cell, 0/1: in the set), then y (one per figure, free): Aᵀy = x.
    span = np.hstack([-np.eye(size), a.T])
    constraints = [LinearConstraint(span, 0.0, 0.0),
                   LinearConstraint(np.concatenate([values, np.zeros(m)]), 1.0,
                                    table.threshold - 1.0)]
    cost = np.concatenate([np.ones(size), np.zeros(m)])
    integrality = np.concatenate([np.ones(size), np.zeros(m)])
    bounds = Bounds(np.concatenate([np.zeros(size), np.full(m, -1e4)]),
                    np.concatenate([np.ones(size), np.full(m, 1e4)]))
    found = []
    while len(found) < most:
        got = milp(cost, constraints=constraints, integrality=integrality, bounds=bounds,
                   options={"time_limit": 120})
        if got.x is None:
            return found
        chosen = [i for i in range(size) if got.x[i] > 0.5]
        if exact.holds([1 if i in chosen else 0 for i in range(size)]):
            found.append(([cells[i] for i in chosen], int(sum(values[i] for i in chosen))))
        # Not this set again (a solver's near-solution that the exact check refuses, too).
        cut = np.zeros(size + m)
        cut[chosen] = 1.0
        constraints.append(LinearConstraint(cut, -np.inf, len(chosen) - 1.0))
    return found


def unanimous(table: Table, figures) -> list[tuple[str, str, list, int]]:
    """Sets of cells whose n of a one-answer question and count of one of its options (not a
    harmless one) the published figures both give exactly, the count all of the n: everyone
    in the set gave that answer, proven. Per question and option one program (the smallest
    set, confirmed exactly): (question, option, the cells, their n)."""
    cells = list(table._index)
    size = len(cells)
    out = []
    for q in table.questions:
        if q.kind != "one":
            continue
        n = np.array([table.cells.get(c, {}).get(q.id, {}).get(N, 0) for c in cells], float)
        with_n = [f[:2] for f in figures if f[2] == q.id and f[3] == N]
        for option in q.options:
            with_count = [f[:2] for f in figures if f[2] == q.id and f[3] == count_of(option)]
            if option in q.harmless or not with_n or not with_count:
                continue
            count = np.array([table.cells.get(c, {}).get(q.id, {}).get(option, 0)
                              for c in cells], float)
            rows = [[[1 if i in set(table.cells_of(g)) else 0 for i in range(size)]
                     for g in groups] for groups in (with_n, with_count)]
            a, b = (np.array(r, dtype=float) for r in rows)
            # x (per cell) in both spans: Aᵀy = x = Bᵀz; only cells where everyone answered
            # it; at least one person.
            width = size + len(a) + len(b)
            span = np.vstack([np.hstack([-np.eye(size), a.T, np.zeros((size, len(b)))]),
                              np.hstack([-np.eye(size), np.zeros((size, len(a))), b.T])])
            constraints = [LinearConstraint(span, 0.0, 0.0),
                           LinearConstraint(np.concatenate([count, np.zeros(width - size)]),
                                            1.0, np.inf)]
            bounds = Bounds(np.concatenate([np.zeros(size), np.full(width - size, -1e4)]),
                            np.concatenate([np.where(n > count, 0.0, 1.0),
                                            np.full(width - size, 1e4)]))
            got = milp(np.concatenate([np.ones(size), np.zeros(width - size)]),
                       constraints=constraints, bounds=bounds,
                       integrality=np.concatenate([np.ones(size), np.zeros(width - size)]),
                       options={"time_limit": 120})
            if got.x is None:
                continue
            chosen = [i for i in range(size) if got.x[i] > 0.5]
            x = [1 if i in chosen else 0 for i in range(size)]
            if Span(rows[0]).holds(x) and Span(rows[1]).holds(x):
                out.append((q.id, option, [cells[i] for i in chosen],
                            int(sum(n[i] for i in chosen))))
    return out


def narrowed(table: Table, figures, most: int = 5, reasons=None
             ) -> list[tuple[list, int, float, float]]:
    """Sets of cells of 1 … k−1 respondents whose range the published respondent counts (and
    `reasons`) pin or narrow below the size rule (surveys.report.narrowing.narrowed_sets, each
    confirmed by its range computed directly): (the cells, their respondents, low, high)."""
    return [(s.cells, int(sum(table.cells.get(c, {}).get(RESPONDENTS, {}).get(N, 0)
                              for c in s.cells)), s.low, s.high)
            for s in narrowed_sets(table, figures, RESPONDENTS, most, reasons=reasons)]


def _synthetic(n: int, langs: tuple[str, ...]) -> Table:
    definition = load(DEMO.read_text("utf-8"))
    models = tuple(question_model(q) for q in reported_questions(definition))
    cells = plain(respondents(n, MONTHS, counties(), reported_questions(definition),
                              random.Random(1), langs))
    return Table(counties(), MONTHS, models, THRESHOLD, cells, langs)


AREA_OF = {"19": "pohjois", "18": "pohjois", "21": "pohjois", "17": "lansi", "01": "etela"}


LIKERT = QuestionModel("q", "one", ("1", "2", "3", "4", "5"), (1, 2, 3, 4, 5))


def _random_table(rng: random.Random, answers: bool = False) -> Table:
    """A small table as tests/unit/report/test_language_disclosure.py generates them; with
    `answers`, everyone also answered a five-point question, three in four of them 5."""
    months, langs = ("2026-01", "2026-02"), ("fi", "sv", "se")
    cells: dict = {}
    for county, month, lang in itertools.product(AREA_OF, months, langs):
        if rng.random() < 0.5:
            n = rng.choice((1, 2, 3, 4, 6, 9, 15))
            cells[(county, month, lang)] = {RESPONDENTS: {N: n}}
            if answers:
                counts = dict.fromkeys(LIKERT.options, 0)
                for _ in range(n):
                    counts[rng.choice(("5", "5", "5", "4"))] += 1
                cells[(county, month, lang)][LIKERT.id] = {N: n, **counts}
    return Table(AREA_OF, months, (LIKERT,) if answers else (), 5, cells, langs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, nargs="*", default=[300, 2000])
    parser.add_argument("--languages", type=int, nargs="+", choices=[3, 6], default=[3])
    parser.add_argument("--random", type=int, default=40)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--most", type=int, default=5)
    parser.add_argument("--unanimous", action="store_true",
                        help="search for sets proven unanimous instead (`unanimous`)")
    parser.add_argument("--narrowed", action="store_true",
                        help="search for sets pinned or narrowed instead (`narrowed`)")
    args = parser.parse_args(argv)
    if args.unanimous:
        return _unanimity(args)
    if args.narrowed:
        return _narrowing(args)
    for n in args.respondents:
        for count in args.languages:
            pub = audited_publication(_synthetic(n, LANGS if count == 3 else ALL_LANGS))
            started = time.process_time()
            sets = derivable(pub.table, pub.figures, args.most)
            print(f"served, {n} respondents, {count} languages ({pub.table.size} cells, "
                  f"{len(pub.figures)} figures): {len(sets)} set(s) "
                  f"[{time.process_time() - started:.1f} s]", flush=True)
            for chosen, people in sets:
                print(f"    {people}: {chosen}")
    rng = random.Random(args.seed)
    total, tables = 0, 0
    for _ in range(args.random):
        t = _random_table(rng)
        for pub in (publish(t), publish_without_months(t)):
            sets = derivable(pub.table, pub.figures, args.most)
            tables += 1
            total += len(sets)
            for chosen, people in sets:
                print(f"    random table {tables}: {people}: {chosen}")
    print(f"random tables: {tables} publications, {total} set(s)")
    return 0


def _served_and_random(args: argparse.Namespace, find, what: str, answers: bool = False
                       ) -> int:
    """`find` (a publication -> what it found) on the served national
    publications, then on `--random` small tables published with and without months."""
    for n in args.respondents:
        pub = audited_publication(_synthetic(n, LANGS))
        started = time.process_time()
        found = find(pub)
        print(f"served, {n} respondents ({pub.table.size} cells): {len(found)} set(s) {what} "
              f"[{time.process_time() - started:.1f} s]", flush=True)
    rng = random.Random(args.seed)
    total, tables = 0, 0
    for _ in range(args.random):
        t = _random_table(rng, answers=answers)
        for pub in (publish(t), publish_without_months(t)):
            tables += 1
            for found in find(pub):
                total += 1
                print(f"    random table {tables}: {found}")
    print(f"random tables: {tables} publications, {total} set(s) {what}")
    return 0


def _unanimity(args: argparse.Namespace) -> int:
    return _served_and_random(args, lambda pub: unanimous(pub.table, pub.figures),
                              "proven unanimous", answers=True)


def _narrowing(args: argparse.Namespace) -> int:
    return _served_and_random(
        args, lambda pub: narrowed(pub.table, pub.figures, args.most, pub.reasons),
        "pinned or narrowed (with the published reasons)")


if __name__ == "__main__":
    sys.exit(main())
