"""A survey not offered in the chosen language answers with a page in that language listing the
languages it is offered in; a survey's pages switch only between the survey's languages."""

from __future__ import annotations

import pytest

from .conftest import CLOSED, DEMO, LAPPI, axe_violations, click_and_load


@pytest.mark.parametrize(("lang", "heading"), [
    ("en", "This survey is not available in this language"),
    # Inari Sámi has no translation of this yet: the Finnish fallback.
    ("smn", "Tätä kyselyä ei ole saatavilla tällä kielellä"),
])
def test_a_survey_not_offered_in_a_language_says_which_languages_it_has(page, site, lang,
                                                                       heading):
    resp = page.goto(site.url(f"/{lang}/s/{DEMO}"))
    assert resp.status == 404
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("h1").inner_text() == heading
    offered = page.locator("ul.offered-languages a")
    assert offered.all_inner_texts() == ["suomi", "svenska", "davvisámegiella"]
    assert [offered.nth(i).get_attribute("lang") for i in range(3)] == ["fi", "sv", "se"]
    assert offered.nth(1).get_attribute("href") == f"/sv/s/{DEMO}"
    click_and_load(page, offered.nth(1))
    assert page.url == site.url(f"/sv/s/{DEMO}")
    assert page.locator("form button[type=submit]").count() == 1


def test_the_not_offered_page_has_no_axe_violations(page, site):
    page.goto(site.url(f"/en/s/{DEMO}"))
    assert axe_violations(page) == []


@pytest.mark.parametrize(("path", "languages"), [
    (f"/fi/s/{DEMO}", ["fi", "sv", "se"]),
    (f"/se/s/{DEMO}/thanks", ["fi", "sv", "se"]),
    (f"/sv/s/{DEMO}/privacy", ["fi", "sv", "se"]),
    (f"/smn/s/{LAPPI}", ["fi", "se", "smn", "sms", "sv"]),
    (f"/fi/s/{CLOSED}", ["fi", "se", "smn", "sms", "sv"]),
    (f"/en/s/{DEMO}", ["fi", "sv", "se"]),
])
def test_the_language_switcher_offers_only_the_surveys_languages(page, site, path, languages):
    page.goto(site.url(path))
    switcher = page.locator("nav.lang-switcher a")
    offered = [switcher.nth(i).get_attribute("hreflang") for i in range(switcher.count())]
    assert sorted(offered) == sorted(languages)
    # Every link leads to a page that exists.
    for i in range(switcher.count()):
        href = switcher.nth(i).get_attribute("href")
        assert page.request.get(site.url(href)).status in (200, 410), href
