"""CPU time of the cross-time disclosure audit at national size, months included.

    .venv/bin/python -m bench.audit_cpu [--respondents 20000] [--seed 1] [--repeat 1]
                                        [--reference] [--json PATH]
                                        [--scenario PATH]

Pure (no database, no Redis): what one release cut's audit (surveys.report.releases.cut ->
surveys.report.history.audit_release) computes, on a synthetic survey shaped like a national one:

- the 22 wellbeing services counties in their 5 collaboration areas (surveys/reference/data),
  12 months (2026-01 … 2026-12), respondents in fi, sv and se, the questions of the demo survey
  (surveys/definitions/demo/asiakaskokemus-2026.yaml), threshold 5;
- `--respondents` spread over the counties by population (the smallest, Kainuu and Central
  Ostrobothnia, about 20 a month at 20 000), over January … November; sv answers only in the
  bilingual counties (3 … 50 %), se only in Lapland (5 %); answers drawn at random (seeded: the
  same table every run). Small groups are then few enough (at most
  surveys.report.results.MAX_AUDITED_FIGURES protected figures) that the areas' and the
  country's months are published, as a national survey's are: the case the limit was for;
- release 1 cut from that table: everything `publish` computes (with the areas' and the country's
  months, as surveys.report.results publishes when affordable);
- then December's first responses (1.25 % more, in December only: small counties below the
  threshold there) and release 2: the blocks the
  release rule lets change (surveys.report.releases.changing_blocks) take the new publication's
  figures, the others carry release 1's; the audit is that release with release 1's time as the
  earlier layer.

Timed: `audit_release` of release 2 with the months in the system (history.MAX_MONTHLY_CELLS
bypassed for the run, whatever it is), CPU seconds of this process (`time.process_time`: HiGHS
threads included) and wall seconds, with the number of linear programs, the verdicts (exposed
figures) and, per system (the respondents, each question), its size and time. `--reference`
also times the reference path (scipy's `linprog` per program, `audit.SOLVER = "linprog"`) on
the same release and checks that both give the same verdicts. Setting up (two publications) is
not timed, and takes over ten minutes on the test machine (two audited publications at
national size): `--scenario PATH` keeps it in a file and reuses it. Results:
docs/performance.md, "The cross-time audit".
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from surveys.definitions.format import load, reported_questions
from surveys.reference.regions import read_csv
from surveys.report import audit as audit_mod
from surveys.report import history
from surveys.report.audit import COUNTRY, RESPONDENTS, Table, area_place, lang_period
from surveys.report.disclosure import publish
from surveys.report.releases import changing_blocks
from surveys.report.results import band_of, question_model

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "surveys/definitions/demo/asiakaskokemus-2026.yaml"
MONTHS = tuple(f"2026-{m:02d}" for m in range(1, 13))
LANGS = ("fi", "se", "sv")
# Every language a survey may offer (bench/history_cpu.py --languages 6): Inari and Skolt Sámi
# answered in Lapland only, English anywhere, at the shares below.
ALL_LANGS = ("en", "fi", "se", "smn", "sms", "sv")
OTHER_SAMI = {"21": 0.01}  # smn and sms respondents each
ENGLISH = 0.02
THRESHOLD = 5


def counties() -> dict[str, str]:
    return {r["code"]: r["collaboration_area"] for r in read_csv("wellbeing_counties.csv")}


# Rough populations in thousands (2025), for the spread of respondents over the counties.
POPULATION = {"01": 100, "02": 200, "03": 470, "04": 280, "05": 490, "06": 210, "07": 170,
              "08": 530, "09": 200, "10": 160, "11": 125, "12": 130, "13": 250, "14": 165,
              "15": 275, "16": 190, "17": 175, "18": 70, "19": 415, "20": 70, "21": 175,
              "90": 670}
SWEDISH = {"17": 0.5, "01": 0.3, "03": 0.3, "18": 0.1, "05": 0.06, "10": 0.05, "04": 0.03,
           "90": 0.06}  # the bilingual counties' share of sv respondents
SAMI = {"21": 0.05}  # se respondents: Lapland only


def answer(q: dict[str, Any], rng: random.Random) -> list[str] | None:
    """One respondent's answer to a question, as result options (None: skipped)."""
    if not q.get("required") and rng.random() < 0.15:
        return None
    kind = q["type"]
    if kind == "nps":
        return [str(min(10, max(0, int(rng.gauss(7.5, 2.2)))))]
    if kind == "likert5":
        return [str(rng.choices("12345", [1, 2, 3, 5, 4])[0])]
    if kind == "number":
        return [band_of(q, rng.randint(q.get("min", 15), min(q.get("max", 110), 95))) or ""]
    if kind == "multi":
        got = [c["id"] for c in q["choices"] if rng.random() < 0.4]
        return got or [q["choices"][0]["id"]]
    if kind == "text":
        return []
    return [rng.choice(q["choices"])["id"]]


