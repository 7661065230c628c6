"""Read aggregated results for a scope, applying the small-group suppression rule.

Results come only from the aggregates table (never from raw responses). Free text is not
aggregated and so can never appear here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .aggregation import ANSWERED
from .definition import options_for
from .disclosure import hidden_scopes
from .models import RESPONDENTS, Aggregate, Region, Survey

PROMOTER_MIN, DETRACTOR_MAX = 9, 6


def _sums(session: Session, survey_id: int,
          region_codes: list[str] | None) -> dict[str, dict[str, int]]:
    stmt = select(Aggregate.question_id, Aggregate.option, func.sum(Aggregate.count)).where(
        Aggregate.survey_id == survey_id
    )
    if region_codes is not None:
        stmt = stmt.where(Aggregate.region_code.in_(region_codes))
    stmt = stmt.group_by(Aggregate.question_id, Aggregate.option)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for qid, option, total in session.execute(stmt):
        out[qid][option] = int(total or 0)
    return out


def hidden_in_scope(session: Session, survey: Survey, scope: dict[str, Any]) -> set[str]:
    """Counts ("*" for respondents, else question ids) that must be hidden in this scope, by the
    threshold and by secondary suppression against differencing (see surveys.disclosure)."""
    threshold = survey.min_group_size
    stmt = (
        select(Aggregate.region_code, Aggregate.question_id, func.sum(Aggregate.count))
        .where(Aggregate.survey_id == survey.id, Aggregate.option == ANSWERED)
        .group_by(Aggregate.region_code, Aggregate.question_id)
    )
    per_key: dict[str, dict[str, int]] = defaultdict(dict)
    for region, qid, total in session.execute(stmt):
        per_key[qid][region] = int(total or 0)
    area_of = dict(session.execute(select(Region.code, Region.collaboration_area)).all())
    keys = [RESPONDENTS] + [q["id"] for q in survey.definition["questions"]]
    hidden: set[str] = set()
    for key in keys:
        by_region = per_key.get(key, {})
        if scope["level"] == "country":
            if sum(by_region.values()) < threshold:
                hidden.add(key)
            continue
        regions, areas = hidden_scopes(by_region, area_of, threshold)
        if scope["code"] in (regions if scope["level"] == "region" else areas):
            hidden.add(key)
    return hidden


def _question_figures(question: dict[str, Any], counts: dict[str, int], hidden: bool,
                      lang: str) -> dict[str, Any]:
    qtype = question["type"]
    n = counts.get(ANSWERED, 0)
    figures: dict[str, Any] = {"type": qtype, "n": n, "counts": None, "mean": None, "nps": None,
                               "suppressed": False}
    if hidden:
        # A question answered by fewer than the threshold is as identifying as a small group.
        return {**figures, "n": None, "suppressed": True}
    if qtype == "text":
        return figures  # only how many answered; the texts themselves are never shown
    options = [o.value for o in options_for(question, lang)]
    figures["counts"] = {o: counts.get(o, 0) for o in options}
    if qtype in ("nps", "likert5", "number"):
        figures["mean"] = round(sum(int(o) * c for o, c in figures["counts"].items()) / n, 2)
    if qtype == "nps":
        promoters = sum(c for o, c in figures["counts"].items() if int(o) >= PROMOTER_MIN)
        detractors = sum(c for o, c in figures["counts"].items() if int(o) <= DETRACTOR_MAX)
        figures["nps"] = round(100 * (promoters - detractors) / n, 1)
    return figures


def survey_results(session: Session, survey: Survey, region_codes: list[str] | None,
                   scope: dict[str, Any], lang: str = "fi") -> dict[str, Any]:
    """The results document of the API contract for `region_codes` (None: whole country);
    `scope["level"]` is "country", "area" or "region" and `scope["code"]` names it."""
    definition = survey.definition
    min_group = survey.min_group_size
    sums = _sums(session, survey.id, region_codes)
    respondents = sums.get(RESPONDENTS, {}).get(RESPONDENTS, 0)
    hidden = hidden_in_scope(session, survey, scope)
    suppressed = respondents < min_group or RESPONDENTS in hidden
    questions: dict[str, Any] = {}
    for q in definition["questions"]:
        if suppressed:
            questions[q["id"]] = {"type": q["type"], "n": None, "counts": None, "mean": None,
                                  "nps": None, "suppressed": True}
        else:
            counts = sums.get(q["id"], {})
            is_hidden = q["id"] in hidden or counts.get(ANSWERED, 0) < min_group
            questions[q["id"]] = _question_figures(q, counts, is_hidden, lang)
    return {
        "survey": survey.slug,
        "scope": scope,
        "min_group_size": min_group,
        "respondents": None if suppressed else respondents,
        "suppressed": suppressed,
        "questions": questions,
    }
