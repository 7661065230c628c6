"""Tell the workers there is something to fold.

The web tier enqueues jobs by dotted name, so it never imports worker code. Enqueueing is
debounced by a flag in Redis, set with the job: while it is set, a fold job is scheduled and
has not yet claimed, so further submissions add nothing to the queue (the job folds everything
pending when it runs). Failure here never loses a response: the outbox row is already committed,
and the worker start-up and periodic sweeps pick it up.

The flag's age, on Redis's own clock (its TTL), also spares most submissions the round trip to
Redis. A job deletes the flag, then claims, and never before the flag is FOLD_COALESCE_S old
(`clear_fold_flag`). So a web process that saw the flag at age `a` knows that everything it
commits during the next FOLD_COALESCE_S - a seconds (less a margin) will be claimed by that job,
and tells no one (`notify_submitted`). Under load that is one Redis call per web process every
few hundred milliseconds instead of one per response.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
import weakref

import redis
from rq import Queue

from . import config, logs
from .embedded_redis import EmbeddedRedis

log = logging.getLogger(__name__)

FOLD_JOB = "workers.jobs.fold_pending"
FOLD_SCHEDULED_KEY = "palaute:fold-scheduled"
# If a scheduled job is lost, the flag expires and the next submission schedules another.
FOLD_SCHEDULED_TTL_S = 5
FOLD_JOB_TIMEOUT_S = 600

_embedded: EmbeddedRedis | None = None


def redis_url() -> str:
    """REDIS_URL, or else an embedded Redis server this process starts (or finds running)."""
    global _embedded
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    if _embedded is None:
        _embedded = EmbeddedRedis()
        _embedded.start()
        os.environ["REDIS_URL"] = _embedded.url  # child processes share it
    return _embedded.url


def connect(url: str | None = None) -> redis.Redis:
    return redis.Redis.from_url(
        url or redis_url(), socket_timeout=2, socket_connect_timeout=1, health_check_interval=30
    )


def queue(connection: redis.Redis) -> Queue:
    return Queue(config.QUEUE_NAME, connection=connection)


# A fold job waits until the flag is this old before it claims (workers.jobs.fold_pending).
# Submissions meanwhile find the fold already scheduled, so under load one job folds a second of
# responses instead of each forking a work horse for a handful. A job has a fixed cost (fork,
# RQ's bookkeeping, a connection, the upsert of every key its batch touches): at 0.5 s the
# folds took about a tenth of the machine's CPU under submit load on PostgreSQL, at 1 s half
# that (docs/performance.md). Costs at most this much freshness (target: 2 s).
FOLD_COALESCE_S = 1.0
# Taken off the time a web process may go without notifying: covers the difference between its
# clock's rate and Redis's over a second, many times over.
_NOTIFY_MARGIN_S = 0.05
# Per Redis connection pool: until when (time.monotonic()) a fold is known to be scheduled that
# will claim whatever this process commits before then.
_scheduled_until: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Delete the flag only if it is still the one this job waited for (another job may have
# deleted it and a submission set a new one meanwhile).
_DELETE_IF_SAME = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _flag_age_s(pttl_ms: int) -> float:
    return FOLD_SCHEDULED_TTL_S - max(pttl_ms, 0) / 1000


def enqueue_fold(connection: redis.Redis) -> float:
    """Schedule one fold job, unless one is already waiting. Raises redis errors.

    Returns the age in seconds of the flag that is now set (0 if this call set it).
    """
    from rq import Retry

    pipe = connection.pipeline(transaction=False)
    pipe.set(FOLD_SCHEDULED_KEY, uuid.uuid4().hex, nx=True, ex=FOLD_SCHEDULED_TTL_S)
    pipe.pttl(FOLD_SCHEDULED_KEY)
    created, pttl = pipe.execute()
    if created:
        queue(connection).enqueue(
            FOLD_JOB,
            job_timeout=FOLD_JOB_TIMEOUT_S,
            retry=Retry(max=5, interval=[1, 2, 5, 10, 30]),
            result_ttl=60,
            failure_ttl=7 * 24 * 3600,
            # The request that scheduled the fold, so its log lines can be followed into it.
            meta={"request_id": logs.request_id_var.get()},
        )
        return 0.0
    return _flag_age_s(pttl)


def notify_submitted(connection: redis.Redis) -> bool:
    """Call after committing a response. Best effort: True if a fold is scheduled that will
    claim it, False if Redis could not be reached."""
    key = connection.connection_pool
    now = time.monotonic()
    if now < _scheduled_until.get(key, 0.0):
        return True
    try:
        age = enqueue_fold(connection)
    except (redis.RedisError, OSError) as exc:
        log.warning("fold not scheduled, the outbox sweep will catch up: %s", type(exc).__name__)
        return False
    # `now` was taken before the flag was read, so the flag is at most `age` old at `now`.
    _scheduled_until[key] = now + FOLD_COALESCE_S - age - _NOTIFY_MARGIN_S
    return True


def clear_fold_flag(connection: redis.Redis, sleep=time.sleep) -> None:
    """For a fold job, before it claims: wait until the flag is FOLD_COALESCE_S old, then
    delete it, so that a response committed from then on schedules a new fold."""
    while True:
        pipe = connection.pipeline(transaction=False)
        pipe.get(FOLD_SCHEDULED_KEY)
        pipe.pttl(FOLD_SCHEDULED_KEY)
        value, pttl = pipe.execute()
        if value is None:
            return
        wait = FOLD_COALESCE_S - _flag_age_s(pttl)
        if wait <= 0:
            connection.eval(_DELETE_IF_SAME, 1, FOLD_SCHEDULED_KEY, value)
            return
        sleep(wait)
