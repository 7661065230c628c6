"""Blank survey forms are rendered once and reused with fresh tokens (webapp.respond.form_cache),
and nothing of one visitor's query string reaches the page another visitor is shown."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from surveys.infra import db
from surveys.models import Survey
from tests.conftest import SETTINGS, VALID_ANSWERS, form_tokens
from webapp.respond.form_cache import blank_forms


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_each_blank_form_has_its_own_tokens_and_both_can_be_sent(client, demo_survey):
    first = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert len(blank_forms) == 1
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
    tokens = form_tokens(client.get(f"/fi/s/{demo_survey}").get_data(as_text=True))
    resp = client.post(f"/fi/s/{demo_survey}",
                       data={**tokens, **VALID_ANSWERS, "comment": "Oma teksti", "age": "abc"})
    assert resp.status_code == 400
    assert "Oma teksti" in resp.get_data(as_text=True)
    assert len(blank_forms) == 1
    assert "Oma teksti" not in client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)


def test_a_changed_definition_is_rendered_anew(client, demo_survey):
    assert "Uusi otsikko" not in client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    with db.session_scope(SETTINGS.database_url) as s:
        survey = s.scalar(select(Survey).where(Survey.slug == demo_survey))
        survey.definition = {**survey.definition,
                             "title": {**survey.definition["title"], "fi": "Uusi otsikko"}}
    page = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert "Uusi otsikko" in page
    # Another language is another page.
    assert "Uusi otsikko" not in client.get(f"/sv/s/{demo_survey}").get_data(as_text=True)


def test_one_visitors_query_string_never_reaches_the_next_visitors_links(app, demo_survey):
    """A first request with ?utm=POISON used to decide the language links every later visitor
    of the cached blank form saw."""
    first = app.test_client().get(f"/fi/s/{demo_survey}?utm=POISON&x=1")
    assert first.status_code == 200
    assert "POISON" not in first.get_data(as_text=True)
    for _ in range(5):
        later = app.test_client().get(f"/fi/s/{demo_survey}").get_data(as_text=True)
        assert "POISON" not in later and "utm=" not in later
        assert not any("?" in link for link in links(later) if "/s/" in link)


@pytest.mark.parametrize("query", ["_anchor=evil", "_scheme=javascript", "_external=1",
                                   "endpoint=x", "_method=POST", "lang=xx", "slug=other"])
def test_url_for_arguments_in_the_query_string_change_nothing(client, demo_survey, query):
    """url_for's own keywords used to be taken from the query string: `_anchor`, `_scheme`
    and `_external` rewrote the links, `endpoint` and `_method` answered 500."""
    clean = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    resp = client.get(f"/fi/s/{demo_survey}?{query}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert links(page) == links(clean)
    assert "evil" not in page and "javascript" not in page


def test_the_results_page_keeps_its_county_in_the_language_links(client, demo_survey):
    page = client.get(f"/fi/results/{demo_survey}?region=17&_anchor=x&utm=y")
    assert page.status_code == 200
    switch = [link for link in links(page.get_data(as_text=True))
              if link.startswith(f"/sv/results/{demo_survey}")]
    assert switch and all(link.endswith("?region=17") for link in switch), switch


def test_the_kept_county_is_part_of_the_cache_key(app, demo_survey):
    with_region = app.test_client().get(f"/fi/s/{demo_survey}?region=19").get_data(as_text=True)
    assert "region=19" in with_region
    plain = app.test_client().get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert "region=19" not in plain
