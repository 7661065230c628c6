"""Migrations upgrade on PostgreSQL and SQLite, downgrade cleanly, and match the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text

from surveys.infra import migrate
from surveys.models import Base, Region
from tests.conftest import SETTINGS


def _fresh_postgres_url() -> tuple[str, str]:
    base = SETTINGS.database_url
    name = f"palaute_mig_{uuid.uuid4().hex[:8]}"
    return base.rsplit("/", 1)[0] + f"/{name}", name


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mig.db'}"
        return
    if not SETTINGS.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL migrations run in CI, where DATABASE_URL points to PostgreSQL")
    url, name = _fresh_postgres_url()
    admin = create_engine(SETTINGS.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_downgrade_and_models_match(fresh_url):
    migrate.upgrade(fresh_url)
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Region)) == 22
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    migrate.downgrade(fresh_url, "base")
    with engine.connect() as conn:
        assert "regions" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url)
    engine.dispose()


def test_quarantine_migration_up_and_down(fresh_url):
    """0008_quarantine adds the dead-letter table (without a rowid on SQLite: nothing in it
    follows arrival) and removes it again."""
    migrate.upgrade(fresh_url, "0007")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert "quarantined_responses" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url, "0008_quarantine")
    with engine.connect() as conn:
        assert "quarantined_responses" in engine.dialect.get_table_names(conn)
        if engine.dialect.name == "sqlite":
            sql = conn.scalar(text("SELECT sql FROM sqlite_master "
                                   "WHERE name = 'quarantined_responses'"))
            assert "WITHOUT ROWID" in sql
    migrate.downgrade(fresh_url, "0007")
    with engine.connect() as conn:
        assert "quarantined_responses" not in engine.dialect.get_table_names(conn)


def test_holding_table_migration_keeps_every_response(fresh_url):
    """0008_holding: responses waiting in the outbox move to the holding table, not yet folded;
    folded ones stay. Down again: every held response back in `responses`, the unfolded ones
    with their outbox row."""
    migrate.upgrade(fresh_url, "0007")
    engine = create_engine(fresh_url)
    ids = [uuid.uuid4() for _ in range(4)]
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO surveys (id, slug, audience, scope, status, min_group_size, definition, "
            "retention_months, results_stamp, revision) VALUES "
            "(1, 's', 'citizen', 'national', 'published', 5, '{}', 24, '', 1)"))
        for i, rid in enumerate(ids):
            conn.execute(text(
                "INSERT INTO responses (id, survey_id, region_code, lang, submitted_on, answers) "
                "VALUES (:id, 1, '17', 'fi', '2026-11-30', :answers)"),
                {"id": rid.hex if fresh_url.startswith("sqlite") else rid,
                 "answers": f'{{"recommend": {i}}}'})
        for rid in ids[:2]:  # two of them not yet folded
            conn.execute(text("INSERT INTO outbox_events (response_id) VALUES (:id)"),
                         {"id": rid.hex if fresh_url.startswith("sqlite") else rid})
    migrate.upgrade(fresh_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM responses")) == 2
        held = conn.execute(text("SELECT answers, folded FROM pending_responses")).all()
        assert len(held) == 2 and not any(folded for _, folded in held)
        assert "outbox_events" not in engine.dialect.get_table_names(conn)
    with engine.begin() as conn:  # a folded response waiting for its batch
        conn.execute(text("UPDATE pending_responses SET folded = true WHERE answers = "
                          + ("'{\"recommend\": 0}'" if fresh_url.startswith("sqlite")
                             else "'{\"recommend\": 0}'::jsonb")))
    migrate.downgrade(fresh_url, "0007")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM responses")) == 4
        assert conn.scalar(text("SELECT count(*) FROM outbox_events")) == 1
        assert "pending_responses" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM pending_responses")) == 1
        assert conn.scalar(text("SELECT count(*) FROM responses")) == 3


def test_feedback_tables_up_and_down(fresh_url):
    """0011_feedback adds the two feedback tables and removes only them."""
    migrate.upgrade(fresh_url, "0011_feedback")
    engine = create_engine(fresh_url)
    feedback_tables = {"translation_reports", "accessibility_feedback"}
    with engine.connect() as conn:
        assert feedback_tables <= set(engine.dialect.get_table_names(conn))
    migrate.downgrade(fresh_url, "-1")
    with engine.connect() as conn:
        tables = set(engine.dialect.get_table_names(conn))
        assert not feedback_tables & tables and "regions" in tables
    migrate.upgrade(fresh_url)
    engine.dispose()


def test_mail_tokens_migration_up_and_down(fresh_url):
    """0013_mail_tokens adds the mailed links and the API tokens (hashes only, one token hash
    once) and removes them again, leaving the accounts."""
    migrate.upgrade(fresh_url, "0010_accounts")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        names = set(engine.dialect.get_table_names(conn))
        assert "account_links" not in names and "api_tokens" not in names
    migrate.upgrade(fresh_url, "0013_mail_tokens")
    with engine.begin() as conn:
        assert {"account_links", "api_tokens"} <= set(engine.dialect.get_table_names(conn))
        conn.execute(text("INSERT INTO users (email, password_hash, role, active, created_on) "
                          "VALUES ('m@example.fi', '!invited', 'national_admin', true, "
                          "'2026-01-01')"))
        user_id = conn.scalar(text("SELECT id FROM users"))
        insert = text("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                      "VALUES (:u, 'x', :h, 'plt_abcd', '2026-01-01 00:00:00+00')")
        conn.execute(insert, {"u": user_id, "h": "a" * 64})
    with pytest.raises(Exception, match="(?i)unique"), engine.begin() as conn:
        conn.execute(insert, {"u": user_id, "h": "a" * 64})
    migrate.downgrade(fresh_url, "0010_accounts")
    with engine.connect() as conn:
        names = set(engine.dialect.get_table_names(conn))
        assert "account_links" not in names and "api_tokens" not in names
        assert conn.scalar(text("SELECT count(*) FROM users")) == 1
    engine.dispose()


def test_staff_migration_up_and_down(fresh_url):
    """0014_staff adds units, invitations (no rowid on SQLite) and responses.unit_id, and
    removes them again."""
    migrate.upgrade(fresh_url, "0010_accounts")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert "units" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url, "0014_staff")
    with engine.connect() as conn:
        names = engine.dialect.get_table_names(conn)
        assert {"units", "invitations"} <= set(names)
        columns = {c["name"] for c in engine.dialect.get_columns(conn, "responses")}
        assert "unit_id" in columns
        if engine.dialect.name == "sqlite":
            sql = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'invitations'"))
            assert "WITHOUT ROWID" in sql
    migrate.downgrade(fresh_url, "0010_accounts")
    with engine.connect() as conn:
        assert "invitations" not in engine.dialect.get_table_names(conn)
        assert "unit_id" not in {c["name"] for c in engine.dialect.get_columns(conn, "responses")}
    engine.dispose()


def test_invitation_mail_migration_up_and_down(fresh_url):
    """0018_invitation_mail adds the sealed address list of mailed invitations (no address,
    token or invitation column in the clear) and removes it again."""
    migrate.upgrade(fresh_url, "0017_comment_tags")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert "invitation_mails" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url, "0018_invitation_mail")
    with engine.connect() as conn:
        columns = {c["name"] for c in engine.dialect.get_columns(conn, "invitation_mails")}
        assert columns == {"id", "survey_id", "unit_id", "address_key", "sealed", "base_url",
                           "round", "sent_round", "status"}
        keys = engine.dialect.get_foreign_keys(conn, "invitation_mails")
        assert {k["referred_table"] for k in keys} == {"surveys", "units"}
    migrate.downgrade(fresh_url, "0017_comment_tags")
    with engine.connect() as conn:
        assert "invitation_mails" not in engine.dialect.get_table_names(conn)
    engine.dispose()


def test_unit_releases_migration_up_and_down(fresh_url):
    """0020_unit_releases adds the table unit results are served from under releases (one row
    per cut, its figures in `data`) and removes it again."""
    migrate.upgrade(fresh_url, "0019_translator_links")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert "unit_releases" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url, "0020_unit_releases")
    with engine.connect() as conn:
        columns = {c["name"] for c in engine.dialect.get_columns(conn, "unit_releases")}
        assert columns == {"id", "survey_id", "released_at", "data"}
        keys = engine.dialect.get_foreign_keys(conn, "unit_releases")
        assert [(k["referred_table"], k["options"].get("ondelete")) for k in keys] == \
            [("surveys", "CASCADE")]
    migrate.downgrade(fresh_url, "0019_translator_links")
    with engine.connect() as conn:
        assert "unit_releases" not in engine.dialect.get_table_names(conn)
    engine.dispose()


def test_mail_claims_migration_up_and_down(fresh_url):
    """0021_mail_claims adds the time a mail was claimed for sending (kept only while it is
    "sending"), so a mail whose worker died shows as unknown; a row left "sending" before the
    migration has none and counts as unknown at once. Removed again on downgrade."""
    migrate.upgrade(fresh_url, "0020_unit_releases")
    engine = create_engine(fresh_url)

    def columns():
        with engine.connect() as conn:
            return {c["name"]: c for c in engine.dialect.get_columns(conn, "invitation_mails")}

    assert "claimed_at" not in columns()
    migrate.upgrade(fresh_url, "0021_mail_claims")
    assert columns()["claimed_at"]["nullable"] is True
    migrate.downgrade(fresh_url, "0020_unit_releases")
    assert "claimed_at" not in columns()
    engine.dispose()


def test_participation_counts_migration_up_and_down(fresh_url):
    """0022_participation_counts adds the daily counts HR's invitations page shows (per survey,
    day and unit: counts and a hidden flag, no time finer than the day, nothing of a single
    invitation) and removes them again."""
    migrate.upgrade(fresh_url, "0021_mail_claims")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert "participation_counts" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url, "0022_participation_counts")
    with engine.connect() as conn:
        columns = {c["name"]: c for c in engine.dialect.get_columns(conn, "participation_counts")}
        assert set(columns) == {"survey_id", "counted_on", "unit_id", "parent_id", "issued",
                                "spent", "hidden"}
        assert not any("time" in str(c["type"]).lower() for c in columns.values())
        key = engine.dialect.get_pk_constraint(conn, "participation_counts")
        assert key["constrained_columns"] == ["survey_id", "counted_on", "unit_id"]
        keys = engine.dialect.get_foreign_keys(conn, "participation_counts")
        assert sorted((k["referred_table"], k["options"].get("ondelete")) for k in keys) == \
            [("surveys", "CASCADE"), ("units", "CASCADE")]
    migrate.downgrade(fresh_url, "0021_mail_claims")
    with engine.connect() as conn:
        assert "participation_counts" not in engine.dialect.get_table_names(conn)
    engine.dispose()


def test_reminder_requests_migration_up_and_down(fresh_url):
    """0023_reminder_requests adds HR's pending reminder requests (survey, unit or all, kind,
    the day asked: nothing about a recipient) and removes them again."""
    migrate.upgrade(fresh_url, "0022_participation_counts")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        assert "reminder_requests" not in engine.dialect.get_table_names(conn)
    migrate.upgrade(fresh_url, "0023_reminder_requests")
    with engine.connect() as conn:
        columns = {c["name"]: c for c in engine.dialect.get_columns(conn, "reminder_requests")}
        assert set(columns) == {"id", "survey_id", "unit_id", "kind", "requested_on"}
        assert columns["unit_id"]["nullable"] is True
        assert not any("time" in str(c["type"]).lower() for c in columns.values())
        keys = engine.dialect.get_foreign_keys(conn, "reminder_requests")
        assert sorted((k["referred_table"], k["options"].get("ondelete")) for k in keys) == \
            [("surveys", "CASCADE"), ("units", "CASCADE")]
    migrate.downgrade(fresh_url, "0022_participation_counts")
    with engine.connect() as conn:
        assert "reminder_requests" not in engine.dialect.get_table_names(conn)
    engine.dispose()


def test_reminder_resolved_migration_up_and_down(fresh_url):
    """0024_reminder_resolved keeps a resolved reminder request with its night (a date, as
    every column of the table): HR's page says when a unit was last reminded, never how many
    it reached. Down, the resolved requests go (they were deleted before) and the pending
    ones stay."""
    migrate.upgrade(fresh_url, "0023_reminder_requests")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO surveys (id, slug, audience, scope, status, min_group_size, definition, "
            "retention_months, results_stamp, revision) VALUES "
            "(1, 's', 'staff', '17', 'published', 5, '{}', 24, '', 1)"))
        survey = 1
        conn.execute(text("INSERT INTO reminder_requests (survey_id, kind, requested_on) "
                          "VALUES (:s, 'remind', '2026-03-01')"), {"s": survey})
    migrate.upgrade(fresh_url, "0024_reminder_resolved")
    with engine.begin() as conn:
        columns = {c["name"]: c for c in engine.dialect.get_columns(conn, "reminder_requests")}
        assert columns["resolved_on"]["nullable"] is True
        assert "date" in str(columns["resolved_on"]["type"]).lower()
        assert not any("time" in str(c["type"]).lower() for c in columns.values())
        assert conn.scalar(text("SELECT resolved_on FROM reminder_requests")) is None
        conn.execute(text("INSERT INTO reminder_requests (survey_id, kind, requested_on, "
                          "resolved_on) VALUES (:s, 'remind', '2026-03-01', '2026-03-02')"),
                     {"s": survey})
    migrate.downgrade(fresh_url, "0023_reminder_requests")
    with engine.connect() as conn:
        columns = {c["name"] for c in engine.dialect.get_columns(conn, "reminder_requests")}
        assert "resolved_on" not in columns
        assert conn.scalar(text("SELECT count(*) FROM reminder_requests")) == 1
    engine.dispose()


def test_release_seq_migration_up_and_down(fresh_url):
    """0025_release_seq numbers each survey's releases (and unit releases) in the order they
    were cut, then makes the number unique per survey (two cuts at once: the second is
    refused). Down, the number goes and the releases stay."""
    from sqlalchemy.exc import IntegrityError

    migrate.upgrade(fresh_url, "0024_reminder_resolved")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        for survey, slug in ((1, "a"), (2, "b")):
            conn.execute(text(
                "INSERT INTO surveys (id, slug, audience, scope, status, min_group_size, "
                "definition, retention_months, results_stamp, revision) VALUES "
                "(:id, :slug, 'citizen', 'national', 'published', 5, '{}', 24, '', 1)"),
                {"id": survey, "slug": slug})
        for release, survey in ((1, 1), (2, 2), (3, 1), (4, 1), (5, 2)):
            conn.execute(text("INSERT INTO result_releases (id, survey_id, released_at) VALUES "
                              "(:id, :s, '2026-06-01 04:00')"), {"id": release, "s": survey})
            conn.execute(text("INSERT INTO unit_releases (id, survey_id, released_at, data) "
                              "VALUES (:id, :s, '2026-06-01 04:00', '{}')"),
                         {"id": release, "s": survey})
    migrate.upgrade(fresh_url, "0025_release_seq")
    for table in ("result_releases", "unit_releases"):
        with engine.begin() as conn:
            assert conn.execute(text(f"SELECT id, seq FROM {table} ORDER BY id")).all() == [
                (1, 0), (2, 0), (3, 1), (4, 2), (5, 1)]
        data = {"result_releases": ("", ""), "unit_releases": (", data", ", '{}'")}[table]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {table} (survey_id, released_at, seq{data[0]}) "
                              f"VALUES (1, '2026-06-02 04:00', 2{data[1]})"))
    migrate.downgrade(fresh_url, "0024_reminder_resolved")
    with engine.connect() as conn:
        for table in ("result_releases", "unit_releases"):
            columns = {c["name"] for c in engine.dialect.get_columns(conn, table)}
            assert "seq" not in columns
            assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == 5
    engine.dispose()


def test_unit_cut_refusals_migration_up_and_down(fresh_url):
    """0026_unit_cut_refusals: one refusal per survey (written over), gone with its survey;
    down, the table goes and the surveys stay."""
    from sqlalchemy.exc import IntegrityError

    migrate.upgrade(fresh_url, "0025_release_seq")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO surveys (id, slug, audience, scope, status, min_group_size, definition, "
            "retention_months, results_stamp, revision) VALUES "
            "(1, 's', 'staff', '17', 'closed', 5, '{}', 24, 'x', 1)"))
    migrate.upgrade(fresh_url, "0026_unit_cut_refusals")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO unit_cut_refusals (survey_id, data) VALUES (1, :v)"),
                     {"v": '{"stamp": "x", "why": "audit"}'})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO unit_cut_refusals (survey_id, data) VALUES (1, '{}')"))
    migrate.downgrade(fresh_url, "0025_release_seq")
    with engine.connect() as conn:
        assert "unit_cut_refusals" not in engine.dialect.get_table_names(conn)
        assert conn.scalar(text("SELECT slug FROM surveys")) == "s"
    engine.dispose()


def a_staff_survey(conn) -> None:
    """Survey 1, a published staff survey, and unit 7, its organisation (schema of 0026)."""
    conn.execute(text(
        "INSERT INTO surveys (id, slug, audience, scope, status, min_group_size, definition, "
        "retention_months, results_stamp, revision) VALUES "
        "(1, 's', 'staff', '17', 'published', 5, '{}', 24, 'x', 1)"))
    conn.execute(text("INSERT INTO units (id, kind, region_code, code, name_fi, name_sv) "
                      "VALUES (7, 'organisation', '17', 'U', 'Yksikkö', 'Enhet')"))


def a_spent_invitation_at_0026(url: str):
    """The database at 0026 with a staff survey and one invitation spent; its engine."""
    migrate.upgrade(url, "0026_unit_cut_refusals")
    engine = create_engine(url)
    with engine.begin() as conn:
        a_staff_survey(conn)
        conn.execute(text("INSERT INTO invitations (token_hash, survey_id, unit_id, issued_on, "
                          "spent) VALUES (:h, 1, 7, '2026-12-01', true)"), {"h": "a" * 64})
    return engine


def test_spent_marks_migration_up_and_down(fresh_url, monkeypatch):
    """0027_spent_marks: the invitations spent so far become marks under SECRET_KEY, the flag
    goes, and on PostgreSQL no invitation row keeps the transaction id of its spending (each
    is written once more); down, the flags come back from the marks."""
    from surveys.staff.invitations import spent_mark

    monkeypatch.setenv("SECRET_KEY", "the operator's key")
    migrate.upgrade(fresh_url, "0026_unit_cut_refusals")
    engine = create_engine(fresh_url)
    hashes = [f"{i:064x}" for i in range(6)]
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        a_staff_survey(conn)
        conn.execute(text("INSERT INTO invitations (token_hash, survey_id, unit_id, issued_on) "
                          "VALUES (:h, 1, 7, '2026-12-01')"), [{"h": h} for h in hashes])
    for h in hashes[3:5]:  # spent one at a time, as submissions are
        with engine.begin() as conn:
            conn.execute(text("UPDATE invitations SET spent = true WHERE token_hash = :h"),
                         {"h": h})

    def xmins() -> set[str]:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT xmin::text FROM invitations")))

    if postgres:
        assert len(xmins()) == 3
    migrate.upgrade(fresh_url, "0027_spent_marks")
    with engine.connect() as conn:
        assert "spent" not in {c["name"] for c in engine.dialect.get_columns(conn, "invitations")}
        marks = conn.execute(text("SELECT mark, survey_id, unit_id FROM spent_invitations")).all()
        assert sorted(marks) == sorted((spent_mark("the operator's key", h), 1, 7)
                                       for h in hashes[3:5])
        assert conn.scalar(text("SELECT count(*) FROM invitations")) == 6
        if not postgres:
            sql = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'invitations'"))
            assert "WITHOUT ROWID" in sql
    if postgres:
        # Rebuilt: one transaction id, and the rows stored in the order of their hashes (the
        # UPDATEs had put the spent ones apart).
        assert len(xmins()) == 1
        with engine.connect() as conn:
            by_position = list(conn.scalars(text(
                "SELECT token_hash FROM invitations ORDER BY ctid")))
            assert by_position == sorted(hashes)
            keys = engine.dialect.get_foreign_keys(conn, "invitations")
            assert sorted((k["name"], k["options"].get("ondelete")) for k in keys) == [
                ("fk_invitations_survey_id_surveys", "CASCADE"),
                ("fk_invitations_unit_id_units", None)]
            assert engine.dialect.get_pk_constraint(conn, "invitations")["name"] == \
                "pk_invitations"
    migrate.downgrade(fresh_url, "0026_unit_cut_refusals")
    with engine.connect() as conn:
        assert "spent_invitations" not in engine.dialect.get_table_names(conn)
        spent = conn.execute(text("SELECT token_hash FROM invitations WHERE spent")).scalars()
        assert sorted(spent) == hashes[3:5]
    engine.dispose()


def test_palaute_db_upgrade_without_secret_key_changes_nothing(fresh_url, tmp_path):
    """The path a review found: `palaute db upgrade` builds the application first, which writes
    a new development key to the instance folder where SECRET_KEY is missing. On PostgreSQL the
    upgrade must not take that key for the application's."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    engine = a_spent_invitation_at_0026(fresh_url)
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env |= {"DATABASE_URL": fresh_url, "PALAUTE_INSTANCE_DIR": str(tmp_path / "instance")}
    palaute = str(Path(sys.executable).parent / "palaute")  # the installed command
    done = subprocess.run([palaute, "db", "upgrade"], env=env, capture_output=True, text=True,
                          timeout=120)
    with engine.connect() as conn:
        version = conn.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    if fresh_url.startswith("postgresql"):
        assert done.returncode != 0 and "SECRET_KEY" in done.stderr, done.stderr[-2000:]
        assert version == "0026_unit_cut_refusals"
    else:  # development: the instance folder's key is the application's
        assert done.returncode == 0, done.stderr[-2000:]
        assert version != "0026_unit_cut_refusals"


