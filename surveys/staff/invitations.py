"""One-time anonymous invitations to a staff survey.

An invitation is a random token (256 bits, URL-safe) in a link `/<lang>/i/<token>`; only its
SHA-256 is stored, with the survey, the unit, the day it was issued and a `spent` flag. The
token is handed out once (CSV, or e-mail: surveys.staff.mailing keeps it sealed with the address
until the survey closes) and never stored in the clear or logged.

Why an invitation can't be tied to an answer (docs/privacy.md, "Staff surveys"):
- `responses` has a `unit_id` and nothing else of the invitation: no token, hash or id column,
  no foreign key, no shared sequence (tests/integration/test_staff_invitations.py inspects the
  schema);
- `invitations` is keyed by the hash (random), has no rowid on SQLite and no time of spending
  at all, only the flag: neither its order nor a timestamp says when it was spent;
- spending is an UPDATE of that flag in the same transaction as storing the response
  (`spend`, then surveys.collect.store.store_response, which commits both or neither). On
  PostgreSQL the spent row's `xmin` is that transaction's id; it joins no response once the
  response is written to the holding table and moved into `responses` by the fold in shuffled
  batches (surveys/collect/store.py, surveys/fold/aggregation.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from surveys.infra import clock
from surveys.infra.spreadsheet import csv_text
from surveys.models import ENDED_STATUSES, Invitation, Survey, Unit

from . import units

TOKEN_BYTES = 32  # 256 bits of randomness
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_COUNT = 100_000


class InvitationError(ValueError):
    def __init__(self, code: str, value: str = ""):
        self.code, self.value = code, value
        super().__init__(f"{code}: {value}")


ERROR_TEXTS = {
    "not_staff": "{value} is not a staff survey",
    "no_organisation": "survey {value} names no organisation",
    "unknown_unit": "no unit {value} in the survey's organisation",
    "retired_unit": "unit {value} is retired",
    "bad_count": "the count must be between 1 and 100000, not {value}",
    "not_open": "survey {value} is closed",
    "not_published": "survey {value} is not open for answers",
    "no_addresses": "survey {value} has no mailed invitations to remind",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def well_formed(token: str) -> bool:
    return TOKEN_RE.fullmatch(token) is not None


def organisation_of(session: Session, survey: Survey) -> Unit | None:
    code = (survey.definition or {}).get("organisation")
    if survey.audience != "staff" or not code or survey.scope == "national":
        return None
    return units.organisation(session, survey.scope, code)


def unit_of_survey(session: Session, survey: Survey, code: str) -> Unit:
    """The unit `code` of the survey's organisation, or InvitationError."""
    if survey.audience != "staff":
        raise InvitationError("not_staff", survey.slug)
    root = organisation_of(session, survey)
    if root is None:
        raise InvitationError("no_organisation", survey.slug)
    for _depth, unit in units.tree(session, root):
        if unit.code == code:
            if unit.retired_on is not None:
                raise InvitationError("retired_unit", code)
            return unit
    raise InvitationError("unknown_unit", code)


def create(session: Session, survey: Survey, unit_code: str, count: int,
           today: date | None = None) -> list[str]:
    """`count` new invitations to `survey` for its unit `unit_code`; returns the tokens (the
    only copy: they are not stored). Flushes only."""
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise InvitationError("bad_count", str(count))
    if survey.status in ENDED_STATUSES:
        raise InvitationError("not_open", survey.slug)
    unit = unit_of_survey(session, survey, unit_code)
    today = today or clock.today()
    tokens = [new_token() for _ in range(count)]
    # Inserted in the order of their hashes (random, and independent of whatever order the
    # caller hands the tokens out in: the mailed invitations, surveys.staff.mailing), so the
    # rows' physical order (PostgreSQL's ctid) pairs them with nothing.
    session.execute(insert(Invitation), sorted(
        ({"token_hash": token_hash(t), "survey_id": survey.id, "unit_id": unit.id,
          "issued_on": today, "spent": False} for t in tokens),
        key=lambda row: row["token_hash"]))
    session.flush()
    return tokens


def find(session: Session, token: str) -> Invitation | None:
    """The invitation of `token`, or None for an unknown or malformed token."""
    if not well_formed(token):
        return None
    return session.get(Invitation, token_hash(token))


def spend(session: Session, invitation_hash: str) -> bool:
    """Mark the invitation spent in the caller's transaction; False if it already was (a
    concurrent submission spent it first: the UPDATE waits for it and then matches nothing)."""
    result = session.execute(
        update(Invitation).where(Invitation.token_hash == invitation_hash,
                                 Invitation.spent.is_(False))
        .values(spent=True).execution_options(synchronize_session=False))
    return result.rowcount == 1


def counts(session: Session, survey_id: int) -> dict[int, tuple[int, int]]:
    """{unit id: (issued, spent)} for a survey."""
    rows = session.execute(
        select(Invitation.unit_id, func.count(),
               func.sum(case((Invitation.spent.is_(True), 1), else_=0)))
        .where(Invitation.survey_id == survey_id).group_by(Invitation.unit_id))
    return {unit_id: (issued, int(spent or 0)) for unit_id, issued, spent in rows}


def links(base_url: str, lang: str, tokens: Iterable[str]) -> list[str]:
    return [f"{base_url.rstrip('/')}/{lang}/i/{t}" for t in tokens]


def links_csv(base_url: str, lang: str, unit_code: str, tokens: Iterable[str]) -> str:
    """The file of links HR hands out: columns `unit`, `link`. A unit code may start with "-",
    which a spreadsheet would read as a formula (surveys.infra.spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", "link"])
    for link in links(base_url, lang, tokens):
        writer.writerow([csv_text(unit_code), link])
    return out.getvalue()
