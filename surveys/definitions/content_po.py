"""Survey texts as gettext PO files, so translators work in Poedit or Weblate, not in YAML.

One PO file per language: msgctxt is the field path (``questions[0].text``), msgid the text in
the survey's default language, msgstr the text in the target language. Importing checks every
entry against the survey as it is now and writes nothing if any entry is wrong.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from surveys.languages import LANGUAGES
from surveys.languages.catalogs import text_problems

from . import format as defs

SAMI = ("se", "smn", "sms")
# A language's state in a survey, for the translators' workflow.
COMPLETE, DRAFT, MISSING = "complete", "draft", "missing"


class PoImportError(ValueError):
    """The PO file can't be imported; `errors` lists what is wrong, one line each."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


def text_fields(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, str], str]]:
    """(field path, the text mapping, a note for translators) for every translatable text."""
    yield "title", definition["title"], "survey title"
    if definition.get("description"):
        yield "description", definition["description"], "survey description"
    for name, text in (definition.get("privacy") or {}).items():
        yield f"privacy.{name}", text, f"privacy notice: {name}"
    for i, q in enumerate(definition["questions"]):
        yield f"questions[{i}].text", q["text"], f"question {q['id']!r} ({q['type']})"
        if q.get("help"):
            yield f"questions[{i}].help", q["help"], f"help text of question {q['id']!r}"
        for j, c in enumerate(q.get("choices", [])):
            yield (f"questions[{i}].choices[{j}].label", c["label"],
                   f"option {c['id']!r} of question {q['id']!r}")


def edited_sami_as_drafts(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """`after` with each Sámi language whose texts differ from `before` (or that is new)
    marked as a draft awaiting native review: an edit in the builder is nobody's review."""
    def texts(definition: dict[str, Any] | None, lang: str) -> list[str | None]:
        if definition is None:
            return []
        return [text.get(lang) for _path, text, _note in text_fields(definition)]

    review = dict(after.get("translation_review") or {})
    for lang in SAMI:
        if lang in after.get("languages", ()) and any(texts(after, lang)) \
                and texts(before, lang) != texts(after, lang):
            review[lang] = DRAFT
    return {**after, "translation_review": review} if review else after


def export_po(definition: dict[str, Any], lang: str, slug: str) -> bytes:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    source = definition["languages"][0]
    catalog = Catalog(
        locale=lang, project="Palaute", version=f"survey {slug}", charset="utf-8", fuzzy=False,
        header_comment=(f"# Texts of the Palaute survey {slug}, for translating into {lang}.\n"
                        f"# msgctxt: where the text is; msgid: the text in {source}; "
                        f"msgstr: your translation.\n# Import: palaute surveys import-po {slug} "
                        f"FILE"),
    )
    for path, text, note in text_fields(definition):
        catalog.add(defs.localized(text, source), string=text.get(lang, ""), context=path,
                    auto_comments=[note])
    out = io.BytesIO()
    write_po(out, catalog, width=0, omit_header=False)
    return out.getvalue()


def read(file: IO[bytes]) -> Catalog:
    try:
        return read_po(file, abort_invalid=True)
    except Exception as exc:  # babel raises PoFileError or decoding errors
        raise PoImportError([f"not a readable PO file: {exc}"]) from exc


def apply_po(definition: dict[str, Any], catalog: Catalog,
             region_codes: set[str] | None = None) -> tuple[dict[str, Any], str, int]:
    """A new definition with the PO's translations merged in, its language, and how many texts
    it set. Raises PoImportError (naming every problem) instead of returning anything partial.

    Empty and fuzzy entries are skipped (as gettext does). A language the survey doesn't offer
    yet is added to its languages; publishing then requires it to be complete.
    """
    lang = str(catalog.locale) if catalog.locale else ""
    if lang not in LANGUAGES:
        raise PoImportError([
            f"the PO header's Language is {lang or 'missing'!r}; expected one of "
            f"{', '.join(LANGUAGES)}"
        ])
    source = definition["languages"][0]
    if lang == source:
        raise PoImportError([f"{lang!r} is the survey's default language, the source of msgids"])
    new = copy.deepcopy(definition)
    fields = {path: text for path, text, _ in text_fields(new)}
    errors: list[str] = []
    changed = 0
    seen: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        where = f"line {message.lineno}" if message.lineno else "entry"
        if not isinstance(message.id, str):
            errors.append(f"{where}: plural forms are not used in survey texts")
            continue
        path = message.context
        if path is None or path not in fields:
            errors.append(f"{where}: unknown msgctxt {path!r}: no such text in the survey")
            continue
        if path in seen:
            errors.append(f"{where}: msgctxt {path!r} appears twice")
            continue
        seen.add(path)
        expected = defs.localized(fields[path], source)
        if message.id != expected:
            errors.append(f"{where}: unknown msgid for {path}: it is not the survey's current "
                          f"{source} text (export a fresh PO file)")
            continue
        if not message.string or message.fuzzy:
            continue
        translation = str(message.string)
        errors += [f"{where} ({path}): {p}" for p in text_problems(message.id, translation)]
        if fields[path].get(lang) != translation:
            fields[path][lang] = translation
            changed += 1
    if errors:
        raise PoImportError(errors)
    if lang not in new["languages"]:
        new["languages"] = [*new["languages"], lang]
    if not new.get("description"):
        new.pop("description", None)  # normalised to {}, which the schema rejects
    try:
        validated = defs.validate(new, region_codes)
    except defs.DefinitionError as exc:
        raise PoImportError([f"{p}: {m}" for p, m in exc.errors]) from exc
    return validated, lang, changed


def language_state(definition: dict[str, Any], lang: str) -> tuple[str, int]:
    """(state, texts missing) of `lang` in a survey: MISSING while any text lacks a
    translation (or the survey does not offer the language), DRAFT when its texts await a
    native speaker's review (`translation_review`), else COMPLETE."""
    if lang not in definition["languages"]:
        return MISSING, sum(1 for _ in text_fields(definition))
    missing = len(defs.missing_texts(definition, lang))
    if missing:
        return MISSING, missing
    if (definition.get("translation_review") or {}).get(lang) == "draft":
        return DRAFT, 0
    return COMPLETE, 0


def catalog_of(definition: dict[str, Any], lang: str, texts: dict[str, str]) -> Catalog:
    """A PO catalog in `lang` holding `texts` ({field path: translation}) against the survey's
    current source texts: what a translator's form sends goes through the PO import's own
    checks (apply_po)."""
    source = definition["languages"][0]
    catalog = Catalog(locale=lang, charset="utf-8", fuzzy=False)
    for path, text, _note in text_fields(definition):
        value = (texts.get(path) or "").strip()
        if value:
            catalog.add(defs.localized(text, source), string=value, context=path)
    return catalog
