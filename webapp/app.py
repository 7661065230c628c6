"""Application factory."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from surveys import config as domain_config
from surveys import db as domain_db
from surveys import events

from . import i18n

CSP = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"


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
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        BABEL_TRANSLATION_DIRECTORIES=str(domain_config.PROJECT_ROOT / "translations"),
        BABEL_DEFAULT_LOCALE="fi",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
    )
    if overrides:
        app.config.update(overrides)

    Babel(app, locale_selector=i18n.current_locale)
    i18n.init_app(app)

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

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Content-Security-Policy", CSP)
        return resp

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return render_template("error.html", code=400, title=exc.description), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/") or request.path == "/healthz":
            return {"error": exc.name, "detail": exc.description}, exc.code or 500
        return render_template("error.html", code=exc.code), exc.code or 500

    return app


def get_db():
    """The request's database session (opened on first use, closed at teardown)."""
    from flask import current_app

    if "db" not in g:
        g.db = domain_db.new_session(current_app.config["DATABASE_URL"])
    return g.db


def get_redis():
    from flask import current_app

    conn = current_app.extensions.get("palaute_redis")
    if conn is None:
        conn = events.connect(current_app.config["REDIS_URL"] or events.redis_url())
        current_app.extensions["palaute_redis"] = conn
    return conn
