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

from surveys.infra.settings import PROJECT_ROOT

from . import LANGUAGES

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


def review_mark(catalog: Catalog) -> str | None:
    """The catalog header's `X-Palaute-Review` value ("draft", "reviewed"), None without one."""
    for line in (catalog.header_comment or "").splitlines():
        key, _, value = line.lstrip("# ").partition(":")
        if key.strip() == REVIEW_HEADER:
            return value.strip() or "reviewed"
    return None


def review_state(catalog: Catalog) -> str:
    """The catalog's own review mark: "draft" or "reviewed" (no mark)."""
    return review_mark(catalog) or "reviewed"


def is_reviewed(message: Message, catalog: Catalog) -> bool:
    """A translation checked by a native speaker: translated, not fuzzy, and either its catalog
    says `X-Palaute-Review: reviewed` (all of it was reviewed) or it lacks the draft mark (its
    reviewer deleted the mark: translations/SOURCES.md)."""
    if not is_translated(message) or message.fuzzy:
        return False
    return review_mark(catalog) == "reviewed" or not is_draft(message)


@dataclass(frozen=True)
class LanguageStatus:
    lang: str
    total: int
    reviewed: int  # translated and reviewed by a native speaker (is_reviewed)
    draft: int  # translated, awaiting native review (or fuzzy)
    missing: int
    review: str  # the catalog's mark: "draft" or "reviewed"

    @property
    def translated(self) -> int:
        """Translations in use that need no review (the name before `reviewed`)."""
        return self.reviewed

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.draft == 0


def status_of(catalog: Catalog, lang: str) -> LanguageStatus:
    reviewed = draft = missing = 0
    for message in catalog:
        if not message.id:  # the header
            continue
        if not is_translated(message):
            missing += 1
        elif is_reviewed(message, catalog):
            reviewed += 1
        else:
            draft += 1
    return LanguageStatus(lang, reviewed + draft + missing, reviewed, draft, missing,
                          review_state(catalog))


def status(languages: Iterable[str] = LANGUAGES,
           directory: Path = TRANSLATIONS_DIR) -> list[LanguageStatus]:
    """Reviewed / draft / missing counts per language, read from the PO files."""
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


@dataclass(frozen=True)
class TextFault:
    """How a translation breaks its source's placeholders or HTML: `kind` "placeholders" or
    "tags", and what the source has and the translation has (sorted, repeats kept; a tag is
    its name, a closing one "/name")."""
    kind: str
    expected: tuple[str, ...]
    found: tuple[str, ...]

    def __str__(self) -> str:
        what = {"placeholders": "placeholders", "tags": "HTML tags"}[self.kind]
        return f"{what} differ: expected {list(self.expected)}, found {list(self.found)}"


def text_faults(source: str, translation: str) -> list[TextFault]:
    """How `translation` breaks the placeholders or HTML of `source` (empty: it doesn't)."""
    faults = []
    for kind, count in (("placeholders", placeholders), ("tags", tags)):
        want, got = count(source), count(translation)
        if want != got:
            faults.append(TextFault(kind, tuple(sorted(want.elements())),
                                    tuple(sorted(got.elements()))))
    return faults


def text_problems(source: str, translation: str) -> list[str]:
    """text_faults, one English line each."""
    return [str(fault) for fault in text_faults(source, translation)]


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


# --- the review package -------------------------------------------------------------------------
# Keywords that mark interface strings besides gettext's defaults (`palaute translations
# extract` passes the same): lazy_gettext in Python, and the templates' element-text helpers
# (webapp.i18n: t, ui_in, fi_text).
EXTRA_KEYWORDS = {"lazy_gettext": None, "t": None, "ui_in": (2,), "fi_text": None}
# Where a respondent meets a string: these come first in a review package.
RESPONDENT_PATH = (
    "webapp/templates/base.html", "webapp/templates/_draft_notice.html",
    "webapp/templates/survey.html", "webapp/templates/thanks.html",
    "webapp/templates/closed.html", "webapp/templates/privacy.html",
    "webapp/templates/index.html", "webapp/templates/error.html", "webapp/respond/",
)


def string_locations(root: Path = PROJECT_ROOT) -> dict[tuple[str, str | None], list[str]]:
    """Where each interface string is used, `path:line`, from a fresh extraction (the committed
    catalogs are extracted without locations)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (root / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[tuple[str, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(root), method_map, options_map,
            keywords={**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


def _order(locations: list[str]) -> tuple[int, str, int]:
    """Sort key: the respondent's pages first, in RESPONDENT_PATH's order (the page frame,
    the form, the thank-you page, ...), then everything else; within each, by place of use."""
    def rank(loc: str) -> int:
        return next((i for i, prefix in enumerate(RESPONDENT_PATH) if loc.startswith(prefix)),
                    len(RESPONDENT_PATH))

    if not locations:
        return len(RESPONDENT_PATH) + 1, "", 0
    first = min(locations, key=lambda loc: (rank(loc), loc.rsplit(":", 1)[0],
                                            int(loc.rsplit(":", 1)[1])))
    path, line = first.rsplit(":", 1)
    return rank(first), path, int(line)


def review_package(lang: str, directory: Path = TRANSLATIONS_DIR,
                   root: Path = PROJECT_ROOT) -> Catalog:
    """One language's catalog prepared for a native reviewer (e.g. the Sámi Parliament's
    language office): every interface string with where it is used (`#:`), the Finnish
    source text (`#. Finnish: …`), the current draft with its source comments or an empty
    msgstr, the respondent's strings first, then the rest, each group by place of use."""
    template = load(directory / "messages.pot")
    current = load(catalog_path(lang, directory))
    finnish = load(catalog_path("fi", directory))
    locations = string_locations(root)
    package = Catalog(locale=lang, project="Palaute", version=template.version,
                      header_comment=(
                          f"# Palaute interface texts for review: {lang}.\n"
                          "# Strings a survey respondent sees come first (\"respondent path\"),\n"
                          "# then results, administration and command-line strings.\n"
                          "# '#. Finnish:' is the Finnish text of each string (the English msgid\n"
                          "# is the source); '#:' says where the string is used. A filled msgstr\n"
                          "# is a draft: its 'source:' lines name where it was taken from\n"
                          "# (translations/SOURCES.md). Correct or confirm it; fill empty ones\n"
                          "# where you can, and delete an entry's 'draft:' line once it is right.\n"
                          "#"))
    entries = []
    for message in template:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        places = locations.get((msgid, message.context), [])
        draft = current.get(message.id, message.context)
        fi = finnish.get(message.id, message.context)
        order = _order(places)
        respondent = order[0] < len(RESPONDENT_PATH)
        comments = [f"Finnish: {line}" for line in "\n".join(_texts(fi.string if fi else None)
                                                              ).splitlines()]
        comments.append("respondent path" if respondent else "other pages")
        entries.append((order, msgid, Message(
            message.id, string=draft.string if draft is not None else "",
            locations=[(path, int(line)) for path, line in
                       (p.rsplit(":", 1) for p in sorted(places))],
            user_comments=list(draft.user_comments) if draft is not None else [],
            auto_comments=comments, flags=message.flags - {"fuzzy"},
            context=message.context)))
    for *_key, entry in sorted(entries, key=lambda e: (e[0], e[1])):
        package[entry.id] = entry
    package.fuzzy = False
    return package
