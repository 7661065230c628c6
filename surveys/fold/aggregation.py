"""Fold responses into running aggregates: batched, exactly once, safe under concurrency.

A fold claims a batch of held responses (`pending_responses` not yet folded) by deleting them
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take disjoint batches), adds the
batch's counts to the aggregates with an atomic upsert, puts the responses where they stay
(`place`: into `responses` in a shuffled batch, or back into the holding table marked folded),
and commits all of it together. A worker killed mid-batch rolls back, leaving the responses
for the next fold; a job that runs twice finds nothing left to claim.

Unlinkable storage: the fold is real-time, the move into `responses` is not. A survey's folded
responses wait in the holding table until at least 2 × `min_group_size` of them are there; then
all but `min_group_size` of them, drawn at random, are inserted into `responses` in a random
order in one transaction (the rest keep waiting, so the next batch is never small either); when
the survey is closed, all of them. Every response in `responses` thus shares its position range
and its inserting transaction with at least `min_group_size` - 1 others of its survey, in an
order that is not their arrival order (docs/reliability.md,
"Unlinkable storage").

A response the fold cannot count (poison) must not stop the others: when a batch fails, the
fold counts it again row by row in the same transaction (the upserts under savepoints), adds
the good rows, places them as usual, and moves the bad ones to the quarantine
(surveys.fold.quarantine) with their error. Claim, counts, moves and quarantine commit or roll
back together.
"""

from __future__ import annotations

import json
import logging
import os
import random
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import Integer, Text, delete, func, select, text, type_coerce, union_all, update
from sqlalchemy.orm import Session

from surveys.models import (
    ENDED_STATUSES,
    RESPONDENTS,
    Aggregate,
    AggregateTotal,
    PendingResponse,
    Response,
    Survey,
    UnitAggregate,
)

from . import quarantine
from . import units as unit_fold
from .quarantine import Unfoldable

log = logging.getLogger(__name__)

# Each batch upserts every distinct key it touches (region x month x language x option, some
# thousands), whatever its size: bigger batches spread that over more responses. 20,000
# responses hold about 20 MB in memory and one transaction for about a second.
DEFAULT_BATCH_SIZE = 20_000
ANSWERED = "*"
# Longest option value the aggregates hold (Aggregate.option); a longer one is not an option.
OPTION_MAX = 64
# What a stored answer to a choice or number question may be (the JSON scalars, not null).
_SCALARS = frozenset({str, int, float, bool})


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


def question_types(definition: dict[str, Any]) -> dict[str, str]:
    """{question id: type} of a survey definition; Unfoldable if it has none."""
    try:
        # Earlier versions too: a response folded after a new version was published still
        # counts under the version it answered (its answers carry that version's id).
        return {q["id"]: q["type"]
                for q in (*definition["questions"], *definition.get("retired_questions", ()))}
    except (KeyError, TypeError):
        raise Unfoldable("the survey's definition lacks a question id or type") from None


def _option(qid: str, value: Any) -> str:
    """`value` as an option of question `qid`; Unfoldable if it is none."""
    if type(value) not in _SCALARS:
        raise Unfoldable(f"question {qid!r}: an answer that is not a single value "
                         f"({type(value).__name__})")
    option = str(value)
    if len(option) > OPTION_MAX:
        raise Unfoldable(f"question {qid!r}: an answer longer than {OPTION_MAX} characters")
    return option


# Counts of a batch, nested: {(survey_id, region_code, month, lang): {(question_id, option):
# n}}. The fold counts and upserts in this form (a key is a short tuple, and the
# (survey, region, month, language) part is made once per group, not once per answer); Key and
# count_rows are the flat form, for everything else.
Counts = dict[tuple, dict[tuple[str, str], int]]


class _Irregular(Exception):  # noqa: N818 - an internal signal, never raised out of this module
    """A value the fast count does not take: count the same answers the exact way instead."""


def _count_exact(answers: Sequence[Any], qtypes: dict[str, str]) -> Counter[tuple[str, str]]:
    """The (question, option) counts of these answers of one survey, one answer at a time:
    what _count_answers does, and the precise Unfoldable (the first answer that can't be
    counted, in the order of the response's answers) when it can't."""
    counts: Counter[tuple[str, str]] = Counter()
    for answer in answers:
        if type(answer) is not dict:
            raise Unfoldable(f"answers are not a mapping ({type(answer).__name__})")
        counts[(RESPONDENTS, RESPONDENTS)] += 1
        for qid, value in answer.items():
            qtype = qtypes.get(qid)
            if qtype is None:  # a question removed from the definition since
                continue
            counts[(qid, ANSWERED)] += 1
            if qtype == "text":
                continue  # free text is never aggregated or shown
            if qtype == "multi":
                if type(value) is not list:
                    raise Unfoldable(f"question {qid!r}: a multi answer that is not a list "
                                     f"({type(value).__name__})")
                for v in value:
                    counts[(qid, _option(qid, v))] += 1
                continue
            counts[(qid, _option(qid, value))] += 1
    return counts


