"""Numbers, percentages and dates per page locale; Skolt Sámi without CLDR's fallbacks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from babel import Locale

from surveys.languages import locale_data

ENGLISH = re.compile(
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
)
PLACEHOLDER = re.compile(r"\bM\d\d\b")


def test_babel_alone_falls_back_for_skolt_sami():
    """Why the supplement exists (if CLDR gains the data, the supplement can go)."""
    assert Locale.parse("sms").months["format"]["wide"][1] == "M01"


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("fmt", ["full", "long", "medium", "short"])
def test_skolt_sami_dates_have_no_fallbacks(month, fmt):
    for day in (1, 2, 3, 4, 5, 6, 7):  # every weekday
        text = locale_data.format_date(date(2026, month, day), "sms", fmt)
        assert not PLACEHOLDER.search(text), text
        assert not ENGLISH.search(text), text


def test_skolt_sami_names():
    # Wednesday 4 March 2026.
    assert locale_data.format_date(date(2026, 3, 4), "sms") == "pâʹzzlâšttammään 4. p. 2026"
    assert locale_data.format_date(date(2026, 3, 4), "sms", "full").startswith("seärad ")
    assert locale_data.format_date(date(2026, 12, 6), "sms", "short") == "6.12.2026"
    # Babel's own shared locale data is left as it was.
    assert Locale.parse("sms").months["format"]["wide"][3] == "M03"


@pytest.mark.parametrize(("lang", "number", "percent", "day"), [
    ("fi", "1\xa0234,5", "35\xa0%", "4. maaliskuuta 2026"),
    ("sv", "1\xa0234,5", "35\xa0%", "4 mars 2026"),
    ("smn", "1\xa0234,5", "35\xa0%", "njuhčâmáánu 4. 2026"),
    ("sms", "1\xa0234,5", "35\xa0%", "pâʹzzlâšttammään 4. p. 2026"),
    ("en", "1,234.5", "35%", "March 4, 2026"),
])
def test_numbers_percentages_and_dates_per_locale(lang, number, percent, day):
    assert locale_data.format_number(1234.5, lang) == number
    assert locale_data.format_percent(0.35, lang) == percent
    assert locale_data.format_date(date(2026, 3, 4), lang) == day
