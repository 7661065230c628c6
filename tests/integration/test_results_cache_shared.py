"""The web workers share finished results answers through Redis (webapp.results_cache._Shared):
an answer one process computed for a view and version is served by the others without
computing it again, never for another version, bounded in views and bytes, and without Redis
each process simply computes for itself."""

from __future__ import annotations

import pytest

from tests.conftest import run_worker, submit
from webapp import results as results_views
from webapp import results_cache
from webapp.results_cache import SHARED_MAX_BYTES, SHARED_PREFIX, SHARED_TTL_S, SHARED_VIEWS

PAGE = "/fi/results/{}?region=17"
API = "/api/v1/surveys/{}/results?region=17"


def _answer(client, slug, n, redis_conn):
    for _ in range(n):
        assert submit(client, slug).status_code == 303
    run_worker(redis_conn)


@pytest.fixture
def computed(monkeypatch):
    """How many times the results page was computed (not served from a cache)."""
    calls = []
    real = results_views._page

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(results_views, "_page", counting)
    return calls


def test_an_answer_one_process_computed_is_served_to_another_from_redis(
        client, demo_survey, redis_conn, computed, count_queries):
    _answer(client, demo_survey, 5, redis_conn)
    first = client.get(PAGE.format(demo_survey))
    assert first.status_code == 200 and len(computed) == 1
    # Another process: nothing kept locally, the same Redis.
    results_cache.kept.clear()
    with count_queries() as statements:
        second = client.get(PAGE.format(demo_survey))
    assert len(computed) == 1
    assert len(statements) <= 2, statements  # the figures' version, perhaps the snapshot
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    # Without the shared answer it is computed again.
    results_cache.forget(redis_conn)
    assert client.get(PAGE.format(demo_survey)).status_code == 200
    assert len(computed) == 2


def test_a_new_version_is_computed_not_taken_from_the_shared_answers(client, demo_survey,
                                                                     redis_conn):
    _answer(client, demo_survey, 5, redis_conn)
    assert client.get(API.format(demo_survey)).get_json()["respondents"] == 5
    _answer(client, demo_survey, 2, redis_conn)
    results_cache.kept.clear()
    assert client.get(API.format(demo_survey)).get_json()["respondents"] == 7


def test_a_damaged_shared_answer_is_ignored(client, demo_survey, redis_conn, computed):
    _answer(client, demo_survey, 5, redis_conn)
    assert client.get(PAGE.format(demo_survey)).status_code == 200
    for key in redis_conn.scan_iter(match=SHARED_PREFIX + "*"):
        for view in redis_conn.hkeys(key):
            redis_conn.hset(key, view, b"not an answer")
    results_cache.kept.clear()
    again = client.get(PAGE.format(demo_survey))
    assert again.status_code == 200 and b"<!doctype html>" in again.get_data()
    assert len(computed) == 2


def test_without_redis_each_process_computes_for_itself(settings, client, demo_survey,
                                                        redis_conn, computed):
    from webapp import create_app

    _answer(client, demo_survey, 5, redis_conn)
    assert client.get(PAGE.format(demo_survey)).status_code == 200
    redis_conn.flushdb()
    results_cache.kept.clear()
    offline = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0"),
                         {"TESTING": True}).test_client()
    resp = offline.get(PAGE.format(demo_survey))
    assert resp.status_code == 200 and b"<!doctype html>" in resp.get_data()
    assert len(computed) == 2
    again = offline.get(PAGE.format(demo_survey))  # kept locally
    assert again.get_data() == resp.get_data() and len(computed) == 2


def test_shared_answers_are_bounded_in_views_and_bytes_and_expire(app, redis_conn):
    answer = (b"figures", 200, [("Content-Type", "application/json")])
    with app.test_request_context("/"):
        for i in range(SHARED_VIEWS + 5):
            results_cache.shared.put(f"view-{i}", "version-a", answer)
        results_cache.shared.put("large", "version-b", (b"x" * (SHARED_MAX_BYTES + 1), 200, []))
        assert results_cache.shared.get("view-0", "version-a") == answer
        assert results_cache.shared.get("view-0", "version-b") is None
        assert results_cache.shared.get(f"view-{SHARED_VIEWS}", "version-a") is None
    assert redis_conn.hlen(SHARED_PREFIX + "version-a") == SHARED_VIEWS
    assert not redis_conn.exists(SHARED_PREFIX + "version-b")
    assert 0 < redis_conn.ttl(SHARED_PREFIX + "version-a") <= SHARED_TTL_S


def test_a_survey_never_folded_is_not_shared(client, demo_survey, redis_conn, computed):
    """Its figures have no version of their own yet (no results stamp): another database in
    the same state would name them alike."""
    assert client.get(PAGE.format(demo_survey)).status_code == 200
    assert not list(redis_conn.scan_iter(match=SHARED_PREFIX + "*"))


def test_a_release_shares_under_its_id_and_time(app, demo_survey, redis_conn, database_url):
    from datetime import datetime

    from surveys.definitions import lookup
    from surveys.infra import db
    from surveys.report import releases
    from webapp import create_app

    client = app.test_client()
    _answer(client, demo_survey, 5, redis_conn)
    released = create_app(app.extensions["palaute_settings"].with_overrides(
        results_release="daily"), {"TESTING": True}).test_client()
    with db.session_scope(database_url) as s:
        releases.cut(s, lookup.visible(s, demo_survey), datetime(2026, 12, 1, 6))
    first = released.get(API.format(demo_survey))
    assert first.get_json()["respondents"] == 5
    assert len(list(redis_conn.scan_iter(match=SHARED_PREFIX + "*"))) == 1
    # A release with the same id but another time (a database made anew) is another version.
    with db.session_scope(database_url) as s:
        from sqlalchemy import update

        from surveys.models import ResultRelease

        s.execute(update(ResultRelease).values(released_at=datetime(2026, 12, 2, 6)))
    results_cache.kept.clear()
    again = released.get(API.format(demo_survey))
    assert again.headers["ETag"] != first.headers["ETag"]
    assert len(list(redis_conn.scan_iter(match=SHARED_PREFIX + "*"))) == 2
