"""Security headers on every response and limits on what a request may carry.

Every response (pages, JSON, static files, errors) gets:

- `Content-Security-Policy`: only this origin's styles, scripts and images, no inline script or
  style (no template has any: tests/unit/webapp/test_templates_csp.py), no plugins, no `<base>`,
  forms posted only here, and `frame-ancestors 'none'`: no other site may frame a page...
- ...except a survey's respondent pages (`respond` blueprint, the request's survey in `g.survey`),
  which that survey's `embed_origins` may frame (e.g. a county's website). They then get
  `frame-ancestors <origins>` and no `X-Frame-Options` (which can't name a list); every other
  response keeps `X-Frame-Options: DENY` for browsers without CSP.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`.
- `Strict-Transport-Security` when served over HTTPS (`SESSION_COOKIE_SECURE=1`, or the request
  came over HTTPS as gunicorn sees it: behind a trusted proxy, its `X-Forwarded-Proto`).
- The respondent's cookies (`lang`, `palaute_form`) are HttpOnly and SameSite=Lax; over HTTPS
  they are Secure and named with the `__Host-` prefix (`cookie_name`, `form_cookie_options`).
- `Cache-Control: no-store` on admin pages (`/admin/…` and `/<lang>/admin/…`, sign-in pages
  included): nothing of them is kept by a browser or a shared cache.

A view may set a header itself; it is then left as it is (except Cache-Control on admin pages).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, abort, current_app, g, request

from surveys.languages import LANGUAGES

_CSP_BASE = ("default-src 'self'; base-uri 'none'; object-src 'none'; img-src 'self' data:; "
             "form-action 'self'; frame-ancestors ")
CSP = _CSP_BASE + "'none'"
HSTS = "max-age=31536000; includeSubDomains"
# Added to every response that does not set them itself.
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"))
# Blueprints whose pages belong to one survey and may be framed by its embed_origins.
EMBEDDABLE_BLUEPRINTS = ("respond",)
# Admin pages, with or without a language prefix.
_LANG_PREFIX = "|".join(map(re.escape, LANGUAGES))
ADMIN_PATH = re.compile(rf"/(?:(?:{_LANG_PREFIX})/)?admin(?:/|$)")
# Survey answers are small; anything bigger is refused with 413 before it is parsed.
MAX_BODY_BYTES = 256 * 1024
MAX_FORM_PARTS = 500
# Bytes asked of the server per read while a body is taken in whole.
_READ_STEP = 64 * 1024

log = logging.getLogger("webapp")


def read_whole_body(max_bytes: int) -> None:
    """Take in the request's whole body before anything parses it: refuse one that ends before
    its Content-Length (400) or is longer than `max_bytes` in any transfer encoding (413).

    Werkzeug can't tell these apart from a complete body behind gunicorn: gunicorn sets
    `wsgi.input_terminated`, and Werkzeug then only caps the stream at MAX_CONTENT_LENGTH, treats
    an early end of the stream as the end of the body (no ClientDisconnected: pallets/werkzeug
    #2620) and stops a chunked body at the cap without an error. The form was then parsed from
    whatever had arrived: a survey form cut short was stored with its last answers missing.
    Nothing here consumes a one-time token, so the browser's resend of the whole form counts.
    """
    environ = request.environ
    length = request.content_length  # None for a chunked body (or none at all)
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not length and not (chunked and environ.get("wsgi.input_terminated")):
        # No body, or a stream the server does not end for us: Werkzeug reads none of it.
        return
    if length is not None and length > max_bytes:
        abort(413)
    wanted = max_bytes + 1 if length is None else length
    stream = environ["wsgi.input"]
    parts: list[bytes] = []
    got = 0
    try:
        while got < wanted:
            part = stream.read(min(wanted - got, _READ_STEP))
            if not part:
                break
            parts.append(part)
            got += len(part)
    except Exception as exc:  # noqa: BLE001 - the server's reader: a reset, a broken chunk
        log.info("request body unreadable: %s", type(exc).__name__, extra={"status": 400})
        abort(400)
    if got > max_bytes:
        log.info("request body over the limit", extra={"status": 413})
        abort(413)
    if length is not None and got < length:
        log.info("request body shorter than its Content-Length", extra={"status": 400})
        abort(400)
    # What Werkzeug parses from now on: exactly the body that arrived, all of it.
    environ["wsgi.input"] = io.BytesIO(b"".join(parts))


def is_https() -> bool:
    """Served over HTTPS: declared by SESSION_COOKIE_SECURE, or seen on this request."""
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def cookie_secure() -> bool:
    """Whether a cookie set now gets `Secure` (the respondent's `lang` and `palaute_form`)."""
    return is_https()


def cookie_name(name: str) -> str:
    """The name a respondent's cookie has now: `__Host-<name>` over HTTPS (the browser then
    takes it only with Secure, Path=/ and no Domain: no other host, nor plain HTTP, can set or
    overwrite it), the plain name in development over HTTP, where that prefix can't be used."""
    return f"__Host-{name}" if cookie_secure() else name


def form_cookie_options() -> dict[str, Any]:
    """`SameSite`, `Secure` and `Partitioned` of the form cookie (`palaute_form`, HttpOnly).

    `SameSite=Lax`, `Secure` over HTTPS. But a browser neither keeps nor sends a Lax cookie
    inside a frame on another site, so the form of a survey with `embed_origins` could never be
    sent from its frame (its CSRF token is bound to the cookie). On those surveys' pages, over
    HTTPS, the cookie is `SameSite=None; Secure; Partitioned` (CHIPS): kept per embedding site,
    so it can't follow the respondent elsewhere. CSRF protection does not rest on SameSite: the
    token is an HMAC of the cookie's random value, which another site can neither read nor set.
    """
    secure = cookie_secure()
    if secure and _embed_origins():
        return {"samesite": "None", "secure": True, "partitioned": True}
    return {"samesite": "Lax", "secure": secure}


def csp_for(frame_origins: Iterable[str] | None) -> str:
    origins = " ".join(frame_origins or ())
    return _CSP_BASE + (origins or "'none'")


def _embed_origins() -> tuple[str, ...]:
    survey = g.get("survey")
    if survey is None or request.blueprint not in EMBEDDABLE_BLUEPRINTS:
        return ()
    return tuple(survey.definition.get("embed_origins") or ())


def init_app(app: Flask) -> None:
    @app.before_request
    def _whole_body() -> None:
        # Before anything reads request.form (the next check does).
        read_whole_body(app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY_BYTES)

    @app.before_request
    def _limit_form_fields() -> None:
        # Werkzeug's MAX_FORM_PARTS counts multipart parts only; hold url-encoded forms to the
        # same limit (their size is already capped by MAX_CONTENT_LENGTH, so parsing is cheap).
        if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
            limit = app.config["MAX_FORM_PARTS"]
            if limit and sum(len(v) for _k, v in request.form.lists()) > limit:
                abort(413)

    @app.after_request
    def _security_headers(resp):
        # One pass over the headers instead of a scan per setdefault.
        present = {name.lower() for name, _value in resp.headers}
        origins = _embed_origins()
        added = [(name, value) for name, value in SECURITY_HEADERS
                 if name.lower() not in present]
        if "content-security-policy" not in present:
            added.append(("Content-Security-Policy", csp_for(origins) if origins else CSP))
        if not origins and "x-frame-options" not in present:
            added.append(("X-Frame-Options", "DENY"))
        if "strict-transport-security" not in present and is_https():
            added.append(("Strict-Transport-Security", HSTS))
        resp.headers.extend(added)
        if ADMIN_PATH.match(request.path):
            resp.headers["Cache-Control"] = "no-store"
        return resp
