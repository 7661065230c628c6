"""The audit log: viewable and exportable by national admins only, append-only in the database
(UPDATE refused everywhere, DELETE refused on PostgreSQL but for the retention purge), purged
after AUDIT_RETENTION_DAYS by the daily job."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from surveys.accounts import audit
from surveys.infra import db
from surveys.models import AuditEvent
from tests.conftest import SETTINGS, make_user, sign_in

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_national_admin_views_and_exports_the_log(admin_client, database_url):
    page = admin_client.get("/fi/admin/audit")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "sign_in" in html and "Tapahtumaloki" in html
    resp = admin_client.get("/fi/admin/audit.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("sign_in", "success"), ("audit.view", "ok"), ("audit.export", "ok")]
    assert rows[0]["client_address"] == "127.0.0.1" and rows[0]["via"] == "web"
    assert set(rows[0]) == set(audit.CSV_COLUMNS)


def test_csv_cells_cannot_become_formulas(session):
    event = audit.record(session, action="access", outcome="denied", at=NOW,
                         object_kind="survey", object_id="=HYPERLINK(\"x\")")
    session.rollback()
    lines = "".join(audit.csv_lines([event]))
    assert "'=HYPERLINK" in lines


def test_other_roles_get_404(app, database_url):
    make_user(database_url, "r@example.fi", "region_admin", region="17")
    client = app.test_client()
    sign_in(client, "r@example.fi")
    assert client.get("/fi/admin/audit").status_code == 404
    assert client.get("/fi/admin/audit.csv").status_code == 404


def _event(database_url, at: datetime) -> int:
    with db.session_scope(database_url) as s:
        return audit.record(s, action="test", at=at, via="cli").id


def test_update_is_refused_by_the_database(database_url):
    event_id = _event(database_url, NOW)
    with pytest.raises(DatabaseError, match="append-only"), \
            db.session_scope(database_url) as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                  .values(action="forged"))
    with db.session_scope(database_url) as s:
        assert s.get(AuditEvent, event_id).action == "test"


@pytest.mark.skipif(not SETTINGS.database_url.startswith("postgresql"),
                    reason="the DELETE guard is a PostgreSQL trigger")
def test_delete_and_truncate_are_refused_on_postgresql(database_url):
    event_id = _event(database_url, NOW)
    with pytest.raises(DatabaseError, match="append-only"), \
            db.session_scope(database_url) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == event_id))
    with pytest.raises(DatabaseError, match="append-only"), \
            db.session_scope(database_url) as s:
        s.execute(text("TRUNCATE audit_events"))
    with db.session_scope(database_url) as s:
        assert s.get(AuditEvent, event_id) is not None


def test_purge_deletes_only_events_past_retention(database_url):
    old = _event(database_url, NOW - timedelta(days=731))
    kept = _event(database_url, NOW - timedelta(days=729))
    with db.session_scope(database_url) as s:
        assert audit.purge_expired(s, NOW, 730) == 1
    with db.session_scope(database_url) as s:
        assert s.scalars(select(AuditEvent.id)).all() == [kept]
        assert s.get(AuditEvent, old) is None


def test_daily_job_purges_with_the_configured_retention(settings, database_url):
    from workers import context, jobs

    _event(database_url, NOW - timedelta(days=40))
    recent = _event(database_url, NOW - timedelta(days=20))
    context.use(settings.with_overrides(audit_retention_days=30))
    try:
        assert jobs.purge_audit_log(NOW.isoformat()) == 1
    finally:
        context.use(settings)
    with db.session_scope(database_url) as s:
        assert s.scalars(select(AuditEvent.id)).all() == [recent]


def test_daily_job_is_on_the_cron(redis_conn):
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("workers/cron.py")
    crons = {job.func.__name__: job.cron for job in scheduler.get_jobs()}
    assert crons["purge_audit_log"] == "37 3 * * *"


def test_survey_commands_are_audited(database_url, tmp_path):
    from tests.conftest import TestCli
    from tests.integration.test_language_rights_db import survey_yaml
    from webapp.cli import main

    path = tmp_path / "s.yaml"
    path.write_text(survey_yaml("audited", "06", {"fi": "Kysymys"}), encoding="utf-8")
    for args in (["import", str(path)], ["publish", "audited"], ["close", "audited"]):
        result = TestCli().invoke(main, ["surveys", *args])
        assert result.exit_code == 0, result.output
    with db.session_scope(database_url) as s:
        logged = s.execute(select(AuditEvent.action, AuditEvent.via, AuditEvent.object_id)
                           .order_by(AuditEvent.id)).all()
    assert logged == [("surveys.import", "cli", "audited"), ("surveys.publish", "cli", "audited"),
                      ("surveys.close", "cli", "audited")]
