"""Interface catalogs: every string extracted, Finnish and Swedish complete, placeholders and HTML
intact everywhere, Sámi drafts marked as such (and the marks survive re-extraction)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from surveys.infra.settings import PROJECT_ROOT
from surveys.languages import LANGUAGES, REQUIRED_COMPLETE, catalogs

PYBABEL = str(Path(sys.executable).parent / "pybabel")
TEMPLATE = PROJECT_ROOT / "translations" / "messages.pot"


def extract(root: Path, out: Path) -> Catalog:
    """What `palaute translations extract` extracts, into a temporary template."""
    keywords = [arg for name, spec in catalogs.EXTRA_KEYWORDS.items()
                for arg in ("-k", name + (":" + ",".join(map(str, spec)) if spec else ""))]
    subprocess.run([PYBABEL, "extract", "-F", str(PROJECT_ROOT / "babel.cfg"), *keywords,
                    "--no-location", "--sort-output", "-o", str(out),
                    "."], check=True, cwd=root, capture_output=True)
    return catalogs.load(out)


def test_check_strings_every_string_in_the_code_is_in_the_template(tmp_path):
    extracted = extract(PROJECT_ROOT, tmp_path / "fresh.pot")
    assert len([m for m in extracted if m.id]) > 50
    missing = catalogs.missing_from_template(extracted, catalogs.load(TEMPLATE))
    assert missing == [], (
        f"strings missing from translations/messages.pot (run `make translations`): {missing}"
    )


def test_check_strings_catches_a_new_string(tmp_path):
    """The check above is not vacuous: a template gaining a string makes it fail."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "webapp", project / "webapp",
                    ignore=shutil.ignore_patterns("__pycache__"))
    page = project / "webapp" / "templates" / "index.html"
    page.write_text(page.read_text() + '\n{{ _("A brand new sentence") }}\n')
    fresh = tmp_path / "fresh.pot"
    extracted = extract(project, fresh)
    assert catalogs.missing_from_template(extracted, catalogs.load(TEMPLATE)) == [
        "A brand new sentence"
    ]
    # Once extracted (`palaute translations extract`), the Finnish catalog is incomplete.
    directory = tmp_path / "translations"
    shutil.copytree(PROJECT_ROOT / "translations" / "fi", directory / "fi")
    subprocess.run([PYBABEL, "update", "-i", str(fresh), "-d", str(directory), "-l", "fi",
                    "--no-fuzzy-matching"], check=True, capture_output=True)
    catalog = catalogs.load(catalogs.catalog_path("fi", directory))
    assert catalogs.catalog_problems(catalog, extracted, require_complete=True) == [
        "untranslated: 'A brand new sentence'"
    ]


def test_every_catalog_has_exactly_the_template_strings():
    template_ids = {m.id for m in catalogs.load(TEMPLATE) if m.id}
    for lang in LANGUAGES:
        ids = {m.id for m in catalogs.load(catalogs.catalog_path(lang)) if m.id}
        assert ids == template_ids, f"{lang}: run `palaute translations extract`"


@pytest.mark.parametrize("lang", REQUIRED_COMPLETE)
def test_finnish_and_swedish_are_complete(lang):
    catalog = catalogs.load(catalogs.catalog_path(lang))
    template = catalogs.load(TEMPLATE)
    assert catalogs.catalog_problems(catalog, template, require_complete=True) == []
    assert catalogs.status_of(catalog, lang).complete


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_html_are_kept_in_every_catalog(lang):
    catalog = catalogs.load(catalogs.catalog_path(lang))
    assert catalogs.catalog_problems(catalog, catalogs.load(TEMPLATE),
                                     require_complete=False) == []


