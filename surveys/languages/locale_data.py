"""Locale data for formatting numbers, percentages and dates, with a supplement where CLDR is thin.

CLDR (and so Babel) has no month or day names for Skolt Sámi (``sms``): Babel falls back to the
root locale and prints "M03" and "Wed", and its numbers use the root's "1,234.5" and "34%".
The supplement below fills those gaps so no English or placeholder leaks into a Skolt Sámi page.

Source of the names: Microsoft's sms-FI locale data (as shipped in the Globalize culture file
``globalize.culture.sms-FI.js``), written with the modifier letter prime ʹ (U+02B9) of the
official orthography instead of the acute accent ´ used there. They await review by a native
speaker, like the rest of our Skolt Sámi texts. Number symbols follow the Finnish conventions
used in Finland (decimal comma, non-breaking space between thousands, "34 %"), as CLDR's own
Inari Sámi data does.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale, localedata
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.dates import parse_pattern
from babel.numbers import parse_pattern as parse_number_pattern

_SMS_MONTHS_WIDE = (
    "ođđeeʹjjmään", "täʹlvvmään", "pâʹzzlâšttammään", "njuhččmään", "vueʹssmään",
    "ǩieʹssmään", "sueiʹnnmään", "påʹrǧǧmään", "čõhččmään", "kålggmään", "skammʹmään",
    "rosttovmään",
)
_SMS_MONTHS_ABBR = (
    "ođjm", "täʹlvv", "pâzl", "njuh", "vue", "ǩie", "suei", "påʹr", "čõh", "kålg", "ska", "rost",
)
# CLDR day keys: 0 = Monday ... 6 = Sunday.
_SMS_DAYS_WIDE = (
    "vuõssargg", "mââibargg", "seärad", "neljdpeiʹvv", "piâtnâc", "sueʹvet", "pâʹsspeiʹvv",
)
_SMS_DAYS_ABBR = ("vu", "mâ", "se", "ne", "pi", "su", "pâ")


def _sms_supplement() -> dict[str, Any]:
    months_wide = dict(enumerate(_SMS_MONTHS_WIDE, start=1))
    months_abbr = dict(enumerate(_SMS_MONTHS_ABBR, start=1))
    months_narrow = {k: v[0].upper() for k, v in months_wide.items()}
    days_wide = dict(enumerate(_SMS_DAYS_WIDE))
    days_abbr = dict(enumerate(_SMS_DAYS_ABBR))
    days_narrow = {k: v[0].upper() for k, v in days_abbr.items()}
    fi = localedata.load("fi")
    months = {"wide": months_wide, "abbreviated": months_abbr, "narrow": months_narrow}
    days = {"wide": days_wide, "abbreviated": days_abbr, "short": days_abbr,
            "narrow": days_narrow}
    return {
        "months": {"format": months, "stand-alone": months},
        "days": {"format": days, "stand-alone": days},
        # "p." abbreviates peeiʹvv (day), as in the source's long date pattern.
        "date_formats": {
            "full": parse_pattern("EEEE MMMM d'. p. 'y"),
            "long": parse_pattern("MMMM d'. p. 'y"),
            "medium": parse_pattern("d.M.y"),
            "short": parse_pattern("d.M.y"),
        },
        "number_symbols": {"latn": {**fi["number_symbols"]["latn"], "nan": "NaN"}},
        "decimal_formats": {None: parse_number_pattern("#,##0.###")},
        "percent_formats": {None: parse_number_pattern("#,##0\xa0%")},
    }


SUPPLEMENTS = {"sms": _sms_supplement}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


@lru_cache(maxsize=16)
def locale(lang: str) -> Locale:
    """Babel locale for `lang`, with our supplement merged over CLDR's data where we have one."""
    loc = Locale.parse(lang)
    supplement = SUPPLEMENTS.get(lang)
    if supplement is not None:
        data = copy.deepcopy(localedata.load(lang))
        _merge(data, supplement())
        # Babel keeps a locale's data in a private attribute; we hand it the merged copy so
        # Babel's shared cache (and every other Locale('sms')) stays untouched.
        loc._Locale__data = localedata.LocaleDataDict(data)  # type: ignore[attr-defined]
    return loc


def format_date(value: date | datetime, lang: str, format: str = "long") -> str:
    return babel_dates.format_date(value, format=format, locale=locale(lang))


# Kept per process: a results page formats hundreds of counts and shares (Babel's formatting was
# two thirds of the page's CPU: docs/performance.md), mostly the same values on every request.
@lru_cache(maxsize=16384)
def format_number(value: float | int, lang: str) -> str:
    return babel_numbers.format_decimal(value, locale=locale(lang))


@lru_cache(maxsize=16384)
def format_percent(value: float, lang: str) -> str:
    """`value` is a fraction: 0.345 is "35 %" in Finnish."""
    return babel_numbers.format_percent(value, locale=locale(lang))
