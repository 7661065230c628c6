"""`palaute db`: schema migrations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from surveys.infra import migrate

from ..extensions import settings


@click.group("db", cls=AppGroup)
def group() -> None:
    """Database schema migrations (Alembic)."""


@group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    migrate.upgrade(settings().database_url, revision=revision)
    click.echo(f"database at {revision}")


@group.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step)."""
    migrate.downgrade(settings().database_url, revision=revision)


@group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Create a migration script from the difference between models and database."""
    from alembic import command

    command.revision(migrate.alembic_config(settings().database_url), message=message,
                     autogenerate=autogenerate)
