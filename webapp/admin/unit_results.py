"""HR's results of a staff survey by unit: the organisation's units with their respondents and
response rates, and one unit's figures, whole or per value of a breakdown question, as the API
serves them (surveys.report.units.unit_results: the latest unit release, cut when the survey
closes; as folded only under `live`). Every figure is the audited one, hidden where the
release hides it; the only ones worked out here are shares of those who answered, from
published counts (no confidence intervals: a unit's respondents are not a sample). Behind the
policy's "view_results" of the survey, as the API's unit results are."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, g, render_template, request
from flask_babel import gettext as _

from surveys.definitions import format as defs
from surveys.definitions import snapshots
from surveys.fold.units import breakdowns
from surveys.report import units as unit_report

from .. import results  # the results page's own tables and spreadsheets
from ..extensions import get_db, settings
from .access import requires
from .blueprints import bp


@bp.get("/surveys/<slug>/units")
@requires("view_results", "survey")
def survey_unit_results(slug: str):
    survey = g.admin_object
    title = defs.localized(survey.definition["title"], g.lang)
    if survey.audience != "staff":
        return _unavailable(survey, title, _("Results by unit are for staff surveys."))
    if survey.status in ("draft", "scheduled"):
        return _unavailable(survey, title, _(
            "The survey has not been opened for answers yet, so it has no results."))
    db = get_db()
    snapshot = snapshots.get(db, slug, 0.0)
    mode = settings().results_release
    breakdown = request.args.get("breakdown") or None
    try:
        doc, tree = unit_report.unit_page(db, snapshot, request.args.get("unit") or None,
                                          breakdown, g.lang, mode)
    except unit_report.NoOrganisation:
        return _unavailable(survey, title, _(
            "The survey's organisation has not been imported, so it has no results by unit."))
    except unit_report.UnitScopeError:
        abort(404)  # a unit or breakdown the survey does not have
    unit = doc["unit"]
    # The unit as a whole, then each value of the breakdown (none while its values are
    # withheld: every one would be hidden).
    columns = [{**doc, "scope": {"name": _("All respondents") if breakdown else unit["name"]}}]
    block = doc.get("breakdown")
    if block and not block["values_withheld"]:
        columns += [{**v, "scope": {"name": v["label"]}} for v in block["values"]]
    split_by = breakdowns(snapshot.definition)

    def shown(q: dict) -> bool:
        # (A breakdown question's own figures are its values' respondents: the table of
        # respondents shows them, by that breakdown. Free text: only in the comments.)
        return q["type"] != "text" and q["id"] not in split_by

    if request.args.get("format") in ("csv", "xlsx") and doc["published"]:
        return _download(snapshot, doc, columns, request.args["format"], shown)
    reported = defs.reported_questions(snapshot.definition)
    questions = [results.question_view(q, columns, snapshot.definition)
                 for q in reported if shown(q)]
    for question in questions:
        # A unit's respondents are (nearly) all of its people and a value's are some of the
        # unit's, not samples: the public page's confidence intervals and its test of a
        # difference between independent groups do not apply. Shares of those who answered are
        # the only figures worked out here, from published ones.
        question["notes"], question["headline"] = [], ""
        question["means"] = [None] * len(columns)
        question["estimates"] = [None] * len(columns)
    choices = [(q["id"], defs.localized(q["text"], g.lang)) for q in reported
               if q["id"] in split_by]
    return render_template(
        "admin_unit_results.html", item=snapshot, survey=snapshot, title=title, tree=tree,
        published=doc["published"], live=unit_report.published(snapshot, mode),
        release=doc.get("release"), unit=unit, doc=doc, columns=columns, questions=questions,
        breakdowns=choices, breakdown=breakdown, block=block)


def _download(survey, doc: dict, columns: list[dict], fmt: str,
              shown: Callable[[dict], bool]) -> Response:
    """The figures the page shows, with each question's n, as a spreadsheet (as the public
    results' exports: a hidden figure is an empty cell). Each row names its unit, and its
    breakdown value where the page shows values; a withheld breakdown is said on the sheet
    about the data. Not cached anywhere: `no-store`."""
    name = doc["unit"]["name"]
    documents = [{**col, "scope": {"name": name if i == 0 else f"{name}: {col['scope']['name']}"}}
                 for i, col in enumerate(columns)]
    block = doc.get("breakdown")
    notes = []
    if block and block["values_withheld"]:
        notes = [(_("Show the figures by"), _(
            "The figures by “%(question)s” are not shown: its groups are so small that "
            "showing them would hide the units' own results (groups smaller than %(n)s are "
            "never shown).", question=block["text"], n=survey.min_group_size)
            if block["reason"] == "unit_totals" else _(
            "The figures by “%(question)s” are not shown: read together with the survey's "
            "other breakdowns, they could reveal a group smaller than %(n)s.",
            question=block["text"], n=survey.min_group_size))]
    sheet = results.sheet_of(survey, documents, _("Unit"), licence=False, notes=notes,
                             shown=shown)
    filename = f"{survey.slug}-{doc['unit']['code']}"
    if block is not None:
        filename += f"-{block['question']}"
    resp = results.download(sheet, filename, fmt)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _unavailable(survey, title: str, message: str):
    return render_template("admin_unit_results.html", item=survey, survey=survey, title=title,
                           unavailable=message)
