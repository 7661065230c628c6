"""Use cases shared by the web app, the CLI and the workers."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, timedelta
from typing import Any, Protocol

from babel.messages.catalog import Catalog
from sqlalchemy import Date, Uuid, bindparam, insert, select, text
from sqlalchemy.orm import Session

from . import definition as defs
from . import language_rights as rights
from . import pii
from .answers import Checked
from .content_po import PoImportError, apply_po
from .models import Municipality, OutboxEvent, Region, Response, Survey
from .regions import region_codes

RECEIPT_DAYS = 3


class PublishError(ValueError):
    pass


class LanguageRightsError(PublishError):
    """Publishing would break a language right; `violations` says which and under which law."""

    def __init__(self, slug: str, violations: list[rights.Violation]):
        self.violations = violations
        super().__init__(
            f"survey {slug!r} can't be published: "
            + "; ".join(v.message() for v in violations)
            + ". Add the missing language(s); only a pilot may be published without them, "
            "with an override whose reason is recorded on the survey."
        )


# The schema's slug pattern: anything else can't name a survey (and a NUL byte would make
# PostgreSQL refuse the query).
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def valid_slug(slug: str) -> bool:
    return len(slug) <= 100 and _SLUG.fullmatch(slug) is not None


def get_survey(session: Session, slug: str) -> Survey | None:
    if not valid_slug(slug):
        return None
    return session.scalar(select(Survey).where(Survey.slug == slug))


def import_survey(session: Session, text: str) -> tuple[Survey, bool]:
    """Validate a YAML definition and store it. Returns (survey, created)."""
    data = defs.load(text, region_codes(session))
    survey = get_survey(session, data["slug"])
    created = survey is None
    if survey is None:
        survey = Survey(slug=data["slug"], status="draft")
        session.add(survey)
    elif survey.status != "draft":
        if _shape(survey.definition) != _shape(data):
            raise defs.DefinitionError([
                ("questions", "the survey is already published; only texts may change, not "
                              "questions or choices (create a new survey instead)")
            ])
        if data["min_group_size"] < survey.min_group_size:
            # Respondents answered trusting the threshold they were told about.
            raise defs.DefinitionError([
                ("min_group_size", "the survey is already published; the threshold may be "
                                   f"raised but not lowered below {survey.min_group_size}")
            ])
    if survey.status != "draft":
        # An open survey must stay publishable: no language may lose texts or be dropped in a
        # way that breaks language rights (unless an override for a pilot is on record).
        _check_still_publishable(session, survey, data)
    survey.audience = data["audience"]
    survey.scope = data["scope"]
    survey.min_group_size = data["min_group_size"]
    survey.retention_months = data["retention_months"]
    survey.definition = data
    session.flush()
    return survey, created


def _shape(definition: dict[str, Any]) -> list[Any]:
    """What responses depend on: question ids, types, choices and ranges (not texts)."""
    return [
        (q["id"], q["type"], [c["id"] for c in q.get("choices", [])], q.get("min"), q.get("max"))
        for q in definition["questions"]
    ] + [definition["scope"]]


def county_facts(session: Session, code: str) -> rights.County | None:
    region = session.get(Region, code)
    if region is None:
        return None
    homeland = session.scalar(
        select(Municipality.code)
        .where(Municipality.region_code == code, Municipality.sami_homeland.is_(True))
        .limit(1)
    )
    return rights.County(code=region.code, name=region.name_fi,
                         languages=tuple(region.languages.split("+")),
                         sami_homeland=homeland is not None)


def language_rights_violations(session: Session, survey: Survey,
                               definition: dict[str, Any] | None = None) -> list[rights.Violation]:
    """Violations by `survey` (or by `definition`, a new version of it)."""
    d = definition or survey.definition
    county = None if d["scope"] == "national" else county_facts(session, d["scope"])
    return rights.check(d["audience"], d["scope"], rights.complete_languages(d), county)


def _check_still_publishable(session: Session, survey: Survey, data: dict[str, Any]) -> None:
    errors = [
        ("languages", f"{lang}: texts missing ({', '.join(paths)}); the survey is open")
        for lang in data["languages"] if (paths := defs.missing_texts(data, lang))
    ]
    if survey.language_rights_override is None:
        errors += [("languages", v.message())
                   for v in language_rights_violations(session, survey, data)]
    if errors:
        raise defs.DefinitionError(errors)


def publish(session: Session, slug: str, override_reason: str | None = None,
            today: date | None = None) -> Survey:
    """Open a draft for answers. Refuses missing texts, and language-rights violations unless
    `override_reason` is given, in which case the override is recorded on the survey."""
    survey = get_survey(session, slug)
    if survey is None:
        raise PublishError(f"no survey {slug!r}")
    problems = {
        lang: missing
        for lang in survey.definition["languages"]
        if (missing := defs.missing_texts(survey.definition, lang))
    }
    if problems:
        detail = "; ".join(f"{lang}: {', '.join(paths)}" for lang, paths in problems.items())
        raise PublishError(f"texts missing, so the survey can't be published: {detail}")
    violations = language_rights_violations(session, survey)
    if violations:
        reason = (override_reason or "").strip()
        if not reason:
            raise LanguageRightsError(slug, violations)
        survey.language_rights_override = {
            "reason": reason,
            "on": (today or date.today()).isoformat(),
            "violations": [v.as_dict() for v in violations],
        }
    survey.status = "published"
    return survey


def import_po(session: Session, slug: str, catalog: Catalog) -> tuple[str, int]:
    """Merge a translator's PO file into survey SLUG. Returns (language, texts changed).

    Raises PoImportError (nothing written) on any unknown or broken entry.
    """
    survey = get_survey(session, slug)
    if survey is None:
        raise PoImportError([f"no survey {slug!r}"])
    offered = set(survey.definition["languages"])
    new, lang, changed = apply_po(survey.definition, catalog, region_codes(session))
    if survey.status != "draft" and lang not in offered and defs.missing_texts(new, lang):
        raise PoImportError([
            f"the survey is already open, so {lang!r} can be added only with every text "
            f"translated; missing: {', '.join(defs.missing_texts(new, lang))}"
        ])
    survey.definition = new
    session.flush()
    return lang, changed

def close(session: Session, slug: str, today: date | None = None) -> Survey:
    """Stop accepting answers. The close date starts the retention period of raw responses."""
    survey = get_survey(session, slug)
    if survey is None:
        raise PublishError(f"no survey {slug!r}")
    if survey.status != "closed":
        survey.status = "closed"
        survey.closed_on = today or date.today()
    return survey


def scrub_answers(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with personal data removed from every free-text answer."""
    text_ids = {q["id"] for q in definition["questions"] if q["type"] == "text"}
    return {qid: pii.scrub(v) if qid in text_ids and isinstance(v, str) else v
            for qid, v in answers.items()}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SurveyChanged(Exception):
    """The survey was closed or revised after the response was validated: nothing was stored.
    Load the survey again (surveys.snapshots.load) and decide again."""


