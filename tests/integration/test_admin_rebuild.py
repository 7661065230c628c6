"""The aggregates recounted from the admin side (issue 15: long admin actions show progress in
the browser): a national admin starts the rebuild, a job recounts, and the page shows how far
it is (updated in place by a script where one runs) until it says how many responses were
counted; the same as `palaute aggregates rebuild`."""

from __future__ import annotations

import re

from sqlalchemy import delete

from surveys.accounts.audit import latest
from surveys.fold import aggregation
from surveys.infra import db
from surveys.models import Aggregate
from tests.conftest import VALID_ANSWERS, admin_csrf, make_user, run_worker, sign_in, submit


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_rebuild_runs_as_a_job_and_its_page_shows_progress(admin_client, client, demo_survey,
                                                             redis_conn, database_url):
    for got_help in "12345":
        submit(client, demo_survey, "fi", {**VALID_ANSWERS, "got_help": got_help})
    run_worker(redis_conn)
    with db.session_scope(database_url) as s:
        ids = aggregation.rebuildable_ids(s)
        expected = aggregation.stored_counts(s, ids)
        s.execute(delete(Aggregate))  # lost: only a recount brings them back

    page = admin_client.get("/fi/admin/queue").get_data(as_text=True)
    assert 'action="/fi/admin/queue/rebuild"' in page
    resp = admin_client.post("/fi/admin/queue/rebuild", data={"csrf_token": csrf(page)})
    assert resp.status_code == 303
    url = resp.headers["Location"]
    assert re.fullmatch(r"/fi/admin/queue/tasks/[0-9a-f]{32}", url)
    waiting = admin_client.get(url).get_data(as_text=True)
    assert "data-refresh" in waiting and f'<a href="{url}">Tarkista uudelleen</a>' in waiting
    assert '<progress id="task-progress" max="100" value="0">' in waiting

    run_worker(redis_conn)
    done = admin_client.get(url).get_data(as_text=True)
    assert "data-refresh" not in done
    assert "Valmis: 5 vastausta" in done
    with db.session_scope(database_url) as s:
        assert aggregation.stored_counts(s, ids) == expected
        actions = [e.action for e in latest(s, 10)]
    assert "aggregates.rebuild" in actions


def test_only_national_admins_rebuild(app, database_url):
    make_user(database_url, "alue@example.fi", "region_admin", region="06")
    region = app.test_client()
    assert sign_in(region, "alue@example.fi").status_code == 303
    token = admin_csrf(region)
    assert region.post("/fi/admin/queue/rebuild", data={"csrf_token": token}).status_code == 404
    assert region.get(f"/fi/admin/queue/tasks/{'0' * 32}").status_code == 404


def test_an_unknown_task_is_not_found(admin_client):
    assert admin_client.get(f"/fi/admin/queue/tasks/{'a' * 32}").status_code == 404
    assert admin_client.get("/fi/admin/queue/tasks/not-an-id").status_code == 404