def test_completeness_check_fails_on_a_new_untranslated_string():
    catalog = catalogs.load(catalogs.catalog_path("fi"))
    template = catalogs.load(TEMPLATE)
    template.add("Brand new string")
    problems = catalogs.catalog_problems(catalog, template, require_complete=True)
    assert problems == ["not in the catalog: 'Brand new string'"]
    # After `extract` the string is in the catalog, but empty: still a failure.
    catalog.add("Brand new string", string="")
    problems = catalogs.catalog_problems(catalog, template, require_complete=True)
    assert problems == ["untranslated: 'Brand new string'"]
    catalog.add("Another one", string="Toinen", flags=["fuzzy"])
    assert "fuzzy: 'Another one'" in catalogs.catalog_problems(catalog, template, True)


def test_broken_placeholders_and_html_are_caught():
    assert catalogs.text_problems("From %(min)s to %(max)s.", "Väliltä %(min)s–%(max)s.") == []
    assert catalogs.text_problems("From %(min)s to %(max)s.", "Väliltä %(min)s–%(maks)s.") != []
    assert catalogs.text_problems("At most %(max)s.", "Enintään %(max)d.") != []
    assert catalogs.text_problems("Read <a href='/x'>this</a>.", "Lue <a href='/y'>tämä</a>.") == []
    assert catalogs.text_problems("Read <a href='/x'>this</a>.", "Lue <b>tämä</b>.") != []
    assert catalogs.text_problems("Read <a href='/x'>this</a>.", "Lue <a href='/x'>tämä.") != []
    catalog = Catalog(locale="sv")
    catalog.add("Error %(code)s", string="Fel %(kod)s")
    template = Catalog()
    template.add("Error %(code)s")
    assert catalogs.catalog_problems(catalog, template, require_complete=False) == [
        "'Error %(code)s': placeholders differ: expected ['%(code)s'], found ['%(kod)s']"
    ]


def test_status_counts_and_draft_marks():
    by_lang = {st.lang: st for st in catalogs.status()}
    total = len([m for m in catalogs.load(TEMPLATE) if m.id])
    for lang, st in by_lang.items():
        assert st.translated + st.draft + st.missing == st.total == total, lang
    for lang in ("fi", "sv", "en"):
        assert (by_lang[lang].translated, by_lang[lang].draft, by_lang[lang].missing) == (
            total, 0, 0)
        assert by_lang[lang].review == "reviewed"
    for lang in ("se", "smn", "sms"):
        st = by_lang[lang]
        # Nothing in Sámi counts as reviewed until a native speaker has checked it.
        assert st.translated == 0 and st.draft > 0, lang
        assert st.review == "draft"
        catalog = catalogs.load(catalogs.catalog_path(lang))
        for message in catalog:
            if message.id and message.string:
                assert catalogs.is_draft(message), (lang, message.id)
    assert catalogs.draft_languages() == {"se", "smn", "sms"}


def test_draft_marks_survive_extraction(tmp_path):
    """`pybabel update` keeps translator comments; the marks must not vanish on extract."""
    directory = tmp_path / "translations"
    shutil.copytree(PROJECT_ROOT / "translations" / "sms", directory / "sms")
    before = catalogs.status(["sms"], directory)[0]
    subprocess.run([PYBABEL, "update", "-i", str(TEMPLATE), "-d", str(directory),
                    "-l", "sms", "--no-fuzzy-matching"], check=True, capture_output=True)
    assert catalogs.status(["sms"], directory)[0] == before
    assert before.review == "draft" and before.draft > 0


