"""Regions' results pages: a county beside its collaboration area and the whole country."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext

from surveys.definitions import lookup
from surveys.definitions.format import (
    is_earlier_version,
    localized,
    reported_questions,
    shown_version,
)
from surveys.infra import clock, export_status
from surveys.reference.regions import all_regions, name_in
from surveys.report import bulk_export, exports, releases, statistics
from surveys.report.published import monthly_results, survey_results, versions
from surveys.report.results import result_options
from surveys.report.scopes import ScopeError, resolve

from . import charts, results_cache
from .extensions import get_db, get_redis, settings, today, visible_survey
from .i18n import LANGUAGE_NAMES

bp = Blueprint("results", __name__)


def _columns(survey, region: str | None) -> list[dict]:
    """The county (if one is chosen), its collaboration area and the country; 404 for an
    unknown county."""
    db = get_db()
    mode = settings().results_release
    try:
        scope = resolve(db, region, None, g.lang)
        columns = [survey_results(db, survey, scope, g.lang, mode)]
        if region:
            area = resolve(db, None, scope.area, g.lang)
            columns.append(survey_results(db, survey, area, g.lang, mode))
            country = resolve(db, None, None, g.lang)
            columns.append(survey_results(db, survey, country, g.lang, mode))
    except ScopeError:
        abort(404)
    return columns


def _numeric(counts: dict[str, int] | None) -> dict[float, int] | None:
    """Counts keyed by number, if every option is a number (scales, not bands or choices) and
    every count is published: an interval is computed only from figures a reader sees, never
    from a withheld one (docs/privacy.md)."""
    if not counts or any(v is None for v in counts.values()):
        return None
    try:
        return {float(k): v for k, v in counts.items()}
    except ValueError:
        return None


def _headline(qtype: str, figures: dict) -> tuple[str, statistics.Estimate | None]:
    """The figure a question is summed up by, with its interval: NPS for 0–10, the share of
    the top two answers for a five-point scale, the mean for a number."""
    if figures["suppressed"]:
        return "", None
    counts = _numeric(figures.get("counts"))
    if qtype == "nps" and counts:
        return "nps", statistics.nps({int(k): v for k, v in counts.items()})
    if qtype == "likert5" and counts:
        return "top_two", statistics.top_two({int(k): v for k, v in counts.items()})
    if qtype == "number" and counts:
        return "mean", statistics.mean(counts)
    return "", None


def question_view(q: dict, columns: list[dict], definition: dict) -> dict:
    """A question's rows (options × places), intervals, a chart and notes on noise."""
    options = result_options(q, g.lang)
    rows = []
    first = next((c["questions"][q["id"]]["counts"] for c in columns
                  if c["questions"][q["id"]]["counts"]), None) or {}
    labels = {o.value: o.label for o in options}
    # The options the figures carry, in the survey's order (numbers as numbers).
    values = [o.value for o in options if o.value in first] or list(first)
    for value in values:
        cells = []
        for col in columns:
            f = col["questions"][q["id"]]
            count = (f["counts"] or {}).get(value) if not f["suppressed"] else None
            share = count / f["n"] if count is not None and f["n"] else None
            cells.append({"count": count, "share": share})
        rows.append({"label": labels.get(value, value), "cells": cells})
    kinds = []
    estimates = []
    for col in columns:
        kind, est = _headline(q["type"], col["questions"][q["id"]])
        kinds.append(kind)
        estimates.append(est)
    kind = next((k for k in kinds if k), "")
    mean_cis = [statistics.mean(_numeric(col["questions"][q["id"]]["counts"]) or {})
                if not col["questions"][q["id"]]["suppressed"]
                and q["type"] in ("nps", "likert5", "number") else None for col in columns]
    notes = []
    if len(columns) > 1 and estimates[0] is not None:
        for other, est in zip(columns[1:], estimates[1:], strict=True):
            noise = statistics.within_noise(estimates[0], est)
            if noise is not None:
                notes.append({"other": other["scope"]["name"], "within_noise": noise})
    return {"id": q["id"], "type": q["type"], "text": localized(q["text"], g.lang),
            "rows": rows, "headline": kind, "estimates": estimates, "means": mean_cis,
            "notes": notes, "version": shown_version(definition, q),
            "earlier": is_earlier_version(definition, q)}


def _languages(columns: list[dict], questions: list[dict]) -> list[dict]:
    """The language breakdown: per respondents' language, each place's respondents, and per
    scale question its mean (five-point) or NPS (0–10), as the audited publication gives them
    (a language group below the threshold, or hidden to protect one, keeps its reason)."""
    codes = list(columns[0].get("languages") or {})
    rows = []
    for code in codes:
        groups = [(col.get("languages") or {}).get(code) or
                  {"respondents": None, "suppressed": True, "questions": {}} for col in columns]
        figures = []
        for q in questions:
            if q["type"] not in ("likert5", "nps"):
                continue
            measure = "nps" if q["type"] == "nps" else "mean"
            cells = []
            for group in groups:
                f = group["questions"].get(q["id"]) or {"suppressed": True}
                cells.append({"value": f.get(measure), "suppressed": f.get("suppressed", True),
                              "reason": f.get("reason") if f.get("suppressed")
                              else None})
            figures.append({"question": q["text"], "measure": measure, "cells": cells})
        rows.append({"code": code, "name": LANGUAGE_NAMES.get(code, code), "groups": groups,
                     "figures": figures})
    return rows


