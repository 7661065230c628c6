"""Database tables. Constraints here enforce what the application promises.

Anonymity by construction: `responses` has no column for a person, an IP, a user agent, a token
or a timestamp finer than a day; the replay guard (`submission_receipts`) is not linked to it.
Nor is the order of storage: a submission writes only to the holding table
(`pending_responses`), and the fold moves responses into `responses` in shuffled batches of at
least the survey's `min_group_size`, so a response's position (rowid / ctid) and inserting
transaction (`xmin`) say no more than which batch it was moved in (docs/reliability.md,
"Unlinkable storage").
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so Alembic migrations are portable between databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CollaborationArea(Base):
    __tablename__ = "collaboration_areas"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Region(Base):
    """A wellbeing services county (or the City of Helsinki), Statistics Finland code."""

    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # Official languages under the Language Act, e.g. "fi" or "fi+sv".
    languages: Mapped[str] = mapped_column(String(20))
    collaboration_area: Mapped[str] = mapped_column(ForeignKey("collaboration_areas.code"))


class Municipality(Base):
    __tablename__ = "municipalities"
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    sami_homeland: Mapped[bool] = mapped_column(default=False)


# A survey that takes no more answers: closed, or closed and then archived (out of every public
# list; retention and the fold treat it as closed).
ENDED_STATUSES = ("closed", "archived")


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'scheduled', 'published', 'closed', 'archived')",
                        name="status"),
        CheckConstraint("audience IN ('citizen', 'staff')", name="audience"),
        CheckConstraint("min_group_size >= 1", name="min_group_size"),
        CheckConstraint("retention_months >= 1", name="retention_months"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    audience: Mapped[str] = mapped_column(String(10))
    # "national" or a region code.
    scope: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    min_group_size: Mapped[int] = mapped_column(Integer, default=5)
    # The validated definition: languages, goals, and every text stored per language.
    definition: Mapped[dict] = mapped_column(JSONType)
    # Set when the survey was published despite a language-rights violation (a pilot):
    # {"reason", "on" (ISO date), "violations": [{"rule", "missing", "law"}]}. Kept on record.
    language_rights_override: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    # Retention of raw responses: kept `retention_months` after the day the survey closed, then
    # deleted by workers.jobs.purge_expired (aggregates stay). See docs/reliability.md.
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The schedule (migration 0015_schedule): a scheduled survey opens on opens_on and a
    # published one closes on closes_on (workers.jobs.apply_schedule). Every published survey
    # has a closes_on, so retention always starts.
    opens_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closes_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A closed survey reopened by a national admin: {"reason", "on", "by"} (the last time).
    reopened: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    retention_months: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    # Set once raw responses were deleted: aggregates can no longer be recounted or rebuilt.
    responses_purged_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Staff surveys: {unit id (a string): quarantined responses the purge deleted}, counted on
    # HR's participation page and never in the figures (0028_quarantine_purged;
    # surveys.report.units `_quarantined` allows for them, as for those still in quarantine).
    quarantine_purged: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    # A fresh random value written by every transaction that changes this survey's aggregates
    # (fold, rebuild); "" while it has none. Results cache their suppression table under it
    # (surveys.report.results.hidden_table), so a new fold can never be served a stale table.
    results_stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # Raised by the ORM on every UPDATE of the row through it (version_id_col, below): web
    # processes keep a survey between requests (surveys.definitions.snapshots) and a
    # submission's INSERT checks that the revision it was validated against is still current.
    # The fold's Core UPDATE of results_stamp does not touch it: new results don't change the
    # form.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": revision}


class Response(Base):
    """One anonymous response. No identity, token, IP or exact time: see module docstring."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_survey_region", "survey_id", "region_code"),)
    # Random, so ids reveal nothing about submission order.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    lang: Mapped[str] = mapped_column(String(3))
    submitted_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSONType)
    # staff surveys (0014_staff): the unit the invitation was for; no link to the invitation.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)


