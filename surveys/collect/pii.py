"""Remove personal data from free text before it is stored.

Respondents paste identity codes, phone numbers, e-mail addresses, bank accounts, their name and
address into comment boxes. Each is replaced with a marker (``[hetu]``, ``[phone]``, ``[email]``,
``[iban]``, ``[account]``, ``[name]``, ``[address]``, ``[plate]``, ``[kela]``) so the rest of the
comment stays usable. Identity codes, IBANs and old Finnish account numbers are replaced only when
their check character / checksum is valid: that keeps case numbers, invoice references and dates
that merely look alike.

The text is first normalised into a *working copy* (NFKC, every Unicode dash to ``-``, zero-width
characters and soft hyphens removed, NBSP and other spaces to a space), so that ``131052‑308T``
with a non-breaking hyphen or ``131052​-308T`` with a zero-width space are found. Each character
of the working copy remembers which characters of the original it came from; the matches are then
replaced in the *original* text, so everything that is not personal data is stored exactly as the
respondent wrote it. Every pattern has bounded repetition, so scrubbing stays linear in the length
of the text. The original text is never returned, logged or kept, and nothing here logs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date

HETU_MARK = "[hetu]"
PHONE_MARK = "[phone]"
EMAIL_MARK = "[email]"
IBAN_MARK = "[iban]"
ACCOUNT_MARK = "[account]"
NAME_MARK = "[name]"
ADDRESS_MARK = "[address]"
PLATE_MARK = "[plate]"
KELA_MARK = "[kela]"

# Century signs: + 1800s; - and (from 2023) Y X W V U 1900s; A and (from 2023) B C D E F 2000s.
CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
           "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}
HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- normalisation --------------------------------------------------------------------------

# Every dash a respondent's keyboard or phone may produce (NFKC leaves most of them alone).
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d"
# Invisible characters that split a number without showing: zero-width space, non-joiner,
# joiner, word joiner, byte order mark, soft hyphen, Mongolian vowel separator.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
# A masked span in the working copy: not a word character, not a digit, not a dash or a space,
# so a later pattern neither matches it nor treats it as part of a word. The same character in
# the respondent's text becomes U+FFFD in the working copy, so it is never taken for a mask.
_MASK = "\ue000"
_DASH_TABLE = ({ord(ch): "-" for ch in DASHES} | {ord(ch): None for ch in INVISIBLE}
               | {ord(_MASK): "\ufffd"})


def normalise(text: str) -> tuple[str, list[int], list[int]]:
    """The working copy of `text` and, for each of its characters, the [start, end) span of the
    original characters it came from.

    A base character and the combining marks after it are normalised together (NFKC may compose
    them); a character NFKC expands (``ﬁ`` → ``fi``) maps every output character to its span.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        chunk = unicodedata.normalize("NFKC", text[i:j]).translate(_DASH_TABLE)
        for ch in chunk:
            out.append(" " if ch.isspace() and ch not in "\n\r\t" else ch)
            starts.append(i)
            ends.append(j)
        i = j
    return "".join(out), starts, ends


# --- identity codes -------------------------------------------------------------------------

# With a century sign (optionally with a space either side), a space instead of the sign, or no
# separator at all.
_HETU = re.compile(
    r"(?<![\w+-])(\d{2})(\d{2})(\d{2})(?:\s?([-+ABCDEFUVWXY])\s?|\s)?(\d{3})([0-9A-Y])(?!\w)",
    re.IGNORECASE,
)


def is_valid_hetu(code: str) -> bool:
    """True for a Finnish personal identity code with a real date and a valid check character.
    Without a century sign the date must exist in the 1900s or 2000s."""
    m = _HETU.fullmatch(normalise(code.strip())[0])
    return bool(m) and _hetu_ok(m)


def _hetu_ok(m: re.Match[str]) -> bool:
    dd, mm, yy, sign, serial, check = m.groups()
    centuries = [1900, 2000] if sign is None else [CENTURY.get(sign.upper())]
    if not any(c is not None and _is_date(c + int(yy), int(mm), int(dd)) for c in centuries):
        return False
    if serial in ("000", "001"):  # not issued
        return False
    return HETU_CHECK[int(dd + mm + yy + serial) % 31] == check.upper()


