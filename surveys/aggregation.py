"""Fold responses into running aggregates: batched, exactly once, safe under concurrency.

A fold claims a batch of outbox events by deleting them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so concurrent workers take disjoint batches), adds the batch's counts to the aggregates with an
atomic upsert, and commits both together. A worker killed mid-batch rolls back, leaving the events
for the next fold; a job that runs twice finds nothing left to claim.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import RESPONDENTS, Aggregate, AggregateTotal, OutboxEvent, Response, Survey

# Each batch upserts every distinct key it touches (region x month x language x option, some
# thousands), whatever its size: bigger batches spread that over more responses. 20,000
# responses hold about 20 MB in memory and one transaction for about a second.
DEFAULT_BATCH_SIZE = 20_000
ANSWERED = "*"


class Key(NamedTuple):
    survey_id: int
    region_code: str
    month: str
    lang: str
    question_id: str
    option: str


class Row(NamedTuple):
    survey_id: int
    region_code: str
    lang: str
    submitted_on: date
    answers: dict[str, Any]


def count_rows(rows: Iterable[Row], definitions: dict[int, dict[str, Any]]) -> Counter[Key]:
    """The aggregate increments for these responses (pure function, no database)."""
    # Hot loop of every fold: plain tuples while counting (a Key is made once per distinct key,
    # not once per answer) and one strftime per distinct day.
    counts: Counter[tuple] = Counter()
    types = {
        sid: {q["id"]: q["type"] for q in d["questions"]} for sid, d in definitions.items()
    }
    months: dict[date, str] = {}
    for survey_id, region_code, lang, submitted_on, answers in rows:
        month = months.get(submitted_on)
        if month is None:
            month = months[submitted_on] = submitted_on.strftime("%Y-%m")
        base = (survey_id, region_code, month, lang)
        counts[(*base, RESPONDENTS, RESPONDENTS)] += 1
        qtypes = types[survey_id]
        for qid, value in answers.items():
            qtype = qtypes.get(qid)
            if qtype is None:  # a question removed from the definition since
                continue
            counts[(*base, qid, ANSWERED)] += 1
            if qtype == "text":
                continue  # free text is never aggregated or shown
            if qtype == "multi":
                for v in value:
                    counts[(*base, qid, str(v))] += 1
            else:
                counts[(*base, qid, str(value))] += 1
    return Counter({Key._make(k): n for k, n in counts.items()})


_PG_UPSERT = text("""
    INSERT INTO aggregates (survey_id, region_code, month, lang, question_id, option, count)
    SELECT * FROM unnest(CAST(:survey_id AS integer[]), CAST(:region_code AS varchar[]),
                         CAST(:month AS varchar[]), CAST(:lang AS varchar[]),
                         CAST(:question_id AS varchar[]), CAST(:option AS varchar[]),
                         CAST(:count AS integer[]))
    ON CONFLICT (survey_id, region_code, month, lang, question_id, option)
    DO UPDATE SET count = aggregates.count + excluded.count
""")


_PG_UPSERT_TOTALS = text("""
    INSERT INTO aggregate_totals (survey_id, region_code, question_id, option, count)
    SELECT * FROM unnest(CAST(:survey_id AS integer[]), CAST(:region_code AS varchar[]),
                         CAST(:question_id AS varchar[]), CAST(:option AS varchar[]),
                         CAST(:count AS integer[]))
    ON CONFLICT (survey_id, region_code, question_id, option)
    DO UPDATE SET count = aggregate_totals.count + excluded.count
