"""Free-text comments for the signed-in roles of a county, and analysts' theme tags on them.

Free text is never aggregated and never published (surveys.report.results). It is stored only
inside each raw response's answers (`responses.answers`, scrubbed of personal data when it was
submitted, surveys.collect.pii) and deleted with the response when the survey's retention ends
(surveys.fold.retention). Here it is read for one survey and one county, and only:

- when the county has at least the survey's free-text threshold of respondents
  (`free_text_min_group_size`, default 10, never below `min_group_size`): a comment of a small
  group is easily recognised by the few who know who answered;
- from the responses the fold has moved into `responses` in shuffled batches, not from those
  still held: a comment appears with its batch, never right after its submission;
- scrubbed again as it is read (the scrubber may have learnt forms since it was stored);
- in a fresh random order every time, with nothing of the response beside it (no id, no day,
  no language, no other answer), so the list does not follow the order of answering.

Tags name a comment by a keyed hash (HMAC-SHA-256 with the server's secret key) of its survey,
question, county and text, never by its response: the tag table (models.CommentTag) has no
response id, no sequence, no time and no row order of its own. A database administrator sees
tags and the hashes they hang on, but without the secret key can't compute which response's
text a hash stands for. Identical comments of a county share their tags.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from surveys.collect import pii
from surveys.definitions.format import localized, reported_questions
from surveys.definitions.snapshots import SurveySnapshot
from surveys.fold.aggregation import ANSWERED
from surveys.models import RESPONDENTS, AggregateTotal, CommentTag, Response

DEFAULT_FREE_TEXT_MIN_GROUP_SIZE = 10
MAX_TAG_LENGTH = 40


def threshold(definition: dict) -> int:
    """The smallest county whose comments may be read: the survey's free-text threshold
    (default 10), never below its `min_group_size`."""
    return max(int(definition.get("free_text_min_group_size",
                                  DEFAULT_FREE_TEXT_MIN_GROUP_SIZE)),
               int(definition.get("min_group_size", 0)))


def comment_key(secret: bytes, survey_id: int, question_id: str, region: str, text: str) -> str:
    message = "\x1f".join((str(survey_id), question_id, region, text)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def clean_tag(tag: str) -> str:
    """A tag as stored: one line, trimmed, lower case, at most MAX_TAG_LENGTH characters, and
    scrubbed like the comments (a tag is free text too)."""
    return pii.scrub(" ".join(tag.split()))[:MAX_TAG_LENGTH].strip().lower()


@dataclass
class Comment:
    key: str
    text: str
    tags: list[str] = field(default_factory=list)


@dataclass
class Question:
    id: str
    text: str
    comments: list[Comment]


@dataclass
class Comments:
    respondents_enough: bool
    threshold: int
    questions: list[Question]


def _respondents(session: Session, survey_id: int, region: str) -> int:
    """The county's respondents as counted (the fold's totals), held responses included."""
    return session.scalar(select(func.sum(AggregateTotal.count))
                          .where(AggregateTotal.survey_id == survey_id,
                                 AggregateTotal.region_code == region,
                                 AggregateTotal.question_id == RESPONDENTS,
                                 AggregateTotal.option == ANSWERED)) or 0


def read(session: Session, survey: SurveySnapshot, region: str, secret: bytes, lang: str,
         rng: random.Random | None = None) -> Comments:
    """The county's comments per free-text question, scrubbed, shuffled, with their tags; none
    if the county has fewer respondents than the free-text threshold."""
    k = threshold(survey.definition)
    text_questions = [q for q in reported_questions(survey.definition) if q["type"] == "text"]
    if not text_questions or _respondents(session, survey.id, region) < k:
        return Comments(False, k, [])
    texts: dict[str, list[str]] = {q["id"]: [] for q in text_questions}
    rows = session.scalars(select(Response.answers).where(Response.survey_id == survey.id,
                                                          Response.region_code == region))
    for answers in rows:
        for qid, bucket in texts.items():
            value = (answers or {}).get(qid)
            if isinstance(value, str) and value.strip():
                bucket.append(pii.scrub(value.strip()))
    tags: dict[tuple[str, str], list[str]] = {}
    for qid, key, tag in session.execute(
            select(CommentTag.question_id, CommentTag.comment_key, CommentTag.tag)
            .where(CommentTag.survey_id == survey.id, CommentTag.region_code == region)
            .order_by(CommentTag.tag)):
        tags.setdefault((qid, key), []).append(tag)
    shuffle = (rng or random.SystemRandom()).shuffle
    questions = []
    for q in text_questions:
        comments = []
        for text in texts[q["id"]]:
            key = comment_key(secret, survey.id, q["id"], region, text)
            comments.append(Comment(key, text, list(tags.get((q["id"], key), []))))
        shuffle(comments)
        questions.append(Question(q["id"], localized(q["text"], lang), comments))
    return Comments(True, k, questions)


def themes(session: Session, survey_id: int, region: str) -> list[tuple[str, int]]:
    """Every tag used in the county's comments, with how many comments carry it."""
    rows = session.execute(select(CommentTag.tag, func.count())
                           .where(CommentTag.survey_id == survey_id,
                                  CommentTag.region_code == region)
                           .group_by(CommentTag.tag).order_by(CommentTag.tag))
    return [(tag, int(n)) for tag, n in rows]


def known_key(session: Session, survey: SurveySnapshot, region: str, question_id: str,
              key: str, secret: bytes) -> bool:
    """Whether `key` names a comment the county has now (a tag is never stored for anything
    else)."""
    found = read(session, survey, region, secret, "fi")
    return found.respondents_enough and any(
        c.key == key for q in found.questions if q.id == question_id for c in q.comments)


def add_tag(session: Session, survey_id: int, region: str, question_id: str, key: str,
            tag: str) -> bool:
    tag = clean_tag(tag)
    if not tag:
        return False
    exists = session.get(CommentTag, (survey_id, region, question_id, key, tag))
    if exists is None:
        session.add(CommentTag(survey_id=survey_id, region_code=region,
                               question_id=question_id, comment_key=key, tag=tag))
        session.flush()
    return True


def remove_tag(session: Session, survey_id: int, region: str, question_id: str, key: str,
               tag: str) -> None:
    session.execute(delete(CommentTag).where(
        CommentTag.survey_id == survey_id, CommentTag.region_code == region,
        CommentTag.question_id == question_id, CommentTag.comment_key == key,
        CommentTag.tag == tag))