def test_translations_status_command():
    from tests.conftest import TestCli
    from webapp.cli import main

    result = TestCli().invoke(main, ["translations", "status"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert set(lines) == set(LANGUAGES)
    st = {s.lang: s for s in catalogs.status()}
    assert result.output.split()[:6] == ["language", "reviewed", "draft", "missing", "total",
                                         "catalog"]
    assert lines["smn"] == ["smn", str(st["smn"].reviewed), str(st["smn"].draft),
                            str(st["smn"].missing), str(st["smn"].total), "draft"]
    assert lines["fi"][1:] == [str(st["fi"].total), "0", "0", str(st["fi"].total), "reviewed"]


# --- reviewed counts and the review package -----------------------------------------------------
def _catalog(header: str, entries: list[tuple[str, str, list[str]]]) -> Catalog:
    catalog = Catalog(locale="sms", header_comment=header)
    for msgid, string, comments in entries:
        catalog.add(msgid, string=string, user_comments=comments)
    return catalog


DRAFT = [catalogs.DRAFT_COMMENT, "source: x y (CC BY 4.0)"]


def test_reviewed_is_a_count_of_entries_a_native_speaker_checked():
    entries = [("Answer", "Vasttõs", DRAFT), ("Closed", "Kattum", []), ("Error", "", [])]
    # A draft catalog: the entry whose draft mark a reviewer deleted is reviewed.
    st = catalogs.status_of(_catalog("# X-Palaute-Review: draft", entries), "sms")
    assert (st.reviewed, st.draft, st.missing, st.total, st.review) == (1, 1, 1, 3, "draft")
    # A catalog its header calls reviewed: every translated entry is reviewed.
    st = catalogs.status_of(_catalog("# X-Palaute-Review: reviewed", entries), "sms")
    assert (st.reviewed, st.draft, st.missing, st.review) == (2, 0, 1, "reviewed")
    # No mark at all (Finnish, Swedish): draft-marked entries are still drafts.
    st = catalogs.status_of(_catalog("# Finnish", entries), "sms")
    assert (st.reviewed, st.draft, st.missing, st.review) == (1, 1, 1, "reviewed")


@pytest.mark.parametrize("lang", ["se", "smn", "sms"])
def test_review_package_has_every_string_with_its_finnish_and_its_draft(lang):
    package = catalogs.review_package(lang)
    template = [m for m in catalogs.load(TEMPLATE) if m.id]
    entries = [m for m in package if m.id]
    assert [m.id for m in sorted(entries, key=lambda m: str(m.id))] == \
        [m.id for m in sorted(template, key=lambda m: str(m.id))]
    finnish = catalogs.load(catalogs.catalog_path("fi"))
    current = catalogs.load(catalogs.catalog_path(lang))
    for message in entries:
        fi = finnish.get(message.id).string
        assert any(c.startswith("Finnish: ") for c in message.auto_comments), message.id
        assert " ".join(c.removeprefix("Finnish: ") for c in message.auto_comments
                        if c.startswith("Finnish: ")) == " ".join(fi.splitlines())
        assert message.locations, f"{message.id!r}: where is it used?"
        draft = current.get(message.id)
        assert message.string == draft.string
        if catalogs.is_translated(draft):
            # The draft keeps its mark and the source it was taken from.
            assert catalogs.is_draft(message)
            assert any(c.startswith("source: ") for c in message.user_comments), message.id
    # The respondent's strings come first, then nothing of theirs.
    kinds = [("respondent path" in m.auto_comments) for m in entries]
    first_other = kinds.index(False)
    assert all(kinds[:first_other]) and not any(kinds[first_other:])
    ids = [m.id for m in entries]
    assert ids.index("Send answers") < first_other
    assert ids.index("Translation status of the interface") >= first_other
    assert ids.index("Skip to content") < ids.index("Send answers")


def test_review_package_command_writes_a_po_file(tmp_path):
    from tests.conftest import TestCli
    from webapp.cli import main

    out = tmp_path / "sms-review.po"
    result = TestCli().invoke(main, ["translations", "review-package", "sms", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = catalogs.load(out)
    assert str(written.locale) == "sms" and not written.fuzzy
    assert len([m for m in written if m.id]) == len([m for m in catalogs.load(TEMPLATE) if m.id])
    text = out.read_text(encoding="utf-8")
    assert "#. Finnish: Lähetä vastaukset\n" in text and "#: webapp/templates/survey.html:" in text
    bad = TestCli().invoke(main, ["translations", "review-package", "fi", "--out", str(out)])
    assert bad.exit_code != 0
