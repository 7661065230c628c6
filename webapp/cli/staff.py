"""`palaute units` (a county's organisation tree from CSV) and `palaute invitations` (one-time
anonymous links to a staff survey, as a CSV file or mailed to a list of addresses, and
reminders). Every change is in the audit log (via "cli")."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from redis import exceptions as redis_exc
from sqlalchemy.orm import Session

from surveys.accounts import audit
from surveys.definitions import lookup
from surveys.infra import db, queue
from surveys.models import Region
from surveys.staff import invitations, mailing, units

from ..extensions import settings


def _audit(session: Session, action: str, kind: str, object_id: str) -> None:
    audit.record(session, action=action, at=datetime.now(UTC), via="cli", object_kind=kind,
                 object_id=object_id)


@click.group("units", cls=AppGroup)
def units_group() -> None:
    """Organisations and their units (staff surveys)."""


@units_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--region", "region", required=True, help="the county's code, e.g. 06")
def units_import(file, region: str) -> None:
    """Import (or re-import) a county's organisation tree from a CSV FILE with the columns
    code,parent_code,name_fi,name_sv,headcount. Nothing is stored if any row is bad."""
    data = file.read()
    try:
        with db.session_scope(settings()) as session:
            if session.get(Region, region) is None:
                raise click.ClickException(f"unknown region: {region}")
            summary = units.import_file(session, region, data)
            _audit(session, "units.import", "region", region)
    except units.UnitsFileError as exc:
        for problem in exc.problems:
            click.echo(f"{file.name}: {units.describe(problem)}", err=True)
        click.echo(f"{file.name}: {len(exc.problems)} problem(s); nothing stored", err=True)
        raise click.exceptions.Exit(1) from exc
    click.echo(f"units of {region}: {len(summary.added)} added, {len(summary.updated)} "
               f"updated, {len(summary.deleted)} deleted, {len(summary.retired)} retired")
    for code in summary.retired:
        click.echo(f"retired (kept: referred to by answers or invitations): {code}")


@units_group.command("list")
@click.option("--region", "region", required=True)
def units_list(region: str) -> None:
    """Show a county's organisation tree with headcounts."""
    with db.session_scope(settings()) as session:
        for root in units.organisations(session):
            if root.region_code != region:
                continue
            for depth, unit in units.tree(session, root):
                retired = f" (retired {unit.retired_on})" if unit.retired_on else ""
                click.echo(f"{'  ' * depth}{unit.code}  {unit.name_fi}  "
                           f"{unit.headcount}{retired}")


@click.group("invitations", cls=AppGroup)
def invitations_group() -> None:
    """One-time anonymous invitations to staff surveys."""


@invitations_group.command("create")
@click.argument("slug")
@click.option("--unit", "unit_code", required=True, help="the unit's code")
@click.option("--count", type=click.IntRange(1, invitations.MAX_COUNT), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="CSV file for the links (the only copy of the tokens)")
@click.option("--lang", default=None, help="language of the links (default: the survey's "
              "first language)")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def invitations_create(slug: str, unit_code: str, count: int, out: str, lang: str | None,
                       base_url: str) -> None:
    """Create COUNT one-time invitations to survey SLUG for one unit; write their links to
    OUT. Only the tokens' hashes are stored: keep OUT safe and delete it once sent."""
    with db.session_scope(settings()) as session:
        survey = lookup.find(session, slug)
        if survey is None:
            raise click.ClickException(f"no survey {slug}")
        lang = lang or survey.definition["languages"][0]
        if lang not in survey.definition["languages"]:
            raise click.ClickException(f"survey {slug} is not in {lang}")
        try:
            tokens = invitations.create(session, survey, unit_code, count)
        except invitations.InvitationError as exc:
            raise click.ClickException(
                invitations.ERROR_TEXTS[exc.code].format(value=exc.value)) from exc
        _audit(session, "invitations.create", "survey", f"{slug}:{unit_code}:{count}")
        with open(out, "w", newline="", encoding="utf-8") as fh:
            fh.write(invitations.links_csv(base_url, lang, unit_code, tokens))
    click.echo(f"{count} invitation(s) to {slug} for unit {unit_code} written to {out}")


def _enqueue_mail(survey_id: int) -> None:
    try:
        queue.enqueue_invitation_mail(queue.connect(queue.redis_url(settings())), survey_id)
    except (redis_exc.RedisError, OSError):
        click.echo("the mail job could not be queued now (Redis unreachable); the periodic "
                   "sweep sends the mails when it is back", err=True)


def _survey_or_fail(session: Session, slug: str):
    survey = lookup.find(session, slug)
    if survey is None:
        raise click.ClickException(f"no survey {slug}")
    return survey


@invitations_group.command("send")
@click.argument("slug")
@click.option("--unit", "unit_code", required=True, help="the unit's code")
@click.option("--addresses", "file", type=click.File("rb"), required=True,
              help="text or CSV file, one e-mail address per line")
@click.option("--base-url", default=None,
              help="address of Palaute for the links (default: PUBLIC_URL, else "
                   "http://127.0.0.1:5000)")
def invitations_send(slug: str, unit_code: str, file, base_url: str | None) -> None:
    """Invite each address of FILE to survey SLUG for one unit: an invitation of its own,
    mailed with its link by a worker. Nothing is stored if any line is bad; addresses already
    invited to the survey are not invited again."""
    data = file.read()
    try:
        parsed = mailing.parse_addresses(data)
    except mailing.AddressListError as exc:
        for problem in exc.problems:
            click.echo(f"{file.name}: {mailing.describe(problem)}", err=True)
        click.echo(f"{file.name}: {len(exc.problems)} problem(s); no one invited", err=True)
        raise click.exceptions.Exit(1) from exc
    config = settings()
    with db.session_scope(config) as session:
        survey = _survey_or_fail(session, slug)
        try:
            added = mailing.add(session, survey, unit_code, parsed, config.secret(),
                                base_url or config.public_url or "http://127.0.0.1:5000")
        except invitations.InvitationError as exc:
            raise click.ClickException(
                invitations.ERROR_TEXTS[exc.code].format(value=exc.value)) from exc
        _audit(session, "invitations.mail", "survey", f"{slug}:{unit_code}:{added.added}")
        survey_id = survey.id
    if added.added:
        _enqueue_mail(survey_id)
    click.echo(f"{added.added} invitation(s) to {slug} for unit {unit_code} queued for "
               f"mailing; {added.merged} repeated line(s) merged; {added.already} address(es) "
               "already invited")


@invitations_group.command("remind")
@click.argument("slug")
@click.option("--unit", "unit_code", default=None,
              help="only this unit and its sub-units (default: all)")
def invitations_remind(slug: str, unit_code: str | None) -> None:
    """Request a reminder, with the same link, to everyone invited by e-mail to survey SLUG
    whose invitation has not been used: it goes out after the night's count of respondents, to
    those who have not answered by then (docs/privacy.md, "Invitations by e-mail")."""
    config = settings()
    with db.session_scope(config) as session:
        survey = _survey_or_fail(session, slug)
        try:
            new = mailing.remind(session, survey, unit_code)
        except invitations.InvitationError as exc:
            raise click.ClickException(
                invitations.ERROR_TEXTS[exc.code].format(value=exc.value)) from exc
        _audit(session, "invitations.remind", "survey", f"{slug}:{unit_code or '*'}")
    click.echo(f"reminder of {slug} {'requested' if new else 'already requested'}: it goes out "
               "after the night's count, to the invitations not used by then")
