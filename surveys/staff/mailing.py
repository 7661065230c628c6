"""Staff-survey invitations by e-mail, and reminders (issue 12).

HR hands in a list of addresses for one unit (`parse_addresses`, then `add`): every address
gets an invitation of its own (surveys.staff.invitations) and a row in `invitation_mails`, its
outbox entry. The job workers.jobs.send_invitation_mails mails each queued row its link
`/<lang>/i/<token>` (one section per language of the survey that has mail texts). When the
survey closes, `forget` deletes its rows (the address list) and its reminder requests.

Reminders follow the night count, never the click (docs/privacy.md, "Invitations by e-mail"):
`remind` only records a request (`reminder_requests`: the survey, a unit with its sub-units or
all, the day asked); nothing about recipients is decided or counted then. The hourly
participation job (workers.jobs.count_participation), in the night, right after it counts the
survey (surveys.staff.participation), resolves the requests made before that day
(`resolve_requests`): one new round for the mailed rows of the requested units (with their
sub-units) whose invitation is not spent at that moment, and the mail job enqueued at once; the
request is kept, marked with that night (HR's page says when the last reminder went out). Who is
reminded is so decided at a moment nobody chose, with the count HR's page shows; two clicks
before the night are one reminder. Were it decided at the click, two reminders a few minutes
apart would compare two live counts of those who had not answered, and their difference would be
the people who answered in between. The mail job still checks each reminder's invitation just
before sending it (someone who answered meanwhile gets none, "skipped"); the queue is short (the
job is enqueued right after the count). `retry_failed` queues failed and unknown first mails at
once (a first mail checks no invitation: a fact about mail only), but failed and unknown
reminder mails only at the night (a "retry" request): queued again at HR's moment, their check
at the claim would count who answered since.

What is stored, and why (docs/privacy.md, "Invitations by e-mail"):
- the address and its invitation's token only sealed together (AES-GCM, a key derived from
  SECRET_KEY, bound to the row's survey, unit and address key): reminders must send the same
  link (a second token would be a second vote), so the token is kept until the survey closes,
  but nothing in the database says which invitation is an address's, nor whether that person
  has answered, to anyone without the key (HR, a database administrator);
- `address_key`, a keyed hash of the address, to merge duplicates across uploads;
- rows are inserted in a random order, and invitations in the order of their hashes, so
  neither physical order nor ids pair a row with its invitation (all are written in one
  transaction, so they share its transaction id: that pairs nothing either).

HR sees counts only (`progress`): per unit with its sub-units, how many addresses, ever sent a
mail, and first mails queued, failed, bounced and unknown (claimed for sending more than
STUCK_AFTER ago and never recorded: the worker died in between, so the mail may or may not
have gone out). Of reminders HR sees only the night the last one for a unit went out
(`reminded_on`), never how many it reached, sent, failed or lost: those are the mailed people
who had not answered that night, exact, so two reminders' counts would differ by how many
answered in the day between, finer than the participation figures beside them
(surveys.staff.participation: they change only by nobody or by at least the threshold).
Nothing here logs an address or a token.

At most once: a row is claimed (committed as "sending", with the minute of the claim in
`claimed_at`) before its mail goes out and recorded after, so a worker that dies in between
never causes a second mail by itself; HR sees such a row as unknown once STUCK_AFTER has passed
and may queue it again with the failed ones (`retry_failed`), knowing that person may then get
the mail twice. `claimed_at` is cleared when the mail is recorded: no row keeps when its mail
went out.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from surveys.accounts.mails import N_, translations
from surveys.definitions.format import localized
from surveys.infra import clock, sealing
from surveys.models import InvitationMail, ReminderRequest, Survey, Unit

from . import invitations, suppression, units
from .invitations import InvitationError

MAX_ADDRESSES = 100_000
MAX_ADDRESS_LENGTH = 254
# Languages with mail texts (the Sámi languages fall back to Finnish: they get the Finnish text).
MAIL_LANGUAGES = ("fi", "sv", "en")
HEADER_WORDS = {"email", "e-mail", "sähköposti", "e-post", "address", "osoite", "adress"}
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TLD = re.compile(r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})")
# A mail "sending" for longer than this was claimed by a worker that died before recording it
# (one SMTP delivery takes at most surveys.infra.mail's timeout, seconds): its fate is unknown.
STUCK_AFTER = timedelta(minutes=15)


def _now(now: datetime | None = None) -> datetime:
    """UTC, naive (the column's convention), to the minute."""
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return now.replace(second=0, microsecond=0)


def _stuck(now: datetime | None = None):
    """Rows "sending" since before STUCK_AFTER (or with no claim time: claimed before the
    column existed)."""
    cutoff = _now(now) - STUCK_AFTER
    return and_(InvitationMail.status == "sending",
                or_(InvitationMail.claimed_at.is_(None), InvitationMail.claimed_at < cutoff))

TEXTS = {
    0: (
        N_("Invitation to the staff survey: %(title)s"),
        N_("You are invited to answer the staff survey “%(title)s”.\n\n"
           "Answer at this address (the link is yours and works once):\n\n%(link)s\n\n"
           "The survey closes on %(closes)s. Your answers are anonymous: nothing ties them "
           "to you or to this link, and nobody sees which link was sent to you. Your e-mail "
           "address is used only for this invitation and its reminders, stored encrypted and "
           "deleted when the survey closes. Please do not forward this mail."),
    ),
    1: (
        N_("Reminder: the staff survey %(title)s"),
        N_("This is a reminder of the staff survey “%(title)s”: your link has not been used "
           "yet.\n\n"
           "Answer at this address (the same link as before; it works once):\n\n%(link)s\n\n"
           "The survey closes on %(closes)s. Your answers are anonymous: nothing ties them "
           "to you or to this link, and nobody sees which link was sent to you. Your e-mail "
           "address is deleted when the survey closes."),
    ),
}


class AddressListError(ValueError):
    """Problems of an address list: (line, code, value); nothing was stored."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


PROBLEM_TEXTS = {
    "not_utf8": "the file is not UTF-8 text",
    "empty": "no addresses",
    "too_many": "more than 100000 addresses",
    "bad_address": "not an e-mail address: {value}",
}


def describe(problem: tuple[int, str, str]) -> str:
    line, code, value = problem
    text = PROBLEM_TEXTS[code].format(value=value)
    return f"line {line}: {text}" if line else text


@dataclass(frozen=True)
class AddressList:
    addresses: list[str]  # in the file's order, duplicates merged
    merged: int  # lines that repeated an earlier address


def normalise_address(text: str) -> str | None:
    """The address with its domain in lower-case ASCII (IDNA), or None if it is not one."""
    if len(text) > MAX_ADDRESS_LENGTH or text.count("@") != 1:
        return None
    local, domain = text.split("@")
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") \
            or ".." in local:
        return None
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) \
            or not _TLD.fullmatch(labels[-1]):
        return None
    address = f"{local}@{domain}"
    return address if len(address) <= MAX_ADDRESS_LENGTH else None


def parse_addresses(data: bytes | str) -> AddressList:
    """One address per line (a text file, or a CSV of one column; blank lines, `#` comments and
    a header line such as `email` are skipped). Raises AddressListError naming every bad line;
    duplicates (case-insensitive) are merged and counted."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise AddressListError([(0, "not_utf8", "")]) from exc
    problems: list[tuple[int, str, str]] = []
    seen: dict[str, str] = {}
    merged = 0
    first = True
    for number, raw in enumerate(data.splitlines(), 1):
        line = raw.strip().rstrip(",;").strip().strip('"').strip()
        if not line or line.startswith("#"):
            continue
        if first and line.casefold() in HEADER_WORDS:
            first = False
            continue
        first = False
        address = normalise_address(line)
        if address is None:
            problems.append((number, "bad_address", line[:80]))
            continue
        if address.casefold() in seen:
            merged += 1
            continue
        seen[address.casefold()] = address
    if problems:
        raise AddressListError(problems)
    if not seen:
        raise AddressListError([(0, "empty", "")])
    if len(seen) > MAX_ADDRESSES:
        raise AddressListError([(0, "too_many", "")])
    return AddressList(list(seen.values()), merged)


def _keys(secret: str) -> tuple[bytes, bytes]:
    return (sealing.key(secret, "invitation mail: seal v1"),
            sealing.key(secret, "invitation mail: address v1"))


def address_key(secret: str, address: str) -> str:
    return sealing.keyed_hash(_keys(secret)[1], address.casefold())


def _context(survey_id: int, unit_id: int, key: str) -> bytes:
    return f"invitation-mail:{survey_id}:{unit_id}:{key}".encode()


def _seal(secret: str, survey_id: int, unit_id: int, key: str, address: str,
          token: str) -> bytes:
    plain = json.dumps({"a": address, "t": token}).encode()
    return sealing.seal(_keys(secret)[0], plain, _context(survey_id, unit_id, key))


def unseal(secret: str, row: InvitationMail) -> tuple[str, str]:
    """(address, token) of a row; sealing.Unreadable if SECRET_KEY changed since."""
    plain = sealing.open_sealed(_keys(secret)[0], row.sealed,
                                _context(row.survey_id, row.unit_id, row.address_key))
    values = json.loads(plain)
    return values["a"], values["t"]


@dataclass(frozen=True)
class Added:
    added: int  # new invitations, queued for mailing
    merged: int  # repeated lines of the list
    already: int  # addresses already invited to this survey (any unit): not invited again
    unit_id: int


def _require_open(survey: Survey) -> None:
    if survey.audience != "staff":
        raise InvitationError("not_staff", survey.slug)
    if survey.status == "closed":
        raise InvitationError("not_open", survey.slug)
    if survey.status != "published":
        raise InvitationError("not_published", survey.slug)


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def add(session: Session, survey: Survey, unit_code: str, addresses: AddressList, secret: str,
        base_url: str, today: date | None = None) -> Added:
    """Invite each new address of the list to `survey` for the unit `unit_code`: one invitation
    each, its row queued for the mail job. Flushes only (the caller commits everything or
    nothing)."""
    _require_open(survey)
    unit = invitations.unit_of_survey(session, survey, unit_code)
    by_key = {address_key(secret, a): a for a in addresses.addresses}
    existing: set[str] = set()
    for chunk in _chunks(list(by_key)):
        existing |= set(session.scalars(select(InvitationMail.address_key).where(
            InvitationMail.survey_id == survey.id, InvitationMail.address_key.in_(chunk))))
    new = [(k, a) for k, a in by_key.items() if k not in existing]
    if new:
        tokens = invitations.create(session, survey, unit_code, len(new), today)
        # A random order of rows, independent of the file's and of the invitations' (which
        # are inserted in the order of their hashes).
        secrets.SystemRandom().shuffle(new)
        session.execute(insert(InvitationMail), [
            {"survey_id": survey.id, "unit_id": unit.id, "address_key": key,
             "sealed": _seal(secret, survey.id, unit.id, key, address, token),
             "base_url": base_url.rstrip("/")[:200], "round": 0, "sent_round": -1,
             "status": "queued"}
            for (key, address), token in zip(new, tokens, strict=True)])
        session.flush()
    return Added(len(new), addresses.merged, len(existing), unit.id)


def _subtree(session: Session, unit_id: int) -> list[int]:
    """Ids of the unit and of every unit under it (retired ones too: their mailed people keep
    their links, as they do under "all")."""
    unit = session.get(Unit, unit_id)
    return units.descendants(session, unit) if unit is not None else []


def _scope(session: Session, survey: Survey, unit_code: str | None) -> set[int] | None:
    """The units HR acts on: the unit `unit_code` of the survey's organisation with every unit
    under it (units form a tree, and a unit's figures include its sub-units), or None: all."""
    if not unit_code:
        return None
    return set(_subtree(session, invitations.unit_of_survey(session, survey, unit_code).id))


def _in_scope(survey: Survey, scope: set[int] | None):
    where = InvitationMail.survey_id == survey.id
    return where if scope is None else where & InvitationMail.unit_id.in_(scope)


def _queue_again(session: Session, *where, now: datetime | None = None) -> bool:
    """Queue again the mails of `where` that failed or whose fate is unknown (`_stuck`).
    Whether any was."""
    return bool(session.execute(update(InvitationMail).where(
        *where, or_(InvitationMail.status == "failed", _stuck(now)))
        .values(status="queued", claimed_at=None)
        .execution_options(synchronize_session=False)).rowcount)


def _request(session: Session, survey: Survey, kind: str, unit_code: str | None,
             today: date | None) -> bool:
    unit_id = invitations.unit_of_survey(session, survey, unit_code).id if unit_code else None
    pending = session.scalar(select(ReminderRequest.id).where(
        ReminderRequest.survey_id == survey.id, ReminderRequest.kind == kind,
        ReminderRequest.resolved_on.is_(None),
        ReminderRequest.unit_id.is_(None) if unit_id is None
        else ReminderRequest.unit_id == unit_id).limit(1))
    if pending is not None:  # asked again before the night: the same one reminder
        return False
    session.add(ReminderRequest(survey_id=survey.id, unit_id=unit_id, kind=kind,
                                # the counties' date: resolved the night after it
                                requested_on=today or clock.today()))
    session.flush()
    return True


def remind(session: Session, survey: Survey, unit_code: str | None = None,
           today: date | None = None) -> bool:
    """Request a reminder for the survey's mailed invitations (or those of one unit with its
    sub-units). Nothing about recipients is decided, nor counted, now: the night's
    participation job resolves the request right after the survey's count
    (`resolve_requests`). Returns whether the request is new (False: the same one waits for
    the night already). Raises no_addresses if no first mail of the scope has gone out (a fact
    about mail, not respondents). Flushes only."""
    _require_open(survey)
    mailed = session.scalar(select(InvitationMail.id).where(
        _in_scope(survey, _scope(session, survey, unit_code)), InvitationMail.sent_round >= 0)
        .limit(1))
    if mailed is None:
        raise InvitationError("no_addresses", survey.slug)
    return _request(session, survey, "remind", unit_code, today)


def retry_failed(session: Session, survey: Survey, unit_code: str | None = None,
                 now: datetime | None = None, today: date | None = None) -> None:
    """Queue again the first mails (of the survey, or of one unit with its sub-units) that
    failed (not those that bounced), and those whose fate is unknown (stuck "sending":
    `_stuck`; those people may get the mail twice); the failed and unknown reminder mails only
    at the night, as a request (`resolve_requests`): a reminder queued again is checked
    against its invitation when it is claimed, and a check at a moment HR chose would count
    who answered since the reminder went out. Flushes only."""
    _require_open(survey)
    scope = _scope(session, survey, unit_code)
    _queue_again(session, _in_scope(survey, scope), InvitationMail.round == 0, now=now)
    # Only where a reminder went out (which HR's page shows anyway, `reminded_on`), whether or
    # not it found anyone: whether a reminder mail was ever queued would say that someone had
    # not answered.
    root = invitations.organisation_of(session, survey)
    if root is not None and any(scope is None or unit in scope
                                for unit in reminded_on(session, survey.id, root)):
        _request(session, survey, "retry", unit_code, today)


class AlreadyResolved(Exception):
    """Another run of the night's job resolved these requests at the same time."""


def surveys_with_requests(session: Session, today: date) -> list[int]:
    """Ids of the surveys with requests the night of `today` resolves (made before it)."""
    return list(session.scalars(select(ReminderRequest.survey_id).where(
        ReminderRequest.resolved_on.is_(None), ReminderRequest.requested_on < today).distinct()))


def resolve_requests(session: Session, survey: Survey, secret: str, today: date,
                     now: datetime | None = None) -> bool:
    """Run by the night's participation job right after it counts `survey` (the Finnish date
    `today`): resolve the requests made before today. A reminder is one new round for the
    mailed invitations of the requested units with their sub-units (all, if any request was
    for all) not spent at this moment, whose previous mail went out and did not bounce; a
    retry queues again the reminder mails of its units (with their sub-units) that failed or
    whose fate is unknown. So who is reminded is decided at a moment nobody chose, with the
    count; requests asked twice are one reminder. The requests are marked resolved on `today`
    (a closed survey's too, with nothing queued), whether or not anyone was left to remind:
    HR's page says when, never how many. Returns whether mails were queued (never how many:
    that would count respondents). Flushes only; raises AlreadyResolved if a concurrent run
    resolved them first (roll back)."""
    requests = session.execute(select(ReminderRequest.id, ReminderRequest.kind,
                                      ReminderRequest.unit_id).where(
        ReminderRequest.survey_id == survey.id, ReminderRequest.resolved_on.is_(None),
        ReminderRequest.requested_on < today)).all()
    if not requests:
        return False
    # Marked first: a second run at the same time waits for this one's row locks, then finds
    # them resolved (or fails to write, on SQLite) and queues nothing.
    resolved = session.execute(update(ReminderRequest).where(
        ReminderRequest.id.in_([r.id for r in requests]), ReminderRequest.resolved_on.is_(None))
        .values(resolved_on=today).execution_options(synchronize_session=False)).rowcount
    if resolved != len(requests):
        raise AlreadyResolved(survey.slug)
    if survey.status != "published":
        return False
    queued = False
    for kind in ("remind", "retry"):
        units_ = {r.unit_id for r in requests if r.kind == kind}
        if not units_:
            continue
        scope = _in_scope(survey, None if None in units_ else
                          {sub for unit in units_ for sub in _subtree(session, unit)})
        if kind == "remind":
            queued |= _queue_round(session, survey.id, scope, secret)
        else:
            queued |= _queue_again(session, scope, InvitationMail.round > 0, now=now)
    session.flush()
    return queued


def _queue_round(session: Session, survey_id: int, scope, secret: str) -> bool:
    """A new round for the rows of `scope` whose previous mail went out and did not bounce and
    whose invitation is not spent now. Whether any was queued."""
    rows = session.scalars(select(InvitationMail).where(
        scope, InvitationMail.sent_round >= 0,
        InvitationMail.status.in_(("sent", "failed", "skipped")))).all()
    new_round = (session.scalar(select(func.max(InvitationMail.round))
                                .where(InvitationMail.survey_id == survey_id)) or 0) + 1
    hashes: dict[int, str] = {}
    for row in rows:
        try:
            hashes[row.id] = invitations.token_hash(unseal(secret, row)[1])
        except sealing.Unreadable:
            continue
    spent = invitations.spent_among(session, secret, survey_id, hashes.values())
    queued = False
    for row in rows:
        if row.id in hashes and hashes[row.id] not in spent:
            row.round, row.status = new_round, "queued"
            queued = True
    return queued


def pending_requests(session: Session, survey: Survey) -> list[tuple[str, str | None]]:
    """The requests waiting for the night, for HR's page: (kind, unit code or None: all)."""
    rows = session.execute(
        select(ReminderRequest.kind, Unit.code)
        .outerjoin(Unit, Unit.id == ReminderRequest.unit_id)
        .where(ReminderRequest.survey_id == survey.id, ReminderRequest.resolved_on.is_(None))
        .order_by(ReminderRequest.kind, Unit.code)).all()
    return [(kind, code) for kind, code in dict.fromkeys(rows)]


def forget(session: Session, survey_id: int) -> int:
    """Delete the survey's address list (when it closes). Returns how many rows."""
    session.execute(delete(ReminderRequest).where(ReminderRequest.survey_id == survey_id)
                    .execution_options(synchronize_session=False))
    result = session.execute(delete(InvitationMail).where(InvitationMail.survey_id == survey_id)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def forget_closed(session: Session) -> int:
    """Delete the address lists of every closed or archived survey (the daily safety net)."""
    closed = select(Survey.id).where(Survey.status.in_(("closed", "archived")))
    session.execute(delete(ReminderRequest).where(ReminderRequest.survey_id.in_(closed))
                    .execution_options(synchronize_session=False))
    result = session.execute(delete(InvitationMail).where(InvitationMail.survey_id.in_(closed))
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


# The mail job's steps (workers.jobs.send_invitation_mails owns the transactions).

def queued(session: Session, survey_id: int, unit_id: int | None = None) -> list[int]:
    where = [InvitationMail.survey_id == survey_id, InvitationMail.status == "queued"]
    if unit_id is not None:
        where.append(InvitationMail.unit_id == unit_id)
    return list(session.scalars(select(InvitationMail.id).where(*where)
                                .order_by(InvitationMail.id)))


def surveys_with_queued(session: Session) -> list[int]:
    return list(session.scalars(
        select(InvitationMail.survey_id).join(Survey, Survey.id == InvitationMail.survey_id)
        .where(InvitationMail.status == "queued", Survey.status == "published").distinct()))


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    round: int


def claim(session: Session, mail_id: int, secret: str,
          now: datetime | None = None) -> Outgoing | None:
    """Claim a queued row for sending (status "sending" since `now`, to the minute; the caller
    commits before it sends, so two jobs never both send it) and compose its mail. None if it
    is not queued any more, its survey is not open, or (a reminder) its invitation was spent
    meanwhile ("skipped")."""
    row = session.get(InvitationMail, mail_id)
    if row is None or row.status != "queued":
        return None
    survey = session.get(Survey, row.survey_id)
    if survey is None or survey.status != "published":
        return None
    claimed = session.execute(
        update(InvitationMail).where(InvitationMail.id == mail_id,
                                     InvitationMail.status == "queued")
        .values(status="sending", claimed_at=_now(now))
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return None
    session.refresh(row)
    try:
        address, token = unseal(secret, row)
    except sealing.Unreadable:
        row.status, row.claimed_at = "failed", None
        return None
    if row.round > 0 and invitations.spent_among(session, secret, row.survey_id,
                                                 [invitations.token_hash(token)], row.unit_id):
        row.status, row.claimed_at = "skipped", None
        return None
    subject, body = compose(survey, row.round, row.base_url, token)
    return Outgoing(address, subject, body, row.round)


def record(session: Session, mail_id: int, round_: int, outcome: str) -> None:
    """After sending: "sent", "failed" or "bounced" (the claim's time is forgotten). Nothing if
    the row is no longer "sending" (HR queued it again as unknown meanwhile)."""
    values: dict = {"status": outcome, "claimed_at": None}
    if outcome == "sent":
        values["sent_round"] = round_
    session.execute(update(InvitationMail).where(InvitationMail.id == mail_id,
                                                 InvitationMail.status == "sending")
                    .values(**values).execution_options(synchronize_session=False))


def mail_languages(survey: Survey) -> list[str]:
    offered = survey.definition["languages"]
    return [lang for lang in offered if lang in MAIL_LANGUAGES] or offered[:1]


def compose(survey: Survey, round_: int, base_url: str, token: str) -> tuple[str, str]:
    """(subject, body): a section per language of the survey that has mail texts, each with
    the link in its language, the first language's subject first."""
    subject_id, body_id = TEXTS[min(round_, 1)]
    subjects, bodies = [], []
    for lang in mail_languages(survey):
        t = translations(lang)
        title = localized(survey.definition["title"], lang)
        closes = format_date(survey.closes_on, format="long", locale=_locale(lang)) \
            if survey.closes_on else "–"
        link = invitations.links(base_url, lang, [token])[0]
        subjects.append(t.gettext(subject_id) % {"title": title})
        bodies.append(t.gettext(body_id) % {"title": title, "link": link, "closes": closes})
    subject = " ".join(" / ".join(dict.fromkeys(subjects)).split())  # one line, whatever the title
    return subject, "\n\n-----\n\n".join(bodies) + "\n"


def _locale(lang: str) -> str:
    return {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}.get(lang, "fi_FI")


# What HR sees: counts per unit with its sub-units, never per person; of reminders only when.

@dataclass(frozen=True)
class UnitMail:
    depth: int
    code: str
    name_fi: str
    name_sv: str
    retired: bool
    addresses: int
    queued: int  # the first mails (invitations): facts about mail, not about respondents
    sent: int
    failed: int
    bounced: int
    unknown: int  # stuck "sending": may or may not have been delivered
    # The night the last reminder for the whole unit (asked for it, for a unit above it or for
    # all) went out, whether or not it found anyone; None: none yet. Never how many it reached:
    # those are the mailed people who had not answered, exact to the person, and two nights'
    # counts would differ by how many answered in the day between (docs/privacy.md).
    reminded_on: date | None


_FIELDS = ("addresses", "queued", "sent", "failed", "bounced", "unknown")


def _own_counts(session: Session, survey_id: int,
                now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Per unit, its own rows: addresses, ever sent a mail, and the state of the first mails.
    A reminder's state is counted in none of them (queued, failed, bounced, unknown or skipped,
    it says that its person had not answered at the night)."""
    # (Each expression once, in the select and the grouping: the same bound parameters.)
    keys = (InvitationMail.unit_id, case((InvitationMail.round == 0, 1), else_=0),
            case((InvitationMail.sent_round >= 0, 1), else_=0), InvitationMail.status,
            case((_stuck(now), 1), else_=0))
    rows = session.execute(select(*keys, func.count())
                           .where(InvitationMail.survey_id == survey_id).group_by(*keys)).all()
    own: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_FIELDS, 0))
    for unit_id, first, ever_sent, status, is_stuck, n in rows:
        c = own[unit_id]
        c["addresses"] += n
        if ever_sent:
            c["sent"] += n
        if not first:
            continue
        if status == "bounced":
            c["bounced"] += n
        # A first mail stuck "sending" is a fact about mail, not respondents, as a failed one.
        elif status in ("queued", "sending"):
            c["unknown" if is_stuck else "queued"] += n
        elif status == "failed":
            c["failed"] += n
    return own


def reminded_on(session: Session, survey_id: int, root: Unit) -> dict[int, date]:
    """{unit id: the night the last reminder for the whole unit went out} for the units of the
    organisation `root` that one covered: asked for the unit, for a unit above it, or for all.
    Resolved requests only (`resolve_requests`), whatever they found: HR's own action and the
    night, no figure about respondents."""
    last = dict(session.execute(
        select(ReminderRequest.unit_id, func.max(ReminderRequest.resolved_on))
        .where(ReminderRequest.survey_id == survey_id, ReminderRequest.kind == "remind",
               ReminderRequest.resolved_on.is_not(None))
        .group_by(ReminderRequest.unit_id)).all())
    out: dict[int, date] = {}
    for _depth, unit in units.tree(session, root):  # depth first: a parent before its units
        days = [d for d in (last.get(None), last.get(unit.id), out.get(unit.parent_id)) if d]
        if days:
            out[unit.id] = max(days)
    return out


def progress(session: Session, survey: Survey, root: Unit,
             now: datetime | None = None) -> list[UnitMail]:
    """Per unit of the organisation (with its sub-units): the first mails' counts (rows
    "sending" since before STUCK_AFTER count as unknown, not queued) and the night of the last
    reminder for the unit. Of reminders nothing is counted: how many a reminder reached, sent,
    failed or lost are the mailed people who had not answered that night, exact, and the
    participation figures beside them change only by nobody or by at least the threshold
    (surveys.staff.participation), which two reminders' exact counts would undo."""
    tree = units.tree(session, root)
    children: dict[int | None, list[int]] = {}
    for _depth, unit in tree:
        children.setdefault(unit.parent_id, []).append(unit.id)
    own = _own_counts(session, survey.id, now)
    if not own:
        return []
    rolled = {name: suppression.rolled_up(children, {u: c[name] for u, c in own.items()},
                                          root.id) for name in _FIELDS}
    reminded = reminded_on(session, survey.id, root)
    out = []
    for depth, unit in tree:
        r = {name: rolled[name][unit.id] for name in _FIELDS}
        if not r["addresses"]:
            continue
        out.append(UnitMail(
            depth, unit.code, unit.name_fi, unit.name_sv, unit.retired_on is not None,
            r["addresses"], r["queued"], r["sent"], r["failed"], r["bounced"], r["unknown"],
            reminded.get(unit.id)))
    return out
