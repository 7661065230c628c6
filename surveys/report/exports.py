"""Results as spreadsheets people open: CSV for Finnish and Swedish Excel, and XLSX.

The rows come from the published results documents (surveys.report.published), so an export
shows exactly what the results page shows: suppressed figures are empty cells, never numbers.
Questions and options carry their labels in the chosen language; option rows keep the order of
the survey (numeric scales in numeric order, not as text: "10" after "9").

CSV: a byte order mark (so Excel reads UTF-8), `;` between fields and a decimal comma where the
locale writes one (fi, sv and the Sámi languages), `,` and a decimal point in English: what Excel
expects with each locale's list separator.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.definitions.format import (
    localized,
    reported_questions,
    shown_version,
)
from surveys.infra.spreadsheet import csv_text

from .results import result_options

DECIMAL_COMMA = frozenset({"fi", "sv", "se", "smn", "sms"})
LICENCE = "CC BY 4.0"
# Column keys, in order; the web layer gives their headers in the page language.
COLUMNS = ("scope", "question", "answer", "count", "share", "n", "mean", "nps")


@dataclass(frozen=True)
class Sheet:
    headers: Sequence[str]
    rows: list[list[Any]]
    # (label, value) lines for the "about" sheet: threshold, data date, licence.
    about: list[tuple[str, str]]


def question_label(definition: dict[str, Any], question: dict[str, Any], lang: str,
                   version_word: str) -> str:
    """The question's text, with its version where the question changed during the survey
    (each version has rows of its own)."""
    text = localized(question["text"], lang)
    version = shown_version(definition, question)
    return text if version is None else f"{text} ({version_word} {version})"


def rows(survey_definition: dict[str, Any], documents: Sequence[Mapping[str, Any]],
         lang: str, words: Mapping[str, str],
         shown: Callable[[dict[str, Any]], bool] | None = None) -> list[list[Any]]:
    """One row per scope × question × option, plus a respondents row per scope. `words` gives
    the texts the rows need in `lang`: "respondents", "suppressed" (shown in no cell: suppressed
    figures are empty). `shown`: which questions (default: every reported one)."""
    out: list[list[Any]] = []
    reported = [q for q in reported_questions(survey_definition) if shown is None or shown(q)]
    for doc in documents:
        scope = doc["scope"]["name"]
        out.append([scope, words["respondents"], "", doc["respondents"], None, None, None, None])
        for q in reported:
            figures = doc["questions"][q["id"]]
            text = question_label(survey_definition, q, lang, words.get("version", "version"))
            if q["type"] == "text":
                out.append([scope, text, "", None, None, figures["n"], None, None])
                continue
            n = figures["n"]
            out.append([scope, text, "", None, None, n, figures.get("mean"), figures.get("nps")])
            counts = figures.get("counts") or {}
            # (A number question's rows are its bands, as published: results.result_options.)
            for option in result_options(q, lang):
                count = counts.get(option.value) if counts else None
                share = round(100 * count / n, 1) if count is not None and n else None
                out.append([scope, text, option.label, count, share, None, None, None])
    return out


# A text cell a spreadsheet would read as a formula (surveys.infra.spreadsheet): survey texts,
# labels and unit names are written by administrators and HR, and the public downloads them. In
# CSV such a cell gets a leading apostrophe, as the audit log's CSV does; in XLSX it is typed as
# text.


def _cell(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if lang in DECIMAL_COMMA else text
    return str(csv_text(value))


def _as_text(sheet) -> None:
    """openpyxl stores a string that starts with "=" as a formula: typed as text instead."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"


def to_csv(sheet: Sheet, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang in DECIMAL_COMMA else ",",
                        lineterminator="\r\n")
    writer.writerow(sheet.headers)
    for row in sheet.rows:
        writer.writerow([_cell(v, lang) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheet: Sheet, titles: Mapping[str, str]) -> bytes:
    """An XLSX workbook: the figures (numbers as numbers) and a sheet about the data."""
    from openpyxl import Workbook  # only where exports are made
    from openpyxl.styles import Font

    book = Workbook()
    data = book.active
    data.title = titles["data"][:31]
    data.append(list(sheet.headers))
    for cell in data[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        data.append(row)
    data.freeze_panes = "A2"
    for column, width in zip("ABCDEFGH", (28, 60, 28, 10, 10, 8, 8, 8), strict=True):
        data.column_dimensions[column].width = width
    about = book.create_sheet(titles["about"][:31])
    for label, value in sheet.about:
        about.append([label, value])
    about.column_dimensions["A"].width = 40
    about.column_dimensions["B"].width = 60
    _as_text(data)
    _as_text(about)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
