"""HR's results by unit (`/<lang>/admin/surveys/<slug>/units`): the organisation's units with
their respondents and response rates, and a unit's figures, whole or per value of a breakdown,
exactly as the API's unit results serve them (the same release, the same hidden figures),
without JavaScript; only for accounts the policy lets view the survey's results."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from surveys.definitions import lifecycle
from surveys.infra import db
from tests.conftest import make_user, sign_in
from tests.integration.test_language_rights_db import survey_yaml
from tests.integration.test_unit_pairs import given_away  # noqa: F401 (a fixture)
from tests.integration.test_unit_results import SLUG, answered, get, token_for  # noqa: F401
from tests.unit.staff.test_staff_format import staff_yaml
from webapp.cli import main

UNITS = ("ORG1", "HR", "CARE", "WARD1", "WARD2", "WARD3")
PAGE = f"/fi/admin/surveys/{SLUG}/units"


class Tables(HTMLParser):
    """Every table of a page: {caption: [[cell text, …] per row]} (th and td alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.rows: list[list[str]] | None = None
        self.caption: str | None = None
        self.text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.rows, self.caption = [], ""
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("th", "td", "caption") and self.rows is not None:
            self.text = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.text is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self.text).split()))
            self.text = None
        elif tag == "caption" and self.text is not None:
            self.caption, self.text = " ".join("".join(self.text).split()), None
        elif tag == "table" and self.rows is not None:
            self.tables[self.caption] = self.rows
            self.rows = None

    def handle_data(self, data):
        if self.text is not None:
            self.text.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    reader = Tables()
    reader.feed(html)
    return reader.tables


def tree(html: str) -> dict[str, list[str]]:
    """{unit name: its cells} of the page's tree (the name without its level, "taso 2: ")."""
    return {row[0].split(": ", 1)[1]: row[1:]
            for row in tables(html)["Vastaajat yksiköittäin"][1:]}


def shown(text: str) -> int | None:
    """A cell's count as the page shows it ("12 (40 %)"), None for a hidden one."""
    first = text.split(" ")[0]
    return None if first in ("–", "piilotettu") else int(first)


def percent(text: str) -> int | None:
    """A share or rate as the page shows it ("74 %", or "12 (40 %)"'s 40), None for "–"."""
    found = re.findall(r"(\d+)\s*%", text)
    return int(found[-1]) if found else None


def decimal(text: str) -> float | None:
    return None if text == "–" else float(text.replace(",", "."))


def hr_client(app, database_url):
    make_user(database_url, "hr-page@example.fi", "hr_admin", org="ORG1")
    client = app.test_client()
    assert sign_in(client, "hr-page@example.fi").status_code == 303
    return client