# The guard every way of storing a response checks in its own transaction.
_OPEN_AT_REVISION = "id = :survey_id AND revision = :revision AND status = 'published'"
# One statement on PostgreSQL: guard, receipt, response and outbox row in a single round trip.
# The guard is the survey still published at the revision the answers were checked against; the
# receipt is the one-time token (a conflict means a replay); each INSERT feeds the next, so a
# failed guard or a replay stores nothing. Returns (survey still open, rows stored).
_STORE_PG = text(f"""
WITH open_survey AS (
    SELECT id FROM surveys WHERE {_OPEN_AT_REVISION}),
receipt AS (
    INSERT INTO submission_receipts (token_hash, expires_on)
    SELECT :token_hash, :expires_on FROM open_survey
    ON CONFLICT DO NOTHING
    RETURNING 1),
response AS (
    INSERT INTO responses (id, survey_id, region_code, lang, submitted_on, answers)
    SELECT :response_id, :survey_id, :region_code, :lang, :submitted_on, :answers FROM receipt
    RETURNING id),
outbox AS (
    INSERT INTO outbox_events (response_id) SELECT id FROM response
    RETURNING 1)
SELECT (SELECT count(*) FROM open_survey) AS open, (SELECT count(*) FROM outbox) AS stored
""")
# SQLite: the guarded receipt first (its upsert needs the WHERE), then the two plain INSERTs.
_RECEIPT_SQLITE = text(f"""
INSERT INTO submission_receipts (token_hash, expires_on)
SELECT :token_hash, :expires_on WHERE EXISTS (SELECT 1 FROM surveys WHERE {_OPEN_AT_REVISION})
ON CONFLICT DO NOTHING
""")
_STILL_OPEN = text(f"SELECT 1 FROM surveys WHERE {_OPEN_AT_REVISION}")
_TYPES = (bindparam("response_id", type_=Uuid()), bindparam("submitted_on", type_=Date()),
          bindparam("expires_on", type_=Date()),
          bindparam("answers", type_=Response.__table__.c.answers.type))
_STORE_PG = _STORE_PG.bindparams(*_TYPES)
# Built once: a statement built per call (.values()) cost a fifth of store_response on SQLite.
_INSERT_RESPONSE = insert(Response.__table__)
_INSERT_OUTBOX = insert(OutboxEvent.__table__)
_RECEIPT_SQLITE = _RECEIPT_SQLITE.bindparams(bindparam("expires_on", type_=Date()))


class _SurveyLike(Protocol):
    id: int
    revision: int
    definition: dict[str, Any]


def store_response(session: Session, survey: _SurveyLike, lang: str, checked: Checked,
                   token: str, today: date | None = None) -> bool:
    """Store a valid response and its outbox event in one transaction, then commit.

    Returns False (storing nothing) when this form's token was already used: a double click or
    a replayed POST. The receipt is not linked to the response, so it can't identify it.
    Raises SurveyChanged (storing nothing) unless the survey is still published at
    `survey.revision`, checked inside the same transaction, so `survey` may be a kept snapshot.
    Free text is scrubbed of personal data here, so no caller can store the original.
    """
    assert checked.ok and checked.region
    today = today or date.today()
    params = {
        "survey_id": survey.id, "revision": survey.revision, "token_hash": token_hash(token),
        "expires_on": today + timedelta(days=RECEIPT_DAYS),
        "response_id": uuid.uuid4(),  # random, so ids reveal nothing about submission order
        "region_code": checked.region, "lang": lang, "submitted_on": today,
        "answers": scrub_answers(survey.definition, checked.answers),
    }
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        still_open, stored = conn.execute(_STORE_PG, params).one()
    else:
        stored = conn.execute(_RECEIPT_SQLITE, params).rowcount
        still_open = stored or conn.execute(_STILL_OPEN, params).first() is not None
        if stored:
            conn.execute(_INSERT_RESPONSE, {
                "id": params["response_id"], "survey_id": survey.id,
                "region_code": checked.region, "lang": lang, "submitted_on": today,
                "answers": params["answers"]})
            conn.execute(_INSERT_OUTBOX, {"response_id": params["response_id"]})
    if not still_open:
        session.rollback()
        raise SurveyChanged(survey.id)
    if not stored:
        session.rollback()
        return False
    session.commit()
    return True