def _chart(question: dict, columns: list[dict]):
    kind = question["headline"]
    if not kind:
        return None
    scale = {"nps": (-100.0, 100.0, 1.0), "top_two": (0.0, 100.0, 100.0)}
    names = {"nps": gettext("Net Promoter Score"),
             "top_two": gettext("Share of the two most positive answers"),
             "mean": gettext("Mean")}
    if kind == "mean":
        shown = [e for e in question["estimates"] if e is not None]
        low, high, factor = 0.0, max((e.high for e in shown), default=1.0) * 1.1, 1.0
    else:
        low, high, factor = scale[kind]
    items = []
    for col, est in zip(columns, question["estimates"], strict=True):
        if est is None:
            items.append(charts.Bar(col["scope"]["name"], None))
            continue
        items.append(charts.Bar(col["scope"]["name"], est.value * factor, est.low * factor,
                                est.high * factor, f"{est.value * factor:.1f}"))
    description = gettext("%(figure)s with its 95%% confidence interval for each area; the "
                          "same figures are in the table below.", figure=names[kind])
    return charts.bars(f"{question['text']}: {names[kind]}", description, items, high, low,
                       hidden_text=gettext("hidden"))


def _trend(survey, region: str | None):
    """Respondents per month for the chosen place, its area and the country."""
    db = get_db()
    mode = settings().results_release
    scopes = [resolve(db, region, None, g.lang)]
    if region:
        scopes += [resolve(db, None, scopes[0].area, g.lang), resolve(db, None, None, g.lang)]
    docs = [monthly_results(db, survey, s, g.lang, mode) for s in scopes]
    months = sorted({m["month"] for d in docs for m in d["months"]})
    table = []
    for month in months:
        table.append({"month": month, "cells": [
            next((m["respondents"] for m in d["months"] if m["month"] == month), 0)
            for d in docs]})
    if not months:
        return None, [], docs
    series = [charts.Series(d["scope"]["name"], [row["cells"][i] for row in table])
              for i, d in enumerate(docs)]
    top = max([v for s in series for v in s.points if v is not None] or [1])
    chart = charts.lines(gettext("Respondents by month"),
                         gettext("Respondents each month for each area; hidden months break "
                                 "the line. The same figures are in the table below."),
                         months, series, float(top))
    return chart, table, docs


@bp.get("/<lang>/results/<slug>")
def page(slug: str):
    survey = visible_survey(slug)
    return results_cache.public([survey], lambda: _page(survey))


def render_page(survey, public: bool = True):
    """The results page of `survey` (a snapshot); `public` False: for the admin side (an
    archived survey's results, no links to the public exports)."""
    return _page(survey, public)


def _pace(survey) -> dict:
    """When the released figures may next change (surveys.report.pacing), for the page's
    readers: `final` once every release time is used, else `from` (the counties' date) while
    that is still ahead. A page cached with its release stays true: times pass only towards
    "may change", and a release that uses one makes a new page."""
    moment = clock.now()
    times = releases.pace(get_db(), survey, moment.replace(tzinfo=None))
    if times.next_at is None:
        return {"final": True, "from": None}
    ahead = times.next_at > moment.replace(tzinfo=None)
    return {"final": False,
            "from": clock.today(times.next_at.replace(tzinfo=UTC)) if ahead else None}


def _page(survey, public: bool = True):
    db = get_db()
    national = survey.scope == "national"
    # A county's own survey opens on that county, and offers no other.
    region = request.args.get("region") or (None if national else survey.scope)
    if not national and region != survey.scope:
        abort(404)
    mode = settings().results_release
    columns = _columns(survey, region)
    questions = [question_view(q, columns, survey.definition)
                 for q in reported_questions(survey.definition)
                 if q["type"] != "text"]
    for question in questions:
        question["chart"] = _chart(question, columns)
    trend_chart, trend_rows, trend_docs = _trend(survey, region)
    pace = _pace(survey) if mode != "live" and columns[0].get("release") else None
    if national:
        regions = sorted(((r.code, name_in(r, g.lang)) for r in all_regions(db)),
                         key=lambda p: p[1])
    else:
        regions = [(r.code, name_in(r, g.lang)) for r in all_regions(db)
                   if r.code == survey.scope]
    return render_template("results.html", survey=survey, columns=columns, questions=questions,
                           languages=_languages(columns, questions), release_mode=mode,
                           pace=pace,
                           regions=regions, region=region, national=national,
                           trend_chart=trend_chart, trend_rows=trend_rows,
                           trend_names=[d["scope"]["name"] for d in trend_docs],
                           title=localized(survey.definition["title"], g.lang), public=public)


