"""The two hidden fields of a survey form, kept without a server-side session.

- `submission_token`: a random value signed with a timestamp (itsdangerous). Its hash becomes the
  response's receipt in the same transaction, so a form can be sent once: a replay or a double
  click is recognised and not stored again (surveys.collect.store.store_response). The signature
  also covers the survey's slug and this browser's cookie nonce, which the token does not carry:
  a token is refused on another survey and in another browser. The receipt is the hash of the
  random value alone, so it can't be recomputed from a survey or a cookie, and says nothing of
  which browser sent it.
- `csrf_token`: the site's one CSRF mechanism (webapp.csrf): an HMAC of a random nonce that
  the browser keeps in the `palaute_form` cookie.

Why not Flask-WTF's CSRF, as before: it binds the token to a signed Flask session cookie, so every
new respondent cost a session cookie written on the GET and read on the POST, plus two
timestamp signatures. That was about a fifth of a respondent's CPU (docs/performance.md), for
an anonymous form that has no other use for a session. The nonce is stored nowhere on the server
and never logged: it identifies no one.
"""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature
from wtforms import Form, HiddenField

from ..csrf import COOKIE, CookieBoundCSRF, browser_nonce, keys, token_for

__all__ = ["COOKIE", "SubmitForm", "browser_nonce", "csrf_token_for", "new_submission_token",
           "submit_form", "valid_submission_token"]

# A form may be sent up to this long after it was shown.
TOKEN_MAX_AGE_S = 2 * 24 * 3600
csrf_token_for = token_for


def _bound_to(slug: str) -> str:
    """What a submission token is signed for besides its own value: the survey and this browser.
    A digest of fixed length, so that no (survey, nonce) pair can pass for the start of another's.
    """
    return hashlib.sha256(f"{slug}\x00{browser_nonce()}".encode()).hexdigest() + ":"


def new_submission_token(slug: str) -> str:
    """`value.timestamp.signature` for survey `slug` in this browser: the signature covers the
    survey and the browser's nonce, the token carries neither."""
    bound = _bound_to(slug)
    return keys()[1].sign(bound + secrets.token_urlsafe(18)).decode()[len(bound):]


def valid_submission_token(raw: str | None, slug: str) -> str | None:
    """The one-time value inside a submission token, or None if forged, broken, too old, made
    for another survey or for another browser's form cookie."""
    bound = _bound_to(slug)
    try:
        value = keys()[1].unsign(bound + (raw or ""), max_age=TOKEN_MAX_AGE_S).decode()
    except (BadSignature, UnicodeError, ValueError):
        return None
    return value[len(bound):]


class SubmitForm(Form):
    """Only the two tokens: questions are rendered from the survey definition and checked by the
    domain (surveys.collect.answers)."""

    submission_token = HiddenField()

    class Meta:
        csrf = True
        csrf_class = CookieBoundCSRF


def submit_form(formdata=None) -> SubmitForm:
    return SubmitForm(formdata, meta={"csrf_context": browser_nonce()})
