"""JSON API, version 1."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from surveys.config import LANGUAGES
from surveys.models import Survey
from surveys.results import monthly_results, survey_results

from .app import get_db, visible_survey
from .scopes import ScopeError, resolve

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _scoped(slug: str, build):
    survey = visible_survey(slug)
    lang = request.args.get("lang", "fi")
    if lang not in LANGUAGES:
        return jsonify({"error": "Bad Request", "detail": f"unknown language {lang!r}"}), 400
    try:
        codes, scope = resolve(get_db(), request.args.get("region") or None,
                               request.args.get("area") or None, lang)
    except ScopeError as exc:
        return jsonify({"error": "Bad Request", "detail": str(exc)}), 400
    resp = jsonify(build(get_db(), survey, codes, scope, lang))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/surveys")
def surveys():
    """Published and closed surveys, optionally for one strategic goal (?goal=1..12)."""
    goal = request.args.get("goal", type=int)
    stmt = select(Survey).where(Survey.status != "draft").order_by(Survey.slug)
    listed = []
    for s in get_db().scalars(stmt):
        d = s.definition
        if goal is not None and goal not in d.get("goals", []):
            continue
        listed.append({"slug": s.slug, "status": s.status, "audience": s.audience,
                       "scope": s.scope, "languages": d["languages"], "goals": d.get("goals", []),
                       "title": d["title"], "min_group_size": s.min_group_size})
    return jsonify({"surveys": listed})


@bp.get("/surveys/<slug>/results")
def results(slug: str):
    return _scoped(slug, survey_results)


@bp.get("/surveys/<slug>/results.csv")
def results_csv(slug: str):
    """The same figures as /results, one row per figure, for spreadsheets."""
    resp = _scoped(slug, survey_results)
    if isinstance(resp, tuple):  # an error answer
        return resp
    doc = resp.get_json()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["survey", "scope", "scope_code", "question", "type", "measure", "value"])
    head = [doc["survey"], doc["scope"]["level"], doc["scope"]["code"]]
    # Suppressed figures are written as empty cells, never as numbers.
    writer.writerow([*head, "", "", "respondents", _cell(doc["respondents"])])
    for qid, q in doc["questions"].items():
        writer.writerow([*head, qid, q["type"], "n", _cell(q["n"])])
        for option, count in (q["counts"] or {}).items():
            writer.writerow([*head, qid, q["type"], f"count:{option}", count])
        for measure in ("mean", "nps"):
            if q[measure] is not None:
                writer.writerow([*head, qid, q["type"], measure, q[measure]])
    csv_resp = Response(out.getvalue(), mimetype="text/csv")
    csv_resp.headers["Content-Disposition"] = (
        f'attachment; filename="{doc["survey"]}-{doc["scope"]["code"]}.csv"')
    csv_resp.headers["Cache-Control"] = "no-store"
    return csv_resp


def _cell(value):
    return "" if value is None else value


@bp.get("/surveys/<slug>/results/monthly")
def monthly(slug: str):
    return _scoped(slug, monthly_results)
