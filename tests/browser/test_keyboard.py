"""A respondent answers with the keyboard alone (Tab, Space, arrow keys, typing, Enter), with
and without JavaScript, and the response is stored; focus is always visible; the error summary
names each question, links to its field and receives focus."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from surveys.infra import db
from surveys.models import PendingResponse, Response

from .conftest import DEMO, click_and_load, new_page

# The county list is sorted by name in each language: typing its start picks it (ASCII only:
# a select's type-ahead takes key presses, and Playwright inserts "Ö" as text).
COUNTY = {"fi": ("Pohjois-Pohj", "19"), "sv": ("Lappl", "21"), "se": ("Pohjois-Pohj", "19")}


def focused(page) -> dict:
    """The focused element's tag, name, type and value (Playwright's own selector engine, which
    works with the page's JavaScript disabled)."""
    el = page.locator("*:focus")
    if el.count() == 0:
        return {}
    return {"tag": el.evaluate("e => e.tagName.toLowerCase()"),
            "name": el.get_attribute("name"), "type": el.get_attribute("type"),
            "value": el.get_attribute("value"), "id": el.get_attribute("id")}


def tab_to(page, name: str, limit: int = 60) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now.get("name") == name:
            return now
    raise AssertionError(f"Tab never reached the field {name!r}")


def answer_with_keyboard(page, lang: str) -> None:
    page.keyboard.press("Tab")
    # The first Tab lands on the skip link, which takes the keyboard past the header.
    assert focused(page).get("tag") == "a"
    page.keyboard.press("Enter")

    tab_to(page, "region")
    page.keyboard.type(COUNTY[lang][0])
    # NPS: Tab enters the radio group on its first option; Space chooses it, arrows move on.
    assert tab_to(page, "recommend")["value"] == "0"
    page.keyboard.press("Space")
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    assert focused(page)["value"] == "9"
    # Single choice: the second option by arrow key.
    assert tab_to(page, "service")["value"] == "health_centre"
    page.keyboard.press("ArrowDown")
    assert focused(page)["value"] == "dental"
    tab_to(page, "got_help")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    # Check boxes: each is its own Tab stop.
    assert tab_to(page, "channels")["value"] == "in_person"
    page.keyboard.press("Tab")
    assert focused(page)["value"] == "phone"
    page.keyboard.press("Space")
    tab_to(page, "age")
    page.keyboard.type("42")
    tab_to(page, "comment")
    page.keyboard.type("Hyvä palvelu.")
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "button"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_answers(site, lang: str) -> int:
    """Stored responses in `lang` with exactly the answers the keyboard gave (moved into
    `responses`, or still held until the fold moves them)."""
    with db.session_scope(site.database_url) as s:
        rows = [row for table in (Response, PendingResponse)
                for row in s.execute(select(table.region_code, table.answers)
                                     .where(table.lang == lang)).all()]
    return sum(1 for region, a in rows if region == COUNTY[lang][1] and a.get("recommend") == 9
               and a.get("service") == "dental" and a.get("got_help") == 4
               and a.get("channels") == ["phone"] and a.get("age") == 42
               and a.get("comment") == "Hyvä palvelu.")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["fi", "sv", "se"])
def test_a_respondent_answers_with_the_keyboard_alone(browser, site, lang, javascript):
    page = new_page(browser, java_script_enabled=javascript)
    before = keyboard_answers(site, lang)
    page.goto(site.url(f"/{lang}/s/{DEMO}"))
    answer_with_keyboard(page, lang)
    assert page.url.endswith(f"/{lang}/s/{DEMO}/thanks"), page.url
    assert page.locator("h1").count() == 1
    assert keyboard_answers(site, lang) == before + 1
    assert page.csp_errors == []
    page.context.close()


FOCUS_STYLE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {tag: e.tagName, id: e.id, outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
          color: s.outlineColor, shadow: s.boxShadow};
}"""


def contrast_with_white(rgb: str) -> float:
    """WCAG contrast ratio of a computed `rgb(r, g, b)` colour against white."""
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize("errors", [False, True], ids=["form", "errors"])
def test_focus_is_always_visible(page, site, errors):
    page.goto(site.url(f"/se/s/{DEMO}"))
    if errors:
        click_and_load(page, page.locator("form button[type=submit]"))
    seen = 0
    for _ in range(45):
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        if style is None:
            continue
        seen += 1
        assert style["outline"] not in ("none", "") and style["width"] >= 2, style
        # A focus indicator is a non-text contrast (WCAG 1.4.11): at least 3:1 on the page.
        assert contrast_with_white(style["color"]) >= 3, style
    assert seen >= 30


def test_the_error_summary_names_each_question_links_to_it_and_takes_focus(page, site):
    page.goto(site.url(f"/fi/s/{DEMO}"))
    click_and_load(page, page.locator("form button[type=submit]"))
    summary = page.locator(".error-summary")
    # Focus moves to the summary (without a script: the summary is the page's autofocus).
    # The browser applies autofocus at a rendering step that may come after the load event,
    # hence a wait for it rather than a look at once.
    expect(summary).to_be_focused()
    links = summary.locator("a")
    texts = links.all_inner_texts()
    assert len(texts) == 4, texts
    assert texts[0] == "Hyvinvointialueesi – Vastaa tähän kysymykseen."
    assert texts[1].startswith("Kuinka todennäköisesti suosittelisit")
    assert len(set(texts)) == len(texts)
    # Each link leads to its field: following it focuses the first control of the question.
    for i, expected_name in enumerate(["region", "recommend", "service", "got_help"]):
        page.locator(".error-summary a").nth(i).focus()
        page.keyboard.press("Enter")
        assert focused(page)["name"] == expected_name
        control = page.locator("*:focus")
        described = control.get_attribute("aria-describedby") or ""
        assert f"{expected_name}-error" in described.split()
        assert control.get_attribute("aria-invalid") == "true"
        error = page.locator(f"#{expected_name}-error")
        assert error.inner_text().endswith("Vastaa tähän kysymykseen.")
