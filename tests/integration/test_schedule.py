"""Surveys open and close on their dates: draft → scheduled → published → closed, by the real
RQ job (workers.jobs.apply_schedule, on the cron) in the audit log; idempotent; every survey
gets a close date; a closed survey is reopened only by a national admin, with a reason; the
migration 0015_schedule up and down."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from surveys.definitions import format as defs
from surveys.definitions import lifecycle, lookup
from surveys.infra import clock, db, migrate, queue
from surveys.models import AuditEvent
from tests.conftest import make_user, run_worker, sign_in
from tests.integration.test_language_rights_db import survey_yaml
from tests.integration.test_migrations import fresh_url  # noqa: F401 (a fixture)


def dated(slug: str, **days) -> str:
    data = yaml.safe_load(survey_yaml(slug, "06", {"fi": "Kysymys"}))
    data.update(days)
    return yaml.safe_dump(data, allow_unicode=True)


def state(database_url, slug):
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, slug)
        return survey.status, survey.opens_on, survey.closes_on, survey.closed_on


def job_events(database_url):
    with db.session_scope(database_url) as s:
        return [(e.action, e.via, e.object_id) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.via == "job").order_by(AuditEvent.id))]


def test_dates_in_yaml_are_validated_and_a_close_date_is_always_set(database_url):
    # Unquoted YAML dates are read as dates and stored as ISO strings.
    text_ = "opens_on: 2027-03-01\n" + survey_yaml("paivat", "06", {"fi": "K"})
    assert defs.load(text_)["opens_on"] == "2027-03-01"
    with pytest.raises(defs.DefinitionError) as err:
        defs.load(dated("x", opens_on="2027-03-01", closes_on="2027-02-01"))
    assert ("closes_on", "the close date must be after the open date") in err.value.errors
    with pytest.raises(defs.DefinitionError) as err:
        defs.load(dated("x", closes_on="2027-02-30"))
    assert err.value.errors[0][0] == "closes_on"
    assert lifecycle.default_closes_on(date(2027, 3, 31)) == date(2028, 3, 31)
    assert lifecycle.default_closes_on(date(2028, 2, 29)) == date(2029, 2, 28)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, dated("oletus"))
        lifecycle.publish(s, "oletus", today=date(2027, 1, 10))
    assert state(database_url, "oletus") == ("published", None, date(2028, 1, 10), None)


def test_the_scheduled_job_opens_and_closes_on_the_dates_once(settings, database_url,
                                                              redis_conn):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, dated("ajastettu", opens_on="2027-03-01",
                                         closes_on="2027-04-01"))
        lifecycle.publish(s, "ajastettu", today=date(2027, 2, 1))
    assert state(database_url, "ajastettu")[0] == "scheduled"
    q = queue.queue(redis_conn)
    from workers.jobs import apply_schedule

    q.enqueue(apply_schedule, "2027-02-28")
    run_worker(redis_conn)
    assert state(database_url, "ajastettu")[0] == "scheduled"
    for _ in range(2):  # twice: the second run changes nothing
        q.enqueue(apply_schedule, "2027-03-01")
        run_worker(redis_conn)
    assert state(database_url, "ajastettu")[0] == "published"
    assert job_events(database_url) == [("surveys.open", "job", "ajastettu")]
    q.enqueue(apply_schedule, "2027-04-02")
    run_worker(redis_conn)
    assert state(database_url, "ajastettu") == ("closed", date(2027, 3, 1), date(2027, 4, 1),
                                                date(2027, 4, 1))
    assert job_events(database_url)[-1] == ("surveys.close", "job", "ajastettu")


def test_the_job_closes_on_the_finnish_date_whatever_the_servers_zone(settings, database_url,
                                                                     monkeypatch):
    """A survey closing on 1 April closes at the counties' midnight (01:02 on the cron is
    22:02 UTC on 31 March in summer time), not the server's (surveys.infra.clock)."""
    from workers.jobs import apply_schedule

    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, dated("keskiyo", closes_on="2027-04-01"))
        lifecycle.publish(s, "keskiyo", today=date(2027, 3, 1))
    monkeypatch.setattr(clock, "now", lambda: datetime(2027, 3, 31, 20, 59, tzinfo=UTC))
    assert apply_schedule() == []  # 23:59 in Finland: still open
    monkeypatch.setattr(clock, "now", lambda: datetime(2027, 3, 31, 22, 2, tzinfo=UTC))
    assert apply_schedule() == [("keskiyo", "surveys.close")]
    assert state(database_url, "keskiyo")[3] == date(2027, 4, 1)


def test_the_schedule_job_is_on_the_cron(redis_conn):
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("workers/cron.py")
    crons = {job.func.__name__: job.cron for job in scheduler.get_jobs()}
    assert crons["apply_schedule"] == "2 * * * *"


def test_reopening_is_for_national_admins_with_a_reason(app, admin_client, database_url):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, dated("suljettu"))
        lifecycle.publish(s, "suljettu")
        lifecycle.close(s, "suljettu")
    make_user(database_url, "satakunta@example.fi", "region_admin", region="06")
    region = app.test_client()
    assert sign_in(region, "satakunta@example.fi").status_code == 303
    assert region.get("/fi/admin/surveys/suljettu").status_code == 200
    assert region.get("/fi/admin/surveys/suljettu/reopen").status_code == 404
    page = admin_client.get("/fi/admin/surveys/suljettu/reopen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    r = admin_client.post("/fi/admin/surveys/suljettu/reopen", data={"csrf_token": token})
    assert r.status_code == 422 and state(database_url, "suljettu")[0] == "closed"
    r = admin_client.post("/fi/admin/surveys/suljettu/reopen", data={
        "csrf_token": token, "reason": "Vastausaikaa jatketaan", "closes_on": "2099-01-31"})
    assert r.status_code == 303
    assert state(database_url, "suljettu")[0::2] == ("published", date(2099, 1, 31))
    with db.session_scope(database_url) as s:
        assert lookup.find(s, "suljettu").reopened["reason"] == "Vastausaikaa jatketaan"
        assert s.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "surveys.reopen")) == "surveys.reopen"


