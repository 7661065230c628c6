"""A check behind the way months stay in the national cross-time audit (issue 10; built since
as surveys.report.audit._Marginals, checked against the cells by
tests/unit/report/test_audit_marginals.py).

    .venv/bin/python -m bench.month_projection [--trials 150] [--seed 0]

Not a benchmark of the application: an experiment on generated systems, kept so the claim below
can be re-run (docs/performance.md, "The cross-time audit over every release", "Next").

The claim. Months are published for areas and the country only, never for counties
(docs/privacy.md, "What is published"). For one counted quantity (respondents, or one option's
count) the unknowns are cells x[c, m, l] (county × month × language) per layer t, and every
published figure is a sum over either (county or area) × language over all months, or an area
(or the country) × month over all its counties and languages. So each figure is a function of
two marginals per layer: v[c, l] = Σ_m x and u[a, m] = Σ_{c in a, l} x. Per area the two
marginals have the same total, and any such pair comes from some x ≥ 0 (a transportation
problem with equal totals is always feasible); across layers, the increments between
consecutive layers are again such pairs, so monotone marginals come from monotone cells.
Hence the feasible ranges of county and county × language figures are the same on the
marginals as on the cells: 126 unknowns per layer and quantity at national size (5 areas × 12
months + 22 counties × 3 languages) instead of 792. A county-month group, never published, is
not a function of the marginals: over the cells its least value is Σ_t max(0, Δv_c + Δu_m −
ΔT_a) (per layer increment: what the county's increment and the month's increment force to
overlap) and its largest Σ_t min(Δv_c, Δu_m), both linear programs on the marginals with one
auxiliary unknown per layer.

This script compares, on small random systems (2 areas of 2 counties, 3 months, 2 languages,
1–3 layers, each figure published with probability 0.6), every county's total and every
county-month group of the newest layer: their ranges by linear programs over the cells and
over the marginals. It prints how many ranges it compared and how many differed.

What it does not cover: several quantities bound together cell by cell (a question's `n` at
most the respondents, a `multi` option at most `n`, every question's `n` in the respondents'
system). A single-choice question with its respondents stays separable (the non-answers are one
more quantity: counts, non-answers and respondents are sums of separate quantities), but the
respondents' system with every question's `n` is not, and would stay on the cells.
"""

from __future__ import annotations

import argparse
import itertools
import random

import numpy as np
from scipy.optimize import linprog

AREAS, AREA_OF, MONTHS, LANGS = 2, (0, 0, 1, 1), 3, 2
COUNTIES = len(AREA_OF)


def _range(objective, eq, ub, n):
    """(min, max) of `objective` over x ≥ 0 with eq rows (row, value) and ub rows (row, value)."""
    def solve(sense):
        result = linprog(sense * objective,
                         A_ub=np.array([r for r, _ in ub]) if ub else None,
                         b_ub=[b for _, b in ub] if ub else None,
                         A_eq=np.array([r for r, _ in eq]) if eq else None,
                         b_eq=[b for _, b in eq] if eq else None,
                         bounds=[(0, None)] * n, method="highs")
        if result.status == 3:  # unbounded: only a maximum can be
            return float("inf")
        assert result.status == 0, result.message
        return sense * result.fun
    return solve(1), solve(-1)


def generate(rng):
    layers = rng.choice([1, 2, 3])
    cells = np.zeros((layers, COUNTIES, MONTHS, LANGS))
    now = np.zeros((COUNTIES, MONTHS, LANGS))
    for t in range(layers):
        now = now + np.array([[[rng.choice([0, 0, 1, 2, 5]) for _ in range(LANGS)]
                               for _ in range(MONTHS)] for _ in range(COUNTIES)])
        cells[t] = now
    area_months = {(t, a, m) for t in range(layers) for a in range(AREAS) for m in range(MONTHS)
                   if rng.random() < 0.6}
    county_langs = {(t, c, lg) for t in range(layers) for c in range(COUNTIES)
                    for lg in range(LANGS) if rng.random() < 0.6}
    return cells, area_months, county_langs