def _is_date(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


# --- Kela: the European Health Insurance Card's own number ----------------------------------

# The Kela card itself carries no card number of its own: its identifying number is the holder's
# identity code (printed and as a bar code), which the identity code pattern replaces. The
# European Health Insurance Card that Kela issues has a 20-digit card number; by the EU's technical
# specification it starts with the ISO/IEC 7812 issuer number, "80" (health) and the ISO 3166
# numeric country code, 246 for Finland.
_EHIC = re.compile(r"(?<![\w-])80246(?:[ -]?\d){15}(?![\w-])")

# --- e-mail ---------------------------------------------------------------------------------

_AT_SPELLED = r"at|ät|@|miukumauku|kissanhäntä|snabel-a"
_DOT_SPELLED = r"dot|piste|punkt|pkt"
_AT = (rf"(?:\s?@\s?|\s?[(\[{{<]\s?(?:{_AT_SPELLED})\s?[)\]}}>]\s?"
       rf"|\s(?P<spelled>{_AT_SPELLED})\s)")
_DOT = rf"(?:\.|\s?[(\[{{<]\s?(?:{_DOT_SPELLED})\s?[)\]}}>]\s?|\s(?:{_DOT_SPELLED})\s)"
_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}{_AT}[\w-]{{1,63}}(?:{_DOT}[\w-]{{1,63}}){{0,8}}{_DOT}"
    rf"(?P<tld>[a-z]{{2,24}})(?![\w@])",
    re.IGNORECASE,
)
# With an "at" spelled out between spaces, only these top-level domains count: "hän oli at home
# dot com" is rare, "kävin at asemalla piste" must not become an address.
COMMON_TLDS = _words(
    "fi se ax no dk is ee de eu uk com net org info io nu me fr es it nl be at ch pl ru biz edu "
    "gov mil int co"
)

# --- bank accounts --------------------------------------------------------------------------

# Two letters and two check digits, then 11-30 letters/digits, optionally in groups of four.
_IBAN = re.compile(r"(?<![\w])([A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,30})", re.IGNORECASE)

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

# Old Finnish account numbers (before IBAN, 2012): six digits (bank and branch), a hyphen, then
# 2-8 digits whose last is a check digit, e.g. 123456-785.
_ACCOUNT = re.compile(r"(?<![\w-])([1-8]\d{5})\s?-\s?(\d{2,8})(?![\w]|-\d)")


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


def old_account_machine_form(text: str) -> str | None:
    """The 14-digit machine form of an old-style Finnish account number ``BBBBBB-NNNNNNNN``, or
    None if it isn't one. Savings and co-operative banks (first digit 4 or 5) fill the zeros
    after the seventh digit, all other banks after the sixth: 123456-785 → 12345600000785,
    423456-781 → 42345670000081."""
    m = re.fullmatch(r"([1-8]\d{5})\s?-\s?(\d{2,8})", normalise(text.strip())[0])
    if not m:
        return None
    bank, rest = m.groups()
    if bank[0] in "45":
        return bank + rest[0] + "0" * (8 - len(rest)) + rest[1:]
    return bank + "0" * (8 - len(rest)) + rest


def is_valid_old_account(text: str) -> bool:
    """True for an old-style Finnish account number whose machine form passes the Luhn check
    (weights 2, 1, 2, 1 … from the left over the first 13 digits, digit sums of the products;
    the check digit brings the sum up to the next multiple of ten)."""
    machine = old_account_machine_form(text)
    if machine is None:
        return False
    total = 0
    for i, ch in enumerate(machine[:13]):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10 == int(machine[13])


# --- phone numbers --------------------------------------------------------------------------

# International (+ or 00 and a country code, "(0)" allowed), Finnish national with a leading 0
# (optionally in brackets) in groups separated by spaces or hyphens, or by dots/a slash in groups
# of at least three (so times like 09.00 and dates like 01.02.2024 are not taken), or a mobile
# number without its leading 0 (40 123 4567). 7-15 digits in all.
_PHONE = re.compile(
    r"(?<![\w+./])(?!\d{1,2}[-./]\d{1,2}[-./]\d{2,4}(?!\d))(?:"  # not a date like 05-01-2024
    r"(?:\+|00)[1-9]\d{0,2}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s./-]?\d{2,4}){1,4}"
    r"|\(?0\d{1,3}\)?[\s-]?\d{2,4}(?:[\s-]?\d{2,4}){1,4}"
    r"|\(?0\d{1,3}\)?\s?[./]\s?\d{3,4}(?:[\s./-]?\d{3,4}){0,2}"
    r"|(?P<nozero>(?:4\d|50)(?:[\s-]?\d{3}[\s-]?\d{4}|\d{7,8}))"
    r")(?![\w]|[.,/-]\d)"
)

# --- addresses ------------------------------------------------------------------------------

