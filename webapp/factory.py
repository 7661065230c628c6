"""The application factory: `create_app(settings)` wires the blueprints to one Settings object."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel

from surveys.infra import logs
from surveys.infra.settings import PROJECT_ROOT, Settings

from . import errors, extensions, i18n, ratelimit, request_log, security


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


def create_app(settings: Settings | None = None,
               overrides: dict[str, Any] | None = None) -> Flask:
    """The web app. `settings` defaults to the environment's (read here, once: the edge);
    `overrides` are Flask config values (e.g. TESTING)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    # A path with "//" (a slug holding an encoded slash) is no page: answered 404, in JSON on
    # the API, rather than redirected to a merged path that names another resource. Set before
    # any rule is added (each rule takes it when bound).
    app.url_map.merge_slashes = False
    app.config.update(
        SECRET_KEY=settings.secret(),
        MAX_CONTENT_LENGTH=security.MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=security.MAX_BODY_BYTES,
        MAX_FORM_PARTS=security.MAX_FORM_PARTS,
        BABEL_TRANSLATION_DIRECTORIES=str(PROJECT_ROOT / "translations"),
        BABEL_DEFAULT_LOCALE="fi",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
    )
    if overrides:
        app.config.update(overrides)
    if not app.config.get("TESTING") and not logging.getLogger().handlers:
        # Under gunicorn, gunicorn_conf's logconfig_dict has set up the same JSON handler.
        logs.configure("web", level=settings.log_level)

    app.session_interface = LazyCookieSessionInterface()
    extensions.init_app(app, settings)
    Babel(app, locale_selector=i18n.current_locale)
    i18n.init_app(app)
    request_log.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from . import admin, api, feedback, goals, health, openapi, results
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    admin.init_app(app)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(goals.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)
    ratelimit.init_app(app, settings)
    return app
