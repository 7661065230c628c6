"""The request's handles: settings, database session and Redis connection.

Blueprints import this module, never the app factory (as Flask's tutorial does with `db.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import redis
from flask import Flask, abort, current_app, g
from sqlalchemy.orm import Session

from surveys.definitions import lookup
from surveys.definitions.lookup import SurveySnapshot
from surveys.infra import clock, db, queue
from surveys.infra.settings import Settings

_SETTINGS = "palaute_settings"
_REDIS = "palaute_redis"
_CLOCK = "palaute_clock"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[_SETTINGS] = settings

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()


def settings() -> Settings:
    return current_app.extensions[_SETTINGS]


def now() -> datetime:
    """The time (UTC, aware). Tests set a clock: `set_clock(app, callable)`."""
    fixed: Callable[[], datetime] | None = current_app.extensions.get(_CLOCK)
    return fixed() if fixed else clock.now()


def today() -> date:
    """The counties' date now (surveys.infra.clock: Finnish time, whatever the server's zone),
    by the app's clock."""
    return clock.today(now())


def set_clock(app: Flask, clock: Callable[[], datetime] | None) -> None:
    app.extensions[_CLOCK] = clock


def settings_of(app: Flask) -> Settings | None:
    """The Settings `app` was made with; None for an app that create_app did not make."""
    return getattr(app, "extensions", {}).get(_SETTINGS)


def get_db() -> Session:
    """The request's database session (opened on first use, closed at teardown)."""
    session = g.get("db")
    if session is None:
        session = g.db = db.new_session(settings())
    return session


def get_redis() -> redis.Redis:
    conn = current_app.extensions.get(_REDIS)
    if conn is None:
        conn = current_app.extensions[_REDIS] = queue.connect(queue.redis_url(settings()))
    return conn


def disconnect_redis(app: Flask) -> None:
    """Close every connection of the app's Redis client, keeping the client (the gunicorn
    master, before it forks: webapp.preload). No socket crosses the fork, and each worker's
    client opens its own connections: redis-py's pool notices it is in a new process."""
    conn = app.extensions.get(_REDIS)
    if conn is not None:
        conn.connection_pool.disconnect()


def visible_survey(slug: str, fresh: bool = False) -> SurveySnapshot:
    """The survey named `slug` if it is open or closed, else 404; as kept by this process for up
    to Settings.survey_cache_s (`fresh`: read it now)."""
    survey = lookup.visible(get_db(), slug, 0.0 if fresh else settings().survey_cache_s)
    if survey is None:
        abort(404)
    g.survey = survey  # the survey this request is about (webapp.security: embed_origins)
    return survey