class PendingResponse(Base):
    """A response held back from `responses`: the only table a submission writes a response to.

    It doubles as the transactional outbox. A row is written with `folded` false in the
    submission's transaction; the fold claims it, adds it to the aggregates and, in the same
    transaction, either moves it into `responses` with a whole shuffled batch (at least
    `min_group_size` responses of its survey, see surveys.fold.aggregation.place) or marks it
    `folded` (a new row version, so its PostgreSQL xmin is no longer its submission's) to wait
    for one. So a response is counted exactly once, at once,
    and stored permanently only where its arrival can't be told apart from its batch's.
    On SQLite the table has no rowid (WITHOUT ROWID, ordered by the random id), so not even a
    waiting row's position follows arrival.
    """

    __tablename__ = "pending_responses"
    __table_args__ = (
        Index("ix_pending_responses_folded_survey", "folded", "survey_id"),
        {"sqlite_with_rowid": False},
    )
    # Random; becomes the response's id when it is moved.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    lang: Mapped[str] = mapped_column(String(3))
    submitted_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSONType)
    # Counted in the aggregates already (recount and rebuild read these rows with `responses`).
    folded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # staff surveys (0014_staff): moved into `responses` with the response.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)


class QuarantinedResponse(Base):
    """A stored response the fold could not count (dead letter), kept out of the aggregates.

    Moved here with its answers from the holding table (or, found by a rebuild, from
    `responses`), in the fold's transaction, so one bad row never stops the others
    (surveys.fold.quarantine). `error` names what failed (exception type, the question and a
    reason, or where in the code), never an answer. No id of its own and no time finer than the
    day: keyed by the response's random id and, on SQLite, stored without a rowid (so neither
    its position nor a sequence says when it arrived). `palaute aggregates quarantine --requeue`
    moves it back to the holding table once its cause is fixed; the retention purge deletes it
    with its survey's raw responses.
    """

    __tablename__ = "quarantined_responses"
    __table_args__ = {"sqlite_with_rowid": False}
    response_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    lang: Mapped[str] = mapped_column(String(3))
    submitted_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSONType)
    # staff surveys (0014_staff): back to the holding table with the response when requeued.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    error_type: Mapped[str] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(String(500))
    quarantined_on: Mapped[date] = mapped_column(Date)


class SubmissionReceipt(Base):
    """Hash of a rendered form's one-time token: a replayed POST is recognised, not re-stored."""

    __tablename__ = "submission_receipts"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Day only; receipts past it may be purged.
    expires_on: Mapped[date] = mapped_column(Date, index=True)


