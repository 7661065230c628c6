"""Use cases shared by the web app, the CLI and the workers."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import definition as defs
from . import pii
from .answers import Checked
from .models import OutboxEvent, Response, SubmissionReceipt, Survey
from .regions import region_codes

RECEIPT_DAYS = 3


class PublishError(ValueError):
    pass


# The schema's slug pattern: anything else can't name a survey (and a NUL byte would make
# PostgreSQL refuse the query).
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def get_survey(session: Session, slug: str) -> Survey | None:
    if len(slug) > 100 or not _SLUG.fullmatch(slug):
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
    elif survey.status != "draft" and _shape(survey.definition) != _shape(data):
        raise defs.DefinitionError([
            ("questions", "the survey is already published; only texts may change, not questions "
                          "or choices (create a new survey instead)")
        ])
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


def publish(session: Session, slug: str) -> Survey:
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
    survey.status = "published"
    return survey


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


def store_response(session: Session, survey: Survey, lang: str, checked: Checked,
                   token: str, today: date | None = None) -> bool:
    """Store a valid response and its outbox event in one transaction, then commit.

    Returns False (storing nothing) when this form's token was already used: a double click or
    a replayed POST. The receipt is not linked to the response, so it can't identify it.
    Free text is scrubbed of personal data here, so no caller can store the original.
    """
    assert checked.ok and checked.region
    today = today or date.today()
    session.add(SubmissionReceipt(token_hash=token_hash(token),
                                  expires_on=today + timedelta(days=RECEIPT_DAYS)))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    response = Response(survey_id=survey.id, region_code=checked.region, lang=lang,
                        submitted_on=today,
                        answers=scrub_answers(survey.definition, checked.answers))
    session.add(response)
    session.flush()
    session.add(OutboxEvent(response_id=response.id))
    try:
        session.commit()
    except IntegrityError:  # a concurrent replay of the same token won the race
        session.rollback()
        return False
    return True
