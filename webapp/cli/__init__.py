"""`palaute`: the Flask CLI of the app, one module per command group.

Every command runs inside the app's context (Flask's AppGroup), so it reads the same Settings
the app was built with (webapp.extensions.settings) and owns its transaction
(surveys.infra.db.session_scope).
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from ..factory import create_app
from . import (
    aggregates,
    database,
    demo,
    disclosure,
    results,
    retention,
    serve,
    staff,
    surveys,
    translations,
    users,
)


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Palaute: survey and feedback platform for the wellbeing services counties."""


for _module in (database, surveys, demo, aggregates, disclosure, results, retention, translations,
                users):
    main.add_command(_module.group)
main.add_command(serve.serve)
# staff surveys (issue 12)
main.add_command(staff.units_group)
main.add_command(staff.invitations_group)

__all__ = ["main"]
