"""Read aggregated results for a scope, applying the small-group suppression rule.

Results come only from the aggregates tables (never from raw responses). Free text is not
aggregated and so can never appear here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .aggregation import ANSWERED
from .definition import options_for
from .models import RESPONDENTS, Aggregate, AggregateTotal, Survey

PROMOTER_MIN, DETRACTOR_MAX = 9, 6


def _sums(session: Session, survey_id: int, region_codes: list[str] | None,
          months: tuple[str, str] | None = None) -> dict[str, dict[str, int]]:
    # Without a month range, the totals table (already summed over months and languages) is
    # enough: a few rows per region and option, however long the survey has been collecting.
    table = Aggregate if months is not None else AggregateTotal
    stmt = select(table.question_id, table.option, func.sum(table.count)).where(
        table.survey_id == survey_id
    )
    if region_codes is not None:
        stmt = stmt.where(table.region_code.in_(region_codes))
    if months is not None:
        stmt = stmt.where(Aggregate.month >= months[0], Aggregate.month <= months[1])
    stmt = stmt.group_by(table.question_id, table.option)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for qid, option, total in session.execute(stmt):
        out[qid][option] = int(total or 0)
    return out


def _question_figures(question: dict[str, Any], counts: dict[str, int], min_group: int,
                      lang: str) -> dict[str, Any]:
    qtype = question["type"]
    n = counts.get(ANSWERED, 0)
    figures: dict[str, Any] = {"type": qtype, "n": n, "counts": None, "mean": None, "nps": None,
                               "suppressed": False}
    if n < min_group:
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
                   scope: dict[str, Any], lang: str = "fi",
                   months: tuple[str, str] | None = None) -> dict[str, Any]:
    """The results document of the API contract for `region_codes` (None: whole country)."""
    definition = survey.definition
    min_group = survey.min_group_size
    sums = _sums(session, survey.id, region_codes, months)
    respondents = sums.get(RESPONDENTS, {}).get(RESPONDENTS, 0)
    suppressed = respondents < min_group
    questions: dict[str, Any] = {}
    for q in definition["questions"]:
        if suppressed:
            questions[q["id"]] = {"type": q["type"], "n": None, "counts": None, "mean": None,
                                  "nps": None, "suppressed": True}
        else:
            questions[q["id"]] = _question_figures(q, sums.get(q["id"], {}), min_group, lang)
    return {
        "survey": survey.slug,
        "scope": scope,
        "min_group_size": min_group,
        "respondents": None if suppressed else respondents,
        "suppressed": suppressed,
        "questions": questions,
    }
