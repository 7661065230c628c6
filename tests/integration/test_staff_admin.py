"""HR's pages: the units page (upload a CSV, see the tree) and a survey's invitations (links as
a CSV download, response rates shown only where the threshold allows), each HR admin limited to
its own organisation; and a staff survey's organisation must exist at import."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from surveys.definitions import lifecycle
from surveys.definitions.format import DefinitionError
from surveys.infra import clock, db
from surveys.models import Invitation, Unit
from surveys.staff import invitations
from tests.conftest import admin_csrf, make_user, sign_in
from tests.integration.test_staff_invitations import answer, create
from tests.integration.test_staff_units import TREE, import_units, unit_rows
from tests.unit.staff.test_staff_format import SLUG, staff_yaml
from workers import jobs


def client_for(app, database_url, email: str, role: str, **kwargs):
    make_user(database_url, email, role, **kwargs)
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    return client


def upload(client, text: str | bytes, region: str = "17"):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/fi/admin/units", data={
        "csrf_token": admin_csrf(client), "region": region,
        "file": (io.BytesIO(data), "units.csv")}, content_type="multipart/form-data")


def test_hr_admin_imports_its_own_organisation(app, database_url):
    hr = client_for(app, database_url, "hr@example.fi", "hr_admin", org="ORG1")
    response = upload(hr, TREE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "5 lisätty" in page and "Osasto 2" in page and ">25<" in page
    # The nesting is said, not only indented (WCAG 1.3.1): a ward is on level 3.
    assert '<span class="visually-hidden">taso 3: </span>Osasto 2' in page
    assert set(unit_rows(database_url)) == {"ORG1", "HR", "CARE", "WARD1", "WARD2"}
    # Another organisation's file, or over another organisation's county tree: refused.
    other = client_for(app, database_url, "hr2@example.fi", "hr_admin", org="ORG2")
    assert upload(other, TREE.replace("ORG1", "ORG2")).status_code == 403
    assert upload(other, TREE).status_code == 403
    assert "ORG2" not in unit_rows(database_url)
    assert "Osasto 2" not in other.get("/fi/admin/units").get_data(as_text=True)


def test_bad_rows_are_listed_by_line_in_the_users_language(app, database_url):
    hr = client_for(app, database_url, "hr@example.fi", "hr_admin", org="ORG1")
    response = upload(hr, TREE + "X,NOPE,X,X,-1\n")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Rivi 7:" in page and "Tuntematon yläyksikkö ”NOPE”" in page
    assert "ei ole kokonaisluku" in page
    assert unit_rows(database_url) == {}
    sv = hr.post("/sv/admin/units", data={
        "csrf_token": admin_csrf(hr, "sv"), "region": "17",
        "file": (io.BytesIO(b"\xff\xfe"), "u.csv")}, content_type="multipart/form-data")
    assert sv.status_code == 400 and "Filen är inte UTF-8-text." in sv.get_data(as_text=True)


def test_region_admins_and_analysts_do_not_see_units(app, database_url):
    region = client_for(app, database_url, "r@example.fi", "region_admin", region="17")
    assert region.get("/fi/admin/units").status_code == 404
    assert upload(region, TREE).status_code == 404


def test_staff_survey_needs_an_imported_organisation(database_url):
    with db.session_scope(database_url) as s, pytest.raises(DefinitionError) as err:
        lifecycle.import_survey(s, staff_yaml())
    assert err.value.errors[0][0] == "organisation"
    import_units(database_url, region="06")  # the same code in another county does not count
    with db.session_scope(database_url) as s, pytest.raises(DefinitionError):
        lifecycle.import_survey(s, staff_yaml())


def test_invitations_page_downloads_links_and_hides_small_units(app, client, database_url):
    import_units(database_url)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml())
        lifecycle.publish(s, SLUG)
    hr = client_for(app, database_url, "hr@example.fi", "hr_admin", org="ORG1")
    response = hr.post(f"/fi/admin/surveys/{SLUG}/invitations",
                       data={"csrf_token": admin_csrf(hr), "unit": "WARD1", "count": "7"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    links = response.get_data(as_text=True).splitlines()[1:]
    assert len(links) == 7 and all("/fi/i/" in line for line in links)
    tokens = [line.rsplit("/", 1)[1] for line in links]
    with db.session_scope(database_url) as s:
        assert {r for (r,) in s.execute(select(Invitation.token_hash))} == \
            {invitations.token_hash(t) for t in tokens}
    create(database_url, "WARD2", 3)
    for token in tokens[:6]:
        assert answer(client, token).status_code == 303
    jobs.count_participation(f"{clock.today().isoformat()}T00:04:00")  # the night's count
    page = hr.get(f"/fi/admin/surveys/{SLUG}/invitations").get_data(as_text=True)
    # WARD1: 6 of 7 (86 %; 20 % of 30 staff); WARD2 (0 of 3) is below the threshold: hidden
    # (CARE - WARD1 tells only that it is 0: no one's answers); HR (0 invitations) hidden.
    rows = {line.split("(")[1].split(")")[0]: line for line in page.split("<tr>")[2:]}
    assert "<td>6</td>" in rows["WARD1"] and "86" in rows["WARD1"]
    assert "piilotettu" in rows["WARD2"] and "piilotettu" in rows["HR"]
    assert "<td>6</td>" in rows["ORG1"] and "60" in rows["ORG1"]  # 6 of 10 invitations
    bad = hr.post(f"/fi/admin/surveys/{SLUG}/invitations",
                  data={"csrf_token": admin_csrf(hr), "unit": "NOPE", "count": "2"})
    assert bad.status_code == 400
    assert "Kyselyn organisaatiossa ei ole tätä yksikköä." in bad.get_data(as_text=True)
    other = client_for(app, database_url, "hr2@example.fi", "hr_admin", org="ORG2")
    assert other.get(f"/fi/admin/surveys/{SLUG}/invitations").status_code == 404
    with db.session_scope(database_url) as s:
        assert s.scalar(select(Unit.code).where(Unit.code == "WARD1")) == "WARD1"
