"""Staff surveys: the unit as a dimension of the aggregates (table `unit_aggregates`).

A response that carries a unit (the unit of its invitation) is counted, besides the region ×
month × language aggregates, once into its unit's total (breakdown "*", value "*") and once per
breakdown question of its survey (`breakdown: true`) under the value it answered ("" for no
answer). Only the response's own unit is counted: ancestors are summed when results are read
(surveys.report.units), so a re-parented unit moves its counts with it. Counted in the fold's
transaction, with the same upsert as the other aggregates (surveys.fold.aggregation), so the
three tables always agree; rebuilt and verified with them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.models import UnitAggregate

# Called by surveys.fold.aggregation, which hands in its counting and upsert (this module does
# not import it: no import cycle).
CountAnswers = Callable[[int, list[Any], dict[int, dict[str, Any]]], Counter]
UpsertRows = Callable[..., None]

UNIT_TOTAL = "*"
NO_ANSWER = ""


class UnitKey(NamedTuple):
    survey_id: int
    unit_id: int
    breakdown: str
    value: str
    question_id: str
    option: str


FIELDS = UnitKey._fields
# {(survey_id, unit_id, breakdown, value): Counter({(question_id, option): n})}: the nested
# form the fold counts and upserts in (surveys.fold.aggregation.Counts).
UnitCounts = dict[tuple, Counter]


def breakdowns(definition: dict[str, Any]) -> list[str]:
    """The ids of the survey's breakdown questions, in the survey's order."""
    return [q["id"] for q in definition.get("questions", [])
            if isinstance(q, dict) and q.get("breakdown") is True]


def tally(rows: Iterable[tuple[int | None, int, Any]], definitions: dict[int, dict[str, Any]],
          count_answers: CountAnswers) -> UnitCounts:
    """The unit increments of these (unit id, survey id, answers); rows without a unit count
    nothing. Raises Unfoldable as aggregation.count_rows does.

    The responses of one survey and unit that answered the breakdown questions alike count into
    the same keys: they are counted together, once (`count_answers`), and the counts added to
    the unit's total and to each breakdown's value."""
    groups: dict[tuple, list[Any]] = {}
    dims: dict[int, list[str]] = {}
    for unit_id, survey_id, answers in rows:
        if unit_id is None:
            continue
        if type(answers) is not dict:
            count_answers(survey_id, [answers], definitions)  # raises Unfoldable
        by = dims.get(survey_id)
        if by is None:
            by = dims[survey_id] = breakdowns(definitions[survey_id])
        values = tuple(NO_ANSWER if (v := answers.get(qid)) is None else str(v) for qid in by)
        group = groups.get((survey_id, unit_id, values))
        if group is None:
            groups[(survey_id, unit_id, values)] = [answers]
        else:
            group.append(answers)
    out: UnitCounts = {}
    for (survey_id, unit_id, values), answers in groups.items():
        counts = count_answers(survey_id, answers, definitions)
        for breakdown, value in ((UNIT_TOTAL, UNIT_TOTAL), *zip(dims[survey_id], values,
                                                                 strict=True)):
            had = out.get((survey_id, unit_id, breakdown, value))
            if had is None:
                out[(survey_id, unit_id, breakdown, value)] = Counter(counts)
            else:
                had.update(counts)
    return out


def count_unit_rows(rows: Iterable[tuple[int | None, Any]],
                    definitions: dict[int, dict[str, Any]],
                    count_answers: CountAnswers) -> Counter[UnitKey]:
    """The unit increments of these (unit id, response) pairs (`tally`, as UnitKeys)."""
    counts = tally(((unit_id, row.survey_id, row.answers) for unit_id, row in rows),
                   definitions, count_answers)
    return Counter({UnitKey(*head, q, o): n for head, inner in counts.items()
                    for (q, o), n in inner.items()})


def upsert(session: Session, counts: UnitCounts, upsert_rows: UpsertRows) -> None:
    """Add `counts` to the unit aggregates (the caller stamps the survey: the same fold
    counted the response into `aggregates`)."""
    if counts:
        upsert_rows(session, UnitAggregate.__table__, FIELDS, counts)


def stored(session: Session, survey_ids: Sequence[int]) -> Counter[UnitKey]:
    stmt = select(UnitAggregate.survey_id, UnitAggregate.unit_id, UnitAggregate.breakdown,
                  UnitAggregate.value, UnitAggregate.question_id, UnitAggregate.option,
                  UnitAggregate.count).where(UnitAggregate.survey_id.in_(survey_ids),
                                             UnitAggregate.count > 0)
    return Counter({UnitKey(*r[:6]): r[6] for r in session.execute(stmt)})
