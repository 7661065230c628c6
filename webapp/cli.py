"""`palaute`: the Flask CLI of the app, with Palaute's own command groups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup

from surveys import aggregation, config, db, demo, migrate, retention, service
from surveys.definition import DefinitionError

from .app import create_app


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Palaute: survey and feedback platform for the wellbeing services counties."""


# --- database ---------------------------------------------------------------------------------
@main.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    migrate.upgrade(revision=revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step)."""
    migrate.downgrade(revision=revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Create a migration script from the difference between models and database."""
    from alembic import command

    command.revision(migrate.alembic_config(), message=message, autogenerate=autogenerate)


# --- surveys ----------------------------------------------------------------------------------
@main.group("surveys")
def surveys_group() -> None:
    """Survey definitions."""


@surveys_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def surveys_import(file) -> None:
    """Validate a YAML survey definition FILE and store it as a draft (or update a draft)."""
    try:
        text = file.read()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file.name}: not UTF-8 text ({exc.reason})") from exc
    try:
        with db.session_scope() as session:
            survey, created = service.import_survey(session, text)
            slug, status = survey.slug, survey.status
    except DefinitionError as exc:
        for path, message in exc.errors:
            click.echo(f"{file.name}: {path}: {message}", err=True)
        raise click.exceptions.Exit(1) from exc
    click.echo(f"{'created' if created else 'updated'} survey {slug} ({status})")


@surveys_group.command("publish")
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
        with db.session_scope() as session:
            survey = service.publish(session, slug, override_reason)
            override = survey.language_rights_override if override_reason else None
    except service.PublishError as exc:
        raise click.ClickException(str(exc)) from exc
    if override:
        missing = sorted({lang for v in override["violations"] for lang in v["missing"]})
        click.echo(f"language rights overridden ({', '.join(missing)} missing): "
                   f"{override['reason']} [recorded {override['on']}]", err=True)
    click.echo(f"published {slug}")


@surveys_group.command("export-po")
@click.argument("slug")
@click.argument("lang", type=click.Choice(config.LANGUAGES))
def surveys_export_po(slug: str, lang: str) -> None:
    """Write the texts of survey SLUG as a PO file for translating into LANG (to stdout)."""
    from surveys.content_po import export_po

    with db.session_scope() as session:
        survey = service.get_survey(session, slug)
        if survey is None:
            raise click.ClickException(f"no survey {slug!r}")
        data = export_po(survey.definition, lang, slug)
    click.echo(data.decode("utf-8"), nl=False)


@surveys_group.command("import-po")
@click.argument("slug")
@click.argument("file", type=click.File("rb"))
def surveys_import_po(slug: str, file) -> None:
    """Merge the translations in PO FILE into survey SLUG (language from the PO header).

    Nothing is written if any entry is unknown or breaks a placeholder."""
    from surveys.content_po import PoImportError, read

    try:
        catalog = read(file)
        with db.session_scope() as session:
            lang, changed = service.import_po(session, slug, catalog)
    except PoImportError as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        click.echo("nothing imported", err=True)
        raise click.exceptions.Exit(1) from exc
    click.echo(f"imported {changed} text(s) in {lang} into {slug}")


@surveys_group.command("close")
@click.argument("slug")
def surveys_close(slug: str) -> None:
    """Stop accepting answers to survey SLUG (results stay available)."""
    try:
        with db.session_scope() as session:
            survey = service.close(session, slug)
            expiry = retention.expires_on(survey.closed_on, survey.retention_months)
    except service.PublishError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"closed {slug}; raw responses will be deleted on {expiry}")


# --- demo -------------------------------------------------------------------------------------
@main.group("demo")
def demo_group() -> None:
    """Demonstration data."""


@demo_group.command("seed")
def demo_seed() -> None:
    """Import and publish the demo surveys (idempotent)."""
    with db.session_scope() as session:
        for slug, created in demo.seed(session):
            click.echo(f"{'seeded' if created else 'kept'} {slug}")


# --- aggregates -------------------------------------------------------------------------------
@main.group("aggregates")
def aggregates_group() -> None:
    """Aggregated results."""


def _survey_ids(session, slug: str | None) -> list[int]:
    """Surveys whose raw responses still exist (after a retention purge the aggregates are all
    that is left, so there is nothing to recount them from)."""
    from sqlalchemy import select

    from surveys.models import Survey

    if slug is None:
        return list(session.scalars(select(Survey.id).where(
            Survey.responses_purged_on.is_(None))))
    survey = service.get_survey(session, slug)
    if survey is None:
        raise click.ClickException(f"no survey {slug!r}")
    if survey.responses_purged_on is not None:
        raise click.ClickException(
            f"raw responses of {slug!r} were deleted on {survey.responses_purged_on} "
            "(retention period over); its aggregates can't be recounted or rebuilt")
    return [survey.id]


