"""Remove personal data from free text before it is stored.

Respondents paste identity codes, phone numbers, e-mail addresses and bank accounts into comment
boxes. Each is replaced with a marker (``[hetu]``, ``[phone]``, ``[email]``, ``[iban]``) so the
rest of the comment stays usable. Identity codes and IBANs are replaced only when their check
character / mod-97 checksum is valid: that keeps case numbers, invoice references and dates that
merely look alike. The original text is never returned, logged or kept.
"""

from __future__ import annotations

import re
from datetime import date

HETU_MARK = "[hetu]"
PHONE_MARK = "[phone]"
EMAIL_MARK = "[email]"
IBAN_MARK = "[iban]"

# Century signs: + 1800s; - and (from 2023) Y X W V U 1900s; A and (from 2023) B C D E F 2000s.
CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
           "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}
HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"

_HETU = re.compile(
    r"(?<![\w+-])(\d{2})(\d{2})(\d{2})\s?([-+ABCDEFUVWXY])\s?(\d{3})([0-9A-Y])(?!\w)",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}\s?(?:@|\(at\)|\[at\])\s?[\w-]{1,63}(?:\.[\w-]{1,63})*\.[a-z]{2,24}"
    r"(?![\w@])",
    re.IGNORECASE,
)
# Two letters and two check digits, then 11-30 letters/digits, optionally in groups of four.
_IBAN = re.compile(r"(?<![\w])([A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,30})", re.IGNORECASE)
# Phone numbers: international (+ or 00 and a country code) or Finnish national (leading 0,
# optionally in brackets), digit groups separated by spaces or hyphens (dots only in
# international numbers, so dates like 01.02.2024 are left alone); 7-15 digits in all.
_PHONE = re.compile(
    r"(?<![\w+.])(?!\d{1,2}[-./]\d{1,2}[-./]\d{2,4}(?!\d))(?:"  # not a date like 05-01-2024
    r"(?:\+|00)[1-9]\d{0,2}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|\(?0\d{1,3}\)?[\s-]?\d{2,4}(?:[\s-]?\d{2,4}){1,4}"
    r")(?![\w])"
)

# Fixed IBAN lengths by country (ISO 13616 registry); a candidate must have exactly this length.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VG": 24,
    "XK": 20,
}


def is_valid_hetu(code: str) -> bool:
    """True for a Finnish personal identity code with a real date and a valid check character."""
    m = _HETU.fullmatch(code.strip())
    return bool(m) and _hetu_ok(m)


def _hetu_ok(m: re.Match[str]) -> bool:
    dd, mm, yy, sign, serial, check = m.groups()
    century = CENTURY.get(sign.upper())
    if century is None:
        return False
    try:
        date(century + int(yy), int(mm), int(dd))
    except ValueError:
        return False
    if serial in ("000", "001"):  # not issued
        return False
    return HETU_CHECK[int(dd + mm + yy + serial) % 31] == check.upper()


def is_valid_iban(text: str) -> bool:
    """True if `text` (spaces and hyphens allowed) is an IBAN with a valid mod-97 checksum."""
    compact = re.sub(r"[ -]", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _scrub_ibans(text: str) -> str:
    """Replace valid IBANs. A candidate may have run on into the following words (the pattern
    is greedy), so take its longest prefix that is valid and ends at a group boundary."""
    out: list[str] = []
    pos = 0
    while m := _IBAN.search(text, pos):
        out.append(text[pos:m.start()])
        candidate = m.group(1)
        for end in range(len(candidate), 14, -1):
            if (end == len(candidate) or candidate[end] in " -") and \
                    is_valid_iban(candidate[:end]):
                out.append(IBAN_MARK)
                pos = m.start() + end
                break
        else:
            out.append(text[m.start()])
            pos = m.start() + 1
    out.append(text[pos:])
    return "".join(out)


def _scrub_phone(m: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in m.group(0))
    return PHONE_MARK if 7 <= digits <= 15 else m.group(0)


def scrub(text: str) -> str:
    """`text` with identity codes, e-mail addresses, IBANs and phone numbers replaced.

    Order matters: identity codes and IBANs contain digit runs the phone pattern would take.
    """
    text = _HETU.sub(lambda m: HETU_MARK if _hetu_ok(m) else m.group(0), text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _scrub_ibans(text)
    return _PHONE.sub(_scrub_phone, text)
