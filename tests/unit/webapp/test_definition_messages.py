"""Every message the definition validation gives the builder and the YAML import page
(surveys.definitions.format: parse_yaml, validate; the language-rights messages of
surveys.definitions.language_rights) is shown in the admin's language: one broken definition
per kind of fault, through the real validator, then webapp.admin.builder.
message_in_user_language in a Finnish and a Swedish request. (The life cycle's own messages,
which need the database, are in tests/integration/test_builder_import_messages.py.)"""

from __future__ import annotations

import copy
import json

import pytest
from flask import g

from surveys.definitions import format as defs
from surveys.definitions import language_rights as rights
from tests.conftest import SETTINGS
from webapp.admin.builder import message_in_user_language
from webapp.factory import create_app

REGIONS = {"01", "06", "17"}
BASE = {
    "slug": "kysely", "audience": "citizen", "scope": "17", "languages": ["fi", "sv"],
    "goals": [2], "title": {"fi": "Kysely", "sv": "Enkät"},
    "questions": [
        {"id": "suosittelu", "type": "nps", "text": {"fi": "Suosittelisitko?"}},
        {"id": "palvelu", "type": "single", "text": {"fi": "Palvelu"},
         "choices": [{"id": "a", "label": {"fi": "A"}}, {"id": "b", "label": {"fi": "B"}}]},
        {"id": "ika", "type": "number", "text": {"fi": "Ikä"}, "min": 15, "max": 110},
        {"id": "vapaa", "type": "text", "text": {"fi": "Kerro"}},
    ],
}
STAFF = {**BASE, "audience": "staff", "organisation": "ORG1"}


def changed(base=BASE, **fields) -> dict:
    d = copy.deepcopy(base)
    d.update(copy.deepcopy(fields))
    return d


def question(i: int, base=BASE, **fields) -> dict:
    d = copy.deepcopy(base)
    d["questions"][i].update(copy.deepcopy(fields))
    return d


def without(field: str) -> dict:
    return {k: v for k, v in BASE.items() if k != field}


