"""A checker for WCAG 3.1.2 (language of parts) on rendered pages: which language each piece of
text is in, by its nearest `lang` attribute, and which texts are Finnish fallbacks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from surveys.languages import catalogs

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]")


class LangTexts(HTMLParser):
    """Every text node of a page with the language it is in (its nearest ancestor's `lang`),
    every element that carries `lang` (tag, attributes), and the <title> with its language."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.texts: list[tuple[str, str | None, tuple[str, ...]]] = []
        self.marked: list[tuple[str, dict[str, str | None]]] = []

    def lang(self) -> str | None:
        for _tag, lang in reversed(self.stack):
            if lang:
                return lang
        return None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "lang" in attributes:
            self.marked.append((tag, attributes))
        if tag not in VOID:
            self.stack.append((tag, attributes.get("lang")))

    def handle_startendtag(self, tag, attrs):
        attributes = dict(attrs)
        if "lang" in attributes:
            self.marked.append((tag, attributes))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not any(tag in ("script", "style") for tag, _ in self.stack):
            self.texts.append((text, self.lang(), tuple(tag for tag, _ in self.stack)))


def parse(html: str) -> LangTexts:
    parser = LangTexts()
    parser.feed(html)
    parser.close()
    return parser


def fallback_pieces(lang: str) -> set[str]:
    """The Finnish texts a page in `lang` shows for strings its own catalog lacks, cut at
    their placeholders (what is around a filled-in value)."""
    own = catalogs.load(catalogs.catalog_path(lang))
    finnish = catalogs.load(catalogs.catalog_path("fi"))
    pieces = set()
    for message in finnish:
        if not message.id or not isinstance(message.string, str) or not message.string:
            continue
        mine = own.get(message.id, message.context)
        if mine is not None and mine.string:
            continue
        for piece in _PLACEHOLDER.split(message.string):
            piece = " ".join(piece.split()).strip(" .,:;“”")
            if len(piece) >= 4:
                pieces.add(piece)
    return pieces


def unmarked_finnish(html: str, lang: str) -> list[str]:
    """Text nodes of a page in `lang` that are (or contain) a Finnish fallback string but are
    not inside an element with lang="fi"."""
    pieces = fallback_pieces(lang)
    page = parse(html)
    found = []
    for text, text_lang, tags in page.texts:
        if "title" in tags:
            continue  # checked apart: a <title> holds no markup (title_language)
        bare = text.strip(" .,:;“”()*")
        if text_lang != "fi" and any(
                bare == piece or (len(piece) >= 15 and piece in text) for piece in pieces):
            found.append(text)
    return found


def title_language(html: str) -> tuple[str, str | None]:
    """The <title>'s text and language (its own `lang`, else the page's)."""
    page = parse(html)
    for text, text_lang, tags in page.texts:
        if "title" in tags:
            return text, text_lang
    raise AssertionError("no <title>")


def heading_language(html: str) -> str | None:
    """The language of the first text in the page's <h1>."""
    for _text, text_lang, tags in parse(html).texts:
        if "h1" in tags:
            return text_lang
    raise AssertionError("no <h1>")
