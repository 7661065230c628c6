"""The JSON API and the health check."""

from __future__ import annotations

from tests.conftest import submit
from workers import jobs


def test_results_contract(client, demo_survey):
    for _ in range(5):
        submit(client, demo_survey)
    jobs.fold_pending()
    data = client.get(f"/api/v1/surveys/{demo_survey}/results?region=17").get_json()
    assert set(data) >= {"survey", "scope", "respondents", "suppressed", "questions"}
    assert data["survey"] == demo_survey
    assert data["scope"]["code"] == "17" and data["scope"]["level"] == "region"
    q = data["questions"]["got_help"]
    assert set(q) >= {"type", "n", "counts", "mean", "nps"}
    assert q["type"] == "likert5" and q["n"] == 5 and q["counts"]["4"] == 5 and q["mean"] == 4.0
    assert q["nps"] is None


def test_bad_scope_and_unknown_survey(client, demo_survey):
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=99").status_code == 400
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?area=mars").status_code == 400
    resp = client.get("/api/v1/surveys/nope/results")
    assert resp.status_code == 404 and resp.is_json


def test_healthz(client, app):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"db": "ok", "redis": "ok"}


def test_healthz_names_what_is_down(database_url):
    from webapp import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["db"] == "ok" and body["redis"].startswith("down")