CHOICE = {"id": "c", "label": {"fi": "C"}}
# (what is wrong, the definition (a dict, or YAML text for the parser), a Finnish fragment).
FAULTS = [
    # The YAML itself.
    ("not YAML", "slug: [unclosed", "ei ole tässä kohdassa kelvollista YAMLia"),
    ("not a mapping", "- just a list", "on kuvattava yksi kysely"),
    ("impossible date in YAML", "slug: x\nopens_on: 2027-02-30\n",
     "Päivämäärää 2027-02-30 ei ole kalenterissa"),
    # The schema's keywords.
    ("required", without("title"), "Pakollinen kenttä title puuttuu"),
    ("unknown field", changed(titel={"fi": "x"}), "Tuntematon kenttä titel"),
    ("unknown fields", changed(foo=1, bar=2), "Tuntemattomat kentät bar, foo"),
    ("enum", changed(audience="robots"), "käytä jotakin näistä: citizen, staff"),
    ("enum of a language", changed(languages=["fi", "de"]), "Arvo de ei käy tähän"),
    ("enum of a text's language", changed(title={"fi": "K", "xx": "K"}), "Arvo xx ei käy"),
    ("enum of a review state", changed(translation_review={"fi": "done"}),
     "käytä jotakin näistä: draft, reviewed"),
    ("type string", changed(scope=6), "Kirjoita tähän tekstiä"),
    ("type integer", changed(min_group_size="five"), "Kirjoita kokonaisluku"),
    ("type boolean", changed(open_data="yes please"), "Kirjoita true tai false"),
    ("type array", changed(goals=2), "Kirjoita tähän luettelo"),
    ("type object", changed(title="Kysely"), "Kirjoita tähän nimettyjä kenttiä"),
    ("pattern of an id", question(0, id="Q1"), "Tunnus alkaa pienellä kirjaimella"),
    ("pattern of the slug", changed(slug="Oma Kysely"), "Osoitenimessä on vain"),
    ("pattern of the scope", changed(scope="6"), "kaksinumeroinen koodi"),
    ("pattern of a date", changed(opens_on="31.1.2027"), "muodossa VVVV-KK-PP"),
    ("pattern of an organisation", changed(STAFF, organisation="ORG 1"),
     "Organisaation tunnuksessa saa olla vain kirjaimia"),
    ("pattern of an embedding site", changed(embed_origins=["http://www.example.fi"]),
     "verkkosivuston osoite muodossa https://www.example.fi"),
    ("minLength", changed(title={"fi": "", "sv": "Enkät"}), "Tämä on tyhjä"),
    ("minProperties", changed(privacy={"controller": {}}), "Tämä on tyhjä"),
    ("minItems 1", changed(languages=[]), "Tämä on tyhjä"),
    ("minItems 2", question(1, choices=[CHOICE]), "vähintään 2 kohtaa"),
    ("maxItems", question(1, choices=[{"id": f"c{n}", "label": {"fi": "C"}}
                                      for n in range(51)]), "enintään 50 kohtaa"),
    ("maxLength", question(3, text={"fi": "x" * 5001}), "enintään 5000 merkkiä"),
    ("uniqueItems", changed(goals=[2, 2]), "Sama arvo on luettelossa kahdesti"),
    ("minimum", changed(min_group_size=2), "Pienin sallittu arvo on 3"),
    ("maximum", changed(goals=[2, 13]), "Suurin sallittu arvo on 12"),
    # The rules the schema can't say.
    ("unknown county", changed(scope="42"), "Tuntematon hyvinvointialue"),
    ("text in another language", changed(languages=["fi"]), "jota kyselyssä ei ole (sv)"),
    ("no text in the source language", changed(title={"sv": "Enkät"}),
     "Kirjoita tämä teksti lähdekielellä (fi)"),
    ("impossible date", changed(opens_on="2027-02-30"), "Päivämäärää 2027-02-30 ei ole"),
    ("closes before it opens", changed(opens_on="2027-03-01", closes_on="2027-02-01"),
     "avaamispäivän jälkeen"),
    ("open data without a description", changed(open_data=True),
     "Avoin data tarvitsee kyselyn kuvauksen lähdekielellä (fi)"),
    ("id too long for a version", question(3, id="v" * 62, version=2),
     "liian pitkä uudelle versiolle: lyhennä se enintään 60 merkkiin"),
    ("version suffix without the version", question(3, id="vapaa__v2"),
     "anna tunnukselle vapaa__v2 versio 2"),
    ("duplicate question id", question(1, id="suosittelu"), "Kahdella kysymyksellä"),
    ("reserved id", question(0, id="region"), "Tunnus region on varattu"),
    ("choices missing", question(1, choices=None), "vähintään kaksi vaihtoehtoa"),
    ("duplicate choice", question(1, choices=[CHOICE, CHOICE]), "Kahdella vaihtoehdolla"),
    ("choices on an nps question", question(0, choices=[CHOICE, CHOICE]),
     "Vaihtoehdot ovat vain yksi- ja monivalintakysymyksillä"),
    ("number without max", question(2, max=None), "pienimmän ja suurimman arvon"),
    ("min above max", question(2, min=120), "Pienin arvo on suurempi kuin suurin"),
    ("range too wide", question(2, max=2000), "Lukualueessa voi olla enintään 1000 arvoa"),
    ("bands with a gap", question(2, bands=[[15, 29], [31, 110]]),
     "Luokkien on seurattava toisiaan ilman aukkoja"),
    ("min on a text question", question(3, min=1), "ovat vain lukukysymyksellä"),
    ("goals of a question", question(0, goals=[2, 7]),
     "Kyselyllä ei ole näitä kysymyksen tavoitteita: 7"),
    ("max_length on an nps question", question(0, max_length=10),
     "Enimmäispituus on vain vapaatekstikysymyksellä"),
    ("staff survey without its organisation", changed(audience="staff"),
     "Henkilöstökyselylle tarvitaan organisaatio"),
    ("national staff survey", changed(STAFF, scope="national"),
     "Henkilöstökyselyn alue on sen organisaation hyvinvointialue"),
    ("organisation of a citizen survey", changed(organisation="ORG1"),
     "Organisaatio annetaan vain henkilöstökyselylle"),
    ("breakdown in a citizen survey", question(1, breakdown=True),
     "Vain henkilöstökyselyn tuloksia voi jaotella"),
    ("breakdown by a number question", question(2, STAFF, breakdown=True),
     "vain yksivalintakysymyksen mukaan"),
    ("breakdown with too many choices",
     question(1, STAFF, breakdown=True, choices=[{"id": f"c{n}", "label": {"fi": "C"}}
                                                 for n in range(9)]),
     "enintään 8 vaihtoehtoa"),
    ("too many breakdowns",
     changed(STAFF, questions=[
         {"id": f"b{n}", "type": "single", "breakdown": True, "text": {"fi": "J"},
          "choices": [CHOICE, {"id": "d", "label": {"fi": "D"}}]} for n in range(5)]),
     "enintään 4 kysymyksen mukaan"),
]


