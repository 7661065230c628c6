"""Application factory."""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
import uuid
from typing import Any

from flask import Flask, abort, current_app, g, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, format_date
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from surveys import config as domain_config
from surveys import db as domain_db
from surveys import events, logs

from . import i18n

CSP = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
# Added to every response that does not set them itself.
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                    ("X-Frame-Options", "DENY"), ("Content-Security-Policy", CSP))
# A caller's request id is echoed only if it is short and plain (it goes into every log line).
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,100}")
# Seconds a client is asked to wait when the database is unavailable.
RETRY_AFTER_S = 30
# Errors meaning "the database can't be reached or can't take the write now", not a bug.
DB_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                  sa_exc.DisconnectionError)
# Path parameters that may be logged (an invitation token in a path must never be).
LOGGED_VIEW_ARGS = ("slug",)

log = logging.getLogger("webapp.request")


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Development default: one random key kept in the instance folder, shared by all processes.
    path = domain_config.INSTANCE_DIR / "secret_key"
    domain_config.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, free for requests that have none (every respondent's).

    Flask builds its signing serializer on every request and reads the cookie settings on every
    response, session or not: about a twentieth of a respondent's CPU (docs/performance.md).
    Nothing public uses the session; it stays available, unchanged, for pages that will.
    """

    def open_session(self, app, request):
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(domain_config.INSTANCE_DIR))
    app.config.update(
        SECRET_KEY=_secret_key(),
        DATABASE_URL=domain_config.database_url(),
        # None: an embedded Redis is started on first use (see surveys.events.redis_url).
        REDIS_URL=os.environ.get("REDIS_URL"),
        # Survey answers are small; anything bigger is refused with 413 before it is parsed.
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_FORM_MEMORY_SIZE=256 * 1024,
        MAX_FORM_PARTS=500,
        BABEL_TRANSLATION_DIRECTORIES=str(domain_config.PROJECT_ROOT / "translations"),
        BABEL_DEFAULT_LOCALE="fi",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
    )
    if overrides:
        app.config.update(overrides)
    if not app.config.get("TESTING") and not logging.getLogger().handlers:
        # Under gunicorn, gunicorn_conf's logconfig_dict has set up the same JSON handler.
        logs.configure("web")

    app.session_interface = LazyCookieSessionInterface()
    Babel(app, locale_selector=i18n.current_locale)
    i18n.init_app(app)
    app.jinja_env.filters.setdefault("format_date", format_date)

    from . import admin, api, health, respond, results

    app.register_blueprint(respond.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
        g.request_token = logs.request_id_var.set(g.request_id)
        g.request_started = time.monotonic()

    @app.before_request
    def _limit_form_fields() -> None:
        # Werkzeug's MAX_FORM_PARTS counts multipart parts only; hold url-encoded forms to the
        # same limit (their size is already capped by MAX_CONTENT_LENGTH, so parsing is cheap).
        if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
            limit = app.config["MAX_FORM_PARTS"]
            if limit and sum(len(v) for _k, v in request.form.lists()) > limit:
                abort(413)

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

    @app.after_request
    def _security_headers(resp):
        # One pass over the headers instead of a scan per setdefault.
        present = {name.lower() for name, _value in resp.headers}
        resp.headers.extend([(name, value) for name, value in SECURITY_HEADERS
                             if name.lower() not in present])
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/") or request.path == "/healthz":
            return {"error": exc.name, "detail": exc.description}, exc.code or 500
        return render_template("error.html", code=exc.code), exc.code or 500

    @app.errorhandler(UnicodeError)
    def _bad_encoding(_exc: UnicodeError):
        # Undecodable bytes in a path or header value: the client's fault, not ours.
        if request.path.startswith("/api/"):
            return {"error": "Bad Request", "detail": "invalid encoding"}, 400
        return render_template("error.html", code=400), 400

    @app.errorhandler(sa_exc.DataError)
    def _bad_value(_exc: sa_exc.DataError):
        # The database refused a value from the request (e.g. a NUL byte): bad input, not a bug.
        if request.path.startswith("/api/"):
            return {"error": "Bad Request", "detail": "invalid value"}, 400
        return render_template("error.html", code=400), 400

    for error in DB_UNAVAILABLE:
        app.register_error_handler(error, _database_unavailable)

    return app


def _database_unavailable(exc: Exception):
    """503 with Retry-After. A respondent's POST gets the form back with their answers in it."""
    from . import respond

    logging.getLogger("webapp").warning(
        "database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__,
        extra={"status": 503, "retry_after": RETRY_AFTER_S})
    if request.path.startswith("/api/") or request.path == "/healthz":
        resp = ({"error": "Service Unavailable", "detail": "database unavailable"}, 503)
    else:
        resp = respond.unavailable(exc)
    response = make_response(resp)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def get_db():
    """The request's database session (opened on first use, closed at teardown)."""
    session = g.get("db")
    if session is None:
        session = g.db = domain_db.new_session(current_app.config["DATABASE_URL"])
    return session


def visible_survey(slug: str):
    """The survey named `slug` if it is open or closed; a draft or unknown one is a 404."""
    from surveys import service

    survey = service.get_survey(get_db(), slug)
    if survey is None or survey.status == "draft":
        abort(404)
    return survey


def get_redis():
    conn = current_app.extensions.get("palaute_redis")
    if conn is None:
        conn = events.connect(current_app.config["REDIS_URL"] or events.redis_url())
        current_app.extensions["palaute_redis"] = conn
    return conn
