"""Periodic jobs, run by `python -m workers.scheduler` (RQ's cron scheduler; see the Procfile)."""

from rq import cron

from surveys.infra.settings import QUEUE_NAME
from workers.jobs import (
    apply_schedule,
    count_participation,
    cut_releases,
    purge_audit_log,
    purge_expired,
    purge_exports,
    sweep_account_mail,
    sweep_invitation_mail,
    sweep_outbox,
)

# Catches responses whose fold was never scheduled (Redis down at submit time, a lost job).
cron.register(sweep_outbox, QUEUE_NAME, interval=5, result_ttl=60)
# Results releases (RESULTS_RELEASE hourly or daily): the job cuts those that are due.
cron.register(cut_releases, QUEUE_NAME, cron="7 * * * *", result_ttl=24 * 3600,
              job_timeout=1800)
# Raw responses past their retention period are deleted once a day, at night.
cron.register(purge_expired, QUEUE_NAME, cron="17 3 * * *", result_ttl=7 * 24 * 3600,
              job_timeout=3600)
# Audit events past Settings.audit_retention_days, and timed-out admin sessions.
cron.register(purge_audit_log, QUEUE_NAME, cron="37 3 * * *", result_ttl=7 * 24 * 3600,
              job_timeout=3600)
# Large exports (all surveys × all months) are kept 24 hours.
cron.register(purge_exports, QUEUE_NAME, cron="27 3 * * *", result_ttl=7 * 24 * 3600)
# Invitation and reset mails whose job was never enqueued (Redis down) or failed for good.
cron.register(sweep_account_mail, QUEUE_NAME, interval=300, result_ttl=3600)
# Staff-survey invitation mails queued while Redis was down, or whose job was lost.
cron.register(sweep_invitation_mail, QUEUE_NAME, interval=300, result_ttl=3600)
# Surveys open and close on their dates (opens_on, closes_on): just after midnight, and every
# hour after that in case a run was missed (the job is idempotent).
cron.register(apply_schedule, QUEUE_NAME, cron="2 * * * *", result_ttl=24 * 3600,
              job_timeout=600)
# Participation per unit for HR's invitations page, counted once a day: the job counts only in
# the night (its first run there each day), so every hour catches a missed run.
cron.register(count_participation, QUEUE_NAME, cron="4 * * * *", result_ttl=24 * 3600,
              job_timeout=1800)