STREET_ENDINGS = (
    # Finnish
    "katu", "tie", "kuja", "polku", "rinne", "väylä", "kaari", "kaarre", "raitti", "aukio",
    "bulevardi", "esplanadi", "puistikko", "ranta", "piha", "tanhua",
    # Swedish
    "gatan", "gata", "vägen", "väg", "gränd", "gränden", "stigen", "backen", "torget", "allén",
    "kajen", "stranden",
)
_ENDINGS = "|".join(sorted(STREET_ENDINGS, key=len, reverse=True))
# A number that is a measure, not a house number: "rantatie 2 km", "Merenranta 5 min".
_UNITS = (r"km|m|h|min|minuuttia|tuntia|kertaa|krt|kpl|€|e|eur|euroa|%|v|vuotta|pv|päivää|vk|"
          r"viikkoa|kk|kuukautta|metriä|metrin|kilometriä|st|år|dagar|veckor|minuter|timmar")
_POSTCODE_TOWN = r"(?:FI-?)?\d{5}[ \t]+(?P<town>[^\W\d_][\w-]{1,40})"
_STREET = re.compile(
    rf"(?<![\w-])[^\W\d_][\w-]{{0,40}}?(?:{_ENDINGS})"
    rf"[ \t]+\d{{1,4}}(?!\d|[ \t]*(?:{_UNITS})(?!\w))"
    r"(?:[a-zåäö](?!\w))?"  # 12a
    r"(?:[ \t]?-[ \t]?\d{1,4})?"  # 12-14
    r"(?:[ \t]+(?:as\.?|bst\.?|lgh\.?|[a-zåäö])[ \t]?\d{1,4}(?!\d)|[ \t]+[a-h](?!\w))?"  # A 12
    rf"(?:,?[ \t]*{_POSTCODE_TOWN})?"
    r"(?!\w)",
    re.IGNORECASE,
)
_POSTCODE = re.compile(rf"(?<![\w-]){_POSTCODE_TOWN}(?!\w)")
NOT_TOWNS = frozenset({"euroa", "eur", "euro", "e", "kr", "kronor", "kpl", "km", "askelta"})

# --- licence plates -------------------------------------------------------------------------

# Two or three letters, a hyphen, one to three digits (ABC-123, ABC-12, AB-1): capital letters.
_PLATE_DASHED = re.compile(r"(?<![\w-])([A-ZÅÄÖ]{2,3})-\d{1,3}(?![\w-]|[.,]\d)")
# Without the hyphen (ABC 123, ABC123) only shortly after a word about a car or its plate.
_PLATE_CONTEXT = re.compile(
    r"(?<!\w)(?:rekister\w{0,12}|rekkari\w{0,6}|kilpi\w{0,6}|kilve\w{0,6}|auto\w{0,8}|"
    r"reg|reg\.|regnr|registr\w{0,12}|bil|bilen|bilens|bilnummer|nummerplåt\w{0,6}|"
    r"plate|car)(?!\w)",
    re.IGNORECASE,
)
_PLATE_NEAR = re.compile(
    r"(?<![\w-])(?:([A-ZÅÄÖ]{2,3})[ -]?\d{1,3}|([a-zåäö]{2,3})-\d{1,3})(?![\w-]|[.,]\d)"
)
PLATE_WINDOW = 40
# Capitals and a number that are not plates: units, abbreviations, everyday codes.
NOT_PLATES = frozenset({
    "EU", "ID", "TV", "HD", "CD", "DVD", "PS", "MP", "OK", "KM", "EUR", "SEK", "USD", "KPL",
    "NRO", "NR", "PVM", "KLO", "COVID", "SARS", "UV", "PC", "GB", "MB", "KB", "LTE", "USB",
    "HUS", "OYS", "KYS", "ICD", "ATC", "PCR", "MRI", "CT", "EKG", "EEG", "HIV", "HPV", "MMR",
    "BMI", "SV", "ISO", "SFS", "EN", "IEC", "WCAG", "WHO", "THL", "VR", "HSL",
})

# --- names after a self-introduction ----------------------------------------------------------

