"""One-time anonymous invitations to a staff survey.

An invitation is a random token (256 bits, URL-safe) in a link `/<lang>/i/<token>`; only its
SHA-256 is stored, with the survey, the unit and the day it was issued. The token is handed out
once (CSV, or e-mail: surveys.staff.mailing keeps it sealed with the address until the survey
closes) and never stored in the clear or logged.

Why an invitation can't be tied to an answer (docs/privacy.md, "Staff surveys"):
- `responses` has a `unit_id` and nothing else of the invitation: no token, hash or id column,
  no foreign key, no shared sequence (tests/integration/test_staff_invitations.py inspects the
  schema);
- `invitations` is keyed by the hash (random), has no rowid on SQLite, and its row is never
  written after it is issued: neither a column nor its `xmin` says whether or when it was used;
- spending inserts a SpentInvitation named by a keyed hash of the invitation's hash (`spend`,
  in the transaction of surveys.collect.store.store_response, which commits both or neither).
  On PostgreSQL that row's `xmin` is the submission's, which the held response shares and the
  next fold follows: a database administrator can pair the mark with answers, but not the mark
  with an invitation without SECRET_KEY, even holding HR's file of links (a review of the
  7 December session tied answers to invitations through the old `spent` flag's `xmin`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from surveys.infra import clock, sealing
from surveys.infra.spreadsheet import csv_text
from surveys.models import ENDED_STATUSES, Invitation, SpentInvitation, Survey, Unit

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
          "issued_on": today} for t in tokens),
        key=lambda row: row["token_hash"]))
    session.flush()
    return tokens


def find(session: Session, token: str) -> Invitation | None:
    """The invitation of `token`, or None for an unknown or malformed token."""
    if not well_formed(token):
        return None
    return session.get(Invitation, token_hash(token))


# The key of the spent marks (SpentInvitation), derived from SECRET_KEY. A changed SECRET_KEY
# makes every spent link of an open survey answerable again: don't change it while staff
# surveys are open (docs/deployment.md).
SPENT_PURPOSE = "spent invitation v1"


def spent_mark(secret: str, invitation_hash: str) -> str:
    """The name of a spent invitation: a keyed hash of its token hash, which only someone with
    SECRET_KEY can compute (models.SpentInvitation)."""
    return sealing.keyed_hash(sealing.hmac_key(secret, SPENT_PURPOSE), invitation_hash)


def spend(session: Session, secret: str, invitation: Invitation) -> bool:
    """Mark the invitation spent in the caller's transaction; False if it already was (a
    concurrent submission spent it first: the INSERT waits for it and then conflicts). Writes
    nothing to the invitation's own row."""
    row = {"mark": spent_mark(secret, invitation.token_hash),
           "survey_id": invitation.survey_id, "unit_id": invitation.unit_id}
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: an ORM session's INSERT reports no rowcount on PostgreSQL.
    return session.execute(insert_(SpentInvitation).values(**row).on_conflict_do_nothing()
                           .returning(SpentInvitation.mark)).first() is not None


# Looking marks up reads every mark of the survey (or unit) and compares them here, never one
# mark as a query parameter: a database administrator could log the statements (PostgreSQL's
# log_statement) and so learn the marks the reminders check. A mark is sent to the database
# only when an answer is posted with its link (`spend`); opening a link reads no mark at all
# (webapp.respond.invited).
def spent_among(session: Session, secret: str, survey_id: int, hashes: Iterable[str],
                unit_id: int | None = None) -> set[str]:
    """Those of the survey's invitations `hashes` (token hashes, of `unit_id` where given)
    that are spent."""
    where = SpentInvitation.survey_id == survey_id
    if unit_id is not None:
        where &= SpentInvitation.unit_id == unit_id
    marks = set(session.scalars(select(SpentInvitation.mark).where(where)))
    return {h for h in hashes if spent_mark(secret, h) in marks}


def settle_marks(session: Session) -> int:
    """Write the marks not yet settled again, in the order of the marks, marked settled: each
    then shares its transaction id and its stretch of the table with every mark of the hour,
    not its own submission's (on PostgreSQL a new row version, a new position). The hourly job
    (workers.jobs.count_participation) runs it, so a copy of the database shows when someone
    of a unit answered within the last hour at most; responses keep their day anyway. Returns
    how many; running it twice (or at once) finds nothing the second time."""
    table = SpentInvitation.__table__
    rows = session.execute(table.delete().where(table.c.settled.is_(False))
                           .returning(table.c.mark, table.c.survey_id, table.c.unit_id)).all()
    if rows:
        session.execute(table.insert(), [
            {"mark": m, "survey_id": s, "unit_id": u, "settled": True}
            for m, s, u in sorted(rows)])
    return len(rows)


def counts(session: Session, survey_id: int) -> dict[int, tuple[int, int]]:
    """{unit id: (issued, spent)} for a survey."""
    issued = dict(session.execute(
        select(Invitation.unit_id, func.count())
        .where(Invitation.survey_id == survey_id).group_by(Invitation.unit_id)).all())
    spent = dict(session.execute(
        select(SpentInvitation.unit_id, func.count())
        .where(SpentInvitation.survey_id == survey_id).group_by(SpentInvitation.unit_id)).all())
    return {unit_id: (n, spent.get(unit_id, 0)) for unit_id, n in issued.items()}


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
