"""`make bench`: start the real stack, load it from a separate process, report side by side.

One run measures, on the same machine and minutes apart:
  1. submit throughput/latency of Palaute and of a bare ceiling app (bench/ceiling.py) -> ratio;
  2. fold throughput of one worker (real batched fold) and of one-job-per-response -> ratio;
  3. freshness: acknowledgement -> visible in the results API, at a target rate;
  4. results latency (region page and API) at 10,000 and at 1,000,000 stored responses -> ratio;
  5. peak RSS of web and worker processes, sampled with psutil, and whether the worker stays flat.
Writes bench/results/<date>-<db>.json, .md and .png, and the same as <date>.* (the day's latest
run). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SLUG = "asiakaskokemus-2026"
TARGETS = {
    "submit_ratio": (">=", 0.5),
    "fold_per_s": (">=", 20_000),
    "freshness_p95_s": ("<=", 2.0),
    "results_ratio": ("<=", 1.5),
    "results_p95_ms_1m": ("<=", 50.0),
    "worker_memory_flat": ("==", True),
}


# --- small helpers ------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float | None:
    """Percentile with linear interpolation (q in 0..100); None for no data."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def rnd(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


def log(msg: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310
            if r.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes -----------------------------------------------------------------------------------
@dataclass
class Procs:
    logs: Path
    env: dict[str, str]
    running: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str], **env: str) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**self.env, **env}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.running[name] = proc
        return proc

    def stop(self, name: str) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        # Own process group (start_new_session): gunicorn workers and RQ work horses go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


class RssSampler(threading.Thread):
    """Samples the RSS of each watched process tree every `interval` seconds."""

    def __init__(self, t0: float, interval: float = 0.25):
        super().__init__(daemon=True)
        self.t0, self.interval = t0, interval
        self.roots: dict[str, psutil.Process] = {}
        self.phase = "setup"
        self.samples: list[dict[str, Any]] = []
        self._stop_evt = threading.Event()

    def watch(self, role: str, pid: int) -> None:
        self.roots[role] = psutil.Process(pid)

    def unwatch(self, role: str) -> None:
        self.roots.pop(role, None)

    def run(self) -> None:
        while not self._stop_evt.wait(self.interval):
            now = time.monotonic() - self.t0
            for role, root in list(self.roots.items()):
                try:
                    procs = [root, *root.children(recursive=True)]
                    # CPU of reaped children (RQ work horses) is in the parent's children_*.
                    t = root.cpu_times()
                    cpu = t.children_user + t.children_system
                    rss = {}
                    for p in procs:
                        with contextlib.suppress(psutil.Error):
                            rss[p.pid] = p.memory_info().rss / 2**20
                            t = p.cpu_times()
                            cpu += t.user + t.system
                except psutil.Error:
                    continue
                if not rss:
                    continue
                kids = [v for pid, v in rss.items() if pid != root.pid]
                self.samples.append({
                    "t": now, "phase": self.phase, "role": role,
                    "root_mb": rss.get(root.pid, 0.0),
                    "max_mb": max(rss.values()),
                    "child_max_mb": max(kids) if kids else None,
                    "total_mb": sum(rss.values()),
                    "cpu_s": cpu,
                })
            t = psutil.cpu_times()
            self.samples.append({"t": now, "phase": self.phase, "role": "machine",
                                 "cpu_s": sum(t) - t.idle - getattr(t, "iowait", 0.0)})

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(5)


