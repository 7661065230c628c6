"""Respondents' pages: choose a language, answer a survey, get a thank-you page.

Where a response goes next: `survey` (POST) → surveys.collect.answers.check_submission →
surveys.collect.store.store_response (held response + receipt, one transaction) →
surveys.infra.queue.notify_submitted (a fold job for the workers) → 303 to `thanks`.
"""

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

from surveys.collect.answers import check_submission
from surveys.collect.store import SurveyChanged, store_response
from surveys.definitions import lookup
from surveys.definitions.format import (
    REGION_FIELD,
    LocalizedText,
    localized_text,
    options_for,
)
from surveys.definitions.lookup import SurveySnapshot
from surveys.fold import retention
from surveys.infra import bursts, queue
from surveys.languages import LANGUAGES
from surveys.models import Region
from surveys.reference.regions import county_languages, name_in

from ..errors import DB_UNAVAILABLE, log_unavailable, with_retry_after
from ..extensions import get_db, get_redis, settings, today, visible_survey
from ..i18n import kept_query_args, negotiate
from ..ratelimit import retry_after_s
from . import form_tokens
from .form_cache import blank_forms
from .messages import error_message

bp = Blueprint("respond", __name__)
_published = visible_survey


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
    surveys = lookup.listing(get_db(), ("published",), audience="citizen")
    listed = [
        {"slug": s.slug, "title": localized_text(s.definition["title"], g.lang)}
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


def _region_lang(lang: str) -> str:
    """The language of county names on a page in `lang`: Sámi pages use the official Finnish
    ones (regions.name_in)."""
    return lang if lang in ("fi", "sv", "en") else "fi"


def _view_model(survey: SurveySnapshot, lang: str, regions: tuple[County, ...]
                ) -> dict[str, Any]:
    d = survey.definition
    questions = [
        {
            "id": q["id"],
            "type": q["type"],
            "required": q.get("required", False),
            "text": localized_text(q["text"], lang),
            "help": localized_text(q["help"], lang) if q.get("help") else None,
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
        "title": localized_text(d["title"], lang),
        "description": localized_text(d["description"], lang) if d.get("description") else None,
        "questions": questions,
        "regions": choices,
        "region_lang": _region_lang(lang),
        "region_field": REGION_FIELD,
        "languages": d["languages"],
    }


def _render_form(survey: SurveySnapshot, form: form_tokens.SubmitForm, values: MultiDict,
                 errors: dict[str, str], status: int = 200, token: str | None = None,
                 regions: tuple[County, ...] | None = None):
    # A fresh one-time token on every render: only a form that was rendered can be sent once.
    form.submission_token.data = token or form_tokens.new_submission_token(survey.slug)
    if survey.scope != "national":
        regions = ()
    elif regions is None:
        regions = _regions()
    if values or errors or token:
        return render_template("survey.html", form=form, values=values, errors=errors,
                               **_view_model(survey, g.lang, regions)), status
    key = (survey.fingerprint, g.lang, request.host_url, regions,
           tuple(sorted(kept_query_args().items())))
    html = blank_forms.page(
        key, form.csrf_token.current_token, form.submission_token.data,
        lambda: render_template("survey.html", form=form, values=values, errors=errors,
                                **_view_model(survey, g.lang, regions)))
    return html, status


@bp.errorhandler(DB_UNAVAILABLE[0])
@bp.errorhandler(DB_UNAVAILABLE[1])
@bp.errorhandler(DB_UNAVAILABLE[2])
@bp.errorhandler(DB_UNAVAILABLE[3])
def _database_unavailable(exc: Exception):
    log_unavailable(exc)
    return with_retry_after(unavailable(exc))


def unavailable(_exc: Exception):
    """The database failed during this request: answer 503 without losing what was typed.

    A survey form POST is shown again with the answers in it and the *same* submission token,
    so if the failed commit did in fact land, sending again is recognised as a replay and the
    response is not stored twice. Retry-After is added by the caller.
    """
    slug = (request.view_args or {}).get("slug")
    known = lookup.last_seen(get_db().get_bind(), slug or "")
    last_regions = _REGIONS.get(get_db().get_bind(), ())
    if known is None or (known.scope == "national" and not last_regions):
        return _answers_kept(None, "unavailable", 503)
    return _answers_kept(known, "unavailable", 503, last_regions)


@bp.errorhandler(429)
def _too_many_submissions(_exc: Exception):
    """RATE_LIMIT_SUBMIT reached for this client and survey (webapp.ratelimit): 429, the
    answers kept as on a 503, and Retry-After when the limit lets the client send again."""
    slug = (request.view_args or {}).get("slug") or ""
    survey = lookup.visible(get_db(), slug, settings().survey_cache_s)
    if survey is not None and survey.status != "published":
        survey = None
    return with_retry_after(_answers_kept(survey, "rate_limited", 429), retry_after_s())


def _answers_kept(survey: SurveySnapshot | None, message: str, status: int,
                  regions: tuple[County, ...] | None = None):
    """This survey form POST shown again with its answers and the *same* submission token,
    `message` on top; any other request gets the error page (with the POSTed fields kept)."""
    if survey is not None and request.endpoint == "respond.survey" \
            and request.method == "POST" and g.get("lang") in survey.definition["languages"]:
        g.survey = survey  # its pages may be framed by its embed_origins (webapp.security)
        raw_token = request.form.get("submission_token")
        token = raw_token if form_tokens.valid_submission_token(raw_token, survey.slug) \
            else None
        return _render_form(survey, form_tokens.submit_form(), request.form,
                            {"_form": error_message(message, {})}, status, token=token,
                            regions=regions)
    kept = []
    if request.method == "POST":
        kept = [(k, v) for k, vs in request.form.lists() for v in vs]
    return render_template("error.html", code=status, kept=kept), status


@bp.route("/<lang>/s/<slug>", methods=["GET", "POST"])
def survey(slug: str):
    survey = _published(slug)
    try:
        return _answer(survey)
    except SurveyChanged:
        # Closed or revised since this process read it: decide again on the current survey.
        return _answer(_published(slug, fresh=True))


def not_offered(survey: SurveySnapshot):
    """404 for a survey page in a language the survey doesn't have: a page in the chosen
    language listing the languages it is offered in (each a link to the same page in it)."""
    return render_template("not_offered.html", survey=survey,
                           languages=survey.definition["languages"]), 404


def _answer(survey: SurveySnapshot):
    if g.lang not in survey.definition["languages"]:
        return not_offered(survey)
    if survey.audience == "staff" and survey.definition.get("organisation"):
        abort(404)  # answered only through a one-time invitation (webapp/respond/invited.py)
    if survey.status == "closed":
        title = localized_text(survey.definition["title"], g.lang)
        return render_template("closed.html", title=title, survey=survey), 410
    if request.method == "GET":
        return _render_form(survey, form_tokens.submit_form(), MultiDict(), {})

    values = request.form
    form = form_tokens.submit_form(values)
    if not form.validate():
        # CSRF token missing or stale: keep the answers, hand out fresh tokens, ask to resend.
        return _render_form(survey, form, values, {"_form": error_message("expired", {})}, 400)
    token = form_tokens.valid_submission_token(form.submission_token.data, survey.slug)
    if token is None:
        return _render_form(survey, form, values, {"_form": error_message("expired", {})}, 400)

    codes = _region_codes(values.get(REGION_FIELD))
    answers = {k: values.getlist(k) for k in values}
    checked = check_submission(survey.definition, answers, codes)
    if not checked.ok:
        errors = {field: error_message(code, params)
                  for field, (code, params) in checked.errors.items()}
        return _render_form(survey, form, values, errors, 400)

    if store_response(get_db(), survey, g.lang, checked, token, today=today()):
        queue.notify_submitted(get_redis())
        config = settings()
        # Best effort: counts the survey's submissions per county and hour (ballot stuffing).
        bursts.note_submission(get_redis(), survey.slug, checked.region,
                               factor=config.burst_factor, floor=config.burst_floor,
                               flush_s=config.burst_flush_s)
    return redirect(url_for("respond.thanks", slug=survey.slug), code=303)


@bp.get("/<lang>/s/<slug>/thanks")
def thanks(slug: str):
    survey = _published(slug)
    if g.lang not in survey.definition["languages"]:
        return not_offered(survey)
    return render_template("thanks.html", title=localized_text(survey.definition["title"], g.lang),
                           survey=survey)


@bp.get("/<lang>/s/<slug>/privacy")
def privacy(slug: str):
    """The survey's privacy notice: controller, purpose, retention and the respondent's rights."""
    survey = _published(slug)
    if g.lang not in survey.definition["languages"]:
        return not_offered(survey)
    d = survey.definition
    texts = {name: localized_text(text, g.lang) for name, text in d.get("privacy", {}).items()}
    region = get_db().get(Region, survey.scope) if survey.scope != "national" else None
    return render_template(
        "privacy.html", survey=survey, title=localized_text(d["title"], g.lang), texts=texts,
        county=LocalizedText(name_in(region, g.lang), _region_lang(g.lang)) if region else None,
        retention_months=survey.retention_months,
        expires_on=retention.expires_on(survey.closed_on, survey.retention_months),
    )
