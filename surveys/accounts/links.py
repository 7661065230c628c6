"""Links mailed to accounts: invitations (set a first password) and password resets.

A link is a row of `account_links` and a random token of 256 bits in the mail. Only the token's
SHA-256 is stored, and the token is drawn when the mail is sent (`issue`, called by the mail
job), so it exists nowhere but in the mail. A link is good until it expires, once; using it
sets the password, activates the account, ends every session of the account and spends every
other open link of the account (of the same purpose and not).

Functions flush at most; the edge commits. Times come from the caller.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from surveys.models import AccountLink, User, UserSession

from . import passwords
from .users import AccountError

PURPOSES = ("invite", "reset")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def create(session: Session, user: User, purpose: str, *, now: datetime, ttl: timedelta,
           lang: str, base_url: str) -> AccountLink:
    """A link to be mailed (the mail job draws its token)."""
    assert purpose in PURPOSES, purpose
    row = AccountLink(user_id=user.id, purpose=purpose,
                      # A placeholder nobody knows until the mail job draws the token.
                      token_hash=_hash(secrets.token_urlsafe(32)),
                      lang=lang, base_url=base_url.rstrip("/")[:200], created_at=now,
                      expires_at=now + ttl)
    session.add(row)
    session.flush()
    return row


def issue(session: Session, link: AccountLink) -> str:
    """Draw the link's token (replacing any earlier one: a mail sent twice leaves only the
    latest link good) and return it. Only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    link.token_hash = _hash(raw)
    session.flush()
    return raw


def path(link: AccountLink, raw: str) -> str:
    segment = "invite" if link.purpose == "invite" else "reset"
    return f"/{link.lang}/admin/{segment}/{raw}"


def find(session: Session, purpose: str, raw: str | None) -> AccountLink | None:
    """The link of this token, whatever its state (None: no such link)."""
    if not raw or len(raw) > 100:
        return None
    return session.scalar(select(AccountLink).where(AccountLink.token_hash == _hash(raw),
                                                    AccountLink.purpose == purpose))


def usable(link: AccountLink | None, now: datetime) -> bool:
    return link is not None and link.used_at is None and _aware(link.expires_at) > now


def use(session: Session, link: AccountLink, password: str, now: datetime) -> User:
    """Set the account's password from a usable link: the link is spent, the account active,
    and every session of the account ended. Raises AccountError("weak_password") (the link is
    then still good)."""
    user = session.get(User, link.user_id)
    found = passwords.problems(password, user.email)
    if found:
        raise AccountError("weak_password", details=found)
    # Spend it first, conditionally: two requests racing with one link, only one wins.
    spent = session.execute(update(AccountLink)
                            .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
                            .values(used_at=now))
    if spent.rowcount != 1:
        raise AccountError("link_used")
    user.password_hash = passwords.hash_password(password)
    user.active = True
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    # Every other open link of the account is spent too.
    session.execute(update(AccountLink)
                    .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
                    .values(used_at=now))
    session.flush()
    session.expire(link)
    return user


def revoke_open(session: Session, user_id: int, now: datetime) -> None:
    """Spend every open link of an account (on deactivation)."""
    session.execute(update(AccountLink)
                    .where(AccountLink.user_id == user_id, AccountLink.used_at.is_(None))
                    .values(used_at=now))


def unsent(session: Session, now: datetime,
           grace: timedelta = timedelta(minutes=2)) -> list[int]:
    """Ids of links not mailed `grace` after they were made and not expired (for the periodic
    sweep: a fresh link's own job is still on its way)."""
    return list(session.scalars(select(AccountLink.id).where(
        AccountLink.mailed_at.is_(None), AccountLink.used_at.is_(None),
        AccountLink.created_at < now - grace, AccountLink.expires_at > now)))
