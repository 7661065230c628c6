"""Tell the workers there is something to fold.

The web tier enqueues jobs by dotted name, so it never imports worker code. Enqueueing is
debounced by a flag in Redis, set with the job: while it is set, a fold job is scheduled and
has not yet claimed, so further submissions add nothing to the queue (the job folds everything
pending when it runs). Failure here never loses a response: the outbox row is already committed,
and the worker start-up and periodic sweeps pick it up.

The flag's age, on Redis's own clock (its TTL), also spares most submissions the round trip to
Redis. A job deletes the flag, then claims, and never before the flag is FOLD_COALESCE_S old
(`clear_fold_flag`). So a web process that saw the flag at age `a` knows that everything it
commits during the next FOLD_COALESCE_S - a seconds (less a margin) will be claimed by that job,
and tells no one (`notify_submitted`). Under load that is one Redis call per web process every
few hundred milliseconds instead of one per response.
"""

from __future__ import annotations

import logging
import time
import uuid
import weakref
from typing import NamedTuple

import redis
from rq import Queue

from . import logs
from .redis import connect, redis_url
from .settings import QUEUE_NAME, RELEASE_QUEUE_NAME

__all__ = ["connect", "redis_url", "queue", "enqueue", "enqueue_fold", "notify_submitted",
           "clear_fold_flag", "health", "QueueHealth", "FailedJob", "enqueue_account_mail",
           "enqueue_invitation_mail", "enqueue_release", "QUEUE_NAMES"]

log = logging.getLogger(__name__)

FOLD_JOB = "workers.jobs.fold_pending"
MAIL_JOB = "workers.jobs.send_account_mail"
INVITATION_MAIL_JOB = "workers.jobs.send_invitation_mails"
FOLD_SCHEDULED_KEY = "palaute:fold-scheduled"
# If a scheduled job is lost, the flag expires and the next submission schedules another.
FOLD_SCHEDULED_TTL_S = 5
FOLD_JOB_TIMEOUT_S = 600
RELEASE_JOB = "workers.jobs.cut_survey_releases"
# One survey's cut: a national survey's audit of every earlier time with its months took about
# 1.5 minutes per round of the settle loop (docs/performance.md), a few rounds at most.
RELEASE_JOB_TIMEOUT_S = 3000
# Every queue a worker serves: the fold's (and everything quick), then the releases'.
QUEUE_NAMES = (QUEUE_NAME, RELEASE_QUEUE_NAME)


def queue(connection: redis.Redis, name: str = QUEUE_NAME) -> Queue:
    return Queue(name, connection=connection)


def enqueue(connection: redis.Redis, job: str, *args, **options):
    """Enqueue a job by its dotted name: the domain and the web tier never import worker code."""
    return queue(connection).enqueue(job, *args, **options)


def enqueue_account_mail(connection: redis.Redis, link_id: int):
    """Mail an invitation or reset link (workers.jobs.send_account_mail), retried on failure.
    Raises redis errors (the periodic sweep mails it later then)."""
    from rq import Retry

    return queue(connection).enqueue(MAIL_JOB, link_id, job_id=f"account-mail-{link_id}",
                                     retry=Retry(max=3, interval=[10, 60, 300]),
                                     result_ttl=3600, failure_ttl=7 * 24 * 3600)


def enqueue_invitation_mail(connection: redis.Redis, survey_id: int, unit_id: int | None = None):
    """Mail a staff survey's queued invitations and reminders
    (workers.jobs.send_invitation_mails). Raises redis errors (the periodic sweep mails them
    later then)."""
    from rq import Retry

    return queue(connection).enqueue(INVITATION_MAIL_JOB, survey_id, unit_id, job_timeout=3600,
                                     retry=Retry(max=3, interval=[10, 60, 300]),
                                     result_ttl=3600, failure_ttl=7 * 24 * 3600)


# What a release job cuts (workers.jobs.cut_survey_releases).
CUT_DUE = "due"  # the hourly job's: the survey's release if due, and its unit release
CUT_NOW = "now"  # `palaute results release --enqueue`: the survey's release now, and its units'
CUT_UNITS = "units"  # `palaute surveys close --enqueue`: the unit release alone
CUT_WHAT = (CUT_DUE, CUT_NOW, CUT_UNITS)


# What a job of each kind cuts as well, if it has not started yet: a cut now cuts when due
# and more, and every job cuts a closed staff survey's unit release (workers.jobs._cut_survey).
_COVERS = {CUT_DUE: {CUT_DUE, CUT_UNITS}, CUT_NOW: set(CUT_WHAT), CUT_UNITS: {CUT_UNITS}}


