"""Respondents' pages: choose a language, answer a survey, get a thank-you page."""

from __future__ import annotations

import json
import secrets
from types import SimpleNamespace
from typing import Any

from babel import support
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField
from wtforms.i18n import messages_path

from surveys import events, retention, service
from surveys.answers import check_submission
from surveys.config import LANGUAGES
from surveys.definition import REGION_FIELD, localized, options_for
from surveys.models import Region, Survey
from surveys.regions import county_languages, name_in

from .app import get_db, get_redis, visible_survey
from .i18n import negotiate
from .messages import error_message

bp = Blueprint("respond", __name__)

TOKEN_MAX_AGE_S = 2 * 24 * 3600


# WTForms' own message catalogues, loaded once per process and locale. Flask-WTF loads and
# parses the .mo file again for every request that builds a form (~0.2 ms, about a tenth of a
# respondent's CPU: docs/performance.md); the files only change with a new install.
_WTFORMS_TRANSLATIONS: dict[str, support.Translations] = {}


class _KeptTranslations:
    @staticmethod
    def _catalog() -> support.Translations:
        locale = get_locale()
        key = str(locale)
        catalog = _WTFORMS_TRANSLATIONS.get(key)
        if catalog is None:
            catalog = _WTFORMS_TRANSLATIONS[key] = support.Translations.load(
                messages_path(), [locale], domain="wtforms")
        return catalog

    def gettext(self, string: str) -> str:
        return self._catalog().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog().ungettext(singular, plural, n)


_KEPT_TRANSLATIONS = _KeptTranslations()


class SubmitForm(FlaskForm):
    """Only the CSRF token and the one-time submission token: questions are rendered from the
    survey definition and checked by the domain (`surveys.answers`)."""

    submission_token = HiddenField()

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _KEPT_TRANSLATIONS


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="palaute-submission")


def _new_token() -> str:
    return _serializer().dumps(secrets.token_urlsafe(18))


# Last seen state of each survey, per process: if the database becomes unreachable between
# showing a form and receiving it, the form can still be shown again with the respondent's
# answers in it (see `unavailable`). Never used while the database answers.
_last_seen: dict[str, SimpleNamespace] = {}


def _published(slug: str) -> Survey:
    survey = visible_survey(slug)
    _last_seen[slug] = SimpleNamespace(
        id=survey.id, slug=survey.slug, status=survey.status, scope=survey.scope,
        definition=survey.definition, closed_on=survey.closed_on,
        retention_months=survey.retention_months)
    return survey


# The county list per database, per process: reference data, changed only by a migration
# (0002). Also what `unavailable` shows the form with when the database has gone away.
_REGIONS: dict[str, list[SimpleNamespace]] = {}


def _db_key() -> str:
    return get_db().get_bind().url.render_as_string(hide_password=True)


def _regions(refresh: bool = False) -> list[SimpleNamespace]:
    key = _db_key()
    regions = _REGIONS.get(key)
    if regions is None or refresh:
        # Plain rows, not ORM objects.
        rows = get_db().execute(select(Region.code, Region.name_fi, Region.name_sv,
                                       Region.name_en))
        regions = _REGIONS[key] = [SimpleNamespace(code=r.code, name_fi=r.name_fi,
                                                   name_sv=r.name_sv, name_en=r.name_en)
                                   for r in rows]
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


def _view_model(survey: Survey, lang: str, regions: list[SimpleNamespace] | None = None
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
        choices = [(r.code, name_in(r, lang)) for r in (regions or _regions())]
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


def _render_form(survey: Survey, form: SubmitForm, values: MultiDict, errors: dict[str, str],
                 status: int = 200, token: str | None = None,
                 regions: list[SimpleNamespace] | None = None):
    # A fresh one-time token on every render: only a form that was rendered can be sent once.
    form.submission_token.data = token or _new_token()
    view = _view_model(survey, g.lang, regions)
    if values or errors or token:
        return render_template("survey.html", form=form, values=values, errors=errors,
                               **view), status
    csrf, token = form.csrf_token.current_token, form.submission_token.data
    key = (survey.id, survey.status, g.lang, request.host_url, tuple(view["regions"]),
           json.dumps(survey.definition, sort_keys=True))
    cached = _BLANK_FORMS.get(key)
    if cached is not None:
        return cached.replace(_CSRF_MARK, csrf).replace(_TOKEN_MARK, token), status
    html = render_template("survey.html", form=form, values=values, errors=errors, **view)
    if html.count(csrf) == 1 and html.count(token) == 1:
        if len(_BLANK_FORMS) >= _BLANK_FORMS_MAX:
            _BLANK_FORMS.clear()
        _BLANK_FORMS[key] = html.replace(csrf, _CSRF_MARK).replace(token, _TOKEN_MARK)
    return html, status


def _valid_token(raw: str | None) -> str | None:
    try:
        return _serializer().loads(raw or "", max_age=TOKEN_MAX_AGE_S)
    except (BadSignature, UnicodeError):
        return None


def unavailable(_exc: Exception):
    """The database failed during this request: answer 503 without losing what was typed.

    A survey form POST is shown again with the answers in it and the *same* submission token,
    so if the failed commit did in fact land, sending again is recognised as a replay and the
    response is not stored twice. Retry-After is added by the caller.
    """
    slug = (request.view_args or {}).get("slug")
    known = _last_seen.get(slug or "")
    last_regions = _REGIONS.get(_db_key(), [])
    if request.endpoint == "respond.survey" and request.method == "POST" and known \
            and g.get("lang") in known.definition["languages"] \
            and (known.scope != "national" or last_regions):
        raw_token = request.form.get("submission_token")
        token = raw_token if _valid_token(raw_token) else None
        return _render_form(known, SubmitForm(), request.form,  # type: ignore[arg-type]
                            {"_form": error_message("unavailable", {})}, 503, token=token,
                            regions=last_regions)
    kept = []
    if request.method == "POST":
        kept = [(k, v) for k, vs in request.form.lists() for v in vs]
    return render_template("error.html", code=503, kept=kept), 503


@bp.route("/<lang>/s/<slug>", methods=["GET", "POST"])
def survey(slug: str):
    survey = _published(slug)
    if g.lang not in survey.definition["languages"]:
        abort(404)
    if survey.status == "closed":
        title = localized(survey.definition["title"], g.lang)
        return render_template("closed.html", title=title, survey=survey), 410
    form = SubmitForm()
    if request.method == "GET":
        return _render_form(survey, form, MultiDict(), {})

    values = request.form
    if not form.validate():
        # CSRF token missing or stale: keep the answers, hand out fresh tokens, ask to resend.
        return _render_form(survey, form, values, {"_form": error_message("expired", {})}, 400)
    token = _valid_token(form.submission_token.data)
    if token is None:
        return _render_form(survey, form, values, {"_form": error_message("expired", {})}, 400)

    db = get_db()
    codes = _region_codes(values.get(REGION_FIELD))
    answers = {k: values.getlist(k) for k in values}
    checked = check_submission(survey.definition, answers, codes)
    if not checked.ok:
        errors = {field: error_message(code, params)
                  for field, (code, params) in checked.errors.items()}
        return _render_form(survey, form, values, errors, 400)

    if service.store_response(db, survey, g.lang, checked, token):
        events.notify_submitted(get_redis())
    return redirect(url_for("respond.thanks", slug=slug), code=303)


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
