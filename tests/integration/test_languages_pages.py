"""Language of pages: negotiation order, the remembered choice, every public page in every
language, no untranslated Finnish or Swedish, draft notices."""

from __future__ import annotations

import html as html_lib
import re

import pytest
import yaml

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from surveys.languages import LANGUAGES, catalogs
from webapp.i18n import LANG_COOKIE, LANGUAGE_NAMES

ALL = {"fi": "Kaikki kielet", "sv": "Alla språk", "se": "Buot gielat",
       "smn": "Puoh kielah", "sms": "Puk ǩiõl", "en": "All languages"}


@pytest.fixture
def six_language_survey(database_url):
    """A national survey in all six languages (test content, not a translation claim)."""
    text = yaml.safe_dump({
        "slug": "kaikki-kielet", "audience": "citizen", "scope": "national",
        "languages": list(LANGUAGES), "goals": [2], "title": ALL,
        "translation_review": {"fi": "reviewed", "sv": "reviewed", "en": "reviewed",
                               "se": "draft", "smn": "draft", "sms": "draft"},
        "questions": [{"id": "score", "type": "nps", "required": True, "text": ALL}],
    }, allow_unicode=True)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, text)
        lifecycle.publish(s, "kaikki-kielet")
    return "kaikki-kielet"


def untranslated_strings(lang: str) -> list[str]:
    """English source strings that a page in `lang` must not show (translations differing
    from their msgid; "Palaute" is the same in every language)."""
    catalog = catalogs.load(catalogs.catalog_path(lang))
    return [m.id for m in catalog if m.id and m.string and m.string != m.id and len(m.id) > 3]


def assert_language(html: str, lang: str) -> None:
    """Right `lang`, and no English source string: Finnish and Swedish are complete, and the
    Sámi catalogs fall back to Finnish."""
    assert f'<html lang="{lang}">' in html
    if lang != "en":
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", html))
        for source in untranslated_strings("sv" if lang == "sv" else "fi"):
            # Placeholders are filled in, so compare the text before the first one.
            head = source.split("%(")[0].strip()
            if len(head) > 3:
                assert head not in text, f"untranslated in {lang}: {source!r}"


