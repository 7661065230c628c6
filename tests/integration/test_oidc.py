"""OpenID Connect sign-in against a small provider of the test's own: a Flask app on a free
port serving discovery, JWKS, authorize and token endpoints, signing ID tokens with a real RSA
key (joserfc). Not a mock of the client: the app's real code fetches, exchanges and checks."""

from __future__ import annotations

import threading
import time
import urllib.parse

import pytest
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from werkzeug.serving import make_server

from surveys.infra import db
from surveys.models import AuditEvent
from tests.conftest import free_port, make_user
from webapp.admin import oidc

CLIENT_ID = "palaute-test"
SECRET = "provider-secret"


class Provider:
    """What the provider puts in its next ID token can be spoiled per test."""

    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.email = "oidc@example.fi"
        self.spoil: dict = {}
        self.codes: dict[str, str] = {}
        self.token_requests: list[dict] = []
        app = Flask("provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify({"issuer": self.issuer,
                            "authorization_endpoint": f"{self.issuer}/authorize",
                            "token_endpoint": f"{self.issuer}/token",
                            "jwks_uri": f"{self.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"]})

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [self.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():
            # The user "signs in" at once; the code remembers the nonce.
            code = f"code-{len(self.codes)}"
            self.codes[code] = request.args["nonce"]
            assert request.args["client_id"] == CLIENT_ID
            assert "openid" in request.args["scope"].split()
            return redirect(request.args["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"code": code, "state": request.args["state"]}))

        @app.post("/token")
        def token():
            self.token_requests.append({"auth": request.authorization, **request.form})
            if request.authorization is None or \
                    request.authorization.password != SECRET:
                return jsonify({"error": "invalid_client"}), 401
            nonce = self.codes.pop(request.form["code"])
            now = int(time.time())
            claims = {"iss": self.issuer, "sub": "user-1", "aud": CLIENT_ID, "iat": now,
                      "exp": now + 300, "nonce": nonce, "email": self.email,
                      **self.spoil.get("claims", {})}
            key = self.stranger if self.spoil.get("wrong_key") else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            return jsonify({"access_token": "at", "token_type": "Bearer", "id_token": id_token})

        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture
def provider(settings, app):
    with Provider() as p:
        oidc._cache.clear()
        configured = settings.with_overrides(oidc_issuer=p.issuer, oidc_client_id=CLIENT_ID,
                                             oidc_client_secret=SECRET)
        from webapp import create_app

        p.app = create_app(configured, {"TESTING": True})
        yield p
    oidc._cache.clear()


def sign_in_via(p: Provider, client=None):
    """Follow the flow: our login → the provider's authorize → our callback."""
    client = client or p.app.test_client()
    start = client.get("/fi/admin/oidc/login")
    assert start.status_code == 303
    location = start.headers["Location"]
    assert location.startswith(p.issuer + "/authorize?")
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(location)
    except urllib.error.HTTPError as exc:
        back = exc.headers["Location"]
    parsed = urllib.parse.urlsplit(back)
    assert parsed.path == "/admin/oidc/callback"
    return client, client.get(parsed.path + "?" + parsed.query)


def test_sign_in_with_the_provider(provider, database_url):
    make_user(database_url, "oidc@example.fi", "region_admin", region="17")
    client, resp = sign_in_via(provider)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/fi/admin/")
    assert client.get("/fi/admin/surveys").status_code == 200
    # The client secret went to the token endpoint, with the redirect URI.
    req = provider.token_requests[-1]
    assert req["auth"].username == CLIENT_ID
    assert req["redirect_uri"] == "http://localhost/admin/oidc/callback"
    with db.session_scope(database_url) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()[-1]
        assert (event.outcome, event.object_id) == ("success", "oidc")


def test_login_page_offers_it_only_when_configured(provider, client):
    assert "/fi/admin/oidc/login" in provider.app.test_client().get(
        "/fi/admin/login").get_data(as_text=True)
    assert "/fi/admin/oidc/login" not in client.get("/fi/admin/login").get_data(as_text=True)
    assert client.get("/fi/admin/oidc/login").status_code == 404
    assert client.get("/admin/oidc/callback?code=x&state=y").status_code == 404


@pytest.mark.parametrize("spoil", [
    {"claims": {"aud": "someone-else"}},
    {"claims": {"iss": "https://evil.example"}},
    {"claims": {"nonce": "replayed"}},
    {"claims": {"exp": int(time.time()) - 3600}},
    {"wrong_key": True},
], ids=["audience", "issuer", "nonce", "expired", "signature"])
def test_a_bad_id_token_is_refused(provider, database_url, spoil):
    make_user(database_url, "oidc@example.fi", "national_admin")
    provider.spoil = spoil
    client, resp = sign_in_via(provider)
    assert resp.status_code == 401
    assert "Kirjautuminen organisaatiosi tunnuksella ei onnistunut" in resp.get_data(
        as_text=True)
    assert client.get("/fi/admin/surveys").status_code == 302
    with db.session_scope(database_url) as s:
        outcomes = s.scalars(select(AuditEvent.outcome)
                             .where(AuditEvent.action == "sign_in")).all()
        assert outcomes == ["failure"]


def test_state_must_match(provider, database_url):
    make_user(database_url, "oidc@example.fi", "national_admin")
    client = provider.app.test_client()
    client.get("/fi/admin/oidc/login")
    resp = client.get("/admin/oidc/callback?code=code-0&state=forged")
    assert resp.status_code == 401
    # Without the cookie at all (another browser), too.
    other = provider.app.test_client()
    assert other.get("/admin/oidc/callback?code=code-0&state=x").status_code == 401
    assert provider.token_requests == []  # the code was never exchanged


def test_no_account_no_sign_in(provider, database_url):
    provider.email = "stranger@example.fi"
    client, resp = sign_in_via(provider)
    assert resp.status_code == 401
    make_user(database_url, "inactive@example.fi", "national_admin")
    from surveys.accounts import users

    with db.session_scope(database_url) as s:
        users.deactivate(s, "inactive@example.fi")
    provider.email = "inactive@example.fi"
    _client, resp = sign_in_via(provider)
    assert resp.status_code == 401
