"""Text cells a spreadsheet must not read as formulas (OWASP's "CSV injection").

Survey texts, labels, unit names and codes are written by administrators and HR, and the CSV
files that carry them are opened in spreadsheets. A cell starting with one of FORMULA_STARTS
gets a leading apostrophe, which spreadsheets take as "this is text"."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """`value` with a leading apostrophe where it is a string a spreadsheet would read as a
    formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