PAGES = {
    "index": "/{lang}/",
    "survey form": "/{lang}/s/kaikki-kielet",
    "thanks": "/{lang}/s/kaikki-kielet/thanks",
    "results": "/{lang}/results/kaikki-kielet",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_in_every_language(client, six_language_survey, lang):
    for name, pattern in PAGES.items():
        resp = client.get(pattern.format(lang=lang))
        assert resp.status_code == 200, name
        html = resp.get_data(as_text=True)
        assert_language(html, lang)
        # The switcher: every language by its own name, the current one marked, hreflang.
        for other in LANGUAGES:
            assert f'hreflang="{other}"' in html, (name, other)
            assert f">{LANGUAGE_NAMES[other]}</a>" in html, (name, other)
        assert f'aria-current="true" lang="{lang}"' in html
    missing = client.get(f"/{lang}/s/no-such-survey")
    assert missing.status_code == 404
    assert_language(missing.get_data(as_text=True), lang)


@pytest.mark.parametrize(("lang", "texts"), [
    ("fi", ["Lähetä vastaukset", "Tähdellä (*) merkityt kysymykset ovat pakollisia."]),
    ("sv", ["Skicka svaren", "Frågor som är märkta med en asterisk (*) är obligatoriska."]),
    # Northern Sámi: the sourced label is Sámi, the unsourced sentence its Finnish fallback.
    ("se", ['aria-label="Giella"', "Lähetä vastaukset"]),
    ("en", ["Send answers"]),
])
def test_form_uses_the_catalog(client, six_language_survey, lang, texts):
    html = client.get(f"/{lang}/s/kaikki-kielet").get_data(as_text=True)
    for text in texts:
        assert text in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_closed_survey_page_in_every_language(client, database_url, six_language_survey, lang):
    with db.session_scope(database_url) as s:
        lookup.find(s, six_language_survey).status = "closed"
    resp = client.get(f"/{lang}/s/kaikki-kielet")
    assert resp.status_code == 410
    html = resp.get_data(as_text=True)
    assert_language(html, lang)
    assert ALL[lang] in html


def test_results_page_names_the_country_in_the_page_language(client, six_language_survey):
    assert "Lääʹddjânnam" in client.get("/sms/results/kaikki-kielet").get_data(as_text=True)
    assert "Suopma" in client.get("/se/results/kaikki-kielet").get_data(as_text=True)


def test_sami_pages_fall_back_to_finnish_not_english(client, six_language_survey):
    html = client.get("/sms/s/kaikki-kielet").get_data(as_text=True)
    assert "Lähetä vastaukset" in html and "Send answers" not in html
    # What is translated into Skolt Sámi is shown in Skolt Sámi.
    assert 'aria-label="Ǩiõll"' in html
    thanks = client.get("/smn/s/kaikki-kielet/thanks").get_data(as_text=True)
    # No published source has this sentence in Inari Sámi: Finnish, not an invented one.
    assert "Kiitos vastauksistasi" in thanks and "Thank you for your answers" not in thanks


def test_error_messages_are_translated(client, six_language_survey):
    from tests.conftest import form_tokens

    page = client.get("/sv/s/kaikki-kielet").get_data(as_text=True)
    resp = client.post("/sv/s/kaikki-kielet", data={**form_tokens(page), "region": "17"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Svara på den här frågan." in html and "Kontrollera dina svar" in html


def test_switcher_keeps_the_page_and_its_query(client, six_language_survey):
    html = client.get("/fi/results/kaikki-kielet?region=17").get_data(as_text=True)
    assert 'href="/smn/results/kaikki-kielet?region=17"' in html
    html = client.get("/sv/s/kaikki-kielet").get_data(as_text=True)
    assert 'href="/sms/s/kaikki-kielet"' in html


def test_survey_switcher_offers_only_the_survey_languages(client, demo_survey):
    html = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert 'hreflang="se"' in html and 'hreflang="smn"' not in html
    # Search engines send people without a language to the negotiating bare link.
    assert (f'<link rel="alternate" hreflang="x-default" href="http://localhost/s/{demo_survey}">'
            in html)


# --- negotiation --------------------------------------------------------------------------------
def location(resp) -> str:
    assert resp.status_code == 302
    return resp.headers["Location"]


def test_root_redirect_order(client):
    # Nothing known: Finnish.
    assert location(client.get("/")).endswith("/fi/")
    # Accept-Language.
    assert location(client.get("/", headers={"Accept-Language": "smn, fi;q=0.5"})).endswith(
        "/smn/")
    # A remembered choice beats Accept-Language.
    client.set_cookie(LANG_COOKIE, "sms")
    assert location(client.get("/", headers={"Accept-Language": "sv"})).endswith("/sms/")


def test_visiting_a_language_page_remembers_it(client, demo_survey):
    resp = client.get("/sv/")
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANG_COOKIE}=sv;") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert location(client.get("/", headers={"Accept-Language": "fi"})).endswith("/sv/")
    assert location(client.get(f"/s/{demo_survey}")).endswith(f"/sv/s/{demo_survey}")
    # Choosing another language in the switcher (a page under its prefix) changes it.
    client.get("/se/")
    assert location(client.get(f"/s/{demo_survey}")).endswith(f"/se/s/{demo_survey}")
    # Error pages don't change the choice.
    assert "Set-Cookie" not in client.get("/en/s/no-such-survey").headers


def test_bare_link_order_in_a_bilingual_county(client, demo_survey):
    slug = "osterbotten-halsostation-2026"
    # No cookie, no usable Accept-Language: the county's languages, Swedish first in Ostrobothnia.
    assert location(client.get(f"/s/{slug}")).endswith(f"/sv/s/{slug}")
    assert location(client.get(f"/s/{slug}", headers={"Accept-Language": "de"})).endswith(
        f"/sv/s/{slug}")
    # Accept-Language beats the county order.
    assert location(client.get(f"/s/{slug}", headers={"Accept-Language": "fi"})).endswith(
        f"/fi/s/{slug}")
    # A remembered language the survey doesn't offer is skipped.
    client.set_cookie(LANG_COOKIE, "sms")
    assert location(client.get(f"/s/{slug}", headers={"Accept-Language": "fi"})).endswith(
        f"/fi/s/{slug}")
    client.set_cookie(LANG_COOKIE, "sv")
    assert location(client.get(f"/s/{slug}", headers={"Accept-Language": "fi"})).endswith(
        f"/sv/s/{slug}")


def test_lapland_survey_in_every_sami_language(client, demo_survey):
    slug = "lappi-kielipalvelut-2026"
    for lang, text in (("se", "Makkár gillii"), ("smn", "Mii kielân"), ("sms", "Mõõn ǩiõʹlle")):
        resp = client.get(f"/{lang}/s/{slug}")
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html and text in html
    assert location(client.get(f"/s/{slug}", headers={"Accept-Language": "sms"})).endswith(
        f"/sms/s/{slug}")


# --- draft notices ------------------------------------------------------------------------------
def test_draft_survey_texts_are_announced(client, demo_survey):
    se = client.get(f"/se/s/{demo_survey}").get_data(as_text=True)
    # The notice's sentence has no sourced Sámi translation: shown in Finnish.
    assert 'class="notice draft-notice"' in se and "käännösluonnos" in se
    fi = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    assert "käännösluonnos" not in fi and "draft-notice" not in fi
    thanks = client.get(f"/se/s/{demo_survey}/thanks").get_data(as_text=True)
    assert "käännösluonnos" in thanks


def test_draft_interface_is_announced(client, demo_survey):
    assert 'class="notice draft-notice"' in client.get("/smn/").get_data(as_text=True)
    assert "draft-notice" not in client.get("/sv/").get_data(as_text=True)


def test_translation_status_page(admin_client):
    client = admin_client
    resp = client.get("/fi/admin/translations")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<table" in html and '<th scope="col">Luonnos</th>' in html
    st = {s.lang: s for s in catalogs.status()}
    row = re.search(r'<tr><th scope="row"><span lang="sms">.*?</tr>', html).group(0)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells == [str(st["sms"].translated), str(st["sms"].draft), str(st["sms"].missing),
                     str(st["sms"].total), "Luonnos, odottaa äidinkielisen puhujan tarkistusta"]
    assert client.get("/sms/admin/translations").status_code == 200


@pytest.mark.parametrize(("lang", "share", "mean"), [
    ("fi", "(50\xa0%)", "4,5"), ("sv", "(50\xa0%)", "4,5"), ("sms", "(50\xa0%)", "4,5"),
    ("en", "(50%)", "4.5"),
])
def test_results_numbers_and_percentages_in_the_page_locale(client, demo_survey, lang, share,
                                                            mean):
    from tests.conftest import VALID_ANSWERS, submit
    from workers import jobs

    for got_help, recommend in zip(("5", "5", "5", "4", "4", "4"), "999000", strict=True):
        answers = {**VALID_ANSWERS, "got_help": got_help, "recommend": recommend}
        assert submit(client, demo_survey, "fi", answers).status_code == 303
    jobs.fold_pending()
    html = client.get(f"/{lang}/results/{demo_survey}").get_data(as_text=True)
    # got_help: three of six answered 5 (50 %), mean 4.5 (each option three times: shown).
    assert f"3 <span class=\"share\">{share}</span>" in html
    assert f"<td>{mean} <span class=\"interval\">" in html