# --- the benchmark ------------------------------------------------------------------------------
class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.max_seconds
        self.tmp = Path(tempfile.mkdtemp(prefix="palaute-bench-"))
        (self.tmp / "logs").mkdir()
        self.results: dict[str, Any] = {}
        self.timeline: dict[str, Any] = {"load": [], "polls": []}
        self.sampler = RssSampler(self.t0)
        self.redis_server = None

    # environment ---------------------------------------------------------------------------
    def setup(self) -> None:
        from surveys import db, demo, migrate

        url = os.environ.get("DATABASE_URL")
        if url and url.startswith(("postgres", "postgresql")):
            from surveys import config

            url = config.database_url()
            name = make_url(url).database or ""
            # The benchmark empties the database it is given: only one made for it (or tests).
            if not self.args.force and not any(w in name for w in ("bench", "test")):
                raise SystemExit(f"refusing to wipe database {name!r}: its name must contain "
                                 "'bench' or 'test' (or pass --force)")
            engine = db.get_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            url = f"sqlite:///{self.tmp / 'bench.db'}"
        self.db_url = url
        os.environ["DATABASE_URL"] = url
        migrate.upgrade(url)
        self.engine = db.get_engine(url)
        with db.session_scope(url) as s:
            demo.seed(s)
        with self.engine.connect() as conn:
            self.survey_id = conn.scalar(text("SELECT id FROM surveys WHERE slug = :s"),
                                         {"s": SLUG})

        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            from surveys.embedded_redis import EmbeddedRedis

            self.redis_server = EmbeddedRedis(self.tmp / "redis")
            redis_url = self.redis_server.start()
        self.redis_url = redis_url
        from surveys import events

        self.redis = events.connect(redis_url)
        self.redis.flushdb()

        from bench.ceiling import metadata as ceiling_metadata

        ceiling_metadata.create_all(self.engine)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(DATABASE_URL=url, REDIS_URL=redis_url, SECRET_KEY=secrets.token_urlsafe(32),
                   PALAUTE_INSTANCE_DIR=str(self.tmp / "instance"),
                   PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
        if self.args.web_concurrency:
            env["WEB_CONCURRENCY"] = str(self.args.web_concurrency)
        self.procs = Procs(self.tmp / "logs", env)
        self.sampler.start()

    def pending(self) -> int:
        from surveys.models import OutboxEvent

        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(OutboxEvent)) or 0

    def stored(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM responses")) or 0

    def wait_folded(self, timeout: float) -> float:
        start = time.monotonic()
        end = min(self.deadline, start + timeout)
        while self.pending() and time.monotonic() < end:
            time.sleep(0.1)
        if self.pending():
            raise RuntimeError(f"outbox not empty after {timeout:.0f} s")
        return time.monotonic() - start

    def phase(self, name: str) -> None:
        self.sampler.phase = name
        log(f"{name} (t={time.monotonic() - self.t0:.0f} s)")
        if time.monotonic() > self.deadline:
            raise RuntimeError(f"time budget of {self.args.max_seconds} s used up before {name}")

    # stack ------------------------------------------------------------------------------------
    def start_web(self, name: str, app: str) -> str:
        port = free_port()
        proc = self.procs.start(name, [str(BIN / "gunicorn"), "--config",
                                       str(ROOT / "webapp/gunicorn_conf.py"), app],
                                PORT=str(port))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", 60)
        self.sampler.watch(name, proc.pid)
        return base

    def start_worker(self) -> None:
        proc = self.procs.start("worker", [str(BIN / "rq"), "worker", "--url", self.redis_url,
                                           "--worker-class", "workers.worker.PalauteWorker",
                                           "palaute"])
        self.sampler.watch("worker", proc.pid)
        self.procs.start("cron", [str(BIN / "rq"), "cron", "--url", self.redis_url,
                                  "workers.cron"])

    def stop_worker(self) -> None:
        self.sampler.unwatch("worker")
        self.procs.stop("cron")
        self.procs.stop("worker")

    def load(self, label: str, mode: str, base: str, *extra: str, timeout: float) -> dict:
        out = self.tmp / f"load-{label}.json"
        cmd = [sys.executable, "-m", "bench.load", mode, "--base", base, "--slug", SLUG,
               "--out", str(out), *extra]
        proc = subprocess.Popen(cmd, cwd=ROOT)
        self.sampler.watch("load", proc.pid)
        try:
            if proc.wait(timeout) != 0:
                raise RuntimeError(f"load generator failed ({label})")
        finally:
            self.sampler.unwatch("load")
            if proc.poll() is None:
                proc.kill()
        data = json.loads(out.read_text())
        for kind, t0, t1, status in data["requests"]:
            self.timeline["load"].append((label, kind, t0 - self.t0, t1 - self.t0, status))
        for t, n in data["polls"]:
            self.timeline["polls"].append((label, t - self.t0, n))
        return data

    # measurements -----------------------------------------------------------------------------
    def bulk(self, n: int, seed: int) -> list:
        from bench import bulk

        start = time.monotonic()
        ids = bulk.load(self.engine, self.survey_id, n, seed)
        if self.engine.dialect.name == "postgresql":
            # A bulk load is sudden; autovacuum would analyze soon. Do it now, once.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE responses"))
                c.execute(text("ANALYZE outbox_events"))
        log(f"bulk-loaded {n} responses in {time.monotonic() - start:.1f} s")
        return ids

    def submit_figures(self, rounds: list[dict]) -> dict:
        """Throughput over the rounds' summed windows; latencies pooled."""
        requests = [r for data in rounds for r in data["requests"]]
        submits = [r for r in requests if r[0] == "submit"]
        forms = [r for r in requests if r[0] == "form"]
        acked = [r for r in submits if r[3] == 303]
        if not requests:
            return {"rps": 0.0}
        window = sum(max(r[2] for r in data["requests"]) - min(r[1] for r in data["requests"])
                     for data in rounds if data["requests"])
        lat = [(r[2] - r[1]) * 1000 for r in acked]
        flat = [(r[2] - r[1]) * 1000 for r in forms if r[3] == 200]
        return {
            "rps": len(acked) / window if window > 0 else 0.0,
            "acked": len(acked),
            "errors": len(submits) - len(acked) + sum(1 for r in forms if r[3] != 200),
            "window_s": window,
            "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
            "form_p50_ms": pct(flat, 50), "form_p95_ms": pct(flat, 95),
            "rounds": len(rounds),
        }

    def measure_submit(self, bases: dict[str, str]) -> dict[str, dict]:
        """The same closed-loop load against each app (Palaute, the ceiling), in alternating
        rounds: A B, then B A, and so on (--submit-rounds), for --submit-duration in all per app.
        A machine whose speed drifts during the run (one shared with other work does) then
        slows both sides alike, instead of whichever happened to run second."""
        a = self.args
        for label, base in bases.items():
            # Warm-up: templates compiled, pools filled, every gunicorn worker has served.
            self.sampler.phase = f"warmup-{label}"
            self.load(f"{label}-warmup", "submit", base, "--concurrency", str(a.concurrency),
                      "--duration", str(a.warmup), timeout=a.warmup + 60)
        duration = a.submit_duration / a.submit_rounds
        collected: dict[str, list[dict]] = {label: [] for label in bases}
        labels = list(bases)
        for i in range(a.submit_rounds):
            for label in labels if i % 2 == 0 else reversed(labels):
                self.phase(f"submit-{label}-{i + 1}")
                collected[label].append(self.load(
                    f"{label}-{i + 1}", "submit", bases[label],
                    "--concurrency", str(a.concurrency), "--duration", str(duration),
                    "--max-responses", str(a.max_responses), timeout=duration + 60))
                self.sampler.phase = f"after-{label}-{i + 1}"
                if label == "palaute":
                    self.wait_folded(120)  # each round starts with an empty outbox
        return {label: self.submit_figures(rounds) for label, rounds in collected.items()}

    def measure_results(self, label: str, base: str) -> dict:
        a = self.args
        urls = [f"/fi/results/{SLUG}?region=17", f"/api/v1/surveys/{SLUG}/results?region=17"]
        # A few unmeasured requests first (first-request costs are not what is measured).
        self.load(f"results-{label}-warmup", "results", base, "--urls", *urls, "--requests", "5",
                  "--concurrency", "1", timeout=60)
        data = self.load(f"results-{label}", "results", base, "--urls", *urls,
                         "--requests", str(a.results_requests),
                         "--concurrency", str(a.results_concurrency),
                         "--duration", "120", timeout=180)
        out = {}
        for idx, name in enumerate(("page", "api")):
            rs = [r for r in data["requests"] if r[0] == f"results{idx}"]
            lat = [(r[2] - r[1]) * 1000 for r in rs if r[3] == 200]
            out[name] = {"n": len(lat), "errors": len(rs) - len(lat), "p50_ms": pct(lat, 50),
                         "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99)}
        return out

    def fold_jobs_since(self, since: datetime) -> tuple[int, float]:
        """(responses folded, seconds spent) by fold_pending jobs that started after `since`."""
        from rq.job import Job
        from rq.registry import FinishedJobRegistry

        from surveys import events

        reg = FinishedJobRegistry(queue=events.queue(self.redis))
        folded, spent = 0, 0.0
        for job in Job.fetch_many(reg.get_job_ids(), connection=self.redis):
            if job is None or job.func_name != "workers.jobs.fold_pending":
                continue
            started = job.started_at.replace(tzinfo=UTC) if job.started_at else None
            if started is None or started < since or job.ended_at is None:
                continue
            n = job.return_value() or 0
            if n:
                folded += n
                spent += (job.ended_at.replace(tzinfo=UTC) - started).total_seconds()
        return folded, spent

    def measure_per_response(self, n: int) -> dict:
        from rq import Queue
        from rq.job import Job

        ids = self.bulk(n, seed=3)
        q = Queue("bench-one", connection=self.redis)
        jobs = q.enqueue_many([Queue.prepare_data("bench.jobs.fold_one", args=(str(i),),
                                                  result_ttl=3600) for i in ids])
        self.phase("fold-per-response")
        proc = self.procs.start("worker-one", [str(BIN / "rq"), "worker", "--burst", "--url",
                                               self.redis_url, "--worker-class",
                                               "bench.jobs.PreloadedWorker", "bench-one"])
        self.sampler.watch("worker-one", proc.pid)
        try:
            # Bounded in time: the rate is what matters, not emptying the queue.
            proc.wait(min(self.args.per_response_seconds,
                          max(10.0, self.deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            pass
        finally:
            self.sampler.unwatch("worker-one")
            self.procs.stop("worker-one")
        fetched = [j for j in Job.fetch_many([j.id for j in jobs], connection=self.redis) if j]
        done = [j for j in fetched if j.ended_at and j.started_at]
        if not done:
            return {"per_s": 0.0, "jobs": 0}
        start = min(j.started_at for j in done)
        end = max(j.ended_at for j in done)
        folded = sum(1 for j in done if j.return_value() == 1)
        return {"per_s": folded / max((end - start).total_seconds(), 1e-9), "jobs": len(done),
                "folded": folded, "seconds": (end - start).total_seconds()}

    def run(self) -> dict:
        a = self.args
        self.setup()
        try:
            # 1. 10,000 stored responses, folded by the real worker, then results latency.
            self.phase("load-10k")
            self.bulk(a.n_small, seed=1)
            self.phase("fold-10k")
            base = self.start_web("web", "webapp:create_app()")
            self.start_worker()  # its start-up sweep schedules the fold of the backlog
            self.wait_folded(120)
            self.phase("results-10k")
            results_small = self.measure_results("10k", base)

            # 2. Submit throughput: Palaute and the ceiling app, same load and settings, in
            #    alternating rounds.
            ceiling_base = self.start_web("ceiling", "bench.ceiling:create_app()")
            measured = self.measure_submit({"palaute": base, "ceiling": ceiling_base})
            sub, ceil = measured["palaute"], measured["ceiling"]
            self.sampler.unwatch("ceiling")
            self.procs.stop("ceiling")

            # 3. Freshness at a sustained target rate (open loop), polling the results API.
            self.phase("freshness")
            fresh_data = self.load("freshness", "submit", base, "--rate", str(a.fresh_rate),
                                   "--concurrency", str(a.fresh_concurrency),
                                   "--duration", str(a.fresh_duration), "--poll",
                                   timeout=a.fresh_duration + 90)
            fresh = self.freshness(fresh_data)
            self.wait_folded(120)

            # 4. Up to 1,000,000 stored responses: bulk-load, fold with the real worker.
            self.phase("load-1m")
            missing = a.n_large - self.stored()
            self.bulk(missing, seed=2)
            self.phase("fold-1m")
            since = datetime.now(UTC)
            from surveys import events

            fold_start = time.monotonic()
            events.enqueue_fold(self.redis)
            fold_wall = self.wait_folded(a.max_seconds)
            log(f"folded {missing} in {fold_wall:.1f} s (wall, incl. scheduling)")
            folded, spent = self.fold_jobs_since(since)
            if folded < missing * 0.9 or spent <= 0:  # job records gone: fall back to wall time
                folded, spent = missing, time.monotonic() - fold_start
            self.phase("results-1m")
            results_large = self.measure_results("1m", base)
            stored_large = self.stored()

            # 5. One job per response: the same worker model, one response per job.
            self.phase("stop-worker")
            self.stop_worker()
            per_one = self.measure_per_response(a.per_response_jobs)
            self.machine_info = self.machine()
        finally:
            self.sampler.phase = "teardown"
            self.procs.stop_all()
            self.sampler.stop()
            if self.redis_server:
                self.redis_server.stop()

        self.results = self.figures(sub, ceil, folded, spent, per_one, fresh, results_small,
                                    results_large, stored_large)
        return self.results

    def freshness(self, data: dict) -> dict:
        acks = sorted(r[2] for r in data["requests"] if r[0] == "submit" and r[3] == 303)
        polls = sorted(data["polls"])
        if not acks:
            return {"rate": 0.0}
        window = acks[-1] - min(r[1] for r in data["requests"])
        lags: list[float] = []
        j = 0
        # The k-th acknowledged response counts as visible at the first poll showing >= k more
        # respondents than at the start (counts only grow); resolution is the poll interval.
        for k, ack in enumerate(acks, start=1):
            while j < len(polls) and polls[j][1] < k:
                j += 1
            if j == len(polls):
                break
            lags.append(max(0.0, polls[j][0] - ack))
        sub = self.submit_figures([data])
        return {"target_rate": self.args.fresh_rate, "rate": len(acks) / window if window else 0,
                "acked": len(acks), "seen": len(lags), "p50_s": pct(lags, 50),
                "p95_s": pct(lags, 95) if len(lags) == len(acks) else None,
                "max_s": max(lags) if lags else None, "submit_p95_ms": sub.get("p95_ms"),
                "errors": sub.get("errors")}

    # report -------------------------------------------------------------------------------------
    def figures(self, sub, ceil, folded, spent, per_one, fresh, small, large, stored) -> dict:
        samples = self.sampler.samples
        web = [s for s in samples if s["role"] == "web"]
        wk = [s for s in samples if s["role"] == "worker"]
        fold_phase = [s["max_mb"] for s in wk if s["phase"] == "fold-1m"]
        q = max(1, len(fold_phase) // 4)
        first, last = pct(fold_phase[:q], 50), pct(fold_phase[-q:], 50)
        growth = (last - first) if first is not None and last is not None else None
        # The long-lived worker process, from once it has done its first job (start-up imports
        # are not growth) to the end of the run.
        roots = [s["root_mb"] for s in wk if s["phase"] not in ("setup", "load-10k", "fold-10k")]
        root_growth = (roots[-1] - roots[0]) if roots else None
        flat = (growth is not None and growth <= max(16.0, 0.10 * first)
                and root_growth is not None and root_growth <= max(16.0, 0.10 * roots[0]))

        def worst(res: dict) -> float | None:
            vals = [v["p95_ms"] for v in res.values() if v["p95_ms"] is not None]
            return max(vals) if vals else None

        ratios = [large[k]["p95_ms"] / small[k]["p95_ms"] for k in small
                  if small[k]["p95_ms"] and large[k]["p95_ms"]]
        fold_per_s = folded / spent if spent else 0.0
        r = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": self.machine_info,
            "settings": {k: v for k, v in vars(self.args).items() if k not in ("force",)},
            "submit_rps": rnd(sub["rps"]), "submit_p50_ms": rnd(sub.get("p50_ms")),
            "submit_p95_ms": rnd(sub.get("p95_ms")), "submit_p99_ms": rnd(sub.get("p99_ms")),
            "submit_form_p95_ms": rnd(sub.get("form_p95_ms")), "submit_errors": sub.get("errors"),
            "submit_acked": sub.get("acked"),
            "ceiling_rps": rnd(ceil["rps"]), "ceiling_p50_ms": rnd(ceil.get("p50_ms")),
            "ceiling_p95_ms": rnd(ceil.get("p95_ms")), "ceiling_p99_ms": rnd(ceil.get("p99_ms")),
            "ceiling_errors": ceil.get("errors"),
            "submit_ratio": rnd(sub["rps"] / ceil["rps"], 3) if ceil["rps"] else None,
            "fold_per_s": rnd(fold_per_s), "fold_responses": folded, "fold_seconds": rnd(spent, 2),
            "job_per_response_per_s": rnd(per_one["per_s"]),
            "job_per_response_jobs": per_one.get("jobs"),
            "fold_ratio": rnd(fold_per_s / per_one["per_s"], 1) if per_one["per_s"] else None,
            "freshness_target_rate": fresh.get("target_rate"),
            "freshness_rate": rnd(fresh.get("rate")),
            "freshness_p50_s": rnd(fresh.get("p50_s"), 3),
            "freshness_p95_s": rnd(fresh.get("p95_s"), 3),
            "freshness_max_s": rnd(fresh.get("max_s"), 3),
            "freshness_submit_p95_ms": rnd(fresh.get("submit_p95_ms")),
            "freshness_acked": fresh.get("acked"), "freshness_seen": fresh.get("seen"),
            "results_stored_small": self.args.n_small, "results_stored_large": stored,
            "results_p95_ms_10k": rnd(worst(small)), "results_p95_ms_1m": rnd(worst(large)),
            "results_page_p95_ms_10k": rnd(small["page"]["p95_ms"]),
            "results_api_p95_ms_10k": rnd(small["api"]["p95_ms"]),
            "results_page_p95_ms_1m": rnd(large["page"]["p95_ms"]),
            "results_api_p95_ms_1m": rnd(large["api"]["p95_ms"]),
            "results_page_p50_ms_1m": rnd(large["page"]["p50_ms"]),
            "results_api_p50_ms_1m": rnd(large["api"]["p50_ms"]),
            "results_ratio": rnd(max(ratios), 3) if ratios else None,
            "results_errors": sum(v["errors"] for v in (*small.values(), *large.values())),
            "web_peak_rss_mb": rnd(max((s["child_max_mb"] or 0) for s in web) if web else None),
            "web_total_peak_rss_mb": rnd(max(s["total_mb"] for s in web) if web else None),
            "worker_peak_rss_mb": rnd(max(s["max_mb"] for s in wk) if wk else None),
            "worker_fold_rss_first_mb": rnd(first), "worker_fold_rss_last_mb": rnd(last),
            "worker_rss_growth_mb": rnd(growth),
            "worker_root_rss_start_mb": rnd(roots[0] if roots else None),
            "worker_root_rss_end_mb": rnd(roots[-1] if roots else None),
            "worker_memory_flat": flat,
        }
        rounds = range(1, self.args.submit_rounds + 1)
        cpu = self.cpu_by_phase(tuple(f"submit-{app}-{i}" for app in ("palaute", "ceiling")
                                      for i in rounds) + ("freshness", "fold-1m"))
        for app in ("palaute", "ceiling"):  # the rounds of each app, summed
            parts = [cpu.pop(f"submit-{app}-{i}") for i in rounds]
            cpu[f"submit-{app}"] = {key: round(sum(p.get(key, 0.0) for p in parts), 2)
                                    for key in {k for p in parts for k in p}}
        r["cpu_s_by_phase"] = cpu

        def per_cpu(count: float | None, phase: str, role: str) -> float | None:
            used = cpu.get(phase, {}).get(role)
            return rnd(count / used) if count and used else None

        def others(phase: str) -> float | None:
            c = cpu.get(phase, {})
            if "machine" not in c or not c.get("seconds"):
                return None
            ours = sum(v for k, v in c.items() if k not in ("machine", "seconds"))
            return rnd((c["machine"] - ours) / c["seconds"], 2)

        # Normalised by the CPU the process tree actually got: comparable across runs on a
        # machine that other work shares (the side-by-side ratios are the primary figures).
        r["submit_per_web_cpu_s"] = per_cpu((sub.get("acked") or 0), "submit-palaute", "web")
        r["ceiling_per_web_cpu_s"] = per_cpu((ceil.get("acked") or 0), "submit-ceiling",
                                             "ceiling")
        r["fold_per_worker_cpu_s"] = per_cpu(folded, "fold-1m", "worker")
        # Cores busy outside the benchmark's own processes (the database server, Redis and
        # anything else running on the machine) during each phase.
        r["other_cores_busy"] = {ph: others(ph) for ph in cpu}
        r["targets_met"] = {k: check(r.get(k), op, v) for k, (op, v) in TARGETS.items()}
        return r

    def cpu_by_phase(self, phases: tuple[str, ...]) -> dict:
        """CPU seconds used by each process tree (and the whole machine) in each phase."""
        out: dict[str, dict[str, float]] = {}
        for phase in phases:
            by_role: dict[str, list[dict]] = {}
            for smp in self.sampler.samples:
                if smp["phase"] == phase and "cpu_s" in smp:
                    by_role.setdefault(smp["role"], []).append(smp)
            out[phase] = {role: round(v[-1]["cpu_s"] - v[0]["cpu_s"], 2)
                          for role, v in by_role.items() if len(v) > 1}
            times = [smp["t"] for v in by_role.values() for smp in v]
            if times:
                out[phase]["seconds"] = round(max(times) - min(times), 2)
        return out

    def machine(self) -> dict:
        cpu = ""
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                dbv = conn.scalar(text("SHOW server_version"))
            else:
                dbv = conn.scalar(text("SELECT sqlite_version()"))
        import importlib.metadata as md

        return {
            "cpu": cpu, "cores": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "database": f"{self.engine.dialect.name} {dbv}",
            "redis": ("embedded " if self.redis_server else "") + "redis "
                     + str(self.redis_info_version()),
            "web_workers": int(self.procs.env.get("WEB_CONCURRENCY") or (os.cpu_count() or 1) * 2
                               + 1),
            "packages": {p: md.version(p) for p in ("flask", "sqlalchemy", "gunicorn", "rq",
                                                    "psycopg", "aiohttp")},
        }

    def redis_info_version(self) -> str:
        try:
            return self.redis.info("server").get("redis_version", "?")
        except Exception:  # noqa: BLE001 - the server may be stopped already
            return "?"

    def cleanup(self) -> None:
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def check(value: Any, op: str, target: Any) -> bool | None:
    if value is None:
        return None
    return {">=": value >= target, "<=": value <= target, "==": value == target}[op]


def write_reports(r: dict, timeline: dict, samples: list[dict], out_dir: Path,
                  stem: str, plot: bool = True) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.json", out_dir / f"{stem}.md"]
    paths[0].write_text(json.dumps(r, indent=2) + "\n")
    paths[1].write_text(markdown(r))
    if plot:
        paths.append(out_dir / f"{stem}.png")
        plot_timeline(timeline, samples, paths[2])
    return paths


def markdown(r: dict) -> str:
    m = r["machine"]
    t = r["targets_met"]

    def ok(key: str) -> str:
        return {True: "yes", False: "**no**", None: "n/a"}[t.get(key)]

    rows = [
        ("Submit (GET form + POST), responses/s", r["submit_rps"], "", ""),
        ("Submit POST latency p50 / p95 / p99 ms",
         f'{r["submit_p50_ms"]} / {r["submit_p95_ms"]} / {r["submit_p99_ms"]}', "", ""),
        ("Ceiling app, responses/s", r["ceiling_rps"], "", ""),
        ("Responses per CPU second of the web tier (Palaute / ceiling)",
         f'{r["submit_per_web_cpu_s"]} / {r["ceiling_per_web_cpu_s"]}', "", ""),
        ("Submit ratio (Palaute : ceiling)", r["submit_ratio"], ">= 0.5", ok("submit_ratio")),
        ("Fold, one worker, responses/s", r["fold_per_s"], ">= 20,000", ok("fold_per_s")),
        ("Fold, responses per CPU second of the worker", r["fold_per_worker_cpu_s"], "", ""),
        ("One job per response, responses/s", r["job_per_response_per_s"], "", ""),
        ("Fold ratio (batched : per response)", r["fold_ratio"], "", ""),
        (f'Freshness p95 s at {r["freshness_rate"]}/s achieved '
         f'({r["freshness_target_rate"]}/s target)', r["freshness_p95_s"], "<= 2 s",
         ok("freshness_p95_s")),
        ("Results p95 ms, 10k responses (page / API)",
         f'{r["results_page_p95_ms_10k"]} / {r["results_api_p95_ms_10k"]}', "", ""),
        (f'Results p95 ms, {r["results_stored_large"]:,} responses (page / API)',
         f'{r["results_page_p95_ms_1m"]} / {r["results_api_p95_ms_1m"]}', "<= 50",
         ok("results_p95_ms_1m")),
        ("Results ratio (1M : 10k, worst of page/API)", r["results_ratio"], "<= 1.5",
         ok("results_ratio")),
        ("Web worker peak RSS MB (one process / whole tier)",
         f'{r["web_peak_rss_mb"]} / {r["web_total_peak_rss_mb"]}', "", ""),
        ("RQ worker peak RSS MB", r["worker_peak_rss_mb"], "", ""),
        ("Worker RSS during the 1M fold, first -> last quarter MB",
         f'{r["worker_fold_rss_first_mb"]} -> {r["worker_fold_rss_last_mb"]}', "flat",
         ok("worker_memory_flat")),
    ]
    lines = [
        f'# Benchmark {r["date"]}', "",
        f'Machine: {m["cpu"]}, {m["cores"]} cores, {m["memory_gb"]} GB; {m["database"]}; '
        f'{m["redis"]}; gunicorn {m["web_workers"]} sync workers; Python {m["python"]}.', "",
        "| Measure | Value | Target | Met |", "| --- | --- | --- | --- |",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows), "",
        "All figures from one `make bench` run; ratios compare runs made side by side in it.",
        "Cores busy outside the benchmark's processes (database server, other work), by phase: "
        + ", ".join(f"{k} {v}" for k, v in r["other_cores_busy"].items()) + ".", "",
    ]
    return "\n".join(lines)


def plot_timeline(timeline: dict, samples: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    by_label: dict[str, list] = {}
    for label, kind, t0, t1, status in timeline["load"]:
        if "warmup" in label:
            continue
        by_label.setdefault(label, []).append((kind, t0, t1, status))
    for label, reqs in by_label.items():
        kinds = {"submit"} if not label.startswith("results") else {"results0", "results1"}
        done = [(t1, (t1 - t0) * 1000) for k, t0, t1, st in reqs if k in kinds and st in (200, 303)]
        if not done:
            continue
        start, end = int(min(t for t, _ in done)), int(max(t for t, _ in done)) + 1
        secs = list(range(start, end))
        counts = [0] * len(secs)
        lats: list[list[float]] = [[] for _ in secs]
        for t, lat in done:
            counts[int(t) - start] += 1
            lats[int(t) - start].append(lat)
        ax1.plot(secs, counts, label=label)
        ax2.plot(secs, [pct(v, 95) if v else None for v in lats], label=label)
    ax1.set_ylabel("completed per s")
    ax1.set_title("Throughput (responses or results requests per second)")
    ax1.legend(fontsize=8)
    ax2.set_ylabel("p95 latency ms")
    ax2.set_yscale("log")
    ax2.legend(fontsize=8)
    for role in sorted({s["role"] for s in samples}):
        pts = [(s["t"], s["max_mb"]) for s in samples if s["role"] == role and "max_mb" in s]
        if not pts:
            continue
        ax3.plot([p[0] for p in pts], [p[1] for p in pts], label=f"{role} (largest process)")
    ax3.set_ylabel("RSS MB")
    ax3.set_xlabel("seconds since start")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


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
    bench = Bench(args)
    try:
        r = bench.run()
        db = r["machine"]["database"].split()[0]
        stem = f"{datetime.now(UTC):%Y-%m-%d}-{db}" + ("-smoke" if args.smoke else "")
        paths = write_reports(r, bench.timeline, bench.sampler.samples, Path(args.out_dir), stem,
                              plot=not args.no_plot)
        if not args.smoke:
            # bench/results/<date>.json is the name other tools read: the day's latest run.
            paths += write_reports(r, bench.timeline, bench.sampler.samples, Path(args.out_dir),
                                   f"{datetime.now(UTC):%Y-%m-%d}", plot=not args.no_plot)
        print(markdown(r))
        log("wrote " + ", ".join(str(p) for p in paths))
        return r
    finally:
        if args.keep:
            log(f"logs kept in {bench.tmp}")
        bench.cleanup()


if __name__ == "__main__":
    main()
