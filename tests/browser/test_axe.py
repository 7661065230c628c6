"""axe-core (vendored, tests/browser/vendor) finds no WCAG 2.0/2.1 A or AA violation on any public
page in any interface language, nor on the admin pages."""

from __future__ import annotations

import pytest

from surveys.infra import clock

from .conftest import CLOSED, DEMO, UI_LANGUAGES, axe_violations, click_and_load, survey_for

PAGES = ("index", "form", "form_errors", "thanks", "closed", "privacy", "results",
         "results_region", "admin_surveys", "admin_survey", "admin_translations",
         "translator")


def open_page(page, site, lang: str, name: str) -> None:
    slug = survey_for(lang) or DEMO  # English: the page saying which languages it has
    paths = {
        "index": f"/{lang}/",
        "form": f"/{lang}/s/{slug}",
        "form_errors": f"/{lang}/s/{slug}",
        "thanks": f"/{lang}/s/{slug}/thanks",
        "closed": f"/{lang}/s/{CLOSED}",
        "privacy": f"/{lang}/s/{slug}/privacy",
        "results": f"/{lang}/results/{DEMO}",
        "results_region": f"/{lang}/results/{DEMO}?region=19",
        "admin_surveys": f"/{lang}/admin/surveys",
        "admin_survey": f"/{lang}/admin/surveys/{DEMO}",
        "admin_translations": f"/{lang}/admin/translations",
        # A translator link's page (no sign-in: the link is its key).
        "translator": f"/{lang}/translate/{site.translator_token}",
    }
    resp = page.goto(site.url(paths[name]))
    assert resp.status < 500
    if name == "translator":
        assert resp.status == 200
    if name == "form_errors" and survey_for(lang):
        click_and_load(page, page.locator("form button[type=submit]"))
        assert page.locator(".error-summary").count() == 1


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", UI_LANGUAGES)
def test_no_axe_violations(page, site, lang, name):
    open_page(page, site, lang, name)
    violations = axe_violations(page)
    assert violations == [], violations


def test_no_axe_violations_on_the_api_docs(page, site):
    page.goto(site.url("/api/docs"))
    violations = axe_violations(page)
    assert violations == [], violations


def test_axe_is_really_checking(page):
    """The check itself: a page with known faults (no language, an image without a text
    alternative, grey on white) is reported."""
    page.set_content('<!doctype html><html><head><title>t</title>'
                     '<style>p { color: #aaa; }</style></head><body>'
                     '<img src="data:,"><p>Harmaata harmaalla</p></body></html>')
    found = {v["id"] for v in axe_violations(page)}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= found, found


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_no_axe_violations_on_the_invitations_page(page, site, lang):
    """HR's invitations page of a staff survey, signed in, with its e-mail section filled: the
    form of addresses (with a list of bad lines) and the table of mails per unit."""

    from sqlalchemy import delete, select

    from surveys.definitions import lifecycle
    from surveys.infra import db
    from surveys.models import Invitation, InvitationMail, Survey, Unit, User, UserSession
    from surveys.staff import participation, units
    from tests.conftest import make_user
    from tests.integration.test_staff_units import TREE
    from tests.unit.staff.test_staff_format import SLUG, staff_yaml

    with db.session_scope(site.database_url) as s:
        units.import_file(s, "17", TREE.encode())
        lifecycle.import_survey(s, staff_yaml())
        lifecycle.publish(s, SLUG)
    with db.session_scope(site.database_url) as s:  # the night's count the page shows
        participation.count(s, s.scalar(select(Survey).where(Survey.slug == SLUG)),
                            clock.today())
    make_user(site.database_url, f"hr-axe-{lang}@example.fi", "hr_admin", org="ORG1")
    try:
        page.goto(site.url(f"/{lang}/admin/login"))
        page.fill("#email", f"hr-axe-{lang}@example.fi")
        page.fill("#password", "korrekt-hevonen-paristo-niitti")
        click_and_load(page, page.locator("form button[type=submit]"))
        page.goto(site.url(f"/{lang}/admin/surveys/{SLUG}/invitations"))
        page.fill("#addresses", "a1@example.fi\na2@example.fi")
        click_and_load(page, page.locator("form:has(#addresses) button[type=submit]"))
        assert page.locator("table").count() == 2  # response rates, mails per unit
        assert axe_violations(page) == []
        page.fill("#addresses", "a3@example.fi\nei-osoite")
        click_and_load(page, page.locator("form:has(#addresses) button[type=submit]"))
        assert page.locator(".error-summary").count() == 1
        assert axe_violations(page) == []
    finally:
        with db.session_scope(site.database_url) as s:
            survey_ids = select_ids(s, Survey, Survey.slug == SLUG)
            s.execute(delete(InvitationMail).where(InvitationMail.survey_id.in_(survey_ids)))
            s.execute(delete(Invitation).where(Invitation.survey_id.in_(survey_ids)))
            s.execute(delete(Survey).where(Survey.slug == SLUG))
            s.execute(delete(Unit).where(Unit.region_code == "17", Unit.parent_id.is_not(None)))
            s.execute(delete(Unit).where(Unit.region_code == "17"))
            user_ids = select_ids(s, User, User.email == f"hr-axe-{lang}@example.fi")
            s.execute(delete(UserSession).where(UserSession.user_id.in_(user_ids)))
            s.execute(delete(User).where(User.id.in_(user_ids)))


def select_ids(session, model, condition) -> list[int]:
    from sqlalchemy import select

    return list(session.scalars(select(model.id).where(condition)))
