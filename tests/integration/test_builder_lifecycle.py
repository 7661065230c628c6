"""The builder's organisation field for staff surveys (the YAML import's own check), and the
end of the life cycle in the admin UI: a closed survey archived (out of every public list and
page, its results still readable on the admin side by the accounts allowed, its raw answers
purged on the same date as a closed survey's)."""

from __future__ import annotations

import re
from datetime import date

import yaml
from sqlalchemy import func, select

from surveys.definitions import lifecycle, lookup
from surveys.fold import retention
from surveys.infra import db
from surveys.models import AuditEvent, PendingResponse, Response
from surveys.staff import units
from tests.conftest import make_user, run_worker, sign_in, submit
from tests.integration.test_builder import NEW, click, error_at

ORGS = {"17": "ORG1", "06": "ORG2"}


def client_for(app, database_url, email: str, role: str, **kwargs):
    make_user(database_url, email, role, **kwargs)
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    return client


def import_orgs(database_url):
    with db.session_scope(database_url) as s:
        for region, org in ORGS.items():
            units.import_file(s, region, f"code,parent_code,name_fi,name_sv,headcount\n"
                                         f"{org},,Organisaatio {org},Organisation {org},50\n"
                                         f"{org}-A,{org},Yksikkö A,Enhet A,20\n".encode())


def options(html: str, select_id: str) -> list[str]:
    part = html.split(f'id="{select_id}"')[1].split("</select>")[0]
    return [v for v in re.findall(r'<option value="([^"]*)"', part) if v]


STAFF = {"slug": "henkilosto", "audience": "staff", "scope": "17", "organisation": "ORG1",
         "title.fi": "Henkilöstökysely", "q0.text.fi": "Viihdytkö työssäsi?"}


def test_organisation_field_round_trip(app, database_url):
    import_orgs(database_url)
    hr = client_for(app, database_url, "hr@example.fi", "hr_admin", org="ORG1")
    html = hr.get(NEW).get_data(as_text=True)
    # Only the organisations the account may manage are offered; an HR admin's new survey is
    # a staff survey of the organisation's county from the start.
    assert options(html, "organisation") == ["ORG1"]
    assert re.search(r'<option value="staff" selected>', html)
    assert options(html, "scope") == ["17"]
    r = click(hr, NEW, html, "save", STAFF)
    assert r.status_code == 303, r.get_data(as_text=True)
    with db.session_scope(database_url) as s:
        stored = lookup.find(s, "henkilosto")
        assert (stored.audience, stored.scope, stored.definition["organisation"]) == \
            ("staff", "17", "ORG1")
    edit = hr.get("/fi/admin/surveys/henkilosto/edit").get_data(as_text=True)
    assert re.search(r'<option value="ORG1" selected>', edit)
    # Saved again from its own page, the organisation stays; the YAML export names it.
    assert click(hr, "/fi/admin/surveys/henkilosto/edit", edit, "save").status_code == 303
    exported = yaml.safe_load(hr.get("/fi/admin/surveys/henkilosto/definition.yaml").data)
    assert exported["organisation"] == "ORG1"
    # Another organisation's survey: not this account's.
    r = click(hr, NEW, html, "save", {**STAFF, "slug": "vieras", "scope": "06",
                                      "organisation": "ORG2"})
    assert r.status_code == 422
    with db.session_scope(database_url) as s:
        assert lookup.find(s, "vieras") is None


def test_organisation_is_checked_by_the_import_validator(admin_client, database_url):
    import_orgs(database_url)
    html = admin_client.get(NEW).get_data(as_text=True)
    assert options(html, "organisation") == ["ORG2", "ORG1"]  # by county, then code
    # An organisation of another county than the survey's: the YAML import's own check.
    r = click(admin_client, NEW, html, "save", {**STAFF, "organisation": "ORG2"})
    assert r.status_code == 422
    assert "ORG2" in error_at(r.get_data(as_text=True), "f-organisation")
    # A staff survey without one.
    r = click(admin_client, NEW, html, "save", {**STAFF, "organisation": ""})
    assert r.status_code == 422
    assert error_at(r.get_data(as_text=True), "f-organisation")
    # A survey for residents names none, whatever the select says.
    r = click(admin_client, NEW, html, "save", {**STAFF, "audience": "citizen",
                                                "scope": "national"})
    assert r.status_code == 303
    with db.session_scope(database_url) as s:
        assert "organisation" not in lookup.find(s, "henkilosto").definition


def _archive(client, slug: str):
    page = client.get(f"/fi/admin/surveys/{slug}/archive")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    return client.post(f"/fi/admin/surveys/{slug}/archive", data={"csrf_token": token})


def test_archive_a_closed_survey(app, client, admin_client, database_url, demo_survey,
                                 redis_conn, session_factory):
    slug = demo_survey
    assert submit(client, slug).status_code == 303
    run_worker(redis_conn)
    # Open: not archived.
    page = admin_client.get(f"/fi/admin/surveys/{slug}/archive")
    assert "Arkistoi kysely</button>" not in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    assert admin_client.post(f"/fi/admin/surveys/{slug}/archive",
                             data={"csrf_token": token}).status_code == 409
    with db.session_scope(database_url) as s:
        lifecycle.close(s, slug, date(2026, 6, 30))
    assert slug in client.get("/api/v1/surveys").get_data(as_text=True)
    assert client.get(f"/fi/results/{slug}").status_code == 200
    survey_page = admin_client.get(f"/fi/admin/surveys/{slug}").get_data(as_text=True)
    assert f"/fi/admin/surveys/{slug}/archive" in survey_page

    r = _archive(admin_client, slug)
    assert r.status_code == 303
    with db.session_scope(database_url) as s:
        assert lookup.find(s, slug).status == "archived"
        assert s.scalar(select(AuditEvent.object_id).where(
            AuditEvent.action == "surveys.archive")) == slug
    # Out of every public list and page.
    for url in (f"/fi/results/{slug}", f"/fi/s/{slug}", f"/api/v1/surveys/{slug}/results",
                f"/fi/results/{slug}.csv"):
        assert client.get(url).status_code == 404, url
    assert slug not in client.get("/api/v1/surveys").get_data(as_text=True)
    assert slug not in client.get("/fi/").get_data(as_text=True)
    # Its results, on the admin side, for those allowed.
    results = admin_client.get(f"/fi/admin/surveys/{slug}/results")
    assert results.status_code == 200
    assert "Vastaajat" in results.get_data(as_text=True)
    other = client_for(app, database_url, "satakunta@example.fi", "region_admin", region="04")
    analyst = client_for(app, database_url, "analyst@example.fi", "analyst", grants=["17"])
    # An analyst granted a county reads that county's surveys only (the policy), not this one.
    assert analyst.get(f"/fi/admin/surveys/{slug}/results").status_code == 404
    assert analyst.get(f"/fi/admin/surveys/{slug}/archive").status_code == 404
    # A national survey's results: a county admin reads them too, but may not archive it.
    assert other.get(f"/fi/admin/surveys/{slug}/results").status_code == 200
    assert other.get(f"/fi/admin/surveys/{slug}/archive").status_code == 404
    # Retention runs on as for a closed survey.
    def raw_rows() -> int:
        with db.session_scope(database_url) as s:
            return sum(s.scalar(select(func.count()).select_from(t))
                       for t in (Response, PendingResponse))

    assert raw_rows() >= 1
    retention.purge_expired(session_factory, date(2026, 7, 1))  # not yet due
    assert raw_rows() >= 1
    retention.purge_expired(session_factory, date(2040, 1, 1))
    assert raw_rows() == 0
