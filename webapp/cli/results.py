"""`palaute results`: cut a results release now (what the schedule does hourly or daily)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from redis import exceptions as redis_exc

from surveys.definitions import lookup
from surveys.definitions.snapshots import SurveySnapshot
from surveys.infra import db, queue
from surveys.report import releases, units

from ..extensions import settings


def queue_cut(survey: SurveySnapshot, now: datetime, what: str) -> None:
    """Queue `survey`'s cut (workers.jobs.cut_survey_releases with `what`, one of
    queue.CUT_WHAT) for the release worker, and say so, or why not."""
    # In the job id: never the hourly job's, nor that of a run a moment earlier (RQ keeps a
    # finished job for a day).
    stamp = f"{now:%Y-%m-%dT%H-%M-%S-%f}-cli"
    label = "unit figures' release" if what == queue.CUT_UNITS else "release"
    try:
        job = queue.enqueue_release(queue.connect(queue.redis_url(settings())), survey.id,
                                    stamp, what=what)
    except (redis_exc.RedisError, OSError) as exc:
        raise click.ClickException(f"{survey.slug}: the {label} could not be queued (Redis "
                                   "unreachable); run without --enqueue to cut here") from exc
    if job is None:
        click.echo(f"{survey.slug}: {label} not queued: a release job of this survey waiting "
                   "to run will cut it")
    else:
        # A waiting job this one replaced may have cut more (its release and the unit
        # figures'): this one then cuts what either would, and says so.
        label = "unit figures' release" if queue.what_of(job) == queue.CUT_UNITS else "release"
        if job.dependency_ids:
            click.echo(f"{survey.slug}: {label} queued for the release worker, to run when the "
                       f"job of this survey now running has ended (job {job.id})")
        else:
            click.echo(f"{survey.slug}: {label} queued for the release worker (job {job.id})")


@click.group("results", cls=AppGroup)
def group() -> None:
    """Results releases (docs/privacy.md)."""


@group.command("release")
@click.argument("slug", required=False)
@click.option("--enqueue", is_flag=True,
              help="Queue each survey's cut for the release worker instead of cutting here "
                   "(an audit can take many CPU minutes).")
def release(slug: str | None, enqueue: bool) -> None:
    """Cut a release of SLUG (default: every open or closed survey) now, e.g. at its close.

    A county's figures change only if enough respondents joined it since they last changed,
    and a survey's figures only as often as its release times allow (surveys.report.pacing).
    A closed staff survey's unit figures are released too (surveys.report.units.cut): they
    change only if every unit, own part and breakdown value gained nobody or enough people.

    With --enqueue the same cuts are queued, one job per survey, for the release worker
    (workers.jobs.cut_survey_releases); the worker's log says what each did."""
    now = datetime.now(UTC).replace(tzinfo=None)
    if enqueue and settings().results_release == "live":
        raise click.ClickException("RESULTS_RELEASE is live: the release worker cuts nothing "
                                   "(run without --enqueue to cut here)")
    with db.session_scope(settings()) as session:
        if slug is None:
            targets = lookup.listing(session)
        else:
            survey = lookup.visible(session, slug)
            if survey is None:
                raise click.ClickException(f"no open or closed survey {slug!r}")
            targets = [survey]
        if enqueue:
            for survey in targets:
                queue_cut(survey, now, queue.CUT_NOW)
            return
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
