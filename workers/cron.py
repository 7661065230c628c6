"""Periodic jobs, run by `python -m workers.scheduler` (RQ's cron scheduler; see the Procfile)."""

from rq import cron

from surveys.config import QUEUE_NAME
from workers.jobs import purge_expired, sweep_outbox

# Catches responses whose fold was never scheduled (Redis down at submit time, a lost job).
cron.register(sweep_outbox, QUEUE_NAME, interval=5, result_ttl=60)
# Raw responses past their retention period are deleted once a day, at night.
cron.register(purge_expired, QUEUE_NAME, cron="17 3 * * *", result_ttl=7 * 24 * 3600,
              job_timeout=3600)