def _count_answers(answers: list[Any], qtypes: dict[str, str]) -> dict[tuple[str, str], int]:
    """The (question, option) counts of these answers of one survey; Unfoldable as count_rows.

    The hot loop of every fold, a question at a time over all the answers: the values are
    gathered by a comprehension, checked by their set of types and counted by Counter (C loops),
    and only each distinct option is looked at in Python. Anything out of the ordinary (a
    response that is not a mapping, a multi answer that is not a list, a value that is not a
    scalar or is too long) sends the same answers to _count_exact, which says what is wrong."""
    try:
        return _count_fast(answers, qtypes)
    except _Irregular:
        return _count_exact(answers, qtypes)


def _count_fast(answers: list[Any], qtypes: dict[str, str]) -> dict[tuple[str, str], int]:
    counts = {(RESPONDENTS, RESPONDENTS): len(answers)}
    if {type(a) for a in answers} != {dict}:
        raise _Irregular
    scalars, option_max = _SCALARS, OPTION_MAX
    for qid, qtype in qtypes.items():
        values = [a[qid] for a in answers if qid in a]
        if not values:
            continue
        key = (qid, ANSWERED)
        counts[key] = counts.get(key, 0) + len(values)
        if qtype == "text":
            continue  # free text is never aggregated or shown
        if qtype == "multi":
            if set(map(type, values)) != {list}:
                raise _Irregular
            values = list(chain.from_iterable(values))
        types = set(map(type, values))
        if not scalars.issuperset(types):
            raise _Irregular
        # Values of one type other than float are equal when their options are; else str()
        # first: 1, 1.0 and True (and 0.0, -0.0) are equal keys of a Counter, but options apart.
        by_value = (Counter(values) if len(types) == 1 and float not in types
                    else Counter(map(str, values)))
        for value, n in by_value.items():
            option = str(value)
            if len(option) > option_max:
                raise _Irregular
            key = (qid, option)
            counts[key] = counts.get(key, 0) + n
    return counts


def count_answers(survey_id: int, answers: list[Any], definitions: dict[int, dict[str, Any]]
                  ) -> dict[tuple[str, str], int]:
    """{(question id, option): n} of these answer mappings of one survey (surveys.fold.units
    counts a unit's responses with it); Unfoldable as count_rows."""
    return _count_answers(answers, question_types(definitions[survey_id]))


def _tally(grouped: dict[tuple, list[Any]], definitions: dict[int, dict[str, Any]]) -> Counts:
    """Counts of answers grouped by (survey_id, region_code, month, lang)."""
    qtypes: dict[int, dict[str, str]] = {}
    counts: Counts = {}
    for base, answers in grouped.items():
        survey_id = base[0]
        types = qtypes.get(survey_id)
        if types is None:
            types = qtypes[survey_id] = question_types(definitions[survey_id])
        counts[base] = _count_answers(answers, types)
    return counts


def _group_rows(rows: Iterable[Row]) -> dict[tuple, list[Any]]:
    """The rows' answers by (survey_id, region_code, month, lang)."""
    grouped: dict[tuple, list[Any]] = {}
    months: dict[date, str] = {}
    for survey_id, region_code, lang, submitted_on, answers in rows:
        month = months.get(submitted_on)
        if month is None:
            month = months[submitted_on] = submitted_on.strftime("%Y-%m")
        base = (survey_id, region_code, month, lang)
        group = grouped.get(base)
        if group is None:
            grouped[base] = [answers]
        else:
            group.append(answers)
    return grouped


def _tally_rows(rows: Iterable[Row], definitions: dict[int, dict[str, Any]]) -> Counts:
    return _tally(_group_rows(rows), definitions)


def _flat(counts: Counts, key: Callable[..., Any] = Key) -> Counter:
    return Counter({key(*head, q, o): n for head, inner in counts.items()
                    for (q, o), n in inner.items()})


def _merge(into: Counts, counts: Counts) -> Counts:
    for head, inner in counts.items():
        had = into.get(head)
        if had is None:
            into[head] = Counter(inner)
        else:
            had.update(inner)
    return into


