"""The RQ worker class: JSON logs, fast reconnects, and an outbox sweep when it starts."""

from __future__ import annotations

import logging
import threading

import redis
from rq import Worker

from surveys.infra import logs, queue

# Imported here, before the worker forks a work horse per job, so each horse starts with the
# job code and SQLAlchemy already loaded (about 0.2 s saved per job). Nothing here opens a
# database connection: engines are created lazily, after the fork.
from . import context, jobs  # noqa: F401

log = logging.getLogger(__name__)
# Set by SIGTERM/SIGINT: workers.run then lets the worker finish instead of replacing it.
stop_requested = threading.Event()


class PalauteWorker(Worker):
    # After Redis comes back, resume within seconds (RQ's default backoff grows to a minute).
    max_connection_wait_time = 5.0

    def work(self, *args, **kwargs):  # type: ignore[override]
        # Configured before RQ sets up its own (plain text) handlers, which it then skips.
        if not logging.getLogger().handlers:
            logs.configure("worker", level=context.settings().log_level)
        try:
            queue.enqueue(self.connection, "workers.jobs.sweep_outbox", result_ttl=60)
        except redis.RedisError as exc:  # pragma: no cover - the worker would fail next anyway
            log.warning("start-up sweep not scheduled: %s", type(exc).__name__)
        return super().work(*args, **kwargs)

    def request_stop(self, signum, frame):  # type: ignore[override]
        stop_requested.set()
        return super().request_stop(signum, frame)

    def perform_job(self, job, queue, *args, **kwargs):  # type: ignore[override]
        # Lines logged by the job carry the request id that scheduled it, else the job id.
        token = logs.request_id_var.set(job.meta.get("request_id") or job.id)
        # A job a submission scheduled logs its time as coarsely as the submission did: its
        # precise time would time the submission too.
        coarse = logs.coarse_time_var.set(bool(job.meta.get("coarse_time")))
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            logs.coarse_time_var.reset(coarse)
            logs.request_id_var.reset(token)
