"""Keys derived from SECRET_KEY, and sealing small secrets with them (AES-256-GCM).

`key(secret, purpose)` derives a 256-bit key per purpose with HKDF-SHA256, so a key for one
use says nothing of another's or of SECRET_KEY itself. `seal` encrypts and authenticates a
value bound to its context (associated data: e.g. the row it belongs to, so a sealed value
copied to another row does not open); `open_sealed` raises `Unreadable` for anything that was
not sealed with the same key and context (a changed SECRET_KEY included). `keyed_hash` is an
HMAC-SHA256, for looking values up without storing them.
"""

from __future__ import annotations

import hashlib
import hmac
import os

# cryptography is imported where a key is derived or a value sealed: only HR's mail actions
# and the mail job do, and the web tier's workers would otherwise each hold its ~7 MB.

NONCE_BYTES = 12


class Unreadable(ValueError):
    """A sealed value that does not open with this key and context."""


def key(secret: str, purpose: str) -> bytes:
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - see above
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"palaute {purpose}".encode()).derive(secret.encode())


def seal(key_bytes: bytes, plaintext: bytes, context: bytes) -> bytes:
    """nonce (12 random bytes) + AES-GCM ciphertext and tag."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key_bytes).encrypt(nonce, plaintext, context)


def open_sealed(key_bytes: bytes, sealed: bytes, context: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - see above
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    if len(sealed) <= NONCE_BYTES:
        raise Unreadable("too short")
    try:
        return AESGCM(key_bytes).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
    except InvalidTag as exc:
        raise Unreadable("does not open with this key and context") from exc


def hmac_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key per purpose for `keyed_hash` alone: HMAC-SHA256 of the purpose under
    SECRET_KEY (HKDF's extract step, without the ~7 MB `cryptography` import that `key` costs
    a web worker: see above)."""
    return hmac.new(secret.encode(), f"palaute {purpose}".encode(), hashlib.sha256).digest()


def keyed_hash(key_bytes: bytes, value: str) -> str:
    return hmac.new(key_bytes, value.encode(), hashlib.sha256).hexdigest()