def count_rows(rows: Iterable[Row], definitions: dict[int, dict[str, Any]]) -> Counter[Key]:
    """The aggregate increments for these responses (pure function, no database).

    Raises Unfoldable (its message names no answer) for a response that can't be counted:
    answers that are not a mapping, a multi answer that is not a list, a value that is not a
    single JSON scalar or is too long for an option, a survey whose definition lacks types."""
    return _flat(_tally_rows(rows, definitions))


def count_isolated(claimed: Sequence[tuple[Any, Row]], definitions: dict[int, dict[str, Any]]
                   ) -> tuple[list[tuple[Any, Row, Counts]], list[quarantine.Failed]]:
    """Count each response on its own: ([(id, row, its counts)], [the ones that failed])."""
    good: list[tuple[Any, Row, Counts]] = []
    bad: list[quarantine.Failed] = []
    for item in claimed:
        response_id, row = item[0], item[1]
        try:
            good.append((response_id, row, _tally_rows([row], definitions)))
        except Exception as exc:  # noqa: BLE001 - sorted by is_row_fault
            if not quarantine.is_row_fault(exc):
                raise
            unit_id = item[2] if len(item) > 2 else None
            bad.append(quarantine.Failed(response_id, row.survey_id, exc, row, unit_id))
    return good, bad


def _pg_upsert(table: Any, fields: Sequence[str]) -> Any:
    """PostgreSQL: one statement that adds the rows of one JSON array ([[field..., count], ...],
    one parameter) to `table`: thousands of keys in one round trip. JSON, not one array per
    column: psycopg writes an array literal in Python, quoting element by element (a third of
    the fold's CPU on PostgreSQL, measured with cProfile), where json.dumps is one C call."""
    columns = [*fields, "count"]
    values = ", ".join(f"CAST(r->>{i} AS integer)" if isinstance(table.c[c].type, Integer)
                       else f"r->>{i}" for i, c in enumerate(columns))
    keys = ", ".join(fields)
    return text(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} "  # noqa: S608
                f"FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r ON CONFLICT ({keys}) "
                f"DO UPDATE SET count = {table.name}.count + excluded.count")


_PG_UPSERTS: dict[str, Any] = {}
TOTAL_FIELDS = ("survey_id", "region_code", "question_id", "option")


def totals_of(counts: Counter[Key]) -> Counter[tuple]:
    """`counts` summed over months and languages: (survey_id, region, question, option)."""
    totals: Counter[tuple] = Counter()
    for k, n in counts.items():
        totals[(k[0], k[1], k[4], k[5])] += n
    return totals


def _totals(counts: Counts) -> Counts:
    """`counts` summed over months and languages: {(survey_id, region): {(question, option)}}."""
    totals: Counts = {}
    for (survey_id, region_code, _month, _lang), inner in counts.items():
        had = totals.get((survey_id, region_code))
        if had is None:
            totals[(survey_id, region_code)] = Counter(inner)
        else:
            had.update(inner)
    return totals


def _upsert_rows(session: Session, table: Any, fields: Sequence[str], counts: Counts) -> None:
    """Add nested `counts` ({the key's first fields: {(question, option): n}}) to `table`."""
    # Sorted, so concurrent folds lock shared rows in the same order and cannot deadlock: the
    # heads, then each head's (question, option) pairs, is the order of the whole keys.
    rows = []
    for head in sorted(counts):
        rows += [(*head, q, o, n) for (q, o), n in sorted(counts[head].items())]
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        stmt = _PG_UPSERTS.get(table.name)
        if stmt is None:
            stmt = _PG_UPSERTS[table.name] = _pg_upsert(table, fields)
        conn.execute(stmt, {"rows": json.dumps(rows)})
        return
    # SQLite: through the driver (as the claim, below); the statement SQLAlchemy built before.
    columns = ", ".join(fields)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({columns}, count) VALUES ({', '.join('?' * (len(fields) + 1))})"
        f" ON CONFLICT ({columns}) DO UPDATE SET count = {table.name}.count + excluded.count",
        rows)


def _upsert(session: Session, counts: Counts, unit_counts: Counts | None = None) -> None:
    """Add `counts` to the aggregates and to their totals, and `unit_counts` (staff surveys,
    surveys.fold.units) to the unit aggregates (same transaction: they agree)."""
    if not counts:
        return
    _upsert_rows(session, Aggregate.__table__, Key._fields, counts)
    _upsert_rows(session, AggregateTotal.__table__, TOTAL_FIELDS, _totals(counts))
    if unit_counts:
        unit_fold.upsert(session, unit_counts, _upsert_rows)
    new_stamp(session, {head[0] for head in counts})


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
_HELD_COLUMNS = (PendingResponse.survey_id, PendingResponse.region_code, PendingResponse.lang,
                 PendingResponse.submitted_on, PendingResponse.answers)


