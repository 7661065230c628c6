"""Sámi interface drafts name their source.

A Sámi translation that no native speaker has reviewed must come from a published, openly
licensed source (translations/SOURCES.md) and say which one in a translator comment
``# source: <repository> <path> (<licence>)``, beside the draft mark. A catalog whose header
no longer says ``X-Palaute-Review: draft`` (reviewed by a native speaker) is exempt.

Reads the PO files only; imports nothing from the project.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
SAMI = ("se", "smn", "sms")
DRAFT_MARK = "draft: machine-drafted, awaiting native review"
# "source: owner/repository path-or-key (licence)" on one line.
SOURCE_LINE = re.compile(r"^source: [\w.-]+/[\w.-]+ \S.* \([^()]+\)$")


def load(lang: str) -> Catalog:
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=None)


def review_state(catalog: Catalog) -> str:
    """"draft" while the header comment says so, "reviewed" once the line is deleted."""
    for line in (catalog.header_comment or "").splitlines():
        text = line.lstrip("#").strip()
        if text.startswith("X-Palaute-Review:"):
            return text.split(":", 1)[1].strip()
    return "reviewed"


def unsourced(catalog: Catalog) -> list[str]:
    """What is wrong with the catalog's translated entries (empty: every one is sourced)."""
    if review_state(catalog) == "reviewed":
        return []
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        comments = [c.strip() for c in message.user_comments]
        if DRAFT_MARK not in comments:
            problems.append(f"no draft mark: {message.id!r}")
        sources = [c for c in comments if c.startswith("source:")]
        if not sources:
            problems.append(f"no source: {message.id!r}")
        problems += [f"malformed source {c!r}: {message.id!r}"
                     for c in sources if not SOURCE_LINE.match(c)]
    return problems


@pytest.mark.parametrize("lang", SAMI)
def test_every_sami_translation_names_its_source(lang):
    catalog = load(lang)
    assert unsourced(catalog) == [], lang


@pytest.mark.parametrize("lang", SAMI)
def test_sami_catalogs_are_still_marked_as_drafts(lang):
    # Nobody has reviewed them yet; deleting the mark would switch the source check off.
    assert review_state(load(lang)) == "draft"


def test_sami_catalogs_are_not_empty_of_sourced_words():
    # The check above would pass on empty catalogs; they do hold sourced words.
    for lang in SAMI:
        assert any(m.id and m.string for m in load(lang)), lang


def test_the_check_flags_an_unsourced_entry():
    """Not vacuous: an entry without a source, or without the draft mark, is caught."""
    catalog = Catalog(locale="se", header_comment="# X-Palaute-Review: draft")
    catalog.add("Language", string="Giella", user_comments=[
        DRAFT_MARK, "source: giellalt/dict-fin-sme src/X_finsme.xml (CC BY 4.0)"])
    catalog.add("Send answers", string="Sádde vástádusaid", user_comments=[DRAFT_MARK])
    catalog.add("Survey", string="Jearahallan", user_comments=[
        "source: giellalt/dict-fin-sme src/X_finsme.xml (CC BY 4.0)"])
    catalog.add("Mean", string="Gaskaárvu", user_comments=[DRAFT_MARK, "source: a dictionary"])
    catalog.add("Missing", string="")
    assert unsourced(catalog) == [
        "no source: 'Send answers'",
        "no draft mark: 'Survey'",
        "malformed source 'source: a dictionary': 'Mean'",
    ]
    # The same entries survive a write and re-read of the PO file (comments kept, unwrapped).
    buffer = BytesIO()
    write_po(buffer, catalog, width=76)
    buffer.seek(0)
    assert unsourced(read_po(buffer)) == unsourced(catalog)
    # A catalog reviewed by a native speaker (no review mark) is exempt.
    reviewed = Catalog(locale="se", header_comment="# Northern Sami translations")
    reviewed.add("Send answers", string="Sádde vástádusaid")
    assert review_state(reviewed) == "reviewed" and unsourced(reviewed) == []