def messages(definition) -> list[str]:
    """What the real parser and validator say about `definition`."""
    with pytest.raises(defs.DefinitionError) as exc:
        if isinstance(definition, str):
            definition = defs.parse_yaml(definition)
        defs.validate({k: v for k, v in definition.items()}, REGIONS)
    assert exc.value.errors
    return [m for _p, m in exc.value.errors]


def _strip(d):
    """None in a fault above stands for "the field left out"."""
    if isinstance(d, dict):
        return {k: _strip(v) for k, v in d.items() if v is not None}
    if isinstance(d, list):
        return [_strip(v) for v in d]
    return d


@pytest.fixture(scope="module")
def app():
    return create_app(SETTINGS, overrides={"TESTING": True})


def in_language(app, lang: str, message: str) -> str:
    with app.test_request_context(f"/{lang}/admin/surveys/import"):
        g.lang = lang
        return str(message_in_user_language(message))


@pytest.mark.parametrize(("fault", "definition", "finnish"), FAULTS,
                         ids=[f[0] for f in FAULTS])
def test_every_validation_message_is_in_the_admins_language(app, fault, definition, finnish):
    said = messages(_strip(definition))
    shown = {m: in_language(app, "fi", m) for m in said}
    for original, text in shown.items():
        assert text != original, f"shown in English to a Finnish admin: {original[:200]!r}"
        # A translation, not the source string: the English page shows another text.
        assert text != in_language(app, "en", original), original[:200]
        assert in_language(app, "sv", original) not in (original, text), original[:200]
    assert any(finnish in text for text in shown.values()), shown


@pytest.mark.parametrize(("audience", "scope", "county"), [
    ("citizen", "national", None),
    ("citizen", "02", rights.County("02", "Varsinais-Suomi", ("fi", "sv"), False)),
    ("citizen", "19", rights.County("19", "Lappi", ("fi",), True)),
])
def test_language_rights_messages_are_in_the_admins_language(app, audience, scope, county):
    """Importing a new version of an open survey refuses one that breaks language rights with
    these messages (surveys.definitions.lifecycle._check_still_publishable)."""
    violations = rights.check(audience, scope, {"fi"}, county)
    assert violations
    for v in violations:
        text = in_language(app, "fi", v.message())
        assert text != v.message() and "Tekstejä puuttuu seuraavilla kielillä" in text, text
        assert in_language(app, "sv", v.message()).endswith(
            f"Texter saknas på följande språk: {', '.join(v.missing)}.")


# The schema keywords the translations above cover: a keyword the schema starts using gets
# a message (and a fault above) first.
COVERED = {"required", "additionalProperties", "enum", "type", "pattern", "minLength",
           "maxLength", "minProperties", "minItems", "maxItems", "uniqueItems", "minimum",
           "maximum", "propertyNames", "properties", "items", "$ref"}
ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description"}


def test_the_schema_uses_only_covered_keywords():
    used: set[str] = set()
    types: set[str] = set()
    minima: list[int] = []

    def walk(node, in_properties=False):
        if isinstance(node, dict):
            for key, value in node.items():
                if not in_properties:
                    used.add(key)
                    if key == "type":
                        types.update([value] if isinstance(value, str) else value)
                    if key in ("minLength", "minProperties"):
                        minima.append(value)
                walk(value, in_properties=not in_properties and key in ("properties",
                                                                        "$defs"))
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(defs.schema())
    assert used - ANNOTATIONS <= COVERED, json.dumps(sorted(used - ANNOTATIONS - COVERED))
    assert types <= {"string", "integer", "boolean", "array", "object"}
    # "is too short" of a text or a mapping is shown as "This is empty": right only for 1.
    assert set(minima) <= {1}, minima
