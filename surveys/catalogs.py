"""Interface translation catalogs (gettext PO files in ``translations/``): status and checks.

Review marks. A translation nobody fluent has checked carries the translator comment
``# draft: machine-drafted, awaiting native review``; a catalog that holds such entries says so in
its header comment with ``# X-Palaute-Review: draft``. Both are *translator* comments (``# ``)
on purpose: ``pybabel update`` (``palaute translations extract``) keeps translator comments but
rewrites extracted comments (``#.``) from the template and drops header fields it does not know,
so marks kept anywhere else would silently vanish on the next extraction. Extracted-comment
marks (``#. draft: ...``) are still recognised when reading.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from .config import LANGUAGES, PROJECT_ROOT

TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
DRAFT_COMMENT = "draft: machine-drafted, awaiting native review"
REVIEW_HEADER = "X-Palaute-Review"

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?/?>")


def catalog_path(lang: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    return directory / lang / "LC_MESSAGES" / "messages.po"


def load(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _texts(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def is_translated(message: Message) -> bool:
    return bool(message.id) and all(_texts(message.string)) and bool(_texts(message.string))


def is_draft(message: Message) -> bool:
    comments = [*message.user_comments, *message.auto_comments]
    return any(c.strip().startswith("draft:") for c in comments)


def review_state(catalog: Catalog) -> str:
    """The catalog's own review mark: "draft" or "reviewed" (no mark)."""
    for line in (catalog.header_comment or "").splitlines():
        key, _, value = line.lstrip("# ").partition(":")
        if key.strip() == REVIEW_HEADER:
            return value.strip() or "reviewed"
    return "reviewed"


@dataclass(frozen=True)
class LanguageStatus:
    lang: str
    total: int
    translated: int  # translated and not marked as a draft
    draft: int  # translated, awaiting native review (or fuzzy)
    missing: int
    review: str  # the catalog's mark: "draft" or "reviewed"

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.draft == 0


def status_of(catalog: Catalog, lang: str) -> LanguageStatus:
    translated = draft = missing = 0
    for message in catalog:
        if not message.id:  # the header
            continue
        if not is_translated(message):
            missing += 1
        elif is_draft(message) or message.fuzzy:
            draft += 1
        else:
            translated += 1
    return LanguageStatus(lang, translated + draft + missing, translated, draft, missing,
                          review_state(catalog))


def status(languages: Iterable[str] = LANGUAGES,
           directory: Path = TRANSLATIONS_DIR) -> list[LanguageStatus]:
    """Translated / draft / missing counts per language, read from the PO files."""
    return [status_of(load(catalog_path(lang, directory)), lang) for lang in languages]


def draft_languages(directory: Path = TRANSLATIONS_DIR) -> set[str]:
    """Languages whose interface catalog is marked as a draft (pages say so)."""
    out = set()
    for lang in LANGUAGES:
        path = catalog_path(lang, directory)
        if path.exists() and review_state(load(path)) == "draft":
            out.add(lang)
    return out


# --- checks -------------------------------------------------------------------------------------
def placeholders(text: str) -> Counter[str]:
    """Interpolation placeholders (%(name)s, %s, {name}) in `text`, with their counts."""
    return Counter(_PLACEHOLDER.findall(text.replace("%%", "")))


def tags(text: str) -> Counter[str]:
    """HTML tag names in `text`, opening and closing apart (attributes may be translated)."""
    return Counter(
        ("/" if m.group(0).startswith("</") else "") + m.group(1).lower()
        for m in _TAG.finditer(text)
    )


def text_problems(source: str, translation: str) -> list[str]:
    """How `translation` breaks the placeholders or HTML of `source` (empty: it doesn't)."""
    problems = []
    want, got = placeholders(source), placeholders(translation)
    if want != got:
        problems.append(f"placeholders differ: expected {sorted(want.elements())}, "
                        f"found {sorted(got.elements())}")
    want_tags, got_tags = tags(source), tags(translation)
    if want_tags != got_tags:
        problems.append(f"HTML tags differ: expected {sorted(want_tags.elements())}, "
                        f"found {sorted(got_tags.elements())}")
    return problems


def _short(msgid: str | tuple[str, ...]) -> str:
    text = msgid if isinstance(msgid, str) else msgid[0]
    return text if len(text) <= 60 else text[:57] + "..."


def catalog_problems(catalog: Catalog, template: Catalog, require_complete: bool) -> list[str]:
    """Problems of one language's catalog against the template (messages.pot).

    Always: every template string is present, and translations keep placeholders and HTML.
    With `require_complete` (Finnish and Swedish): no empty and no fuzzy entries.
    """
    problems = []
    for message in template:
        if message.id and catalog.get(message.id, message.context) is None:
            problems.append(f"not in the catalog: {_short(message.id)!r}")
    for message in catalog:
        if not message.id:
            continue
        label = repr(_short(message.id))
        if require_complete and not is_translated(message):
            problems.append(f"untranslated: {label}")
        if require_complete and message.fuzzy:
            problems.append(f"fuzzy: {label}")
        sources = _texts(message.id)
        for i, translation in enumerate(_texts(message.string)):
            if translation:
                source = sources[min(i, len(sources) - 1)]
                problems += [f"{label}: {p}" for p in text_problems(source, translation)]
    return problems


def missing_from_template(extracted: Catalog, template: Catalog) -> list[str]:
    """Strings the code uses (a fresh extraction) that the committed template lacks."""
    return sorted(_short(m.id) for m in extracted
                  if m.id and template.get(m.id, m.context) is None)
