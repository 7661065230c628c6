"""A request id for every request and one JSON log line per request (surveys.infra.logs)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

from surveys.infra import logs

# A caller's request id is echoed only if it is short and plain (it goes into every log line).
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,100}")
# Path parameters that may be logged (an invitation token in a path must never be).
LOGGED_VIEW_ARGS = ("slug",)
# Requests that time a submission or a person's invitation: the thank-you page (a review of 7
# December lined its milliseconds up with the POST before it), an invitation link's, and the
# static files a browser fetches again right after them (the stylesheet is `no-cache`).
COARSE_ENDPOINTS = frozenset({"respond.thanks", "respond.invited", "static"})

log = logging.getLogger("webapp.request")


def init_app(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
        g.request_token = logs.request_id_var.set(g.request_id)
        # A POST is a submission: its lines (and a fold job it schedules) carry the minute only,
        # as do the thank-you page the browser loads right after it and an invitation link's.
        g.coarse_token = logs.coarse_time_var.set(
            request.method == "POST" or request.endpoint in COARSE_ENDPOINTS)
        g.request_started = time.monotonic()

    @app.after_request
    def _log_request(resp):
        rid = g.get("request_id")
        if rid is None:  # failed before before_request ran
            return resp
        resp.headers["X-Request-ID"] = rid
        rule = request.url_rule
        fields = {k: v for k, v in (request.view_args or {}).items() if k in LOGGED_VIEW_ARGS}
        log.info("request", extra={
            "method": request.method,
            # The route pattern, never the raw path or query string.
            "route": rule.rule if rule else None,
            "endpoint": request.endpoint,
            "lang": g.get("lang"),
            "survey": fields.get("slug"),
            "status": resp.status_code,
            "duration_ms": round((time.monotonic() - g.get("request_started", 0)) * 1000, 1),
        })
        return resp

    @app.teardown_request
    def _forget_request_id(_exc: BaseException | None) -> None:
        token = g.pop("request_token", None)
        if token is not None:
            logs.request_id_var.reset(token)
        coarse = g.pop("coarse_token", None)
        if coarse is not None:
            logs.coarse_time_var.reset(coarse)
