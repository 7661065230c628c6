"""The whole platform as `make run` starts it (honcho: gunicorn, rq worker, rq cron), over HTTP."""

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

from tests.conftest import VALID_ANSWERS, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def live_server(database_url, redis_url, redis_conn, demo_survey, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
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
    assert data["questions"]["service"]["counts"]["dental"] == 5


def test_sigterm_to_serve_alone_stops_every_process(database_url, redis_url, redis_conn, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
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