def on_cells(cells, area_months, county_langs, target):
    layers = len(cells)
    keys = list(itertools.product(range(layers), range(COUNTIES), range(MONTHS), range(LANGS)))
    idx = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    eq, ub = [], []
    for t, a, m in area_months:
        row = np.zeros(n)
        for c, lg in itertools.product(range(COUNTIES), range(LANGS)):
            if AREA_OF[c] == a:
                row[idx[t, c, m, lg]] = 1
        eq.append((row, cells[t, [c for c in range(COUNTIES) if AREA_OF[c] == a], m].sum()))
    for t, c, lg in county_langs:
        row = np.zeros(n)
        for m in range(MONTHS):
            row[idx[t, c, m, lg]] = 1
        eq.append((row, cells[t, c, :, lg].sum()))
    for t, c, m, lg in keys:
        if t + 1 < layers:  # counts only grow
            row = np.zeros(n)
            row[idx[t, c, m, lg]], row[idx[t + 1, c, m, lg]] = 1, -1
            ub.append((row, 0))
    objective = np.zeros(n)
    county, month = target
    for m, lg in itertools.product(range(MONTHS) if month is None else [month], range(LANGS)):
        objective[idx[layers - 1, county, m, lg]] = 1
    return _range(objective, eq, ub, n)


def on_marginals(cells, area_months, county_langs, target):
    layers = len(cells)
    county, month = target
    keys = ([("u", t, a, m) for t in range(layers) for a in range(AREAS) for m in range(MONTHS)]
            + [("v", t, c, lg) for t in range(layers) for c in range(COUNTIES)
               for lg in range(LANGS)]
            + [("s", t) for t in range(layers)])
    idx = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    eq, ub = [], []
    for t, a in itertools.product(range(layers), range(AREAS)):
        row = np.zeros(n)  # an area's months and its counties' languages: the same total
        for m in range(MONTHS):
            row[idx["u", t, a, m]] += 1
        for c, lg in itertools.product(range(COUNTIES), range(LANGS)):
            if AREA_OF[c] == a:
                row[idx["v", t, c, lg]] -= 1
        eq.append((row, 0))
    for t, a, m in area_months:
        row = np.zeros(n)
        row[idx["u", t, a, m]] = 1
        eq.append((row, cells[t, [c for c in range(COUNTIES) if AREA_OF[c] == a], m].sum()))
    for t, c, lg in county_langs:
        row = np.zeros(n)
        row[idx["v", t, c, lg]] = 1
        eq.append((row, cells[t, c, :, lg].sum()))
    for key in keys:
        if key[0] != "s" and key[1] + 1 < layers:
            row = np.zeros(n)
            row[idx[key]], row[idx[(key[0], key[1] + 1, *key[2:])]] = 1, -1
            ub.append((row, 0))
    if month is None:
        objective = np.zeros(n)
        for lg in range(LANGS):
            objective[idx["v", layers - 1, county, lg]] = 1
        return _range(objective, eq, ub, n)

    area = AREA_OF[county]

    def increment(row, t, terms, sign=1):
        for key in terms:
            row[idx[(key[0], t, *key[1:])]] += sign
            if t > 0:
                row[idx[(key[0], t - 1, *key[1:])]] -= sign

    county_terms = [("v", county, lg) for lg in range(LANGS)]
    month_terms = [("u", area, month)]
    area_terms = [("u", area, m) for m in range(MONTHS)]
    objective = np.zeros(n)
    for t in range(layers):
        objective[idx["s", t]] = 1
    least = list(ub)  # s_t ≥ Δv_c + Δu_m − ΔT_a, s_t ≥ 0
    for t in range(layers):
        row = np.zeros(n)
        increment(row, t, county_terms)
        increment(row, t, month_terms)
        increment(row, t, area_terms, -1)
        row[idx["s", t]] -= 1
        least.append((row, 0))
    most = list(ub)  # s_t ≤ Δv_c, s_t ≤ Δu_m
    for terms in (county_terms, month_terms):
        for t in range(layers):
            row = np.zeros(n)
            increment(row, t, terms, -1)
            row[idx["s", t]] += 1
            most.append((row, 0))
    return _range(objective, eq, least, n)[0], _range(objective, eq, most, n)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    compared = differed = 0
    for trial in range(args.trials):
        rng = random.Random(args.seed * 100_003 + trial)
        system = generate(rng)
        for county in range(COUNTIES):
            for month in (None, *range(MONTHS)):
                a = on_cells(*system, (county, month))
                b = on_marginals(*system, (county, month))
                compared += 1
                if not np.allclose(a, b):
                    differed += 1
                    print(f"trial {trial}: county {county} month {month}: cells {a}, "
                          f"marginals {b}")
    print(f"{compared} ranges compared, {differed} differed")


if __name__ == "__main__":
    main()
