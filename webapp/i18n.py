"""Language of a page: the URL prefix decides; bare links are negotiated."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel import support
from flask import Flask, Response, abort, g, request, url_for
from flask_babel import Domain

from surveys import catalogs, locale_data
from surveys.config import LANGUAGES

# Each language's name written in that language, for the language switcher.
LANGUAGE_NAMES = {
    "fi": "suomi",
    "sv": "svenska",
    "se": "davvisámegiella",
    "smn": "anarâškielâ",
    "sms": "sääʹmǩiõll",
    "en": "English",
}
# An interface string not yet translated into a Sámi language is shown in Finnish, which Sámi
# speakers in Finland read, rather than in the English of the source strings.
UI_FALLBACK = {"se": "fi", "smn": "fi", "sms": "fi"}
LANG_COOKIE = "lang"
# The remembered language is a preference, not tracking: it holds only a language code.
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def current_locale() -> str:
    return g.get("lang", "fi")


class FallbackDomain(Domain):
    """Flask-Babel's message domain, with a fallback catalog per language (UI_FALLBACK)."""

    def get_translations(self):
        translations = super().get_translations()
        fallback = UI_FALLBACK.get(current_locale())
        # Flask-Babel caches one Translations object per locale: chain the fallback once.
        if fallback and isinstance(translations, support.Translations) and not getattr(
                translations, "_palaute_fallback", False):
            for dirname in self.translation_directories:
                translations.add_fallback(support.Translations.load(dirname, [fallback],
                                                                     self.domain[0]))
            translations._palaute_fallback = True
        return translations


def negotiate(candidates: list[str], county_languages: list[str] | None = None) -> str:
    """Pick a language from `candidates`: remembered choice, then Accept-Language, then the
    county's own languages, then the first candidate."""
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in candidates:
        return remembered
    best = request.accept_languages.best_match(candidates)
    if best:
        return best
    for lang in county_languages or []:
        if lang in candidates:
            return lang
    return candidates[0]


def init_app(app: Flask) -> None:
    app.extensions["babel"].instance.domain_instance = FallbackDomain()

    @app.url_value_preprocessor
    def _pull_lang(_endpoint, values):
        if values and "lang" in values:
            lang = values.pop("lang")
            if lang not in LANGUAGES:
                abort(404)
            g.lang = lang

    @app.url_defaults
    def _add_lang(endpoint, values):
        if "lang" in values or not g.get("lang"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang

    @app.after_request
    def _remember_lang(resp: Response) -> Response:
        # Any page under a language prefix, including one reached from the switcher, is the
        # user's choice; `/` and bare survey links use it next time.
        lang = g.get("lang")
        if (lang and resp.status_code < 400 and resp.mimetype == "text/html"
                and request.cookies.get(LANG_COOKIE) != lang):
            resp.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax",
                            httponly=True, secure=app.config["SESSION_COOKIE_SECURE"])
        return resp

    # The page's locale, with locale_data's supplement (Skolt Sámi month names and numbers).
    def format_number(value: float | int) -> str:
        return locale_data.format_number(value, current_locale())

    def format_percent(value: float) -> str:
        return locale_data.format_percent(value, current_locale())

    def format_date(value: date | datetime | str, format: str = "long") -> str:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return locale_data.format_date(value, current_locale(), format)

    app.jinja_env.filters["format_number"] = format_number
    app.jinja_env.filters["format_decimal"] = format_number
    app.jinja_env.filters["format_percent"] = format_percent
    app.jinja_env.filters["format_date"] = format_date

    # Read once: catalogs change only with a deploy.
    ui_draft = catalogs.draft_languages()

    def switch_url(lang: str) -> str:
        """This page in `lang`, query string kept (e.g. the results page's county)."""
        args: dict[str, Any] = {**request.args.to_dict(), **(request.view_args or {})}
        args["lang"] = lang
        return url_for(request.endpoint or "respond.index", **args)

    def content_is_draft(definition: dict[str, Any]) -> bool:
        """Is the survey's text in the page language a draft awaiting native review?"""
        return definition.get("translation_review", {}).get(current_locale()) == "draft"

    @app.context_processor
    def _languages():
        return {"LANGUAGE_NAMES": LANGUAGE_NAMES, "LANGUAGES": LANGUAGES,
                "current_lang": current_locale(), "ui_is_draft": current_locale() in ui_draft,
                "switch_url": switch_url, "content_is_draft": content_is_draft}
