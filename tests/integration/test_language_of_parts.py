"""WCAG 3.1.2, language of parts: on a Sámi page every Finnish fallback text is inside an element
with lang="fi", the <title> is in one language and says which, the survey's own texts carry
their language when it is not the page's; a Finnish page gets no stray `lang` attributes."""

from __future__ import annotations

import re

import pytest
import yaml
from flask import g

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from tests.conftest import form_tokens
from tests.langparts import heading_language, parse, title_language, unmarked_finnish

SAMI = ("se", "smn", "sms")
# Test content, not translations: a marker per language.
LANGS = ("fi", "sv", "se", "smn", "sms", "en")
TITLE = {lang: f"Title-{lang}" for lang in LANGS}
YES = {lang: f"Yes-{lang}" for lang in LANGS}
NO = {lang: f"No-{lang}" for lang in LANGS}


@pytest.fixture
def survey(database_url):
    """A national survey in all six languages, with a privacy notice text (test content)."""
    text = yaml.safe_dump({
        "slug": "kielten-osat", "audience": "citizen", "scope": "national",
        "languages": list(LANGS), "goals": [2], "title": TITLE,
        "privacy": {"purpose": TITLE},
        "questions": [
            {"id": "score", "type": "nps", "required": True, "text": TITLE},
            {"id": "pick", "type": "single", "required": True, "text": TITLE,
             "choices": [{"id": "yes", "label": YES}, {"id": "no", "label": NO}]},
        ],
    }, allow_unicode=True)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, text)
        lifecycle.publish(s, "kielten-osat")
    return "kielten-osat"


def pages(client, lang: str, slug: str) -> dict[str, str]:
    """Every page of the respondent's path, as HTML."""
    out = {}
    for name, path in {"index": f"/{lang}/", "form": f"/{lang}/s/{slug}",
                       "thanks": f"/{lang}/s/{slug}/thanks",
                       "privacy": f"/{lang}/s/{slug}/privacy",
                       "not found": f"/{lang}/s/no-such-survey",
                       "accessibility": f"/{lang}/accessibility",
                       "translation report": f"/{lang}/translation-report?page=/{lang}/",
                       "feedback sent": f"/{lang}/feedback-sent/accessibility"}.items():
        out[name] = client.get(path).get_data(as_text=True)
    form = out["form"]
    resp = client.post(f"/{lang}/s/{slug}", data={**form_tokens(form), "region": "17"})
    assert resp.status_code == 400
    out["form with errors"] = resp.get_data(as_text=True)
    return out


def closed_page(client, database_url, lang: str, slug: str) -> str:
    with db.session_scope(database_url) as s:
        lookup.find(s, slug).status = "closed"
    lookup.forget()
    return client.get(f"/{lang}/s/{slug}").get_data(as_text=True)


@pytest.mark.parametrize("lang", SAMI)
def test_finnish_fallbacks_on_sami_pages_are_marked(client, database_url, survey, lang):
    found = pages(client, lang, survey)
    found["closed"] = closed_page(client, database_url, lang, survey)
    for name, html in found.items():
        assert f'<html lang="{lang}">' in html, name
        assert unmarked_finnish(html, lang) == [], name
        # The survey's own texts are in the page language: not marked (in the thank-you
        # page's Finnish sentence the title is marked as the page's language).
        if name in ("form", "privacy"):
            assert TITLE[lang] in html and f'<span lang="{lang}">{TITLE[lang]}' not in html


def test_the_checker_finds_an_unmarked_fallback(client, survey):
    """The checker fails a page whose Finnish text is not marked (as before this change)."""
    html = client.get(f"/sms/s/{survey}/thanks").get_data(as_text=True)
    stripped = html.replace('<span lang="fi">Kiitos vastauksistasi</span>',
                            "Kiitos vastauksistasi")
    assert stripped != html
    assert unmarked_finnish(stripped, "sms") == ["Kiitos vastauksistasi"]


@pytest.mark.parametrize("lang", SAMI)
def test_title_is_in_one_language_the_headings(client, database_url, survey, lang):
    found = pages(client, lang, survey)
    found["closed"] = closed_page(client, database_url, lang, survey)
    for name, html in found.items():
        # Text only (the closed page's title once held a link).
        assert re.search(r"<title[^>]*>[^<>]+</title>", html), name
        title, title_lang = title_language(html)
        assert title_lang == heading_language(html), (name, title)
        if title_lang == "fi":
            assert '<title lang="fi">' in html, name


def test_skolt_thank_you_page_title_and_heading_agree(client, survey):
    """The issue's finding: the <title> was Skolt ("Späʹsseb") and the heading Finnish."""
    html = client.get(f"/sms/s/{survey}/thanks").get_data(as_text=True)
    assert '<title lang="fi">Kiitos – Palaute</title>' in html
    assert '<h1><span lang="fi">Kiitos vastauksistasi</span></h1>' in html
    assert "Späʹsseb" not in html
    # The survey title inside the Finnish sentence keeps its own (Skolt) language.
    assert f'<span lang="sms">{TITLE["sms"]}</span>' in html


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_no_stray_lang_attributes_on_complete_languages(client, database_url, survey, lang):
    found = pages(client, lang, survey)
    found["closed"] = closed_page(client, database_url, lang, survey)
    for name, html in found.items():
        for tag, attributes in parse(html).marked:
            if tag == "html":
                assert attributes["lang"] == lang
                continue
            # Only the language switcher names other languages, each in itself.
            assert tag == "a" and attributes.get("hreflang") == attributes["lang"], \
                (name, tag, attributes)
        assert '<title lang=' not in html, name


def test_sami_page_marks_translated_words_not(client, survey):
    """A string with a sourced Sámi draft is the page's language: no `lang` of its own."""
    html = client.get(f"/se/s/{survey}").get_data(as_text=True)
    texts = {text: lang for text, lang, _tags in parse(html).texts}
    assert texts["(bákkolaš)"] == "se"  # "required", from the Finnish–Northern Sámi dictionary
    assert texts["Lähetä vastaukset"] == "fi"
    # County names on Sámi pages are the official Finnish ones.
    assert '<option value="19" lang="fi">' in html


def test_survey_text_without_a_translation_is_marked(app):
    """`survey_text` / LocalizedText: a survey text that fell back carries its language."""
    from surveys.definitions.format import localized_text
    from webapp.i18n import survey_text

    with app.test_request_context("/sms/"):
        g.lang = "sms"
        assert str(survey_text({"fi": "Kysely", "sms": "Kõõjjõs"})) == "Kõõjjõs"
        assert str(survey_text({"fi": "Kysely <b>"})) == '<span lang="fi">Kysely &lt;b&gt;</span>'
        text = localized_text({"sv": "Enkät"}, "sms")
        assert (text, text.lang) == ("Enkät", "sv")
        assert str(survey_text(text)) == '<span lang="sv">Enkät</span>'
