"""The fold's CPU cost, in-process and side by side: responses folded per CPU second.

    .venv/bin/python bench/fold_cpu.py BASE THIS [--n 50000] [--rounds 3] [--database URL]

Each TREE is a directory holding a Palaute tree (a git worktree) or a git revision of this
repository (exported with `git archive` into a temporary directory). For every round each tree
runs once, in its own child process (this interpreter and venv, the tree first on the import
path, so its `surveys` package, migrations and `bench.bulk` are the ones used): a fresh
database is migrated, the demo surveys are seeded, N responses are bulk-loaded into the holding
table as `make bench` loads them (`bench/bulk.py`), and `aggregation.fold_pending` folds them
in-process. The child reports `time.process_time()` spent in `fold_pending` (and, on
PostgreSQL, the CPU time of the server backends it used, from /proc, when the server runs on
this machine), the wall time, and a digest of the resulting aggregates, aggregate totals and
unit aggregates, so two trees that count differently show it.

The trees alternate and the order flips every round (A B, B A, A B, ...): on a shared machine
the speed drifts within minutes, and alternating makes a drift slow both sides alike. The
summary gives each tree's median and the ratio of the medians.

`--database` is SQLite in a temporary file by default; a PostgreSQL URL is wiped (schema
`public` dropped) before each run, so its database name must contain `bench` or `test`.
`--units N` gives the bulk-loaded responses one of N units of a staff survey (the unit counts of
surveys/fold/units.py) instead of the citizen survey. `--profile FILE` (one tree, one round)
writes a profile of the fold and prints its summary: FILE.prof a cProfile of CPU time
(`time.process_time`, so not the waits on a server), any other name a pyinstrument HTML
profile (wall time). Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SLUG = "asiakaskokemus-2026"


# --- the parent: trees, rounds, summary -------------------------------------------------------

def _tree(spec: str, tmp: Path) -> tuple[str, Path]:
    """(label, directory) of a tree given as a directory or a git revision."""
    path = Path(spec)
    if path.is_dir():
        return spec, path.resolve()
    commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", spec],
                            check=True, capture_output=True, text=True).stdout.strip()
    out = tmp / commit
    if not out.exists():
        out.mkdir()
        archive = subprocess.run(["git", "-C", str(HERE), "archive", commit],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return f"{spec} ({commit})", out


def _run_child(tree: Path, args: argparse.Namespace) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(tree),
           "--n", str(args.n), "--batch-size", str(args.batch_size), "--units", str(args.units)]
    if args.database:
        cmd += ["--database", args.database]
    if args.profile:
        cmd += ["--profile", args.profile]
    # The child's stderr (migration logs, a profile, a traceback) goes straight through.
    proc = subprocess.run(cmd, env=env, cwd=tree, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stdout)
        raise SystemExit(f"the run of {tree} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trees", nargs="*", default=["."], metavar="TREE",
                   help="a directory (worktree) or a git revision; default: this tree")
    p.add_argument("--n", type=int, default=50_000, help="responses to fold (50,000)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=0, help="0: the tree's default")
    p.add_argument("--database", default="", help="a PostgreSQL URL; default SQLite (temp)")
    p.add_argument("--units", type=int, default=0,
                   help="load responses of a staff survey spread over this many units")
    p.add_argument("--profile", default="", help="write a pyinstrument HTML profile here")
    p.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="fold-cpu-"))
    try:
        trees = [_tree(t, tmp) for t in args.trees]
        results: dict[str, list[dict]] = {label: [] for label, _ in trees}
        for r in range(args.rounds):
            order = trees if r % 2 == 0 else trees[::-1]
            for label, path in order:
                res = _run_child(path, args)
                results[label].append(res)
                extra = (f", server {res['server_cpu_s']:.2f} s CPU"
                         if res.get("server_cpu_s") is not None else "")
                print(f"round {r + 1} {label}: {res['per_cpu_s']:,.0f} responses per CPU s "
                      f"({res['folded']} in {res['cpu_s']:.2f} s CPU, {res['wall_s']:.2f} s wall"
                      f"{extra}; digest {res['digest'][:12]})", flush=True)
        print()
        medians = {}
        for label, runs in results.items():
            rates = [x["per_cpu_s"] for x in runs]
            medians[label] = statistics.median(rates)
            print(f"{label}: median {medians[label]:,.0f} responses per CPU s "
                  f"({' / '.join(f'{x:,.0f}' for x in rates)}); wall median "
                  f"{statistics.median(x['folded'] / x['wall_s'] for x in runs):,.0f}/s")
        digests = {x["digest"] for runs in results.values() for x in runs}
        print("aggregates: " + ("the same in every run" if len(digests) == 1
                                else f"DIFFER between runs ({len(digests)} digests)"))
        if len(trees) == 2:
            a, b = (label for label, _ in trees)
            print(f"ratio {b} : {a} = {medians[b] / medians[a]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- the child: one fold in one tree --------------------------------------------------------

def _proc_cpu(pids: set[int]) -> float | None:
    """User + system CPU seconds of these processes (PostgreSQL backends on this machine)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _digest(conn) -> str:
    from sqlalchemy import text

    h = hashlib.sha256()
    for table, cols in (
            ("aggregates", "survey_id, region_code, month, lang, question_id, option, count"),
            ("aggregate_totals", "survey_id, region_code, question_id, option, count"),
            ("unit_aggregates",
             "survey_id, unit_id, breakdown, value, question_id, option, count")):
        for row in conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY {cols}")):  # noqa: S608
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def _staff_survey(url: str, n_units: int) -> list[int]:
    """Make the demo survey's `service` a breakdown question and add `n_units` units (under one
    organisation); their ids. The fold counts a response's unit whatever the survey's audience."""
    from sqlalchemy import text

    from surveys.infra import db

    with db.get_engine(url).begin() as conn:
        definition = conn.scalar(text("SELECT definition FROM surveys WHERE slug = :s"),
                                 {"s": SLUG})
        if isinstance(definition, str):
            definition = json.loads(definition)
        for q in definition["questions"]:
            if q["id"] == "service":
                q["breakdown"] = True
        conn.execute(text("UPDATE surveys SET definition = :d WHERE slug = :s"),
                     {"d": json.dumps(definition), "s": SLUG})
        unit = ("INSERT INTO units (kind, region_code, parent_id, code, name_fi, name_sv) "
                "VALUES (:k, '17', :p, :c, :c, :c) RETURNING id")
        root = conn.scalar(text(unit), {"k": "organisation", "p": None, "c": "ORG"})
        return [conn.scalar(text(unit), {"k": "unit", "p": root, "c": f"U{i:03d}"})
                for i in range(n_units)]


