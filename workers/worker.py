"""The RQ worker class: sweeps the outbox when it starts, so nothing waits for the next tick."""

from __future__ import annotations

import logging

import redis
from rq import Worker

from surveys import events

log = logging.getLogger(__name__)


class PalauteWorker(Worker):
    def work(self, *args, **kwargs):  # type: ignore[override]
        try:
            events.queue(self.connection).enqueue("workers.jobs.sweep_outbox", result_ttl=60)
        except redis.RedisError as exc:  # pragma: no cover - the worker would fail next anyway
            log.warning("start-up sweep not scheduled: %s", exc)
        return super().work(*args, **kwargs)
