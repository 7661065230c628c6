"""The large export (every survey × place × month) runs as an RQ job through the real worker:
a page that shows the job's progress, then a download link; asking twice
starts one job; files expire after 24 hours (the daily cron job deletes them)."""

from __future__ import annotations

import io
import re
import time

from surveys.definitions import lookup
from surveys.infra import db, export_status, queue
from surveys.report import bulk_export
from tests.conftest import VALID_ANSWERS, run_worker, submit


def _answer(client, slug, n, region, redis_conn):
    for _ in range(n):
        assert submit(client, slug, "fi", {**VALID_ANSWERS, "region": region}).status_code == 303
    run_worker(redis_conn)


def _start(client, url):
    resp = client.get(url)
    assert resp.status_code == 303
    location = resp.headers["Location"]
    export_id = re.search(r"/exports/([0-9a-f]{32})$", location).group(1)
    return location, export_id


def test_export_of_everything_through_the_worker(client, demo_survey, redis_conn, settings):
    _answer(client, demo_survey, 6, "17", redis_conn)
    _answer(client, demo_survey, 2, "19", redis_conn)
    location, export_id = _start(client, "/fi/results/export-all.csv")
    # Asked again before the job ran: the same export, one job.
    assert _start(client, "/fi/results/export-all.csv")[1] == export_id
    assert queue.queue(redis_conn).count == 1
    page = client.get(location)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    # No timed reload (WCAG 2.2.1): a link to look again, and a script that only enhances it.
    assert "http-equiv" not in html and 'data-refresh' in html
    assert f'<a href="{location}">Tarkista uudelleen</a>' in html
    assert '<script src="/static/refresh.js" defer></script>' in html
    assert "0 % valmiina" in html and 'value="0"' in html and "/download" not in html

    run_worker(redis_conn)  # the real worker runs workers.jobs.export_all

    assert export_status.get(redis_conn, export_id)["state"] == "done"
    done = client.get(location).get_data(as_text=True)
    assert "data-refresh" not in done and "refresh.js" not in done
    link = f"/fi/results/exports/{export_id}/download"
    assert link in done
    resp = client.get(link)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data().decode("utf-8")
    assert text.startswith("\ufeffKysely;Alue;Kuukausi;")
    lines = text.splitlines()
    title = "Asiakaskokemus sosiaali- ja terveyspalveluissa 2026"
    rows = [line.split(";") for line in lines[1:] if line.startswith(f"{title};")]
    counts = {(r[1], r[4]) for r in rows if r[3] == "Vastaajat"}
    assert ("Suomi", "8") in counts
    # Pohjois-Pohjanmaa (2 respondents) is suppressed, and so is what would give it away:
    # empty cells, never a number below the threshold.
    assert ("Pohjois-Pohjanmaan hyvinvointialue", "") in counts
    assert all(n == "" or int(n) >= 5 for _place, n in counts), counts
    places = {r[1] for r in rows}
    assert {"Suomi", "Pohjanmaan hyvinvointialue", "Pohjois-Pohjanmaan hyvinvointialue"} <= places


def test_the_page_shows_the_progress_the_job_stores(client, demo_survey, redis_conn):
    location, export_id = _start(client, "/sv/results/export-all.xlsx")
    export_status.update(redis_conn, export_id, state="running", percent=42)
    html = client.get(location).get_data(as_text=True)
    assert 'value="42"' in html and "42 %" in html and "data-refresh" in html


def test_the_job_reports_progress_to_the_end(database_url, demo_survey):
    seen = []
    with db.session_scope(database_url) as s:
        surveys = lookup.listing(s)
        bulk_export.build(s, surveys, "fi", "live", lambda done, total: seen.append((done,
                                                                                     total)))
    total = len(surveys) * 28
    assert seen == [(i, total) for i in range(1, total + 1)]


def test_xlsx_export_and_expiry(client, demo_survey, redis_conn, settings):
    from openpyxl import load_workbook

    _answer(client, demo_survey, 5, "17", redis_conn)
    location, export_id = _start(client, "/sv/results/export-all.xlsx")
    run_worker(redis_conn)
    resp = client.get(f"/sv/results/exports/{export_id}/download")
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.get_data()))
    data = book.worksheets[0]
    assert [c.value for c in data[1]][:3] == ["Enkät", "Område", "Månad"]
    assert book.worksheets[1]["B3"].value == "CC BY 4.0"
    # After 24 hours the daily job deletes the file, and it is no longer offered.
    from workers.jobs import purge_exports

    assert purge_exports(time.time() + 3600) == 0
    assert purge_exports(time.time() + 24 * 3600 + 1) >= 1
    assert not any(settings.exports_path.glob(f"{export_id}.*"))
    assert client.get(f"/sv/results/exports/{export_id}/download").status_code == 404


def test_bad_export_requests(client, demo_survey):
    assert client.get("/fi/results/export-all.pdf").status_code == 404
    assert client.get("/fi/results/exports/" + "0" * 32).status_code == 404
    assert client.get("/fi/results/exports/not-an-id").status_code == 404