def respondents(n: int, months: tuple[str, ...], area_of: dict[str, str], questions: list,
                rng: random.Random, langs: tuple[str, ...] = LANGS) -> dict:
    """n respondents' counts added to fresh cells {(county, month, lang): {key: {measure}}}."""
    codes = sorted(area_of)
    cells: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for _ in range(n):
        county = rng.choices(codes, [POPULATION.get(c, 100) for c in codes])[0]
        month = rng.choice(months)
        r = rng.random()
        sv, se = SWEDISH.get(county, 0), SAMI.get(county, 0)
        lang = "sv" if r < sv else "se" if r < sv + se else "fi"
        if langs == ALL_LANGS and lang == "fi":
            other = OTHER_SAMI.get(county, 0)
            r = rng.random()
            lang = ("en" if r < ENGLISH else "smn" if r < ENGLISH + other
                    else "sms" if r < ENGLISH + 2 * other else "fi")
        cell = cells[(county, month, lang)]
        cell[RESPONDENTS]["n"] += 1
        for q in questions:
            got = answer(q, rng)
            if got is None:
                continue
            cell[q["id"]]["n"] += 1
            for o in got:
                cell[q["id"]][o] += 1
    return cells


def merged(a: dict, b: dict) -> dict:
    out: dict = {}
    for src in (a, b):
        for c, keys in src.items():
            for key, ms in keys.items():
                for m, v in ms.items():
                    out.setdefault(c, {}).setdefault(key, {})
                    out[c][key][m] = out[c][key].get(m, 0) + v
    return out


def plain(cells: dict) -> dict:
    return {c: {key: dict(ms) for key, ms in keys.items()} for c, keys in cells.items()}


def block_sizes(t: Table, places: list[str], measures: list[str]) -> dict:
    """Per block, its sizes per month and language (surveys.report.releases.current_sizes)."""
    out = {}
    for p in places:
        for key in measures:
            sizes = {per: t._sum((p, per), key, "n")
                     for per in (*t.months, *(lang_period(lg) for lg in t.langs))}
            out[(p, key)] = {k: v for k, v in sizes.items() if v}
    return out


def by_block(pub) -> dict:
    out: dict = {}
    for f, v in pub.figures.items():
        out.setdefault((f[0], f[2]), ({}, {}))[0][f] = v
    for g, r in pub.reasons.items():
        out.setdefault((g[0], g[2]), ({}, {}))[1][g] = r
    return out


