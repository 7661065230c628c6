"""Ballot-stuffing signal: a burst of submissions to one survey in one county, far above its
usual rate, is flagged in the logs and on the admin queue-health page.

The rate is counted in Redis, never in the database: one counter per survey, county and hour
(UTC), kept `KEY_TTL_S` (a little over a day) and then gone. It holds no answer, no client
address and no response id, and no time finer than the hour, so it ties nothing to a response
(a response itself keeps only its day). The web tier calls `note_submission` after a response
is stored; it is best effort and never fails the submission, and each web process adds its
counts to Redis at most every `PALAUTE_BURST_FLUSH_S` seconds.

A county's hour is flagged when its submissions so far exceed
`max(floor, factor × median of the previous BASELINE_BUCKETS hours)`: the median, so that one
earlier burst does not raise the baseline; the floor (`PALAUTE_BURST_FLOOR`), so that a quiet
survey (a median of 0 or 1) is not flagged for a handful of answers; the factor
(`PALAUTE_BURST_FACTOR`) sets how far above usual counts as a burst. The first submission over
the limit logs one warning (survey slug, county code, hour, counts) and sets a flag the
queue-health page lists for as long as the counters are kept.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
import weakref
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import redis

log = logging.getLogger(__name__)

BUCKET_S = 3600
BASELINE_BUCKETS = 24
KEY_TTL_S = (BASELINE_BUCKETS + 2) * BUCKET_S
_COUNT = "palaute:rate:{survey}:{county}:{bucket}"
_FLAG = "palaute:burst:{survey}:{county}:{bucket}"
_FLAG_PATTERN = "palaute:burst:*"


class Burst(NamedTuple):
    survey: str
    county: str
    hour: str  # the hour's start, UTC, ISO 8601
    submissions: int
    baseline: float  # the median of the previous BASELINE_BUCKETS hours
    limit: float


def bucket_of(now: float) -> int:
    return int(now // BUCKET_S)


def hour_of(bucket: int) -> str:
    return datetime.fromtimestamp(bucket * BUCKET_S, UTC).strftime("%Y-%m-%dT%H:00Z")


def limit_for(previous: Sequence[int], factor: float, floor: float) -> tuple[float, float]:
    """(baseline, limit): the median of the previous hours, and the count above which the
    current hour is a burst."""
    baseline = float(statistics.median(previous)) if previous else 0.0
    return baseline, max(float(floor), factor * baseline)


def record(conn: redis.Redis, survey: str, county: str, *, factor: float, floor: float,
           now: float | None = None, n: int = 1) -> Burst | None:
    """Count `n` submissions now; the burst if this hour is now above its limit. Raises redis
    errors (`note_submission` is the best-effort, buffered form)."""
    bucket = bucket_of(time.time() if now is None else now)
    found = add_counts(conn, {(survey, county, bucket): n}, factor=factor, floor=floor)
    return found[0] if found else None


def add_counts(conn: redis.Redis, counts: Mapping[tuple[str, str, int], int], *,
               factor: float, floor: float) -> list[Burst]:
    """Add {(survey, county, hour bucket): submissions} to the counters; the bursts they make
    (each logged once per hour, when first flagged). Raises redis errors."""
    items = sorted(counts.items())
    pipe = conn.pipeline(transaction=False)
    for (survey, county, bucket), n in items:
        key = _COUNT.format(survey=survey, county=county, bucket=bucket)
        pipe.incrby(key, n)
        pipe.expire(key, KEY_TTL_S)
    totals = pipe.execute()[0::2]
    found = []
    for ((survey, county, bucket), _), count in zip(items, totals, strict=True):
        if count <= floor:
            continue  # the limit is never below the floor: spares the baseline's round trip
        previous = conn.mget([_COUNT.format(survey=survey, county=county, bucket=b)
                              for b in range(bucket - BASELINE_BUCKETS, bucket)])
        baseline, limit = limit_for([int(v or 0) for v in previous], factor, floor)
        if count <= limit:
            continue
        burst = Burst(survey, county, hour_of(bucket), int(count), baseline, limit)
        flag = _FLAG.format(survey=survey, county=county, bucket=bucket)
        if conn.set(flag, json.dumps(burst._asdict()), nx=True, ex=KEY_TTL_S):
            log.warning("burst of submissions: %s in county %s, %d this hour, usually %g",
                        survey, county, count, baseline,
                        extra={"survey": survey, "county": county, "hour": burst.hour,
                               "submissions": int(count), "baseline": baseline})
        found.append(burst)
    return found


class _Buffer:
    """A web process's counts not yet added to Redis, and when it last added them."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, int]] = Counter()
        self.added_at: float | None = None


# Per Redis connection pool (as surveys.infra.queue keeps its fold flag's window).
_buffers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def forget() -> None:
    """Drop every process's buffered counts (tests: tests/conftest.py reset_process_caches)."""
    _buffers.clear()


def note_submission(conn: redis.Redis, survey: str, county: str | None, *, factor: float,
                    floor: float, flush_s: float) -> Burst | None:
    """Count one stored submission, best effort: a response is never refused for it.

    A web process sums its counts for `flush_s` seconds and then adds them to Redis in one
    round trip (the submit path otherwise avoids Redis most of the time: surveys.infra.queue);
    a burst is therefore seen up to `flush_s` late, and a process that stops loses at most that
    much of its counts."""
    if not county:
        return None
    buffer = _buffers.get(conn.connection_pool)
    if buffer is None:
        buffer = _buffers[conn.connection_pool] = _Buffer()
    buffer.counts[(survey, county, bucket_of(time.time()))] += 1
    now = time.monotonic()
    if buffer.added_at is not None and now - buffer.added_at < flush_s:
        return None
    counts, buffer.counts, buffer.added_at = buffer.counts, Counter(), now
    try:
        found = add_counts(conn, counts, factor=factor, floor=floor)
    except Exception as exc:  # noqa: BLE001 - a signal, never a reason to fail a submission
        log.debug("submission rate not counted: %s", type(exc).__name__)
        return None
    return found[0] if found else None


def flagged(conn: redis.Redis) -> list[Burst]:
    """Bursts flagged in the hours still kept, newest first, each with its count so far."""
    keys = sorted(conn.scan_iter(match=_FLAG_PATTERN, count=500))
    if not keys:
        return []
    bursts = []
    for raw in conn.mget(keys):
        if raw is None:
            continue
        burst = Burst(**json.loads(raw))
        bucket = bucket_of(datetime.strptime(burst.hour, "%Y-%m-%dT%H:00Z")
                           .replace(tzinfo=UTC).timestamp())
        now = conn.get(_COUNT.format(survey=burst.survey, county=burst.county, bucket=bucket))
        bursts.append(burst._replace(submissions=max(burst.submissions, int(now or 0))))
    return sorted(bursts, key=lambda b: (b.hour, b.survey, b.county), reverse=True)
