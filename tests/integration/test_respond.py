"""Answering a survey through the Flask test client."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, inspect, select

from surveys.fold import aggregation
from surveys.models import Aggregate, PendingResponse, Response, SubmissionReceipt
from tests.conftest import VALID_ANSWERS, form_tokens, run_worker, submit
from webapp.extensions import set_clock


def count(session, model) -> int:
    session.expire_all()
    if model is Response:  # stored: moved into `responses` or held for the fold
        return aggregation.stored_count(session)
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("lang", ["fi", "sv", "se"])
def test_answer_in_each_language(client, demo_survey, session, lang):
    page = client.get(f"/{lang}/s/{demo_survey}")
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.get_data(as_text=True)
    resp = submit(client, demo_survey, lang)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/{lang}/s/{demo_survey}/thanks")
    assert client.get(resp.headers["Location"]).status_code == 200
    stored = session.scalars(select(PendingResponse)).one()  # held until the fold moves it
    assert stored.lang == lang
    assert stored.region_code == "17"
    assert stored.answers["channels"] == ["phone", "online"]
    assert stored.answers["recommend"] == 9
    assert aggregation.pending_count(session) == 1


def test_a_response_counts_on_the_finnish_day(app, client, demo_survey, session, redis_conn):
    """An answer given at 00:30 on 1 January in Finland (22:30 UTC on New Year's Eve) is
    stored on 1 January and counts in January's figures, whatever the server's zone
    (surveys.infra.clock)."""
    set_clock(app, lambda: datetime(2026, 12, 31, 22, 30, tzinfo=UTC))
    try:
        assert submit(client, demo_survey).status_code == 303
    finally:
        set_clock(app, None)
    assert session.scalars(select(PendingResponse.submitted_on)).all() == [date(2027, 1, 1)]
    run_worker(redis_conn)
    assert set(session.scalars(select(Aggregate.month))) == {"2027-01"}


def test_response_row_has_nothing_identifying():
    columns = {c.key for c in inspect(Response).columns}
    # unit_id: a staff survey's unit (never its invitation: test_staff_invitations.py)
    assert columns == {"id", "survey_id", "region_code", "lang", "submitted_on", "answers",
                       "unit_id"}
    assert str(inspect(Response).columns["submitted_on"].type) == "DATE"
    held = {c.key for c in inspect(PendingResponse).columns}
    assert held == columns | {"folded"}
    assert str(inspect(PendingResponse).columns["submitted_on"].type) == "DATE"


def test_invalid_answers_rerender_with_errors_and_store_nothing(client, demo_survey, session):
    answers = {**VALID_ANSWERS, "recommend": "11", "age": "abc", "region": ""}
    answers.pop("service")
    resp = submit(client, demo_survey, "sv", answers)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert html.count('class="error"') == 4
    # The answers typed are kept.
    assert "Hyvää palvelua." in html
    assert count(session, Response) == 0
    assert aggregation.pending_count(session) == 0


def test_unknown_survey_language_and_field(client, demo_survey, session):
    assert client.get("/fi/s/no-such-survey").status_code == 404
    assert client.get(f"/de/s/{demo_survey}").status_code == 404
    # The demo survey is not offered in Inari Sámi.
    assert client.get(f"/smn/s/{demo_survey}").status_code == 404
    resp = submit(client, demo_survey, "fi", {**VALID_ANSWERS, "hacker": "1"})
    assert resp.status_code == 400
    assert count(session, Response) == 0


def test_replayed_post_is_stored_once(client, demo_survey, session):
    page = client.get(f"/fi/s/{demo_survey}")
    data = {**form_tokens(page.get_data(as_text=True)), **VALID_ANSWERS}
    first = client.post(f"/fi/s/{demo_survey}", data=data)
    second = client.post(f"/fi/s/{demo_survey}", data=data)
    assert first.status_code == second.status_code == 303
    assert count(session, Response) == 1
    assert count(session, SubmissionReceipt) == 1


def test_missing_csrf_token_keeps_answers(client, demo_survey, session):
    page = client.get(f"/fi/s/{demo_survey}")
    tokens = form_tokens(page.get_data(as_text=True))
    resp = client.post(f"/fi/s/{demo_survey}",
                       data={**VALID_ANSWERS, "submission_token": tokens["submission_token"]})
    assert resp.status_code == 400
    assert "Hyvää palvelua." in resp.get_data(as_text=True)
    assert count(session, Response) == 0


def test_forged_submission_token_is_refused(client, demo_survey, session):
    page = client.get(f"/fi/s/{demo_survey}")
    tokens = form_tokens(page.get_data(as_text=True))
    resp = client.post(f"/fi/s/{demo_survey}",
                       data={**VALID_ANSWERS, **tokens, "submission_token": "made-up"})
    assert resp.status_code == 400
    assert count(session, Response) == 0


def test_bare_link_redirects_by_accept_language(client, demo_survey):
    resp = client.get(f"/s/{demo_survey}", headers={"Accept-Language": "sv-FI,sv;q=0.9"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/sv/s/{demo_survey}")
    resp = client.get("/", headers={"Accept-Language": "de"})
    assert resp.headers["Location"].endswith("/fi/")


def test_form_is_accessible_markup(client, demo_survey):
    html = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert html.count("<fieldset") == 4  # nps, single, likert5, multi
    assert html.count("<legend>") == 4
    assert 'for="q-region"' in html and 'for="q-age"' in html and 'for="q-comment"' in html
    assert 'href="#main"' in html
    assert 'hreflang="sv"' in html
