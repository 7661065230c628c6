"""Survey texts as gettext PO files, so translators work in Poedit or Weblate, not in YAML.

One PO file per language: msgctxt is the field path (``questions[0].text``), msgid the text in
the survey's default language, msgstr the text in the target language. Importing checks every
entry against the survey as it is now and writes nothing if any entry is wrong.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po, write_po

from surveys.languages import LANGUAGES
from surveys.languages.catalogs import text_faults

from . import format as defs

SAMI = ("se", "smn", "sms")
# A language's state in a survey, for the translators' workflow.
COMPLETE, DRAFT, MISSING = "complete", "draft", "missing"


# What can be wrong with a PO import, each kind in English for the command line (`palaute
# surveys import-po`); the web pages say each kind in the user's language (webapp.admin.
# translations.problem_in_user_language), from its code and params.
PROBLEMS: dict[str, str] = {
    # The file (read).
    "unreadable": "not a readable PO file: {reason}",
    # The file's language (apply_po, lifecycle.import_po).
    "no_language": "the PO header has no Language: it must say the language of the "
                   "translations",
    "language": "the PO header's Language is {found!r}; expected one of {expected}",
    "source_language": "{lang!r} is the survey's default language, the source of msgids",
    "wrong_language": "the PO file is in {found!r}; this link is for {expected!r} only",
    # One entry (apply_po): `line` and, once the entry's text is known, `context`.
    "plural": "plural forms are not used in survey texts",
    "unknown_context": "unknown msgctxt {context!r}: no such text in the survey",
    "duplicate_context": "msgctxt {context!r} appears twice",
    "unknown_msgid": "unknown msgid for {context}: it is not the survey's current {source} "
                     "text (export a fresh PO file)",
    "placeholders": "placeholders differ: expected {expected}, found {found}",
    "tags": "HTML tags differ: expected {expected}, found {found}",
    # The survey with the translations merged in (format.validate: `path`, its English message).
    "definition": "{message}",
    # The survey (lifecycle.import_po).
    "no_survey": "no survey {slug!r}",
    "open_incomplete": "the survey is already open, so {lang!r} can be added only with every "
                       "text translated; missing: {missing}",
}


@dataclass(frozen=True)
class PoProblem:
    """One thing wrong with a PO import: its kind (a key of PROBLEMS), the values the message
    names, and where: the entry's `line` in the file and its `context` (msgctxt, the text's
    field path) when known; a problem of the whole file has neither. str(): in English."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    context: str | None = None

    def __post_init__(self) -> None:
        if self.code not in PROBLEMS:
            raise ValueError(f"unknown PO problem {self.code!r}")

    def message(self) -> str:
        """The problem in English, without where it is."""
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()}
        return PROBLEMS[self.code].format(**params)

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else ""
        if self.context:
            where = f"{where} ({self.context})" if where else self.context
        return f"{where}: {self.message()}" if where else self.message()


class PoImportError(ValueError):
    """The PO file can't be imported: `problems` says what is wrong, `errors` the same in
    English, one line each."""

    def __init__(self, problems: list[PoProblem]):
        self.problems = problems
        self.errors = [str(p) for p in problems]
        super().__init__("; ".join(self.errors))


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
    except PoFileError as exc:
        # babel counts lines from 0 and appends " on <that number>" to its message.
        reason = re.sub(r" on \d+$", "", str(exc))
        raise PoImportError([PoProblem("unreadable", {"reason": reason},
                                       line=exc.lineno + 1)]) from exc
    except Exception as exc:  # decoding errors and the like
        raise PoImportError([PoProblem("unreadable", {"reason": str(exc)})]) from exc


def apply_po(definition: dict[str, Any], catalog: Catalog,
             region_codes: set[str] | None = None) -> tuple[dict[str, Any], str, int]:
    """A new definition with the PO's translations merged in, its language, and how many texts
    it set. Raises PoImportError (naming every problem) instead of returning anything partial.

    Empty and fuzzy entries are skipped (as gettext does). A language the survey doesn't offer
    yet is added to its languages; publishing then requires it to be complete.
    """
    lang = str(catalog.locale) if catalog.locale else ""
    if not lang:
        raise PoImportError([PoProblem("no_language")])
    if lang not in LANGUAGES:
        raise PoImportError([PoProblem("language", {"found": lang,
                                                    "expected": ", ".join(LANGUAGES)})])
    source = definition["languages"][0]
    if lang == source:
        raise PoImportError([PoProblem("source_language", {"lang": lang})])
    new = copy.deepcopy(definition)
    fields = {path: text for path, text, _ in text_fields(new)}
    problems: list[PoProblem] = []
    lines: dict[str, int | None] = {}
    changed = 0
    for message in catalog:
        if not message.id:
            continue
        line = message.lineno or None
        if not isinstance(message.id, str):
            problems.append(PoProblem("plural", line=line))
            continue
        path = message.context
        if path is None or path not in fields:
            problems.append(PoProblem("unknown_context", {"context": path}, line=line))
            continue
        if path in lines:
            problems.append(PoProblem("duplicate_context", {"context": path}, line=line))
            continue
        lines[path] = line
        expected = defs.localized(fields[path], source)
        if message.id != expected:
            problems.append(PoProblem("unknown_msgid", {"context": path, "source": source},
                                      line=line))
            continue
        if not message.string or message.fuzzy:
            continue
        translation = str(message.string)
        problems += [PoProblem(f.kind, {"expected": f.expected, "found": f.found},
                               line=line, context=path)
                     for f in text_faults(message.id, translation)]
        if fields[path].get(lang) != translation:
            fields[path][lang] = translation
            changed += 1
    if problems:
        raise PoImportError(problems)
    if lang not in new["languages"]:
        new["languages"] = [*new["languages"], lang]
    if not new.get("description"):
        new.pop("description", None)  # normalised to {}, which the schema rejects
    try:
        validated = defs.validate(new, region_codes)
    except defs.DefinitionError as exc:
        raise PoImportError([_definition_problem(p, m, lang, lines)
                             for p, m in exc.errors]) from exc
    return validated, lang, changed


def _definition_problem(path: str, message: str, lang: str,
                        lines: dict[str, int | None]) -> PoProblem:
    """The validator's (path, message) about the merged survey, at the PO entry of the text
    when the path is one (`questions[0].text.sv`: the entry `questions[0].text`)."""
    context, _dot, text_lang = path.rpartition(".")
    if text_lang == lang and context in lines:
        return PoProblem("definition", {"path": path, "message": message},
                         line=lines[context], context=context)
    return PoProblem("definition", {"path": path, "message": message}, context=path)


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
