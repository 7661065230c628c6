"""The benchmark's world: a fresh database, a Redis, the real processes, and the load generator.

`Environment` sets up the database (wiped PostgreSQL of the benchmark's own, or SQLite in a temp
dir) and Redis (REDIS_URL, or embedded), starts and stops gunicorn, the RQ worker and cron as
production does, runs `bench/load.py` as a separate process, bulk-loads responses, and keeps
the timeline of every request and the sampler of every process tree for the report.
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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from .common import BIN, ROOT, SLUG, free_port, log, wait_http
from .sampler import Sampler


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


class Environment:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.max_seconds
        self.tmp = Path(tempfile.mkdtemp(prefix="palaute-bench-"))
        (self.tmp / "logs").mkdir()
        self.timeline: dict[str, Any] = {"load": [], "polls": []}
        self.sampler = Sampler(self.t0)
        self.redis_server = None

    # set up and tear down ---------------------------------------------------------------------
    def setup(self) -> None:
        from surveys.definitions import demo
        from surveys.infra import db, migrate
        from surveys.infra.settings import Settings

        url = os.environ.get("DATABASE_URL")
        if url and url.startswith(("postgres", "postgresql")):
            url = Settings.from_env().database_url
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
            from surveys.infra.embedded_redis import EmbeddedRedis

            self.redis_server = EmbeddedRedis(self.tmp / "redis")
            redis_url = self.redis_server.start()
        self.redis_url = redis_url
        from surveys.infra import queue

        self.redis = queue.connect(redis_url)
        self.redis.flushdb()

        from bench.ceiling import metadata as ceiling_metadata

        ceiling_metadata.create_all(self.engine)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        # As in production: results views serve releases (cut before each results phase);
        # freshness polls the aggregates, which the fold keeps real-time.
        env["RESULTS_RELEASE"] = "daily"
        env.update(DATABASE_URL=url, REDIS_URL=redis_url, SECRET_KEY=secrets.token_urlsafe(32),
                   PALAUTE_INSTANCE_DIR=str(self.tmp / "instance"),
                   # One load generator is one address: it measures the server, not the limit.
                   RATE_LIMIT_SUBMIT="off",
                   PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
        if self.args.web_concurrency:
            env["WEB_CONCURRENCY"] = str(self.args.web_concurrency)
        self.procs = Procs(self.tmp / "logs", env)
        self.sampler.start()

    def teardown(self) -> None:
        self.sampler.phase = "teardown"
        self.procs.stop_all()
        self.sampler.stop()
        if self.redis_server:
            self.redis_server.stop()

    def cleanup(self) -> None:
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # the database -----------------------------------------------------------------------------
    def pending(self) -> int:
        from surveys.models import PendingResponse

        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(PendingResponse)
                               .where(PendingResponse.folded.is_(False))) or 0

    def stored(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(text("SELECT (SELECT count(*) FROM responses) "
                                    "+ (SELECT count(*) FROM pending_responses)")) or 0

    def wait_folded(self, timeout: float) -> float:
        start = time.monotonic()
        end = min(self.deadline, start + timeout)
        while self.pending() and time.monotonic() < end:
            time.sleep(0.1)
        if self.pending():
            raise RuntimeError(f"outbox not empty after {timeout:.0f} s")
        return time.monotonic() - start

    def bulk(self, n: int, seed: int) -> list:
        from bench import bulk

        start = time.monotonic()
        ids = bulk.load(self.engine, self.survey_id, n, seed)
        if self.engine.dialect.name == "postgresql":
            # A bulk load is sudden; autovacuum would analyze soon. Do it now, once.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE responses"))
                c.execute(text("ANALYZE pending_responses"))
        log(f"bulk-loaded {n} responses in {time.monotonic() - start:.1f} s")
        return ids

    def phase(self, name: str) -> None:
        self.sampler.phase = name
        log(f"{name} (t={time.monotonic() - self.t0:.0f} s)")
        if time.monotonic() > self.deadline:
            raise RuntimeError(f"time budget of {self.args.max_seconds} s used up before {name}")

    # the processes ----------------------------------------------------------------------------
    def start_web(self, name: str, app: str) -> str:
        port = free_port()
        proc = self.procs.start(name, [str(BIN / "gunicorn"), "--config",
                                       str(ROOT / "webapp/gunicorn_conf.py"), app],
                                PORT=str(port))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", 60)
        self.sampler.watch(name, proc.pid)
        return base

    def stop_web(self, name: str) -> None:
        self.sampler.unwatch(name)
        self.procs.stop(name)

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
        """Run bench/load.py against `base`; its requests go to the timeline."""
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

    # the machine ------------------------------------------------------------------------------
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
