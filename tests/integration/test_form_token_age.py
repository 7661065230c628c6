"""No time limit a slow respondent would meet: a form's tokens last TOKEN_MAX_AGE_S (two days).
A form sent just before the limit is stored; just after, it is shown again with the answers kept
and fresh tokens, and sending that is stored. The signer's clock is set, nobody sleeps."""

from __future__ import annotations

import re

import pytest

from surveys.fold import aggregation
from tests.conftest import VALID_ANSWERS, form_tokens
from webapp.respond import form_tokens as tokens_module
from webapp.respond.form_tokens import TOKEN_MAX_AGE_S


@pytest.fixture
def clock(app, monkeypatch):
    """The submission tokens' clock (itsdangerous' TimestampSigner.get_timestamp), settable."""
    with app.app_context():
        signer = tokens_module.keys()[1]
    now = [1_800_000_000]
    monkeypatch.setattr(signer, "get_timestamp", lambda: now[0])
    return now


def stored(session) -> int:
    """Responses stored: moved into `responses` or held until the fold moves them."""
    return aggregation.stored_count(session)


def test_the_limit_is_two_days():
    assert TOKEN_MAX_AGE_S == 2 * 24 * 3600


def test_a_form_sent_just_before_the_limit_is_stored(client, demo_survey, clock, session):
    shown = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    clock[0] += TOKEN_MAX_AGE_S
    resp = client.post(f"/fi/s/{demo_survey}", data={**form_tokens(shown), **VALID_ANSWERS})
    assert resp.status_code == 303
    assert stored(session) == 1


def test_a_form_sent_just_after_the_limit_keeps_the_answers(client, demo_survey, clock,
                                                            session):
    shown = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    clock[0] += TOKEN_MAX_AGE_S + 1
    resp = client.post(f"/fi/s/{demo_survey}", data={**form_tokens(shown), **VALID_ANSWERS})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Lomake oli vanhentunut" in html
    assert stored(session) == 0
    # The answers are in the form again ...
    assert re.search(r'name="recommend" value="9" checked', html)
    assert ">Hyvää palvelua.</textarea>" in html
    assert 'name="age" value="42"' in html
    # ... with fresh tokens: sending it again is stored.
    again = client.post(f"/fi/s/{demo_survey}", data={**form_tokens(html), **VALID_ANSWERS})
    assert again.status_code == 303
    assert stored(session) == 1
