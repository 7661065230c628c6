"""Read aggregated results for a scope, applying the small-group suppression rule.

Results come only from the aggregates tables (never from raw responses). Free text is not
aggregated and so can never appear here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from .aggregation import ANSWERED
from .definition import options_for
from .disclosure import ALL_MONTHS, COUNTRY, Cell, area_place, hidden_cells
from .models import RESPONDENTS, Aggregate, AggregateTotal, Region, Survey

PROMOTER_MIN, DETRACTOR_MAX = 9, 6


def _sums(session: Session, survey_id: int,
          region_codes: list[str] | None) -> dict[str, dict[str, int]]:
    # The totals table (already summed over months and languages) is enough here: a few rows
    # per region and option, however long the survey has been collecting (docs/performance.md).
    stmt = select(AggregateTotal.question_id, AggregateTotal.option,
                  func.sum(AggregateTotal.count)).where(AggregateTotal.survey_id == survey_id)
    if region_codes is not None:
        stmt = stmt.where(AggregateTotal.region_code.in_(region_codes))
    stmt = stmt.group_by(AggregateTotal.question_id, AggregateTotal.option)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for qid, option, total in session.execute(stmt):
        out[qid][option] = int(total or 0)
    return out


# Per process: {(database URL, survey id): (results stamp, threshold, table)}, the latest only.
_HIDDEN_CACHE: dict[tuple[str, int], tuple[str, int, dict[str, frozenset[Cell]]]] = {}


def hidden_table(session: Session, survey: Survey) -> dict[str, frozenset[Cell]]:
    """For each count ("*" for respondents, else a question id) the cells of the place × month
    table that must be hidden: the threshold plus secondary suppression (surveys.disclosure).

    Kept per process under the survey's results stamp, which every transaction that changes the
    survey's aggregates replaces (surveys.aggregation.new_stamp). The stamp is read afresh here,
    one primary-key lookup, not taken from the already loaded survey; on a miss the table and
    the stamp it is stored under come from one statement (one snapshot), so a table is never
    served for data newer than it was computed from. Within a transaction it is computed once:
    a results page asks for three scopes, all suppressed from the same table.
    """
    conn = session.connection()  # begins the transaction if none has begun yet
    txn = session.get_transaction()
    memo = session.info.get("hidden_tables")
    if txn is None or memo is None or memo[0] is not txn:
        memo = session.info["hidden_tables"] = (txn, {})
    key = (survey.id, survey.min_group_size)
    if key in memo[1]:
        return memo[1][key]
    cache_key = (conn.engine.url.render_as_string(hide_password=True), survey.id)
    stamp = conn.execute(select(Survey.results_stamp).where(Survey.id == survey.id)).scalar()
    cached = _HIDDEN_CACHE.get(cache_key)
    if stamp and cached is not None and cached[:2] == (stamp, survey.min_group_size) \
            and table_keys(survey) <= cached[2].keys():
        table = cached[2]
    else:
        table, data_stamp = _hidden_table(session, survey)
        if data_stamp:
            _HIDDEN_CACHE[cache_key] = (data_stamp, survey.min_group_size, table)
    memo[1][key] = table
    return table


def table_keys(survey: Survey) -> set[str]:
    return {RESPONDENTS} | {q["id"] for q in survey.definition["questions"]}


def _hidden_table(session: Session,
                  survey: Survey) -> tuple[dict[str, frozenset[Cell]], str | None]:
    """The table and the results stamp of the data it was computed from (None: no data)."""
    stamp = select(Survey.results_stamp).where(Survey.id == survey.id).scalar_subquery()
    stmt = (
        select(Aggregate.question_id, Aggregate.region_code, Aggregate.month,
               func.sum(Aggregate.count), stamp)
        # The "*" inline, not a bound parameter: only then can the planner (SQLite, or a
        # PostgreSQL generic plan) tell that the partial index ix_aggregates_answered applies.
        .where(Aggregate.survey_id == survey.id,
               Aggregate.option == literal(ANSWERED, literal_execute=True))
        .group_by(Aggregate.question_id, Aggregate.region_code, Aggregate.month)
    )
    per_key: dict[str, dict[Cell, int]] = defaultdict(dict)
    data_stamp = None
    for qid, region, month, total, row_stamp in session.execute(stmt):
        per_key[qid][(region, month)] = int(total or 0)
        data_stamp = row_stamp
    area_of = dict(session.execute(select(Region.code, Region.collaboration_area)).all())
    table = {key: frozenset(hidden_cells(per_key.get(key, {}), area_of, survey.min_group_size))
             for key in table_keys(survey)}
    return table, data_stamp


def place_of(scope: dict[str, Any]) -> str:
    if scope["level"] == "country":
        return COUNTRY
    return area_place(scope["code"]) if scope["level"] == "area" else scope["code"]


def hidden_in_scope(session: Session, survey: Survey, scope: dict[str, Any]) -> set[str]:
    """The counts ("*", question ids) hidden for this scope over all months."""
    cell = (place_of(scope), ALL_MONTHS)
    return {key for key, cells in hidden_table(session, survey).items() if cell in cells}


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
        counts = sums.get(q["id"], {})
        is_hidden = suppressed or q["id"] in hidden or counts.get(ANSWERED, 0) < min_group
        questions[q["id"]] = _question_figures(q, counts, is_hidden, lang)
    return {
        "survey": survey.slug,
        "scope": scope,
        "min_group_size": min_group,
        "respondents": None if suppressed else respondents,
        "suppressed": suppressed,
        "questions": questions,
    }


def monthly_results(session: Session, survey: Survey, region_codes: list[str] | None,
                    scope: dict[str, Any], lang: str = "fi") -> dict[str, Any]:
    """Respondents and per-question figures month by month, for following a goal over time.

    The same hidden table as the totals applies, so no month can be subtracted from a total.
    """
    stmt = select(Aggregate.month, Aggregate.question_id, Aggregate.option,
                  func.sum(Aggregate.count)).where(Aggregate.survey_id == survey.id)
    if region_codes is not None:
        stmt = stmt.where(Aggregate.region_code.in_(region_codes))
    stmt = stmt.group_by(Aggregate.month, Aggregate.question_id, Aggregate.option)
    by_month: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for month, qid, option, total in session.execute(stmt):
        by_month[month][qid][option] = int(total or 0)
    hidden = hidden_table(session, survey)
    place = place_of(scope)
    months = []
    for month in sorted(by_month):
        sums = by_month[month]
        month_hidden = (place, month) in hidden[RESPONDENTS]
        questions = {}
        for q in survey.definition["questions"]:
            q_hidden = month_hidden or (place, month) in hidden[q["id"]]
            figures = _question_figures(q, sums.get(q["id"], {}), q_hidden, lang)
            questions[q["id"]] = {k: figures[k] for k in ("n", "mean", "nps", "suppressed")}
        months.append({
            "month": month,
            "respondents": None if month_hidden else sums.get(RESPONDENTS, {}).get(RESPONDENTS, 0),
            "suppressed": month_hidden,
            "questions": questions,
        })
    return {"survey": survey.slug, "scope": scope, "min_group_size": survey.min_group_size,
            "goals": survey.definition.get("goals", []), "months": months}
