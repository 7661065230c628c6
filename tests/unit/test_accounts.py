"""The accounts domain without a database: password policy and hashing, the back-off curve."""

from __future__ import annotations

import pytest

from surveys.accounts import passwords
from surveys.infra import throttle


def test_shipped_list_is_the_common_passwords():
    listed = passwords.common_passwords()
    assert len(listed) == 10_000
    assert {"123456", "password", "qwertyuiop", "1qaz2wsx3edc"} <= listed


@pytest.mark.parametrize(("password", "found"), [
    ("short-pass", [passwords.TOO_SHORT]),
    ("1qaz2wsx3edc", [passwords.COMMON]),
    ("QWERTYUIOP123", [passwords.COMMON]),
    ("Password2026!", [passwords.COMMON]),
    ("dragondragondragon", [passwords.COMMON]),
    ("xxxxxxxxxxxxxxxx", [passwords.COMMON]),
    ("abcabcabcabc", [passwords.COMMON]),
    ("korrekt-hevonen-paristo-niitti", []),
    ("Palaute2026!!", [passwords.COMMON]),
    ("palautepalaute", [passwords.COMMON]),
    ("palaute-on-hyva-asia-2026", []),
    ("kirsi-ja-hyvinvointi-2026", [passwords.CONTAINS_EMAIL]),
    ("x" * 300, [passwords.TOO_LONG, passwords.COMMON]),
])
def test_policy(password, found):
    assert passwords.problems(password, "kirsi@example.fi") == found


def test_hash_and_verify():
    hashed = passwords.hash_password("korrekt-hevonen-paristo-niitti")
    assert hashed.startswith("$argon2id$") and "korrekt" not in hashed
    assert passwords.verify(hashed, "korrekt-hevonen-paristo-niitti")
    assert not passwords.verify(hashed, "korrekt-hevonen-paristo-niitt")
    assert not passwords.verify(None, "anything at all")
    assert not passwords.verify("not a hash", "anything at all")
    assert not passwords.needs_rehash(hashed)


def test_back_off_doubles_and_is_bounded():
    waits = [throttle.wait_s(n, 5) for n in range(1, 20)]
    assert waits[:4] == [0, 0, 0, 0]
    assert waits[4:9] == [2, 4, 8, 16, 32]
    assert max(waits) == throttle.MAX_WAIT_S == 900


def test_production_parameters_are_argon2_cffi_defaults():
    from argon2 import Type

    default = passwords.DEFAULT_HASHER
    assert default.type is Type.ID
    assert (default.time_cost, default.memory_cost, default.parallelism) == (3, 65536, 4)
    # The suite's cheaper hasher still verifies production hashes (parameters live in the hash).
    hashed = default.hash("korrekt-hevonen-paristo-niitti")
    assert passwords.verify(hashed, "korrekt-hevonen-paristo-niitti")
    assert passwords.needs_rehash(hashed)  # would be rehashed to the configured cost
