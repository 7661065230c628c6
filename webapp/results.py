"""Regions' results pages: a county beside its collaboration area and the whole country."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from surveys.definition import localized, options_for
from surveys.regions import all_regions, name_in
from surveys.results import survey_results

from .app import get_db, visible_survey
from .scopes import ScopeError, resolve

bp = Blueprint("results", __name__)


@bp.get("/<lang>/results/<slug>")
def page(slug: str):
    db = get_db()
    survey = visible_survey(slug)
    region = request.args.get("region") or None
    try:
        columns = []
        codes, scope = resolve(db, region, None, g.lang)
        columns.append(survey_results(db, survey, codes, scope, g.lang))
        if region:
            a_codes, a_scope = resolve(db, None, scope["area"], g.lang)
            columns.append(survey_results(db, survey, a_codes, a_scope, g.lang))
            c_codes, c_scope = resolve(db, None, None, g.lang)
            columns.append(survey_results(db, survey, c_codes, c_scope, g.lang))
    except ScopeError:
        abort(404)
    questions = [
        {"id": q["id"], "type": q["type"], "text": localized(q["text"], g.lang),
         "options": options_for(q, g.lang)}
        for q in survey.definition["questions"]
    ]
    regions = sorted(((r.code, name_in(r, g.lang)) for r in all_regions(db)), key=lambda p: p[1])
    return render_template("results.html", survey=survey, columns=columns, questions=questions,
                           regions=regions, region=region,
                           title=localized(survey.definition["title"], g.lang))
