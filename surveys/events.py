"""Tell the workers there is something to fold.

The web tier enqueues jobs by dotted name, so it never imports worker code. Enqueueing is
debounced: while a fold job is queued and not yet started, further submissions add nothing to the
queue (the job folds everything pending when it runs). Failure here never loses a response: the
outbox row is already committed, and the worker start-up and periodic sweeps pick it up.
"""

from __future__ import annotations

import logging
import os

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


def enqueue_fold(connection: redis.Redis) -> None:
    """Schedule one fold job, unless one is already waiting. Raises redis errors."""
    from rq import Retry

    if connection.set(FOLD_SCHEDULED_KEY, "1", nx=True, ex=FOLD_SCHEDULED_TTL_S):
        queue(connection).enqueue(
            FOLD_JOB,
            job_timeout=FOLD_JOB_TIMEOUT_S,
            retry=Retry(max=5, interval=[1, 2, 5, 10, 30]),
            result_ttl=60,
            failure_ttl=7 * 24 * 3600,
            # The request that scheduled the fold, so its log lines can be followed into it.
            meta={"request_id": logs.request_id_var.get()},
        )


def notify_submitted(connection: redis.Redis) -> bool:
    """Best effort: True if a fold is scheduled, False if Redis could not be reached."""
    try:
        enqueue_fold(connection)
        return True
    except (redis.RedisError, OSError) as exc:
        log.warning("fold not scheduled, the outbox sweep will catch up: %s", type(exc).__name__)
        return False
