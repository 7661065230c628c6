"""The browser tier: the real app served over HTTP to Debian's Chromium, driven by Playwright.

One server and one browser for the whole tier (package scope: both are gone, and the data
removed, before the next tier starts; starting Chromium costs about a second): the app
is built from the tests' settings (their database and Redis) and served by werkzeug's threaded
server in this process, so the tests can look in the database afterwards. The data (the demo
surveys, answers folded into results, one closed survey) is made once and removed at the end; the
tier overrides the per-test `clean_data` so one test doesn't wipe the next one's survey.

Chromium: /usr/bin/chromium (the Debian package; `.ci/run` installs it when missing), never a
browser downloaded by Playwright. Without it the tier is skipped with the reason, except in CI.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete
from werkzeug.serving import make_server

from surveys.accounts import translator_links
from surveys.definitions import demo, lifecycle, lookup
from surveys.infra import db
from surveys.staff import invitations
from surveys.staff import units as org_units
from tests.conftest import (
    DATA_TABLES,
    VALID_ANSWERS,
    form_tokens,
    free_port,
    reset_process_caches,
    submit,
)
from tests.unit.staff.test_staff_format import staff_yaml

CHROMIUM = os.environ.get("PALAUTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text("utf-8")
UI_LANGUAGES = ("fi", "sv", "se", "smn", "sms", "en")
DEMO = "asiakaskokemus-2026"
CLOSED = "suljettu-2026"
# A staff survey (tests.unit.staff.test_staff_format's) of its own slug, organisation and county:
# test_axe's invitations page imports and removes that module's survey and county 17's units.
STAFF = "henkilosto-sivusto-2026"
STAFF_ORG, STAFF_COUNTY = "SITE", "06"
STAFF_TREE = """code,parent_code,name_fi,name_sv,headcount
SITE,,Pirkanmaan hyvinvointialue,Birkalands välfärdsområde,1000
HR,SITE,Henkilöstöpalvelut,Personaltjänster,40
CARE,SITE,Hoito,Vård,600
"""
# Surveys by language: the demo survey where it is offered, else the Lapland survey.
LAPPI = "lappi-kielipalvelut-2026"


def survey_for(lang: str) -> str | None:
    return DEMO if lang in ("fi", "sv", "se") else LAPPI if lang in ("smn", "sms") else None


@pytest.fixture
def clean_data():
    """Overrides the per-test clean-up: the tier's data lives as long as its server."""
    yield


class Site:
    def __init__(self, base: str, database_url: str, translator_token: str = ""):
        self.base = base
        self.database_url = database_url
        # A good translator link (Northern Sámi, the demo survey): its page is walked too.
        self.translator_token = translator_token

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="package")
def site(settings) -> Iterator[Site]:
    from surveys.infra import queue
    from tests.conftest import run_worker
    from webapp import create_app

    app = create_app(settings, {"TESTING": True})
    conn = queue.connect(settings.redis_url)
    conn.flushdb()
    with db.session_scope(settings.database_url) as s:
        demo.seed(s)
        # A closed survey: a copy of the Lapland survey under another slug.
        definition = yaml.safe_load(demo.definitions()[1])
        assert definition["slug"] == LAPPI
        definition["slug"] = CLOSED
        lifecycle.import_survey(s, yaml.safe_dump(definition, allow_unicode=True))
        lifecycle.publish(s, CLOSED)
        lifecycle.close(s, CLOSED)
        _link, translator_token = translator_links.create(
            s, lookup.find(s, DEMO), "se", now=datetime.now(UTC))
    # Enough answers for figures in three counties of two areas.
    client = app.test_client()
    for i, region in enumerate(["17"] * 7 + ["19"] * 7 + ["21"] * 6):
        resp = submit(client, DEMO, "fi", {**VALID_ANSWERS, "region": region,
                                           "recommend": str(i % 11), "got_help": str(i % 5 + 1)})
        assert resp.status_code == 303
    # A staff survey answered in one of its units: HR's results by unit.
    with db.session_scope(settings.database_url) as s:
        org_units.import_file(s, STAFF_COUNTY, STAFF_TREE.encode())
        lifecycle.import_survey(s, staff_yaml(STAFF, STAFF_ORG, STAFF_COUNTY))
        lifecycle.publish(s, STAFF)
        links = invitations.create(s, lookup.find(s, STAFF), "HR", 12)
    for i, token in enumerate(links):
        page = client.get(f"/fi/i/{token}").get_data(as_text=True)
        resp = client.post(f"/fi/i/{token}", data={
            **form_tokens(page), "workload": str(i % 3 + 3),
            "profession": "nurse" if i % 2 else "other"})
        assert resp.status_code == 303
    run_worker(conn)
    conn.flushdb()  # the answers above must not count against the submission limit

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{port}", settings.database_url, translator_token)
    finally:
        server.shutdown()
        thread.join(10)
        with db.session_scope(settings.database_url) as s:
            for table in DATA_TABLES:
                s.execute(delete(table))
        conn.flushdb()
        reset_process_caches()


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: .ci/run installs the chromium package")
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True)
        yield browser
        browser.close()


def new_page(browser, width: int = 1280, height: int = 900, **options):
    """A page in a fresh context (no cookies): each test is a new respondent. Content Security
    Policy violations (an inline style or script) fail the test."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda msg: page.csp_errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return page


def click_and_load(page, target) -> None:
    """Clicks what submits a form or follows a link and returns once the next page has loaded:
    a click alone may return before the navigation starts, and wait_for_load_state() then
    answers for the page being left."""
    with page.expect_navigation():
        target.click()


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    assert not page.csp_errors, page.csp_errors
    page.context.close()


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS)
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
                                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                     resultTypes: ['violations']})""")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5],
         "summary": v["nodes"][0].get("failureSummary", "")[:300] if v["nodes"] else ""}
        for v in result["violations"]
    ]


def screenshots_dir(tmp_path_factory) -> Path:
    """Where the screenshots go: PALAUTE_SCREENSHOTS (e.g. docs/screenshots) if set, else a
    temporary folder (the test still writes them, and checks they are real images)."""
    wanted = os.environ.get("PALAUTE_SCREENSHOTS")
    if wanted:
        path = Path(wanted)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


