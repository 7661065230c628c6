"""The API answers what /api/openapi.json says: schemathesis generates requests from the
document and checks every answer (no server error, status and body as documented)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from surveys.definitions import demo
from surveys.infra import db
from tests.conftest import VALID_ANSWERS, run_worker, submit
from webapp.openapi import document

REQUESTS: list[str] = []


@pytest.fixture
def api_app(settings, database_url, redis_url):
    """The app with the demo surveys and some answers, shared by every generated request."""
    from surveys.infra import queue
    from webapp import create_app

    with db.session_scope(database_url) as s:
        demo.seed(s)
    app = create_app(settings, {"TESTING": True})
    client = app.test_client()
    for region in ("17", "17", "17", "17", "17", "17", "19", "19"):
        submit(client, "asiakaskokemus-2026", "fi", {**VALID_ANSWERS, "region": region})
    run_worker(queue.connect(redis_url))
    return app


# The document the app serves (tests below check it is the one at /api/openapi.json).
schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_document(case, api_app):
    case.operation.schema.app = api_app  # in-process WSGI calls to the real app
    REQUESTS.append(case.operation.label)
    # Every check but "schema-valid data is accepted": `region` and `area` are each valid alone
    # but not together (400, documented), which OpenAPI parameters cannot express.
    case.call_and_validate(app=api_app, excluded_checks=[positive_data_acceptance])


def test_enough_requests_were_generated():
    """At least 500 generated requests over the operations above (this runs after them)."""
    assert len(REQUESTS) >= 500, len(REQUESTS)


def test_the_document_and_docs_page(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc == document()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/surveys/{slug}/results" in doc["paths"]
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "GET /api/v1/surveys/{slug}/results" in html and "<script" not in html


def test_errors_have_a_stable_shape(client):
    for url in ("/api/v1/surveys/no-such/results", "/api/v1/surveys?goal=13",
                "/api/v1/nothing-here"):
        body = client.get(url).get_json()
        assert set(body) == {"error", "detail"}, url