# After these the next word is a name in any case ("nimeni on matti"), unless it is an ordinary
# word ("nimeni on unohtunut"), and up to two more capitalised words belong to it.
_INTRO_NAME = (
    r"nimeni\s+on|minun\s+nimi\s+on|mun\s+nimi\s+on|nimi\s*:|nimeni\s*:|"  # Finnish
    r"jag\s+heter|mitt\s+namn\s+är|namn\s*:|"  # Swedish
    r"mu\s+namma\s+lea|namma\s*:|"  # Northern Sámi
    r"my\s+name\s+is|name\s*:"  # English
)
# "I am", or someone else's name: the next one to three words are a name only if capitalised and
# the first is not an ordinary word ("Olen Erittäin tyytyväinen", "Vad heter du?").
_INTRO_AM = (r"olen|oon|minä\s+olen|mä\s+oon|mä\s+olen|nimi\s+on|"
             r"jag\s+är|heter|namma\s+lea|mun\s+lean|i\s+am|i'm|name\s+is")
_WORD = r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_])){0,40}"
_NAME = re.compile(
    rf"(?<!\w)(?:(?P<named>(?i:{_INTRO_NAME}))|(?P<am>(?i:{_INTRO_AM})))[ \t]+"
    rf"(?=(?P<words>{_WORD}(?:[ \t]+{_WORD}){{0,2}}))"  # a lookahead: the next intro may be inside
)
# Words that follow "olen" / "jag är" / "mun lean" capitalised for emphasis or at a line start
# and are never names. Not exhaustive: see also _not_a_name.
NOT_NAMES = _words("""
erittäin todella tosi hyvin aivan täysin melko aika varsin kovin niin vähän hieman hiukan jo nyt
vielä myös aina usein joskus taas ihan yhä juuri kyllä en ei siis sitä tätä tämän sen hyvä huono
tyytyväinen tyytymätön pettynyt iloinen kiitollinen huolissaan samaa eri mieltä asiakas potilas
omainen eläkeläinen opiskelija äiti isä tytär poika vaimo mies kotona täällä siellä tässä kanssa
sairas terve yksin itse työtön töissä kiireinen vihainen surullinen onnellinen yllättynyt
omaishoitaja hoitaja sairaanhoitaja lääkäri työntekijä yrittäjä opettaja vanhempi asukas
kuntalainen veteraani leski raskaana
ok okei kiitos hei moi terve kela kelan hus husin tays taysin oys oysin kys kysin tyks tyksin
mycket väldigt jätte ganska helt riktigt nöjd missnöjd glad tacksam besviken orolig arg också
inte redan själv hemma här där patient kund anhörig pensionär studerande mamma pappa tack hej
very really quite so happy unhappy satisfied disappointed grateful not also here there
""")
# Endings of Finnish words that are not first names: participles (käynyt, ollut), adverbs
# (erityisesti), adjectives (tyytyväinen, hyödytön), translative and the front-vowel locative cases
# (Helsingissä, Tampereelta). -ssa, -sta and -lla are names too (Vanessa, Krista, Ulla).
_NOT_NAME_ENDINGS = ("nut", "nyt", "lut", "lyt", "sti", "inen", "ton", "tön", "ksi", "ssä",
                     "stä", "llä", "ltä", "lta", "lle")
