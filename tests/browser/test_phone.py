"""On a phone and zoomed in: content reflows (WCAG 1.4.10), long Sámi words wrap, the 0–10
scale stays one group that reads in order, and touch targets are at least 44 px."""

from __future__ import annotations

import pytest

from .conftest import DEMO, click_and_load, new_page

# Everything that sticks out to the right of the viewport, or is wider than its own box. A data
# table may scroll inside its own focusable box (.table-scroll), which WCAG 1.4.10 allows.
OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                    (e.className && typeof e.className === 'string' ? '.' + e.className : '');
  const bad = [];
  if (document.documentElement.scrollWidth > vw)
    bad.push('document scrollWidth ' + document.documentElement.scrollWidth + ' > ' + vw);
  for (const e of document.body.querySelectorAll('*')) {
    const box = e.closest('.table-scroll');
    if (box && box !== e) continue;
    if (e.closest('.visually-hidden') || e.classList.contains('skip-link')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5) bad.push(name(e) + ' right edge ' + Math.round(r.right) + ' > ' + vw);
    // Content wider than its box: cut off (overflow hidden) or sticking out (visible). A box
    // that scrolls is allowed for tables only (skipped above).
    const s = getComputedStyle(e);
    if (e instanceof HTMLElement && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1
        && e !== box)
      bad.push(name(e) + ' content ' + e.scrollWidth + ' wider than its box ' + e.clientWidth +
               ' (overflow ' + s.overflowX + ')');
  }
  return bad;
}"""

VIEWS = {
    "320px": {"width": 320, "height": 640},
    # 200 % zoom of a 1280 px window: 640 CSS pixels, each drawn with two device pixels.
    "zoom200": {"width": 640, "height": 450, "device_scale_factor": 2},
}


def show(page, site, what: str, lang: str) -> None:
    if what == "results":
        page.goto(site.url(f"/{lang}/results/{DEMO}?region=19"))
        return
    page.goto(site.url(f"/{lang}/s/{DEMO}"))
    if what == "errors":
        click_and_load(page, page.locator("form button[type=submit]"))
        assert page.locator(".error-summary").count() == 1


@pytest.mark.parametrize("what", ["form", "errors", "results"])
@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("lang", ["fi", "se"])
def test_nothing_overflows_or_hides(browser, site, view, what, lang):
    v = dict(VIEWS[view])
    page = new_page(browser, v.pop("width"), v.pop("height"), **v)
    show(page, site, what, lang)
    assert page.evaluate(OVERFLOW) == []
    page.context.close()


def test_a_long_sami_word_in_a_heading_wraps_on_a_phone(browser, site):
    page = new_page(browser, 390, 844)
    page.goto(site.url(f"/se/s/{DEMO}"))
    h1 = page.locator("h1")
    assert "dearvvašvuođabálvalusain" in h1.inner_text()
    fits = h1.evaluate("""e => ({right: e.getBoundingClientRect().right,
        vw: document.documentElement.clientWidth, scroll: e.scrollWidth, client: e.clientWidth,
        wrap: getComputedStyle(e).overflowWrap, hyphens: getComputedStyle(e).hyphens,
        lang: e.closest('[lang]').getAttribute('lang')})""")
    assert fits["right"] <= fits["vw"] and fits["scroll"] <= fits["client"], fits
    # Hyphenation follows the language of the text: the page's, Northern Sámi.
    assert (fits["wrap"], fits["hyphens"], fits["lang"]) == ("anywhere", "auto", "se")
    page.context.close()


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_the_0_to_10_scale_is_one_group_that_reads_in_order(browser, site, width):
    page = new_page(browser, width, 800)
    page.goto(site.url(f"/se/s/{DEMO}"))
    group = page.locator("fieldset#q-recommend")
    assert group.locator("legend").count() == 1
    cells = group.evaluate("""g => [...g.querySelectorAll('input[type=radio]')].map(i => {
        const r = i.closest('label').getBoundingClientRect();
        return {value: i.value, top: Math.round(r.top), left: Math.round(r.left),
                width: Math.round(r.width), height: Math.round(r.height)}; })""")
    assert [c["value"] for c in cells] == [str(n) for n in range(11)]
    # Visual order (row by row, left to right) is the order of the values.
    visual = sorted(cells, key=lambda c: (c["top"], c["left"]))
    assert [c["value"] for c in visual] == [str(n) for n in range(11)]
    # Equal cells, each a touch target of at least 44 × 44 px.
    assert len({c["width"] for c in cells}) == 1, cells
    assert all(c["width"] >= 44 and c["height"] >= 44 for c in cells), cells
    # Rows are full from the start: no lone tail such as 0–6 / 7–10 of unequal rows.
    rows = sorted({c["top"] for c in cells})
    per_row = [sum(1 for c in cells if c["top"] == t) for t in rows]
    assert per_row == sorted(per_row, reverse=True), per_row
    # The ends are visible text, part of the group's description.
    ends = group.locator(".scale-hint")
    assert ends.is_visible() and ends.inner_text().startswith("0 ")
    assert ends.get_attribute("id") in (group.get_attribute("aria-describedby") or "").split()
    page.context.close()


TARGETS = """() => [...document.querySelectorAll(
    'button, select, input[type=text], textarea, .options label, .lang-switcher a, .brand a')]
  .map(e => { const r = e.getBoundingClientRect();
              return {what: e.tagName + ' ' + (e.getAttribute('for') || e.textContent.trim()),
                      width: r.width, height: r.height}; })
  .filter(t => t.width < 44 || t.height < 44)"""


@pytest.mark.parametrize("what", ["form", "errors"])
def test_touch_targets_are_at_least_44_px(browser, site, what):
    page = new_page(browser, 390, 844)
    show(page, site, what, "se")
    assert page.evaluate(TARGETS) == []
    page.context.close()
