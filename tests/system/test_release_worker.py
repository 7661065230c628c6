"""The release queue's own worker (the Procfile's `releases`): a cut that audits for minutes
never holds back the fold, whose freshness is counted in seconds."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import func, select

from surveys.infra import db, queue
from surveys.infra.settings import RELEASE_QUEUE_NAME
from surveys.models import ResultRelease, Survey
from tests.system.stack import Respondent, Stack, assert_all_counted_once, wait_until

pytestmark = pytest.mark.slow


def releases_of(database_url: str, slug: str) -> int:
    with db.session_scope(database_url) as s:
        return s.scalar(select(func.count()).select_from(ResultRelease).join(Survey)
                        .where(Survey.slug == slug)) or 0


def test_a_long_cut_does_not_hold_back_the_fold(database_url, redis_server, demo_survey,
                                                tmp_path):
    stack = Stack(database_url, redis_server.url, tmp_path, RESULTS_RELEASE="daily")
    conn = redis.Redis.from_url(redis_server.url)
    try:
        stack.web(workers=1)
        stack.worker()
        stack.releases()
        # The release worker busy, as with a national survey's cut.
        busy = queue.queue(conn, RELEASE_QUEUE_NAME).enqueue(
            "tests.system.stack.hold_until_pushed", redis_server.url, "test:go", 120,
            job_timeout=180)
        wait_until(lambda: busy.get_status(refresh=True) == "started", 30, 0.1,
                   "the release worker to take the long job")
        respondent = Respondent(stack.base, demo_survey)
        acknowledged = sum(respondent.answer() for _ in range(6))
        assert acknowledged == 6
        assert_all_counted_once(database_url, acknowledged, timeout=30)
        assert busy.get_status(refresh=True) == "started"  # the fold did not wait for it
        # The hourly job (on the fold's queue) queues the cut; the release worker cuts it once
        # the long job is done.
        queue.enqueue(conn, "workers.jobs.cut_releases")
        with db.session_scope(database_url) as s:
            survey_id = s.scalar(select(Survey.id).where(Survey.slug == demo_survey))
        wait_until(lambda: any(j.startswith(f"release-{survey_id}-") for j in
                               queue.queue(conn, RELEASE_QUEUE_NAME).job_ids), 30, 0.1,
                   "the cut to be queued")
        assert releases_of(database_url, demo_survey) == 0
        conn.rpush("test:go", "1")
        wait_until(lambda: releases_of(database_url, demo_survey) == 1, 60, 0.2,
                   "the release worker to cut the release")
    finally:
        stack.stop()