class Held(NamedTuple):
    """A claimed response as the isolated fold and the quarantine take it: its random id, its
    Row, and its unit (staff surveys)."""

    id: uuid.UUID
    row: Row
    unit_id: int | None = None


# --- the claim ---------------------------------------------------------------------------------
#
# The fold reads the held rows as the database stores them, through the driver, in this order
# (`Claimed`): the id as text, the survey, region and language, the day as ISO text, the answers
# as JSON text, the unit. Nothing is converted per value by SQLAlchemy (about half the SQLite
# fold's CPU once, measured with cProfile) or by the driver (psycopg's JSON loader); the
# answers are parsed once, all of a batch together (`_parse`), to be counted. The month is the
# day's first seven characters. On SQLite the rows are written back exactly as read (the id as
# its 32 hex digits, as SQLAlchemy stores it); on PostgreSQL only the ids travel back. A Held is
# made only for a batch that has to be counted row by row (`_fold_isolated`).
Claimed = tuple  # (id text, survey_id, region_code, lang, day text, answers text, unit_id, ok)
_SQLITE_HELD = "id, survey_id, region_code, lang, submitted_on, answers, unit_id"
# Last, whether the answers are strict JSON: _parse joins the texts into one JSON array, which
# only such texts keep aligned with the rows (jsonb always is; SQLite checks with json_valid).
_SQLITE_CLAIMED = f"{_SQLITE_HELD}, json_valid(answers)"
_SQLITE_STORE = {
    "responses": f"INSERT INTO responses ({_SQLITE_HELD}) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "pending_responses": f"INSERT INTO pending_responses ({_SQLITE_HELD}, folded)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
}
_PG_CLAIMED = ("id::text, survey_id, region_code, lang, to_char(submitted_on, 'YYYY-MM-DD'), "
               "answers::text, unit_id, true")


def _fetch(result: Any) -> list[tuple]:
    """All rows of a statement run by exec_driver_sql, as the driver's tuples (no Row made)."""
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _parse(claimed: Sequence[Claimed]) -> list[Any]:
    """The claimed rows' answers, parsed: one json.loads of them all as one array (a call per
    row costs a third more), if every text is strict JSON (which keeps the array aligned with
    the rows); else one by one (Python's json also reads NaN; a text that is not JSON at all is
    left as text, see _loads)."""
    texts = [c[5] for c in claimed]
    if all(c[7] for c in claimed):
        parsed = json.loads("[" + ",".join(texts) + "]") if texts else []
        if len(parsed) == len(texts):  # cannot differ with strict texts; never count misaligned
            return parsed
    return [_loads(t) for t in texts]


def _loads(stored: str) -> Any:
    """Stored answers, parsed; a text that is not JSON at all (SQLite keeps text: a row edited
    by hand) stays the text it is, which the count refuses as answers that are not a mapping,
    so it is quarantined like any other malformed response and stops nothing else."""
    try:
        return json.loads(stored)
    except ValueError:
        return stored


def _held(claimed: Sequence[Claimed], answers: Sequence[Any]) -> list[Held]:
    as_day = date.fromisoformat
    return [Held(uuid.UUID(c[0]), Row(c[1], c[2], c[3], as_day(c[4]), a), c[6])
            for c, a in zip(claimed, answers, strict=True)]


def _claim_batch(session: Session, batch_size: int, only: uuid.UUID | None = None
                 ) -> list[Claimed]:
    """Claim up to `batch_size` held responses not yet folded (or just `only`) and return them.

    PostgreSQL: locked (``FOR UPDATE SKIP LOCKED``: concurrent folds take disjoint batches) and
    left in place, so that `place` moves them inside the server. SQLite: deleted (`place`
    writes them again), because a SELECT would not keep a concurrent fold from claiming them too.
    No order: ids are random, and every claim takes all it can, so none waits for long."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        only_sql = " AND id = CAST(%(only)s AS uuid)" if only else ""
        result = conn.exec_driver_sql(
            f"SELECT {_PG_CLAIMED} FROM pending_responses WHERE folded IS false{only_sql}"
            " LIMIT %(n)s FOR UPDATE SKIP LOCKED", {"n": batch_size, "only": str(only)})
    else:
        only_sql, params = (" AND id = ?", (only.hex, batch_size)) if only else ("", (batch_size,))
        result = conn.exec_driver_sql(
            "DELETE FROM pending_responses WHERE id IN (SELECT id FROM pending_responses"
            f" WHERE folded IS 0{only_sql} LIMIT ?) RETURNING {_SQLITE_CLAIMED}", params)
    return _fetch(result)


def _count_claimed(claimed: Sequence[Claimed], answers: Sequence[Any],
                   definitions: dict[int, dict[str, Any]]) -> tuple[Counts, Counts]:
    """(counts, unit counts) of claimed rows and their parsed answers; Unfoldable as count_rows
    if one can't be counted."""
    grouped: dict[tuple, list[Any]] = {}
    for c, a in zip(claimed, answers, strict=True):
        base = (c[1], c[2], c[4][:7], c[3])
        group = grouped.get(base)
        if group is None:
            grouped[base] = [a]
        else:
            group.append(a)
    counts = _tally(grouped, definitions)
    unit_counts = unit_fold.tally(
        ((c[6], c[1], a) for c, a in zip(claimed, answers, strict=True) if c[6] is not None),
        definitions, count_answers)
    return counts, unit_counts