def scenario(n: int, seed: int) -> dict[str, Any]:
    """The table of release 2, its figures and release 1's (module docstring)."""
    definition = load(DEMO.read_text("utf-8"))
    questions = reported_questions(definition)
    models = tuple(question_model(q) for q in questions)
    area_of = counties()
    rng = random.Random(seed)
    first = respondents(n, MONTHS[:11], area_of, questions, rng)
    second = merged(first, respondents(n // 80, MONTHS[11:], area_of, questions, rng))
    t1 = Table(area_of, MONTHS, models, THRESHOLD, plain(first), LANGS)
    t2 = Table(area_of, MONTHS, models, THRESHOLD, second, LANGS)
    areas = sorted(set(area_of.values()))
    places = [*sorted(area_of), *(area_place(a) for a in areas), COUNTRY]
    sums = [(COUNTRY, [area_place(a) for a in areas])] + [
        (area_place(a), [c for c in sorted(area_of) if area_of[c] == a]) for a in areas]
    measures = [RESPONDENTS, *(m.id for m in models)]
    started = time.perf_counter()
    pub1 = publish(t1)
    pub2 = publish(t2)
    setup = time.perf_counter() - started
    b1, b2 = by_block(pub1), by_block(pub2)
    changing = changing_blocks(block_sizes(t1, places, measures),
                               block_sizes(t2, places, measures), sums, THRESHOLD)
    current: tuple[dict, dict] = ({}, {})
    earlier: tuple[dict, dict] = (dict(pub1.figures), dict(pub1.reasons))
    for b in changing:
        figures, reasons = b2.get(b, ({}, {}))
        current[0].update(figures)
        current[1].update(reasons)
    for b, (figures, reasons) in b1.items():
        if b not in changing:  # carried: release 2 shows time 1's figures of it
            earlier[0].update(figures)
            earlier[1].update(reasons)
    return {"table": t2, "current": current, "earlier": {1: earlier}, "setup_s": setup,
            "changing": len(changing), "blocks": len(places) * len(measures),
            "figures": len(current[0]) + len(earlier[0]),
            "month_figures": sum(1 for f in (*current[0], *earlier[0]) if f[1] in MONTHS)}


def timed_audit(s: dict[str, Any], solver: str | None = None) -> dict[str, Any]:
    saved = history.MAX_MONTHLY_CELLS, getattr(audit_mod, "SOLVER", None)
    history.MAX_MONTHLY_CELLS = sys.maxsize  # months in, whatever the limit
    if solver is not None:
        audit_mod.SOLVER = solver
    systems: list[dict[str, Any]] = []
    audit_mod.PROFILE = systems
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        result = history.audit_release(s["table"], s["current"], s["earlier"])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        history.MAX_MONTHLY_CELLS = saved[0]
        if saved[1] is not None:
            audit_mod.SOLVER = saved[1]
        audit_mod.PROFILE = None
    return {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2), "programs": result.programs,
            "ranges": len(result.ranges), "months_dropped": result.months_dropped,
            "exposed": sorted([list(r.figure), r.rule] for r in result.exposed),
            "contradicted": result.contradicted, "truth_outside": result.truth_outside,
            "systems": systems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--reference", action="store_true",
                        help="also time the reference path (linprog per program)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--scenario", type=Path,
                        help="keep the set-up releases in this file (pickle) and reuse them")
    args = parser.parse_args(argv)
    if args.scenario and args.scenario.exists():
        s = pickle.loads(args.scenario.read_bytes())  # noqa: S301 (our own file)
    else:
        s = scenario(args.respondents, args.seed)
        if args.scenario:
            args.scenario.write_bytes(pickle.dumps(s))
    t = s["table"]
    out: dict[str, Any] = {
        "respondents": args.respondents, "seed": args.seed,
        "cells": t.size, "times": 2, "setup_s": round(s["setup_s"], 1),
        "blocks": s["blocks"], "changing_blocks": s["changing"], "figures": s["figures"],
        "month_figures": s["month_figures"], "runs": []}
    print(f"table: {t.size} cells (counties × months × languages), 2 times; "
          f"{s['changing']} of {s['blocks']} blocks change; {s['figures']} figures "
          f"({s['month_figures']} of months); setup {s['setup_s']:.1f} s", flush=True)
    solvers = [None, "linprog"] if args.reference else [None]
    for solver in solvers:
        for _ in range(args.repeat):
            run = timed_audit(s, solver)
            run["solver"] = solver or getattr(audit_mod, "SOLVER", "linprog")
            out["runs"].append(run)
            print(f"{run['solver']}: {run['cpu_s']} s CPU, {run['wall_s']} s wall, "
                  f"{run['programs']} programs, {run['ranges']} ranges, "
                  f"{len(run['exposed'])} exposed", flush=True)
            for sy in run["systems"]:
                print("   " + ", ".join(f"{k}={v}" for k, v in sy.items()), flush=True)
    verdicts = {json.dumps(r["exposed"]) for r in out["runs"]}
    out["same_verdicts"] = len(verdicts) == 1
    if len(out["runs"]) > 1:
        print("same verdicts on every run:", out["same_verdicts"])
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0 if out["same_verdicts"] else 1


if __name__ == "__main__":
    sys.exit(main())