def test_hr_reads_the_units_as_the_api_serves_them(answered, app, database_url):  # noqa: F811
    client = hr_client(app, database_url)
    token = token_for(database_url, "hr-api@example.fi", "hr_admin", org="ORG1")
    survey_page = client.get(f"/fi/admin/surveys/{SLUG}").get_data(as_text=True)
    assert f'href="{PAGE}"' in survey_page
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script" not in html
    units = tree(html)
    # The tree's nesting is said, not only indented (WCAG 1.3.1): its level before each name.
    levels = [row[0].split(":")[0] for row in tables(html)["Vastaajat yksiköittäin"][1:]]
    assert levels == ["taso 1", "taso 2", "taso 3", "taso 3", "taso 3", "taso 2"]
    api = {code: get(app.test_client(), token, unit=code).get_json() for code in UNITS}
    assert len(units) == len(UNITS)
    for code, doc in api.items():
        shown_code, respondents, of_issued, of_headcount = units[doc["unit"]["name"]]
        assert shown_code == code
        assert shown(respondents) == doc["respondents"], code
        rate = doc["response_rate"]
        for cell, value in ((of_issued, rate["of_issued"]), (of_headcount, rate["of_headcount"])):
            assert percent(cell) == (None if value is None else round(value * 100)), code
    assert percent(units["Henkilöstöpalvelut"][3]) == 25  # HR: 10 of a headcount of 40
    # Something is shown and something hidden (WARD3's two): the comparison means something.
    assert api["ORG1"]["respondents"] == 25 and api["WARD3"]["respondents"] is None
    # A unit by a breakdown: the unit, then each value, each figure the API's.
    compared: list[int | None] = []
    for code in ("ORG1", "CARE", "WARD1", "HR"):
        html = client.get(PAGE, query_string={"unit": code, "breakdown": "profession"}
                          ).get_data(as_text=True)
        doc = get(app.test_client(), token, unit=code, breakdown="profession").get_json()
        groups = [doc, *doc["breakdown"]["values"]]
        respondents = tables(html)[f"Vastaajat: {doc['unit']['name']}"]
        assert respondents[0] == ["Ammattiryhmä", "Vastaajat"]
        assert [(r[0], shown(r[1])) for r in respondents[1:]] == [
            ("Kaikki vastaajat", doc["respondents"]),
            *((v["label"], v["respondents"]) for v in groups[1:])]
        # The breakdown question's own figures are those respondents: no table of its own.
        assert "Ammattiryhmä" not in tables(html)
        head, *rows = tables(html)["Työmäärä on kohtuullinen"]
        assert head[1:] == ["Kaikki vastaajat", *(v["label"] for v in groups[1:])]
        by_label = {row[0]: row[1:] for row in rows}
        for option in ("1", "2", "3", "4", "5"):
            for group, cell in zip(groups, by_label.get(option, [None] * len(groups)),
                                   strict=True):
                figures = group["questions"]["workload"]
                count = (figures["counts"] or {}).get(option)
                if cell is None:  # no option rows: nothing of this question is shown
                    assert not any((g["questions"]["workload"]["counts"] or {}).get(option)
                                   for g in groups)
                    continue
                compared.append(count)
                assert shown(cell) == count, (code, option, cell)
                assert percent(cell) == (None if count is None else
                                         round(100 * count / figures["n"])), cell
        for group, cell in zip(groups, by_label["Keskiarvo"], strict=True):
            mean = group["questions"]["workload"]["mean"]
            assert (decimal(cell) is None) == (mean is None), cell
            assert mean is None or abs(decimal(cell) - mean) < 0.051, (cell, mean)
        # A unit's respondents are not a sample: no confidence intervals, no estimates.
        assert "luottamusväli" not in html and "myönteisimmän" not in html
        # The unit chosen is marked in the tree (and its breakdown in the choice).
        name = re.escape(doc["unit"]["name"])
        assert re.search(rf'aria-current="page">{name}</a></th>', html), code
    assert any(c is not None for c in compared) and None in compared


def test_before_the_first_close_no_unit_figure_is_shown(answered, settings, database_url,  # noqa: F811
                                                        redis_conn):
    from webapp import create_app

    app = create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})
    client = hr_client(app, database_url)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Yksiköiden lukuja ei ole vielä julkaistu" in html
    units = {name: cells[1:] for name, cells in tree(html).items()}
    # Not yet released, rather than hidden: a dash, and no rate.
    assert {cell for row in units.values() for cell in row} == {"–"}
    result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    html = client.get(PAGE).get_data(as_text=True)
    assert "Yksiköiden luvut julkaistiin" in html
    units = {name: cells[1] for name, cells in tree(html).items()}
    assert units["Pohjanmaan hyvinvointialue"] == "25" and "piilotettu" in units.values()


def test_a_withheld_breakdown_says_so(given_away, app, database_url):  # noqa: F811
    client = hr_client(app, database_url)
    html = client.get(PAGE, query_string={"breakdown": "age"}).get_data(as_text=True)
    assert "Ikäryhmä" in html and "ei näytetä" in html
    # The unit as a whole only: no column per age group.
    shown_tables = tables(html)
    assert shown_tables["Vastaajat: Organisaatio"] == [["Ikäryhmä", "Vastaajat"],
                                                       ["Kaikki vastaajat", "14"]]
    assert shown_tables["Työmäärä on kohtuullinen"][0] == ["Vastaus", "Kaikki vastaajat"]
    html = client.get(PAGE, query_string={"breakdown": "profession"}).get_data(as_text=True)
    assert "ei näytetä" not in html


def test_only_those_who_may_read_the_results_see_the_page(answered, app,  # noqa: F811
                                                          database_url):
    make_user(database_url, "region-page@example.fi", "region_admin", region="06")
    other = app.test_client()
    assert sign_in(other, "region-page@example.fi").status_code == 303
    assert other.get(PAGE).status_code == 404
    client = hr_client(app, database_url)
    assert client.get(PAGE, query_string={"unit": "NOPE"}).status_code == 404
    assert client.get(PAGE, query_string={"breakdown": "workload"}).status_code == 404
    assert app.test_client().get(PAGE).status_code == 302  # to the sign-in page


def test_a_citizen_survey_has_no_results_by_unit(app, admin_client, database_url):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, survey_yaml("kansalaiset", "06", {"fi": "Kysymys"}))
        lifecycle.publish(s, "kansalaiset")
    page = admin_client.get("/fi/admin/surveys/kansalaiset/units")
    assert page.status_code == 200
    assert "vain henkilöstökyselyillä" in page.get_data(as_text=True)
    survey_page = admin_client.get("/fi/admin/surveys/kansalaiset").get_data(as_text=True)
    assert "/fi/admin/surveys/kansalaiset/units" not in survey_page


