"""Migrations upgrade on PostgreSQL and SQLite, downgrade cleanly, and match the models."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text

from surveys import config, migrate
from surveys.models import Base, Region


def _fresh_postgres_url() -> tuple[str, str]:
    base = config.database_url()
    name = f"palaute_mig_{uuid.uuid4().hex[:8]}"
    return base.rsplit("/", 1)[0] + f"/{name}", name


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mig.db'}"
        return
    if not config.database_url().startswith("postgresql"):
        pytest.skip("PostgreSQL migrations run in CI, where DATABASE_URL points to PostgreSQL")
    url, name = _fresh_postgres_url()
    admin = create_engine(config.database_url(), isolation_level="AUTOCOMMIT")
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
