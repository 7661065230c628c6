"""Optional sign-in with OpenID Connect (Entra ID or another identity provider), with Authlib.

Off unless OIDC_ISSUER and OIDC_CLIENT_ID are set (and OIDC_CLIENT_SECRET for a confidential
client). The authorization code flow: `/<lang>/admin/oidc/login` sends the browser to the
provider's authorization endpoint (from its discovery document) with a fresh `state` and
`nonce`, both kept in a short-lived signed cookie (`palaute_oidc`, HttpOnly, SameSite=Lax, 10
minutes, path /admin/oidc); the provider sends it back to `/admin/oidc/callback` (the redirect
URI to register), which checks the state, exchanges the code at the token endpoint (client
secret, HTTP Basic) and checks the ID token: signature against the provider's JWKS (RS256 or
ES256), issuer, audience (the client id), expiry and the nonce. Its `email` claim (or
`preferred_username` when that is an address) must be the address of an existing, active
account: there is no self-registration, and the role and area come from Palaute, not the
provider. A mismatch of any kind answers 401 with the sign-in page and is audited.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import urllib.parse
import urllib.request

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from surveys.accounts import sessions, users

from ..extensions import get_db, now, settings
from . import auth
from .blueprints import bare, bp

log = logging.getLogger(__name__)

COOKIE = "palaute_oidc"
COOKIE_MAX_AGE_S = 600
TIMEOUT_S = 10
CACHE_S = 300
_cache: dict[str, tuple[float, dict]] = {}


class OidcError(Exception):
    pass


def _get_json(url: str, data: dict | None = None, auth_basic: tuple[str, str] | None = None
              ) -> dict:
    # HTTPS only, except a provider on this machine (a test's, or a development one).
    if not url.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
        raise OidcError("the provider's address is not https")
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body,  # noqa: S310 - https checked above
                                 headers={"Accept": "application/json"})
    if auth_basic:
        import base64

        pair = ":".join(urllib.parse.quote(p, safe="") for p in auth_basic)
        req.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - https checked above
            return json.loads(resp.read())
    except (OSError, ValueError) as exc:
        raise OidcError(f"{type(exc).__name__} from the provider") from exc


def _cached(url: str) -> dict:
    hit = _cache.get(url)
    if hit and time.monotonic() - hit[0] < CACHE_S:
        return hit[1]
    value = _get_json(url)
    _cache[url] = (time.monotonic(), value)
    return value


def discovery(issuer: str) -> dict:
    doc = _cached(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if doc.get("issuer") != issuer:
        raise OidcError("the discovery document names another issuer")
    return doc


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="palaute-oidc")


def redirect_uri() -> str:
    base = settings().public_url or request.host_url
    return base.rstrip("/") + url_for("admin_bare.oidc_callback")


def check_id_token(id_token: str, *, issuer: str, client_id: str, nonce: str,
                   jwks: dict) -> dict:
    """The ID token's claims, if its signature, issuer, audience, expiry and nonce are right;
    else OidcError."""
    # Imported here: sign-in with OIDC is off by default, and joserfc with its cryptography
    # takes about 17 MB that every web worker would otherwise hold (docs/performance.md).
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.errors import JoseError  # noqa: PLC0415
    from joserfc.jwk import KeySet  # noqa: PLC0415

    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256", "ES256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError, KeyError) as exc:
        raise OidcError(f"ID token refused: {type(exc).__name__}") from exc
    return token.claims


@bp.get("/oidc/login")
def oidc_login():
    config = settings()
    if not config.oidc_enabled:
        abort(404)
    try:
        endpoint = discovery(config.oidc_issuer)["authorization_endpoint"]
    except (OidcError, KeyError):
        return _refused("discovery")
    from authlib.common.urls import add_params_to_uri  # noqa: PLC0415 - see check_id_token

    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    url = add_params_to_uri(endpoint, [
        ("response_type", "code"), ("client_id", config.oidc_client_id),
        ("redirect_uri", redirect_uri()), ("scope", "openid email profile"),
        ("state", state), ("nonce", nonce)])
    resp = redirect(url, 303)
    resp.set_cookie(COOKIE, _serializer().dumps({"s": state, "n": nonce, "l": g.lang}),
                    max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="Lax",
                    path="/admin/oidc", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return resp


def _refused(reason: str, **who):
    auth.record("sign_in", "failure", object_kind="method", object_id=f"oidc:{reason}", **who)
    get_db().commit()
    log.warning("OpenID Connect sign-in refused", extra={"reason": reason})
    resp = current_app.make_response((render_template(
        "admin_login.html", error=_("Signing in with your organisation's account did not "
                                    "succeed."), email="",
        oidc_enabled=settings().oidc_enabled), 401))
    resp.delete_cookie(COOKIE, path="/admin/oidc")
    return resp


@bare.get("/oidc/callback")
def oidc_callback():
    config = settings()
    if not config.oidc_enabled:
        abort(404)
    try:
        saved = _serializer().loads(request.cookies.get(COOKIE, ""), max_age=COOKIE_MAX_AGE_S)
    except BadSignature:
        return _refused("state")
    if saved.get("l"):
        g.lang = saved["l"]
    state = request.args.get("state", "")
    if not state or not secrets.compare_digest(state, saved.get("s", "")):
        return _refused("state")
    code = request.args.get("code")
    if not code:
        return _refused("no_code")
    try:
        meta = discovery(config.oidc_issuer)
        tokens = _get_json(meta["token_endpoint"], {
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri()},
            auth_basic=(config.oidc_client_id, config.oidc_client_secret))
        claims = check_id_token(tokens.get("id_token", ""), issuer=config.oidc_issuer,
                                client_id=config.oidc_client_id, nonce=saved.get("n", ""),
                                jwks=_cached(meta["jwks_uri"]))
    except (OidcError, KeyError) as exc:
        return _refused(str(exc).split(":")[0].replace(" ", "_")[:30])
    email = claims.get("email") or ""
    if not email and "@" in str(claims.get("preferred_username", "")):
        email = claims["preferred_username"]
    db = get_db()
    user = users.find(db, email) if email else None
    if user is None or not user.active or claims.get("email_verified") is False:
        return _refused("no_account", email_hash=users.email_hash(auth.email_key(), email))
    sessions.end(db, request.cookies.get(auth.cookie_name()))
    raw = sessions.start(db, user, now())
    auth.record("sign_in", "success", user_id=user.id, object_kind="method", object_id="oidc")
    db.commit()
    g.admin_cookie_stale = False
    resp = redirect(url_for("admin.home", lang=g.lang), 303)
    auth.set_session_cookie(resp, raw)
    resp.delete_cookie(COOKIE, path="/admin/oidc")
    return resp
