"""The YAML import page says what is wrong in the admin's language: the validator's messages
(tests/unit/webapp/test_definition_messages.py covers each of them) and the life cycle's own,
which need the database: a published survey's shape, its threshold and its languages."""

from __future__ import annotations

import copy
import html
import io
import re

import yaml

from surveys.definitions import lifecycle, lookup
from surveys.infra import db

SURVEY = {
    "slug": "viestit", "audience": "citizen", "scope": "national", "languages": ["fi", "sv"],
    "goals": [2], "title": {"fi": "Kysely", "sv": "Enkät"},
    "questions": [
        {"id": "palvelu", "type": "single", "text": {"fi": "Palvelu", "sv": "Tjänst"},
         "choices": [{"id": "a", "label": {"fi": "A", "sv": "A"}},
                     {"id": "b", "label": {"fi": "B", "sv": "B"}}]},
        {"id": "ika", "type": "number", "text": {"fi": "Ikä", "sv": "Ålder"},
         "min": 15, "max": 110},
    ],
}


def upload(client, lang: str, definition) -> tuple[int, list[str]]:
    """Import `definition` (a dict, or YAML text) on the page in `lang`: the status and the
    messages the page shows (each without its field path)."""
    page = client.get(f"/{lang}/admin/surveys/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    text = definition if isinstance(definition, str) else yaml.safe_dump(
        definition, allow_unicode=True)
    r = client.post(f"/{lang}/admin/surveys/import", data={
        "csrf_token": token, "definition": (io.BytesIO(text.encode()), "kysely.yaml")})
    body = r.get_data(as_text=True)
    items = re.findall(r"<li><code>[^<]*</code>: (.*?)</li>", body, re.DOTALL)
    return r.status_code, [html.unescape(m) for m in items]


def published(admin_client, database_url) -> None:
    status, messages = upload(admin_client, "fi", SURVEY)
    assert status == 303, messages
    with db.session_scope(database_url) as s:
        lifecycle.publish(s, "viestit")


def test_the_import_page_says_what_is_wrong_in_swedish(admin_client, database_url):
    bad = {**copy.deepcopy(SURVEY), "audience": "robots", "titel": "x", "goals": [2, 2],
           "embed_origins": ["http://www.example.fi"]}
    bad["questions"][0]["choices"] = bad["questions"][0]["choices"][:1]
    status, messages = upload(admin_client, "sv", bad)
    assert status == 422
    assert sorted(messages) == sorted([
        "Värdet robots är inte tillåtet här; använd något av dessa: citizen, staff.",
        "Skriv webbplatsens adress som https://www.example.fi (med små bokstäver, utan sökväg "
        "och utan snedstreck i slutet), eller https://*.example.fi för alla dess underdomäner.",
        "Samma värde finns två gånger i listan; ange varje värde bara en gång.",
        "Listan behöver minst 2 poster; lägg till de som saknas.",
        "Okänt fält titel: ta bort det eller rätta stavningen.",
    ]), messages
    # A date that is not in the calendar, as YAML reads it (a date, not text): refused with
    # its line, not a server error.
    status, messages = upload(admin_client, "sv", "slug: viestit\nopens_on: 2027-02-30\n")
    assert (status, messages) == (
        422, ["Datumet 2027-02-30 finns inte i kalendern; kontrollera dag och månad."])
    with db.session_scope(database_url) as s:
        assert lookup.find(s, "viestit") is None


def test_a_published_surveys_import_says_what_may_not_change_in_finnish(admin_client,
                                                                        database_url):
    published(admin_client, database_url)
    changed = copy.deepcopy(SURVEY)
    changed["questions"][0]["type"] = "multi"
    changed["questions"][1]["max"] = 99
    changed["questions"].append({"id": "uusi", "type": "nps",
                                 "text": {"fi": "Uusi", "sv": "Ny"}})
    status, messages = upload(admin_client, "fi", changed)
    assert status == 422
    assert sorted(messages) == sorted([
        "Kysely on jo julkaistu, joten siihen ei voi lisätä kysymyksiä (uusi).",
        "Kysely on jo julkaistu, joten kysymyksen palvelu tyyppiä ei voi muuttaa (Yksi "
        "vaihtoehto → Useita vaihtoehtoja). Jos haluat muuttaa sitä, anna kysymykselle "
        "versio 2: tähänastiset vastaukset jäävät aiemmalle versiolle.",
        "Kysely on jo julkaistu, joten kysymyksen ika lukualuetta ei voi muuttaa. Jos haluat "
        "muuttaa sitä, anna kysymykselle versio 2: tähänastiset vastaukset jäävät aiemmalle "
        "versiolle.",
    ]), messages

    status, messages = upload(admin_client, "fi", {**SURVEY, "min_group_size": 3})
    assert (status, messages) == (
        422, ["Kysely on jo julkaistu; sen kynnystä voi nostaa mutta ei laskea alle arvon 5."])

    # Swedish dropped from an open national survey: its texts and the Language Act.
    without_sv = copy.deepcopy(SURVEY)
    without_sv["title"].pop("sv")
    status, messages = upload(admin_client, "fi", without_sv)
    assert status == 422
    assert messages == [
        "Kysely on avoinna, joten kaikki tekstit tarvitaan kielellä sv.",
        "Valtakunnallisen asukaskyselyn on oltava saatavilla suomeksi ja ruotsiksi "
        "(kielilaki 423/2003). Tekstejä puuttuu seuraavilla kielillä: sv.",
    ], messages
    with db.session_scope(database_url) as s:
        assert lookup.find(s, "viestit").definition["title"] == SURVEY["title"]