class Aggregate(Base):
    """Running counts per survey x region x month x language x question x option.

    question_id "*" with option "*" counts respondents; option "*" under a question counts the
    respondents who answered it.
    """

    __tablename__ = "aggregates"
    __table_args__ = (
        UniqueConstraint(
            "survey_id", "region_code", "month", "lang", "question_id", "option",
            name="uq_aggregates_key",
        ),
        CheckConstraint("count >= 0", name="count_nonnegative"),
        # Covers the small-group suppression table (answered counts per question x region x
        # month, read on every results request) without scanning every option's row.
        Index("ix_aggregates_answered", "survey_id", "question_id", "region_code", "month",
              "count", postgresql_where=text("option = '*'"), sqlite_where=text("option = '*'")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    lang: Mapped[str] = mapped_column(String(3))
    question_id: Mapped[str] = mapped_column(String(64))
    option: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)


class AggregateTotal(Base):
    """The aggregates summed over months and languages: what a results page shows by default.

    Kept by the same fold transaction as `aggregates`, so the two always agree. A whole-country
    results query then sums a few thousand rows (regions x options) however many months and
    languages have been collected, instead of every row of `aggregates`.
    """

    __tablename__ = "aggregate_totals"
    __table_args__ = (CheckConstraint("count >= 0", name="count_nonnegative"),)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    option: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class UnitAggregate(Base):
    """Staff surveys: running counts per survey × unit × breakdown × value × question × option
    (surveys.fold.units), kept by the same fold transaction as `aggregates`.

    `unit_id` is the unit of the response (its invitation's), never an ancestor: results roll
    units up to their ancestors when they are read (surveys.report.units). `breakdown` "*" with
    `value` "*" is the unit's total; else `breakdown` is a question marked `breakdown: true` and
    `value` its answer ("" for none). question_id "*" with option "*" counts respondents; option
    "*" under a question counts those who answered it (as in `aggregates`). No month and no
    language: a unit's figures are published over the whole period only.
    """

    __tablename__ = "unit_aggregates"
    __table_args__ = (CheckConstraint("count >= 0", name="count_nonnegative"),)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    breakdown: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    option: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ResultRelease(Base):
    """A cut of a survey's results: what every results view shows until the next one.

    Cut on a schedule (RESULTS_RELEASE hourly or daily) or by `palaute results release`. Its
    blocks hold the published documents; a block whose scope gained too few respondents since it
    last changed carries its previous figures (surveys.report.releases).
    """

    __tablename__ = "result_releases"
    # Two cuts of one survey at once (the hourly job and an operator) would each be audited
    # without the other's figures: the second finds its place taken and stores nothing.
    __table_args__ = (
        UniqueConstraint("survey_id", "seq", name="uq_result_releases_survey_id_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    # When the release was cut (minutes are enough; it says nothing about any response).
    released_at: Mapped[datetime] = mapped_column(DateTime)
    # Its place among the survey's releases: 0 for the first, the previous release's + 1.
    seq: Mapped[int] = mapped_column(Integer)


class ReleasedBlock(Base):
    """One scope's published figures for one measure ("*": respondents, else a question id)
    in a release, and the sizes (respondents or answers per month) they were computed from."""

    __tablename__ = "released_blocks"
    release_id: Mapped[int] = mapped_column(
        ForeignKey("result_releases.id", ondelete="CASCADE"), primary_key=True)
    # "FI", "area:<code>" or a county code (surveys.report.scopes.Scope.place).
    place: Mapped[str] = mapped_column(String(32), primary_key=True)
    measure: Mapped[str] = mapped_column(String(64), primary_key=True)
    # {"sizes": {month: n}, "total": {...figures...}, "months": {month: {...figures...}}}
    data: Mapped[dict] = mapped_column(JSONType)
    # The release in which these figures were computed (this one, or an earlier one carried).
    computed_in: Mapped[int] = mapped_column(Integer)


class UnitRelease(Base):
    """A cut of a staff survey's results per unit (surveys.report.units): what the unit results
    show under RESULTS_RELEASE daily/hourly until the next one. Cut when the survey closes; a
    later close (after a reopen) cuts a new one only if every finest cell of the unit tables
    grew by nobody or by at least the threshold, else this one stands as a whole."""

    __tablename__ = "unit_releases"
    # As result_releases: two cuts at once (a close and the hourly job) store one release.
    __table_args__ = (
        UniqueConstraint("survey_id", "seq", name="uq_unit_releases_survey_id_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    released_at: Mapped[datetime] = mapped_column(DateTime)
    # Its place among the survey's unit releases: 0 for the first, the previous one's + 1.
    seq: Mapped[int] = mapped_column(Integer)
    # {"tree": [[code, parent code]], "threshold": k, "sizes": {leaf: {key: {period: n}}},
    #  "figures": {breakdown: [[place, period, key, measure, value]]},
    #  "reasons": {breakdown: [[place, period, key, reason]]}, "rates": {code: {...}},
    #  "stamp": the survey's results stamp when it was cut (units.release_due)}
    data: Mapped[dict] = mapped_column(JSONType)


class UnitCutRefusal(Base):
    """A closed staff survey's last unit cut, refused for a reason that the same figures always
    give (surveys.report.units.cut): the hourly job queues no unit cut of the survey again
    while its results stamp, threshold and organisation tree are those recorded
    (units.release_due); an operator's cut still tries; a retention purge deletes it (a cut
    then reads otherwise). A row of its own, not a column of `surveys`: a cut that records it
    does not hold the survey's row against the fold's update of its results stamp (the
    foreign key's KEY SHARE lock only makes the fold's move of a closed survey's held rows,
    FOR UPDATE SKIP LOCKED, pass that survey over until the cut's transaction ends, as a
    cut's reads of those rows did before)."""

    __tablename__ = "unit_cut_refusals"
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           primary_key=True, autoincrement=False)
    # {"stamp": results stamp, "threshold": k, "tree": [[code, parent code]],
    #  "why": "growth" | "unchanged" | "tree" | "audit" | "purged" | "contradicted"
    #           | "rates"}
    data: Mapped[dict] = mapped_column(JSONType)


UNIT_KINDS = ("organisation", "unit", "service")


class Unit(Base):
    """A node of a county's tree: an organisation (the root, parent_id NULL) and its units
    (surveys.staff.units). `kind` 'service' is reserved for a county's service units (health
    stations, clinics) of a later issue. A unit that responses or invitations refer to is never
    deleted by a re-import, only retired (`retired_on`)."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("kind IN ('organisation', 'unit', 'service')", name="kind"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount"),
        CheckConstraint("(kind = 'organisation') = (parent_id IS NULL)", name="root"),
        UniqueConstraint("region_code", "code", name="uq_units_region_code"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True,
                                                  index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    headcount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retired_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Invitation(Base):
    """A one-time anonymous invitation to a staff survey (surveys.staff.invitations).

    Keyed by the SHA-256 of its random token (the token itself is stored nowhere): a random key,
    and on SQLite no rowid, so neither a sequence nor row order says when it was issued. Never
    written again after it is issued: that it was used is a SpentInvitation, which names it
    only under SECRET_KEY, so neither a column nor a row's transaction id (`xmin`) here says
    whether or when its link was answered."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_survey_unit", "survey_id", "unit_id"),
        {"sqlite_with_rowid": False},
    )
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    issued_on: Mapped[date] = mapped_column(Date)


class SpentInvitation(Base):
    """An invitation whose link was answered (surveys.staff.invitations.spend), named by a keyed
    hash (HMAC-SHA256 under a key derived from SECRET_KEY) of the invitation's token hash.

    Written in the transaction that stores the response, so on PostgreSQL it shares that
    transaction's id (`xmin`) with the held response, and the fold's comes right after it: a
    database administrator could pair this row with the answers. Without SECRET_KEY the row
    can't be paired with an invitation (so with a person, even holding HR's file of links):
    the invitation's own row is never written again (docs/privacy.md, "Why an invitation can't
    be tied to an answer"). Keyed by the mark (random-looking), on SQLite with no rowid. Its
    own transaction id and physical position would keep when someone of the unit answered, so
    the hourly job writes the marks of the last hour again, in the order of the marks, in one
    transaction (surveys.staff.invitations.settle_marks)."""

    __tablename__ = "spent_invitations"
    __table_args__ = (
        Index("ix_spent_invitations_survey_unit", "survey_id", "unit_id"),
        {"sqlite_with_rowid": False},
    )
    mark: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # False until the hourly job writes the row again among the others (`settle_marks`).
    settled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class ParticipationCount(Base):
    """What HR's invitations page shows of a staff survey's participation, as counted once a
    day (surveys.staff.participation): per unit of the organisation, its parent at the count,
    the invitations issued to it, its spent invitations as published (a figure that changes
    only by nobody or by at least the threshold: not always the day's count) and whether the
    page hides its (rolled-up) respondents. No time finer than the day of the count, and no
    row about a single invitation. `unit_id` cascades: a unit a re-import deletes had no
    invitations (surveys.staff.units.apply keeps those), so its rows say nothing."""

    __tablename__ = "participation_counts"
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           primary_key=True)
    counted_on: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"),
                                         primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued: Mapped[int] = mapped_column(Integer)
    spent: Mapped[int] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean)


