"""The one CSRF mechanism of the site: a token bound to a random nonce in the browser's
`palaute_form` cookie (`__Host-palaute_form` over HTTPS; HttpOnly, SameSite=Lax, no expiry date;
on a survey other sites may frame, SameSite=None and Partitioned:
webapp.security.form_cookie_options), the "signed double-submit
cookie" of OWASP's CSRF cheat sheet. The token is an HMAC (a key derived from SECRET_KEY) of the
nonce and a context: the respondent's survey form uses the nonce alone
(webapp.respond.form_tokens, as a WTForms CSRF implementation); the admin side adds the signed-in
session, so a token is worth nothing in another browser or another session, and checks it on
every state-changing request before any view runs (webapp.admin.auth).

Another site can neither read the nonce nor make the browser send it with a cross-site POST.
No server-side state: the nonce is stored nowhere and never logged; it identifies no one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import after_this_request, current_app, g, request
from itsdangerous import TimestampSigner
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from .security import cookie_name, form_cookie_options

COOKIE = "palaute_form"
FIELD = "csrf_token"
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def keys() -> tuple[bytes, TimestampSigner]:
    """(the CSRF key, the signer of one-time form tokens), derived from SECRET_KEY."""
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
    """The nonce in this browser's form cookie; a new one (set on the response) if it has none.
    The same for the whole request: the CSRF and the submission token are made from one."""
    kept = g.get("palaute_form_nonce")
    if kept:
        return kept
    name = cookie_name(COOKIE)
    nonce = request.cookies.get(name, "")
    if _NONCE_RE.fullmatch(nonce):
        g.palaute_form_nonce = nonce
        return nonce
    nonce = g.palaute_form_nonce = secrets.token_urlsafe(24)

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(name, nonce, httponly=True, path="/", **form_cookie_options())
        return response

    return nonce


def token_for(context: str) -> str:
    return hmac.new(keys()[0], context.encode(), hashlib.sha256).hexdigest()


def valid(sent: str | None, context: str) -> bool:
    return hmac.compare_digest(str(sent or "").encode("utf-8", "replace"),
                               token_for(context).encode())


class CookieBoundCSRF(CSRF):
    """WTForms CSRF: the token is valid for the browser holding the nonce (the form's
    `csrf_context`) it was made from."""

    def setup_form(self, form):
        self.context = form.meta.csrf_context
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field) -> str:
        return token_for(self.context)

    def validate_csrf_token(self, form, field) -> None:
        sent = str(field.data or "").encode("utf-8", "replace")
        if not hmac.compare_digest(sent, (field.current_token or "-").encode()):
            raise ValidationError("The form has expired.")