# --- the move into permanent storage (unlinkable storage, issue 10) --------------------------

def _shuffle(items: list, rng: random.Random | None) -> None:
    """Put `items` in a uniformly random order, in place: `rng`'s if given (tests), else from the
    operating system's randomness (not reproducible from outside: no seed to recover), read
    once for them all (SystemRandom.shuffle reads it once per item): each item gets a random
    64-bit key and they are sorted by it. Two equal keys keep their order; the chance of any,
    n²/2^65, is under 10^-10 for a batch of 50,000."""
    if rng is not None:
        rng.shuffle(items)
        return
    keys = array("Q", os.urandom(8 * len(items)))
    items[:] = [items[i] for i in sorted(range(len(items)), key=keys.__getitem__)]


def _store(session: Session, table: Any, rows: Sequence[Claimed]) -> None:
    """SQLite: INSERT the rows as read (their first seven fields: a claimed row's eighth says
    whether its answers are strict JSON), in the order given (executemany runs them in that
    order); into the holding table marked folded."""
    if rows:
        session.connection().exec_driver_sql(_SQLITE_STORE[table.name],
                                             [r[:7] for r in rows])


# PostgreSQL moves inside the server: only ids travel, in the shuffled order, and the INSERT
# writes the rows in that order (ORDER BY the position in the array), taking them from the
# DELETE that removes them from the holding table (one statement, one pass). The ids go as one array
# literal ('{id,id,...}': the canonical text of a uuid needs no quoting), not as a list that
# psycopg would quote element by element.
_PG_MOVE = text("""
    WITH moved AS (
        DELETE FROM pending_responses WHERE id = ANY(CAST(:ids AS uuid[]))
        RETURNING id, survey_id, region_code, lang, submitted_on, answers, unit_id)
    INSERT INTO responses (id, survey_id, region_code, lang, submitted_on, answers, unit_id)
    SELECT m.id, m.survey_id, m.region_code, m.lang, m.submitted_on, m.answers, m.unit_id
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS u(id, ord)
    JOIN moved m ON m.id = u.id
    ORDER BY u.ord
""")
# A new version of each row: its xmin becomes this fold's, no longer its submission's.
_PG_MARK = text("UPDATE pending_responses SET folded = true WHERE id = ANY(CAST(:ids AS uuid[]))")
_PG_WAITING = text("SELECT id::text FROM pending_responses WHERE survey_id = :sid"
                   " AND folded IS true FOR UPDATE")


def _pg_ids(ids: Sequence[str]) -> dict[str, str]:
    return {"ids": "{" + ",".join(ids) + "}"}


def _place_pg(session: Session, sid: int, new: Sequence[Claimed], k: int, is_open: bool,
              waiting: int, rng: random.Random | None) -> int:
    conn = session.connection()
    new_ids = [c[0] for c in new]
    if is_open and waiting + len(new_ids) < 2 * k:
        if new_ids:
            conn.execute(_PG_MARK, _pg_ids(new_ids))
        return 0
    pool = new_ids + list(conn.execute(_PG_WAITING, {"sid": sid}).scalars())
    _shuffle(pool, rng)
    keep = (pool if len(pool) < 2 * k else pool[:k]) if is_open else []
    move = pool[len(keep):]
    fresh = set(new_ids)
    mark = [i for i in keep if i in fresh]
    if mark:
        conn.execute(_PG_MARK, _pg_ids(mark))
    if move:
        conn.execute(_PG_MOVE, _pg_ids(move))
    return len(move)


