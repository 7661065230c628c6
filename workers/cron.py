"""Periodic jobs for `rq cron workers/cron.py` (RQ's own cron scheduler)."""

from rq import cron

from surveys.config import QUEUE_NAME
from workers.jobs import sweep_outbox

# Catches responses whose fold was never scheduled (Redis down at submit time, a lost job).
cron.register(sweep_outbox, QUEUE_NAME, interval=5, result_ttl=60)
