"""The whole platform as `make run` starts it (honcho: gunicorn, the rq workers, rq cron), over
HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import TEST_ENV, VALID_ANSWERS, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def live_server(database_url, redis_url, redis_conn, demo_survey, tmp_path):
    port = free_port()
    env = {**os.environ, **TEST_ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "PORT": str(port), "WEB_CONCURRENCY": "2"}
    palaute = Path(sys.executable).parent / "palaute"
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([str(palaute), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start:\n" + (tmp_path / "serve.log").read_text())
        yield base
    finally:
        # honcho stops the processes it started (each in a session of its own) on SIGTERM.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def answer(base: str, slug: str, lang: str) -> requests.Response:
    http = requests.Session()
    page = http.get(f"{base}/{lang}/s/{slug}", timeout=5)
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text
    tokens = dict(re.findall(r'name="(csrf_token|submission_token)" type="hidden" value="([^"]+)"',
                             page.text))
    return http.post(f"{base}/{lang}/s/{slug}", data={**tokens, **VALID_ANSWERS}, timeout=5,
                     allow_redirects=False)


def test_answers_over_http_reach_the_results_within_seconds(live_server, demo_survey):
    for lang in ("fi", "sv", "se", "fi", "sv"):
        resp = answer(live_server, demo_survey, lang)
        assert resp.status_code == 303
        thanks = requests.get(live_server + resp.headers["Location"], timeout=5)
        assert thanks.status_code == 200
    deadline = time.monotonic() + 10
    data = {}
    while time.monotonic() < deadline:
        data = requests.get(f"{live_server}/api/v1/surveys/{demo_survey}/results",
                            params={"region": "17"}, timeout=5).json()
        if data["respondents"] == 5:
            break
        time.sleep(0.2)
    assert data["respondents"] == 5, data
    assert data["questions"]["service"]["n"] == 5
    # All five chose the same service: withheld inside the shown group (docs/privacy.md).
    assert data["questions"]["service"]["counts"]["dental"] is None


def test_sigterm_to_serve_alone_stops_every_process(database_url, redis_url, redis_conn, tmp_path):
    port = free_port()
    env = {**os.environ, **TEST_ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "PORT": str(port), "WEB_CONCURRENCY": "1"}
    palaute = Path(sys.executable).parent / "palaute"
    proc = subprocess.Popen([str(palaute), "serve"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)  # to `palaute serve` only, as a supervisor would
        proc.wait(30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except requests.RequestException:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the web server outlived `palaute serve`")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)



# `palaute serve` for a newcomer (`make run`): the banner, then only what matters. Honcho says
# which processes it started (a line per Procfile process); nothing else while the platform
# idles or answers.
QUIET_LINES_AT_MOST = len((Path(__file__).resolve().parents[2] / "Procfile").read_text()
                          .strip().splitlines())


def test_serve_prints_the_banner_and_then_only_what_matters(database_url, demo_survey,
                                                            tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PALAUTE_LOG_LEVEL"}
    # Its own embedded Redis, as `make run` without REDIS_URL.
    env.update(TEST_ENV, DATABASE_URL=database_url, REDIS_URL="", PORT=str(port),
               WEB_CONCURRENCY="2", PALAUTE_INSTANCE_DIR=str(tmp_path / "instance"))
    palaute = Path(sys.executable).parent / "palaute"
    out = tmp_path / "serve.log"
    with open(out, "wb") as log:
        proc = subprocess.Popen([str(palaute), "serve"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while time.monotonic() < started + 30:
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        # A few respondents and a results request (fold jobs run), then idle through at least
        # two sweeps of the cron (every 5 s).
        for lang in ("fi", "sv", "fi"):
            assert answer(base, demo_survey, lang).status_code == 303
        assert requests.get(f"{base}/fi/results/{demo_survey}", timeout=5).status_code == 200
        time.sleep(max(0.0, started + 15 - time.monotonic()))
        running = out.read_text(errors="replace")
    finally:
        # Ctrl+C in a terminal: SIGINT to every process of the foreground group.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Palaute is running." in running and f"{base}/fi/s/asiakaskokemus-2026" in running
    after = running.split("Ctrl+C stops everything.", 1)[1].strip().splitlines()
    assert len(after) <= QUIET_LINES_AT_MOST, "\n".join(after)
    # Stopping is quiet too: Redis outlives the worker and the cron (no tracebacks).
    stopping = out.read_text(errors="replace")[len(running):]
    assert "Traceback" not in stopping and '"level": "error"' not in stopping, stopping[-3000:]