def _place_rows(session: Session, sid: int, new: Sequence[Claimed], k: int, is_open: bool,
                waiting: int, rng: random.Random | None) -> int:
    """SQLite: the claimed rows were deleted; write each where it stays."""
    new = list(new)
    if is_open and waiting + len(new) < 2 * k:
        _shuffle(new, rng)
        _store(session, PendingResponse.__table__, new)
        return 0
    pool = new + _fetch(session.connection().exec_driver_sql(
        f"DELETE FROM pending_responses WHERE survey_id = ? AND folded IS 1"
        f" RETURNING {_SQLITE_HELD}", (sid,)))
    _shuffle(pool, rng)
    keep = (pool if len(pool) < 2 * k else pool[:k]) if is_open else []
    move = pool[len(keep):]
    _store(session, Response.__table__, move)
    _store(session, PendingResponse.__table__, keep)
    return len(move)


def place(session: Session, claimed: Sequence[Claimed], rng: random.Random | None = None,
          closed_survey_ids: Iterable[int] = ()) -> int:
    """Put counted responses where they stay; the caller commits (with the fold). Returns how
    many were moved into `responses`. `claimed` comes from `_claim_batch` in this transaction.

    Per survey, in id order: the survey's folded waiting responses and `claimed` form a pool. If
    the pool holds at least 2 × `min_group_size` (or the survey is closed: then all of them), all
    but `min_group_size` drawn at random go into `responses`, shuffled, and the rest wait, marked
    folded; else `claimed` waits, marked folded. Must run after the surveys' rows are locked
    (new_stamp, in the same transaction) so that two folds never move one survey's responses at
    once and split a batch: on PostgreSQL it locks the closed surveys itself.
    """
    by_survey: dict[int, list[Claimed]] = {}
    for c in claimed:
        by_survey.setdefault(c[1], []).append(c)
    closed = set(closed_survey_ids) - set(by_survey)
    if closed:
        # Lock them as new_stamp locks the folded ones; skip one another fold is busy with (it
        # moves the survey's responses itself, or the next fold does).
        closed = set(session.scalars(
            select(Survey.id).where(Survey.id.in_(closed)).order_by(Survey.id)
            .with_for_update(skip_locked=True)))
    ids = sorted(set(by_survey) | closed)
    if not ids:
        return 0
    info = {sid: (k, status) for sid, k, status in session.execute(
        select(Survey.id, Survey.min_group_size, Survey.status).where(Survey.id.in_(ids)))}
    settle = _place_pg if session.connection().dialect.name == "postgresql" else _place_rows
    moved = 0
    for sid in ids:
        if sid not in info:  # deleted since: its held rows went with it (ON DELETE CASCADE)
            continue
        k, status = info[sid]
        waiting = session.scalar(
            select(func.count()).select_from(PendingResponse)
            .where(PendingResponse.survey_id == sid, PendingResponse.folded.is_(True))) or 0
        moved += settle(session, sid, by_survey.get(sid, ()), k,
                        status not in ENDED_STATUSES, waiting, rng)
    return moved


def _closed_waiting(session: Session) -> list[int]:
    """Closed surveys whose folded responses still wait in the holding table."""
    stmt = (select(PendingResponse.survey_id).distinct()
            .join(Survey, Survey.id == PendingResponse.survey_id)
            .where(Survey.status.in_(ENDED_STATUSES), PendingResponse.folded.is_(True)))
    return list(session.scalars(stmt))


def _unit_tally(held: Iterable[tuple[Any, ...]], definitions: dict[int, dict[str, Any]]
                ) -> Counts:
    """The unit aggregates' increments (surveys.fold.units) of (id, row, unit id, ...) tuples:
    Held, or the isolated fold's (id, row, unit id) triples."""
    return unit_fold.tally(((h[2], h[1].survey_id, h[1].answers) for h in held
                            if h[2] is not None), definitions, count_answers)


def _unit_counts(held: Iterable[tuple[Any, ...]],
                 definitions: dict[int, dict[str, Any]]) -> Counter:
    """_unit_tally, flat: Counter of surveys.fold.units.UnitKey."""
    return _flat(_unit_tally(held, definitions), unit_fold.UnitKey)


def _try_upsert(session: Session, counts: Counts, unit_counts: Counts | None = None) -> bool:
    """Upsert under a savepoint: False (and nothing done) if the database refused a value."""
    try:
        with session.begin_nested():
            _upsert(session, counts, unit_counts)
    except quarantine.ROW_DATABASE_ERRORS:
        return False
    return True


