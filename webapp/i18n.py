"""Language of a page: the URL prefix decides; bare links are negotiated."""

from __future__ import annotations

from flask import Flask, abort, g, request
from flask_babel import format_decimal

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
LANG_COOKIE = "lang"


def current_locale() -> str:
    return g.get("lang", "fi")


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

    app.jinja_env.filters["format_number"] = format_decimal
    app.jinja_env.filters["format_decimal"] = format_decimal

    @app.context_processor
    def _languages():
        return {"LANGUAGE_NAMES": LANGUAGE_NAMES, "LANGUAGES": LANGUAGES,
                "current_lang": current_locale()}
