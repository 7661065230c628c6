"""`palaute units import`: a county's organisation tree from CSV, all or nothing; re-import
updates, adds, deletes what nothing refers to and retires the rest."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from surveys.infra import db
from surveys.models import Response, Survey, Unit
from surveys.staff import units
from tests.conftest import TestCli
from webapp.cli import main

TREE = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Pohjanmaan hyvinvointialue,Österbottens välfärdsområde,1000
HR,ORG1,Henkilöstöpalvelut,Personaltjänster,40
CARE,ORG1,Hoito,Vård,600
WARD1,CARE,Osasto 1,Avdelning 1,30
WARD2,CARE,Osasto 2,Avdelning 2,25
"""


def import_units(database_url, text: str = TREE, region: str = "17") -> units.Summary:
    with db.session_scope(database_url) as s:
        return units.import_file(s, region, text.encode(), date(2026, 11, 1))


def unit_rows(database_url, region: str = "17") -> dict[str, tuple]:
    with db.session_scope(database_url) as s:
        rows = s.scalars(select(Unit).where(Unit.region_code == region)).all()
        codes = {u.id: u.code for u in rows}
        return {u.code: (u.kind, codes.get(u.parent_id), u.name_fi, u.headcount, u.retired_on)
                for u in rows}


def run(*args):
    return TestCli().invoke(main, list(args))


def test_cli_imports_a_tree(database_url, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(TREE, encoding="utf-8")
    result = run("units", "import", str(path), "--region", "17")
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output
    rows = unit_rows(database_url)
    assert rows["ORG1"][:2] == ("organisation", None)
    assert rows["WARD2"] == ("unit", "CARE", "Osasto 2", 25, None)
    listing = run("units", "list", "--region", "17")
    assert "    WARD1  Osasto 1  30" in listing.output


def test_cli_reports_every_bad_row_and_stores_nothing(database_url, tmp_path):
    import_units(database_url)
    path = tmp_path / "bad.csv"
    path.write_text(TREE.replace("HR,ORG1,Henkilöstöpalvelut,Personaltjänster,40",
                                 "HR,ORG1,Henkilöstöpalvelut,Personaltjänster,-40")
                    + "NEW,NOWHERE,Uusi,Ny,3\nCARE,ORG1,Hoito,Vård,1\n", encoding="utf-8")
    result = run("units", "import", str(path), "--region", "17")
    assert result.exit_code == 1
    assert "line 3: headcount '-40' is not a whole number ≥ 0" in result.output
    assert "line 7: unknown parent unit 'NOWHERE'" in result.output
    assert "line 8: duplicate unit code 'CARE'" in result.output
    assert "3 problem(s); nothing stored" in result.output
    assert unit_rows(database_url)["HR"][3] == 40 and "NEW" not in unit_rows(database_url)


def test_cli_refuses_bad_encoding_and_unknown_region(database_url, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(TREE.encode("cp1252"))
    result = run("units", "import", str(path), "--region", "17")
    assert result.exit_code == 1 and "line 2: the file is not UTF-8 text" in result.output
    path.write_text(TREE, encoding="utf-8")
    result = run("units", "import", str(path), "--region", "99")
    assert result.exit_code != 0 and "unknown region: 99" in result.output
    assert unit_rows(database_url) == {}


def test_reimport_updates_adds_deletes_and_retires(database_url):
    import_units(database_url)
    with db.session_scope(database_url) as s:
        ward1 = s.scalar(select(Unit.id).where(Unit.code == "WARD1"))
        survey = Survey(slug="st", audience="staff", scope="17", status="published",
                        definition={"organisation": "ORG1"})
        s.add(survey)
        s.flush()
        s.add(Response(survey_id=survey.id, region_code="17", lang="fi",
                       submitted_on=date(2026, 11, 1), answers={}, unit_id=ward1))
    new = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Pohjanmaan hyvinvointialue,Österbottens välfärdsområde,1100
CARE,ORG1,Hoito ja hoiva,Vård och omsorg,610
WARD3,CARE,Osasto 3,Avdelning 3,12
"""
    summary = import_units(database_url, new)
    assert summary.added == ["WARD3"]
    assert sorted(summary.updated) == ["CARE", "ORG1"]
    assert sorted(summary.deleted) == ["HR", "WARD2"]
    assert summary.retired == ["WARD1"]
    rows = unit_rows(database_url)
    assert set(rows) == {"ORG1", "CARE", "WARD1", "WARD3"}
    assert rows["CARE"] == ("unit", "ORG1", "Hoito ja hoiva", 610, None)
    assert rows["WARD1"][4] == date(2026, 11, 1)
    # Back in the file: no longer retired.
    import_units(database_url)
    assert unit_rows(database_url)["WARD1"][4] is None


def test_a_retired_units_absent_parent_is_retired_too(database_url):
    import_units(database_url)
    with db.session_scope(database_url) as s:
        ward2 = s.scalar(select(Unit.id).where(Unit.code == "WARD2"))
        survey = Survey(slug="st2", audience="staff", scope="17", status="published",
                        definition={"organisation": "ORG1"})
        s.add(survey)
        s.flush()
        s.add(Response(survey_id=survey.id, region_code="17", lang="fi",
                       submitted_on=date(2026, 11, 1), answers={}, unit_id=ward2))
    summary = import_units(database_url, "code,parent_code,name_fi,name_sv,headcount\n"
                                         "ORG1,,Alue,Område,10\n")
    assert sorted(summary.retired) == ["CARE", "WARD2"]
    assert sorted(summary.deleted) == ["HR", "WARD1"]


def test_same_codes_in_two_counties_are_two_trees(database_url):
    import_units(database_url)
    import_units(database_url, region="06")
    assert set(unit_rows(database_url, "06")) == set(unit_rows(database_url, "17"))
