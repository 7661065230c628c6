"""Language of a page: the URL prefix decides; bare links are negotiated."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from babel import support
from flask import Flask, Response, abort, g, request, url_for
from flask_babel import Domain, get_domain
from markupsafe import Markup, escape

from surveys.definitions.format import LocalizedText, localized_text
from surveys.infra import clock
from surveys.languages import LANGUAGES, catalogs, locale_data

from .security import cookie_name, cookie_secure

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
# The language of the msgids (what gettext returns when no catalog has the string).
SOURCE_LANG = "en"
LANG_COOKIE = "lang"
# The remembered language is a preference, not tracking: it holds only a language code.
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# Query arguments a page's own links (the language switcher) carry on, e.g. the results page's
# county. Only these, and only plain short values: anything else in the query string is the
# visitor's own and must not reach links that url_for builds (`_anchor`, `_external`, `endpoint`
# would rewrite them) or a page cached for the next visitor (webapp.respond.form_cache).
KEPT_QUERY_ARGS = ("region", "area")
_KEPT_VALUE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def kept_query_args() -> dict[str, str]:
    """The allow-listed query arguments of this request, with well-formed values."""
    return {name: value for name in KEPT_QUERY_ARGS
            if _KEPT_VALUE.fullmatch(value := request.args.get(name, ""))}


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


def ui_lang(msgid: str) -> str:
    """The language `msgid` is shown in on this page: the page's own when its catalog has it,
    else the fallback's (Finnish on Sámi pages), else the source strings' (English)."""
    page = current_locale()
    translations = get_domain().get_translations()
    if _has(translations, msgid) or page == SOURCE_LANG:
        return page
    fallback = getattr(translations, "_fallback", None)
    if fallback is not None and _has(fallback, msgid):
        return UI_FALLBACK.get(page, SOURCE_LANG)
    return SOURCE_LANG


def _has(translations: Any, msgid: str) -> bool:
    return bool(getattr(translations, "_catalog", {}).get(msgid))


def in_lang(text: Any, lang: str | None) -> Markup:
    """`text` (escaped unless it is Markup) for element content: inside `<span lang>` when its
    language is not the page's (WCAG 3.1.2, language of parts)."""
    body = escape(text)
    if not lang or lang == current_locale():
        return body
    return Markup('<span lang="%s">%s</span>') % (lang, body)


def _variable(value: Any, sentence_lang: str) -> Any:
    """A value put into a sentence: a survey text (LocalizedText) or any other string, which is
    in the page language, keeps its own language when the sentence is in another one."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    own = value.lang if isinstance(value, LocalizedText) else current_locale()
    if own == sentence_lang:
        return escape(value)
    return Markup('<span lang="%s">%s</span>') % (own, value)


def ui_in(lang: str, msgid: str) -> str:
    """`msgid` in `lang`, which is this page's language or its fallback (Finnish on a Sámi
    page): a `<title>` follows the language of the page's heading (base.html, `title_lang`)."""
    translations = get_domain().get_translations()
    if lang == current_locale():
        return translations.ugettext(msgid)
    fallback = getattr(translations, "_fallback", None)
    if fallback is not None and lang == UI_FALLBACK.get(current_locale()):
        return fallback.ugettext(msgid)
    return msgid


_FINNISH: dict[tuple[str, ...], support.Translations] = {}


def fi_text(msgid: str) -> Markup:
    """`msgid` in Finnish for element text, marked `lang="fi"` unless the page is Finnish: the
    draft notice says its sentence in Finnish too, whatever the page's language."""
    domain = get_domain()
    key = tuple(domain.translation_directories)
    if key not in _FINNISH:
        finnish = support.Translations()
        for dirname in domain.translation_directories:
            finnish.merge(support.Translations.load(dirname, ["fi"], domain.domain[0]))
        _FINNISH[key] = finnish
    return in_lang(_FINNISH[key].ugettext(msgid), "fi")


