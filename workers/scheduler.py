"""`python -m workers.scheduler`: RQ's cron scheduler (jobs in workers/cron.py) that outlives
Redis restarts. `rq cron` exits when Redis goes away; this one waits and carries on."""

from __future__ import annotations

import logging
import time

import redis
from rq.cron import CronScheduler
from rq.exceptions import SchedulerNotFound

from surveys.infra import logs, queue
from surveys.infra.settings import Settings
from workers import context

log = logging.getLogger("workers.scheduler")


class PalauteCronScheduler(CronScheduler):
    stopping = False

    def _request_stop(self, signum, frame):
        self.stopping = True
        return super()._request_stop(signum, frame)


def main() -> None:
    settings = Settings.from_env()
    context.use(settings)
    logs.capture_stray_output("cron")
    logs.configure("cron", level=settings.log_level)
    scheduler = PalauteCronScheduler(connection=queue.connect(queue.redis_url(settings)))
    scheduler.load_config_from_file("workers.cron")
    while not scheduler.stopping:
        try:
            scheduler.start()  # returns on SIGTERM/SIGINT
            return
        # A restarted Redis has forgotten this scheduler: register again and carry on.
        except (redis.ConnectionError, redis.TimeoutError, SchedulerNotFound) as exc:
            if scheduler.stopping:
                return
            log.warning("Redis unavailable or restarted, cron paused: %s", type(exc).__name__)
            time.sleep(1)


if __name__ == "__main__":
    main()
