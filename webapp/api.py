"""JSON API, version 1."""

from __future__ import annotations

import csv
import io
import re
from functools import wraps

from flask import Blueprint, Response, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from surveys.accounts import audit, policy, tokens, users
from surveys.definitions import lookup
from surveys.definitions.format import missing_texts
from surveys.languages import LANGUAGES
from surveys.report import open_data
from surveys.report import units as unit_report
from surveys.report.published import monthly_results, survey_results
from surveys.report.scopes import ScopeError, resolve

from . import results_cache
from .errors import DB_UNAVAILABLE, http_error, json_error, log_unavailable, with_retry_after
from .extensions import get_db, now, settings, visible_survey

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Public without sign-in: aggregated, suppressed results of published and closed surveys.
# An endpoint not listed here must carry a policy (webapp.admin.access.requires): the access
# matrix test walks the route table and fails on one that has neither.
PUBLIC = frozenset({"api.surveys", "api.results", "api.results_csv", "api.monthly",
                    "api.open_data_catalogue",
                    "openapi.openapi_json", "openapi.docs"})


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return http_error(exc)


def _unavailable(exc: Exception):
    log_unavailable(exc)
    return with_retry_after(json_error("Service Unavailable", "database unavailable", 503))


for _error in DB_UNAVAILABLE:
    bp.register_error_handler(_error, _unavailable)


def _document(survey, build):
    """The results document for the request's scope, or an error answer."""
    lang = request.args.get("lang", "fi")
    if lang not in LANGUAGES:
        return jsonify({"error": "Bad Request", "detail": f"unknown language {lang!r}"}), 400
    try:
        scope = resolve(get_db(), request.args.get("region") or None,
                        request.args.get("area") or None, lang)
    except ScopeError as exc:
        return jsonify({"error": "Bad Request", "detail": str(exc)}), 400
    return build(get_db(), survey, scope, lang, settings().results_release)


MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


Filters = tuple[str | None, str | None, str | None]  # respondents' language, from, to


def _filters() -> tuple[Filters | None, str | None]:
    """The optional filters: respondents' `language`, months `from` … `to` (YYYY-MM, both
    included); or None and what is wrong with them."""
    language = request.args.get("language") or None
    if language is not None and language not in LANGUAGES:
        return None, f"unknown respondents' language {language!r}"
    months = []
    for name in ("from", "to"):
        value = request.args.get(name) or None
        if value is not None and not MONTH.fullmatch(value):
            return None, f"{name} must be a month as YYYY-MM"
        months.append(value)
    return (language, months[0], months[1]), None


def _filtered(doc: dict, language: str | None, first: str | None, last: str | None) -> dict:
    """The document with only that respondents' language in its breakdown and only the months
    in the range: fewer of the same published figures, never another figure."""
    if language is not None and "languages" in doc:
        doc = {**doc, "languages": {k: v for k, v in doc["languages"].items() if k == language}}
    if (first or last) and "months" in doc:
        doc = {**doc, "months": [m for m in doc["months"]
                                 if (first is None or m["month"] >= first)
                                 and (last is None or m["month"] <= last)]}
    return doc


def _scoped(slug: str, build):
    """Public aggregated figures: cached per survey, scope, filters and release
    (webapp.results_cache keys on every query argument)."""
    survey = visible_survey(slug)

    def answer():
        filters, problem = _filters()
        if filters is None:
            return json_error("Bad Request", problem, 400)
        doc = _document(survey, build)
        return doc if isinstance(doc, tuple) else jsonify(_filtered(doc, *filters))

    return results_cache.public([survey], answer)


@bp.get("/surveys")
def surveys():
    """Published and closed surveys, optionally for one strategic goal (?goal=1..12)."""
    raw_goal = request.args.get("goal")
    goal = None
    if raw_goal is not None:
        if not raw_goal.isdigit() or not 1 <= int(raw_goal) <= 12:
            return jsonify({"error": "Bad Request",
                            "detail": "goal must be a whole number from 1 to 12"}), 400
        goal = int(raw_goal)
    listed = []
    for s in lookup.listing(get_db(), goal=goal):
        d = s.definition
        listed.append({"slug": s.slug, "status": s.status, "audience": s.audience,
                       "scope": s.scope, "languages": d["languages"], "goals": d.get("goals", []),
                       "title": d["title"], "min_group_size": s.min_group_size})
    return jsonify({"surveys": listed})


@bp.get("/surveys/<slug>/results")
def results(slug: str):
    if request.args.get("unit") is not None or request.args.get("breakdown") is not None:
        return _unit_results(slug)
    return _scoped(slug, survey_results)


def _unit_results(slug: str):
    """A staff survey's results for a unit (with its descendants) and per breakdown value
    (surveys.report.units): only for a token whose account may view the survey's results
    (the policy: national admins, the organisation's HR admins, analysts granted it), 401
    without one, 404 as for a missing survey when the policy says no (audited). Never cached
    or shared: `Cache-Control: no-store`."""
    survey = visible_survey(slug)
    db = get_db()
    found = _token_actor(db)
    if found is None:
        return _unauthorized()
    user, actor = found
    if not policy.can(actor, "view_results", policy.survey_object(survey)):
        audit.record(db, action="access", outcome="denied", at=now(), via="api",
                     user_id=user.id, object_kind="survey", object_id=survey.slug,
                     client_address=request.remote_addr)
        db.commit()
        return json_error("Not Found", "no such survey", 404)
    lang = request.args.get("lang", "fi")
    if lang not in LANGUAGES:
        return jsonify({"error": "Bad Request", "detail": f"unknown language {lang!r}"}), 400
    try:
        doc = unit_report.unit_results(db, survey, request.args.get("unit") or None,
                                       request.args.get("breakdown") or None, lang,
                                       settings().results_release)
    except unit_report.UnitScopeError as exc:
        return jsonify({"error": "Bad Request", "detail": str(exc)}), 400
    resp = jsonify(doc)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/surveys/<slug>/results.csv")
