"""Logs are JSON lines with a request id, and never contain answers or tokens."""

from __future__ import annotations

import re

from rq import SimpleWorker

from surveys.collect import store
from surveys.infra import queue
from tests.conftest import VALID_ANSWERS, form_tokens, lines
from workers.worker import PalauteWorker


class InProcessPalauteWorker(SimpleWorker, PalauteWorker):
    """The production worker class, running jobs in this process (no fork) for the test."""

SECRET_COMMENT = "Salainen kommentti 7f3a, puhelin 040 765 4321"


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
    worker = InProcessPalauteWorker([queue.queue(redis_conn)], connection=redis_conn)
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


def test_submission_lines_carry_the_minute_only(client, demo_survey, redis_conn, log_stream):
    """A submission's log lines, and those of the fold it schedules, don't time it finer than
    the minute (access times would otherwise line up with storage order); other lines keep
    milliseconds. Neither carries a token."""
    page = client.get(f"/fi/s/{demo_survey}", headers={"X-Request-ID": "form-load-2"})
    tokens = form_tokens(page.get_data(as_text=True))
    resp = client.post(f"/fi/s/{demo_survey}", headers={"X-Request-ID": "submit-43"},
                       data={**tokens, **VALID_ANSWERS})
    assert resp.status_code == 303
    # The browser follows the 303 at once: the thank-you page would time the submission.
    assert client.get(resp.headers["Location"], headers={"X-Request-ID": "thanks-44"}
                      ).status_code == 200
    # and then the stylesheet, which it asks for again (no-cache).
    assert client.get("/static/style.css", headers={"X-Request-ID": "thanks-44"}
                      ).status_code == 200
    InProcessPalauteWorker([queue.queue(redis_conn)], connection=redis_conn).work(burst=True)
    records = lines(log_stream)
    minute = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ")
    millis = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
    submit_lines = [r for r in records if r["request_id"] == "submit-43"]
    assert any(r["msg"] == "request" and r["method"] == "POST" for r in submit_lines)
    assert any("folded" in r["msg"] for r in submit_lines), records
    assert all(minute.fullmatch(r["ts"]) for r in submit_lines), submit_lines
    thanks_lines = [r for r in records if r["request_id"] == "thanks-44"]
    assert len(thanks_lines) == 2, thanks_lines
    assert all(minute.fullmatch(r["ts"]) for r in thanks_lines), thanks_lines
    form_lines = [r for r in records if r["request_id"] == "form-load-2"]
    assert form_lines and all(millis.fullmatch(r["ts"]) for r in form_lines)
    text = log_stream.getvalue()
    assert tokens["submission_token"] not in text and tokens["csrf_token"] not in text
    assert store.token_hash(tokens["submission_token"]) not in text
