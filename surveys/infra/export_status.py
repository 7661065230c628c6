"""Where a large export job stands, in Redis: one hash per export id, kept as long as its file.

The web tier creates the entry and enqueues the job (`start`), the job reports its progress
(`update`), the web tier reads it for the page that refreshes itself (`get`). The entry expires
with the file (EXPORT_TTL_S), so an expired export is simply unknown.
"""

from __future__ import annotations

from typing import Any

import redis

from .queue import enqueue
from .task_status import read_hash, write_hash

EXPORT_JOB = "workers.jobs.export_all"
EXPORT_TTL_S = 24 * 3600
EXPORT_JOB_TIMEOUT_S = 3600
_KEY = "palaute:export:{}"


def _key(export_id: str) -> str:
    return _KEY.format(export_id)


def start(connection: redis.Redis, export_id: str, fmt: str, lang: str) -> bool:
    """Create the export's entry and enqueue its job, unless it exists already (the same
    export asked for again: its job is queued, running or done). True if this call started it."""
    key = _key(export_id)
    if connection.hget(key, "state") == b"failed":
        connection.delete(key)  # asked again after a failure: try again
    if not connection.hsetnx(key, "state", "queued"):
        return False
    connection.hset(key, mapping={"percent": 0, "format": fmt, "lang": lang})
    connection.expire(key, EXPORT_TTL_S)
    enqueue(connection, EXPORT_JOB, export_id, fmt, lang, job_id=f"export-{export_id}",
            job_timeout=EXPORT_JOB_TIMEOUT_S, result_ttl=3600, failure_ttl=EXPORT_TTL_S)
    return True


def update(connection: redis.Redis, export_id: str, **fields: Any) -> None:
    write_hash(connection, _key(export_id), EXPORT_TTL_S, fields)


def get(connection: redis.Redis, export_id: str) -> dict[str, str] | None:
    return read_hash(connection, _key(export_id))