def what_of(job) -> str:
    """What a release job cuts (one queued before `what` existed, with two arguments: what is
    due)."""
    return job.args[2] if len(job.args) > 2 and job.args[2] in CUT_WHAT else CUT_DUE


def _wider(what: str, other: str) -> str:
    """The kind of cut that cuts what both would."""
    for kind in (what, other, CUT_NOW):
        if {what, other} <= _COVERS[kind]:
            return kind
    return CUT_NOW


def enqueue_release(connection: redis.Redis, survey_id: int, hour: str,
                    now: str | None = None, what: str = CUT_DUE):
    """Cut one survey's releases (workers.jobs.cut_survey_releases) on the release queue.

    `now`: the moment to cut at (None: when the job runs); `what`: the job's (CUT_WHAT).
    None if a job of this survey that has not started will cut what this one would (_COVERS:
    a second would only repeat its audit), or if this `hour`'s (e.g. "2026-12-03T08") was
    queued already (the hourly job ran twice). While a job of the survey runs, it may have read
    the survey before what this one is for (a close, answers just folded): the hourly job's
    (CUT_DUE) is not queued (the release worker is behind; the next hour's catches up), and an
    operator's (CUT_NOW, CUT_UNITS) is queued to run once that one has ended or failed (RQ's
    dependency), never beside it. Raises redis errors."""
    from rq.exceptions import DuplicateJobError
    from rq.job import Dependency, Job
    from rq.registry import DeferredJobRegistry, StartedJobRegistry

    releasing = queue(connection, RELEASE_QUEUE_NAME)
    prefix = f"release-{survey_id}-"

    def of_survey(job_ids: list[str]) -> list[str]:
        return [job_id for job_id in job_ids if job_id.startswith(prefix)]

    running = of_survey(StartedJobRegistry(queue=releasing).get_job_ids())
    deferred = [job for job in Job.fetch_many(
        of_survey(DeferredJobRegistry(queue=releasing).get_job_ids()), connection=connection)
        if job is not None]
    # Waiting for a job that no longer runs and will not release it (RQ never releases a
    # stopped or cancelled job's dependents): it would block this survey's releases for good.
    # Replaced by this one, cutting what either would; deleted once this one is queued.
    stale = [job for job in deferred if not set(job.dependency_ids) & set(running)]
    for job in stale:
        what = _wider(what, what_of(job))
    queued = Job.fetch_many(of_survey(releasing.get_job_ids()), connection=connection)
    waiting = [job for job in [*queued, *deferred] if job is not None and job not in stale]
    if any(what in _COVERS[what_of(job)] for job in waiting):
        return None
    if running and what == CUT_DUE:
        return None
    job_id = f"{prefix}{hour}"
    after = Dependency(jobs=running, allow_failure=True) if running else None
    # RQ's unique= is not for a job with dependencies: the id is checked first then (an
    # operator's id is stamped to the microsecond).
    if after is not None and Job.exists(job_id, connection=connection):
        return None
    try:
        job = releasing.enqueue(
            RELEASE_JOB, survey_id, now, what, job_id=job_id, unique=after is None,
            depends_on=after, job_timeout=RELEASE_JOB_TIMEOUT_S, result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600)
    except DuplicateJobError:  # (a stale job stays, for the next request to replace)
        return None
    for old in stale:
        old.delete()
    return job


