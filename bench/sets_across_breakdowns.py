"""Sets across two breakdowns' values, read exactly, on what a first unit cut stores: the
exploratory search behind docs/privacy.md's "Breakdowns read together" (sets across two
breakdowns' values, e.g. the old nurses with the young doctors as one group, which the cut's
check doesn't read).

    .venv/bin/python -m bench.sets_across_breakdowns [--seed 2] [--surveys 80] [--products]

Pure (no database). Each generated staff survey (a tree of 1 … 4 units, up to 30 respondents
with a profession, an age and a tenure, k 3 or 5) is published and cut as the release job cuts
it (publish_units, withhold_across); then, for every place and every pair of breakdowns, each
set of that place's cells value × value holding 1 … k−1 of its respondents is bounded by the
program over the cells leaf × profession × age × tenure with every published respondent count
(as tests/unit/report/test_units_across_threes.py's `cells_reading` bounds single groups).
A set whose range breaks the auditor's size rule is printed. Without --products, the sets that
are no product of values; with it, the products of two cells or more that are not one value's
group. About 10 s of CPU per survey.
"""

from __future__ import annotations

import argparse
import random
import sys
from itertools import combinations, product

import numpy as np
from scipy.optimize import linprog

from surveys.fold.units import UNIT_TOTAL
from surveys.report import units
from surveys.report.audit import ALL_MONTHS
from surveys.report.units import publish_units, tables_of
from tests.unit.report.test_unit_disclosure import make_tree
from tests.unit.report.test_units_across_threes import DEFINITION, VIEWS, counted, pairs


def narrowed_sets(tree, responses, tables, figures, k: int, products: bool
                  ) -> tuple[list[tuple], int]:
    """(sets whose range breaks the size rule, sets read)."""
    totals = tables[UNIT_TOTAL]
    values = [tables[b].months for b in VIEWS]  # with "" (no answer)
    parents = {u.parent_id for _d, u in tree.rows}
    leaf_of = {u.id: u.code + units.OWN if u.id in parents else u.code for _d, u in tree.rows}
    cells = [(leaf, *vs) for leaf in totals.counties for vs in product(*values)]
    index = {c: i for i, c in enumerate(cells)}
    truth = np.zeros(len(cells))
    for unit_id, *vs in responses:
        truth[index[(leaf_of[unit_id], *(v or "" for v in vs))]] += 1

    def row(place: str, wanted) -> np.ndarray:
        leaves = set(totals.counties_of(place))
        out = np.zeros(len(cells))
        for c, i in index.items():
            if c[0] in leaves and wanted(c):
                out[i] = 1.0
        return out

    eq, rhs = [], []
    for b, published in figures.items():
        at = VIEWS.index(b) if b in VIEWS else None
        for (place, period, _key, _measure), v in published.items():
            eq.append(row(place, (lambda c: True) if period == ALL_MONTHS
                          else (lambda c, at=at, p=period: c[1 + at] == p)))
            rhs.append(v)
    if not eq:
        return [], 0
    program = {"A_eq": np.array(eq), "b_eq": rhs, "bounds": (0, None), "method": "highs"}
    found, read = [], 0
    for place in totals.parent_of:
        for i, j in combinations(range(len(VIEWS)), 2):
            joint = list(product(values[i], values[j]))
            for size in range(2, len(joint)):
                for chosen in combinations(joint, size):
                    a, b = {x for x, _ in chosen}, {y for _, y in chosen}
                    is_product = len(a) * len(b) == size
                    if is_product != products:
                        continue
                    if products and (a == set(values[i]) or b == set(values[j])):
                        continue
                    members = set(chosen)
                    group = row(place, lambda c, i=i, j=j, m=members: (c[1 + i], c[1 + j]) in m)
                    if not 0 < group @ truth < k:
                        continue
                    read += 1
                    low = linprog(group, **program).fun
                    high = -linprog(-group, **program).fun
                    if high - low < k - 1e-6 and not (low <= 1e-6 and high >= k - 1 - 1e-6):
                        found.append((place, VIEWS[i], VIEWS[j], chosen, low, high))
    return found, read


def survey(rng: random.Random) -> tuple[list[int], int, list[tuple]]:
    n = rng.randint(1, 3)
    parents = [rng.randint(0, i) for i in range(n)]
    responses = [(rng.randint(1, n + 1), rng.choice([None, "nurse", "nurse", "doctor"]),
                  rng.choice([None, "young", "old", "old"]),
                  rng.choice([None, "short", "long", "long"]))
                 for _ in range(rng.randint(0, 30))]
    return parents, rng.choice([3, 5]), responses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--surveys", type=int, default=80)
    parser.add_argument("--products", action="store_true")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    read = hits = 0
    for n in range(args.surveys):
        parents, k, responses = survey(rng)
        tree = make_tree(parents)
        tables = tables_of(counted(responses), tree, DEFINITION, k)
        pub = publish_units(tables)
        joint = pairs(responses, tree)
        units.withhold_across(pub, {}, joint)
        found, sets = narrowed_sets(tree, responses, tables,
                                    {b: p.figures for b, p in pub.pubs.items()}, k,
                                    args.products)
        read += sets
        if found:
            hits += 1
            print(f"survey {n}: {found[:3]}", flush=True)
    print(f"surveys {args.surveys}, sets read {read}, surveys with a narrowed set {hits}")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
