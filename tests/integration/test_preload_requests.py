"""webapp.preload.warm_requests: the gunicorn master serves a few public pages to itself before
it forks (so the workers share what a first request initialises), then closes every connection
those pages opened: connections must never cross a fork."""

from __future__ import annotations

from surveys.infra import db
from tests.conftest import lines
from webapp.factory import create_app
from webapp.preload import WARM_SURVEYS, warm_paths, warm_requests


def test_warm_paths_are_the_index_and_the_first_listed_surveys_pages():
    html = "".join(f'<a href="/fi/s/survey-{i}">' for i in range(5)) + '<a href="/fi/s/survey-0">'
    paths = warm_paths(html)
    assert "/fi/" in paths
    assert "/fi/s/survey-0" in paths and "/api/v1/surveys/survey-0/results" in paths
    assert f"/fi/results/survey-{WARM_SURVEYS - 1}" in paths
    assert f"/fi/s/survey-{WARM_SURVEYS}" not in paths  # bounded
    assert len(paths) == len(set(paths))


def test_warm_requests_serve_pages_then_close_every_connection(app, demo_survey, settings,
                                                               log_stream):
    engine = db.engine_for(settings)
    engine.dispose()
    served = warm_requests(app)
    # Served the listed pages, and they ran queries (SQLAlchemy compiled them in this process).
    assert served > len(warm_paths(f'href="/fi/s/{demo_survey}"'))
    assert len(engine._compiled_cache) > 0
    # Nothing is left connected for the workers to inherit, and nothing was logged.
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 0
    # The Redis client stays for the workers to use, without a connection (redis-py opens new
    # ones in a forked process).
    pool = app.extensions["palaute_redis"].connection_pool
    assert all(c._sock is None for c in [*pool._available_connections, *pool._in_use_connections])
    assert lines(log_stream) == []


def test_warm_requests_never_stop_a_server_whose_database_is_not_ready(settings, tmp_path,
                                                                       log_stream):
    empty = settings.with_overrides(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(empty)
    assert warm_requests(app) == 1  # the index failed (no tables): nothing more is tried
    assert db.engine_for(empty).pool.checkedin() == 0
    assert lines(log_stream) == []