# The same cases with a back vowel end names too, but only short ones: a word this long with
# them is a place (Hämeenlinnasta, Savonlinnassa, Tampereella), not Krista, Vanessa or Gabriella.
_LONG_NOT_NAME_ENDINGS = {"ssa": 9, "sta": 9, "lla": 11}
# A lowercase word in a case like this after a capitalised genitive makes the pair a place
# ("Olen Joensuun sairaalassa"), not a name.
_CASE_ENDINGS = ("ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "na", "nä")

_Detector = Callable[[str], Iterator[tuple[int, int, str]]]


def _hetus(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _HETU.finditer(work):
        if _hetu_ok(m):
            yield m.start(), m.end(), HETU_MARK


def _ehic(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _EHIC.finditer(work):
        yield m.start(), m.end(), KELA_MARK


def _emails(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _EMAIL.finditer(work):
        if m.group("spelled") is None or m.group("tld").lower() in COMMON_TLDS:
            yield m.start(), m.end(), EMAIL_MARK


def _ibans(work: str) -> Iterator[tuple[int, int, str]]:
    """Valid IBANs. A candidate may have run on into the following words (the pattern is
    greedy), so take its longest prefix that is valid and ends at a group boundary."""
    pos = 0
    while m := _IBAN.search(work, pos):
        candidate = m.group(1)
        for end in range(len(candidate), 14, -1):
            if (end == len(candidate) or candidate[end] in " -") and \
                    is_valid_iban(candidate[:end]):
                yield m.start(), m.start() + end, IBAN_MARK
                pos = m.start() + end
                break
        else:
            pos = m.start() + 1


def _accounts(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _ACCOUNT.finditer(work):
        if is_valid_old_account(m.group(0)):
            yield m.start(), m.end(), ACCOUNT_MARK


def _addresses(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _STREET.finditer(work):
        yield m.start(), m.end(), ADDRESS_MARK


def _postcodes(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _POSTCODE.finditer(work):
        town = m.group("town")
        if town[0].isupper() and town.lower() not in NOT_TOWNS:
            yield m.start(), m.end(), ADDRESS_MARK


def _plates(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _PLATE_DASHED.finditer(work):
        if m.group(1) not in NOT_PLATES:
            yield m.start(), m.end(), PLATE_MARK
    for c in _PLATE_CONTEXT.finditer(work):
        m = _PLATE_NEAR.search(work, c.end(), min(len(work), c.end() + PLATE_WINDOW))
        if m and (m.group(1) or m.group(2)).upper() not in NOT_PLATES:
            yield m.start(), m.end(), PLATE_MARK


def _phones(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _PHONE.finditer(work):
        text = m.group(0)
        digits = sum(ch.isdigit() for ch in text)
        if not 7 <= digits <= 15:
            continue
        if m.group("nozero") is not None and digits < 9:
            continue
        yield m.start(), m.end(), PHONE_MARK


def _is_capitalised(word: str) -> bool:
    # All capitals is emphasis ("Olen ERITTÄIN tyytyväinen"), not a name.
    return word[0].isupper() and not (len(word) > 1 and word.isupper())


def _not_a_name(word: str, next_word: str | None = None) -> bool:
    lower = word.lower()
    if lower in NOT_NAMES or (len(lower) >= 5 and lower.endswith(_NOT_NAME_ENDINGS)):
        return True
    if any(lower.endswith(e) and len(lower) >= n for e, n in _LONG_NOT_NAME_ENDINGS.items()):
        return True
    return (next_word is not None and lower.endswith("n") and next_word.islower()
            and len(next_word) >= 5 and next_word.endswith(_CASE_ENDINGS))


def _names(work: str) -> Iterator[tuple[int, int, str]]:
    for m in _NAME.finditer(work):
        words = list(re.finditer(_WORD, m.group("words")))
        base = m.start("words")
        # The word after the candidates, to tell "Joensuun sairaalassa" from a name.
        after = re.match(rf"[ \t]+({_WORD})", work[m.end("words"):m.end("words") + 50])
        texts = [w.group(0) for w in words] + ([after.group(1)] if after else [])
        taken = 0
        for i, w in enumerate(words):
            word = w.group(0)
            following = texts[i + 1] if i + 1 < len(texts) else None
            if i == 0 and m.group("named") is not None:
                ok = _is_capitalised(word) or not _not_a_name(word)
            else:
                ok = _is_capitalised(word) and not (i == 0 and _not_a_name(word, following))
            if not ok:
                break
            taken = i + 1
        if taken:
            yield base, base + words[taken - 1].end(), NAME_MARK


# In this order: a later pattern never sees what an earlier one replaced. Identity codes, card
# numbers, IBANs and account numbers contain digit runs the phone pattern would take; addresses
# contain postal codes.
DETECTORS: tuple[_Detector, ...] = (
    _hetus, _ehic, _emails, _ibans, _accounts, _addresses, _postcodes, _plates, _phones, _names,
)


def find(text: str) -> list[tuple[int, int, str]]:
    """The spans of personal data in `text` (positions in the original text) and their markers,
    in order and without overlaps."""
    work, starts, ends = normalise(text)
    found: list[tuple[int, int, str]] = []
    for detect in DETECTORS:
        spans = [(s, e, mark) for s, e, mark in detect(work) if e > s]
        if not spans:
            continue
        chars = list(work)
        kept = []
        for s, e, mark in spans:
            if _MASK in "".join(chars[s:e]):  # overlaps something already replaced
                continue
            chars[s:e] = _MASK * (e - s)
            kept.append((s, e, mark))
        work = "".join(chars)
        found.extend(kept)
    found.sort()
    return [(starts[s], ends[e - 1], mark) for s, e, mark in found]


def scrub(text: str) -> str:
    """`text` with every piece of personal data :func:`find` finds replaced by its marker; the
    rest of the text is kept character for character."""
    out: list[str] = []
    pos = 0
    for start, end, mark in find(text):
        if start < pos:
            # Two matches share an original character that normalising split in two (``ﬁ`` →
            # ``fi``): the first marker already covers the shared part, this one the rest.
            if end > pos:
                out.append(mark)
                pos = end
            continue
        out.append(text[pos:start])
        out.append(mark)
        pos = end
    out.append(text[pos:])
    return "".join(out)