def t(msgid: str, **variables: Any) -> Markup:
    """An interface string for element *text*, marked with its own language when it is shown in
    another than the page's (a Finnish fallback on a Sámi page: `<span lang="fi">`); plain
    escaped text otherwise. Attributes and `<title>` keep using `_()` (docs/languages.md)."""
    lang = ui_lang(msgid)
    # As Jinja's autoescaping gettext: the translation is the markup, the variables are escaped.
    # Catalog entries are ours, and their HTML must match the source's (catalogs.text_problems).
    text = Markup(get_domain().get_translations().ugettext(msgid))  # noqa: S704
    if variables:
        text = text % {k: _variable(v, lang) for k, v in variables.items()}
    return in_lang(text, lang)


def survey_text(text: LocalizedText | dict[str, str] | str | None) -> Markup:
    """A survey's own text for element content (its title, a question, an option): marked with
    its language when the survey has no text in the page language (`localized` fell back)."""
    if text is None:
        return Markup("")
    if isinstance(text, dict):
        text = localized_text(text, current_locale())
    return in_lang(text, text.lang if isinstance(text, LocalizedText) else None)


def negotiate(candidates: list[str], county_languages: list[str] | None = None) -> str:
    """Pick a language from `candidates`: remembered choice, then Accept-Language, then the
    county's own languages, then the first candidate."""
    remembered = request.cookies.get(cookie_name(LANG_COOKIE))
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
        # Not on a page a shared cache may keep (webapp.results_cache): it would hand this
        # reader's cookie to the next.
        lang = g.get("lang")
        if (lang and resp.status_code < 400 and resp.mimetype == "text/html"
                and "public" not in (resp.headers.get("Cache-Control") or "")
                and request.cookies.get(cookie_name(LANG_COOKIE)) != lang):
            resp.set_cookie(cookie_name(LANG_COOKIE), lang, max_age=LANG_COOKIE_MAX_AGE,
                            samesite="Lax", httponly=True, secure=cookie_secure(), path="/")
        return resp

    # The page's locale, with locale_data's supplement (Skolt Sámi month names and numbers).
    def format_number(value: float | int) -> str:
        return locale_data.format_number(value, current_locale())

    def format_percent(value: float) -> str:
        return locale_data.format_percent(value, current_locale())

    def format_date(value: date | datetime | str, format: str = "long") -> str:
        if isinstance(value, str):  # a day, or a stored UTC moment ("…T22:30Z"): its Finnish day
            value = clock.day_of(value) if "T" in value else date.fromisoformat(value)
        return locale_data.format_date(value, current_locale(), format)

    app.jinja_env.filters["format_number"] = format_number
    app.jinja_env.filters["format_decimal"] = format_number
    app.jinja_env.filters["format_percent"] = format_percent
    app.jinja_env.filters["format_date"] = format_date
    # `{{ text|marked }}`: a LocalizedText (survey text, error message) with its own `lang`.
    app.jinja_env.filters["marked"] = survey_text

    # Read once: catalogs change only with a deploy.
    ui_draft = catalogs.draft_languages()

    def switch_url(lang: str) -> str:
        """This page in `lang`, with the allow-listed query arguments (the results page's
        county) and nothing else of the query string."""
        args: dict[str, Any] = {**kept_query_args(), **(request.view_args or {})}
        args["lang"] = lang
        return url_for(request.endpoint or "respond.index", **args)

    def content_is_draft(definition: dict[str, Any]) -> bool:
        """Is the survey's text in the page language a draft awaiting native review?"""
        return definition.get("translation_review", {}).get(current_locale()) == "draft"

    @app.context_processor
    def _languages():
        return {"LANGUAGE_NAMES": LANGUAGE_NAMES, "LANGUAGES": LANGUAGES,
                "current_lang": current_locale(), "ui_is_draft": current_locale() in ui_draft,
                "switch_url": switch_url, "content_is_draft": content_is_draft,
                "t": t, "ui_in": ui_in, "fi_text": fi_text, "ui_lang": ui_lang,
                "survey_text": survey_text, "in_lang": in_lang}
