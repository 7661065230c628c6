"""Accounts: create, find, list, deactivate, grant. Functions flush at most (the edge commits).

Errors are `AccountError` with a code and the offending value; the CLI and the web say them in
the user's language.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from surveys.infra import clock
from surveys.models import ROLES, AccountLink, AnalystGrant, Region, User, UserSession

from . import passwords

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ORG = re.compile(r"[A-Za-z0-9_.-]{1,40}")
# The password hash of an invited account until it sets one: no password verifies against it.
NO_PASSWORD = "!invited"  # noqa: S105 - not a password: a hash nothing matches


class AccountError(ValueError):
    def __init__(self, code: str, value: str = "", details: list[str] | None = None):
        super().__init__(f"{code}: {value}" if value else code)
        self.code = code
        self.value = value
        self.details = details or []


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_hash(key: bytes, email: str) -> str:
    """A keyed hash of an e-mail address: the audit log's name for an unknown account."""
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def find(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def _validate(session: Session, email: str, role: str, region: str | None, org: str | None,
              grants: list[str] | None) -> str:
    """The normalised address of a new account, or AccountError."""
    email = normalise_email(email)
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise AccountError("bad_email", email)
    if role not in ROLES:
        raise AccountError("bad_role", role)
    if role == "region_admin" and not region:
        raise AccountError("region_required", role)
    if role == "hr_admin" and not org:
        raise AccountError("org_required", role)
    if region and role != "region_admin":
        raise AccountError("region_not_for_role", role)
    if org and role != "hr_admin":
        raise AccountError("org_not_for_role", role)
    if region and session.get(Region, region) is None:
        raise AccountError("unknown_region", region)
    if org and not _ORG.fullmatch(org):
        raise AccountError("bad_org", org)
    if grants and role != "analyst":
        raise AccountError("grants_not_for_role", role)
    if find(session, email) is not None:
        raise AccountError("exists", email)
    return email


def invite(session: Session, email: str, role: str, *, region: str | None = None,
           org: str | None = None, grants: list[str] | None = None,
           today: date | None = None) -> User:
    """A new account without a password, inactive until the invitation's link sets one
    (surveys.accounts.links)."""
    email = _validate(session, email, role, region, org, grants)
    user = User(email=email, password_hash=NO_PASSWORD, role=role, region_code=region,
                org_code=org, active=False, created_on=today or clock.today())
    session.add(user)
    session.flush()
    for target in grants or []:
        grant(session, user, target)
    return user


def create(session: Session, email: str, password: str, role: str, *, region: str | None = None,
           org: str | None = None, grants: list[str] | None = None,
           today: date | None = None) -> User:
    """A new active account. `grants` (analysts only): county codes, or `org:CODE`."""
    email = _validate(session, email, role, region, org, grants)
    found = passwords.problems(password, email)
    if found:
        raise AccountError("weak_password", details=found)
    user = User(email=email, password_hash=passwords.hash_password(password), role=role,
                region_code=region, org_code=org, active=True,
                created_on=today or clock.today())
    session.add(user)
    session.flush()
    for target in grants or []:
        grant(session, user, target)
    return user


def grant(session: Session, user: User, target: str) -> AnalystGrant:
    """Let analyst `user` read the results of a county (its code) or an organisation
    (`org:CODE`)."""
    if user.role != "analyst":
        raise AccountError("grants_not_for_role", user.role)
    if target.startswith("org:"):
        org = target[4:]
        if not _ORG.fullmatch(org):
            raise AccountError("bad_org", org)
        row = AnalystGrant(user_id=user.id, org_code=org)
    else:
        if session.get(Region, target) is None:
            raise AccountError("unknown_region", target)
        row = AnalystGrant(user_id=user.id, region_code=target)
    session.add(row)
    session.flush()
    return row


def grants_of(session: Session, user_id: int) -> tuple[frozenset[str], frozenset[str]]:
    """(county codes, organisation codes) granted to an analyst."""
    rows = session.execute(select(AnalystGrant.region_code, AnalystGrant.org_code)
                           .where(AnalystGrant.user_id == user_id)).all()
    return (frozenset(r for r, _o in rows if r), frozenset(o for _r, o in rows if o))


def listing(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def deactivate(session: Session, email: str) -> User:
    """Block the account, end its sessions and spend its open invitation and reset links."""
    user = find(session, email)
    if user is None:
        raise AccountError("unknown_user", normalise_email(email))
    user.active = False
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(update(AccountLink)
                    .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
                    .values(used_at=AccountLink.created_at))
    session.flush()
    return user
