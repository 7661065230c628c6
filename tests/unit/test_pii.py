"""Personal data in free text is replaced before storing: checksums decide what is personal."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.collect import pii


def hetu(ddmmyy: str, sign: str, serial: str) -> str:
    """A syntactically valid identity code with its correct check character."""
    return f"{ddmmyy}{sign}{serial}{pii.HETU_CHECK[int(ddmmyy + serial) % 31]}"


VALID_HETUS = [
    "131052-308T",  # the Digital and Population Data Services Agency's example
    hetu("010594", "Y", "203"),  # 2023 century signs for the 1900s: Y, X, W, V, U
    hetu("311299", "X", "412"),
    hetu("150670", "W", "285"),
    hetu("290268", "V", "999"),
    hetu("010101", "U", "555"),
    hetu("020516", "A", "903"),  # 2000s: A and the new B, C, D, E, F
    hetu("020516", "B", "904"),
    hetu("291200", "C", "123"),  # 29 Feb 2000 existed
    hetu("010124", "D", "456"),
    hetu("151023", "E", "789"),
    hetu("311220", "F", "321"),
    hetu("010185", "+", "123"),  # 1800s
]


@pytest.mark.parametrize("code", VALID_HETUS)
def test_valid_identity_codes_are_replaced(code):
    assert pii.is_valid_hetu(code)
    text = f"Minun henkilötunnukseni on {code}, hoitakaa asia."
    assert pii.scrub(text) == "Minun henkilötunnukseni on [hetu], hoitakaa asia."
    assert pii.scrub(code.lower()) == "[hetu]"


def _wrong_check(code: str) -> str:
    other = pii.HETU_CHECK[(pii.HETU_CHECK.index(code[-1]) + 1) % 31]
    return code[:-1] + other


@pytest.mark.parametrize("code", [
    *(_wrong_check(c) for c in VALID_HETUS),  # check character off by one
    "131052-308U",
    "310252-308T",  # 31 February does not exist
    hetu("290201", "A", "123"),  # 29 Feb 2001 did not exist
    hetu("131052", "G", "308"),  # no such century sign
    hetu("131052", "-", "000"),  # serials 000 and 001 are not issued
    "131052-308T1",  # longer code: a reference number, not an identity code
])
def test_invalid_identity_codes_are_kept(code):
    assert not pii.is_valid_hetu(code)
    assert "[hetu]" not in pii.scrub(f"viite {code} ok")


@pytest.mark.parametrize("text", [
    "Soita 040 123 4567", "soita 040-1234567", "numero 0401234567", "(09) 310 1234",
    "+358 40 123 4567", "+358401234567", "00358 40 123 4567", "+46 70 123 45 67",
    "+1 (555) 123-4567", "+44 20 7946 0958", "+358 (0)9 310 1234",
])
def test_phone_numbers_are_replaced(text):
    out = pii.scrub(text)
    assert "[phone]" in out
    assert not any(ch.isdigit() for ch in out), out


@pytest.mark.parametrize("text", [
    "käynti 01.02.2024 klo 09.00-16.00", "05-01-2024 ja 5/1/2024", "postinumero 00100",
    "odotin 45 minuuttia",
    "vuonna 2023 maksoin 1 000 000 euroa", "arvosana 4/5", "klo 8-16",
])
def test_dates_times_and_amounts_are_kept(text):
    assert pii.scrub(text) == text


@pytest.mark.parametrize("text", [
    "matti.meikalainen@example.fi", "Anna.Virtanen+palaute@sub.example.co.uk",
    "matti(at)example.com", "a_b@c-d.org",
])
def test_email_addresses_are_replaced(text):
    assert pii.scrub(f"laita viestiä {text} kiitos") == "laita viestiä [email] kiitos"


@pytest.mark.parametrize("iban", [
    "FI21 1234 5600 0007 85", "FI2112345600000785", "fi21 1234 5600 0007 85",
    "DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32", "SE45 5000 0000 0583 9825 7466",
    "NO9386011117947",
])
def test_valid_ibans_are_replaced(iban):
    assert pii.is_valid_iban(iban)
    assert pii.scrub(f"tilini {iban} kiitos.") == "tilini [iban] kiitos."


@pytest.mark.parametrize("text", [
    "FI21 1234 5600 0007 86",  # mod-97 check fails
    "FI21 1234 5600 0007",  # too short for Finland
    "AB12CD34EF56GH78",
])
def test_invalid_ibans_are_kept(text):
    assert not pii.is_valid_iban(text)
    assert "[iban]" not in pii.scrub(text)


def test_a_postal_code_with_its_town_is_replaced():
    # A postal area can be a few hundred people: with the county and the answers it narrows a
    # respondent down. The code alone (no town) is kept.
    assert pii.scrub("postinumero 00100 Helsinki") == "postinumero [address]"


def test_several_kinds_in_one_comment():
    text = ("Olen 131052-308T, puh. +358 40 123 4567, matti@example.fi, "
            "palauta rahat tilille FI21 1234 5600 0007 85. Palvelu oli hyvää!")
    assert pii.scrub(text) == ("Olen [hetu], puh. [phone], [email], palauta rahat tilille "
                               "[iban]. Palvelu oli hyvää!")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet="0123456789 +-./()[]@:aA_xFIkatuolenNimeMABC\u2013\u200b\u00a0",
               max_size=300))
def test_scrub_is_fast_and_total_on_odd_input(text):
    # Total: any text comes back as text. (Speed is the linearity test's job, by ratios: a
    # wall-clock limit here failed on a loaded machine without anything being wrong.)
    out = pii.scrub(text)
    assert isinstance(out, str)


def test_pathological_inputs_stay_linear():
    # The newer patterns (names, addresses, plates, spelled-out e-mail, account numbers,
    # normalisation) have their own pathological inputs in tests/unit/collect/test_pii_corpus.py.
    for text in ("a@" + "a." * 5000, "+358" + " 1" * 5000, "FI21" + " 1234" * 3000,
                 "0" * 10000, "x" * 10000 + "@", "olen Maija " * 2000, "Testikatu 1 A " * 1500,
                 "auto ABC " * 2000, "a at b dot " * 2000, "123456-" * 2000,
                 "\u200b\u2013" * 5000):
        started = time.monotonic()
        pii.scrub(text)
        assert time.monotonic() - started < 1.0, text[:20]
