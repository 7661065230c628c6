"""Survey texts round-trip through gettext PO files: export, translate, import, see it."""

from __future__ import annotations

import io

import pytest
import yaml
from babel.messages.pofile import read_po, write_po

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from tests.conftest import TestCli
from tests.unit.test_content_po import DEFINITION, ENGLISH
from webapp.cli import main


def export(lang: str, slug: str = "po-trip"):
    result = TestCli().invoke(main, ["surveys", "export-po", slug, lang])
    assert result.exit_code == 0, result.output
    return read_po(io.BytesIO(result.output.encode("utf-8")))


def save(catalog, path) -> str:
    with open(path, "wb") as f:
        write_po(f, catalog)
    return str(path)


@pytest.fixture
def draft_survey(database_url):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, yaml.safe_dump(DEFINITION, allow_unicode=True))
    return "po-trip"


def definition_of(database_url, slug="po-trip") -> dict:
    with db.session_scope(database_url) as s:
        return lookup.find(s, slug).definition


def test_export_has_field_paths_source_texts_and_language(draft_survey):
    catalog = export("en")
    assert str(catalog.locale) == "en"
    entries = {m.context: (m.id, m.string) for m in catalog if m.id}
    assert entries["questions[0].choices[1].label"] == ("Huonosti", "")
    assert entries["title"] == ("Kysely käännettäväksi", "")
    assert set(entries) == set(ENGLISH)


def test_round_trip_export_translate_import_page_shows_it(draft_survey, database_url, client,
                                                         tmp_path):
    catalog = export("en")
    for message in catalog:
        if message.id:
            message.string = ENGLISH[message.context]
    path = save(catalog, tmp_path / "en.po")
    result = TestCli().invoke(main, ["surveys", "import-po", "po-trip", path])
    assert result.exit_code == 0, result.output
    assert "imported 7 text(s) in en" in result.output
    definition = definition_of(database_url)
    assert definition["languages"] == ["fi", "en"]
    assert definition["questions"][0]["choices"][0]["label"] == {"fi": "Hyvin", "en": "Well"}

    assert TestCli().invoke(main, ["surveys", "publish", "po-trip"]).exit_code == 0
    html = client.get("/en/s/po-trip").get_data(as_text=True)
    assert '<html lang="en">' in html
    for text in ("A survey to translate", "How are you?", "Choose one.", "Well", "Badly",
                 "Tell us more"):
        assert text in html
    # Exporting again gives the translations back: a translator can continue from there.
    again = {m.context: m.string for m in export("en") if m.id}
    assert again == ENGLISH


def test_partial_import_keeps_other_texts_and_skips_fuzzy(draft_survey, database_url,
                                                          tmp_path):
    catalog = export("sv")
    for message in catalog:
        if message.context == "title":
            message.string = "En enkät att översätta"
        if message.context == "questions[1].text":
            message.string = "Berätta mer"
            message.flags.add("fuzzy")
    result = TestCli().invoke(main, ["surveys", "import-po", "po-trip",
                                       save(catalog, tmp_path / "sv.po")])
    assert result.exit_code == 0, result.output
    definition = definition_of(database_url)
    assert definition["title"] == {"fi": "Kysely käännettäväksi", "sv": "En enkät att översätta"}
    assert "sv" not in definition["questions"][1]["text"]
    # Declared but incomplete: the survey can't be published until Swedish is complete.
    assert TestCli().invoke(main, ["surveys", "publish", "po-trip"]).exit_code != 0


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: setattr(next(m for m in c if m.context == "title"), "context", "titel"),
     "unknown msgctxt 'titel'"),
    (lambda c: setattr(next(m for m in c if m.context == "title"), "id", "Vanha otsikko"),
     "unknown msgid for title"),
    (lambda c: setattr(next(m for m in c if m.context == "description"), "string",
                       "Answer %(count)s questions."),
     "placeholders differ"),
    (lambda c: setattr(next(m for m in c if m.context == "description"), "string",
                       "Answer <b>%(n)s</b> questions."),
     "HTML tags differ"),
])
def test_bad_entries_are_refused_and_nothing_is_written(draft_survey, database_url, tmp_path,
                                                        change, message):
    catalog = export("en")
    for m in catalog:
        if m.id:
            m.string = ENGLISH[m.context]
    before = definition_of(database_url)
    change(catalog)
    result = TestCli().invoke(main, ["surveys", "import-po", "po-trip",
                                       save(catalog, tmp_path / "bad.po")])
    assert result.exit_code != 0
    assert message in result.output and "nothing imported" in result.output
    assert definition_of(database_url) == before


def test_po_without_a_known_language_is_refused(draft_survey, tmp_path):
    po = tmp_path / "nolang.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgctxt "title"\nmsgid "Kysely käännettäväksi"\nmsgstr "A survey"\n',
                  encoding="utf-8")
    result = TestCli().invoke(main, ["surveys", "import-po", "po-trip", str(po)])
    assert result.exit_code != 0
    assert "Language" in result.output


def test_open_survey_gains_a_language_only_when_complete(database_url, tmp_path):
    definition = {**DEFINITION, "slug": "po-open"}
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, yaml.safe_dump(definition, allow_unicode=True))
        lifecycle.publish(s, "po-open")
    catalog = export("en", "po-open")
    next(m for m in catalog if m.context == "title").string = "Only the title"
    result = TestCli().invoke(main, ["surveys", "import-po", "po-open",
                                       save(catalog, tmp_path / "en.po")])
    assert result.exit_code != 0
    assert "already open" in result.output
    assert definition_of(database_url, "po-open")["languages"] == ["fi"]
