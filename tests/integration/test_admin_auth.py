"""Signing in and out of the admin side: cookies, session fixation, logout, timeouts, CSRF,
throttling, no-store, and the audit trail of each. A real database and a real Redis; time moves
by a settable clock (webapp.extensions.set_clock), never by sleeping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from surveys.infra import db, throttle
from surveys.models import AuditEvent, UserSession
from tests.conftest import ADMIN_PASSWORD, admin_csrf, make_user, sign_in
from webapp.extensions import set_clock

EMAIL = "admin@example.fi"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(app):
    c = Clock()
    set_clock(app, c)
    return c


@pytest.fixture
def account(database_url):
    return make_user(database_url, EMAIL, "national_admin")


def events(database_url, action=None):
    with db.session_scope(database_url) as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [(e.action, e.outcome, e.actor_user_id, e.actor_email_hash, e.object_id,
                 e.client_address) for e in s.scalars(query)]


def session_cookie(client, name="palaute_admin"):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def set_cookie_header(resp, name="palaute_admin"):
    return next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))


def test_sign_in_redirects_home_with_an_httponly_lax_cookie(client, account, database_url):
    page = client.get("/admin/login")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert 'name="email"' in page.get_data(as_text=True)
    resp = sign_in(client, EMAIL)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/fi/admin/")
    header = set_cookie_header(resp)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header and "Expires" not in header
    home = client.get("/fi/admin/")
    assert home.status_code == 200 and EMAIL in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == "no-store"
    # Only the hash of the id is stored.
    with db.session_scope(database_url) as s:
        stored = s.scalars(select(UserSession.id_hash)).all()
    assert len(stored) == 1 and session_cookie(client) not in stored[0]
    assert events(database_url, "sign_in") == [
        ("sign_in", "success", account, None, None, "127.0.0.1")]


def test_bare_login_negotiates_the_language_and_signs_in(client, account):
    page = client.get("/admin/login", headers={"Accept-Language": "sv"})
    assert "Logga in" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    resp = client.post("/admin/login", data={"email": EMAIL, "password": ADMIN_PASSWORD,
                                             "csrf_token": token},
                       headers={"Accept-Language": "sv"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/sv/admin/")
    assert client.get("/admin/").headers["Location"].endswith("/admin/")


def test_secure_cookie_gets_the_host_prefix(settings, redis_conn, database_url, account):
    from webapp import create_app

    app = create_app(settings.with_overrides(session_cookie_secure=True), {"TESTING": True})
    client = app.test_client()
    page = client.get("https://localhost/fi/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    resp = client.post("https://localhost/fi/admin/login",
                       data={"email": EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert resp.status_code == 303
    header = set_cookie_header(resp, "__Host-palaute_admin")
    assert "Secure" in header and "HttpOnly" in header and "Path=/" in header
    assert "Domain" not in header
    assert client.get("https://localhost/fi/admin/").status_code == 200


def test_email_is_case_insensitive(client, account):
    assert sign_in(client, "  ADMIN@Example.FI ").status_code == 303


def test_wrong_password_and_unknown_account_look_the_same(client, account, database_url):
    wrong = sign_in(client, EMAIL, "väärä-salasana-123456")
    unknown = sign_in(client, "nobody@example.fi", "väärä-salasana-123456")
    assert wrong.status_code == unknown.status_code == 401
    message = "Sähköpostiosoite tai salasana on väärin."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert session_cookie(client) is None
    logged = events(database_url, "sign_in")
    assert [(a, o, u) for a, o, u, _h, _obj, _ip in logged] == [
        ("sign_in", "failure", account), ("sign_in", "failure", None)]
    # The unknown address is kept as a keyed hash, never as itself; no password anywhere.
    assert re.fullmatch(r"[0-9a-f]{64}", logged[1][3])
    with db.session_scope(database_url) as s:
        for e in s.scalars(select(AuditEvent)):
            assert "nobody" not in str(vars(e)) and "väärä" not in str(vars(e))


def test_session_id_changes_at_sign_in(app, client, account, database_url):
    planted = "attacker-chosen-session-id-0123456789abcdef"
    client.set_cookie("palaute_admin", planted)
    assert sign_in(client, EMAIL).status_code == 303
    first = session_cookie(client)
    assert first and first != planted
    # The attacker's browser with the planted id is not signed in.
    attacker = app.test_client()
    attacker.set_cookie("palaute_admin", planted)
    assert attacker.get("/fi/admin/").status_code == 302
    # Signing in again gives a new id and ends the one the browser had.
    assert sign_in(client, EMAIL).status_code == 303
    second = session_cookie(client)
    assert second != first
    old = app.test_client()
    old.set_cookie("palaute_admin", first)
    assert old.get("/fi/admin/").status_code == 302
    with db.session_scope(database_url) as s:
        assert len(s.scalars(select(UserSession)).all()) == 1


def test_logout_invalidates_the_session_on_the_server(app, client, account, database_url):
    sign_in(client, EMAIL)
    raw = session_cookie(client)
    token = admin_csrf(client)
    resp = client.post("/fi/admin/logout", data={"csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/fi/admin/login")
    assert session_cookie(client) is None
    # The old cookie, replayed, is refused: the session is gone from the server.
    replay = app.test_client()
    replay.set_cookie("palaute_admin", raw)
    assert replay.get("/fi/admin/surveys").status_code == 302
    with db.session_scope(database_url) as s:
        assert s.scalars(select(UserSession)).all() == []
    assert [e[:3] for e in events(database_url, "sign_out")] == [("sign_out", "ok", account)]


def test_idle_timeout(client, clock, account):
    sign_in(client, EMAIL)
    for _ in range(4):  # busy for two hours: never idle for 30 minutes
        clock.advance(minutes=29)
        assert client.get("/fi/admin/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    resp = client.get("/fi/admin/")
    assert resp.status_code == 302 and "/fi/admin/login" in resp.headers["Location"]
    # The stale cookie is cleared.
    assert session_cookie(client) is None


def test_absolute_timeout(client, clock, account):
    sign_in(client, EMAIL)
    for _ in range(12 * 3 - 1):  # a request every 20 minutes for just under 12 hours
        clock.advance(minutes=20)
        assert client.get("/fi/admin/").status_code == 200
    clock.advance(minutes=20)
    assert client.get("/fi/admin/").status_code == 302


def test_timeouts_come_from_settings(settings, redis_conn, database_url, account):
    from webapp import create_app

    app = create_app(settings.with_overrides(admin_idle_timeout_min=5.0), {"TESTING": True})
    clock = Clock()
    set_clock(app, clock)
    client = app.test_client()
    assert sign_in(client, EMAIL).status_code == 303
    clock.advance(minutes=5)
    assert client.get("/fi/admin/").status_code == 302


def test_csrf_is_required_on_admin_posts(app, client, account, database_url):
    # Sign-in without a token, or with another browser's, is refused before any password check.
    resp = client.post("/fi/admin/login", data={"email": EMAIL, "password": ADMIN_PASSWORD})
    assert resp.status_code == 400 and "Lomake on vanhentunut" in resp.get_data(as_text=True)
    other = app.test_client()
    foreign = admin_csrf(other)
    resp = client.post("/fi/admin/login", data={"email": EMAIL, "password": ADMIN_PASSWORD,
                                                "csrf_token": foreign})
    assert resp.status_code == 400 and session_cookie(client) is None
    # Signed in: logout without a token does nothing; a signed-out page's token is not enough.
    login_token = admin_csrf(client)
    sign_in(client, EMAIL)
    assert client.post("/fi/admin/logout").status_code == 400
    assert client.post("/fi/admin/logout", data={"csrf_token": login_token}).status_code == 400
    assert client.get("/fi/admin/").status_code == 200
    assert [e[:2] for e in events(database_url, "csrf")] == [("csrf", "refused")] * 4


def test_throttle_per_account_is_exponential_and_bounded(client, clock, account, redis_conn,
                                                         database_url):
    for _ in range(throttle.ACCOUNT_FREE):
        assert sign_in(client, EMAIL, "väärä-salasana-123456").status_code == 401
    # Now each attempt waits 2^k s, even with the right password.
    locked = sign_in(client, EMAIL)
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "2"
    assert "Liian monta epäonnistunutta yritystä" in locked.get_data(as_text=True)
    clock.advance(seconds=2)
    assert sign_in(client, EMAIL, "väärä-salasana-123456").status_code == 401
    assert sign_in(client, EMAIL).headers["Retry-After"] == "4"
    # The wait never exceeds 15 minutes however long the attack goes on.
    for _ in range(10):
        clock.advance(seconds=throttle.MAX_WAIT_S)
        assert sign_in(client, EMAIL, "väärä-salasana-123456").status_code == 401
    assert int(sign_in(client, EMAIL).headers["Retry-After"]) == throttle.MAX_WAIT_S
    # After the wait the right password signs in, and clears the account's count.
    clock.advance(seconds=throttle.MAX_WAIT_S)
    assert sign_in(client, EMAIL).status_code == 303
    assert sign_in(client, EMAIL, "väärä-salasana-123456").status_code == 401
    assert sign_in(client, EMAIL).status_code == 303
    outcomes = [o for _a, o, *_rest in events(database_url, "sign_in")]
    assert outcomes.count("locked") == 3 and outcomes.count("success") == 2


def test_throttle_per_address_has_a_higher_limit(client, clock, account, redis_conn):
    # Many accounts tried from one address: the first ADDRESS_FREE - 1 failures counted
    # straight in Redis (the same function the view calls), the last one through the form.
    for i in range(throttle.ADDRESS_FREE - 1):
        keys = throttle.Keys(account=f"guess{i}", address="127.0.0.1")
        assert throttle.failed(redis_conn, keys, clock.now.timestamp()) == 0
    assert sign_in(client, "guess@example.fi", "väärä-salasana-123456").status_code == 401
    # Now every account waits from this address, the real one too.
    assert sign_in(client, EMAIL).status_code == 429
    # Another address is not affected.
    other = client.application.test_client()
    token = admin_csrf(other)
    resp = other.post("/fi/admin/login", data={"email": EMAIL, "password": ADMIN_PASSWORD,
                                               "csrf_token": token},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert resp.status_code == 303


def test_deactivated_account_cannot_sign_in(client, account, database_url):
    from surveys.accounts import users

    with db.session_scope(database_url) as s:
        users.deactivate(s, EMAIL)
    assert sign_in(client, EMAIL).status_code == 401


def test_every_admin_page_is_no_store(admin_client, app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/<lang>/admin") and "GET" in rule.methods \
                and "<slug>" not in rule.rule:
            resp = admin_client.get(rule.rule.replace("<lang>", "fi"))
            assert resp.headers.get("Cache-Control") == "no-store", rule.rule


def test_signed_out_visitor_is_sent_to_sign_in(client):
    resp = client.get("/fi/admin/surveys")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/fi/admin/login")
