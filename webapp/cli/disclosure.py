"""`palaute disclosure audit SLUG`: the auditor's view of what a survey publishes."""

from __future__ import annotations

import math

import click
from flask.cli import AppGroup

from surveys.definitions import snapshots
from surveys.infra import db
from surveys.report import history, narrowing, releases, units, units_across
from surveys.report.audit import ALL_MONTHS, SIZE, UNION, audit, union_period
from surveys.report.disclosure import publish
from surveys.report.results import audited_publication, survey_table

from ..extensions import settings


@click.group("disclosure", cls=AppGroup)
def group() -> None:
    """Disclosure control of published results."""


def _bound(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:g}"


def _what(figure: tuple[str, str, str, str], rule: str) -> str:
    _place, period, key, measure = figure
    if rule == "unanimous" and key == "*" and period == union_period([units.NO_ANSWER]):
        # A unit's unanimity in a breakdown of one choice: the group is its "no answer"
        # (units.UnitTable._others).
        return ("respondents who gave no answer to the breakdown question (all who did chose "
                "its one value)")
    if rule == "unanimous" and key == "*":
        # A unit's unanimity in a breakdown value: the group is the unit's other values
        # (among those who answered the breakdown question).
        return "respondents who answered outside the one value that holds all who answered"
    if rule == "unanimous":
        return f"n − {measure} of {key}"
    return f"{measure} of {'respondents' if key == '*' else key}"


def _how_solved(result) -> None:
    """Notes on systems not solved as the whole system (a relaxation, or audited alone)."""
    if result.relaxed:
        click.echo("note: on the marginals without the lift to cells (audit.LIFT off) a "
                   f"relaxation for {_systems(result.relaxed)} (docs/privacy.md, \"Months\")")
    if result.uncoupled:
        click.echo("note: audited one question at a time, not coupled with the other "
                   "questions (past the coupling's budget, audit._Joint) for "
                   f"{_systems(result.uncoupled)} (docs/privacy.md, \"Questions read "
                   "together\")")
    if result.joint_on_marginals:
        click.echo("note: the questions were read together through the respondents' "
                   "marginals, not their cells (audit._Joint): a range may be wider than "
                   "an attacker's (docs/privacy.md, \"Not yet\")")


def _print_ranges(result, k: int) -> None:
    for r in result.ranges:
        place, period, _key, _measure = r.figure
        status = "ok" if r.ok(k) else "EXPOSED"
        click.echo(f"{status:8} {place:16} {period:8} {_what(r.figure, r.rule):32} {r.rule:10} "
                   f"[{_bound(r.low)}, {_bound(r.high)}]")
    click.echo(f"{len(result.ranges)} protected figure(s), {len(result.exposed)} exposed, "
               f"{result.programs} linear programs")


@group.command("audit")
@click.argument("slug")
@click.option("--rules-only", is_flag=True,
              help="Audit what the threshold, the differencing heuristic and the attribute rules "
                   "alone would publish, with every county's months: shows what the auditor's "
                   "extra suppression prevents.")
@click.option("--history", "times", type=click.Choice(["all", "recent"]), default="all",
              show_default=True,
              help="Audit the latest release with every earlier time whose figures were ever "
                   "public (all), or only with the times a release cut audits (recent: its "
                   "own and the previous release's, then the newest others within the cut's "
                   "budget).")
def disclosure_audit(slug: str, rules_only: bool, times: str) -> None:
    """Print every protected hidden figure of SLUG's results with its feasible range given
    everything published (linear programs, HiGHS), then any set of cells that the published
    counts pin or narrow (a mixed-integer program per count); exit 1 if any range is narrower
    than its protection rule allows (docs/privacy.md).

    Two audits: the figures today's data give (what the next release takes its new figures
    from), and the latest release as a whole, with the figures of every earlier release (the
    cross-time audit; `--history recent`: only the times a cut audits). For a staff survey,
    also its latest unit release, table by table (each breakdown and the one without), with
    every unit release before it: only the exposed figures are named, without their ranges (a
    unit's range may be a small group's count)."""
    with db.session_scope(settings()) as session:
        survey = snapshots.load(session, slug)
        if survey is None:
            raise click.ClickException(f"no survey {slug!r}")
        full, stamp = survey_table(session, survey)
        table = full
        if rules_only:
            publication = publish(table, county_months=True, audited=False)
        else:
            publication = audited_publication(table)
            table = publication.table  # summed over months when no month is published
        result = audit(table, publication.figures, full_ranges=True)
        k = table.threshold
        mode = ("months published for areas and the country" if publication.monthly
                else "no month published")
        click.echo(f"{slug}: {len(publication.figures)} figures published, "
                   f"{len(publication.months)} month(s) ({mode}), "
                   f"protection interval {k} (min_group_size)")
        _how_solved(result)
        _print_ranges(result, k)
        failed = bool(result.exposed)
        failed |= _print_narrowed(table, publication.figures, publication.reasons)
        if not rules_only:
            failed |= _audit_release(session, survey, full, stamp, times)
            if survey.audience == "staff":
                failed |= _audit_unit_release(session, survey)
    if failed:
        raise click.exceptions.Exit(1)


