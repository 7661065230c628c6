"""The accessibility statement and its feedback form, the translation error report form, what
they store (no client address, the day only, scrubbed texts), their limit per address, and the
admin pages that show them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, inspect, select

from surveys.infra import clock, db
from surveys.languages import LANGUAGES
from surveys.models import AccessibilityFeedback, TranslationReport
from webapp import feedback as feedback_web

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(client, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200
    return CSRF.search(resp.get_data(as_text=True)).group(1)


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


TRAFICOM_FI = "Liikenne- ja viestintävirasto Traficom"


@pytest.mark.parametrize(("lang", "heading", "authority"), [
    ("fi", "Saavutettavuusseloste", TRAFICOM_FI),
    ("sv", "Tillgänglighetsutlåtande", "Transport- och kommunikationsverket Traficom"),
    ("en", "Accessibility statement", "Finnish Transport and Communications Agency Traficom"),
    # Sámi: the Finnish statement, marked as Finnish (no invented Sámi).
    ("se", '<span lang="fi">Saavutettavuusseloste</span>', TRAFICOM_FI),
    ("smn", '<span lang="fi">Saavutettavuusseloste</span>', TRAFICOM_FI),
    ("sms", '<span lang="fi">Saavutettavuusseloste</span>', TRAFICOM_FI),
])
def test_statement_in_every_language(client, lang, heading, authority):
    resp = client.get(f"/{lang}/accessibility")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert authority in html
    assert "WCAG" in html and "2.1" in html
    # The date it was prepared, in the page's own date format.
    assert "2026" in html
    # The form: message required, contact optional, both said in words.
    assert 'name="message"' in html and 'name="contact"' in html
    assert re.search(r'<textarea id="fb-message" name="message"[^>]*required', html)
    assert not re.search(r'<input [^>]*name="contact"[^>]*required', html)
    site = "tillganglighetskrav.fi" if lang == "sv" else "saavutettavuusvaatimukset.fi"
    assert f'href="https://www.{site}/"' in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_footer_links_the_statement(client, demo_survey, lang):
    for path in (f"/{lang}/", f"/{lang}/s/{demo_survey}" if lang in ("fi", "sv", "se", "en")
                 else f"/{lang}/", f"/{lang}/results/{demo_survey}", f"/{lang}/s/no-such"):
        html = client.get(path).get_data(as_text=True)
        assert f'href="/{lang}/accessibility"' in html, path
    # Pages without a language prefix link the Finnish statement.
    assert 'href="/fi/accessibility"' in client.get("/no/such/page").get_data(as_text=True)


def test_feedback_is_stored_without_address_or_time(client, session):
    token = csrf(client, "/sv/accessibility")
    resp = client.post("/sv/accessibility", data={
        "csrf_token": token, "message": "Kontrasten är för svag. Min hetu 131052-308T.",
        "page": "/sv/s/x", "contact": ""})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/sv/feedback-sent/accessibility")
    assert "Tack för din respons" in client.get(resp.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    row = session.scalars(select(AccessibilityFeedback)).one()
    assert (row.lang, row.page, row.contact) == ("sv", "/sv/s/x", None)
    assert row.received_on == clock.today()
    assert "131052-308T" not in row.message and row.message.startswith("Kontrasten är för svag.")


def test_feedback_contact_is_optional_and_message_required(client, session):
    token = csrf(client, "/fi/accessibility")
    resp = client.post("/fi/accessibility", data={"csrf_token": token, "message": "  ",
                                                  "contact": "maija@example.org"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Täytä tämä kenttä." in html and 'href="#fb-message"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="fb-message-hint fb-message-error"' in html
    # What was typed is kept.
    assert 'value="maija@example.org"' in html
    assert count(session, AccessibilityFeedback) == 0
    token = csrf(client, "/fi/accessibility")
    assert client.post("/fi/accessibility", data={
        "csrf_token": token, "message": "Painike on liian pieni.",
        "contact": "maija@example.org"}).status_code == 303
    session.expire_all()
    assert session.scalars(select(AccessibilityFeedback.contact)).one() == "maija@example.org"


def test_forms_refuse_a_missing_or_foreign_csrf_token(client, session):
    assert client.post("/fi/accessibility", data={"message": "x"}).status_code == 400
    other = client.application.test_client()
    token = csrf(other, "/fi/translation-report")
    resp = client.post("/fi/translation-report", data={"csrf_token": token, "problem": "x"})
    assert resp.status_code == 400
    assert "Lomake oli vanhentunut" in resp.get_data(as_text=True)
    assert count(session, AccessibilityFeedback) == count(session, TranslationReport) == 0


def test_translation_report_from_the_draft_notice(client, admin_client, session):
    html = client.get("/sms/").get_data(as_text=True)
    link = re.search(r'href="(/sms/translation-report\?page=[^"]+)"', html).group(1)
    form = client.get(link).get_data(as_text=True)
    # "Which page" is filled in from the link.
    assert 'id="fb-page" name="page" maxlength="300" value="/sms/"' in form
    token = CSRF.search(form).group(1)
    resp = client.post("/sms/translation-report", data={
        "csrf_token": token, "page": "/sms/", "problem": "Sana on väärin.",
        "suggestion": "Parempi sana, soita 040 123 4567"})
    assert resp.status_code == 303
    session.expire_all()
    row = session.scalars(select(TranslationReport)).one()
    assert (row.lang, row.page, row.problem) == ("sms", "/sms/", "Sana on väärin.")
    assert "040 123 4567" not in row.suggestion
    # The administrators see it on the translation status page.
    admin = admin_client.get("/fi/admin/translations").get_data(as_text=True)
    assert "Sana on väärin." in admin and '<td lang="sms">' in admin


def test_translation_report_rejects_foreign_page_values(client):
    form = client.get("/se/translation-report?page=https://evil.example/").get_data(as_text=True)
    assert 'id="fb-page" name="page" maxlength="300" value=""' in form
    assert client.get("/se/translation-report?page=/se/s/x%22%3E").status_code == 200


def test_too_long_text_is_refused_in_the_page_language(client, session):
    token = csrf(client, "/sv/translation-report")
    resp = client.post("/sv/translation-report", data={"csrf_token": token,
                                                        "problem": "x" * 2001})
    assert resp.status_code == 400
    assert "Texten är för lång." in resp.get_data(as_text=True)
    assert count(session, TranslationReport) == 0


def test_sends_are_limited_per_address(app, session, monkeypatch):
    monkeypatch.setattr(feedback_web, "FEEDBACK_LIMIT", 2)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for i in range(2):
        token = csrf(client, "/fi/accessibility")
        assert client.post("/fi/accessibility", data={
            "csrf_token": token, "message": f"Viesti {i}"}).status_code == 303
    token = csrf(client, "/fi/accessibility")
    resp = client.post("/fi/accessibility", data={"csrf_token": token, "message": "Kolmas"})
    assert resp.status_code == 429
    assert 0 < int(resp.headers["Retry-After"]) <= feedback_web.FEEDBACK_WINDOW_S
    html = resp.get_data(as_text=True)
    assert "hyvin monta viestiä" in html and "Kolmas" in html
    assert count(session, AccessibilityFeedback) == 2
    # Another address is not limited; the other form has a counter of its own.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    token = csrf(other, "/fi/accessibility")
    assert other.post("/fi/accessibility", data={"csrf_token": token,
                                                 "message": "Toinen"}).status_code == 303
    token = csrf(client, "/fi/translation-report")
    assert client.post("/fi/translation-report", data={
        "csrf_token": token, "problem": "Väärä sana"}).status_code == 303


def test_limit_keys_hold_no_address(app, redis_conn):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    token = csrf(client, "/fi/accessibility")
    client.post("/fi/accessibility", data={"csrf_token": token, "message": "Hei"})
    keys = [k.decode() for k in redis_conn.keys(f"{feedback_web.KEY_PREFIX}:*")]
    assert len(keys) == 1 and "198.51.100" not in keys[0]
    assert 0 < redis_conn.ttl(keys[0]) <= feedback_web.FEEDBACK_WINDOW_S


def test_admin_page_lists_accessibility_feedback(client, admin_client, session):
    token = csrf(client, "/en/accessibility")
    client.post("/en/accessibility", data={"csrf_token": token, "message": "Focus is lost.",
                                           "contact": "+358 40 000 0000"})
    html = admin_client.get("/fi/admin/accessibility-feedback").get_data(as_text=True)
    assert "Focus is lost." in html and "+358 40 000 0000" in html
    assert "<h1>Saavutettavuuspalaute</h1>" in html


def test_tables_hold_no_address_and_no_time_finer_than_a_day(settings):
    engine = db.engine_for(settings)
    for table in ("translation_reports", "accessibility_feedback"):
        columns = {c["name"]: c for c in inspect(engine).get_columns(table)}
        for name, column in columns.items():
            assert not any(word in name for word in ("ip", "addr", "agent", "token")), name
            assert "TIMESTAMP" not in str(column["type"]).upper(), name
            assert "DATETIME" not in str(column["type"]).upper(), name


@pytest.mark.parametrize("lang", ["se", "smn", "sms"])
def test_draft_notice_in_finnish_with_a_report_link_and_finnish_page(client, demo_survey, lang):
    slug = "lappi-kielipalvelut-2026"
    html = client.get(f"/{lang}/s/{slug}").get_data(as_text=True)
    notice = html[html.index('<div class="notice draft-notice">'):]
    notice = notice[:notice.index("</div>")]
    # No sourced Sámi sentence exists: the Finnish one, marked, once.
    sentence = "Tämän kielen käyttöliittymätekstit ovat käännösluonnoksia"
    assert notice.count(sentence) == 1 and f'<span lang="fi">{sentence}' in notice
    assert f'href="/{lang}/translation-report?page=/{lang}/s/{slug}"' in notice
    assert (f'<a hreflang="fi" href="/fi/s/{slug}"><span lang="fi">Näytä tämä sivu suomeksi'
            in notice)


def test_no_draft_notice_in_reviewed_languages(client, demo_survey):
    for lang in ("fi", "sv", "en"):
        html = client.get(f"/{lang}/").get_data(as_text=True)
        assert "translation-report" not in html and "draft-notice" not in html
