"""JSON API, version 1."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from surveys import service
from surveys.results import survey_results

from .app import get_db
from .scopes import ScopeError, resolve

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/surveys/<slug>/results")
def results(slug: str):
    db = get_db()
    survey = service.get_survey(db, slug)
    if survey is None or survey.status == "draft":
        abort(404)
    lang = request.args.get("lang", "fi")
    try:
        codes, scope = resolve(db, request.args.get("region") or None,
                               request.args.get("area") or None, lang)
    except ScopeError as exc:
        return jsonify({"error": "Bad Request", "detail": str(exc)}), 400
    resp = jsonify(survey_results(db, survey, codes, scope, lang))
    resp.headers["Cache-Control"] = "no-store"
    return resp