def _print_narrowed(table, figures, reasons, earlier=None, floors=None) -> bool:
    """Sets of cells whose range the published counts and reasons pin or narrow below the
    size rule, of any shape (surveys.report.narrowing.narrowed_sets: the auditor bounds only
    the groups and the sets listed or found exactly); with `earlier` times' figures (a
    release), also those the counts of every time narrow together (history.
    narrowed_release). True if there are any, or a search could not decide."""
    found, undecided = narrowing.narrowed_everywhere(table, figures, reasons)
    click.echo(f"sets of cells pinned or narrowed by the published counts (the respondents', "
               f"each question's n): {len(found)}")
    _print_sets(found)
    if earlier:
        across, stopped = history.narrowed_release(table, (figures, {}), earlier, floors)
        click.echo(f"sets of cells pinned or narrowed by the counts of this time and the "
                   f"{len(earlier)} earlier time(s) together: {len(across)}")
        _print_sets(across)
        found, undecided = found + across, sorted({*undecided, *stopped})
    if undecided:
        click.echo(f"UNDECIDED the search for such sets stopped at its time limit, or the "
                   f"figures have no solution, for {_systems(undecided)}: not proven")
    return bool(found or undecided)


def _print_sets(found) -> None:
    for s in found:
        cells = ", ".join("/".join(c) for c in s.cells)
        click.echo(f"{'EXPOSED':8} {_what((s.cells[0][0], '', s.key, 'n'), 'size'):32} set "
                   f"of {cells} [{_bound(s.low)}, {_bound(s.high)}]")


def _audit_release(session, survey, table, stamp, times: str = "all") -> bool:
    """The cross-time audit of the latest release; True if it exposes anything."""
    checked = releases.audit_latest(session, survey, table, stamp, times=times)
    if checked is None:
        click.echo("latest release: none yet (nothing is shown outside RESULTS_RELEASE=live)")
        return False
    result = checked.result
    click.echo(f"latest release {checked.release.released_at:%Y-%m-%d %H:%M} UTC, audited "
               f"with {checked.releases - 1} release(s) before it: its own figures and those "
               f"of {checked.times} earlier time(s)")
    if checked.left_out:
        click.echo(f"note: {checked.left_out} earlier time(s) left out, as at a cut (the "
                   f"cut's budget); `--history all` audits every one")
    if not checked.current:
        click.echo("note: the aggregates changed since this release was cut; today's data "
                   "stand in for the data at the cut (cut a release to audit it exactly)")
    if result.months_dropped:
        click.echo("note: with months the system is too large to solve here; months are left "
                   "out of this audit (the release rule protects them per month)")
    if result.months_times is not None:
        click.echo(f"note: with months the cells are too many to solve here; every time is "
                   f"audited without its months, and the months of today and the "
                   f"{result.months_times} newest earlier time(s) on the marginals (areas × "
                   f"months, counties × languages)")
    _how_solved(result)
    if result.contradicted:
        click.echo("note: earlier figures cannot lie under today's data (aggregates rebuilt or "
                   "responses removed?): audited without the earlier times for "
                   + ", ".join(result.contradicted))
    _print_ranges(result, table.threshold)
    # (The figures of the time it was cut, as today's table stands for it.)
    # (A key whose earlier figures lie above today's is searched in today's alone.)
    return bool(result.exposed) | _print_narrowed(
        table, checked.figures, checked.reasons, checked.earlier, checked.floors)


def _systems(keys: list[str]) -> str:
    """The auditor's systems by name, the respondents' first."""
    return ", ".join("the respondents" if k == "*" else k
                     for k in sorted(keys, key=lambda k: (k != "*", k)))


