"""Password hashing (argon2id, argon2-cffi's defaults: RFC 9106's low-memory profile) and the
password policy: at least MIN_LENGTH characters and not a common or breached password (a list
shipped in data/, see data/SOURCES.md; never the network).

Policy failures are codes; the web and the CLI turn them into sentences in the user's language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
# Longer than this is refused: hashing a megabyte costs the server, not the attacker.
MAX_LENGTH = 256
COMMON_LIST = Path(__file__).parent / "data" / "common-passwords.txt"

# Words of this service that make a password easy to guess here (ASVS 6.2.11: a documented list
# of context-specific words): a password built on one of them is refused like a common one.
CONTEXT_WORDS = ("palaute", "feedback", "hyvinvointialue", "valfardsomrade", "välfärdsområde",
                 "kysely", "enkät", "admin")

TOO_SHORT = "too_short"
TOO_LONG = "too_long"
COMMON = "common"
CONTAINS_EMAIL = "contains_email"

# argon2-cffi's defaults: argon2id, RFC 9106's low-memory profile (t=3, 64 MiB, p=4).
DEFAULT_HASHER = PasswordHasher()
_hasher = DEFAULT_HASHER
# Verified against when the account does not exist, so that an unknown e-mail address takes as
# long to refuse as a wrong password (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash("palaute-dummy-password-for-timing")


def use_cost(time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
    """Hash new passwords with these argon2id parameters (the test suite lowers them so that
    hundreds of sign-ins take seconds; production keeps argon2-cffi's defaults)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib,
                             parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("palaute-dummy-password-for-timing")
_SUFFIX = re.compile(r"[\d\W_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with COMMON_LIST.open(encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def _is_common(password: str) -> bool:
    lowered = password.lower()
    listed = common_passwords()
    if lowered in listed:
        return True
    # A listed password with digits or symbols added ("password2026!") or repeated
    # ("qwertyqwerty"), or one character over and over.
    base = _SUFFIX.sub("", lowered)
    if len(base) >= 4 and base in listed:
        return True
    if any(word in lowered for word in CONTEXT_WORDS) and len(
            _SUFFIX.sub("", re.sub("|".join(CONTEXT_WORDS), "", lowered))) < 4:
        return True
    for size in range(1, len(lowered) // 2 + 1):
        if len(lowered) % size == 0 and lowered[:size] * (len(lowered) // size) == lowered:
            return size < 4 or lowered[:size] in listed
    return False


def problems(password: str, email: str = "") -> list[str]:
    """What makes `password` unacceptable (empty if it is acceptable)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        found.append(TOO_LONG)
    if _is_common(password):
        found.append(COMMON)
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in password.lower():
        found.append(CONTAINS_EMAIL)
    return found


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Does `password` match? With no hash (unknown account) a dummy one is checked, so both
    take the same time; always False then."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
