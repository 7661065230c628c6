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

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from surveys.models import UnitAggregate

# Called by surveys.fold.aggregation, which hands in its counting and upsert (this module does
# not import it: no import cycle).
CountRows = Callable[[list[Any], dict[int, dict[str, Any]]], Counter]
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

_PG_UPSERT = text("""
    INSERT INTO unit_aggregates (survey_id, unit_id, breakdown, value, question_id, option, count)
    SELECT * FROM unnest(CAST(:survey_id AS integer[]), CAST(:unit_id AS integer[]),
                         CAST(:breakdown AS varchar[]), CAST(:value AS varchar[]),
                         CAST(:question_id AS varchar[]), CAST(:option AS varchar[]),
                         CAST(:count AS integer[]))
    ON CONFLICT (survey_id, unit_id, breakdown, value, question_id, option)
    DO UPDATE SET count = unit_aggregates.count + excluded.count
""")


def breakdowns(definition: dict[str, Any]) -> list[str]:
    """The ids of the survey's breakdown questions, in the survey's order."""
    return [q["id"] for q in definition.get("questions", [])
            if isinstance(q, dict) and q.get("breakdown") is True]


def count_unit_rows(rows: Iterable[tuple[int | None, Any]],
                    definitions: dict[int, dict[str, Any]],
                    count_rows: CountRows) -> Counter[UnitKey]:
    """The unit increments of these (unit id, response) pairs; rows without a unit count
    nothing. Raises Unfoldable as aggregation.count_rows does (it counts each row)."""
    out: Counter[UnitKey] = Counter()
    dims: dict[int, list[str]] = {}
    for unit_id, row in rows:
        if unit_id is None:
            continue
        counts = count_rows([row], definitions)
        by = dims.get(row.survey_id)
        if by is None:
            by = dims[row.survey_id] = breakdowns(definitions[row.survey_id])
        answers = row.answers
        splits = [(UNIT_TOTAL, UNIT_TOTAL)]
        for qid in by:
            value = answers.get(qid)
            splits.append((qid, NO_ANSWER if value is None else str(value)))
        for key, n in counts.items():
            for breakdown, value in splits:
                out[UnitKey(row.survey_id, unit_id, breakdown, value, key.question_id,
                            key.option)] += n
    return out


def upsert(session: Session, counts: Counter[UnitKey], upsert_rows: UpsertRows) -> None:
    """Add `counts` to the unit aggregates (the caller stamps the survey: the same fold
    counted the response into `aggregates`)."""
    if counts:
        upsert_rows(session, UnitAggregate.__table__, FIELDS, _PG_UPSERT,
                                 Counter({tuple(k): n for k, n in counts.items()}))


def stored(session: Session, survey_ids: Sequence[int]) -> Counter[UnitKey]:
    stmt = select(UnitAggregate.survey_id, UnitAggregate.unit_id, UnitAggregate.breakdown,
                  UnitAggregate.value, UnitAggregate.question_id, UnitAggregate.option,
                  UnitAggregate.count).where(UnitAggregate.survey_id.in_(survey_ids),
                                             UnitAggregate.count > 0)
    return Counter({UnitKey(*r[:6]): r[6] for r in session.execute(stmt)})