# A fold job waits until the flag is this old before it claims (workers.jobs.fold_pending).
# Submissions meanwhile find the fold already scheduled, so under load one job folds a second of
# responses instead of each forking a work horse for a handful. A job has a fixed cost (fork,
# RQ's bookkeeping, a connection, the upsert of every key its batch touches): at 0.5 s the
# folds took about a tenth of the machine's CPU under submit load on PostgreSQL, at 1 s half
# that (docs/performance.md). Costs at most this much freshness (target: 2 s).
FOLD_COALESCE_S = 1.0
# Taken off the time a web process may go without notifying: covers the difference between its
# clock's rate and Redis's over a second, many times over.
_NOTIFY_MARGIN_S = 0.05
# Per Redis connection pool: until when (time.monotonic()) a fold is known to be scheduled that
# will claim whatever this process commits before then.
_scheduled_until: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Delete the flag only if it is still the one this job waited for (another job may have
# deleted it and a submission set a new one meanwhile).
_DELETE_IF_SAME = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _flag_age_s(pttl_ms: int) -> float:
    return FOLD_SCHEDULED_TTL_S - max(pttl_ms, 0) / 1000


def enqueue_fold(connection: redis.Redis) -> float:
    """Schedule one fold job, unless one is already waiting. Raises redis errors.

    Returns the age in seconds of the flag that is now set (0 if this call set it).
    """
    from rq import Retry

    pipe = connection.pipeline(transaction=False)
    pipe.set(FOLD_SCHEDULED_KEY, uuid.uuid4().hex, nx=True, ex=FOLD_SCHEDULED_TTL_S)
    pipe.pttl(FOLD_SCHEDULED_KEY)
    created, pttl = pipe.execute()
    if created:
        queue(connection).enqueue(
            FOLD_JOB,
            job_timeout=FOLD_JOB_TIMEOUT_S,
            retry=Retry(max=5, interval=[1, 2, 5, 10, 30]),
            result_ttl=60,
            failure_ttl=7 * 24 * 3600,
            # The request that scheduled the fold, so its log lines can be followed into it.
            meta={"request_id": logs.request_id_var.get(),
                  "coarse_time": logs.coarse_time_var.get()},
        )
        return 0.0
    return _flag_age_s(pttl)


def notify_submitted(connection: redis.Redis) -> bool:
    """Call after committing a response. Best effort: True if a fold is scheduled that will
    claim it, False if Redis could not be reached."""
    key = connection.connection_pool
    now = time.monotonic()
    if now < _scheduled_until.get(key, 0.0):
        return True
    try:
        age = enqueue_fold(connection)
    except (redis.RedisError, OSError) as exc:
        log.warning("fold not scheduled, the outbox sweep will catch up: %s", type(exc).__name__)
        return False
    # `now` was taken before the flag was read, so the flag is at most `age` old at `now`.
    _scheduled_until[key] = now + FOLD_COALESCE_S - age - _NOTIFY_MARGIN_S
    return True


def clear_fold_flag(connection: redis.Redis, sleep=time.sleep) -> None:
    """For a fold job, before it claims: wait until the flag is FOLD_COALESCE_S old, then
    delete it, so that a response committed from then on schedules a new fold."""
    while True:
        pipe = connection.pipeline(transaction=False)
        pipe.get(FOLD_SCHEDULED_KEY)
        pipe.pttl(FOLD_SCHEDULED_KEY)
        value, pttl = pipe.execute()
        if value is None:
            return
        wait = FOLD_COALESCE_S - _flag_age_s(pttl)
        if wait <= 0:
            connection.eval(_DELETE_IF_SAME, 1, FOLD_SCHEDULED_KEY, value)
            return
        sleep(wait)


class FailedJob(NamedTuple):
    id: str
    function: str
    ended_at: str
    error: str  # the exception's last line, cut short


class QueueHealth(NamedTuple):
    waiting: int  # jobs in the queues (QUEUE_NAMES), and those waiting for another to end
    failed_count: int  # jobs in their RQ FailedJobRegistry (each kept its failure_ttl)
    failed: list[FailedJob]  # the latest of them


FAILED_SHOWN = 20
ERROR_SHOWN = 300


def health(connection: redis.Redis) -> QueueHealth:
    """The queues' length and their failed jobs, latest first, with their errors."""
    from rq.job import Job
    from rq.registry import DeferredJobRegistry, FailedJobRegistry
    from rq.results import Result

    queues = [queue(connection, name) for name in QUEUE_NAMES]
    deferred = sum(DeferredJobRegistry(queue=q).count for q in queues)
    registries = [FailedJobRegistry(queue=q) for q in queues]
    ids = [i for r in registries for i in r.get_job_ids(0, FAILED_SHOWN - 1, desc=True)]
    jobs = [j for j in Job.fetch_many(ids, connection=connection) if j is not None]
    jobs.sort(key=lambda j: j.ended_at.timestamp() if j.ended_at else 0.0, reverse=True)
    failed = []
    for job in jobs[:FAILED_SHOWN]:
        result = job.latest_result()
        exc = result.exc_string if result is not None and result.type == Result.Type.FAILED \
            else None
        lines = [line for line in (exc or "").strip().splitlines() if line.strip()]
        failed.append(FailedJob(
            id=job.id, function=job.func_name or "",
            ended_at=job.ended_at.strftime("%Y-%m-%d %H:%M:%S") if job.ended_at else "",
            error=(lines[-1] if lines else "")[:ERROR_SHOWN]))
    return QueueHealth(waiting=sum(q.count for q in queues) + deferred,
                       failed_count=sum(r.count for r in registries), failed=failed)


def requeue_failed(connection: redis.Redis, job_id: str) -> bool:
    """Put a failed job back on the queue (RQ's FailedJobRegistry). False if it is not there
    (already requeued, expired, or never failed)."""
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.registry import FailedJobRegistry

    for name in QUEUE_NAMES:
        registry = FailedJobRegistry(queue=queue(connection, name))
        if job_id not in registry.get_job_ids():
            continue
        try:
            registry.requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError):
            return False
        return True
    return False
