"""The units CSV: every bad row reported by line number, in one run."""

from __future__ import annotations

import pytest

from surveys.staff import units
from surveys.staff.units import Problem, UnitsFileError

GOOD = """code,parent_code,name_fi,name_sv,headcount
ORG,,Hyvinvointialue,Välfärdsområde,1200
HR,ORG,Henkilöstöpalvelut,Personaltjänster,40
ER,ORG,Päivystys,Jour,300
ER1,ER,Päivystys 1,Jour 1,150
"""


def problems(text: str | bytes) -> list[Problem]:
    with pytest.raises(UnitsFileError) as err:
        units.parse(text.encode() if isinstance(text, str) else text)
    return err.value.problems


def test_good_file_parents_first():
    rows = units.parse(GOOD.encode())
    assert [r.code for r in rows] == ["ORG", "HR", "ER", "ER1"]
    assert rows[0].parent_code == "" and rows[3].headcount == 150


def test_excel_bom_and_semicolons():
    text = "\ufeff" + GOOD.replace(",", ";")
    assert [r.code for r in units.parse(text.encode())] == ["ORG", "HR", "ER", "ER1"]


def test_every_bad_row_by_line_in_one_run():
    text = """code,parent_code,name_fi,name_sv,headcount
ORG,,Alue,Område,100
A,ORG,A,A,-3
B,NOPE,B,B,5
A,ORG,A2,A2,5
C,ORG,C,C,2.5
X,Y,X,X,1
Y,X,Y,Y,1
ORG2,,Toinen,Annan,5
D,ORG,,D,1
"""
    assert problems(text) == [
        Problem(3, "bad_headcount", "-3"),
        Problem(4, "unknown_parent", "NOPE"),
        Problem(5, "duplicate_code", "A"),
        Problem(6, "bad_headcount", "2.5"),
        Problem(7, "cycle", "X"),
        Problem(8, "cycle", "Y"),
        Problem(9, "two_roots", "ORG2"),
        Problem(10, "missing_name", "name_fi"),
    ]


def test_missing_column_and_no_root():
    assert problems("code,parent_code,name_fi,headcount\nA,,A,1\n") == [
        Problem(1, "missing_column", "name_sv")]
    assert problems("code,parent_code,name_fi,name_sv,headcount\nA,B,A,A,1\nB,A,B,B,1\n") == [
        Problem(0, "no_root"), Problem(2, "cycle", "A"), Problem(3, "cycle", "B")]


def test_not_utf8_names_its_line():
    data = GOOD.encode() + "Z,ORG,Ääni,Röst,1\n".encode("latin-1")
    assert problems(data) == [Problem(6, "not_utf8")]


def test_descriptions_name_the_line():
    assert units.describe(Problem(4, "unknown_parent", "NOPE")) == \
        "line 4: unknown parent unit 'NOPE'"
