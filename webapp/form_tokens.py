"""The two hidden fields of a survey form, kept without a server-side session.

- `submission_token`: a random value signed with a timestamp (itsdangerous). Its hash becomes the
  response's receipt in the same transaction, so a form can be sent once: a replay or a double
  click is recognised and not stored again (surveys.service.store_response).
- `csrf_token`: an HMAC of a random nonce that the browser keeps in the `palaute_form` cookie
  (HttpOnly, SameSite=Lax, no expiry date): the "signed double-submit cookie" of OWASP's CSRF
  cheat sheet, as a WTForms CSRF implementation. Another site can neither read the nonce nor
  make the browser send it with a cross-site POST.

Why not Flask-WTF's CSRF, as before: it binds the token to a signed Flask session cookie, so every
new respondent cost a session cookie written on the GET and read on the POST, plus two
timestamp signatures. That was about a fifth of a respondent's CPU (docs/performance.md), for
an anonymous form that has no other use for a session. The nonce is stored nowhere on the server
and never logged: it identifies no one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, TimestampSigner
from wtforms import Form, HiddenField
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

COOKIE = "palaute_form"
# A form may be sent up to this long after it was shown.
TOKEN_MAX_AGE_S = 2 * 24 * 3600
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def _keys() -> tuple[bytes, TimestampSigner]:
    kept = current_app.extensions.get("palaute_form_keys")
    if kept is None:
        secret = current_app.secret_key
        assert secret, "SECRET_KEY is required"
        secret_bytes = secret.encode() if isinstance(secret, str) else secret
        # Separate keys per purpose, derived from SECRET_KEY.
        csrf_key = hmac.new(secret_bytes, b"palaute-csrf", hashlib.sha256).digest()
        kept = (csrf_key, TimestampSigner(secret_bytes, salt="palaute-submission"))
        current_app.extensions["palaute_form_keys"] = kept
    return kept


def browser_nonce() -> str:
    """The nonce in this browser's form cookie; a new one (set on the response) if it has none."""
    nonce = request.cookies.get(COOKIE, "")
    if _NONCE_RE.fullmatch(nonce):
        return nonce
    nonce = secrets.token_urlsafe(24)

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(COOKIE, nonce, httponly=True, samesite="Lax", path="/",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
        return response

    return nonce


def csrf_token_for(nonce: str) -> str:
    return hmac.new(_keys()[0], nonce.encode(), hashlib.sha256).hexdigest()


def new_submission_token() -> str:
    return _keys()[1].sign(secrets.token_urlsafe(18)).decode()


def valid_submission_token(raw: str | None) -> str | None:
    """The one-time value inside a submission token, or None if forged, broken or too old."""
    try:
        return _keys()[1].unsign(raw or "", max_age=TOKEN_MAX_AGE_S).decode()
    except (BadSignature, UnicodeError, ValueError):
        return None


class CookieBoundCSRF(CSRF):
    """WTForms CSRF: the token is valid for the browser holding the nonce it was made from."""

    def setup_form(self, form):
        self.nonce = form.meta.csrf_context
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field) -> str:
        return csrf_token_for(self.nonce)

    def validate_csrf_token(self, form, field) -> None:
        sent = str(field.data or "").encode("utf-8", "replace")
        if not hmac.compare_digest(sent, (field.current_token or "-").encode()):
            raise ValidationError("The form has expired.")


class SubmitForm(Form):
    """Only the two tokens: questions are rendered from the survey definition and checked by the
    domain (surveys.answers)."""

    submission_token = HiddenField()

    class Meta:
        csrf = True
        csrf_class = CookieBoundCSRF


def submit_form(formdata=None) -> SubmitForm:
    return SubmitForm(formdata, meta={"csrf_context": browser_nonce()})