MAIL_STATUSES = ("queued", "sending", "sent", "failed", "bounced", "skipped")


class InvitationMail(Base):
    """An invitation mailed to one address (surveys.staff.mailing): the outbox row of its mails.

    The address and the invitation's token are stored only sealed together (AES-GCM with a key
    derived from SECRET_KEY, bound to the row's survey, unit and address key): no column says
    which invitation is this address's, so the database alone can't tie an address to its
    invitation (nor so to whether that person has answered), and the token can't be read back
    from it. `address_key` is a keyed hash (HMAC) of the address, to merge duplicates. Rows are
    inserted shuffled, independently of their invitations' order. `round` is the mail the row
    is due (0 the invitation, 1… reminders), `sent_round` the last one sent, `status` the state
    of the mail of `round`, `claimed_at` when it was claimed while it is "sending". Deleted when
    the survey closes."""

    __tablename__ = "invitation_mails"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped')",
                        name="status"),
        UniqueConstraint("survey_id", "address_key", name="uq_invitation_mails_survey_address"),
        Index("ix_invitation_mails_survey_unit", "survey_id", "unit_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    address_key: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    base_url: Mapped[str] = mapped_column(String(200))
    round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_round: Mapped[int] = mapped_column(Integer, default=-1, server_default="-1")
    status: Mapped[str] = mapped_column(String(10), default="queued",
                                        server_default="queued")
    # When the mail of `round` was claimed (UTC, to the minute), only while it is "sending":
    # a row "sending" for long is a mail whose worker died (surveys.staff.mailing.STUCK_AFTER).
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


REMINDER_KINDS = ("remind", "retry")


class ReminderRequest(Base):
    """HR's request for a reminder of a staff survey (`kind` "remind"), or for its failed and
    unknown reminder mails to be sent again ("retry"), for one unit with its sub-units
    (`unit_id`) or all (NULL).

    Nothing about recipients is decided at the request: the night's participation job resolves
    it right after the survey's count (surveys.staff.mailing.resolve_requests), deciding then
    who is reminded, and marks it resolved (`resolved_on`, the Finnish date of that night:
    HR's page says per unit when the last reminder went out, never how many it reached).
    `requested_on` is the Finnish date of the request (the night after it resolves it): HR's
    own action, no figure about respondents, and so is `resolved_on`, set whether or not
    anyone was left to remind. Deleted when the survey closes."""

    __tablename__ = "reminder_requests"
    __table_args__ = (CheckConstraint("kind IN ('remind', 'retry')", name="kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"),
                                                nullable=True)
    kind: Mapped[str] = mapped_column(String(10))
    requested_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)


