"""Survey texts round-trip through gettext PO files: export, translate, import, see it."""

from __future__ import annotations

import io

import pytest
from babel.messages.pofile import read_po

from surveys.definitions.content_po import PoImportError, apply_po, export_po

DEFINITION = {
    "slug": "po-trip", "audience": "citizen", "scope": "06", "languages": ["fi"], "goals": [2],
    "title": {"fi": "Kysely käännettäväksi"},
    "description": {"fi": "Vastaa %(n)s kysymykseen."},
    "questions": [
        {"id": "mood", "type": "single", "required": True, "text": {"fi": "Miten voit?"},
         "help": {"fi": "Valitse yksi."},
         "choices": [{"id": "good", "label": {"fi": "Hyvin"}},
                     {"id": "bad", "label": {"fi": "Huonosti"}}]},
        {"id": "comment", "type": "text", "text": {"fi": "Kerro lisää"}},
    ],
}
ENGLISH = {
    "title": "A survey to translate",
    "description": "Answer %(n)s questions.",
    "questions[0].text": "How are you?",
    "questions[0].help": "Choose one.",
    "questions[0].choices[0].label": "Well",
    "questions[0].choices[1].label": "Badly",
    "questions[1].text": "Tell us more",
}


def test_apply_po_is_pure_and_reports_every_problem():
    from surveys.definitions.format import validate

    definition = validate(DEFINITION)
    catalog = read_po(io.BytesIO(export_po(definition, "se", "po-trip")))
    for m in catalog:
        if m.id:
            m.string = "%(x)s"
    with pytest.raises(PoImportError) as err:
        apply_po(definition, catalog)
    # Every translated entry is wrong: one error each, not just the first.
    assert len(err.value.errors) == len(ENGLISH)
    assert definition["languages"] == ["fi"]
