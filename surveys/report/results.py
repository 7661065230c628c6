"""Read aggregated results for a scope: only the figures the audited disclosure table publishes.

Results come only from the aggregates tables (never from raw responses). Free text is not
aggregated and so can never appear here. Every figure of every results document (page, JSON,
CSV, monthly) is read from one `Publication` per survey (surveys.report.disclosure.publish):
the threshold, secondary suppression checked by the linear-programming auditor
(surveys.report.audit), and the attribute rules; see docs/privacy.md.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.definitions.format import (
    CHOICE_TYPES,
    Option,
    localized,
    options_for,
    reported_questions,
)
from surveys.definitions.snapshots import SurveySnapshot
from surveys.fold.aggregation import ANSWERED
from surveys.infra import clock
from surveys.models import RESPONDENTS, Aggregate, Region, Survey

from .audit import ALL_MONTHS, MEAN, NPS, N, QuestionModel, Table, count_of, lang_period
from .disclosure import Publication, affordable, publish, publish_without_months
from .scopes import Scope

PROMOTER_MIN, DETRACTOR_MAX = 9, 6
BAND_WIDTH = 10
# Above this many protected figures the audit with months takes too long for a request
# (docs/privacy.md): no month is published then, and the audit of the totals is small.
MAX_AUDITED_FIGURES = 400


# -- number questions: bands, never exact values ----------------------------------------------

def number_bands(question: dict[str, Any]) -> list[tuple[int, int]]:
    """The bands a `number` question is published in: the definition's `bands` ([[lo, hi], …],
    covering min … max), else decades: min … the next multiple of ten − 1, then 20–29, …,
    the last up to max."""
    if question.get("bands"):
        return [(int(lo), int(hi)) for lo, hi in question["bands"]]
    lo, top = question["min"], question["max"]
    bands = []
    while lo <= top:
        hi = min(top, (lo // BAND_WIDTH + 1) * BAND_WIDTH - 1)
        bands.append((lo, hi))
        lo = hi + 1
    if len(bands) > 1 and bands[-1][1] - bands[-1][0] < BAND_WIDTH // 2:
        # A short last band (e.g. 110 alone) joins the one before it.
        (a, _), (_, b) = bands[-2], bands[-1]
        bands[-2:] = [(a, b)]
    return bands


def band_label(band: tuple[int, int]) -> str:
    return f"{band[0]}–{band[1]}" if band[0] != band[1] else str(band[0])


def band_of(question: dict[str, Any], value: int) -> str | None:
    for band in number_bands(question):
        if band[0] <= value <= band[1]:
            return band_label(band)
    return None


def result_options(question: dict[str, Any], lang: str) -> list[Option]:
    """The rows a question's results have: its options, or a number question's bands."""
    if question["type"] == "number":
        return [Option(band_label(b), band_label(b)) for b in number_bands(question)]
    return options_for(question, lang)


def question_model(question: dict[str, Any]) -> QuestionModel:
    qtype = question["type"]
    if qtype == "text":
        return QuestionModel(question["id"], "text")
    options = tuple(o.value for o in result_options(question, "fi"))
    # The survey's own word that everyone giving one of these tells nothing (docs/privacy.md,
    # "Harmless answers"): exempt from the unanimity rule only.
    harmless = tuple(o for o in question.get("harmless_answers") or () if o in options)
    if qtype == "multi":
        return QuestionModel(question["id"], "multi", options, harmless=harmless)
    if qtype in ("nps", "likert5"):
        return QuestionModel(question["id"], "one", options, tuple(int(o) for o in options),
                             nps=qtype == "nps", harmless=harmless)
    assert qtype == "number" or qtype in CHOICE_TYPES
    return QuestionModel(question["id"], "one", options, harmless=harmless)


# -- the survey's table and its publication, kept per results stamp -------------------------

def _month(d: date) -> str:
    return d.strftime("%Y-%m")


def period_months(first: str | None, survey: SurveySnapshot, today: date | None = None,
                  last: str | None = None) -> tuple[str, ...]:
    """Every month of the survey's period: from the first month with data to the month it
    closed (or this month, or the last month with data if later), hidden or not."""
    end = max(_month(survey.closed_on or today or clock.today()), last or "")
    start = min(first, end) if first else end
    months = []
    y, m = int(start[:4]), int(start[5:7])
    while f"{y:04d}-{m:02d}" <= end:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(months)


def survey_table(session: Session, survey: SurveySnapshot,
                 today: date | None = None) -> tuple[Table, str | None]:
    """The county × month table of true counts, and the results stamp it was read under."""
    stamp = select(Survey.results_stamp).where(Survey.id == survey.id).scalar_subquery()
    stmt = (select(Aggregate.region_code, Aggregate.month, Aggregate.lang,
                   Aggregate.question_id, Aggregate.option, func.sum(Aggregate.count), stamp)
            .where(Aggregate.survey_id == survey.id)
            .group_by(Aggregate.region_code, Aggregate.month, Aggregate.lang,
                      Aggregate.question_id, Aggregate.option))
    questions = {q["id"]: q for q in reported_questions(survey.definition)}
    # County × month × respondents' language: the language breakdown is published from the
    # same audited table (docs/privacy.md), so its cells are the finest unknowns.
    cells: dict[tuple[str, ...], dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    data_stamp = None
    first: str | None = None
    last: str | None = None
    for region, month, lang, qid, option, total, row_stamp in session.execute(stmt):
        data_stamp = row_stamp
        first = month if first is None else min(first, month)
        last = month if last is None else max(last, month)
        if qid == RESPONDENTS:
            measure = N
        elif qid not in questions:
            continue  # a question removed from the definition since
        elif option == ANSWERED:
            measure = N
        elif questions[qid]["type"] == "number":
            measure = band_of(questions[qid], int(option)) or ""
        else:
            measure = option
        cells[(region, month, lang)][qid][measure] += int(total or 0)
    area_of = dict(session.execute(select(Region.code, Region.collaboration_area)).all())
    models = tuple(question_model(q) for q in reported_questions(survey.definition))
    langs = tuple(sorted({lang for _r, _m, lang in cells}))
    table = Table(area_of, period_months(first, survey, today, last), models,
                  survey.min_group_size, cells, langs)
    return table, data_stamp


def breakdown_languages(survey: SurveySnapshot, pub: Publication) -> list[str]:
    """The languages of the breakdown: every language the survey is offered in, and any other
    with answers, so the list itself does not say which languages someone answered in."""
    offered = list(survey.definition.get("languages") or [])
    return offered + [lg for lg in pub.table.langs if lg not in offered]


def audited_publication(table: Table) -> Publication:
    """Months for the areas and the country when the audit of that is affordable now and
    proves them against a reader of every question at once, else whole-period figures only
    (docs/privacy.md); those too unproven, nothing (`Publication.unproven` says why)."""
    if affordable(table, MAX_AUDITED_FIGURES):
        monthly = publish(table)
        if not monthly.unproven:
            return monthly
    return publish_without_months(table)


# Per process: {(database URL, survey id): (stamp, threshold, months, publication)}.
_CACHE: dict[tuple[str, int], tuple[str, int, tuple[str, ...], Publication]] = {}


def forget_cached_tables() -> None:
    _CACHE.clear()


def publication(session: Session, survey: SurveySnapshot) -> Publication:
    """The audited publication of the survey (surveys.report.disclosure.publish).

    Kept per process under the survey's results stamp, which every transaction that changes the
    survey's aggregates replaces (surveys.fold.aggregation.new_stamp), and the survey's months.
    The stamp is read afresh here, one primary-key lookup; on a miss the table and the stamp it
    is stored under come from one statement (one snapshot), so a publication is never served for
    data newer than it was computed from. Within a transaction it is computed once: a results
    page asks for three scopes.
    """
    conn = session.connection()  # begins the transaction if none has begun yet
    txn = session.get_transaction()
    memo = session.info.get("publications")
    if txn is None or memo is None or memo[0] is not txn:
        memo = session.info["publications"] = (txn, {})
    key = (survey.id, survey.min_group_size)
    if key in memo[1]:
        return memo[1][key]
    cache_key = (conn.engine.url.render_as_string(hide_password=True), survey.id)
    stamp = conn.execute(select(Survey.results_stamp).where(Survey.id == survey.id)).scalar()
    cached = _CACHE.get(cache_key)
    months = period_months(None, survey)[-1:]
    if (stamp and cached is not None and cached[:2] == (stamp, survey.min_group_size)
            and cached[3].months[-1:] == months
            # The questions as the audit reads them (options, bands, harmless answers), not
            # only their ids: a definition changed without new answers changes the figures.
            and cached[3].table.questions
            == tuple(question_model(q) for q in reported_questions(survey.definition))):
        pub = cached[3]
    else:
        table, data_stamp = survey_table(session, survey)
        pub = audited_publication(table)
        pub.source, pub.stamp = table, data_stamp
        if data_stamp:
            _CACHE[cache_key] = (data_stamp, survey.min_group_size, pub.months, pub)
    memo[1][key] = pub
    return pub


# -- the documents ------------------------------------------------------------------------

def _question_figures(pub: Publication, place: str, period: str, question: dict[str, Any],
                      lang: str, with_counts: bool = True) -> dict[str, Any]:
    qid, qtype = question["id"], question["type"]
    n = pub.get(place, period, qid, N)
    figures: dict[str, Any] = {"type": qtype, "n": n, "counts": None, "mean": None, "nps": None,
                               "suppressed": n is None}
    if n is None:
        # Why: the question's own reason inside a shown group, else the group's.
        figures["reason"] = pub.reason(place, period, qid) or pub.reason(place, period, "*")
    if n is None or qtype == "text":
        return figures  # text: only how many answered; the texts themselves are never shown
    if with_counts:
        counts = {o.value: pub.get(place, period, qid, count_of(o.value))
                  for o in result_options(question, lang)}
        figures["counts"] = counts
        # Counts of 1 … 2, and counts that would give them away, are withheld (null).
        figures["withheld"] = sorted(o for o, c in counts.items() if c is None)
    figures["mean"] = pub.get(place, period, qid, MEAN)
    figures["nps"] = pub.get(place, period, qid, NPS)
    return figures


def survey_results(session: Session, survey: SurveySnapshot, scope: Scope,
                   lang: str = "fi") -> dict[str, Any]:
    """The results document of the API contract for `scope`, over the whole period."""
    pub = publication(session, survey)
    respondents = pub.get(scope.place, ALL_MONTHS, RESPONDENTS, N)
    suppressed = respondents is None
    questions = {q["id"]: _question_figures(pub, scope.place, ALL_MONTHS, q, lang)
                 for q in reported_questions(survey.definition)}
    doc = {
        "survey": survey.slug,
        "scope": scope.as_dict(),
        "min_group_size": survey.min_group_size,
        "respondents": None if suppressed else int(respondents),
        "suppressed": suppressed,
        "questions": questions,
        "languages": language_breakdown(pub, survey, scope.place, lang),
    }
    if suppressed:
        doc["reason"] = pub.reason(scope.place, ALL_MONTHS, RESPONDENTS)
    return doc


def _group_figures(pub: Publication, survey: SurveySnapshot, place: str, period: str,
                   lang: str) -> dict[str, Any]:
    """Respondents and per question n, mean and NPS of one group (a month, or a language)."""
    respondents = pub.get(place, period, RESPONDENTS, N)
    questions = {}
    for q in reported_questions(survey.definition):
        figures = _question_figures(pub, place, period, q, lang, with_counts=False)
        questions[q["id"]] = {k: figures[k] for k in ("n", "mean", "nps", "suppressed")}
        if figures["suppressed"]:
            questions[q["id"]]["reason"] = figures.get("reason")
    out: dict[str, Any] = {"respondents": None if respondents is None else int(respondents),
                           "suppressed": respondents is None, "questions": questions}
    if respondents is None:
        out["reason"] = pub.reason(place, period, RESPONDENTS)
    return out


def language_breakdown(pub: Publication, survey: SurveySnapshot, place: str,
                       lang: str = "fi") -> dict[str, Any]:
    """Per respondents' language (the language they answered in), over the whole period: the
    respondents and per question n, mean and NPS, from the same audited publication."""
    return {lg: _group_figures(pub, survey, place, lang_period(lg), lang)
            for lg in breakdown_languages(survey, pub)}


def monthly_results(session: Session, survey: SurveySnapshot, scope: Scope,
                    lang: str = "fi") -> dict[str, Any]:
    """Respondents and per-question n, mean and NPS month by month, for following a goal over
    time: every month of the survey's period, hidden or not. Months are published for the
    collaboration areas and the country only (docs/privacy.md): a county's months are listed,
    all suppressed, and `months_published` is false."""
    pub = publication(session, survey)
    place = scope.place
    published_here = pub.monthly and (scope.level != "region" or pub.county_months)
    months = []
    for month in pub.months:
        months.append({"month": month, **_group_figures(pub, survey, place, month, lang)})
    return {"survey": survey.slug, "scope": scope.as_dict(),
            "min_group_size": survey.min_group_size, "months_published": published_here,
            "goals": survey.definition.get("goals", []), "months": months}


__all__ = ["survey_results", "monthly_results", "publication", "result_options", "localized"]
