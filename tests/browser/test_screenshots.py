"""Screenshots of the survey form, the form with errors and the results page in fi, sv and se, at
phone (390 px) and desktop (1280 px) widths. They go to PALAUTE_SCREENSHOTS when set (e.g.
`PALAUTE_SCREENSHOTS=docs/screenshots make test-browser`), else to a temporary folder; the README
shows two of them (docs/screenshots/form-se-phone.png, results-fi-desktop.png)."""

from __future__ import annotations

import struct

import pytest

from .conftest import DEMO, click_and_load, new_page, screenshots_dir

WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return screenshots_dir(tmp_path_factory)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["fi", "sv", "se"])
def test_screenshots(browser, site, folder, lang, width):
    w, h = WIDTHS[width]
    page = new_page(browser, w, h)
    shots = {}
    page.goto(site.url(f"/{lang}/s/{DEMO}"))
    shots["form"] = page.screenshot(full_page=True)
    click_and_load(page, page.locator("form button[type=submit]"))
    shots["errors"] = page.screenshot()  # the top: the summary, focused
    page.goto(site.url(f"/{lang}/results/{DEMO}?region=19"))
    shots["results"] = page.screenshot(full_page=width == "phone")
    for what, png in shots.items():
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        png_width = struct.unpack(">I", png[16:20])[0]
        assert png_width == w  # the page itself is no wider than the screen
        (folder / f"{what}-{lang}-{width}.png").write_bytes(png)
    page.context.close()