ROLES = ("national_admin", "region_admin", "hr_admin", "analyst")


class User(Base):
    """An administrator's account (surveys.accounts). Respondents have none.

    `email` is stored normalised (trimmed, lower case: surveys.accounts.users.normalise_email),
    so the unique constraint makes it unique case-insensitively. A region admin has one county,
    an HR admin one organisation (an organisation code until the staff issue brings its table);
    an analyst's counties and organisations are rows of `analyst_grants`.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('national_admin', 'region_admin', 'hr_admin', 'analyst')",
                        name="role"),
        CheckConstraint("role <> 'region_admin' OR region_code IS NOT NULL", name="region"),
        CheckConstraint("role <> 'hr_admin' OR org_code IS NOT NULL", name="org"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), nullable=True)
    org_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_on: Mapped[date] = mapped_column(Date)


class AnalystGrant(Base):
    """A county or an organisation whose results an analyst may read."""

    __tablename__ = "analyst_grants"
    __table_args__ = (
        CheckConstraint("(region_code IS NULL) <> (org_code IS NULL)", name="one_target"),
        UniqueConstraint("user_id", "region_code", "org_code", name="uq_analyst_grants_target"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), nullable=True)
    org_code: Mapped[str | None] = mapped_column(String(40), nullable=True)


class UserSession(Base):
    """A signed-in administrator's session, kept on the server (surveys.accounts.sessions).

    The browser holds a random id; only its SHA-256 is stored, so a copy of this table signs
    no one in. Deleting the row (logout, deactivation, timeout) ends the session at once.
    Admin sessions are not anonymous data: exact times are kept for the timeouts.
    """

    __tablename__ = "user_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountLink(Base):
    """A link mailed to an account: an invitation (set a first password) or a password reset.

    Only the SHA-256 of the link's random token is kept. The mail job
    (workers.jobs.send_account_mail) draws the token when it sends the mail, so the token
    exists only in the mail: the row is the mail's outbox entry, `mailed_at` its sent flag. A
    link is good until `expires_at`, once (`used_at`).
    """

    __tablename__ = "account_links"
    __table_args__ = (CheckConstraint("purpose IN ('invite', 'reset')", name="purpose"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    lang: Mapped[str] = mapped_column(String(3))
    base_url: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiToken(Base):
    """A bearer token of the JSON API (surveys.accounts.tokens): the SHA-256 of the token, a
    name its owner chose and the token's first characters, to tell tokens apart in the list.
    It acts with its account's rights; revoking sets `revoked_at`."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TranslatorLink(Base):
    """A time-limited link for a translator (surveys.accounts.translator_links): whoever holds
    it may read one survey's source texts and write that survey's texts in one language, and
    nothing else. Only the SHA-256 of the link's random token is kept; the token is shown once
    to the admin who made the link. Good until `expires_at` unless `revoked_at`."""

    __tablename__ = "translator_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    lang: Mapped[str] = mapped_column(String(3))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                   nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """One admin action or sign-in attempt (surveys.accounts.audit). Append-only: the
    application has no path that updates or deletes a row except the retention purge, and on
    PostgreSQL a trigger refuses any other UPDATE or DELETE (migration 0010_accounts).

    Never survey answers, never passwords. An attempt on an unknown e-mail address keeps the
    address's keyed hash, not the address.
    """

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # "web" or "cli"
    via: Mapped[str] = mapped_column(String(10))
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_email_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    # e.g. "success", "failure", "locked", "denied", "ok"
    outcome: Mapped[str] = mapped_column(String(20))
    object_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)


RESPONDENTS = "*"


class TranslationReport(Base):
    """A visitor's report of an error in an interface translation (the draft notice's form),
    for the administrators and the reviewing translators. No personal data is asked for: no
    contact, no client address, the day only; the texts are scrubbed (surveys.collect.pii)."""

    __tablename__ = "translation_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lang: Mapped[str] = mapped_column(String(8))
    # The page's path, e.g. /sms/s/<slug>/thanks.
    page: Mapped[str] = mapped_column(String(300))
    problem: Mapped[str] = mapped_column(String(2000))
    suggestion: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    reported_on: Mapped[date] = mapped_column(Date)


class AccessibilityFeedback(Base):
    """Feedback through the accessibility statement (Act 306/2019 § 15's feedback channel).
    The contact is optional, given by the sender for an answer; no client address, the day
    only; the message is scrubbed of identity codes and the like (surveys.collect.pii)."""

    __tablename__ = "accessibility_feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lang: Mapped[str] = mapped_column(String(8))
    page: Mapped[str | None] = mapped_column(String(300), nullable=True)
    message: Mapped[str] = mapped_column(String(4000))
    contact: Mapped[str | None] = mapped_column(String(300), nullable=True)
    received_on: Mapped[date] = mapped_column(Date)


class CommentTag(Base):
    """An analyst's theme tag on a free-text comment (surveys.report.comments).

    A comment is named by a keyed hash of its survey, question, county and text
    (HMAC with the server's secret key), never by the response it came from: the table has no
    response id, no sequence and no time, so a database administrator can't join a tag to a
    response, nor order tags by when anyone answered (see docs/privacy.md, "Free-text
    comments"). Identical comments of a county share their tags."""

    __tablename__ = "comment_tags"
    __table_args__ = {"sqlite_with_rowid": False}
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(String(2), ForeignKey("regions.code"),
                                             primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    comment_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
