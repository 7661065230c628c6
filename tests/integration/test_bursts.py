"""Ballot-stuffing signal: a burst of submissions to one survey in one county, far above its
usual rate, is flagged in the logs and on the admin queue-health page; a usual rate is not."""

from __future__ import annotations

import re
import time

import pytest
from rq import SimpleWorker
from sqlalchemy import select, update

from surveys.infra import bursts, db, queue
from surveys.models import PendingResponse
from tests.conftest import SETTINGS, VALID_ANSWERS, form_tokens, lines
from workers import jobs

SECRET_COMMENT = "Salainen kommentti 9b2c, puhelin 040 765 4321"
FLOOR = 3  # tests' floor: a burst needs more than 3 submissions in an hour


@pytest.fixture
def app(settings, redis_conn):
    from webapp import create_app

    return create_app(settings.with_overrides(burst_floor=FLOOR, burst_factor=5.0,
                                              burst_flush_s=0.0), {"TESTING": True})


def submit(client, slug, region="17"):
    page = client.get(f"/fi/s/{slug}")
    data = {**form_tokens(page.get_data(as_text=True)), **VALID_ANSWERS, "region": region,
            "comment": SECRET_COMMENT}
    resp = client.post(f"/fi/s/{slug}", data=data, environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert resp.status_code == 303


def usual_rate(conn, slug, county, per_hour):
    """`per_hour` submissions in each of the previous 24 hours."""
    now = time.time()
    for hours_ago in range(1, bursts.BASELINE_BUCKETS + 1):
        for _ in range(per_hour):
            bursts.record(conn, slug, county, factor=5.0, floor=10 ** 6,
                          now=now - hours_ago * bursts.BUCKET_S)


def burst_lines(stream):
    return [e for e in lines(stream) if e["msg"].startswith("burst of submissions")]


def test_a_burst_is_flagged_in_the_log_and_on_the_queue_page(client, admin_client, demo_survey,
                                                             redis_conn, log_stream):
    usual_rate(redis_conn, demo_survey, "17", 0)  # a quiet survey: the floor decides
    for _ in range(FLOOR):
        submit(client, demo_survey)
    assert burst_lines(log_stream) == []
    for _ in range(3):
        submit(client, demo_survey)
    submit(client, demo_survey, region="21")  # another county: its own rate

    flagged = burst_lines(log_stream)
    assert len(flagged) == 1  # once per hour, not once per submission
    entry = flagged[0]
    assert entry["level"] == "warning"
    assert entry["survey"] == demo_survey and entry["county"] == "17"
    assert entry["submissions"] == FLOOR + 1 and entry["baseline"] == 0
    raw = log_stream.getvalue()
    assert SECRET_COMMENT not in raw and "192.0.2.77" not in raw and "040 765" not in raw

    page = admin_client.get("/fi/admin/queue")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="bursts"' in html
    assert demo_survey in html and "Pohjanmaan hyvinvointialue (17)" in html
    assert "<td>6</td>" in html  # the count so far, not just when flagged
    assert "(21)" not in html
    assert SECRET_COMMENT not in html


def test_a_usual_rate_is_not_flagged(client, admin_client, demo_survey, redis_conn, log_stream):
    usual_rate(redis_conn, demo_survey, "17", 2)  # median 2: the limit is 5 x 2 = 10
    for _ in range(6):
        submit(client, demo_survey)
    assert burst_lines(log_stream) == []
    html = admin_client.get("/fi/admin/queue").get_data(as_text=True)
    assert 'id="bursts"' not in html
    # The same survey five times over its usual rate is flagged.
    for _ in range(5):
        submit(client, demo_survey)
    assert [e["submissions"] for e in burst_lines(log_stream)] == [11]


def test_queue_page_shows_backlog_quarantine_and_failed_jobs(client, admin_client, demo_survey,
                                                             redis_conn):
    for _ in range(3):
        submit(client, demo_survey)
    html = admin_client.get("/sv/admin/queue").get_data(as_text=True)
    assert 'id="pending">3<' in html and 'id="waiting">1<' in html
    assert 'id="quarantined"' not in html and 'id="failed"' not in html

    with db.session_scope(SETTINGS) as s:
        rid = s.scalar(select(PendingResponse.id).limit(1))
        s.execute(update(PendingResponse).where(PendingResponse.id == rid)
                  .values(answers=[SECRET_COMMENT]))
    assert jobs.fold_pending() == 3
    queue.enqueue(redis_conn, "workers.jobs.purge_expired", "not a date")  # fails
    SimpleWorker([queue.queue(redis_conn)], connection=redis_conn).work(burst=True)

    html = admin_client.get("/sv/admin/queue").get_data(as_text=True)
    assert 'id="pending">0<' in html
    assert 'id="quarantined"' in html and f"({demo_survey})</th><td>1</td>" in html
    assert 'id="failed"' in html and "workers.jobs.purge_expired" in html
    assert "ValueError" in html
    assert SECRET_COMMENT not in html
    assert "Responser i karantän" in html  # in Swedish


def test_queue_page_without_redis_still_shows_the_database(settings, admin_client, demo_survey,
                                                           redis_conn):
    from webapp import create_app

    down = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0"),
                      {"TESTING": True})
    # Signed in while Redis answered (sign-in needs it); Redis is gone since.
    client = down.test_client()
    for cookie in admin_client._cookies.values():
        client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    resp = client.get("/fi/admin/queue")
    assert resp.status_code == 200
    assert 'id="pending">0<' in resp.get_data(as_text=True)


