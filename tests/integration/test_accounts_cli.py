"""`palaute users`: create (password from standard input), list, deactivate; refusals name the
reason; every change is in the audit log."""

from __future__ import annotations

from sqlalchemy import select

from surveys.accounts import passwords, users
from surveys.infra import db
from surveys.models import AnalystGrant, AuditEvent, User
from tests.conftest import ADMIN_PASSWORD, TestCli, sign_in
from webapp.cli import main


def run(*args, input=None):
    return TestCli().invoke(main, ["users", *args], input=input)


def test_create_reads_the_password_from_stdin(database_url, app):
    result = run("create", "Kirsi.Admin@Example.fi", "--role", "region_admin", "--region", "17",
                 input=ADMIN_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created region_admin kirsi.admin@example.fi" in result.output
    assert ADMIN_PASSWORD not in result.output
    with db.session_scope(database_url) as s:
        user = users.find(s, "kirsi.admin@example.fi")
        assert user.role == "region_admin" and user.region_code == "17" and user.active
        assert user.password_hash.startswith("$argon2id$")
        assert passwords.verify(user.password_hash, ADMIN_PASSWORD)
        logged = s.scalars(select(AuditEvent)).all()
        assert [(e.action, e.via, e.object_id) for e in logged] == [
            ("users.create", "cli", str(user.id))]
    # The account signs in on the web.
    assert sign_in(app.test_client(), "kirsi.admin@example.fi").status_code == 303


def test_password_is_never_an_argument():
    result = run("create", "a@example.fi", "--role", "national_admin", "--password", "x")
    assert result.exit_code != 0 and "No such option" in result.output


def test_weak_passwords_are_refused(database_url):
    for weak, reason in [("lyhyt-sana", "shorter than 12"),
                         ("qwertyuiop123", "common or breached"),
                         ("Password2026!", "common or breached"),
                         ("aaaaaaaaaaaaaaaa", "common or breached"),
                         ("kirsi-hyvinvointi-2026", "e-mail address's name")]:
        result = run("create", "kirsi@example.fi", "--role", "national_admin", input=weak + "\n")
        assert result.exit_code != 0, weak
        assert "password refused" in result.output and reason in result.output, result.output
    with db.session_scope(database_url) as s:
        assert s.scalars(select(User)).all() == []


def test_unknown_region_and_missing_scope_are_refused(database_url):
    result = run("create", "x@example.fi", "--role", "region_admin", "--region", "99",
                 input=ADMIN_PASSWORD + "\n")
    assert result.exit_code != 0 and "unknown region: 99" in result.output
    result = run("create", "x@example.fi", "--role", "region_admin", input=ADMIN_PASSWORD + "\n")
    assert result.exit_code != 0 and "needs --region" in result.output
    result = run("create", "x@example.fi", "--role", "hr_admin", input=ADMIN_PASSWORD + "\n")
    assert result.exit_code != 0 and "needs --org" in result.output
    result = run("create", "x@example.fi", "--role", "root", input=ADMIN_PASSWORD + "\n")
    assert result.exit_code != 0
    result = run("create", "x@example.fi", "--role", "national_admin", input="")
    assert result.exit_code != 0 and "no password" in result.output


def test_duplicate_email_differing_in_case_is_refused(database_url):
    assert run("create", "dup@example.fi", "--role", "national_admin",
               input=ADMIN_PASSWORD + "\n").exit_code == 0
    result = run("create", "DUP@example.FI", "--role", "national_admin",
                 input=ADMIN_PASSWORD + "\n")
    assert result.exit_code != 0 and "already exists" in result.output


def test_analyst_grants(database_url):
    result = run("create", "ana@example.fi", "--role", "analyst", "--grant", "17",
                 "--grant", "org:ORG1", input=ADMIN_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with db.session_scope(database_url) as s:
        grants = s.execute(select(AnalystGrant.region_code, AnalystGrant.org_code)).all()
        assert sorted(grants, key=str) == sorted([("17", None), (None, "ORG1")], key=str)


def test_list_and_deactivate(database_url, app):
    run("create", "b@example.fi", "--role", "hr_admin", "--org", "ORG1",
        input=ADMIN_PASSWORD + "\n")
    client = app.test_client()
    assert sign_in(client, "b@example.fi").status_code == 303
    listed = run("list")
    assert listed.exit_code == 0 and "b@example.fi\thr_admin\tORG1\tactive" in listed.output
    result = run("deactivate", "B@example.fi")
    assert result.exit_code == 0 and "deactivated b@example.fi" in result.output
    assert "b@example.fi\thr_admin\tORG1\tdeactivated" in run("list").output
    # Its live session ends at once, and it cannot sign in again.
    assert client.get("/fi/admin/").status_code == 302
    assert sign_in(app.test_client(), "b@example.fi").status_code == 401
    assert run("deactivate", "nobody@example.fi").exit_code != 0
    with db.session_scope(database_url) as s:
        assert [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.via == "cli")
                                            .order_by(AuditEvent.id))] == [
            "users.create", "users.deactivate"]
