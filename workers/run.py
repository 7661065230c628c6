"""`python -m workers.run`: an RQ worker (PalauteWorker) that outlives Redis outages.

`rq worker` quits when Redis disappears while it is watching a job (and `palaute serve`'s honcho
would then stop everything). Here a worker that ended without being asked to is replaced by a new
one after a pause; jobs it was running are retried (RQ Retry) or swept from the outbox.

`--queue NAME` (repeatable): the queues it serves, first first; by default `palaute`, the fold's
and every quick job's. The Procfile's `releases` process serves `palaute-releases` alone: a
survey's cut may audit for minutes, and a worker busy with it would hold back the fold.
"""

from __future__ import annotations

import argparse
import logging
import time

import redis

from surveys.infra import logs, queue
from surveys.infra.settings import QUEUE_NAME, Settings
from workers import context
from workers.worker import PalauteWorker, stop_requested

log = logging.getLogger("workers.run")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers.run")
    parser.add_argument("--queue", action="append", dest="queues", choices=queue.QUEUE_NAMES,
                        help=f"a queue to serve (repeatable; default {QUEUE_NAME})")
    names = parser.parse_args(argv).queues or [QUEUE_NAME]
    settings = Settings.from_env()
    context.use(settings)
    logs.capture_stray_output("worker")
    logs.configure("worker", level=settings.log_level)
    url = queue.redis_url(settings)
    while not stop_requested.is_set():
        connection = redis.Redis.from_url(url)
        try:
            # Maintenance every minute: it also restarts RQ's scheduler process if it died with
            # Redis (RQ's default is every ten minutes).
            worker = PalauteWorker([queue.queue(connection, n) for n in names],
                                   connection=connection,
                                   maintenance_interval=60)
            # The scheduler moves retries (RQ Retry with intervals) back to the queue when due.
            worker.work(with_scheduler=True)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker lost Redis: %s", type(exc).__name__)
        if stop_requested.is_set():
            break
        log.warning("worker ended without a stop request; starting a new one in 1 s")
        time.sleep(1)


if __name__ == "__main__":
    main()
