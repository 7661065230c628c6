"""CPU time of the cross-time disclosure audit with every earlier release (issue 10).

    .venv/bin/python -m bench.history_cpu [--respondents 2000] [--releases 3 10 30]
                                          [--seed 1] [--rules-only] [--json PATH]
                                          [--months-cells N] [--languages 3|6]
                                          [--compare-lift] [--compare-joint] [--gate]

Pure (no database, no Redis), on the synthetic national survey of bench/audit_cpu.py (22
counties in 5 areas, 12 months, fi/sv/se, the demo survey's questions, threshold 5): respondents
arrive evenly over January … December and a release is cut after each 1/N of them, as
surveys.report.releases.cut does — each cut publishes the table of the moment
(surveys.report.disclosure.publish), the release rule (changing_blocks) decides which blocks
take the new figures, the rest carry. Then the latest release is audited (audit_release, the
cut's own checks: not full ranges) three ways, each timed (CPU seconds of this process):

- "previous": with the times of it and of the release before it (what a cut audited before);
- "cut": what a cut audits now (history.select_times within history.MAX_HISTORY_CELLS, the
  times left out as floors, history.floors_of);
- "all": every earlier time (what `palaute disclosure audit` audits).

`--county CODE`: a county's own survey (every respondent in that county; the table, as in the
application, still has every county). `--rules-only` publishes each cut with the rules alone
(`publish(audited=False)`: no auditor rounds), which is what makes 30 national-size
publications affordable here; the layers then have the same shape and number of figures as
audited ones, but the times are an estimate.
`--compare-lift` times each audit also with the marginals' relaxations (audit.LIFT off: the
respondents' system and large `multi` questions not lifted to cells), side by side;
`--compare-joint` each audit also with the questions' systems each alone (audit.JOINT off: not
coupled through the respondents), side by side; `--gate` times the cut's gate for sets narrowed
across times after each audit (history.narrowed_release), side by side.
Setting up (the publications) is not timed. Results: docs/performance.md, "The cross-time audit
over every release".
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench.audit_cpu import (
    ALL_LANGS,
    DEMO,
    LANGS,
    MONTHS,
    THRESHOLD,
    block_sizes,
    by_block,
    counties,
    merged,
    plain,
    respondents,
)
from surveys.definitions.format import load, reported_questions
from surveys.report import history
from surveys.report.audit import COUNTRY, RESPONDENTS, Table, area_place
from surveys.report.disclosure import publish
from surveys.report.releases import changing_blocks
from surveys.report.results import question_model


def releases(n: int, cuts: int, seed: int, rules_only: bool,
             county: str | None = None, langs: tuple[str, ...] = LANGS) -> dict[str, Any]:
    definition = load(DEMO.read_text("utf-8"))
    questions = reported_questions(definition)
    models = tuple(question_model(q) for q in questions)
    area_of = counties()
    rng = random.Random(seed)
    areas = sorted(set(area_of.values()))
    places = [*sorted(area_of), *(area_place(a) for a in areas), COUNTRY]
    sums = [(COUNTRY, [area_place(a) for a in areas])] + [
        (area_place(a), [c for c in sorted(area_of) if area_of[c] == a]) for a in areas]
    measures = [RESPONDENTS, *(m.id for m in models)]
    cells: dict = {}
    # Each release {block: (figures, reasons, time)}; at[time]: what the cut then published.
    out: list[dict] = []
    sizes: dict = {}
    at: dict[int, tuple[dict, dict]] = {}
    setup = time.perf_counter()
    table = None
    for time_ in range(1, cuts + 1):
        upto = max(1, round(len(MONTHS) * time_ / cuts))
        months = MONTHS[max(0, upto - max(1, round(len(MONTHS) / cuts))):upto]
        where = {county: area_of[county]} if county else area_of
        cells = merged(cells, plain(respondents(n // cuts, months, where, questions, rng, langs)))
        table = Table(area_of, MONTHS, models, THRESHOLD, cells, langs)
        pub = publish(table, audited=not rules_only)
        fresh = by_block(pub)
        now = block_sizes(table, places, measures)
        previous = out[-1] if out else {}
        changing = changing_blocks({b: sizes[b] for b in previous}, now, sums, THRESHOLD)
        release = {}
        for b in now:
            if b in changing:
                release[b] = (*fresh.get(b, ({}, {})), time_)
            elif b in previous:
                release[b] = previous[b]
        at[time_] = ({}, {})
        for b in changing:
            sizes[b] = now[b]
            at[time_][0].update(release[b][0])
            at[time_][1].update(release[b][1])
        out.append(release)
        print(f"cut {time_}: {len(changing)} of {len(now)} blocks change", flush=True)
    return {"table": table, "releases": out, "at": at,
            "setup_s": round(time.perf_counter() - setup, 1)}


def layers(s: dict[str, Any], window: list[int]) -> tuple[tuple, dict]:
    """Today's figures and those of the earlier times in `window` (everything published then)."""
    latest = max(s["at"])
    current = ({}, {})
    for figures, reasons, t in s["releases"][-1].values():
        if t == latest:
            current[0].update(figures)
            current[1].update(reasons)
    return current, {t: s["at"][t] for t in window if t != latest}