@aggregates_group.command("rebuild")
@click.argument("slug", required=False)
def aggregates_rebuild(slug: str | None) -> None:
    """Recompute aggregates of SLUG (default: all surveys) from stored responses."""
    from sqlalchemy import func, select

    from surveys.models import Response

    with db.session_scope() as session:
        ids = _survey_ids(session, slug)
        total = session.scalar(
            select(func.count()).select_from(Response).where(Response.survey_id.in_(ids))
        )
        with click.progressbar(length=total or 0, label="Recounting responses") as bar:
            done = aggregation.rebuild(session, ids, progress=bar.update)
    click.echo(f"rebuilt aggregates from {done} responses")


@aggregates_group.command("verify")
@click.argument("slug", required=False)
def aggregates_verify(slug: str | None) -> None:
    """Compare aggregates with a recount of raw responses; exit 1 on any difference."""
    with db.session_scope() as session:
        ids = _survey_ids(session, slug)
        expected = aggregation.recount(session, ids)
        stored = aggregation.stored_counts(session, ids)
        expected_totals = aggregation.totals_of(expected)
        stored_totals = aggregation.stored_totals(session, ids)
    diffs = [(k, stored[k], expected[k]) for k in sorted(set(expected) | set(stored))
             if expected[k] != stored[k]]
    # The totals table must equal the recount summed over months and languages.
    diffs += [(k, stored_totals[k], expected_totals[k])
              for k in sorted(set(expected_totals) | set(stored_totals))
              if expected_totals[k] != stored_totals[k]]
    for key, got, want in diffs[:50]:
        click.echo(f"{key}: stored {got}, recount {want}", err=True)
    if diffs:
        raise click.ClickException(f"{len(diffs)} aggregate(s) differ from the recount")
    click.echo(f"aggregates match the recount ({sum(expected.values())} counts)")


# --- retention --------------------------------------------------------------------------------
@main.group("retention")
def retention_group() -> None:
    """Deletion of raw responses past their survey's retention period."""


@retention_group.command("purge")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this date (YYYY-MM-DD).")
def retention_purge(today) -> None:
    """Delete raw responses (and free text) past retention now; aggregates are kept."""
    from datetime import date

    day = today.date() if today else date.today()
    deleted = retention.purge_expired(db.new_session, day)
    for slug, n in sorted(deleted.items()):
        click.echo(f"{slug}: deleted {n} raw responses")
    click.echo(f"retention purge done ({sum(deleted.values())} responses deleted)")


# --- translations -----------------------------------------------------------------------------
@main.group("translations")
def translations_group() -> None:
    """Interface translations (gettext catalogs in translations/)."""


def _pybabel(*args: str) -> None:
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), *args], check=True, cwd=config.PROJECT_ROOT)


@translations_group.command("extract")
def translations_extract() -> None:
    """Extract strings into translations/messages.pot and update every catalog."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "lazy_gettext", "--no-location",
             "--project", "Palaute", "--version", "0.1.0",
             "--sort-output", "-o", "translations/messages.pot", ".")
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations",
             "--no-fuzzy-matching", "--ignore-obsolete")


@translations_group.command("status")
def translations_status() -> None:
    """Per language: strings translated, drafts awaiting native review, and missing."""
    from surveys import catalogs

    click.echo(f"{'language':<9} {'translated':>10} {'draft':>6} {'missing':>8}  catalog")
    for st in catalogs.status():
        click.echo(f"{st.lang:<9} {st.translated:>10} {st.draft:>6} {st.missing:>8}  {st.review}")


@translations_group.command("compile")
def translations_compile() -> None:
    """Compile the catalogs to .mo files."""
    _pybabel("compile", "-d", "translations", "--use-fuzzy", "--statistics")


# --- running everything -----------------------------------------------------------------------
@main.command("serve")
@click.option("--procfile", default=str(config.PROJECT_ROOT / "Procfile"), show_default=True)
def serve(procfile: str) -> None:
    """Start web, worker and cron (the Procfile) with honcho; Redis embedded if REDIS_URL unset."""
    from surveys.embedded_redis import EmbeddedRedis

    env = dict(os.environ)
    embedded = None
    if not env.get("REDIS_URL"):
        embedded = EmbeddedRedis()
        env["REDIS_URL"] = embedded.start()
        click.echo(f"embedded Redis at {env['REDIS_URL']}")
    env.setdefault("DATABASE_URL", config.database_url())
    env.setdefault("PORT", "5000")
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    click.echo(f"Palaute on http://127.0.0.1:{env['PORT']}/")
    honcho = subprocess.Popen([sys.executable, "-m", "honcho", "-f", procfile,
                               "-d", str(config.PROJECT_ROOT), "start"], env=env)

    def forward(signum, _frame):
        # A supervisor's SIGTERM to this process alone must still stop every process honcho runs.
        honcho.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = honcho.wait()
    finally:
        if embedded:
            embedded.stop()
    raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
