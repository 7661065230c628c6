"""Fold throughput: one worker folding a backlog of up to 1,000,000 responses (the real batched
fold), and the one-job-per-response design for comparison (docs/performance.md, steps 6, 8)."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime

from ..common import BIN, log
from ..environment import Environment


def measure_backlog(env: Environment) -> tuple[int, float]:
    """Bulk-load up to --n-large stored responses and let the running worker fold them in one
    fold_pending job. Returns (responses folded, seconds the jobs ran)."""
    from surveys.infra import queue

    env.phase("load-1m")
    missing = env.args.n_large - env.stored()
    env.bulk(missing, seed=2)
    env.phase("fold-1m")
    since = datetime.now(UTC)
    fold_start = time.monotonic()
    queue.enqueue_fold(env.redis)
    fold_wall = env.wait_folded(env.args.max_seconds)
    log(f"folded {missing} in {fold_wall:.1f} s (wall, incl. scheduling)")
    folded, spent = jobs_since(env, since)
    if folded < missing * 0.9 or spent <= 0:  # job records gone: fall back to wall time
        folded, spent = missing, time.monotonic() - fold_start
    return folded, spent


def jobs_since(env: Environment, since: datetime) -> tuple[int, float]:
    """(responses folded, seconds spent) by fold_pending jobs that started after `since`."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    from surveys.infra import queue

    reg = FinishedJobRegistry(queue=queue.queue(env.redis))
    folded, spent = 0, 0.0
    for job in Job.fetch_many(reg.get_job_ids(), connection=env.redis):
        if job is None or job.func_name != "workers.jobs.fold_pending":
            continue
        started = job.started_at.replace(tzinfo=UTC) if job.started_at else None
        if started is None or started < since or job.ended_at is None:
            continue
        n = job.return_value() or 0
        if n:
            folded += n
            spent += (job.ended_at.replace(tzinfo=UTC) - started).total_seconds()
    return folded, spent


def measure_per_response(env: Environment, n: int) -> dict:
    """One RQ job per response (bench/jobs.py), run by RQ's forking worker with the job code
    preloaded, bounded in time: the rate is what matters, not emptying the queue."""
    from rq import Queue
    from rq.job import Job

    ids = env.bulk(n, seed=3)
    q = Queue("bench-one", connection=env.redis)
    jobs = q.enqueue_many([Queue.prepare_data("bench.jobs.fold_one", args=(str(i),),
                                              result_ttl=3600) for i in ids])
    env.phase("fold-per-response")
    proc = env.procs.start("worker-one", [str(BIN / "rq"), "worker", "--burst", "--url",
                                          env.redis_url, "--worker-class",
                                          "bench.jobs.PreloadedWorker", "bench-one"])
    env.sampler.watch("worker-one", proc.pid)
    try:
        proc.wait(min(env.args.per_response_seconds,
                      max(10.0, env.deadline - time.monotonic())))
    except subprocess.TimeoutExpired:
        pass
    finally:
        env.sampler.unwatch("worker-one")
        env.procs.stop("worker-one")
    fetched = [j for j in Job.fetch_many([j.id for j in jobs], connection=env.redis) if j]
    done = [j for j in fetched if j.ended_at and j.started_at]
    if not done:
        return {"per_s": 0.0, "jobs": 0}
    start = min(j.started_at for j in done)
    end = max(j.ended_at for j in done)
    folded = sum(1 for j in done if j.return_value() == 1)
    return {"per_s": folded / max((end - start).total_seconds(), 1e-9), "jobs": len(done),
            "folded": folded, "seconds": (end - start).total_seconds()}
