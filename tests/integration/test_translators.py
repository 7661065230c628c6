"""The translators' workflow through the test client, against the real database: each survey
language's state on the admin pages, PO download and upload from the UI (the same files as
`palaute surveys export-po` / `import-po`), and the time-limited translator link, which edits
one language of one survey and nothing else: not another language, not another survey, no
admin page; expired and revoked links are refused; every save is in the audit log."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from babel.messages.pofile import read_po, write_po
from sqlalchemy import select

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from surveys.models import AuditEvent, TranslatorLink
from tests.conftest import make_user, sign_in
from webapp.extensions import set_clock

SOURCE = {"fi": "Saitko apua?"}


def definition(slug: str, languages=("fi", "sv"), scope: str = "national") -> str:
    def texts(fi: str, sv: str, se: str) -> dict[str, str]:
        all_ = {"fi": fi, "sv": sv, "se": se}
        return {lang: all_[lang] for lang in languages}

    return yaml.safe_dump({
        "slug": slug, "audience": "citizen", "scope": scope, "languages": list(languages),
        "goals": [2], "title": texts("Palautekysely", "Responsenkät", "Máhcahusjearaldat"),
        "privacy": {"controller": texts("Hyvinvointialue", "Välfärdsområdet", "Buresvuohta")},
        "questions": [
            {"id": "apu", "type": "likert5", "text": texts("Saitko apua?", "Fick du hjälp?",
                                                           "Oažžugo veahki?")},
            {"id": "palvelu", "type": "single", "text": texts("Mikä palvelu?", "Vilken tjänst?",
                                                              "Makkár bálvalus?"),
             "choices": [{"id": "hammas", "label": texts("Hammashoito", "Tandvård",
                                                         "Bátnedikšu")},
                         {"id": "neuvola", "label": texts("Neuvola", "Rådgivning",
                                                          "Ráđđeaddin")}]},
        ],
    }, allow_unicode=True)


def store(database_url, slug: str, languages=("fi", "sv"), publish=False) -> str:
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, definition(slug, languages))
        if publish:
            lifecycle.publish(s, slug, "pilot")
    return slug


def stored(database_url, slug: str) -> dict:
    with db.session_scope(database_url) as s:
        return lookup.find(s, slug).definition


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def make_link(client, slug: str, lang: str, days: str = "14") -> str:
    page = client.get(f"/fi/admin/surveys/{slug}/translations").get_data(as_text=True)
    r = client.post(f"/fi/admin/surveys/{slug}/translator-links", data={
        "csrf_token": csrf_of(page), "op": "create", "language": lang, "days": days})
    assert r.status_code == 200, r.get_data(as_text=True)
    m = re.search(r'<code class="new-link">http://localhost(/fi/translate/[^<]+)</code>',
                  r.get_data(as_text=True))
    assert m, "the new link is shown once"
    return m[1]


def translator_form(client, link: str) -> tuple[str, dict[str, str]]:
    page = client.get(link)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    fields = dict(re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    fields["revision"] = re.search(r'name="revision" value="(\d+)"', html)[1]
    fields["csrf_token"] = csrf_of(html)
    return html, fields


def translator_events(database_url) -> list[tuple[str, str, str, str | None]]:
    with db.session_scope(database_url) as s:
        return [(e.action, e.outcome, e.via, e.object_id)
                for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
                if e.action.startswith(("translator", "surveys.", "translator_links"))]


@pytest.fixture
def two_surveys(database_url):
    return store(database_url, "kaannos-a"), store(database_url, "kaannos-b")


def test_a_link_edits_only_its_language_of_its_survey(admin_client, app, database_url,
                                                      two_surveys):
    a, b = two_surveys
    link = make_link(admin_client, a, "se")
    with db.session_scope(database_url) as s:
        row = s.scalar(select(TranslatorLink))
        # Only the token's hash is stored.
        assert row.lang == "se" and link.rsplit("/", 1)[1] not in row.token_hash
        assert len(row.token_hash) == 64
    before_b = stored(database_url, b)

    translator = app.test_client()  # no admin session: the link is all it has
    html, fields = translator_form(translator, link)
    assert "Saitko apua?" in html and 'lang="se"' in html
    fields.update({"title": "Máhcahusjearaldat", "questions[0].text": "Oažžugo veahki?",
                   # A field for another language can't be named: only paths exist.
                   "title.sv": "Hacked", "sv": "Hacked"})
    r = translator.post(link, data=fields)
    assert r.status_code == 200, r.get_data(as_text=True)
    after = stored(database_url, a)
    assert after["title"] == {"fi": "Palautekysely", "sv": "Responsenkät",
                              "se": "Máhcahusjearaldat"}
    assert after["questions"][0]["text"]["se"] == "Oažžugo veahki?"
    assert after["questions"][0]["text"]["sv"] == "Fick du hjälp?"
    assert "se" in after["languages"]
    # A Sámi text saved through a link is a draft awaiting native review.
    assert after["translation_review"] == {"se": "draft"}
    assert stored(database_url, b) == before_b

    # A PO file in another language is refused (403) and changes nothing.
    sv_po = io.BytesIO()
    catalog = read_po(io.BytesIO(admin_client.get(
        f"/fi/admin/surveys/{a}/translations/po?language=sv").get_data()))
    for m in catalog:
        if m.id:
            m.string = "Hacked"
    write_po(sv_po, catalog)
    r = translator.post(link + "/po", data={"csrf_token": fields["csrf_token"],
                                            "po": (io.BytesIO(sv_po.getvalue()), "a.sv.po")})
    assert r.status_code == 403
    assert stored(database_url, a) == after
    # The link's PO download is in its own language whatever is asked.
    po = translator.get(link + "/po?language=sv")
    assert po.status_code == 200
    assert read_po(io.BytesIO(po.get_data())).locale.language == "se"

    # The link opens no admin page, not even of its own survey, nor another survey's texts.
    for url in (f"/fi/admin/surveys/{a}", f"/fi/admin/surveys/{a}/edit",
                f"/fi/admin/surveys/{a}/translations", f"/fi/admin/surveys/{b}/translations",
                f"/fi/admin/surveys/{a}/results", "/fi/admin/translations"):
        resp = translator.get(url)
        assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"], url
    assert translator.post(f"/fi/admin/surveys/{b}/translations/upload").status_code == 400

    events = translator_events(database_url)
    assert ("translator.save", "ok", "translator", f"1:{a}:se") in \
        [(e[0], e[1], e[2], "1:" + e[3].split(":", 1)[1]) for e in events]
    assert any(e[0] == "translator.import_po" and e[1] == "refused" for e in events)
    assert any(e[0] == "translator_links.create" and e[2] == "web" for e in events)


def test_a_saved_text_goes_through_the_po_checks(admin_client, app, database_url,
                                                two_surveys):
    a, _b = two_surveys
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, a)
        survey.definition = {**survey.definition,
                             "title": {"fi": "Kysely %(vuosi)s", "sv": "Enkät %(vuosi)s"}}
    link = make_link(admin_client, a, "sv")
    translator = app.test_client()
    _html, fields = translator_form(translator, link)
    fields["title"] = "Enkät utan platshållare"
    r = translator.post(link, data=fields)
    assert r.status_code == 422
    assert stored(database_url, a)["title"]["sv"] == "Enkät %(vuosi)s"
    assert ("translator.save", "refused") in [e[:2] for e in translator_events(database_url)]
    # A Swedish text is not a Sámi draft.
    fields["title"] = "Enkät år %(vuosi)s"
    assert translator.post(link, data=fields).status_code == 200
    assert stored(database_url, a)["title"]["sv"] == "Enkät år %(vuosi)s"
    assert "translation_review" not in stored(database_url, a) or \
        "sv" not in stored(database_url, a)["translation_review"]


def test_expired_and_revoked_links_are_refused(admin_client, app, database_url, two_surveys):
    a, _b = two_surveys
    link = make_link(admin_client, a, "se", days="1")
    translator = app.test_client()
    _html, fields = translator_form(translator, link)
    fields["title"] = "Máhcahusjearaldat"
    start = datetime.now(UTC)
    set_clock(app, lambda: start + timedelta(days=1, minutes=1))
    try:
        assert translator.get(link).status_code == 410
        assert translator.post(link, data=fields).status_code == 410
        assert translator.get(link + "/po").status_code == 410
    finally:
        set_clock(app, None)
    assert "se" not in stored(database_url, a)["title"]

    second = make_link(admin_client, a, "se")
    _html, fields2 = translator_form(translator, second)
    fields2["title"] = "Máhcahusjearaldat"
    page = admin_client.get(f"/fi/admin/surveys/{a}/translations").get_data(as_text=True)
    with db.session_scope(database_url) as s:
        ids = sorted(s.scalars(select(TranslatorLink.id)))
    r = admin_client.post(f"/fi/admin/surveys/{a}/translator-links", data={
        "csrf_token": csrf_of(page), "op": "revoke", "link": str(ids[-1])})
    assert r.status_code == 303
    assert translator.get(second).status_code == 410
    assert translator.post(second, data=fields2).status_code == 410
    assert "se" not in stored(database_url, a)["title"]
    assert translator.get("/fi/translate/" + "A" * 43).status_code == 410
    actions = [e[0] for e in translator_events(database_url)]
    assert actions.count("translator_links.create") == 2
    assert "translator_links.revoke" in actions


def test_only_admins_who_may_edit_the_survey_make_links(app, database_url):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, definition("kaannos-17").replace("scope: national",
                                                                    "scope: '17'"))
    make_user(database_url, "other@example.fi", "region_admin", region="06")
    make_user(database_url, "analyst@example.fi", "analyst", grants=["17"])
    for email in ("other@example.fi", "analyst@example.fi"):
        client = app.test_client()
        assert sign_in(client, email).status_code == 303
        assert client.get("/fi/admin/surveys/kaannos-17/translator-links").status_code == 404
    with db.session_scope(database_url) as s:
        assert s.scalar(select(TranslatorLink)) is None


def test_po_download_and_upload_round_trip_through_the_ui(admin_client, database_url):
    slug = store(database_url, "kaannos-po", languages=("fi",))
    overview = admin_client.get("/fi/admin/translations").get_data(as_text=True)
    assert f"/fi/admin/surveys/{slug}/translations" in overview
    page = admin_client.get(f"/fi/admin/surveys/{slug}/translations")
    assert page.status_code == 200
    po = admin_client.get(f"/fi/admin/surveys/{slug}/translations/po?language=sv")
    assert po.status_code == 200
    assert po.headers["Content-Disposition"] == f'attachment; filename="{slug}.sv.po"'
    catalog = read_po(io.BytesIO(po.get_data()))
    contexts = {m.context for m in catalog if m.id}
    assert {"title", "privacy.controller", "questions[1].choices[0].label"} <= contexts
    translations = {"title": "Responsenkät", "privacy.controller": "Välfärdsområdet",
                    "questions[0].text": "Fick du hjälp?",
                    "questions[1].text": "Vilken tjänst?",
                    "questions[1].choices[0].label": "Tandvård",
                    "questions[1].choices[1].label": "Rådgivning"}
    for m in catalog:
        if m.id:
            m.string = translations[m.context]
    out = io.BytesIO()
    write_po(out, catalog)
    r = admin_client.post(f"/fi/admin/surveys/{slug}/translations/upload", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)),
        "po": (io.BytesIO(out.getvalue()), f"{slug}.sv.po")})
    assert r.status_code == 200, r.get_data(as_text=True)
    d = stored(database_url, slug)
    assert d["languages"] == ["fi", "sv"]
    assert d["privacy"]["controller"]["sv"] == "Välfärdsområdet"
    assert d["questions"][1]["choices"][1]["label"]["sv"] == "Rådgivning"
    # Downloaded again, the file carries the translations: the round trip is whole.
    again = read_po(io.BytesIO(admin_client.get(
        f"/fi/admin/surveys/{slug}/translations/po?language=sv").get_data()))
    assert {m.context: m.string for m in again if m.id} == translations
    # The per-language state: sv complete now, se missing; on both pages.
    html = admin_client.get(f"/fi/admin/surveys/{slug}/translations").get_data(as_text=True)
    row = re.search(r'\(sv\)</th>\s*<td>([^<]*)</td>', html)
    assert row and row[1] == "Valmis"
    # A broken file changes nothing and says why.
    r = admin_client.post(f"/fi/admin/surveys/{slug}/translations/upload", data={
        "csrf_token": csrf_of(html), "po": (io.BytesIO(b"msgid \"x\"\nmsgstr"), "x.po")})
    assert r.status_code == 422
    assert stored(database_url, slug) == d


def test_sami_upload_is_a_draft_until_marked_reviewed(admin_client, database_url):
    slug = store(database_url, "kaannos-se", languages=("fi", "sv"))
    page = admin_client.get(f"/fi/admin/surveys/{slug}/translations").get_data(as_text=True)
    catalog = read_po(io.BytesIO(admin_client.get(
        f"/fi/admin/surveys/{slug}/translations/po?language=se").get_data()))
    for m in catalog:
        if m.id:
            m.string = "Sámegiella " + m.context
    out = io.BytesIO()
    write_po(out, catalog)
    r = admin_client.post(f"/fi/admin/surveys/{slug}/translations/upload", data={
        "csrf_token": csrf_of(page), "po": (io.BytesIO(out.getvalue()), "se.po")})
    assert r.status_code == 200
    assert stored(database_url, slug)["translation_review"] == {"se": "draft"}
    overview = admin_client.get("/fi/admin/translations").get_data(as_text=True)
    assert "Luonnos, odottaa" in overview
    r = admin_client.post(f"/fi/admin/surveys/{slug}/translations/review", data={
        "csrf_token": csrf_of(page), "language": "se", "state": "reviewed"})
    assert r.status_code == 303
    assert stored(database_url, slug)["translation_review"] == {"se": "reviewed"}
    assert ("surveys.review_reviewed", "ok") in [e[:2] for e in translator_events(database_url)]
