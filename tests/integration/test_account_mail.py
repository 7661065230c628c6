"""Invitations, password resets and API tokens, with mail delivered through a real SMTP server
(aiosmtpd, started in the test on a free port) by the real RQ job."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from surveys.accounts import links
from surveys.infra import db
from surveys.infra.mail import DevMailServer
from surveys.models import AccountLink, ApiToken, AuditEvent, User
from tests.conftest import ADMIN_PASSWORD, free_port, mails, make_user, run_worker, sign_in
from webapp.extensions import set_clock

NEW_PASSWORD = "lumi-sade-kettu-aamupala"


def link_in(msg) -> str:
    body = msg.get_content()
    return re.search(r"http://localhost(/\S+)", body).group(1)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post_form(client, path: str, data: dict):
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_of(page.get_data(as_text=True))})


def events(database_url, action: str) -> list[AuditEvent]:
    with db.session_scope(database_url) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        s.expunge_all()
        return rows


def test_invitation_mailed_accepted_once(admin_client, app, smtp, redis_conn, database_url,
                                         log_stream):
    resp = post_form(admin_client, "/fi/admin/users/invite",
                     {"email": "Uusi.Analyytikko@example.fi", "role": "analyst",
                      "grants": "17 org:ORG1"})
    assert resp.status_code == 200 and "uusi.analyytikko@example.fi" in resp.get_data(
        as_text=True)
    run_worker(redis_conn)
    [msg] = mails(smtp)
    assert msg["To"] == "uusi.analyytikko@example.fi"
    assert msg["From"] == "palaute@example.fi"
    assert msg["Subject"] == "Tilisi Palautteen ylläpidossa"
    path = link_in(msg)
    assert path.startswith("/fi/admin/invite/")
    token = path.rsplit("/", 1)[1]
    with db.session_scope(database_url) as s:
        row = s.scalar(select(AccountLink))
        # Only the hash is stored.
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str([row.token_hash, row.base_url])
        user = s.scalar(select(User).where(User.email == "uusi.analyytikko@example.fi"))
        assert not user.active
    # Not signed in yet: the account can't sign in.
    other = app.test_client()
    assert sign_in(other, "uusi.analyytikko@example.fi", NEW_PASSWORD).status_code == 401
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "uusi.analyytikko@example.fi" in page.get_data(
        as_text=True)
    weak = post_form(newcomer, path, {"password": "salasana123", "password2": "salasana123"})
    assert weak.status_code == 400 and "yleinen" in weak.get_data(as_text=True)
    done = post_form(newcomer, path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/fi/admin/")
    assert newcomer.get("/fi/admin/surveys").status_code == 200  # signed in
    # Single use: 410 with a translated page.
    again = app.test_client().get(path)
    assert again.status_code == 410 and "Linkki ei ole enää voimassa" in again.get_data(
        as_text=True)
    assert app.test_client().get("/sv/admin/invite/" + token).status_code == 410
    assert "Länken gäller inte längre" in app.test_client().get(
        "/sv/admin/invite/" + token).get_data(as_text=True)
    assert sign_in(app.test_client(), "uusi.analyytikko@example.fi",
                   NEW_PASSWORD).status_code == 303
    assert [e.outcome for e in events(database_url, "users.invite")] == ["ok"]
    assert [e.outcome for e in events(database_url, "invite.use")] == ["ok"] + ["refused"] * 3
    # The link is in no log line (the request log names the route, not the path).
    assert token not in log_stream.getvalue() and "/admin/invite/<token>" in log_stream.getvalue()


def test_invitation_expires(admin_client, app, smtp, redis_conn):
    post_form(admin_client, "/fi/admin/users/invite",
              {"email": "myohassa@example.fi", "role": "national_admin"})
    run_worker(redis_conn)
    path = link_in(mails(smtp)[0])
    later = datetime.now(UTC) + timedelta(hours=72, minutes=1)
    set_clock(app, lambda: later)
    try:
        assert app.test_client().get(path).status_code == 410
    finally:
        set_clock(app, None)
    assert app.test_client().get(path).status_code == 200


def test_mail_job_twice_sends_once(admin_client, smtp, redis_conn, database_url):
    from workers import jobs

    post_form(admin_client, "/fi/admin/users/invite",
              {"email": "kahdesti@example.fi", "role": "national_admin"})
    with db.session_scope(database_url) as s:
        link_id = s.scalar(select(AccountLink.id))
    assert jobs.send_account_mail(link_id) is True
    assert jobs.send_account_mail(link_id) is False
    run_worker(redis_conn)  # the enqueued job finds it mailed
    assert len(mails(smtp)) == 1


def test_region_admin_invites_only_in_own_county(app, database_url, smtp, redis_conn):
    make_user(database_url, "alue@example.fi", "region_admin", region="17")
    client = app.test_client()
    sign_in(client, "alue@example.fi")
    ok = post_form(client, "/fi/admin/users/invite",
                   {"email": "a1@example.fi", "role": "analyst", "grants": "17"})
    assert ok.status_code == 200
    # Left empty, the county is the inviter's own.
    assert post_form(client, "/fi/admin/users/invite",
                     {"email": "b1@example.fi", "role": "analyst"}).status_code == 200
    with db.session_scope(database_url) as s:
        from surveys.accounts import users

        assert users.grants_of(s, users.find(s, "b1@example.fi").id)[0] == {"17"}
    for data in ({"email": "a2@example.fi", "role": "analyst", "grants": "06"},
                 {"email": "a3@example.fi", "role": "region_admin", "region": "06"},
                 {"email": "a4@example.fi", "role": "national_admin"}):
        refused = post_form(client, "/fi/admin/users/invite", data)
        assert refused.status_code == 400, data
    with db.session_scope(database_url) as s:
        assert s.scalars(select(User.email).where(User.email.like("a_@example.fi"))).all() \
            == ["a1@example.fi"]
    assert [e.outcome for e in events(database_url, "users.invite")].count("denied") == 3


def test_reset_answers_the_same_and_link_works_once(app, database_url, smtp, redis_conn):
    make_user(database_url, "unohtaja@example.fi", "national_admin")
    signed_in = app.test_client()
    sign_in(signed_in, "unohtaja@example.fi")
    known = post_form(app.test_client(), "/fi/admin/reset", {"email": "unohtaja@example.fi"})
    unknown = post_form(app.test_client(), "/fi/admin/reset", {"email": "eiole@example.fi"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    run_worker(redis_conn)
    [msg] = mails(smtp)
    assert msg["To"] == "unohtaja@example.fi"
    path = link_in(msg)
    assert path.startswith("/fi/admin/reset/")
    person = app.test_client()
    done = post_form(person, path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 303
    # Every other session of the account has ended.
    assert signed_in.get("/fi/admin/surveys").status_code == 302
    assert person.get("/fi/admin/surveys").status_code == 200
    assert app.test_client().get(path).status_code == 410
    assert sign_in(app.test_client(), "unohtaja@example.fi").status_code == 401
    assert sign_in(app.test_client(), "unohtaja@example.fi", NEW_PASSWORD).status_code == 303
    assert [e.outcome for e in events(database_url, "reset.request")] == ["ok", "no_account"]
    assert [e.outcome for e in events(database_url, "reset.use")] == ["ok", "refused"]


def test_reset_link_expires_after_an_hour(app, database_url, smtp, redis_conn):
    make_user(database_url, "hidas@example.fi", "national_admin")
    post_form(app.test_client(), "/fi/admin/reset", {"email": "hidas@example.fi"})
    run_worker(redis_conn)
    path = link_in(mails(smtp)[0])
    later = datetime.now(UTC) + timedelta(minutes=61)
    set_clock(app, lambda: later)
    try:
        assert app.test_client().get(path).status_code == 410
    finally:
        set_clock(app, None)


def test_reset_requests_are_throttled(app, database_url, redis_conn):
    make_user(database_url, "kiireinen@example.fi", "national_admin")
    client = app.test_client()
    statuses = [post_form(client, "/fi/admin/reset", {"email": "kiireinen@example.fi"})
                .status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[6] == 429
    # The same for an address without an account: nothing tells them apart.
    statuses = [post_form(client, "/fi/admin/reset", {"email": "ei@example.fi"}).status_code
                for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[6] == 429
    with db.session_scope(database_url) as s:
        # A throttled request makes no link.
        assert len(s.scalars(select(AccountLink.id)).all()) == 5


def test_deactivation_spends_open_links(admin_client, app, smtp, redis_conn, database_url):
    from surveys.accounts import users

    post_form(admin_client, "/fi/admin/users/invite",
              {"email": "peruttu@example.fi", "role": "national_admin"})
    run_worker(redis_conn)
    path = link_in(mails(smtp)[0])
    with db.session_scope(database_url) as s:
        users.deactivate(s, "peruttu@example.fi")
    assert app.test_client().get(path).status_code == 410


# --- API tokens ---------------------------------------------------------------------------------

@pytest.fixture
def surveys_17_06(database_url):
    from surveys.definitions import lifecycle
    from tests.integration.test_language_rights_db import survey_yaml

    with db.session_scope(database_url) as s:
        for slug, scope in (("t-own", "17"), ("t-other", "06")):
            lifecycle.import_survey(s, survey_yaml(slug, scope, {"fi": "K", "sv": "F"},
                                                   "citizen"))


def test_api_token_created_used_and_revoked(app, database_url, surveys_17_06, log_stream):
    make_user(database_url, "analyytikko@example.fi", "analyst", grants=["17"])
    client = app.test_client()
    sign_in(client, "analyytikko@example.fi")
    created = post_form(client, "/fi/admin/tokens", {"action": "create", "name": "R-skripti"})
    html = created.get_data(as_text=True)
    raw = re.search(r"(plt_[A-Za-z0-9_-]{43})", html).group(1)
    # Shown once: the list shows only its beginning.
    assert raw not in client.get("/fi/admin/tokens").get_data(as_text=True)
    with db.session_scope(database_url) as s:
        row = s.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert row.prefix == raw[:8]
        token_id = row.id
    api = app.test_client()
    auth = {"Authorization": f"Bearer {raw}"}
    own = api.get("/api/v1/surveys/t-own/admin", headers=auth)
    assert own.status_code == 200
    doc = own.get_json()
    assert doc["status"] == "draft" and doc["scope"] == "17"
    assert {lang["code"] for lang in doc["languages"]} >= {"fi", "sv"}
    # Another county's survey is as missing as a survey that does not exist.
    assert api.get("/api/v1/surveys/t-other/admin", headers=auth).status_code == 404
    assert api.get("/api/v1/surveys/no-such/admin", headers=auth).status_code == 404
    unauth = api.get("/api/v1/surveys/t-own/admin")
    assert unauth.status_code == 401 and unauth.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/api/v1/surveys/t-own/admin",
                   headers={"Authorization": "Bearer plt_wrong"}).status_code == 401
    # The public API needs no token, as before.
    assert api.get("/api/v1/surveys").status_code == 200
    post_form(client, "/fi/admin/tokens", {"action": "revoke", "token_id": str(token_id)})
    assert api.get("/api/v1/surveys/t-own/admin", headers=auth).status_code == 401
    assert raw not in log_stream.getvalue()
    assert [e.action for e in events(database_url, "token.create")] == ["token.create"]
    assert len(events(database_url, "token.revoke")) == 1


def test_token_of_a_deactivated_account_is_refused(app, database_url, surveys_17_06):
    from surveys.accounts import tokens, users

    make_user(database_url, "poistuva@example.fi", "region_admin", region="17")
    with db.session_scope(database_url) as s:
        _row, raw = tokens.create(s, users.find(s, "poistuva@example.fi"), "x",
                                  datetime.now(UTC))
    auth = {"Authorization": f"Bearer {raw}"}
    assert app.test_client().get("/api/v1/surveys/t-own/admin", headers=auth).status_code == 200
    with db.session_scope(database_url) as s:
        users.deactivate(s, "poistuva@example.fi")
    assert app.test_client().get("/api/v1/surveys/t-own/admin", headers=auth).status_code == 401


def test_cannot_revoke_someone_elses_token(app, database_url):
    from surveys.accounts import tokens, users

    make_user(database_url, "a@example.fi", "analyst", grants=["17"])
    make_user(database_url, "b@example.fi", "analyst", grants=["17"])
    with db.session_scope(database_url) as s:
        row, _raw = tokens.create(s, users.find(s, "a@example.fi"), "x", datetime.now(UTC))
        token_id = row.id
    client = app.test_client()
    sign_in(client, "b@example.fi")
    resp = post_form(client, "/fi/admin/tokens", {"action": "revoke", "token_id": str(token_id)})
    assert resp.status_code == 404
    with db.session_scope(database_url) as s:
        assert s.get(ApiToken, token_id).revoked_at is None


def test_links_module_refuses_a_spent_link(database_url):
    from surveys.accounts import users

    make_user(database_url, "x@example.fi")
    now = datetime.now(UTC)
    with db.session_scope(database_url) as s:
        link = links.create(s, users.find(s, "x@example.fi"), "reset", now=now,
                            ttl=timedelta(hours=1), lang="fi", base_url="http://h")
        raw = links.issue(s, link)
        assert links.usable(links.find(s, "reset", raw), now)
        assert links.find(s, "invite", raw) is None
        links.use(s, link, NEW_PASSWORD, now)
        assert not links.usable(links.find(s, "reset", raw), now)
        with pytest.raises(users.AccountError):
            links.use(s, link, ADMIN_PASSWORD + "x", now)


def test_smtp_login_with_the_settings_user(tmp_path, settings, database_url, redis_conn):
    """SMTP_USER and SMTP_PASSWORD log in to the server; a wrong password fails the job (kept
    in RQ's failed registry for the queue page), and nothing is marked mailed."""
    from aiosmtpd.smtp import AuthResult

    from surveys.accounts import users
    from workers import context, jobs

    def authenticator(_server, _session, _envelope, mechanism, auth_data):
        ok = auth_data.login == b"relay-user" and auth_data.password == b"relay-secret"
        return AuthResult(success=ok, handled=False)

    server = DevMailServer(tmp_path / "auth-mail", port=free_port(),
                           authenticator=authenticator, auth_require_tls=False).start()
    make_user(database_url, "kirjautuva@example.fi")
    with db.session_scope(database_url) as s:
        link_id = links.create(s, users.find(s, "kirjautuva@example.fi"), "reset",
                               now=datetime.now(UTC), ttl=timedelta(hours=1), lang="sv",
                               base_url="http://localhost").id
    base = settings.with_overrides(smtp_host="127.0.0.1", smtp_port=server.port,
                                   smtp_user="relay-user")
    try:
        context.use(base.with_overrides(smtp_password="wrong"))
        with pytest.raises(Exception, match="(?i)auth"):
            jobs.send_account_mail(link_id)
        assert server.messages() == []
        context.use(base.with_overrides(smtp_password="relay-secret"))
        assert jobs.send_account_mail(link_id) is True
        [msg] = mails(server)
        assert msg["Subject"] == "Byte av ditt lösenord i Palaute"
        assert link_in(msg).startswith("/sv/admin/reset/")
    finally:
        context.use(settings)
        server.stop()


def test_sweep_mails_links_whose_job_was_lost(smtp, redis_conn, database_url):
    from surveys.accounts import users
    from workers import jobs

    make_user(database_url, "unohtunut@example.fi")
    with db.session_scope(database_url) as s:
        links.create(s, users.find(s, "unohtunut@example.fi"), "reset",
                     now=datetime.now(UTC) - timedelta(minutes=5), ttl=timedelta(hours=1),
                     lang="fi", base_url="http://localhost")
        links.create(s, users.find(s, "unohtunut@example.fi"), "reset",
                     now=datetime.now(UTC) - timedelta(hours=2), ttl=timedelta(hours=1),
                     lang="fi", base_url="http://localhost")  # expired: not mailed
    assert jobs.sweep_account_mail() == 1
    run_worker(redis_conn)
    assert len(mails(smtp)) == 1
    assert jobs.sweep_account_mail() == 0