def timed(s: dict[str, Any], window: list[int], left_out: list[int] = (),
          months: bool = True, lift: bool = True, joint: bool = True,
          gate: bool = False) -> dict[str, Any]:
    """One audit, timed; `months` False: with the months left out above MAX_MONTHLY_CELLS (as
    before they stayed in on the marginals); `lift` False: the marginals' relaxations as they
    are (audit.LIFT); `joint` False: each question's system alone (audit.JOINT)."""
    from surveys.report import audit as audit_mod

    current, earlier = layers(s, window)
    floors = history.floors_of([s["at"][t] for t in left_out], THRESHOLD)
    saved = history.MONTHS_ON_MARGINALS, audit_mod.LIFT, audit_mod.JOINT
    history.MONTHS_ON_MARGINALS, audit_mod.LIFT, audit_mod.JOINT = months, lift, joint
    cpu = time.process_time()
    try:
        result = history.audit_release(s["table"], current, earlier, floors=floors,
                                       floors_until=max(left_out, default=None))
    finally:
        cpu = time.process_time() - cpu
        history.MONTHS_ON_MARGINALS, audit_mod.LIFT, audit_mod.JOINT = saved
    monthly = not result.months_dropped and history._monthly([current, *earlier.values()])
    out = {"earlier_times": len(earlier), "cpu_s": round(cpu, 2),
           "cells_x_layers": history.solved_cells(s["table"], monthly, 1 + len(earlier)),
           "layers_solved": 1 + result.earlier_solved, "programs": result.programs,
           "months_dropped": result.months_dropped, "relaxed": result.relaxed,
           "exposed": len(result.exposed)}
    if gate:
        # The cut's gate after this audit (history.narrowed_release, every counted key), on
        # the same figures: its CPU beside the audit's, first without the other questions'
        # counts read as bounds of the respondents (`Table.gate_other_questions`, since the 7
        # December session's seventh stop), then as a cut runs it. (narrowed_release's memo is
        # its own, per call.)
        # And without reading that non-answers only grow (`Table.gate_non_answers_grow`, the
        # same stop).
        table = s["table"]
        # And without a question's program reading the other questions' counts
        # (`Table.gate_questions_through_others`, the 8 December session).
        for switch in ("gate_other_questions", "gate_questions_through_others",
                       "gate_non_answers_grow", None):
            if switch:
                setattr(type(table), switch, False)
            cpu = time.process_time()
            try:
                found, undecided = history.narrowed_release(table, current, earlier, floors)
            finally:
                if switch:
                    setattr(type(table), switch, True)
            suffix = f"_without_{switch[5:]}" if switch else ""
            out.update({f"gate_cpu_s{suffix}": round(time.process_time() - cpu, 2),
                        f"gate_sets{suffix}": len(found),
                        f"gate_undecided{suffix}": len(undecided)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=2000)
    parser.add_argument("--releases", type=int, nargs="+", default=[3, 10, 30])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rules-only", action="store_true")
    parser.add_argument("--county", help="a county's own survey: every respondent in this "
                        "county (e.g. 19), the table still has every county")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--budgets", type=int, nargs="*", default=[],
                        help="also time a cut within each of these MAX_HISTORY_CELLS")
    parser.add_argument("--only", nargs="*", default=["previous", "cut", "all"],
                        help="which audits to time (previous, cut, all)")
    parser.add_argument("--compare-months", action="store_true",
                        help="also time each audit with the months left out (as before "
                        "they stayed in on the marginals), side by side")
    parser.add_argument("--months-cells", type=int,
                        help="history.MONTHS_HISTORY_CELLS for the audits timed here (the "
                        "months' budget of a cut)")
    parser.add_argument("--languages", choices=("3", "6"), default="3",
                        help="6: fi, sv, se and smn, sms, en besides (a survey offering every "
                        "language)")
    parser.add_argument("--compare-lift", action="store_true",
                        help="also time each audit with the marginals' relaxations (no lift "
                        "to cells), side by side")
    parser.add_argument("--compare-joint", action="store_true",
                        help="also time each audit with each question's system alone (not "
                        "coupled through the respondents), side by side")
    parser.add_argument("--gate", action="store_true",
                        help="also time the search for sets narrowed across times after each "
                        "audit (history.narrowed_release, the cut's gate), side by side")
    parser.add_argument("--scenario", type=Path,
                        help="a folder to keep the set-up releases in (pickle) and reuse")
    args = parser.parse_args(argv)
    if args.months_cells is not None:
        history.MONTHS_HISTORY_CELLS = args.months_cells
    out: list[dict[str, Any]] = []
    for cuts in args.releases:
        langs = ALL_LANGS if args.languages == "6" else LANGS
        name = (f"{args.respondents}-{cuts}-{args.seed}-{args.rules_only}-{args.county}"
                f"-{len(langs)}.pkl")
        path = args.scenario / name if args.scenario else None
        if path and path.exists():
            s = pickle.loads(path.read_bytes())  # noqa: S301 (our own file)
        else:
            s = releases(args.respondents, cuts, args.seed, args.rules_only, args.county, langs)
            if path:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(pickle.dumps(s))
        latest = max(s["at"])
        prev = {t for *_f, t in s["releases"][-2].values()} if cuts > 1 else set()
        keep = {t for *_f, t in s["releases"][-1].values()} | prev
        keep.discard(latest)
        earlier_all = {t: s["at"][t] for t in s["at"] if t != latest}
        chosen, left = history.select_times(s["table"], earlier_all, keep)
        row: dict[str, Any] = {"respondents": args.respondents, "county": args.county,
                               "releases": cuts,
                               "setup_s": s["setup_s"], "rules_only": args.rules_only}
        runs = [("previous", sorted(keep), []), ("cut", chosen, left),
                ("all", sorted(earlier_all), [])]
        runs = [r for r in runs if r[0] in args.only]
        for budget in args.budgets:
            got, out_ = history.select_times(s["table"], earlier_all, keep, limit=budget)
            runs.append((f"cut within {budget}", got, out_))
        for name, window, out_ in runs:
            for months in (True, False) if args.compare_months else (True,):
                for lift, joint in [*((False, True),) * args.compare_lift,
                                    *((True, False),) * args.compare_joint, (True, True)]:
                    label = name if months else f"{name}, months left out"
                    label += ", relaxed" if not lift else ""
                    label += ", each question alone" if not joint else ""
                    row[label] = timed(s, window, out_, months, lift, joint, args.gate)
                    print(f"{args.respondents} respondents"
                          f"{' in ' + args.county if args.county else ''}"
                          f", {cuts} releases, {label}: {row[label]}", flush=True)
        row["cut_left_out"] = len(left)
        out.append(row)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
