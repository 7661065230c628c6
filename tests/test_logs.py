"""Logs are JSON lines with a request id, and never contain answers or tokens."""

from __future__ import annotations

import io
import json
import logging

import pytest
from rq import SimpleWorker

from surveys import events, logs
from tests.conftest import VALID_ANSWERS, form_tokens
from workers.worker import PalauteWorker


class InProcessPalauteWorker(SimpleWorker, PalauteWorker):
    """The production worker class, running jobs in this process (no fork) for the test."""

SECRET_COMMENT = "Salainen kommentti 7f3a, puhelin 040 765 4321"


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    logs.configure("web", stream=stream)
    yield stream
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_palaute_json", False):
            root.removeHandler(handler)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_submission_logs_carry_request_id_and_no_answers(client, demo_survey, redis_conn,
                                                         log_stream):
    page = client.get(f"/fi/s/{demo_survey}", headers={"X-Request-ID": "form-load-1"})
    assert page.headers["X-Request-ID"] == "form-load-1"
    tokens = form_tokens(page.get_data(as_text=True))
    resp = client.post(f"/fi/s/{demo_survey}", headers={"X-Request-ID": "submit-42"},
                       data={**tokens, **VALID_ANSWERS, "comment": SECRET_COMMENT})
    assert resp.status_code == 303
    assert resp.headers["X-Request-ID"] == "submit-42"
    # The fold job logs too, under the request id that scheduled it.
    worker = InProcessPalauteWorker([events.queue(redis_conn)], connection=redis_conn)
    worker.work(burst=True)

    records = lines(log_stream)
    submit_lines = [r for r in records if r["request_id"] == "submit-42"]
    assert any(r["msg"] == "request" and r["status"] == 303 and r["method"] == "POST"
               and r["route"] == "/<lang>/s/<slug>" for r in submit_lines)
    assert any("folded" in r["msg"] for r in submit_lines), records
    text = log_stream.getvalue()
    for secret in ("Salainen", "7f3a", "765 4321", tokens["csrf_token"],
                   tokens["submission_token"], "Hyvää"):
        assert secret not in text


def test_request_id_generated_when_missing_or_unsafe(client, demo_survey, log_stream):
    generated = client.get(f"/fi/s/{demo_survey}").headers["X-Request-ID"]
    assert len(generated) == 32
    unsafe = client.get(f"/fi/s/{demo_survey}", headers={"X-Request-ID": "a b\"<script>"})
    assert unsafe.headers["X-Request-ID"] != "a b\"<script>"
    assert {r["request_id"] for r in lines(log_stream)} >= {generated}


def test_query_strings_are_not_logged(client, demo_survey, log_stream):
    client.get(f"/api/v1/surveys/{demo_survey}/results?region=17&token=sekret-token-99")
    assert "sekret-token-99" not in log_stream.getvalue()
    assert lines(log_stream)[-1]["route"] == "/api/v1/surveys/<slug>/results"
