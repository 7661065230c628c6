"""axe-core finds no WCAG 2.0/2.1 A or AA violation on the admin pages as a signed-in national
admin sees them (test_axe.py walks the public pages, and the sign-in page the admin addresses
show before signing in), in the administrators' languages."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ADMIN_PASSWORD, make_user

from .conftest import DEMO, STAFF, axe_violations, click_and_load, new_page

EMAIL = "axe-national@example.fi"
PAGES = {
    "home": "/{lang}/admin/",
    "surveys": "/{lang}/admin/surveys",
    "survey": "/{lang}/admin/surveys/" + DEMO,
    "builder_new": "/{lang}/admin/surveys/new",
    "builder_edit": "/{lang}/admin/surveys/" + DEMO + "/edit",
    # A staff template: each question's goals and the breakdown boxes.
    "builder_template": "/{lang}/admin/surveys/new?start=template:staff-wellbeing",
    "preview": "/{lang}/admin/surveys/" + DEMO + "/preview",
    "import": "/{lang}/admin/surveys/import",
    "comments": "/{lang}/admin/surveys/" + DEMO + "/comments/19",
    "queue": "/{lang}/admin/queue",
    "users": "/{lang}/admin/users",
    "invite": "/{lang}/admin/users/invite",
    "audit": "/{lang}/admin/audit",
    "tokens": "/{lang}/admin/tokens",
    "units": "/{lang}/admin/units",
    # HR's results by unit, a unit by a breakdown (its organisation's tree, its figures).
    "unit_results": "/{lang}/admin/surveys/" + STAFF + "/units?unit=SITE&breakdown=profession",
    "translations": "/{lang}/admin/translations",
    "accessibility_feedback": "/{lang}/admin/accessibility-feedback",
}


@pytest.fixture(scope="module")
def admin_page(browser, site):
    make_user(site.database_url, EMAIL, "national_admin")
    page = new_page(browser)
    page.goto(site.url("/fi/admin/login"))
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    click_and_load(page, page.locator("form button[type=submit]").first)
    assert "/admin/login" not in page.url
    yield page
    assert not page.csp_errors, page.csp_errors
    page.context.close()


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_no_axe_violations_on_admin_pages(admin_page, site, lang, name):
    resp = admin_page.goto(site.url(PAGES[name].format(lang=lang)))
    assert resp.status == 200, (name, resp.status)
    assert "/admin/login" not in admin_page.url
    violations = axe_violations(admin_page)
    assert violations == [], violations


def test_a_task_page_updates_itself_in_place_and_passes_axe(admin_page, site, settings):
    """The recount's progress page, reached as an admin does (the queue page's button): axe
    finds nothing while it waits, and its script puts the result in place once the job has
    run, without reloading the page (no timed refresh, WCAG 2.2.1)."""
    from surveys.infra import queue
    from tests.conftest import run_worker

    admin_page.goto(site.url("/fi/admin/queue"))
    click_and_load(admin_page, admin_page.locator("form[action$='/queue/rebuild'] button"))
    assert re.search(r"/fi/admin/queue/tasks/[0-9a-f]{32}$", admin_page.url)
    assert admin_page.locator("#task-progress").count() == 1
    violations = axe_violations(admin_page)
    assert violations == [], violations
    admin_page.evaluate("window.loadedOnce = true")  # gone if the page reloaded
    run_worker(queue.connect(settings.redis_url))
    admin_page.wait_for_selector("#task-done", timeout=15000)
    assert admin_page.evaluate("window.loadedOnce") is True
    assert "Valmis:" in admin_page.locator("#job-status").inner_text()


def test_questions_are_reordered_by_dragging(admin_page, site):
    """The builder's drag to reorder (webapp/static/builder.js): a question dropped on another
    takes its place; the buttons stay for keyboards and pages without JavaScript."""
    admin_page.goto(site.url("/fi/admin/surveys/new"))
    for _ in range(2):
        click_and_load(admin_page, admin_page.get_by_role("button", name="Lisää kysymys"))

    def ids():
        return [admin_page.input_value(f"[name='q{i}.id']") for i in range(3)]

    assert ids() == ["q1", "q2", "q3"]
    assert admin_page.locator(".builder-drag").first.is_visible()
    # Both questions on the screen at once (a person's drag scrolls the page as it goes).
    admin_page.set_viewport_size({"width": 1280, "height": 7000})
    try:
        with admin_page.expect_navigation():
            admin_page.locator("section[data-index='0'] .builder-drag").drag_to(
                admin_page.locator("section[data-index='2']"))
    finally:
        admin_page.set_viewport_size({"width": 1280, "height": 900})
    assert ids() == ["q2", "q3", "q1"]
    violations = axe_violations(admin_page)
    assert violations == [], violations
