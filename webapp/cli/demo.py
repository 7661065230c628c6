"""`palaute demo`: the demonstration surveys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from surveys.definitions import demo
from surveys.infra import db

from ..extensions import settings


@click.group("demo", cls=AppGroup)
def group() -> None:
    """Demonstration data."""


@group.command("seed")
def demo_seed() -> None:
    """Import and publish the demo surveys (idempotent)."""
    with db.session_scope(settings()) as session:
        for slug, created in demo.seed(session):
            click.echo(f"{'seeded' if created else 'kept'} {slug}")