def test_limit_is_the_median_times_the_factor_with_a_floor():
    assert bursts.limit_for([0] * 24, 5.0, 30) == (0.0, 30.0)
    assert bursts.limit_for([10] * 23 + [1000], 5.0, 30) == (10.0, 50.0)  # one burst ignored
    assert bursts.limit_for([], 5.0, 30) == (0.0, 30.0)


def test_a_web_process_adds_its_counts_to_redis_once_per_flush_interval(redis_conn):
    def note(flush_s):
        return bursts.note_submission(redis_conn, "s", "17", factor=5.0, floor=3,
                                      flush_s=flush_s)

    def stored():
        bucket = bursts.bucket_of(time.time())
        return int(redis_conn.get(f"palaute:rate:s:17:{bucket}") or 0)

    assert note(60.0) is None and stored() == 1  # the first is added at once
    for _ in range(4):
        assert note(60.0) is None
    assert stored() == 1  # summed in the process meanwhile
    burst = note(0.0)  # the interval is over: all six in one round trip
    assert stored() == 6 and burst is not None and burst.submissions == 6
    assert bursts.note_submission(redis_conn, "s", None, factor=5.0, floor=3,
                                  flush_s=0.0) is None  # no county: nothing counted


def test_a_failed_job_is_requeued_from_the_queue_page(admin_client, demo_survey, redis_conn,
                                                      settings):
    """National admins put a failed job back on the queue (RQ's FailedJobRegistry); audited."""
    from rq.registry import FailedJobRegistry

    from surveys.accounts.audit import latest

    queue.enqueue(redis_conn, "workers.jobs.purge_expired", "not a date")  # fails
    SimpleWorker([queue.queue(redis_conn)], connection=redis_conn).work(burst=True)
    registry = FailedJobRegistry(queue=queue.queue(redis_conn))
    [job_id] = registry.get_job_ids()
    page = admin_client.get("/fi/admin/queue").get_data(as_text=True)
    assert f'name="job" value="{job_id}"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = admin_client.post("/fi/admin/queue/requeue", data={"csrf_token": token, "job": job_id})
    assert resp.status_code == 303
    assert registry.get_job_ids() == [] and queue.queue(redis_conn).count == 1
    again = admin_client.post("/fi/admin/queue/requeue", data={"csrf_token": token, "job": job_id})
    assert again.status_code == 404
    with db.session_scope(SETTINGS) as s:
        actions = [(e.action, e.outcome) for e in latest(s, 10)]
    assert ("queue.requeue", "ok") in actions and ("queue.requeue", "not_found") in actions
