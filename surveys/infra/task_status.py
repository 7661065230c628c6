"""Where a long admin task (a rebuild of the aggregates) stands, in Redis: one hash per task
id, kept for a day. The web tier creates the entry and enqueues the job (`start`), the job
reports its progress (`update`), the page that refreshes itself reads it (`get`). Counts and
percentages only: a task's entry names no response and no person."""

from __future__ import annotations

import secrets
from typing import Any

import redis

from .queue import enqueue

TASK_TTL_S = 24 * 3600
TASK_JOB_TIMEOUT_S = 3600
_KEY = "palaute:task:{}"
ID_LENGTH = 32  # hex characters


def new_id() -> str:
    return secrets.token_hex(ID_LENGTH // 2)


def valid_id(task_id: str) -> bool:
    return len(task_id) == ID_LENGTH and all(c in "0123456789abcdef" for c in task_id)


def start(connection: redis.Redis, task_id: str, kind: str, job: str, *args: Any) -> None:
    """Create the task's entry (state queued, 0 %) and enqueue `job`(task_id, *args)."""
    update(connection, task_id, state="queued", percent=0, kind=kind)
    enqueue(connection, job, task_id, *args, job_id=f"task-{task_id}",
            job_timeout=TASK_JOB_TIMEOUT_S, result_ttl=3600, failure_ttl=TASK_TTL_S)


def write_hash(connection: redis.Redis, key: str, ttl_s: int, fields: dict[str, Any]) -> None:
    """Set `fields` (as strings) in the progress hash `key`, kept `ttl_s` from now (also
    surveys.infra.export_status's)."""
    connection.hset(key, mapping={k: str(v) for k, v in fields.items()})
    connection.expire(key, ttl_s)


def read_hash(connection: redis.Redis, key: str) -> dict[str, str] | None:
    raw = connection.hgetall(key)
    if not raw:
        return None
    return {k.decode(): v.decode() for k, v in raw.items()}


def update(connection: redis.Redis, task_id: str, **fields: Any) -> None:
    write_hash(connection, _KEY.format(task_id), TASK_TTL_S, fields)


def get(connection: redis.Redis, task_id: str) -> dict[str, str] | None:
    return read_hash(connection, _KEY.format(task_id))
