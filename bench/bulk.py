"""Bulk-load synthetic responses into the holding table, waiting to be folded, straight into the
database.

Used to reach 10,000 and 1,000,000 stored responses without a million HTTP requests; the real
fold code then folds them. PostgreSQL gets COPY, SQLite executemany; one transaction either way,
so the fold that follows starts from a committed, known backlog.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import Engine, insert

from surveys.infra import clock
from surveys.models import PendingResponse

REGIONS = [f"{i:02d}" for i in range(1, 22)] + ["90"]
LANGS = ["fi", "fi", "fi", "sv", "se"]
SERVICES = ["health_centre", "dental", "social", "hospital", "other"]
CHANNELS = ["in_person", "phone", "online"]


def _answer_pool(rng: random.Random, n: int = 2000) -> list[dict]:
    pool = []
    for _ in range(n):
        a = {"recommend": rng.randint(0, 10), "service": rng.choice(SERVICES),
             "got_help": rng.randint(1, 5), "age": rng.randint(15, 110)}
        channels = [c for c in CHANNELS if rng.random() < 0.5]
        if channels:
            a["channels"] = channels
        if rng.random() < 0.3:
            a["comment"] = "Kiitos, hyvää palvelua."
        pool.append(a)
    return pool


def rows(survey_id: int, n: int, seed: int = 1) -> Iterator[tuple]:
    """(id, survey_id, region, lang, submitted_on, answers) over the last 12 months.

    In date order, as responses arrive: outbox order follows time, so one fold batch holds a
    day or two of responses (one month), as it does in production.
    """
    rng = random.Random(seed)
    pool = _answer_pool(rng)
    first = clock.today() - timedelta(days=364)
    for i in range(n):
        day = first + timedelta(days=i * 365 // n)
        yield (uuid.UUID(int=rng.getrandbits(128), version=4), survey_id, rng.choice(REGIONS),
               rng.choice(LANGS), day, rng.choice(pool))


def load(engine: Engine, survey_id: int, n: int, seed: int = 1) -> list[uuid.UUID]:
    """Insert n responses and n outbox events in one transaction. Returns the response ids."""
    ids: list[uuid.UUID] = []
    if n <= 0:
        return ids
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur, cur.copy(
                    "COPY pending_responses (id, survey_id, region_code, lang, submitted_on, "
                    "answers) FROM STDIN") as copy:
                for rid, sid, region, lang, day, answers in rows(survey_id, n, seed):
                    ids.append(rid)
                    copy.write_row((rid, sid, region, lang, day, json.dumps(answers)))
            raw.commit()
        finally:
            raw.close()
        return ids
    chunk = 50_000
    with engine.begin() as conn:
        batch: list[dict] = []
        for rid, sid, region, lang, day, answers in rows(survey_id, n, seed):
            ids.append(rid)
            batch.append({"id": rid, "survey_id": sid, "region_code": region, "lang": lang,
                          "submitted_on": day, "answers": answers})
            if len(batch) == chunk:
                conn.execute(insert(PendingResponse), batch)
                batch = []
        if batch:
            conn.execute(insert(PendingResponse), batch)
    return ids
