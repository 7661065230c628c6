"""`palaute aggregates`: rebuild and verify the aggregates against the raw responses, and list
or requeue the responses the fold quarantined."""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup

from surveys.definitions import lookup
from surveys.fold import aggregation, quarantine
from surveys.fold import units as unit_fold
from surveys.infra import db, queue

from ..extensions import settings


@click.group("aggregates", cls=AppGroup)
def group() -> None:
    """Aggregated results."""


def _survey_ids(session, slug: str | None) -> list[int]:
    """Surveys whose raw responses still exist (after a retention purge the aggregates are all
    that is left, so there is nothing to recount them from)."""
    if slug is None:
        return aggregation.rebuildable_ids(session)
    survey = lookup.find(session, slug)
    if survey is None:
        raise click.ClickException(f"no survey {slug!r}")
    if survey.responses_purged_on is not None:
        raise click.ClickException(
            f"raw responses of {slug!r} were deleted on {survey.responses_purged_on} "
            "(retention period over); its aggregates can't be recounted or rebuilt")
    return [survey.id]


@group.command("rebuild")
@click.argument("slug", required=False)
def aggregates_rebuild(slug: str | None) -> None:
    """Recompute aggregates of SLUG (default: all surveys) from stored responses."""
    with db.session_scope(settings()) as session:
        ids = _survey_ids(session, slug)
        total = aggregation.stored_count(session, ids)
        with click.progressbar(length=total or 0, label="Recounting responses") as bar:
            done = aggregation.rebuild(session, ids, progress=bar.update)
    click.echo(f"rebuilt aggregates from {done} responses")


@group.command("verify")
@click.argument("slug", required=False)
def aggregates_verify(slug: str | None) -> None:
    """Compare aggregates with a recount of raw responses; exit 1 on any difference."""
    with db.session_scope(settings()) as session:
        ids = _survey_ids(session, slug)
        quarantined = quarantine.counts_by_survey(session, ids)
        try:
            expected = aggregation.recount(session, ids)
            expected_units = aggregation.recount_units(session, ids)
        except quarantine.Unfoldable as exc:
            raise click.ClickException(
                f"a folded response can't be recounted ({exc}): `palaute aggregates rebuild` "
                "recounts and quarantines it") from None
        stored = aggregation.stored_counts(session, ids)
        expected_totals = aggregation.totals_of(expected)
        stored_totals = aggregation.stored_totals(session, ids)
        stored_units = unit_fold.stored(session, ids)
    diffs = [(k, stored[k], expected[k]) for k in sorted(set(expected) | set(stored))
             if expected[k] != stored[k]]
    # The totals table must equal the recount summed over months and languages.
    diffs += [(k, stored_totals[k], expected_totals[k])
              for k in sorted(set(expected_totals) | set(stored_totals))
              if expected_totals[k] != stored_totals[k]]
    # Staff surveys: the unit aggregates too (surveys.fold.units).
    diffs += [(k, stored_units[k], expected_units[k])
              for k in sorted(set(expected_units) | set(stored_units))
              if expected_units[k] != stored_units[k]]
    for key, got, want in diffs[:50]:
        click.echo(f"{key}: stored {got}, recount {want}", err=True)
    for name, n in quarantined.items():
        click.echo(f"{name}: {n} response(s) quarantined, not counted", err=True)
    if diffs:
        raise click.ClickException(f"{len(diffs)} aggregate(s) differ from the recount")
    if quarantined:
        raise click.ClickException(
            f"{sum(quarantined.values())} response(s) quarantined: the fold could not count "
            "them. See `palaute aggregates quarantine`; fix each cause, then requeue with "
            "`palaute aggregates quarantine --requeue ID` (or `--all`)")
    click.echo(f"aggregates match the recount ({sum(expected.values())} counts, "
               f"{sum(expected_units.values())} unit counts)")


@group.command("quarantine")
@click.argument("slug", required=False)
@click.option("--requeue", "requeue_ids", multiple=True, metavar="ID",
              help="move this quarantined response back to the outbox (repeatable)")
@click.option("--all", "requeue_all", is_flag=True,
              help="move every quarantined response (of SLUG, if given) back to the outbox")
def aggregates_quarantine(slug: str | None, requeue_ids: tuple[str, ...],
                          requeue_all: bool) -> None:
    """List the responses the fold could not count (of SLUG, default all), or requeue them
    once their cause is fixed: they are folded again, once."""
    if requeue_ids and requeue_all:
        raise click.UsageError("give --requeue ID or --all, not both")
    try:
        wanted = [uuid.UUID(i) for i in requeue_ids]
    except ValueError as exc:
        raise click.BadParameter("not a response id", param_hint="--requeue") from exc
    with db.session_scope(settings()) as session:
        if slug is not None and lookup.find(session, slug) is None:
            raise click.ClickException(f"no survey {slug!r}")
        entries = quarantine.listing(session, slug)
        if not (requeue_ids or requeue_all):
            for e in entries:
                click.echo(f"{e.response_id}  {e.survey}  {e.quarantined_on}  "
                           f"{e.error_type}: {e.error}")
            click.echo(f"{len(entries)} response(s) quarantined")
            return
        known = {e.response_id for e in entries}
        unknown = [str(i) for i in wanted if i not in known]
        if unknown:
            raise click.ClickException(f"not quarantined: {', '.join(unknown)}")
        moved = quarantine.requeue(session, wanted or sorted(known, key=str))
    click.echo(f"requeued {moved} response(s): the next fold counts them")
    try:
        queue.enqueue_fold(queue.connect(queue.redis_url(settings())))
    except Exception as exc:  # noqa: BLE001 - the outbox sweep folds them anyway
        click.echo(f"fold not scheduled ({type(exc).__name__}): the outbox sweep will", err=True)