""")
TOTAL_FIELDS = ("survey_id", "region_code", "question_id", "option")


def totals_of(counts: Counter[Key]) -> Counter[tuple]:
    """`counts` summed over months and languages: (survey_id, region, question, option)."""
    totals: Counter[tuple] = Counter()
    for k, n in counts.items():
        totals[(k[0], k[1], k[4], k[5])] += n
    return totals


def _upsert_rows(session: Session, table: Any, fields: Sequence[str], pg_stmt: Any,
                 counts: Counter[tuple]) -> None:
    # Sorted, so concurrent folds lock shared rows in the same order and cannot deadlock.
    items = sorted(counts.items())
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # One statement with one array per column: thousands of keys in one round trip,
        # instead of one server-side execution per key.
        arrays = [list(col) for col in zip(*(k + (n,) for k, n in items), strict=True)]
        conn.execute(pg_stmt, dict(zip([*fields, "count"], arrays, strict=True)))
        return
    stmt = sqlite_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(fields),
        set_={"count": table.c.count + stmt.excluded["count"]},
    )
    conn.execute(stmt, [{**dict(zip(fields, k, strict=True)), "count": n} for k, n in items])


def _upsert(session: Session, counts: Counter[Key]) -> None:
    """Add `counts` to the aggregates and to their totals (same transaction: they agree)."""
    if not counts:
        return
    _upsert_rows(session, Aggregate.__table__, Key._fields, _PG_UPSERT, counts)
    _upsert_rows(session, AggregateTotal.__table__, TOTAL_FIELDS, _PG_UPSERT_TOTALS,
                 totals_of(counts))
    new_stamp(session, {k[0] for k in counts})


def new_stamp(session: Session, survey_ids: Iterable[int]) -> None:
    """Mark the surveys' aggregates as changed, in the transaction that changes them: results
    keep their suppression table per stamp, so the next request after the commit recomputes it.
    Random, not a counter, so no two databases or rebuilds ever share a stamp."""
    # Last, and in id order, so concurrent folds take these row locks in the same order.
    for survey_id in sorted(set(survey_ids)):
        session.connection().execute(
            update(Survey.__table__).where(Survey.__table__.c.id == survey_id)
            .values(results_stamp=uuid.uuid4().hex))


def _definitions(session: Session, survey_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = set(survey_ids)
    if not ids:
        return {}
    stmt = select(Survey.id, Survey.definition).where(Survey.id.in_(ids))
    return dict(session.execute(stmt).all())


_COLUMNS = (Response.survey_id, Response.region_code, Response.lang, Response.submitted_on,
            Response.answers)


def _load_rows(session: Session, response_ids: Sequence[Any]) -> list[Row]:
    stmt = select(*_COLUMNS).where(Response.id.in_(response_ids))
    return [Row(*r) for r in session.connection().execute(stmt)]


def _claim_batch(session: Session, batch_size: int) -> list[Row]:
    """Delete up to `batch_size` outbox events (oldest first) and return their responses."""
    claim = (
        select(OutboxEvent.id)
        .order_by(OutboxEvent.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    deleted = delete(OutboxEvent).where(OutboxEvent.id.in_(claim)).returning(
        OutboxEvent.response_id)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # Claim and load in one statement (a data-modifying CTE): no ids travel to the client
        # and back. Still one transaction with the upsert, so a crash undoes the claim.
        claimed = deleted.cte("claimed")
        stmt = select(*_COLUMNS).join(claimed, Response.id == claimed.c.response_id)
        return [Row(*r) for r in conn.execute(stmt)]
    response_ids = conn.execute(deleted).scalars().all()
    return _load_rows(session, response_ids) if response_ids else []


def fold_batch(session: Session, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Fold up to `batch_size` pending responses; the caller commits. Returns how many."""
    rows = _claim_batch(session, batch_size)
    if not rows:
        return 0
    _upsert(session, count_rows(rows, _definitions(session, {r.survey_id for r in rows})))
    return len(rows)


def fold_pending(session_factory: Callable[[], Session], batch_size: int = DEFAULT_BATCH_SIZE,
                 max_batches: int | None = None) -> int:
    """Fold batches, each in its own transaction, until none are pending. Returns the total."""
    total = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        session = session_factory()
        try:
            n = fold_batch(session, batch_size)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        total += n
        batches += 1
        if n < batch_size:
            break
    return total


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEvent)) or 0


def rebuild(session: Session, survey_ids: Sequence[int], chunk: int = 5000,
            progress: Callable[[int], None] | None = None) -> int:
    """Recompute the surveys' aggregates from stored responses, in one transaction."""
    pending = select(Response.id).where(Response.survey_id.in_(survey_ids))
    # Claim pending events first: a concurrent fold holding them finishes before we go on.
    session.execute(delete(OutboxEvent).where(OutboxEvent.response_id.in_(pending)))
    session.execute(delete(Aggregate).where(Aggregate.survey_id.in_(survey_ids)))
    session.execute(delete(AggregateTotal).where(AggregateTotal.survey_id.in_(survey_ids)))
    definitions = _definitions(session, survey_ids)
    stmt = select(*_COLUMNS).where(Response.survey_id.in_(survey_ids))
    total: Counter[Key] = Counter()
    done = 0
    for part in session.execute(stmt.execution_options(yield_per=chunk)).partitions():
        total.update(count_rows([Row(*r) for r in part], definitions))
        done += len(part)
        if progress:
            progress(len(part))
    if total:
        _upsert(session, total)  # stamps the surveys it counted
    # Surveys left with nothing to count changed too (their aggregates were deleted).
    new_stamp(session, set(survey_ids) - {k.survey_id for k in total})
    return done


def recount(session: Session, survey_ids: Sequence[int]) -> Counter[Key]:
    """What the aggregates should hold: a recount of the folded (not pending) raw responses."""
    definitions = _definitions(session, survey_ids)
    stmt = select(*_COLUMNS).where(
        Response.survey_id.in_(survey_ids),
        Response.id.not_in(select(OutboxEvent.response_id)),
    )
    return count_rows((Row(*r) for r in session.execute(stmt)), definitions)


def stored_counts(session: Session, survey_ids: Sequence[int]) -> Counter[Key]:
    stmt = select(
        Aggregate.survey_id, Aggregate.region_code, Aggregate.month, Aggregate.lang,
        Aggregate.question_id, Aggregate.option, Aggregate.count,
    ).where(Aggregate.survey_id.in_(survey_ids), Aggregate.count > 0)
    return Counter({Key(*r[:6]): r[6] for r in session.execute(stmt)})


def stored_totals(session: Session, survey_ids: Sequence[int]) -> Counter[tuple]:
    stmt = select(
        AggregateTotal.survey_id, AggregateTotal.region_code, AggregateTotal.question_id,
        AggregateTotal.option, AggregateTotal.count,
    ).where(AggregateTotal.survey_id.in_(survey_ids), AggregateTotal.count > 0)
    return Counter({tuple(r[:4]): r[4] for r in session.execute(stmt)})
