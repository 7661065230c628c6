"""Database tables. Constraints here enforce what the application promises.

Anonymity by construction: `responses` has no column for a person, an IP, a user agent, a token
or a timestamp finer than a day; the replay guard (`submission_receipts`) is not linked to it.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    Uuid,
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


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'closed')", name="status"),
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
    retention_months: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    # Set once raw responses were deleted: aggregates can no longer be recounted or rebuilt.
    responses_purged_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A fresh random value written by every transaction that changes this survey's aggregates
    # (fold, rebuild); "" while it has none. Results cache their suppression table under it
    # (surveys.results.hidden_table), so a new fold can never be served a stale table.
    results_stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # Raised by the ORM on every UPDATE of the row through it (version_id_col, below): web
    # processes keep a survey between requests (surveys.snapshots) and a submission's INSERT
    # checks that the revision it was validated against is still current. The fold's Core
    # UPDATE of results_stamp does not touch it: new results don't change the form.
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


class OutboxEvent(Base):
    """A response waiting to be folded into the aggregates (transactional outbox).

    Written in the same transaction as the response, deleted in the same transaction that folds
    it: a response is folded exactly once however often a job runs.
    """

    __tablename__ = "outbox_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    response_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )


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


RESPONDENTS = "*"