def test_a_staff_survey_not_yet_open_has_no_results_by_unit(answered, app,  # noqa: F811
                                                             database_url):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml("luonnos-2026"))
    html = hr_client(app, database_url).get("/fi/admin/surveys/luonnos-2026/units")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert "ei ole vielä avattu vastattavaksi" in text and "Vastaajat yksiköittäin" not in text


def test_the_figures_shown_download_as_csv_and_xlsx(answered, app, database_url):  # noqa: F811
    """The page's figures as a spreadsheet, as the public results' exports: one row per
    unit (and value) × question × option, a hidden figure an empty cell, nothing cached."""
    import csv

    from openpyxl import load_workbook

    client = hr_client(app, database_url)
    token = token_for(database_url, "hr-csv@example.fi", "hr_admin", org="ORG1")
    doc = get(app.test_client(), token, unit="CARE", breakdown="profession").get_json()
    html = client.get(PAGE, query_string={"unit": "CARE", "breakdown": "profession"}
                      ).get_data(as_text=True)
    assert "format=csv" in html and "format=xlsx" in html
    got = client.get(PAGE, query_string={"unit": "CARE", "breakdown": "profession",
                                         "format": "csv"})
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.headers["Cache-Control"] == "no-store"
    assert 'filename="henkilosto-2026-CARE-profession.csv"' in got.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][:3] == ["Yksikkö", "Kysymys", "Vastaus"]
    respondents = {r[0]: r[3] for r in rows[1:] if r[1] == "Vastaajat"}
    groups = {"Hoito": doc, **{f"Hoito: {v['label']}": v for v in doc["breakdown"]["values"]}}
    assert respondents == {name: "" if g["respondents"] is None else str(g["respondents"])
                           for name, g in groups.items()}
    counts = {(r[0], r[2]): r[3] for r in rows[1:] if r[1] == "Työmäärä on kohtuullinen" and r[2]}
    for name, group in groups.items():
        for option in ("1", "2", "3", "4", "5"):
            count = (group["questions"]["workload"]["counts"] or {}).get(option)
            assert counts[(name, option)] == ("" if count is None else str(count)), (name, option)
    assert "" in counts.values() and any(counts.values())
    # Only the page's questions: not the breakdown question (its figures are the values'
    # respondents above), shares only where the count and n are published.
    assert {r[1] for r in rows[1:]} == {"Vastaajat", "Työmäärä on kohtuullinen"}
    for r in rows[1:]:
        if r[1] == "Työmäärä on kohtuullinen" and r[2]:
            n = next(x[5] for x in rows if x[0] == r[0] and x[1] == r[1] and not x[2])
            assert (r[4] == "") == (r[3] == "" or n == ""), r
    book = client.get(PAGE, query_string={"unit": "CARE", "breakdown": "profession",
                                          "format": "xlsx"})
    assert book.status_code == 200 and book.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(book.get_data())).worksheets[0]
    assert sheet.max_row == len(rows)


def test_a_withheld_breakdown_downloads_as_the_unit_alone_and_says_why(
        given_away, app, database_url):  # noqa: F811
    from openpyxl import load_workbook

    client = hr_client(app, database_url)
    got = client.get(PAGE, query_string={"breakdown": "age", "format": "xlsx"})
    data, about = load_workbook(io.BytesIO(got.get_data())).worksheets
    assert {row[0].value for row in data.iter_rows(min_row=2)} == {"Organisaatio"}
    notes = [row[1].value for row in about.iter_rows()]
    assert any("Ikäryhmä" in (note or "") and "ei näytetä" in note for note in notes)
    profession = client.get(PAGE, query_string={"breakdown": "profession", "format": "xlsx"})
    data, about = load_workbook(io.BytesIO(profession.get_data())).worksheets
    assert len({row[0].value for row in data.iter_rows(min_row=2)}) > 1
    assert not any("ei näytetä" in (row[1].value or "") for row in about.iter_rows())


def test_before_the_first_release_nothing_downloads(answered, settings, database_url,  # noqa: F811
                                                   redis_conn):
    from webapp import create_app

    app = create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})
    got = hr_client(app, database_url).get(PAGE, query_string={"format": "csv"})
    assert got.status_code == 200 and got.mimetype == "text/html"
    assert "Yksiköiden lukuja ei ole vielä julkaistu" in got.get_data(as_text=True)
