"""Every problem a translator's PO import can meet (surveys.definitions.content_po: read,
apply_po; lifecycle.import_po) is shown in the user's language, with the entry's line and its
place in the survey: one faulty file per kind of problem, through the real reader and import,
then webapp.admin.translations.problem_in_user_language in a Finnish, Swedish and English
request. The kinds the faults produce are all of content_po.PROBLEMS, and every kind has a
translation, so a new kind of problem needs a fault here and a text in the catalogs."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from babel.messages.pofile import write_po
from flask import g

from surveys.definitions import content_po, lifecycle
from surveys.definitions import format as defs
from tests.conftest import SETTINGS
from webapp.admin import translations
from webapp.factory import create_app

DEFINITION = {
    "slug": "kaannettava", "audience": "citizen", "scope": "06", "languages": ["fi", "en"],
    "goals": [2], "title": {"fi": "Kysely", "en": "Survey"},
    "description": {"fi": "Vastaa %(n)s kysymykseen <b>nyt</b>.",
                    "en": "Answer %(n)s questions <b>now</b>."},
    "questions": [
        {"id": "apu", "type": "single", "text": {"fi": "Saitko apua?", "en": "Did you get help?"},
         "choices": [{"id": "kylla", "label": {"fi": "Kyllä", "en": "Yes"}},
                     {"id": "ei", "label": {"fi": "Ei", "en": "No"}}]},
    ],
}


def survey() -> dict:
    return defs.validate(DEFINITION)


def po(lang: str | None, texts: dict[str, str] | None = None, *, extra: str = "",
       header: str | None = None) -> bytes:
    """A PO file as the translator would send it: exported, translated in `lang` (`texts`:
    {msgctxt: msgstr}), `extra` entries appended, or with its Language header line replaced
    by `header` ("" for none)."""
    raw = content_po.export_po(survey(), lang or "sv", "kaannettava").decode()
    catalog = content_po.read(io.BytesIO(raw.encode()))
    for m in catalog:
        if m.id:
            m.string = (texts or {}).get(m.context, "")
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    text = out.getvalue().decode()
    if header is not None:
        text = text.replace(f'"Language: {lang or "sv"}\\n"\n', header)
    return (text + extra).encode()


def applied(raw: bytes) -> list[content_po.PoProblem]:
    """The problems the real reader and apply_po find in `raw`."""
    with pytest.raises(content_po.PoImportError) as exc:
        content_po.apply_po(survey(), content_po.read(io.BytesIO(raw)), {"06"})
    return exc.value.problems


def read_only(raw: bytes) -> list[content_po.PoProblem]:
    with pytest.raises(content_po.PoImportError) as exc:
        content_po.read(io.BytesIO(raw))
    return exc.value.problems


def imported(raw: bytes, *, status: str = "draft", only_lang: str | None = None,
             exists: bool = True) -> list[content_po.PoProblem]:
    """The problems the real lifecycle.import_po finds (the stored survey given by hand: the
    unit tier has no database)."""
    stored = SimpleNamespace(definition=survey(), status=status)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lifecycle, "find", lambda _session, _slug: stored if exists else None)
        mp.setattr(lifecycle, "region_codes", lambda _session: {"06"})
        with pytest.raises(content_po.PoImportError) as exc:
            lifecycle.import_po(None, "kaannettava", content_po.read(io.BytesIO(raw)),
                                only_lang=only_lang, review="draft")
    return exc.value.problems


EN_TITLE = {"title": "Survey"}
ENTRY = 'msgctxt "{ctx}"\nmsgid "{msgid}"\nmsgstr "{msgstr}"\n\n'
# (what is wrong, how to get its problems, a Finnish fragment, the PO code).
FAULTS = [
    ("not PO at all", lambda: read_only(b'msgid ""\nmsgstr ""\n\nthis is not PO\n'),
     "Rivi 4: Tiedosto ei ole luettava PO-tiedosto", "unreadable"),
    ("not UTF-8", lambda: read_only(po("sv", {"title": "Enk\xe4t"}).replace(
        "Enkät".encode(), "Enkät".encode("latin-1"))),
     "Tiedosto ei ole luettava PO-tiedosto", "unreadable"),
    ("no Language header", lambda: applied(po("sv", EN_TITLE, header="")),
     "PO-tiedosto ei kerro kieltään", "no_language"),
    ("unknown language", lambda: applied(po("sv", EN_TITLE, header='"Language: de\\n"\n')),
     "PO-tiedoston kieli de ei ole mikään palvelun kielistä", "language"),
    ("the source language", lambda: applied(po("fi", {"title": "Kysely"})),
     "joka on kyselyn lähdekieli", "source_language"),
    ("plural forms", lambda: applied(po("sv", extra='msgctxt "monikko"\nmsgid "Kysely"\n'
                                                   'msgid_plural "Kyselyt"\nmsgstr[0] "E"\n'
                                                   'msgstr[1] "Es"\n')),
     "ei käytetä monikkomuotoja", "plural"),
    ("unknown msgctxt", lambda: applied(po("sv", extra=ENTRY.format(
        ctx="titel", msgid="Kysely", msgstr="Enkät"))),
     "Kyselyssä ei ole tekstiä titel (msgctxt)", "unknown_context"),
    ("no msgctxt", lambda: applied(po("sv", extra='msgid "Kysely"\nmsgstr "Enkät"\n')),
     "Merkinnästä puuttuu msgctxt", "unknown_context"),
    # (The same msgctxt and msgid twice is one entry to babel: the second wins.)
    ("msgctxt twice", lambda: applied(po("sv", extra=ENTRY.format(
        ctx="title", msgid="Toinen kysely", msgstr="Enkät"))),
     "on tiedostossa kahdesti", "duplicate_context"),
    ("a stale msgid", lambda: applied(po("sv", {"questions[0].text": "Fick du hjälp?"}).replace(
        b'msgid "Saitko apua?"', b'msgid "Saitko apua tarpeeksi?"')),
     "ei ole kyselyn nykyinen teksti kielellä fi", "unknown_msgid"),
    ("a placeholder left out", lambda: applied(po("sv", {
        "description": "Svara på frågorna <b>nu</b>."})),
     "Käännöksestä puuttuu lähdetekstin paikkamerkkejä: %(n)s", "placeholders"),
    ("a placeholder added", lambda: applied(po("sv", {
        "description": "Svara på %(n)s frågor <b>nu</b> %(m)s."})),
     "Käännöksessä on paikkamerkkejä, joita lähdetekstissä ei ole: %(m)s", "placeholders"),
    ("a tag left out", lambda: applied(po("sv", {"description": "Svara på %(n)s frågor nu."})),
     "Käännöksestä puuttuu lähdetekstin HTML-tageja: <b>, </b>", "tags"),
    ("a tag added", lambda: applied(po("sv", {
        "description": "Svara på %(n)s <i>frågor</i> <b>nu</b>."})),
     "Käännöksessä on HTML-tageja, joita lähdetekstissä ei ole: <i>, </i>", "tags"),
    ("a text too long", lambda: applied(po("sv", {"questions[0].text": "x" * 5001})),
     "enintään 5000 merkkiä", "definition"),
    ("no such survey", lambda: imported(po("sv", EN_TITLE), exists=False),
     "Kyselyä kaannettava ei ole", "no_survey"),
    ("a link's other language", lambda: imported(po("sv", EN_TITLE), only_lang="se"),
     "PO-tiedosto on kielellä sv, mutta tällä linkillä voi kääntää vain kielelle se",
     "wrong_language"),
    ("a link's file without a language", lambda: imported(po("se", EN_TITLE, header=""),
                                                          only_lang="se"),
     "PO-tiedosto ei kerro kieltään", "no_language"),
    ("an open survey's incomplete new language",
     lambda: imported(po("sv", EN_TITLE), status="published"),
     "kielen sv voi lisätä vain, kun kaikki tekstit on käännetty. Puuttuu: description, "
     "questions[0].text", "open_incomplete"),
]


@pytest.fixture(scope="module")
def app():
    return create_app(SETTINGS, overrides={"TESTING": True})


def in_language(app, lang: str, problem: content_po.PoProblem) -> str:
    with app.test_request_context(f"/{lang}/admin/surveys/kaannettava/translations"):
        g.lang = lang
        return str(translations.problem_in_user_language(problem))


@pytest.mark.parametrize(("fault", "problems", "finnish", "code"), FAULTS,
                         ids=[f[0] for f in FAULTS])
def test_every_po_import_problem_is_in_the_users_language(app, fault, problems, finnish, code):
    found = problems()
    assert code in {p.code for p in found}, [str(p) for p in found]
    for problem in found:
        english = str(problem)
        fi, sv, en = (in_language(app, lang, problem) for lang in ("fi", "sv", "en"))
        assert problem.message() not in fi, f"shown in English to a Finnish user: {english!r}"
        # A translation, not the source string: each language shows its own text.
        assert len({fi, sv, en}) == 3, (fi, sv, en)
        assert problem.message() not in sv, english
        # The translator finds the entry: its line in the file and its msgctxt.
        for text in (fi, sv, en):
            if problem.line:
                assert str(problem.line) in text.split(":")[0], text
            if problem.context:
                assert problem.context in text, text
    assert any(finnish in in_language(app, "fi", p) for p in found), \
        [in_language(app, "fi", p) for p in found]


def test_an_entrys_problem_names_its_line_and_place():
    """The line is the entry's msgid line in the uploaded file (babel's), after its msgctxt."""
    raw = po("sv", {"description": "Svara på frågorna <b>nu</b>."})
    [problem] = applied(raw)
    lines = raw.decode().splitlines()
    assert lines[problem.line - 2:problem.line] == [
        'msgctxt "description"', 'msgid "Vastaa %(n)s kysymykseen <b>nyt</b>."']
    assert (problem.code, problem.context) == ("placeholders", "description")
    # The command line keeps its English line (palaute surveys import-po).
    assert str(problem) == (f"line {problem.line} (description): placeholders differ: "
                            "expected ['%(n)s'], found []")


def test_a_text_too_long_is_shown_at_its_entry(app):
    """The validator's message about the merged survey comes back at the PO entry of its
    text, in the builder's words (webapp.admin.builder.message_in_user_language)."""
    [problem] = applied(po("sv", {"questions[0].text": "x" * 5001}))
    assert problem.context == "questions[0].text" and problem.line
    assert problem.params["path"] == "questions[0].text.sv"
    assert in_language(app, "fi", problem) == (
        f"Rivi {problem.line} (questions[0].text): Tämä saa olla enintään 5000 merkkiä pitkä; "
        "lyhennä sitä.")


def test_every_kind_of_problem_has_a_fault_and_a_translation():
    assert {code for *_rest, code in FAULTS} == set(content_po.PROBLEMS)
    assert set(translations._PROBLEMS) == set(content_po.PROBLEMS)
    with pytest.raises(ValueError):
        content_po.PoProblem("something new")


def test_a_translator_forms_problem_names_the_field(app):
    """The translator page's form has no file lines: its problems name the field."""
    catalog = content_po.catalog_of(survey(), "sv", {"description": "Svara nu."})
    with pytest.raises(content_po.PoImportError) as exc:
        content_po.apply_po(survey(), catalog, {"06"})
    texts = [in_language(app, "sv", p) for p in exc.value.problems]
    assert texts == [
        "description: Översättningen saknar dessa platshållare från källtexten: %(n)s. "
        "Kopiera dem till översättningen som de är.",
        "description: Översättningen saknar dessa HTML-taggar från källtexten: <b>, </b>. "
        "Behåll alla taggar i källtexten.",
    ], texts
