"""A translator's PO file that can't be imported is refused in the user's language, each
problem at its entry (the file's line, the text's msgctxt): through a translator link's pages
in Finnish and the admin's upload page in Swedish, against the real database. Every kind of
problem has its test in tests/unit/webapp/test_po_messages.py."""

from __future__ import annotations

import html
import io
import re

from babel.messages.pofile import read_po, write_po

from surveys.definitions import lookup
from surveys.infra import db
from tests.integration.test_translators import (
    csrf_of,
    make_link,
    store,
    stored,
    translator_form,
)


def with_placeholder(database_url, slug: str) -> None:
    """The survey's title has a placeholder a translation must keep."""
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, slug)
        survey.definition = {**survey.definition,
                             "title": {"fi": "Kysely %(vuosi)s", "sv": "Enkät %(vuosi)s"}}


def shown_errors(page: str) -> list[str]:
    box = re.search(r'<div class="error-summary"[^>]*>\s*<ul>(.*?)</ul>', page, re.DOTALL)
    assert box, "no errors shown"
    return [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", box[1], re.DOTALL)]


def po_file(raw: bytes, texts: dict[str, str], extra: str = "") -> tuple[bytes, dict[str, int]]:
    """The downloaded PO translated with `texts` ({msgctxt: msgstr}) and `extra` entries
    appended, and the line of each entry in it (its msgid's, after the msgctxt)."""
    catalog = read_po(io.BytesIO(raw))
    for m in catalog:
        if m.id:
            m.string = texts.get(m.context, "")
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    text = out.getvalue().decode() + extra
    lines = {m[1]: n + 1 for n, line in enumerate(text.splitlines(), 1)
             if (m := re.match(r'msgctxt "(.*)"$', line))}
    return text.encode(), lines


def test_a_translators_faulty_po_is_refused_in_finnish(admin_client, app, database_url):
    slug = store(database_url, "kaannos-viestit")
    with_placeholder(database_url, slug)
    link = make_link(admin_client, slug, "se")
    translator = app.test_client()
    _page, fields = translator_form(translator, link)

    download = translator.get(link + "/po")
    assert download.status_code == 200
    raw, lines = po_file(download.get_data(), {
        "title": "Jearaldat", "questions[0].text": "Oažžugo <b>veahki</b>?"},
        extra='\nmsgctxt "titel"\nmsgid "Kysely %(vuosi)s"\nmsgstr "Jearaldat %(vuosi)s"\n')
    r = translator.post(link + "/po", data={"csrf_token": fields["csrf_token"],
                                            "po": (io.BytesIO(raw), f"{slug}.se.po")})
    assert r.status_code == 422
    assert shown_errors(r.get_data(as_text=True)) == [
        "Tiedostoa ei tuotu eikä mitään muutettu:",
        f"Rivi {lines['title']} (title): Käännöksestä puuttuu lähdetekstin paikkamerkkejä: "
        "%(vuosi)s. Kopioi ne käännökseen sellaisinaan.",
        f"Rivi {lines['questions[0].text']} (questions[0].text): Käännöksessä on HTML-tageja, "
        "joita lähdetekstissä ei ole: <b>, </b>. Poista ne.",
        f"Rivi {lines['titel']}: Kyselyssä ei ole tekstiä titel (msgctxt): lataa uusi "
        "PO-tiedosto ja käännä siinä.",
    ]
    assert "se" not in stored(database_url, slug)["title"]

    # A file in another language than the link's: refused (403), said in Finnish.
    raw, _lines = po_file(admin_client.get(
        f"/fi/admin/surveys/{slug}/translations/po?language=sv").get_data(), {})
    r = translator.post(link + "/po", data={"csrf_token": fields["csrf_token"],
                                            "po": (io.BytesIO(raw), f"{slug}.sv.po")})
    assert r.status_code == 403
    assert shown_errors(r.get_data(as_text=True))[1:] == [
        "PO-tiedosto on kielellä sv, mutta tällä linkillä voi kääntää vain kielelle se."]

    # A file that is not PO: said with its line.
    r = translator.post(link + "/po", data={
        "csrf_token": fields["csrf_token"],
        "po": (io.BytesIO(b'msgid ""\nmsgstr ""\n\nJearaldat\n'), "x.po")})
    assert r.status_code == 422
    assert shown_errors(r.get_data(as_text=True)) == [
        "Rivi 4: Tiedosto ei ole luettava PO-tiedosto."]

    # The link's form: the same checks, each problem at its field.
    fields["title"] = "Jearaldat"
    r = translator.post(link, data=fields)
    assert r.status_code == 422
    assert shown_errors(r.get_data(as_text=True))[1:] == [
        "title: Käännöksestä puuttuu lähdetekstin paikkamerkkejä: %(vuosi)s. Kopioi ne "
        "käännökseen sellaisinaan."]
    assert "se" not in stored(database_url, slug)["title"]


def test_the_admins_upload_says_what_is_wrong_in_swedish(admin_client, database_url):
    slug = store(database_url, "kaannos-upload", publish=True)
    page = admin_client.get(f"/sv/admin/surveys/{slug}/translations").get_data(as_text=True)
    download = admin_client.get(f"/sv/admin/surveys/{slug}/translations/po?language=en")

    # A text longer than a survey text may be: the validator's message, at its entry.
    raw, lines = po_file(download.get_data(), {"title": "Feedback", "questions[1].text":
                                               "x" * 5001})
    r = admin_client.post(f"/sv/admin/surveys/{slug}/translations/upload", data={
        "csrf_token": csrf_of(page), "po": (io.BytesIO(raw), f"{slug}.en.po")})
    assert r.status_code == 422
    assert shown_errors(r.get_data(as_text=True)) == [
        "Filen importerades inte och ingenting ändrades:",
        f"Rad {lines['questions[1].text']} (questions[1].text): Det här får vara högst 5000 "
        "tecken långt; korta av det.",
    ]

    # English added to the open survey with one text only.
    raw, _lines = po_file(download.get_data(), {"title": "Feedback"})
    r = admin_client.post(f"/sv/admin/surveys/{slug}/translations/upload", data={
        "csrf_token": csrf_of(page), "po": (io.BytesIO(raw), f"{slug}.en.po")})
    assert r.status_code == 422
    [_heading, message] = shown_errors(r.get_data(as_text=True))
    assert message.startswith(
        "Enkäten är redan öppen, så en kan läggas till bara när alla texter är översatta. "
        "Saknas: privacy.controller, questions[0].text, "), message
    assert stored(database_url, slug)["languages"] == ["fi", "sv"]
