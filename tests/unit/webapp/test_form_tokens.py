"""Submission tokens on their own: bound to the survey and the browser's form cookie nonce,
without carrying either (a bare Flask app, no database)."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from webapp.respond import form_tokens
from webapp.respond.form_tokens import COOKIE

NONCE_A, NONCE_B = "a" * 32, "b" * 32


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "unit-test-secret"
    return app


def in_browser(app: Flask, nonce: str | None):
    headers = {"Cookie": f"{COOKIE}={nonce}"} if nonce else {}
    return app.test_request_context("/fi/s/x", method="POST", headers=headers)


def make(app: Flask, slug: str, nonce: str) -> str:
    with in_browser(app, nonce):
        return form_tokens.new_submission_token(slug)


def check(app: Flask, raw: str, slug: str, nonce: str | None) -> str | None:
    with in_browser(app, nonce):
        return form_tokens.valid_submission_token(raw, slug)


def test_valid_for_its_survey_and_browser_only(app):
    token = make(app, "survey-a", NONCE_A)
    value = check(app, token, "survey-a", NONCE_A)
    assert value and value == token.split(".")[0]
    assert check(app, token, "survey-b", NONCE_A) is None
    assert check(app, token, "survey-a", NONCE_B) is None
    assert check(app, token, "survey-a", None) is None  # no cookie: a new nonce


def test_carries_neither_the_survey_nor_the_nonce(app):
    token = make(app, "survey-a", NONCE_A)
    assert "survey-a" not in token and NONCE_A not in token
    value, _timestamp, _signature = token.split(".")
    assert len(value) == 24  # token_urlsafe(18): the random part, and nothing else
    assert make(app, "survey-a", NONCE_A).split(".")[0] != value


def test_no_survey_and_nonce_pair_passes_for_another(app):
    """The pair is signed as a fixed-length digest: moving characters between the slug and the
    nonce, or into the token, does not make another pair's token valid."""
    token = make(app, "survey-a", NONCE_A)
    assert check(app, token, "survey-", "a" + NONCE_A) is None
    assert check(app, NONCE_A[-1] + token, "survey-a", NONCE_A[:-1] + "x") is None


# A character inside the signature, not its last one: the last base64 character of a 32-byte
# signature carries padding bits, so some changes there decode to the same bytes.
@pytest.mark.parametrize("tamper", [
    # (Another first character than the token's: a random token starting with "x" once in 64
    # would otherwise come back unchanged.)
    lambda t: ("y" if t[0] == "x" else "x") + t[1:],
    lambda t: t[:-10] + ("A" if t[-10] != "A" else "B") + t[-9:],
    lambda t: t + ".",
    lambda t: "",
    lambda t: t.split(".", 1)[1],
])
def test_forged_or_broken_tokens(app, tamper):
    assert check(app, tamper(make(app, "s", NONCE_A)), "s", NONCE_A) is None


def test_too_old(app, monkeypatch):
    token = make(app, "s", NONCE_A)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + form_tokens.TOKEN_MAX_AGE_S + 5)
    assert check(app, token, "s", NONCE_A) is None


def test_one_nonce_per_request_when_the_cookie_is_missing(app):
    """The CSRF token and the submission token of one page are made from the same new nonce,
    and the browser gets one cookie."""
    with in_browser(app, None):
        form = form_tokens.submit_form()
        token = form_tokens.new_submission_token("s")
        nonce = form_tokens.browser_nonce()
        assert form.meta.csrf_context == nonce
        response = app.process_response(app.response_class("page"))
    assert response.headers.getlist("Set-Cookie") == [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}={nonce};")]
    assert len(response.headers.getlist("Set-Cookie")) == 1
    assert check(app, token, "s", nonce)