def test_a_survey_whose_responses_were_purged_is_not_reopened(app, admin_client,
                                                               database_url):
    """After the retention purge its aggregates can't be rebuilt nor its unit figures change
    (docs/privacy.md): reopening would collect answers it can't count as promised. The admin
    is told why, in their language, and nothing changes."""
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, dated("poistettu"))
        lifecycle.publish(s, "poistettu")
        lifecycle.close(s, "poistettu")
        lookup.find(s, "poistettu").responses_purged_on = date(2026, 11, 30)
    with db.session_scope(database_url) as s, pytest.raises(lifecycle.PublishError) as refused:
        lifecycle.reopen(s, "poistettu", "Vielä", None, date(2026, 12, 1), date(2099, 1, 31))
    assert "purged" in str(refused.value)
    survey_page = admin_client.get("/fi/admin/surveys/poistettu").get_data(as_text=True)
    assert "/admin/surveys/poistettu/reopen" not in survey_page
    assert "Raakavastaukset poistettu" in survey_page
    page = admin_client.get("/fi/admin/surveys/poistettu/reopen").get_data(as_text=True)
    assert "ei voi enää avata uudelleen" in page and 'name="reason"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # (the sign-out form's)
    r = admin_client.post("/fi/admin/surveys/poistettu/reopen", data={
        "csrf_token": token, "reason": "Vielä", "closes_on": "2099-01-31"})
    assert r.status_code == 409
    assert "ei voi enää avata uudelleen" in r.get_data(as_text=True)
    assert state(database_url, "poistettu")[0] == "closed"
    with db.session_scope(database_url) as s:
        assert lookup.find(s, "poistettu").reopened is None
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "surveys.reopen")) \
            is None


def test_publishing_does_not_reopen_a_closed_survey(database_url, admin_client):
    """Found by review: `publish` opened any survey, so a closed one (a purged one too) went
    back to answers with no reason recorded and by anyone who may publish. Reopening is its
    own, recorded action; publish opens drafts (and scheduled surveys) only."""
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, dated("kiinni", closes_on=date(2099, 6, 30)))
        lifecycle.publish(s, "kiinni")
        lifecycle.close(s, "kiinni")
    with db.session_scope(database_url) as s, pytest.raises(lifecycle.PublishError,
                                                            match="may reopen it"):
        lifecycle.publish(s, "kiinni")
    assert state(database_url, "kiinni")[0] == "closed"
    from tests.conftest import TestCli
    from webapp.cli import main

    result = TestCli().invoke(main, ["surveys", "publish", "kiinni"])
    assert result.exit_code != 0 and "may reopen it" in result.output
    assert state(database_url, "kiinni")[0] == "closed"


def test_schedule_migration_up_and_down(fresh_url):  # noqa: F811
    migrate.upgrade(fresh_url, "0008_holding")
    engine = create_engine(fresh_url)
    insert = text("INSERT INTO surveys (slug, audience, scope, status, min_group_size, "
                  "definition, closed_on, retention_months, results_stamp, revision) VALUES "
                  "(:slug, 'citizen', '06', :status, 5, '{}', :closed, 24, '', 1)")
    with engine.begin() as conn:
        conn.execute(insert, {"slug": "auki", "status": "published", "closed": None})
        conn.execute(insert, {"slug": "kiinni", "status": "closed", "closed": date(2026, 5, 1)})
        with pytest.raises(IntegrityError), conn.begin_nested():  # the old CHECK constraint
            conn.execute(text("UPDATE surveys SET status = 'scheduled'"))
    migrate.upgrade(fresh_url, "0015_schedule")
    with engine.begin() as conn:
        rows = dict(conn.execute(text("SELECT slug, closes_on FROM surveys")).all())
        assert rows["kiinni"] in (date(2026, 5, 1), "2026-05-01")
        assert rows["auki"] is not None  # every survey gets a close date
        conn.execute(text("UPDATE surveys SET status = 'scheduled' WHERE slug = 'auki'"))
        conn.execute(text("UPDATE surveys SET status = 'archived' WHERE slug = 'kiinni'"))
    migrate.downgrade(fresh_url, "0008_holding")
    with engine.begin() as conn:
        assert dict(conn.execute(text("SELECT slug, status FROM surveys")).all()) == {
            "auki": "draft", "kiinni": "closed"}
    engine.dispose()


def test_publish_command_says_when_a_survey_opens_and_closes(database_url, tmp_path):
    from tests.conftest import TestCli
    from webapp.cli import main

    path = tmp_path / "s.yaml"
    path.write_text(dated("komento", opens_on="2099-01-01"), encoding="utf-8")
    assert TestCli().invoke(main, ["surveys", "import", str(path)]).exit_code == 0
    result = TestCli().invoke(main, ["surveys", "publish", "komento"])
    assert result.exit_code == 0, result.output
    assert "scheduled komento: opens on 2099-01-01, closes on 2100-01-01" in result.output
    assert state(database_url, "komento")[0] == "scheduled"
