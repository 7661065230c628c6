"""Public results are cached per survey, scope and published figures: ETag, Cache-Control,
304 for a matching If-None-Match, and a new answer as soon as the worker folds new responses
(live) or a new release is cut; never on admin pages, never with a cookie."""

from __future__ import annotations

from datetime import datetime

from surveys.definitions import lookup
from surveys.infra import db
from surveys.report import releases
from tests.conftest import VALID_ANSWERS, run_worker, submit
from webapp.results_cache import CACHE_CONTROL

API = "/api/v1/surveys/{}/results?region=17"


def _answer(client, slug, n, redis_conn):
    for _ in range(n):
        assert submit(client, slug).status_code == 303
    run_worker(redis_conn)


def test_etag_cache_control_and_304(client, demo_survey, redis_conn):
    _answer(client, demo_survey, 5, redis_conn)
    for url in (API.format(demo_survey), f"/fi/results/{demo_survey}?region=17",
                f"/fi/results/{demo_survey}/export.xlsx"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == CACHE_CONTROL, url
        etag = resp.headers["ETag"]
        assert "Set-Cookie" not in resp.headers, url  # a shared cache must not replay a cookie
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["ETag"] == etag, url
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # Another scope, language or query is another entry.
    assert (client.get(API.format(demo_survey)).headers["ETag"]
            != client.get(f"/api/v1/surveys/{demo_survey}/results").headers["ETag"])


def test_folding_new_responses_invalidates_it(client, demo_survey, redis_conn):
    _answer(client, demo_survey, 5, redis_conn)
    first = client.get(API.format(demo_survey))
    assert first.get_json()["respondents"] == 5
    _answer(client, demo_survey, 2, redis_conn)
    second = client.get(API.format(demo_survey), headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.get_json()["respondents"] == 7
    assert second.headers["ETag"] != first.headers["ETag"]


def test_a_new_release_invalidates_it(app, client, demo_survey, redis_conn, database_url):
    from webapp import create_app

    _answer(client, demo_survey, 5, redis_conn)
    released = create_app(app.extensions["palaute_settings"].with_overrides(
        results_release="daily"), {"TESTING": True}).test_client()
    before = released.get(API.format(demo_survey))
    assert before.get_json()["release"] is None and before.get_json()["suppressed"]
    with db.session_scope(database_url) as s:
        releases.cut(s, lookup.visible(s, demo_survey), datetime(2026, 12, 1, 6))
    after = released.get(API.format(demo_survey),
                         headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["respondents"] == 5
    assert after.headers["ETag"] != before.headers["ETag"]


def test_admin_pages_and_errors_are_not_cached(client, demo_survey):
    admin = client.get("/fi/admin/surveys")
    assert admin.headers["Cache-Control"] == "no-store"
    bad = client.get(f"/api/v1/surveys/{demo_survey}/results?region=99")
    assert bad.status_code == 400 and "ETag" not in bad.headers
    assert "public" not in bad.headers.get("Cache-Control", "")


def test_the_answer_does_not_leak_between_surveys(client, demo_survey, redis_conn):
    _answer(client, demo_survey, 5, redis_conn)
    a = client.get(f"/api/v1/surveys/{demo_survey}/results").get_json()
    b = client.get("/api/v1/surveys/osterbotten-halsostation-2026/results").get_json()
    assert a["survey"] == demo_survey and b["survey"] == "osterbotten-halsostation-2026"
    assert VALID_ANSWERS["region"] == "17"


def test_a_view_keeps_one_answer_however_often_its_figures_change(client, demo_survey,
                                                                   redis_conn):
    """A newer answer replaces the view's older one (never served again), so a results API
    polled while the worker folds keeps one copy, not one per fold."""
    from webapp.results_cache import kept

    kept.clear()
    seen = set()
    for _ in range(3):
        _answer(client, demo_survey, 5, redis_conn)
        resp = client.get(API.format(demo_survey))
        seen.add(resp.headers["ETag"])
        assert len(kept) == 1
        assert kept.bytes == len(resp.get_data())
    assert len(seen) == 3  # three versions of the figures, each answered afresh