def results_csv(slug: str):
    """The same figures as /results, one row per figure, for spreadsheets."""
    survey = visible_survey(slug)
    return results_cache.public([survey], lambda: _csv(survey))


def _csv(survey):
    doc = _document(survey, survey_results)
    if isinstance(doc, tuple):  # an error answer
        return doc
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["survey", "scope", "scope_code", "question", "type", "measure", "value"])
    head = [doc["survey"], doc["scope"]["level"], doc["scope"]["code"]]
    # Suppressed figures are written as empty cells, never as numbers.
    writer.writerow([*head, "", "", "respondents", _cell(doc["respondents"])])
    for qid, q in doc["questions"].items():
        writer.writerow([*head, qid, q["type"], "n", _cell(q["n"])])
        for option, count in (q["counts"] or {}).items():
            writer.writerow([*head, qid, q["type"], f"count:{option}", _cell(count)])
        for measure in ("mean", "nps"):
            if q[measure] is not None:
                writer.writerow([*head, qid, q["type"], measure, q[measure]])
    csv_resp = Response(out.getvalue(), mimetype="text/csv")
    csv_resp.headers["Content-Disposition"] = (
        f'attachment; filename="{doc["survey"]}-{doc["scope"]["code"]}.csv"')
    return csv_resp


def _cell(value):
    return "" if value is None else value


@bp.get("/surveys/<slug>/results/monthly")
def monthly(slug: str):
    return _scoped(slug, monthly_results)


@bp.get("/open-data")
def open_data_catalogue():
    """Surveys whose results are open data, as a DCAT-AP style catalogue (CC BY 4.0)."""
    surveys = lookup.listing(get_db())
    endpoints = {"json": "api.results", "csv": "api.results_csv"}

    def build():
        def link(kind: str, slug: str) -> str:
            return url_for(endpoints[kind], slug=slug, _external=True)

        return jsonify(open_data.catalogue(get_db(), surveys, link))

    return results_cache.public(open_data.open_surveys(surveys), build)
# --- Endpoints for accounts: `Authorization: Bearer <token>` (surveys.accounts.tokens) ---------

def _unauthorized():
    body, status = json_error("Unauthorized",
                              "an API token is needed: Authorization: Bearer <token>", 401)
    return jsonify(body), status, {"WWW-Authenticate": 'Bearer realm="palaute"'}


def _token_actor(db):
    """(user, policy actor) of the request's live API token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _sp, raw = header.partition(" ")
    found = tokens.authenticate(db, raw.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        return None
    user, _token = found
    regions, orgs = (users.grants_of(db, user.id) if user.role == "analyst"
                     else (frozenset(), frozenset()))
    return user, policy.Actor(user_id=user.id, role=user.role, region=user.region_code,
                              org=user.org_code, granted_regions=regions, granted_orgs=orgs)


def requires_token(action: str, kind: str):
    """The API's `access.requires`: a live token of an active account, and the policy's yes
    for the object (a survey by its slug); 401 without a good token, 404 (as for a survey that
    does not exist) when the policy says no, which is audited. The token is never logged."""
    assert action in policy.ACTIONS[kind], (action, kind)

    def decorate(view):
        @wraps(view)
        def wrapped(**kwargs):
            db = get_db()
            found = _token_actor(db)
            if found is None:
                return _unauthorized()
            user, actor = found
            survey = lookup.find(db, kwargs["slug"])
            if survey is None:
                return json_error("Not Found", "no such survey", 404)
            if not policy.can(actor, action, policy.survey_object(survey)):
                audit.record(db, action="access", outcome="denied", at=now(), via="api",
                             user_id=user.id, object_kind=kind, object_id=survey.slug,
                             client_address=request.remote_addr)
                db.commit()
                return json_error("Not Found", "no such survey", 404)
            g.api_actor, g.api_object = actor, survey
            return view(**kwargs)

        wrapped.policy = (action, kind)
        return wrapped

    return decorate


@bp.get("/surveys/<slug>/admin")
@requires_token("view", "survey")
def survey_admin(slug: str):
    """What the admin survey page shows: status, audience, scope, the language-rights
    override and each language's translation state. Any status (drafts too)."""
    survey = g.api_object
    d = survey.definition
    review = d.get("translation_review", {})
    resp = jsonify({
        "slug": survey.slug, "status": survey.status, "audience": survey.audience,
        "scope": survey.scope, "title": d["title"],
        "language_rights_override": survey.language_rights_override,
        "languages": [{"code": lang, "missing_texts": len(missing_texts(d, lang)),
                       "review": review.get(lang)} for lang in d["languages"]],
    })
    resp.headers["Cache-Control"] = "no-store"
    return resp
