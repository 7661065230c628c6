"""`palaute results`: cut a results release now (what the schedule does hourly or daily)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from surveys.definitions import lookup
from surveys.infra import db
from surveys.report import releases, units

from ..extensions import settings


@click.group("results", cls=AppGroup)
def group() -> None:
    """Results releases (docs/privacy.md)."""


@group.command("release")
@click.argument("slug", required=False)
def release(slug: str | None) -> None:
    """Cut a release of SLUG (default: every open or closed survey) now, e.g. at its close.

    A county's figures change only if enough respondents joined it since they last changed,
    and a survey's figures only as often as its release times allow (surveys.report.pacing).
    A closed staff survey's unit figures are released too (surveys.report.units.cut): they
    change only if every unit, own part and breakdown value gained nobody or enough people."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.session_scope(settings()) as session:
        if slug is None:
            targets = lookup.listing(session)
        else:
            survey = lookup.visible(session, slug)
            if survey is None:
                raise click.ClickException(f"no open or closed survey {slug!r}")
            targets = [survey]
        for survey in targets:
            cut = releases.cut(session, survey, now)
            # Why nothing changed: pacing, or the release rule (only asked when it matters).
            times = releases.pace(session, survey, now) if cut is None else None
            if times is not None and not times.allowed and times.next_at is None:
                used = (f"all {times.times} release times of this survey are used"
                        if times.used <= times.times else
                        f"{times.used} release times are used, more than the {times.times} "
                        "this survey may have")
                click.echo(f"{survey.slug}: figures stay as released: {used} (docs/privacy.md, "
                           "\"How often figures may change\")")
            elif times is not None and not times.allowed:
                click.echo(f"{survey.slug}: figures may next change from "
                           f"{times.next_at:%Y-%m-%d %H:%M} UTC ({times.used} of {times.times} "
                           "release times used)")
            elif cut is None:
                click.echo(f"{survey.slug}: no figure may change yet; the last release stands")
            else:
                click.echo(f"{survey.slug}: released at {cut.released_at:%Y-%m-%d %H:%M} UTC")
            if survey.audience == "staff" and units.releasable(survey):
                try:
                    unit_cut = units.cut(session, survey, now)
                except units.UnitScopeError as exc:
                    click.echo(f"{survey.slug}: unit figures: {exc}")
                    continue
                used = units.releases_used(session, survey) if unit_cut is None else None
                if used is not None:
                    click.echo(f"{survey.slug}: unit figures stay as released: all {used} unit "
                               "releases of this survey are used (docs/privacy.md, \"Releases "
                               "of unit figures\")")
                elif unit_cut is None:
                    click.echo(f"{survey.slug}: unit figures: no figure may change yet; the "
                               "last release stands")
                else:
                    click.echo(f"{survey.slug}: unit figures released at "
                               f"{unit_cut.released_at:%Y-%m-%d %H:%M} UTC")