def sheet_of(survey, columns: list[dict], place_header: str, *, licence: bool = True,
             notes: list[tuple[str, str]] | None = None,
             shown: Callable[[dict], bool] | None = None) -> exports.Sheet:
    """The figures of `columns` (results documents, each named by its `scope.name`) as a
    spreadsheet with a sheet about the data: the public results' exports, and HR's results by
    unit (`place_header` "Unit", no open licence, `notes` on the data, only `shown` questions)."""
    headers = [place_header, gettext("Question"), gettext("Answer"), gettext("Count"),
               gettext("Share (%)"), gettext("Answered (n)"), gettext("Mean"),
               gettext("Net Promoter Score")]
    rows = exports.rows(survey.definition, columns, g.lang,
                        {"respondents": gettext("Respondents"), "version": gettext("version")},
                        shown)
    release = columns[0].get("release")
    as_of = (clock.day_of(release["released_at"]) if release else today()).isoformat()
    about = [
        (gettext("Survey"), localized(survey.definition["title"], g.lang)),
        (gettext("Figures as of"), as_of),
        (gettext("Smallest group shown"), str(survey.min_group_size)),
        *(notes or []),
        (gettext("Empty cells"), gettext("Hidden to protect anonymity: a group below the "
                                         "threshold, or one that could be worked out from "
                                         "other figures.")),
        *([(gettext("Licence"), exports.LICENCE)] if licence else []),
        (gettext("Source"), gettext("Palaute, the feedback service of Finland's wellbeing "
                                    "services counties")),
    ]
    return exports.Sheet(headers, rows, about)


def download(sheet: exports.Sheet, name: str, fmt: str) -> Response:
    """`sheet` as a CSV that Finnish and Swedish Excel open as a table, or as an XLSX workbook
    with its sheet about the data, named `name`.`fmt`."""
    if fmt == "csv":
        resp = Response(exports.to_csv(sheet, g.lang), mimetype="text/csv")
    else:
        data = exports.to_xlsx(sheet, {"data": gettext("Results"), "about": gettext("About")})
        resp = Response(data, mimetype="application/vnd.openxmlformats-officedocument."
                                        "spreadsheetml.sheet")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


def _sheet(survey) -> tuple[exports.Sheet, str]:
    region = request.args.get("region") or None
    sheet = sheet_of(survey, _columns(survey, region), gettext("Area"))
    return sheet, f"{survey.slug}-{region or 'FI'}"


@bp.get("/<lang>/results/<slug>/export.csv")
def export_csv(slug: str):
    """The figures of the results page as CSV that Finnish and Swedish Excel open as a table."""
    survey = visible_survey(slug)
    return results_cache.public([survey], lambda: download(*_sheet(survey), "csv"))


@bp.get("/<lang>/results/<slug>/export.xlsx")
def export_xlsx(slug: str):
    """The figures of the results page as an Excel workbook, with a sheet about the data."""
    survey = visible_survey(slug)
    return results_cache.public([survey], lambda: download(*_sheet(survey), "xlsx"))


# --- the large export: every survey × place × month, made by a worker --------------------------
_MEDIA = {"csv": "text/csv",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/<lang>/results/export-all.<fmt>")
def export_all(fmt: str):
    """Start (or find) the export of every survey's published figures in this language, then
    show its progress. The same figures asked for again are the same export (its id is made of
    them), so asking twice starts one job."""
    if fmt not in bulk_export.FORMATS:
        abort(404)
    db = get_db()
    surveys = lookup.listing(db)
    found = versions(db, surveys, settings().results_release)
    export_id = bulk_export.export_id(fmt, g.lang, {s.slug: f"{s.fingerprint}:{found[s.id]}"
                                                    for s in surveys})
    export_status.start(get_redis(), export_id, fmt, g.lang)
    return redirect(url_for("results.export_progress", export_id=export_id), 303)


def _export(export_id: str) -> dict[str, str]:
    status = export_status.get(get_redis(), export_id) if bulk_export.valid_id(export_id) \
        else None
    if status is None:
        abort(404)
    return status


@bp.get("/<lang>/results/exports/<export_id>")
def export_progress(export_id: str):
    """The export's progress; the page reloads itself every few seconds until the file is
    ready (no JavaScript), then offers it."""
    status = _export(export_id)
    resp = Response(render_template(
        "export_progress.html", status=status, export_id=export_id,
        percent=int(status.get("percent", "0")), title=gettext("Export of all results")))
    resp.headers["Cache-Control"] = "no-store"  # it changes as the job runs
    return resp


@bp.get("/<lang>/results/exports/<export_id>/download")
def export_download(export_id: str):
    status = _export(export_id)
    fmt = status.get("format", "")
    path = bulk_export.path_of(settings().exports_path, export_id, fmt)
    if status.get("state") != "done" or fmt not in _MEDIA or not bulk_export.fresh(path):
        abort(404)
    return send_file(path, mimetype=_MEDIA[fmt], as_attachment=True,
                     download_name=f"palaute-results-{status.get('lang', 'fi')}.{fmt}")
