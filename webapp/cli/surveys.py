"""`palaute surveys`: import, publish, close, and survey texts as PO files."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from surveys.accounts import audit
from surveys.definitions import lifecycle, lookup
from surveys.definitions.content_po import PoImportError, export_po, read
from surveys.definitions.format import DefinitionError, missing_texts
from surveys.fold import retention
from surveys.infra import db, queue
from surveys.languages import LANGUAGES
from surveys.reference.regions import all_regions
from surveys.report import units as unit_report

from ..extensions import settings
from . import results as results_cli


def _audit(session: Session, action: str, slug: str) -> None:
    """Every change made from the command line is in the audit log (via "cli")."""
    audit.record(session, action=action, at=datetime.now(UTC), via="cli", object_kind="survey",
                 object_id=slug)


@click.group("surveys", cls=AppGroup)
def group() -> None:
    """Survey definitions."""


@group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def surveys_import(file) -> None:
    """Validate a YAML survey definition FILE and store it as a draft (or update a draft)."""
    try:
        text = file.read()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file.name}: not UTF-8 text ({exc.reason})") from exc
    try:
        with db.session_scope(settings()) as session:
            survey, created = lifecycle.import_survey(session, text)
            slug, status, definition = survey.slug, survey.status, survey.definition
            county = lifecycle.county_facts(session, survey.scope) \
                if survey.scope != "national" else None
            _audit(session, "surveys.import", slug)
    except DefinitionError as exc:
        for path, message in exc.errors:
            click.echo(f"{file.name}: {path}: {message}", err=True)
        click.echo(f"{file.name}: {len(exc.errors)} problem(s); nothing stored", err=True)
        raise click.exceptions.Exit(1) from exc
    where = f"for {county.name} ({county.code})" if county else "national"
    click.echo(f"{'created' if created else 'updated'} survey {slug} ({status}, {where})")
    # Found now, not only at publish: texts a declared language still lacks.
    for lang in definition["languages"]:
        missing = missing_texts(definition, lang)
        if missing:
            click.echo(f"{file.name}: warning: {lang}: texts missing at {', '.join(missing)}; "
                       "the survey can't be published until they are added", err=True)


@group.command("list")
def surveys_list() -> None:
    """Every survey: slug, status, audience, scope, languages and its strategic goals."""
    with db.session_scope(settings()) as session:
        surveys = lookup.listing(session, statuses=None)
        names = {r.code: r.name_fi for r in all_regions(session)}
    if not surveys:
        click.echo("no surveys yet (palaute surveys import FILE)")
        return
    click.echo(f"{'slug':<34} {'status':<10} {'audience':<9} {'languages':<20} scope / goals")
    for s in surveys:
        scope = "national" if s.scope == "national" else f"{names.get(s.scope, s.scope)} " \
                                                          f"({s.scope})"
        goals = ",".join(str(g) for g in s.definition.get("goals", [])) or "-"
        click.echo(f"{s.slug:<34} {s.status:<10} {s.audience:<9} "
                   f"{' '.join(s.definition['languages']):<20} {scope} / goals {goals}")


@group.command("publish")
@click.argument("slug")
@click.option("--override-language-rights", "override_reason", metavar="REASON",
              help="Publish despite a language-rights violation (e.g. a pilot). The reason and "
                   "the date are recorded on the survey and shown on its admin page.")
def surveys_publish(slug: str, override_reason: str | None) -> None:
    """Open survey SLUG for answers, after checking that its texts are complete and that it
    respects language rights (Language Act 423/2003, Sámi Language Act 1086/2003)."""
    if override_reason is not None and not override_reason.strip():
        raise click.BadParameter("give a reason", param_hint="--override-language-rights")
    try:
        with db.session_scope(settings()) as session:
            survey = lifecycle.publish(session, slug, override_reason)
            override = survey.language_rights_override if override_reason else None
            status, opens_on, closes_on = survey.status, survey.opens_on, survey.closes_on
            _audit(session, "surveys.publish_override" if override else "surveys.publish", slug)
    except lifecycle.PublishError as exc:
        raise click.ClickException(str(exc)) from exc
    if override:
        missing = sorted({lang for v in override["violations"] for lang in v["missing"]})
        click.echo(f"language rights overridden ({', '.join(missing)} missing): "
                   f"{override['reason']} [recorded {override['on']}]", err=True)
    if status == "scheduled":
        click.echo(f"scheduled {slug}: opens on {opens_on.isoformat()}, closes on "
                   f"{closes_on.isoformat()}")
    else:
        click.echo(f"published {slug} (closes on {closes_on.isoformat()})")


@group.command("export-po")
@click.argument("slug")
@click.argument("lang", type=click.Choice(LANGUAGES))
def surveys_export_po(slug: str, lang: str) -> None:
    """Write the texts of survey SLUG as a PO file for translating into LANG (to stdout)."""
    with db.session_scope(settings()) as session:
        survey = lookup.find(session, slug)
        if survey is None:
            raise click.ClickException(f"no survey {slug!r}")
        data = export_po(survey.definition, lang, slug)
    click.echo(data.decode("utf-8"), nl=False)


@group.command("import-po")
@click.argument("slug")
@click.argument("file", type=click.File("rb"))
def surveys_import_po(slug: str, file) -> None:
    """Merge the translations in PO FILE into survey SLUG (language from the PO header).

    Nothing is written if any entry is unknown or breaks a placeholder."""
    try:
        catalog = read(file)
        with db.session_scope(settings()) as session:
            lang, changed = lifecycle.import_po(session, slug, catalog)
            _audit(session, "surveys.import_po", slug)
    except PoImportError as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        click.echo("nothing imported", err=True)
        raise click.exceptions.Exit(1) from exc
    click.echo(f"imported {changed} text(s) in {lang} into {slug}")


@group.command("close")
@click.argument("slug")
@click.option("--enqueue", is_flag=True,
              help="Queue a staff survey's unit release for the release worker instead of "
                   "cutting it here (its audit can take many CPU minutes).")
def surveys_close(slug: str, enqueue: bool) -> None:
    """Stop accepting answers to survey SLUG (results stay available).

    A staff survey's unit figures are released now (under RESULTS_RELEASE daily or hourly):
    surveys.report.units.cut; with --enqueue by the release worker (the survey is closed
    here either way, and the hourly job would queue the release too)."""
    released = None
    mode = settings().results_release
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with db.session_scope(settings()) as session:
            survey = lifecycle.close(session, slug)
            expiry = retention.expires_on(survey.closed_on, survey.retention_months)
            _audit(session, "surveys.close", slug)
            session.flush()
            snapshot = lookup.visible(session, slug)
            if snapshot is not None and not enqueue:
                released = unit_report.cut_if_closed(session, snapshot, now, mode)
    except lifecycle.PublishError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"closed {slug}; raw responses will be deleted on {expiry}")
    if released is not None:
        click.echo(f"{slug}: unit figures released at {released.released_at:%Y-%m-%d %H:%M} UTC")
    if enqueue and snapshot is not None and mode != "live" and unit_report.releasable(snapshot):
        # After the close is committed: the job reads the survey as closed.
        results_cli.queue_cut(snapshot, now, queue.CUT_UNITS)