def _audit_unit_release(session, survey) -> bool:
    """The audit of a staff survey's latest unit release, per table; True if it fails. Prints
    which groups and figures fail and the rule, never a figure or a range (docs/privacy.md,
    "Releases of unit figures")."""
    try:
        checked = units.audit_latest(session, survey)
    except units.UnitScopeError as e:
        click.echo(f"latest unit release: not audited ({e})")
        return False
    if checked is None:
        click.echo("latest unit release: none yet (unit figures are shown from the first close "
                   "on, outside RESULTS_RELEASE=live)")
        return False
    click.echo(f"latest unit release {checked.release.released_at:%Y-%m-%d %H:%M} UTC, "
               f"audited with {checked.earlier} release(s) before it, per table against "
               f"today's unit aggregates")
    if checked.page:
        click.echo(f"with HR's participation page as counted on {checked.page:%Y-%m-%d}, "
                   "in its place among them")
    elif checked.page is False:
        click.echo("note: HR's participation page is not read with it (counted over another "
                   "tree, responses in quarantine or purged from it, or counted after the "
                   "release): the cut read it with the unit totals only")
    if checked.unrecorded:
        click.echo(f"FAILS: {checked.unrecorded} earlier release(s) recorded no invitations "
                   "for some unit (changed by hand?); read with today's, looser than HR's "
                   "reading (a cut refuses)")
    if checked.tree_changed:
        click.echo("FAILS: the organisation tree changed since this release was cut; its "
                   "figures are sums over the old tree and cannot be audited against today's")
        return True
    if not checked.current:
        click.echo("note: the unit aggregates changed since this release was cut; today's data "
                   "stand in for the data at the cut")
    if checked.threshold_changed:
        click.echo(f"note: the release was cut under another min_group_size; audited with "
                   f"today's ({survey.min_group_size})")
    if checked.left_out:
        click.echo(f"note: {checked.left_out} stored figure(s) of groups today's tables do not "
                   f"have are left out")
    for breakdown, table in checked.tables.items():
        result = table.result
        status = "passes" if table.passed else "FAILS"
        if result is None:
            summary = ("its figures have no solution under today's counts (altered, or the "
                       "aggregates shrank)")
        else:
            summary = (f"{len(result.ranges)} protected figure(s), {len(result.exposed)} "
                       f"exposed, {result.programs} linear programs")
        if table.shown_small:
            summary += f"; {len(table.shown_small)} figure(s) shown below the threshold"
        click.echo(f"table {breakdown:14} {status:7} {summary}")
        if result is not None and result.contradicted:
            click.echo("FAILS: an earlier time's figures cannot lie under today's data "
                       "(responses quarantined since?): audited without them for "
                       + ", ".join(result.contradicted) + " (a cut refuses)")
        if result is not None and result.truth_outside:
            click.echo("FAILS: today's data are no solution of the figures (counts fell, or "
                       "the stored figures were altered) for " + ", ".join(result.truth_outside)
                       + " (a cut refuses)")
        for figure, rule in table.exposed:
            place, period, _key, _measure = figure
            click.echo(f"{'EXPOSED':8} {place:16} {period:8} {_what(figure, rule):32} {rule}")
        if table.narrowed:
            click.echo(f"table {breakdown:14} FAILS   {len(table.narrowed)} set(s) of cells "
                       "pinned or narrowed by its figures and reasons")
        if table.undecided:
            click.echo(f"table {breakdown:14} FAILS   the search for sets of cells it pins or "
                       f"narrows could not decide for {', '.join(table.undecided)}")
        for s in table.narrowed:
            # The cells by unit and value, the count and the rule: never a range.
            cells = ", ".join(unit if value == units.WHOLE else f"{unit}/{_named(value)}"
                              for unit, value in s.cells)
            click.echo(f"{'EXPOSED':8} {cells:16} {'set':8} "
                       f"{_what((s.cells[0][0], '', s.key, 'n'), 'size'):32} size")
    _print_across(checked.across, len(checked.tables) - 1)
    _print_pinned(checked.pinned)
    return not checked.passed


def _print_pinned(pinned) -> None:
    """The program over the unit totals (surveys.report.units.pinned_by_invitations): the
    units whose respondents the shown totals, the earlier releases' and HR's page pin with
    the invitations issued, by code, never a range."""
    if pinned is None:
        click.echo("unit totals with the invitations: FAILS: an earlier time's counts (a "
                   "release's, HR's page's) cannot lie under today's (a cut refuses)")
        return
    click.echo(f"unit totals with the invitations: {'FAILS' if pinned else 'passes'}, "
               f"{len(pinned)} unit(s) pinned")
    for code in pinned:
        click.echo(f"{'EXPOSED':8} {code:16} {'*':8} {'n of respondents':32} invitations")


def _print_across(across, breakdowns: int) -> None:
    """The breakdowns read against each other (surveys.report.units_across): which groups
    they narrow and the rule, never a range."""
    if breakdowns < 2:
        click.echo(f"breakdowns read together: {breakdowns} breakdown(s), nothing to read "
                   "together")
        return
    if across is None:
        click.echo("breakdowns read together: FAILS: not read (the stored figures have no "
                   "solution together, or the solver failed)")
        return
    sets = sum(g.rule == SIZE and "@" in g.value for g in across)
    undecided = sum(g.rule == units_across.UNDECIDED for g in across)
    click.echo(f"breakdowns read together: {'FAILS' if across else 'passes'}, "
               f"{len(across) - sets - undecided} group(s) narrowed"
               + (f", {sets} set(s) of cells narrowed" if sets else "")
               + (f", {undecided} view(s) not decided" if undecided else ""))
    for g in across:
        if g.rule == units_across.UNDECIDED:
            click.echo(f"{'UNPROVEN':8} {'':16} {g.breakdown:14} {'':16} the search for sets "
                       "of cells read together did not decide")
            continue
        click.echo(f"{'EXPOSED':8} {_named(g.place):16} {g.breakdown:14} {_named(g.value):16} "
                   f"{g.rule}")


def _named(part: str) -> str:
    """A unit, value or pair of values as the audit prints it: a set (audit.UNION) as its
    members joined by "+", no answer (an empty value, "-" in a set) as "(no answer)"."""
    if part == ALL_MONTHS:
        return "total"
    if part.startswith(UNION):
        return "+".join(_named(p if p != "-" else "") for p in part[len(UNION):].split("+"))
    return "×".join(v or "(no answer)" for v in part.split("×"))