def test_spent_marks_migration_needs_the_applications_key(fresh_url, monkeypatch, tmp_path):
    """Marks under a key the application doesn't have would open every used link again, and
    the flags are dropped: without SECRET_KEY the upgrade is refused before it changes
    anything. On PostgreSQL even where the instance folder keeps a key: `palaute db upgrade`
    writes one there itself when SECRET_KEY is missing. On SQLite (development) that key is
    the application's."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("PALAUTE_INSTANCE_DIR", str(instance))
    postgres = fresh_url.startswith("postgresql")
    if postgres:  # as the CLI leaves it (webapp.factory builds the app, settings.secret())
        instance.mkdir()
        (instance / "secret_key").write_text("made up by the upgrade command")
    engine = a_spent_invitation_at_0026(fresh_url)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        migrate.upgrade(fresh_url, "0027_spent_marks")
    assert postgres or not (instance / "secret_key").exists()  # nor a key made up
    with engine.connect() as conn:
        assert "spent_invitations" not in engine.dialect.get_table_names(conn)
        assert conn.scalar(text("SELECT spent FROM invitations"))
    monkeypatch.setenv("SECRET_KEY", "k")  # with it, the same upgrade goes through
    migrate.upgrade(fresh_url, "0027_spent_marks")
    engine.dispose()


def test_quarantine_purged_migration_up_and_down(fresh_url):
    """0028_quarantine_purged: a survey's count of quarantined responses the purge deleted,
    none before; down, the column goes and the survey stays (SQLite copies the table)."""
    migrate.upgrade(fresh_url, "0027_spent_marks")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        a_staff_survey(conn)
    migrate.upgrade(fresh_url, "0028_quarantine_purged")
    with engine.begin() as conn:
        assert conn.scalar(text("SELECT quarantine_purged FROM surveys")) is None
        conn.execute(text("UPDATE surveys SET quarantine_purged = :v"), {"v": '{"7": 2}'})
    migrate.downgrade(fresh_url, "0027_spent_marks")
    with engine.connect() as conn:
        columns = {c["name"] for c in engine.dialect.get_columns(conn, "surveys")}
        assert "quarantine_purged" not in columns
        assert conn.scalar(text("SELECT slug FROM surveys")) == "s"
    engine.dispose()
