"""What a preloading gunicorn master loads before it forks, so that its workers share it.

gunicorn imports the app in the master (`preload_app`, webapp/gunicorn_conf.py) and forks the
workers: pages loaded before the fork are shared. Whatever a worker loads on its first requests
is its own copy, five times over. Two large such things: the compiled templates (about 10 MB
of the web tier's PSS with 5 workers) and the database driver, which SQLAlchemy imports when
the first engine is made (psycopg with its bundled libpq: about 25 MB on PostgreSQL). Catalogs
and locale data were tried too: loading every language in the master cost more than the
workers saved (docs/performance.md, memory).

Then the master serves a few public pages to itself (`warm_requests`): the index, the forms,
results pages and results API of the first surveys it lists. What a request runs the first time
in a process writes to memory the workers would otherwise each copy from the master (CPython's
adaptive bytecode rewrites the code it runs, SQLAlchemy fills its compiled-statement cache and
initialises the dialect, Babel and Jinja fill theirs): measured, about 20 MB of the web tier's
PSS with 5 workers (docs/performance.md, memory). Connections must never cross a fork: after
those requests the master closes every database connection (`Engine.dispose()`, as SQLAlchemy
documents for forking) and every Redis client it made, so the workers open their own
(tests/system/test_preload.py checks the master holds no socket while they serve).
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import configure_mappers

from surveys.infra import db
from surveys.infra.settings import Settings

from .extensions import disconnect_redis, get_redis, settings_of

# The master's warm-up is bounded: it delays the first worker, and in RESULTS_RELEASE=live a
# results page of a large survey may take seconds to compute.
WARM_BUDGET_S = 3.0
WARM_ROUNDS = 10
WARM_SURVEYS = 3
_SURVEY_LINK = re.compile(r'href="/fi/s/([a-z0-9][a-z0-9-]*)"')


def warm(app: Flask) -> None:
    """Compile every page template, import the database driver, configure the ORM's mappers
    and build the URL map's matcher, in this process: each is otherwise done lazily by every
    worker on its first request (measured: mappers and matcher together about 6 MB of the web
    tier's PSS with 5 workers). Makes no engine and no connection. Leaves an app that
    create_app did not make (the benchmark's ceiling app, served with the same gunicorn
    settings) as it is."""
    settings = settings_of(app)
    if settings is None:
        return
    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        env.get_template(name)
    make_url(settings.database_url).get_dialect().import_dbapi()
    configure_mappers()
    app.url_map.update()


def warm_paths(index_html: str) -> list[str]:
    """Public GET pages that run what most requests run: the index, and for the first surveys
    the index links to their form, results page and results API."""
    slugs = list(dict.fromkeys(_SURVEY_LINK.findall(index_html)))[:WARM_SURVEYS]
    paths = ["/fi/", "/sv/", "/fi/goals"]
    for slug in slugs:
        paths += [f"/fi/s/{slug}", f"/sv/s/{slug}", f"/fi/results/{slug}",
                  f"/api/v1/surveys/{slug}/results"]
    return paths


def warm_requests(app: Flask) -> int:
    """Serve `warm_paths` to this process a few times (GET only: nothing is stored), within
    WARM_BUDGET_S, then close every connection the requests opened. Logs nothing, and never
    fails: a server whose database is not ready yet starts as before. Returns how many requests
    were served."""
    settings = settings_of(app)
    if settings is None:
        return 0
    served = 0
    deadline = time.monotonic() + WARM_BUDGET_S
    logging.disable(logging.CRITICAL)  # no request or error log lines from the warm-up
    try:
        client = app.test_client()
        index = client.get("/fi/")
        served += 1
        paths = warm_paths(index.get_data(as_text=True)) if index.status_code == 200 else []
        for _ in range(WARM_ROUNDS):
            for path in paths:
                if time.monotonic() > deadline:
                    return served
                client.get(path)
                served += 1
        _connect_and_disconnect(app, settings, deadline)
    except Exception:  # noqa: BLE001, S110 - the warm-up is an optimisation, never a failure
        pass
    finally:
        logging.disable(logging.NOTSET)
        db.engine_for(settings).dispose()
        disconnect_redis(app)
    return served


def _connect_and_disconnect(app: Flask, settings: Settings, deadline: float) -> None:
    """Open, use and close a database connection and a Redis connection a few times, as a
    worker does on its first request: the code that connects runs once per process otherwise,
    and its first runs write to the master's pages in every worker (CPython 3.11 counts a code
    object's first calls in the object itself). The Redis client stays, without connections
    (redis-py opens new ones in a forked process), so the workers do not each build one."""
    engine = db.engine_for(settings)
    with app.app_context():
        client = get_redis()
        for _ in range(WARM_ROUNDS):
            if time.monotonic() > deadline:
                return
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            client.ping()
            client.connection_pool.disconnect()