def fold_batch(session: Session, batch_size: int = DEFAULT_BATCH_SIZE,
               rng: random.Random | None = None) -> int:
    """Fold up to `batch_size` pending responses and place them (`place`); the caller commits.
    Returns how many were claimed (folded or, if they can't be counted, quarantined).

    The batch is counted and upserted whole, under one savepoint; only if that fails (a row
    that can't be counted, or a value the database refuses) is it counted again row by row
    (`_fold_isolated`)."""
    claimed = _claim_batch(session, batch_size)
    counted = claimed
    if claimed:
        definitions = _definitions(session, {c[1] for c in claimed})
        answers = _parse(claimed)
        try:
            counts, unit_counts = _count_claimed(claimed, answers, definitions)
        except Exception as exc:  # noqa: BLE001 - sorted by is_row_fault
            if not quarantine.is_row_fault(exc):
                raise
            counted = _fold_isolated(session, claimed, answers, definitions)
        else:
            if not _try_upsert(session, counts, unit_counts):
                counted = _fold_isolated(session, claimed, answers, definitions)
    place(session, counted, rng, _closed_waiting(session))
    return len(claimed)


def _fold_isolated(session: Session, claimed: Sequence[Claimed], answers: Sequence[Any],
                   definitions: dict[int, dict[str, Any]]) -> list[Claimed]:
    """The batch failed: count each response on its own, fold the good ones, quarantine the
    others, all in the claim's transaction. Returns the good ones (to be placed)."""
    held = _held(claimed, answers)
    good, bad = count_isolated(held, definitions)
    units = {h.id: h.unit_id for h in held}
    together: Counts = {}
    for _, _, counts in good:
        _merge(together, counts)
    unit_counts = _unit_tally(((i, row, units.get(i)) for i, row, _ in good), definitions)
    if not _try_upsert(session, together, unit_counts):
        # The database refused a value of one of them: one savepoint per response.
        kept = []
        for response_id, row, counts in good:
            try:
                with session.begin_nested():
                    _upsert(session, counts, _unit_tally(
                        [(response_id, row, units.get(response_id))], definitions))
                kept.append((response_id, row, counts))
            except quarantine.ROW_DATABASE_ERRORS as exc:
                bad.append(quarantine.Failed(response_id, row.survey_id, exc, row,
                                             units.get(response_id)))
        good = kept
    quarantine.add(session, bad)
    for failed in bad:
        error_type, _ = quarantine.describe(failed.exc)
        log.warning("quarantined a response the fold can't count: %s", error_type,
                    extra={"survey_id": failed.survey_id, "error_type": error_type})
    good_ids = {response_id for response_id, _, _ in good}
    return [c for c, h in zip(claimed, held, strict=True) if h.id in good_ids]


def fold_pending(session_factory: Callable[[], Session], batch_size: int = DEFAULT_BATCH_SIZE,
                 max_batches: int | None = None, rng: random.Random | None = None) -> int:
    """Fold batches, each in its own transaction, until none are pending. Returns the total."""
    total = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        session = session_factory()
        try:
            n = fold_batch(session, batch_size, rng)
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
    """Responses stored but not yet counted in the aggregates."""
    return session.scalar(select(func.count()).select_from(PendingResponse)
                          .where(PendingResponse.folded.is_(False))) or 0


def waiting_to_move(session: Session) -> int:
    """Folded responses of closed surveys still in the holding table (the next fold moves them)."""
    return len(_closed_waiting(session))


def rebuildable_ids(session: Session) -> list[int]:
    """Surveys whose raw responses still exist (after a retention purge the aggregates are all
    that is left, so there is nothing to recount them from)."""
    return list(session.scalars(select(Survey.id).where(Survey.responses_purged_on.is_(None))
                                .order_by(Survey.id)))


def stored_count(session: Session, survey_ids: Sequence[int] | None = None) -> int:
    """Raw responses stored: moved into `responses` or still held."""
    total = 0
    for table in (Response, PendingResponse):
        stmt = select(func.count()).select_from(table)
        if survey_ids is not None:
            stmt = stmt.where(table.survey_id.in_(survey_ids))
        total += session.scalar(stmt) or 0
    return total


def _counted_rows(survey_ids: Sequence[int], with_ids: bool = False,
                  with_units: bool = False) -> Any:
    """Every raw response of the surveys that the aggregates hold: moved, or held and folded
    (quarantined ones are in neither); `with_units`: the unit id last."""
    head = (Response.id,) if with_ids else ()
    held_head = (PendingResponse.id,) if with_ids else ()
    tail = (Response.unit_id,) if with_units else ()
    held_tail = (PendingResponse.unit_id,) if with_units else ()
    # The answers as the driver gives them (read with `_stored_answers`): SQLAlchemy's JSON
    # type would parse SQLite's text while the rows are fetched, where a text that is not JSON
    # stops the whole statement instead of quarantining its one row.
    columns = (*_COLUMNS[:-1], type_coerce(Response.answers, Text))
    held_columns = (*_HELD_COLUMNS[:-1], type_coerce(PendingResponse.answers, Text))
    return union_all(
        select(*head, *columns, *tail).where(Response.survey_id.in_(survey_ids)),
        select(*held_head, *held_columns, *held_tail).where(
            PendingResponse.survey_id.in_(survey_ids), PendingResponse.folded.is_(True)),
    )


