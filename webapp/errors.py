"""Error pages every blueprint falls back on: HTML for pages, JSON under /api/ and /healthz.

A blueprint that answers differently registers its own handlers (webapp.respond keeps a
respondent's answers when the database is down; webapp.api answers in JSON). These catch what
happens outside any blueprint, e.g. a URL that matches no route.
"""

from __future__ import annotations

import logging

from flask import Flask, make_response, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

# Seconds a client is asked to wait when the database is unavailable.
RETRY_AFTER_S = 30
# Errors meaning "the database can't be reached or can't take the write now", not a bug.
DB_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                  sa_exc.DisconnectionError)

log = logging.getLogger("webapp")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def json_error(error: str, detail: str, status: int):
    return {"error": error, "detail": detail}, status


def http_error(exc: HTTPException):
    """An HTTP error as JSON, keeping the headers it must carry (`Allow` on a 405)."""
    kept = [(k, v) for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")]
    body, status = json_error(exc.name, exc.description or "", exc.code or 500)
    return body, status, kept


def log_unavailable(exc: Exception) -> None:
    log.warning("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__,
                extra={"status": 503, "retry_after": RETRY_AFTER_S})


def with_retry_after(resp, seconds: int = RETRY_AFTER_S):
    response = make_response(resp)
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if wants_json():
            return http_error(exc)
        kept = [(k, v) for k, v in exc.get_headers() if k.lower() == "allow"]
        return render_template("error.html", code=exc.code), exc.code or 500, kept

    @app.errorhandler(UnicodeError)
    def _bad_encoding(_exc: UnicodeError):
        # Undecodable bytes in a path or header value: the client's fault, not ours.
        if wants_json():
            return json_error("Bad Request", "invalid encoding", 400)
        return render_template("error.html", code=400), 400

    @app.errorhandler(sa_exc.DataError)
    def _bad_value(_exc: sa_exc.DataError):
        # The database refused a value from the request (e.g. a NUL byte): bad input, not a bug.
        if wants_json():
            return json_error("Bad Request", "invalid value", 400)
        return render_template("error.html", code=400), 400

    def _unavailable(exc: Exception):
        log_unavailable(exc)
        if wants_json():
            return with_retry_after(json_error("Service Unavailable", "database unavailable",
                                               503))
        return with_retry_after((render_template("error.html", code=503), 503))

    for error in DB_UNAVAILABLE:
        app.register_error_handler(error, _unavailable)