def child(args: argparse.Namespace) -> dict:
    from sqlalchemy import event, make_url, text

    from bench import bulk
    from surveys.definitions import demo
    from surveys.fold import aggregation
    from surveys.infra import db, migrate

    tree = Path(args.child).resolve()
    import surveys
    if not Path(surveys.__file__).resolve().is_relative_to(tree):
        raise SystemExit(f"imported {surveys.__file__}, not the tree's {tree}")
    tmp = Path(tempfile.mkdtemp(prefix="fold-cpu-db-"))
    try:
        url = args.database
        if url:
            name = make_url(url).database or ""
            if not any(w in name for w in ("bench", "test")):
                raise SystemExit(f"refusing to wipe database {name!r}")
            with db.get_engine(url).begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            db.get_engine(url).dispose()
        else:
            url = f"sqlite:///{tmp / 'fold.db'}"
        migrate.upgrade(url)
        engine = db.get_engine(url)
        with db.session_scope(url) as s:
            demo.seed(s)
        with engine.connect() as conn:
            survey_id = conn.scalar(text("SELECT id FROM surveys WHERE slug = :s"), {"s": SLUG})
        unit_ids = _staff_survey(url, args.units) if args.units else []
        ids = bulk.load(engine, survey_id, args.n, seed=1)
        if unit_ids:
            from sqlalchemy import update

            from surveys.models import PendingResponse

            # A unit by the random id: spread evenly, the same in every tree.
            by_unit: dict[int, list] = {}
            for rid in ids:
                by_unit.setdefault(unit_ids[rid.int % len(unit_ids)], []).append(rid)
            with engine.begin() as conn:
                for uid, rids in by_unit.items():
                    for i in range(0, len(rids), 5000):
                        conn.execute(update(PendingResponse).values(unit_id=uid)
                                     .where(PendingResponse.id.in_(rids[i:i + 5000])))
        backends: set[int] = set()
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE responses"))
                c.execute(text("ANALYZE pending_responses"))
            engine.dispose()

            @event.listens_for(engine, "connect")
            def _pid(dbapi_conn, _record):
                with dbapi_conn.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    backends.add(cur.fetchone()[0])
                dbapi_conn.commit()

            engine.connect().close()  # the connection the fold will use, made before timing
        kw = {"batch_size": args.batch_size} if args.batch_size else {}
        server0 = _proc_cpu(backends) if backends else None
        profiler = cprof = None
        if args.profile.endswith(".prof"):  # cProfile on CPU time (no waits on the server)
            import cProfile

            cprof = cProfile.Profile(time.process_time)
            cprof.enable()
        elif args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        folded = aggregation.fold_pending(lambda: db.new_session(url), **kw)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if cprof:
            import pstats

            cprof.disable()
            cprof.dump_stats(args.profile)
            pstats.Stats(cprof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        if profiler:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_html())
            sys.stderr.write(profiler.output_text(unicode=False, color=False))
        server = None
        if server0 is not None:
            after = _proc_cpu(backends)
            server = None if after is None else after - server0
        with engine.connect() as conn:
            left = conn.scalar(text("SELECT count(*) FROM pending_responses WHERE NOT folded"))
            respondents = conn.scalar(text("SELECT sum(count) FROM aggregate_totals "
                                           "WHERE question_id = '*' AND option = '*'")) or 0
            moved = conn.scalar(text("SELECT count(*) FROM responses"))
            digest = _digest(conn)
        if folded != args.n or left or respondents != args.n:
            raise SystemExit(f"folded {folded}, {left} left, {respondents} counted")
        engine.dispose()
        return {"folded": folded, "moved": moved, "cpu_s": cpu, "wall_s": wall,
                "per_cpu_s": folded / cpu, "server_cpu_s": server, "digest": digest}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