def _stored_answers(session: Session) -> Callable[[Any], Any]:
    """Reads the answers `_counted_rows` selects: SQLite gives the stored text, parsed here (a
    text that is not JSON stays text and is quarantined, see _loads); PostgreSQL's driver
    gives jsonb already parsed."""
    if session.get_bind().dialect.name == "sqlite":
        return lambda value: _loads(value) if isinstance(value, str) else value
    return lambda value: value


def rebuild(session: Session, survey_ids: Sequence[int], chunk: int = 5000,
            progress: Callable[[int], None] | None = None) -> int:
    """Recompute the surveys' aggregates from stored responses, in one transaction. A response
    that can't be counted (any more) is quarantined."""
    # Take the held responses not yet folded first (they are counted below): a concurrent fold
    # holding them finishes before we go on. They stay in the holding table, folded; the next
    # fold of the survey moves them with a batch.
    session.execute(update(PendingResponse).where(
        PendingResponse.survey_id.in_(survey_ids), PendingResponse.folded.is_(False),
    ).values(folded=True))
    session.execute(delete(Aggregate).where(Aggregate.survey_id.in_(survey_ids)))
    session.execute(delete(AggregateTotal).where(AggregateTotal.survey_id.in_(survey_ids)))
    session.execute(delete(UnitAggregate).where(UnitAggregate.survey_id.in_(survey_ids)))
    definitions = _definitions(session, survey_ids)
    total: Counts = {}
    unit_total: Counts = {}
    failed: list[quarantine.Failed] = []
    done = 0
    stmt = _counted_rows(survey_ids, with_ids=True, with_units=True)
    answers = _stored_answers(session)
    for part in session.execute(stmt.execution_options(yield_per=chunk)).partitions():
        # (id, row, unit id): a response quarantined here keeps its unit.
        claimed = [(r[0], Row(*r[1:5], answers(r[5])), r[6]) for r in part]
        try:
            counts = _tally_rows([row for _, row, _ in claimed], definitions)
            unit_counts = _unit_tally(claimed, definitions)
        except Exception as exc:  # noqa: BLE001 - sorted by is_row_fault
            if not quarantine.is_row_fault(exc):
                raise
            good, bad = count_isolated(claimed, definitions)
            units = {c[0]: c[2] for c in claimed}
            counts, unit_counts = {}, {}
            for response_id, row, one in good:
                _merge(counts, one)
                _merge(unit_counts, _unit_tally([(response_id, row, units[response_id])],
                                                definitions))
            failed += bad
        _merge(total, counts)
        _merge(unit_total, unit_counts)
        done += len(part)
        if progress:
            progress(len(part))
    if total:
        _upsert(session, total, unit_total)  # stamps the surveys it counted
    # Surveys left with nothing to count changed too (their aggregates were deleted).
    new_stamp(session, set(survey_ids) - {head[0] for head in total})
    quarantine.add(session, failed)
    return done


def recount(session: Session, survey_ids: Sequence[int]) -> Counter[Key]:
    """What the aggregates should hold: a recount of the folded (not pending) raw responses."""
    definitions = _definitions(session, survey_ids)
    # Read whole before counting: a row that can't be counted raises, and a half-read cursor
    # kept alive by that exception's traceback would hold SQLite's lock.
    answers = _stored_answers(session)
    rows = [Row(*r[:4], answers(r[4])) for r in session.execute(_counted_rows(survey_ids))]
    return count_rows(rows, definitions)


def counted_unit_answers(session: Session, survey_id: int) -> list[tuple[int | None, Any]]:
    """(unit id, answers) of every raw response of the survey the aggregates count (moved, or
    held and folded: `_counted_rows`, one statement), answers as `_stored_answers` reads them
    (a text that is not JSON stays text)."""
    answers = _stored_answers(session)
    return [(r[5], answers(r[4]))
            for r in session.execute(_counted_rows([survey_id], with_units=True))]


def recount_units(session: Session, survey_ids: Sequence[int]) -> Counter:
    """What the unit aggregates should hold (surveys.fold.units), recounted as `recount`."""
    definitions = _definitions(session, survey_ids)
    answers = _stored_answers(session)
    rows = [(None, Row(*r[:4], answers(r[4])), r[5])
            for r in session.execute(_counted_rows(survey_ids, with_units=True))]
    return _unit_counts(rows, definitions)


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
