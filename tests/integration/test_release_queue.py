"""Which release jobs of a survey are queued (surveys.infra.queue.enqueue_release), on the real
Redis with a real RQ worker: an operator's cut is never dropped behind a job that will not cut
what the operator asked for, nor run beside one of the same survey."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.job import Job, JobStatus
from rq.registry import DeferredJobRegistry, StartedJobRegistry

from surveys.infra import queue

SURVEY = 7


def enqueue(conn, key: str, what: str = queue.CUT_DUE, survey: int = SURVEY):
    """A job as its callers queue it: the hourly one with its hour and moment, an operator's
    (`results release --enqueue`, `surveys close --enqueue`) with a stamp of its own."""
    if what == queue.CUT_DUE:
        return queue.enqueue_release(conn, survey, key, f"{key}:07")
    return queue.enqueue_release(conn, survey, f"{key}-cli", what=what)


def releasing(conn):
    return queue.queue(conn, queue.RELEASE_QUEUE_NAME)


def test_a_waiting_job_stops_only_the_jobs_whose_cut_it_makes(redis_conn):
    """The hourly job cuts the survey's release only if it is due; a cut asked now is queued
    behind it, not dropped. A waiting job that will cut what is asked (a cut now cuts when due
    too, and every job cuts a closed staff survey's unit release) is not doubled."""
    hourly = enqueue(redis_conn, "2099-01-01T04")
    assert hourly is not None
    asked = enqueue(redis_conn, "2099-01-01T04-10-00", queue.CUT_NOW)
    assert asked is not None, "a cut asked now was dropped behind a waiting hourly job"
    assert enqueue(redis_conn, "2099-01-01T05") is None
    assert enqueue(redis_conn, "2099-01-01T05-20-00", queue.CUT_NOW) is None
    assert enqueue(redis_conn, "2099-01-01T05-21-00", queue.CUT_UNITS) is None
    assert releasing(redis_conn).job_ids == [hourly.id, asked.id]
    assert Job.fetch(asked.id, connection=redis_conn).args[2] == queue.CUT_NOW

    # A unit release alone waiting: the hourly job's release is not among what it cuts.
    other = SURVEY + 1
    units = enqueue(redis_conn, "2099-01-01T04-30-00", queue.CUT_UNITS, survey=other)
    assert units is not None
    due = enqueue(redis_conn, "2099-01-01T05", survey=other)
    assert due is not None
    assert enqueue(redis_conn, "2099-01-01T05-40-00", queue.CUT_UNITS, survey=other) is None
    assert releasing(redis_conn).job_ids == [hourly.id, asked.id, units.id, due.id]


def start_job(redis_url: str, conn, exit_code: int = 0,
              survey: int = SURVEY) -> tuple[subprocess.Popen, str]:
    """A release job of `survey` running in a real RQ worker (its own process, one job): a
    shell that sleeps, then exits with `exit_code` (the job fails unless 0)."""
    job = releasing(conn).enqueue("subprocess.run", ["sh", "-c", f"sleep 3; exit {exit_code}"],
                                  check=True, job_id=f"release-{survey}-2099-01-01T03")
    rq = Path(sys.executable).with_name("rq")
    worker = subprocess.Popen([str(rq), "worker", "--burst", "--max-jobs", "1", "--url",
                               redis_url, queue.RELEASE_QUEUE_NAME],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = StartedJobRegistry(queue=releasing(conn))
    for _ in range(200):
        if job.id in started.get_job_ids():
            return worker, job.id
        time.sleep(0.05)
    worker.kill()
    raise AssertionError("the worker did not start the job")


@pytest.mark.parametrize("exit_code", [0, 1], ids=["ends", "fails"])
def test_an_operators_cut_waits_for_the_running_job_then_runs(redis_url, redis_conn,
                                                              exit_code):
    """A job that started may have read the survey before what the operator asks for (e.g. a
    close): the operator's cut is queued to run after it, whether it ends or fails, not beside
    it nor dropped. The hourly job queues none while one runs (the release worker is behind;
    the next hour's catches up)."""
    worker, running = start_job(redis_url, redis_conn, exit_code)
    try:
        assert enqueue(redis_conn, "2099-01-01T04") is None
        units = enqueue(redis_conn, "2099-01-01T04-01-00", queue.CUT_UNITS)
        now = enqueue(redis_conn, "2099-01-01T04-02-00", queue.CUT_NOW)
        assert units is not None and now is not None
        # A deferred job is waiting too: what it will cut is not queued twice.
        assert enqueue(redis_conn, "2099-01-01T04-03-00", queue.CUT_NOW) is None
        assert enqueue(redis_conn, "2099-01-01T04-04-00", queue.CUT_UNITS) is None
        deferred = DeferredJobRegistry(queue=releasing(redis_conn))
        assert set(deferred.get_job_ids()) == {units.id, now.id}
        assert releasing(redis_conn).job_ids == []  # nothing for another worker to run beside
        assert queue.health(redis_conn).waiting == 2  # the queue-health page counts them
        assert units.dependency_ids == [running]
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()
    job = Job.fetch(running, connection=redis_conn)
    assert job.get_status() == (JobStatus.FINISHED if exit_code == 0 else JobStatus.FAILED)
    assert sorted(releasing(redis_conn).job_ids) == sorted([units.id, now.id])  # any order
    assert deferred.get_job_ids() == []


def left_waiting(redis_url: str, redis_conn) -> Job:
    """An operator's cut now, left waiting for a job of its survey that was stopped with RQ's
    stop command on a real worker."""
    from rq.command import send_stop_job_command

    worker, running = start_job(redis_url, redis_conn, exit_code=0)
    try:
        asked = enqueue(redis_conn, "2099-01-01T04-02-00", queue.CUT_NOW)
        assert asked is not None and asked.dependency_ids == [running]
        for _ in range(100):  # the worker names itself on the job a moment after it starts
            if Job.fetch(running, connection=redis_conn).worker_name:
                break
            time.sleep(0.05)
        send_stop_job_command(redis_conn, running)
        assert worker.wait(timeout=30) is not None
    finally:
        worker.kill()
    assert Job.fetch(running, connection=redis_conn).get_status() == JobStatus.STOPPED
    return asked


def test_the_command_names_the_cut_a_replacing_job_makes(redis_url, redis_conn, app, capsys):
    """`surveys close --enqueue` asks for the unit figures' release; where it replaces a job
    left waiting that would cut the survey's release now too, its job cuts both, and the
    command says "release", not the kind it asked for (it did, before)."""
    from datetime import datetime
    from types import SimpleNamespace

    from webapp.cli.results import queue_cut

    left_waiting(redis_url, redis_conn)
    with app.app_context():
        queue_cut(SimpleNamespace(id=SURVEY, slug="kysely"), datetime(2099, 1, 1, 5),
                  queue.CUT_UNITS)
    out = capsys.readouterr().out
    assert "kysely: release queued for the release worker" in out, out
    (job_id,) = releasing(redis_conn).job_ids
    assert queue.what_of(Job.fetch(job_id, connection=redis_conn)) == queue.CUT_NOW
    # Asked alone, it is named as asked.
    other = SimpleNamespace(id=SURVEY + 1, slug="toinen")
    with app.app_context():
        queue_cut(other, datetime(2099, 1, 1, 5), queue.CUT_UNITS)
    assert "toinen: unit figures' release queued" in capsys.readouterr().out


def test_a_job_left_waiting_for_a_stopped_one_does_not_block_the_survey(redis_url, redis_conn):
    """RQ never releases the dependents of a job that was stopped (or cancelled, or deleted):
    an operator's cut waiting for it would wait for good, and, waiting, cover every later
    request of its survey. The next request replaces it, cutting what either would (found by
    review, on a real worker as here)."""
    asked = left_waiting(redis_url, redis_conn)
    deferred = DeferredJobRegistry(queue=releasing(redis_conn))
    assert deferred.get_job_ids() == [asked.id]  # left waiting
    # The hourly job run again in the stopped job's own hour cannot take its id: nothing is
    # queued, and the operator's request is not lost with it (it stays, to be replaced).
    assert enqueue(redis_conn, "2099-01-01T03") is None
    assert deferred.get_job_ids() == [asked.id]
    hourly = enqueue(redis_conn, "2099-01-01T05")
    assert hourly is not None, "a job left waiting blocked the survey's releases"
    assert Job.fetch(hourly.id, connection=redis_conn).args[2] == queue.CUT_NOW  # both
    assert deferred.get_job_ids() == [] and not Job.exists(asked.id, connection=redis_conn)
    assert releasing(redis_conn).job_ids == [hourly.id]
    assert enqueue(redis_conn, "2099-01-01T05-10-00", queue.CUT_NOW) is None  # covered


def test_the_wider_of_two_cuts():
    assert queue._wider(queue.CUT_DUE, queue.CUT_UNITS) == queue.CUT_DUE
    assert queue._wider(queue.CUT_UNITS, queue.CUT_UNITS) == queue.CUT_UNITS
    for kind in queue.CUT_WHAT:
        assert queue._wider(kind, queue.CUT_NOW) == queue.CUT_NOW
        assert queue._wider(queue.CUT_NOW, kind) == queue.CUT_NOW
