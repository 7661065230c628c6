"""CPU time of one audited publication (surveys.report.disclosure.publish) with and without
one of the auditor's flags, side by side in one run: `--flag joint` (default; every question's
system coupled with the others through the respondents, audit's `_Joint`, on by default since
the 3 December evening session), `--flag respondents_everywhere` (the respondents' figures
bounded in every question's system, on by default since the second 3 December session) or
`--flag unions` (the sets of a place's languages, of the months a publication hides and
across a sum's hidden places audited as groups, `Table.unions`, since the 5 December session)
or `--flag across_parents` (within those sets, a hidden place standing for its hidden parts:
sets across places of different sums, `Table.across_parents`, since the 6 December session)
or `--flag derived_sets` (the sets a search of the published sums finds, surveys.report.
derivable, `Table.derived_sets`, since the 7 December session's fourth stop) or `--flag
narrowing_gate` (no set of cells of any shape pinned or narrowed by the figures, surveys.report.
narrowing.narrowing_figures, `Table.narrowing_gate`, since the 7 December session's fifth stop)
or `--flag other_questions` (within that gate, the other questions' counts read as bounds of
the respondents, narrowing.bounding_keys, `Table.gate_other_questions`, since its seventh)
or `--flag questions_through_others` (the same in each question's program, through the
respondents, `Table.gate_questions_through_others`, since the 8 December session).

    .venv/bin/python -m bench.publish_cpu [--flag joint] [--respondents 300 2000]
        [--county 19] [--national]
    .venv/bin/python -m bench.publish_cpu --served [--respondents 300 2000 20000]
        [--languages 3 6] [--flag unions|across_parents|derived_sets|narrowing_gate|other_questions|
         questions_through_others]

`--served`: instead, the publication the site serves (surveys.report.results.
audited_publication: months for the areas and the country only where affordable and proven,
else whole-period figures), national, in the benchmark's three languages or all six offered:
its CPU seconds, its layout and how many figures it publishes; with `--flag` one of the
table's switches (`unions`, `across_parents`), each publication without and with it.

Pure (no database, no Redis), on the synthetic survey of bench/audit_cpu.py (22 counties in 5
areas, 12 months, fi/sv/se, the demo survey's questions, threshold 5): `--county CODE` puts
every respondent in that county (a county's own survey), `--national` spreads them over the
country (a national publication with months: minutes). Prints the CPU seconds of each
publication and whether both publish the same figures. Results: docs/performance.md, "The
respondents in every question's system" and "Questions read together".
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bench.audit_cpu import DEMO, LANGS, MONTHS, THRESHOLD, counties, plain, respondents
from surveys.definitions.format import load, reported_questions
from surveys.report import audit as audit_mod
from surveys.report import disclosure
from surveys.report.audit import Table
from surveys.report.results import audited_publication, question_model

ALL_LANGS = ("en", "fi", "se", "smn", "sms", "sv")
# Flags that are the table's switches (publish asks for the sets itself), not audit's arguments.
TABLE_SWITCHES = {"unions": "audit_unions", "across_parents": "across_parents",
                  "derived_sets": "derived_sets", "narrowing_gate": "narrowing_gate",
                  "other_questions": "gate_other_questions",
                  "questions_through_others": "gate_questions_through_others"}


def publication(n: int, county: str | None, flag: str, on: bool) -> tuple[float, dict]:
    definition = load(DEMO.read_text("utf-8"))
    questions = reported_questions(definition)
    models = tuple(question_model(q) for q in questions)
    area_of = counties()
    where = {county: area_of[county]} if county else area_of
    cells = plain(respondents(n, MONTHS, where, questions, random.Random(1), LANGS))
    table = Table(area_of, MONTHS, models, THRESHOLD, cells, LANGS)
    audit = audit_mod.audit

    def with_flag(*args, **kwargs):
        kwargs.setdefault(flag, on)
        return audit(*args, **kwargs)

    if flag in TABLE_SWITCHES:
        setattr(Table, TABLE_SWITCHES[flag], on)
    else:
        disclosure.audit = with_flag
    try:
        started = time.process_time()
        pub = disclosure.publish(table)
        return time.process_time() - started, dict(pub.figures)
    finally:
        disclosure.audit = audit
        for switch in TABLE_SWITCHES.values():
            setattr(Table, switch, True)


def served(n: int, langs: tuple[str, ...], switch: str | None = None, on: bool = True
           ) -> tuple[str, dict]:
    definition = load(DEMO.read_text("utf-8"))
    questions = reported_questions(definition)
    models = tuple(question_model(q) for q in questions)
    area_of = counties()
    cells = plain(respondents(n, MONTHS, area_of, questions, random.Random(1), langs))
    table = Table(area_of, MONTHS, models, THRESHOLD, cells, langs)
    if switch:
        setattr(Table, switch, on)
    try:
        started = time.process_time()
        pub = audited_publication(table)
        seconds = time.process_time() - started
    finally:
        if switch:
            setattr(Table, switch, True)
    layout = "months" if pub.monthly else "whole period"
    return (f"{n} respondents nationally, {len(langs)} languages: {seconds:.2f} s, {layout}, "
            f"{len(pub.figures)} figures" + (f", unproven {pub.unproven}" if pub.unproven else ""),
            dict(pub.figures))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flag", choices=["joint", "respondents_everywhere", "unions",
                                           "across_parents", "derived_sets",
                                           "narrowing_gate", "other_questions",
                                           "questions_through_others"],
                        default="joint")
    parser.add_argument("--respondents", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--county", default="19")
    parser.add_argument("--national", action="store_true",
                        help="also the national survey of each size (minutes)")
    parser.add_argument("--served", action="store_true",
                        help="time the publication the site serves instead (see above)")
    parser.add_argument("--languages", type=int, nargs="+", choices=[3, 6], default=[3, 6])
    args = parser.parse_args(argv)
    if args.served:
        switch = TABLE_SWITCHES.get(args.flag)  # (the default, joint, is none: served alone)
        for n in args.respondents:
            for count in args.languages:
                langs = LANGS if count == 3 else ALL_LANGS
                if switch is None:
                    print(served(n, langs)[0], flush=True)
                    continue
                before, old = served(n, langs, switch, False)
                now, new = served(n, langs, switch, True)
                print(f"without {args.flag}: {before}\n   with {args.flag}: {now}; "
                      f"the same figures: {old == new}", flush=True)
        return 0
    places = [args.county] + ([None] if args.national else [])
    publication(50, args.county, args.flag, True)  # imports and solver set-up, untimed
    for n in args.respondents:
        for county in places:
            before, old = publication(n, county, args.flag, False)
            now, new = publication(n, county, args.flag, True)
            where = f" in {county}" if county else " nationally"
            print(f"{n} respondents{where}: {before:.2f} s without {args.flag}, {now:.2f} s with "
                  f"(ratio {now / before:.2f}); the same figures: {old == new}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
