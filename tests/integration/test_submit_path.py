"""The lean submit path (docs/performance.md) keeps every promise of the slow one.

- Surveys kept per web process (surveys.snapshots): a change made by another process can't make
  a response land in a closed survey, or be validated against an old revision.
- The CSRF token is bound to the browser's form cookie, without a server-side session.
- Most submissions skip Redis, yet every committed response is claimed by a scheduled fold.
- PostgreSQL connections are pinged only after resting, and a dead one is replaced.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from surveys.collect import store
from surveys.collect.answers import Checked
from surveys.definitions import demo, lifecycle, lookup
from surveys.fold import aggregation
from surveys.infra import db, queue
from surveys.models import SubmissionReceipt, Survey
from tests.conftest import SETTINGS, TEST_ENV, VALID_ANSWERS, form_tokens
from webapp.respond import form_tokens as tokens_module

PALAUTE = Path(sys.executable).parent / "palaute"


def stored(database_url) -> tuple[int, int, int]:
    with db.session_scope(database_url) as s:
        # (responses stored, held or moved; not yet folded; receipts)
        return (aggregation.stored_count(s), aggregation.pending_count(s),
                s.scalar(select(func.count()).select_from(SubmissionReceipt)))


def other_process(*args: str) -> None:
    """Run the CLI in a process of its own: its commit can't reach this process's snapshots."""
    result = subprocess.run([str(PALAUTE), *args], env={**os.environ, **TEST_ENV},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def long_snapshots(settings, redis_conn):
    """An app that keeps surveys longer than the CLI takes to start, so the web side still
    holds the old snapshot."""
    from webapp import create_app

    return create_app(settings.with_overrides(survey_cache_s=120.0), {"TESTING": True})


def test_closed_in_another_process_nothing_lands(demo_survey, database_url, long_snapshots):
    client = long_snapshots.test_client()
    data = {**form_tokens(client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)),
            **VALID_ANSWERS}
    other_process("surveys", "close", demo_survey)
    # The kept snapshot still says "open" (a form may be shown a little after closing) ...
    assert client.get(f"/fi/s/{demo_survey}").status_code == 200
    # ... but the INSERT's own guard refuses, and the survey is read again.
    resp = client.post(f"/fi/s/{demo_survey}", data=data)
    assert resp.status_code == 410
    assert stored(database_url) == (0, 0, 0)
    assert client.get(f"/fi/s/{demo_survey}").status_code == 410


def test_revised_in_another_process_is_validated_again(demo_survey, database_url,
                                                       long_snapshots, tmp_path):
    client = long_snapshots.test_client()
    page = client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    with db.session_scope(database_url) as s:
        before = lookup.find(s, demo_survey).revision
    # Once published only texts may change: the title does.
    changed = demo.definitions()[0].replace("Asiakaskokemus sosiaali-", "Uusi otsikko sosiaali-")
    path = tmp_path / "survey.yaml"
    path.write_text(changed, encoding="utf-8")
    other_process("surveys", "import", str(path))
    with db.session_scope(database_url) as s:
        assert lookup.find(s, demo_survey).revision == before + 1
    # Still the old title from the kept snapshot; the POST is stored against the new revision.
    assert "Uusi otsikko" not in client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)
    resp = client.post(f"/fi/s/{demo_survey}", data={**form_tokens(page), **VALID_ANSWERS})
    assert resp.status_code == 303
    assert stored(database_url) == (1, 1, 1)
    assert "Uusi otsikko" in client.get(f"/fi/s/{demo_survey}").get_data(as_text=True)


def test_store_response_checks_status_and_revision_in_its_transaction(database_url):
    with db.session_scope(database_url) as s:
        demo.seed(s)
    checked = Checked(answers={"recommend": 9, "service": "dental", "got_help": 4},
                      region="17")
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, "asiakaskokemus-2026")
        snapshot = lookup.visible(s, survey.slug)
        first = survey.revision
        survey.min_group_size = survey.min_group_size + 1  # any ORM change raises the revision
    with db.session_scope(database_url) as s:
        assert lookup.find(s, "asiakaskokemus-2026").revision == first + 1
        with pytest.raises(store.SurveyChanged):
            store.store_response(s, snapshot, "fi", checked, "t1", date(2026, 5, 1))
    assert stored(database_url) == (0, 0, 0)
    with db.session_scope(database_url) as s:
        fresh = lookup.visible(s, "asiakaskokemus-2026")
        assert store.store_response(s, fresh, "fi", checked, "t1", date(2026, 5, 1))
        assert not store.store_response(s, fresh, "fi", checked, "t1", date(2026, 5, 1))
        lifecycle.close(s, "asiakaskokemus-2026")
    with db.session_scope(database_url) as s:
        closed = lookup.find(s, "asiakaskokemus-2026")
        with pytest.raises(store.SurveyChanged):
            store.store_response(s, closed, "fi", checked, "t2", date(2026, 5, 1))
    assert stored(database_url) == (1, 1, 1)


def test_a_change_committed_here_is_seen_at_once(client, demo_survey, database_url):
    assert client.get(f"/fi/s/{demo_survey}").status_code == 200
    with db.session_scope(database_url) as s:
        lifecycle.close(s, demo_survey)
    assert client.get(f"/fi/s/{demo_survey}").status_code == 410


# --- CSRF without a session -----------------------------------------------------------------

def test_csrf_token_is_bound_to_the_browser_cookie(app, demo_survey, database_url):
    alice, mallory = app.test_client(), app.test_client()
    alice_page = alice.get(f"/fi/s/{demo_survey}")
    set_cookies = alice_page.headers.getlist("Set-Cookie")
    form_cookie = [c for c in set_cookies if c.startswith(f"{tokens_module.COOKIE}=")]
    assert len(form_cookie) == 1
    assert "HttpOnly" in form_cookie[0] and "SameSite=Lax" in form_cookie[0]
    # No server-side session, so no session cookie for a respondent.
    assert not [c for c in set_cookies if c.startswith("session=")]
    alice_tokens = form_tokens(alice_page.get_data(as_text=True))
    # Mallory's browser (another cookie) can't use Alice's tokens ...
    mallory.get(f"/fi/s/{demo_survey}")
    resp = mallory.post(f"/fi/s/{demo_survey}", data={**alice_tokens, **VALID_ANSWERS})
    assert resp.status_code == 400
    assert "Hyvää palvelua." in resp.get_data(as_text=True)
    assert stored(database_url) == (0, 0, 0)
    # ... and Alice can, once.
    assert alice.post(f"/fi/s/{demo_survey}",
                      data={**alice_tokens, **VALID_ANSWERS}).status_code == 303
    assert stored(database_url) == (1, 1, 1)


def test_a_post_without_the_cookie_gets_a_form_that_works(app, demo_survey, database_url):
    first = app.test_client()
    page_tokens = form_tokens(first.get(f"/fi/s/{demo_survey}").get_data(as_text=True))
    cookieless = app.test_client()  # e.g. the cookie was cleared between GET and POST
    resp = cookieless.post(f"/fi/s/{demo_survey}", data={**page_tokens, **VALID_ANSWERS})
    assert resp.status_code == 400
    assert any(c.startswith(f"{tokens_module.COOKIE}=")
               for c in resp.headers.getlist("Set-Cookie"))
    again = form_tokens(resp.get_data(as_text=True))
    resend = cookieless.post(f"/fi/s/{demo_survey}", data={**again, **VALID_ANSWERS})
    assert resend.status_code == 303
    assert stored(database_url) == (1, 1, 1)


def test_csrf_token_from_another_secret_key_is_refused(database_url, redis_url, redis_conn,
                                                       demo_survey):
    from webapp import create_app

    one = create_app(SETTINGS.with_overrides(database_url=database_url, redis_url=redis_url,
                                           secret_key="one" * 20), {"TESTING": True})
    other = create_app(SETTINGS.with_overrides(database_url=database_url, redis_url=redis_url,
                                           secret_key="two" * 20), {"TESTING": True})
    client = one.test_client()
    page_tokens = form_tokens(client.get(f"/fi/s/{demo_survey}").get_data(as_text=True))
    client_other = other.test_client()
    client_other.set_cookie(tokens_module.COOKIE,
                            client.get_cookie(tokens_module.COOKIE).value)
    resp = client_other.post(f"/fi/s/{demo_survey}", data={**page_tokens, **VALID_ANSWERS})
    assert resp.status_code == 400
    assert stored(database_url) == (0, 0, 0)


# --- Redis only when needed -----------------------------------------------------------------

def test_one_redis_call_schedules_the_fold_for_many_submissions(redis_conn):
    assert queue.notify_submitted(redis_conn)
    assert redis_conn.exists(queue.FOLD_SCHEDULED_KEY)
    assert queue.queue(redis_conn).count == 1
    # Within the window this process knows a fold is scheduled: no call to Redis at all (the
    # flag deleted behind its back is not set again).
    redis_conn.delete(queue.FOLD_SCHEDULED_KEY)
    for _ in range(50):
        assert queue.notify_submitted(redis_conn)
    assert not redis_conn.exists(queue.FOLD_SCHEDULED_KEY)
    assert queue.queue(redis_conn).count == 1
    # After the window, it asks again and schedules a new fold.
    time.sleep(queue.FOLD_COALESCE_S)
    assert queue.notify_submitted(redis_conn)
    assert redis_conn.exists(queue.FOLD_SCHEDULED_KEY)
    assert queue.queue(redis_conn).count == 2


def test_the_flag_is_never_cleared_inside_a_window_given_out(redis_conn, redis_url):
    """A fold deletes the flag (then claims) only after every window based on it has ended."""
    queue._scheduled_until.clear()
    t0 = time.monotonic()
    queue.notify_submitted(redis_conn)
    window_end = queue._scheduled_until[redis_conn.connection_pool]
    assert window_end > t0
    other = queue.connect(redis_url)  # another web process's connection
    cleared_at: list[float] = []

    def fold() -> None:
        queue.clear_fold_flag(queue.connect(redis_url))
        cleared_at.append(time.monotonic())

    worker = threading.Thread(target=fold)
    worker.start()
    # A second process sees the flag later and gets a shorter window of its own.
    time.sleep(0.2)
    queue.notify_submitted(other)
    other_end = queue._scheduled_until[other.connection_pool]
    worker.join(5)
    assert cleared_at and cleared_at[0] >= max(window_end, other_end)
    assert cleared_at[0] - t0 >= queue.FOLD_COALESCE_S - 0.01
    assert not redis_conn.exists(queue.FOLD_SCHEDULED_KEY)


def test_a_fold_leaves_a_newer_flag_alone(redis_conn):
    age_ms = int(queue.FOLD_COALESCE_S * 1000) + 100
    redis_conn.set(queue.FOLD_SCHEDULED_KEY, "old",
                   px=queue.FOLD_SCHEDULED_TTL_S * 1000 - age_ms)

    def no_wait(_seconds: float) -> None:
        raise AssertionError("a flag older than FOLD_COALESCE_S needs no wait")

    # The flag is old enough: no wait. Had another job replaced it meanwhile, the new one stays.
    real_eval = redis_conn.eval

    def swap_then_eval(*args):
        redis_conn.set(queue.FOLD_SCHEDULED_KEY, "new")
        return real_eval(*args)

    redis_conn.eval = swap_then_eval
    queue.clear_fold_flag(redis_conn, sleep=no_wait)
    assert redis_conn.get(queue.FOLD_SCHEDULED_KEY) == b"new"


def test_submissions_end_up_folded_with_the_worker(client, demo_survey, database_url,
                                                   redis_conn):
    from tests.conftest import run_worker, submit

    for _ in range(7):
        assert submit(client, demo_survey).status_code == 303
    run_worker(redis_conn)
    with db.session_scope(database_url) as s:
        assert aggregation.pending_count(s) == 0
        survey = s.scalar(select(Survey).where(Survey.slug == demo_survey))

        counts = aggregation.stored_counts(s, [survey.id])
        assert sum(v for k, v in counts.items() if k.question_id == "*") == 7


# --- PostgreSQL connections -----------------------------------------------------------------

def test_a_rested_dead_connection_is_replaced(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("the ping on checkout is for PostgreSQL (SQLite has no server to lose)")
    monkeypatch.setattr(db, "IDLE_PING_S", 0.2)
    engine = db.get_engine.__wrapped__(database_url)  # a pool of its own, as a web process has
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        killer = db.get_engine.__wrapped__(database_url)
        with killer.connect() as k:
            assert k.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        killer.dispose()
        time.sleep(0.3)
        with engine.connect() as conn:  # pinged, found dead, replaced: no error
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()


def test_a_connection_the_server_closed_is_replaced_without_resting(database_url):
    """No rest needed when the server said goodbye: the idle socket is readable."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the ping on checkout is for PostgreSQL (SQLite has no server to lose)")
    engine = db.get_engine.__wrapped__(database_url)
    killer = db.get_engine.__wrapped__(database_url)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with killer.connect() as k:
            assert k.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        time.sleep(0.1)  # the termination notice reaches the client's socket
        with engine.connect() as conn:  # at once, well inside IDLE_PING_S
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()
        killer.dispose()
