"""Respondents' pages: choose a language, answer a survey, get a thank-you page."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import Engine, select
from werkzeug.datastructures import MultiDict

from surveys import events, retention, service, snapshots
from surveys.answers import check_submission
from surveys.config import LANGUAGES
from surveys.definition import REGION_FIELD, localized, options_for
from surveys.models import Region, Survey
from surveys.regions import county_languages, name_in
from surveys.snapshots import SurveySnapshot

from . import form_tokens
from .app import get_db, get_redis
from .i18n import negotiate
from .messages import error_message

bp = Blueprint("respond", __name__)


def _published(slug: str, fresh: bool = False) -> SurveySnapshot:
    """The survey named `slug` if open or closed (a draft or unknown one is a 404), as kept by
    this process for up to a second (surveys.snapshots; `fresh` reads it again)."""
    if not service.valid_slug(slug):
        abort(404)
    survey = snapshots.get(get_db(), slug, max_age_s=0 if fresh else None)
    if survey is None or survey.status == "draft":
        abort(404)
    return survey


class County(NamedTuple):
    code: str
    name_fi: str
    name_sv: str
    name_en: str


# The county list per database (engine), per process: reference data, changed only by a
# migration (0002). Also what `unavailable` shows the form with when the database has gone away.
_REGIONS: dict[Engine, tuple[County, ...]] = {}


def _regions(refresh: bool = False) -> tuple[County, ...]:
    key = get_db().get_bind()
    regions = _REGIONS.get(key)
    if regions is None or refresh:
        rows = get_db().execute(select(Region.code, Region.name_fi, Region.name_sv,
                                       Region.name_en))
        regions = _REGIONS[key] = tuple(County(*r) for r in rows)
    return regions


def _region_codes(wanted: str | None = None) -> set[str]:
    """County codes, checked on every POST; a code missing here is looked up again before it
    is refused."""
    codes = {r.code for r in _regions()}
    if wanted and wanted not in codes:
        codes = {r.code for r in _regions(refresh=True)}
    return codes


@bp.get("/")
def root():
    return redirect(url_for("respond.index", lang=negotiate(list(LANGUAGES))))


@bp.get("/<lang>/")
def index():
    surveys = get_db().scalars(
        select(Survey).where(Survey.status == "published", Survey.audience == "citizen")
        .order_by(Survey.slug)
    ).all()
    listed = [
        {"slug": s.slug, "title": localized(s.definition["title"], g.lang)}
        for s in surveys
        if g.lang in s.definition["languages"]
    ]
    return render_template("index.html", surveys=listed)


@bp.get("/s/<slug>")
def bare_survey(slug: str):
    survey = _published(slug)
    county_langs: list[str] = []
    if survey.scope != "national":
        region = get_db().get(Region, survey.scope)
        if region is not None:
            county_langs = county_languages(region)
    lang = negotiate(list(survey.definition["languages"]), county_langs)
    return redirect(url_for("respond.survey", lang=lang, slug=slug))


def _view_model(survey: SurveySnapshot, lang: str, regions: tuple[County, ...]
                ) -> dict[str, Any]:
    d = survey.definition
    questions = [
        {
            "id": q["id"],
            "type": q["type"],
            "required": q.get("required", False),
            "text": localized(q["text"], lang),
            "help": localized(q["help"], lang) if q.get("help") else None,
            "options": options_for(q, lang) if q["type"] != "number" else [],
            "min": q.get("min"),
            "max": q.get("max"),
            "max_length": q.get("max_length"),
        }
        for q in d["questions"]
    ]
    if survey.scope == "national":
        choices = [(r.code, name_in(r, lang)) for r in regions]
        choices.sort(key=lambda pair: pair[1])
    else:
        choices = []
    return {
        "survey": survey,
        "title": localized(d["title"], lang),
        "description": localized(d["description"], lang) if d.get("description") else None,
        "questions": questions,
        "regions": choices,
        "region_field": REGION_FIELD,
        "languages": d["languages"],
    }


# Blank forms as rendered, keyed by everything they depend on. A blank form is the same page for
# every respondent except for its two tokens, and rendering it was the largest single cost of a
# response (docs/performance.md); forms with answers or errors are always rendered.
_BLANK_FORMS: dict[tuple, str] = {}
_BLANK_FORMS_MAX = 256
_CSRF_MARK, _TOKEN_MARK = "\x00csrf\x00", "\x00submission\x00"


def _render_form(survey: SurveySnapshot, form: form_tokens.SubmitForm, values: MultiDict,
                 errors: dict[str, str], status: int = 200, token: str | None = None,
                 regions: tuple[County, ...] | None = None):
    # A fresh one-time token on every render: only a form that was rendered can be sent once.
    form.submission_token.data = token or form_tokens.new_submission_token()
    if survey.scope != "national":
        regions = ()
    elif regions is None:
        regions = _regions()
    if values or errors or token:
        return render_template("survey.html", form=form, values=values, errors=errors,
                               **_view_model(survey, g.lang, regions)), status
    csrf, token = form.csrf_token.current_token, form.submission_token.data
    key = (survey.fingerprint, g.lang, request.host_url, regions)
    cached = _BLANK_FORMS.get(key)
    if cached is not None:
        return cached.replace(_CSRF_MARK, csrf).replace(_TOKEN_MARK, token), status
    html = render_template("survey.html", form=form, values=values, errors=errors,
                           **_view_model(survey, g.lang, regions))
    if html.count(csrf) == 1 and html.count(token) == 1:
        if len(_BLANK_FORMS) >= _BLANK_FORMS_MAX:
            _BLANK_FORMS.clear()
        _BLANK_FORMS[key] = html.replace(csrf, _CSRF_MARK).replace(token, _TOKEN_MARK)
    return html, status


def unavailable(_exc: Exception):
    """The database failed during this request: answer 503 without losing what was typed.

    A survey form POST is shown again with the answers in it and the *same* submission token,
    so if the failed commit did in fact land, sending again is recognised as a replay and the
    response is not stored twice. Retry-After is added by the caller.
    """
    slug = (request.view_args or {}).get("slug")
    known = snapshots.last_seen(get_db().get_bind(), slug or "")
    last_regions = _REGIONS.get(get_db().get_bind(), ())
    if request.endpoint == "respond.survey" and request.method == "POST" and known \
            and g.get("lang") in known.definition["languages"] \
            and (known.scope != "national" or last_regions):
        raw_token = request.form.get("submission_token")
        token = raw_token if form_tokens.valid_submission_token(raw_token) else None
        return _render_form(known, form_tokens.submit_form(), request.form,
                            {"_form": error_message("unavailable", {})}, 503, token=token,
                            regions=last_regions)
    kept = []
    if request.method == "POST":
        kept = [(k, v) for k, vs in request.form.lists() for v in vs]
    return render_template("error.html", code=503, kept=kept), 503


@bp.route("/<lang>/s/<slug>", methods=["GET", "POST"])
def survey(slug: str):
    survey = _published(slug)
    try:
        return _answer(survey)
    except service.SurveyChanged:
        # Closed or revised since this process read it: decide again on the current survey.
        return _answer(_published(slug, fresh=True))


def _answer(survey: SurveySnapshot):
    if g.lang not in survey.definition["languages"]:
        abort(404)
    if survey.status == "closed":
        title = localized(survey.definition["title"], g.lang)
        return render_template("closed.html", title=title, survey=survey), 410
    if request.method == "GET":
        return _render_form(survey, form_tokens.submit_form(), MultiDict(), {})

    values = request.form
    form = form_tokens.submit_form(values)
    if not form.validate():
        # CSRF token missing or stale: keep the answers, hand out fresh tokens, ask to resend.
        return _render_form(survey, form, values, {"_form": error_message("expired", {})}, 400)
    token = form_tokens.valid_submission_token(form.submission_token.data)
    if token is None:
        return _render_form(survey, form, values, {"_form": error_message("expired", {})}, 400)

    codes = _region_codes(values.get(REGION_FIELD))
    answers = {k: values.getlist(k) for k in values}
    checked = check_submission(survey.definition, answers, codes)
    if not checked.ok:
        errors = {field: error_message(code, params)
                  for field, (code, params) in checked.errors.items()}
        return _render_form(survey, form, values, errors, 400)

    if service.store_response(get_db(), survey, g.lang, checked, token):
        events.notify_submitted(get_redis())
    return redirect(url_for("respond.thanks", slug=survey.slug), code=303)


@bp.get("/<lang>/s/<slug>/thanks")
def thanks(slug: str):
    survey = _published(slug)
    if g.lang not in survey.definition["languages"]:
        abort(404)
    return render_template("thanks.html", title=localized(survey.definition["title"], g.lang),
                           survey=survey)


@bp.get("/<lang>/s/<slug>/privacy")
def privacy(slug: str):
    """The survey's privacy notice: controller, purpose, retention and the respondent's rights."""
    survey = _published(slug)
    if g.lang not in survey.definition["languages"]:
        abort(404)
    d = survey.definition
    texts = {name: localized(text, g.lang) for name, text in d.get("privacy", {}).items()}
    region = get_db().get(Region, survey.scope) if survey.scope != "national" else None
    return render_template(
        "privacy.html", survey=survey, title=localized(d["title"], g.lang), texts=texts,
        county=name_in(region, g.lang) if region else None,
        retention_months=survey.retention_months,
        expires_on=retention.expires_on(survey.closed_on, survey.retention_months),
    )
