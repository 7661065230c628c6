"""Exports of the results page: CSV that Finnish Excel opens as a table, XLSX with labels, both
with suppression applied and numbers sorted as numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.conftest import VALID_ANSWERS, run_worker, submit


def answer(client, slug, n, **changes):
    for i in range(n):
        submit(client, slug, "fi", {**VALID_ANSWERS, "region": "19",
                                    "recommend": str(i % 11), **changes})


def test_csv_for_finnish_excel(client, demo_survey, redis_conn):
    answer(client, demo_survey, 12)
    run_worker(redis_conn)
    resp = client.get(f"/fi/results/{demo_survey}/export.csv?region=19")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    raw = resp.get_data()
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:4] == ["Alue", "Kysymys", "Vastaus", "Määrä"]
    rows = [r for r in table[1:] if r[0] == "Pohjois-Pohjanmaan hyvinvointialue"]
    assert [r[3] for r in rows if r[1] == "Vastaajat"] == ["12"]
    recommend = [r for r in rows if r[1].startswith("Kuinka todennäköisesti") and r[2]]
    assert [r[2] for r in recommend] == [str(n) for n in range(11)]  # 10 after 9
    mean = next(r[6] for r in rows if r[1].startswith("Kuinka todennäköisesti") and not r[2])
    assert "," in mean and "." not in mean  # decimal comma


def test_suppressed_county_exports_empty_cells(client, demo_survey, redis_conn):
    answer(client, demo_survey, 2, region="18")
    answer(client, demo_survey, 12)
    run_worker(redis_conn)
    raw = client.get(f"/sv/results/{demo_survey}/export.csv?region=18").get_data()
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    county = [r for r in table[1:] if r[0] == "Mellersta Österbottens välfärdsområde"]
    assert county and all(cell == "" for r in county for cell in r[3:])


def test_english_csv_uses_commas_and_points(client, demo_survey, redis_conn):
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    text = client.get(f"/en/results/{demo_survey}/export.csv").get_data().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Area,Question,Answer,Count")


def test_xlsx_has_labels_numbers_and_an_about_sheet(client, demo_survey, redis_conn):
    answer(client, demo_survey, 8)
    run_worker(redis_conn)
    resp = client.get(f"/sv/results/{demo_survey}/export.xlsx?region=19")
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.get_data()))
    data, about = book.worksheets
    header = [c.value for c in data[1]]
    assert header[:3] == ["Område", "Fråga", "Svar"]
    counts = [row[3].value for row in data.iter_rows(min_row=2) if row[1].value == "Svarande"]
    assert 8 in counts and all(isinstance(v, int) for v in counts if v is not None)
    facts = {row[0].value: row[1].value for row in about.iter_rows()}
    assert facts["Licens"] == "CC BY 4.0"
    assert facts["Minsta grupp som visas"] == "5"


def test_unknown_county_is_404(client, demo_survey):
    assert client.get(f"/fi/results/{demo_survey}/export.csv?region=99").status_code == 404
