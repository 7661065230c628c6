"""`make bench`: start the real stack, load it from a separate process, report side by side.

One run measures, on the same machine and minutes apart:
  1. submit throughput/latency of Palaute and of a bare ceiling app (bench/ceiling.py) -> ratio;
  2. fold throughput of one worker (real batched fold) and of one-job-per-response -> ratio;
  3. freshness: acknowledgement -> visible in the results API, at a target rate;
  4. results latency (region page and API) at 10,000 and at 1,000,000 stored responses -> ratio;
  5. peak RSS of web and worker processes, sampled with psutil, whether the worker stays flat,
     and the web tier's PSS (shared pages counted once).
Writes bench/results/<date>-<db>.json, .md and .png, and the same as <date>.* (the day's latest
run). See docs/performance.md.

This module is the order of the phases; each lives in its own module:
  bench/environment.py   database, Redis, the processes, the load generator, bulk loads
  bench/sampler.py       RSS, PSS and CPU of each process tree over time
  bench/phases/          submit.py, results.py, freshness.py, fold.py
  bench/report.py        the figures, the JSON / Markdown / PNG reports, the targets
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from . import report
from .common import ROOT, log
from .environment import Environment
from .phases import fold, freshness, results, submit


def run(env: Environment) -> dict:
    a = env.args
    env.setup()
    try:
        # 1. 10,000 stored responses, folded by the real worker, then results latency.
        env.phase("load-10k")
        env.bulk(a.n_small, seed=1)
        env.phase("fold-10k")
        base = env.start_web("web", "webapp:create_app()")
        env.start_worker()  # its start-up sweep schedules the fold of the backlog
        env.wait_folded(120)
        env.phase("results-10k")
        results_small = results.measure(env, "10k", base)

        # 2. Submit throughput: Palaute and the ceiling app, same load and settings, in
        #    alternating rounds.
        ceiling_base = env.start_web("ceiling", "bench.ceiling:create_app()")
        measured = submit.measure(env, {"palaute": base, "ceiling": ceiling_base})
        env.stop_web("ceiling")

        # 3. Freshness at a sustained target rate (open loop), polling the results API.
        fresh = freshness.measure(env, base)

        # 4. Up to 1,000,000 stored responses: bulk-load, fold with the real worker.
        folded, spent = fold.measure_backlog(env)
        env.phase("results-1m")
        results_large = results.measure(env, "1m", base)
        stored_large = env.stored()

        # 5. One job per response: the same worker model, one response per job.
        env.phase("stop-worker")
        env.stop_worker()
        per_one = fold.measure_per_response(env, a.per_response_jobs)
        machine = env.machine()
    finally:
        env.teardown()

    return report.figures(a, machine, env.sampler.samples, measured["palaute"],
                          measured["ceiling"], folded, spent, per_one, fresh, results_small,
                          results_large, stored_large)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny counts, a few seconds per phase")
    p.add_argument("--n-small", type=int, default=10_000)
    p.add_argument("--n-large", type=int, default=1_000_000)
    p.add_argument("--concurrency", type=int, default=16, help="closed-loop virtual users")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--submit-duration", type=float, default=20.0,
                   help="seconds of submit load per app, split over the rounds")
    p.add_argument("--submit-rounds", type=int, default=4,
                   help="alternating rounds (A B B A ...) of the submit comparison")
    p.add_argument("--max-responses", type=int, default=1_000_000)
    p.add_argument("--fresh-rate", type=float, default=500.0)
    p.add_argument("--fresh-concurrency", type=int, default=64)
    p.add_argument("--fresh-duration", type=float, default=20.0)
    p.add_argument("--results-requests", type=int, default=300, help="per URL")
    p.add_argument("--results-concurrency", type=int, default=2)
    p.add_argument("--per-response-jobs", type=int, default=2000)
    p.add_argument("--per-response-seconds", type=float, default=30.0,
                   help="stop the one-job-per-response worker after this long")
    p.add_argument("--web-concurrency", type=int, default=0,
                   help="gunicorn workers (default: the production setting)")
    p.add_argument("--max-seconds", type=float, default=900.0, help="hard bound of the run")
    p.add_argument("--out-dir", default=str(ROOT / "bench" / "results"))
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, load data)")
    p.add_argument("--force", action="store_true", help="allow any PostgreSQL database name")
    args = p.parse_args(argv)
    if args.smoke:
        for k, v in dict(n_small=200, n_large=2000, concurrency=4, warmup=0.5,
                         submit_duration=1.5, submit_rounds=2, fresh_rate=50, fresh_concurrency=8,
                         fresh_duration=1.5, results_requests=10, per_response_jobs=20,
                         web_concurrency=args.web_concurrency or 2, max_seconds=240).items():
            setattr(args, k, v)
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    env = Environment(args)
    try:
        r = run(env)
        db = r["machine"]["database"].split()[0]
        stem = f"{datetime.now(UTC):%Y-%m-%d}-{db}" + ("-smoke" if args.smoke else "")
        stems = [stem]
        if not args.smoke:
            # bench/results/<date>.json is the name other tools read: the day's latest run.
            stems.append(f"{datetime.now(UTC):%Y-%m-%d}")
        paths = [path for s in stems
                 for path in report.write_reports(r, env.timeline, env.sampler.samples,
                                                  Path(args.out_dir), s, plot=not args.no_plot)]
        print(report.markdown(r))
        log("wrote " + ", ".join(str(p) for p in paths))
        return r
    finally:
        if args.keep:
            log(f"logs kept in {env.tmp}")
        env.cleanup()


if __name__ == "__main__":
    main()
