"""`python -m workers.scheduler`: RQ's cron scheduler (jobs in workers/cron.py) that outlives
Redis restarts. `rq cron` exits when Redis goes away; this one waits and carries on."""

from __future__ import annotations

import logging
import time

import redis
from rq.cron import CronScheduler

from surveys import events, logs

log = logging.getLogger("workers.scheduler")


def main() -> None:
    logs.configure("cron")
    scheduler = CronScheduler(connection=events.connect())
    scheduler.load_config_from_file("workers.cron")
    while True:
        try:
            scheduler.start()  # returns on SIGTERM/SIGINT
            return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("Redis unavailable, cron paused: %s", type(exc).__name__)
            time.sleep(1)


if __name__ == "__main__":
    main()
