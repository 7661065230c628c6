"""Blank survey forms are rendered once and reused with fresh tokens (webapp.respond)."""

from __future__ import annotations

from sqlalchemy import select

from surveys import db
from surveys.models import Survey
from tests.conftest import VALID_ANSWERS, form_tokens
from webapp import respond


def test_each_blank_form_has_its_own_tokens_and_both_can_be_sent(client, demo_survey):
    respond._BLANK_FORMS.clear()
    first = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert len(respond._BLANK_FORMS) == 1
    other = client.application.test_client()
    second = other.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    t1, t2 = form_tokens(first), form_tokens(second)
    assert t1["submission_token"] != t2["submission_token"]
    assert t1["csrf_token"] != t2["csrf_token"]
    # Identical pages but for the tokens.
    assert first.replace(t1["csrf_token"], "C").replace(t1["submission_token"], "S") == \
        second.replace(t2["csrf_token"], "C").replace(t2["submission_token"], "S")
    assert "\x00" not in second
    for http, tokens in ((client, t1), (other, t2)):
        resp = http.post(f"/fi/s/{demo_survey}", data={**tokens, **VALID_ANSWERS})
        assert resp.status_code == 303


def test_forms_with_errors_are_rendered_not_cached(client, demo_survey):
    respond._BLANK_FORMS.clear()
    tokens = form_tokens(client.get(f"/fi/s/{demo_survey}").get_data(as_text=True))
    resp = client.post(f"/fi/s/{demo_survey}",
                       data={**tokens, **VALID_ANSWERS, "comment": "Oma teksti", "age": "abc"})
    assert resp.status_code == 400
    assert "Oma teksti" in resp.get_data(as_text=True)
    assert len(respond._BLANK_FORMS) == 1
    assert "Oma teksti" not in client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)


def test_a_changed_definition_is_rendered_anew(client, demo_survey):
    respond._BLANK_FORMS.clear()
    assert "Uusi otsikko" not in client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    with db.session_scope() as s:
        survey = s.scalar(select(Survey).where(Survey.slug == demo_survey))
        survey.definition = {**survey.definition,
                             "title": {**survey.definition["title"], "fi": "Uusi otsikko"}}
    page = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert "Uusi otsikko" in page
    # Another language is another page.
    assert "Uusi otsikko" not in client.get(f"/sv/s/{demo_survey}").get_data(as_text=True)
