"""API bearer tokens: `plt_` and 43 characters of a 256-bit random value.

Only the SHA-256 is stored, with the owner's name for it and the first characters (to tell
tokens apart in the list). The token acts with its account's rights, as the policy decides
(surveys.accounts.policy), for as long as the account is active and the token not revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.models import ApiToken, User

from .users import AccountError

PREFIX = "plt_"
SHOWN = 8  # characters of the token kept to tell tokens apart (the prefix and 4 more)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token (shown once, never stored)."""
    name = " ".join(name.split())[:100]
    if not name:
        raise AccountError("token_name_required")
    raw = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_hash(raw), prefix=raw[:SHOWN],
                   created_at=now)
    session.add(row)
    session.flush()
    return row, raw


def of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                       ApiToken.revoked_at.is_(None))
                                .order_by(ApiToken.id)))


def revoke(session: Session, user_id: int, token_id: int, now: datetime) -> ApiToken | None:
    """Revoke one of the account's own tokens (None: no such token of this account)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    row.revoked_at = now
    session.flush()
    return row


def authenticate(session: Session, raw: str | None) -> tuple[User, ApiToken] | None:
    """The active account of a live token, or None."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(raw)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row
