"""The strategic-goals view: goals 1–12 with their surveys, and for a goal a tile map of all 22
areas (suppressed areas drawn hidden, never as zero) with a table sortable by links."""

from __future__ import annotations

import re

from tests.conftest import VALID_ANSWERS, run_worker, submit

AREAS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
         "15", "16", "17", "18", "19", "20", "21", "90")


def answer(client, slug, n, region, redis_conn, recommend="9"):
    # Every other answer a passive 8: a group where everyone gave the same answer has its
    # figures withheld (docs/privacy.md), and 8 moves no NPS.
    for i in range(n):
        resp = submit(client, slug, "fi", {**VALID_ANSWERS, "region": region,
                                           "recommend": recommend if i % 2 else "8"})
        assert resp.status_code == 303
    run_worker(redis_conn)


def _rows(html: str) -> list[tuple[str, str]]:
    """(area code, state) of the table's rows, in order."""
    return re.findall(r'<tr class="area-(\w+)" data-area="(\d\d)">', html) and [
        (code, state) for state, code in
        re.findall(r'<tr class="area-(\w+)" data-area="(\d\d)">', html)]


def test_goals_index_in_finnish_and_swedish(client, demo_survey):
    fi = client.get("/fi/goals")
    assert fi.status_code == 200
    html = fi.get_data(as_text=True)
    for n in range(1, 13):
        assert f'href="/fi/goals/{n}"' in html and f"Tavoite {n}<" in html
    assert "Asiakaskokemus sosiaali- ja terveyspalveluissa 2026" in html  # goals 2 and 5
    sv = client.get("/sv/goals").get_data(as_text=True)
    assert "Mål 2<" in sv and "Kundupplevelsen inom social- och hälsovården 2026" in sv
    assert client.get("/fi/goals/13").status_code == 404
    assert client.get("/fi/goals/0").status_code == 404


def test_goal_map_has_all_22_areas_and_draws_suppressed_as_hidden(client, demo_survey,
                                                                  redis_conn):
    answer(client, demo_survey, 6, "17", redis_conn, recommend="10")
    answer(client, demo_survey, 6, "19", redis_conn, recommend="3")
    resp = client.get(f"/fi/goals/2?survey={demo_survey}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    svg = html[html.index('<svg class="chart tile-map"'):html.index("</svg>", html.index(
        '<svg class="chart tile-map"'))]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    tiles = re.findall(r'<g class="tile tile-([\w-]+)"', svg)
    assert len(tiles) == 22
    assert tiles.count("shown") == 2 and tiles.count("hidden") == 20
    # Hidden tiles carry the word and the hatching, never a figure.
    hidden_tiles = re.findall(r'<g class="tile tile-hidden".*?</g>', svg)
    for tile in hidden_tiles:
        assert "piilotettu" in tile and "-hatch)" in tile
        assert not re.search(r'class="tile-value"', tile)
    # Shown: NPS 50 (half promoters, half passive) and -50 (half detractors), in their tiles.
    assert re.search(r'tile-shown" data-area="Pohjanmaan hyvinvointialue">.*?'
                     r'class="tile-value">50<', svg)
    assert re.search(r'tile-shown" data-area="Pohjois-Pohjanmaan hyvinvointialue">.*?'
                     r'class="tile-value">[−-]50<', svg)
    rows = _rows(html)
    assert sorted(code for code, _ in rows) == sorted(AREAS)
    states = dict(rows)
    assert states["17"] == "shown" and states["19"] == "shown"
    assert all(states[c] == "hidden" for c in AREAS if c not in ("17", "19"))


def test_the_table_sorts_by_links(client, demo_survey, redis_conn):
    answer(client, demo_survey, 6, "17", redis_conn, recommend="10")
    answer(client, demo_survey, 6, "19", redis_conn, recommend="3")
    url = f"/fi/goals/2?survey={demo_survey}"
    by_value = [c for c, _ in _rows(client.get(url).get_data(as_text=True))]
    assert by_value[:2] == ["17", "19"]  # highest first, hidden areas last (not as zero)
    ascending = client.get(url + "&sort=value&order=asc").get_data(as_text=True)
    assert [c for c, _ in _rows(ascending)][:2] == ["19", "17"]
    assert 'aria-sort="ascending"' in ascending
    by_name = client.get(url + "&sort=name&order=asc").get_data(as_text=True)
    codes = [c for c, _ in _rows(by_name)]
    assert codes[0] == "11" and codes[-1] == "05"  # Etelä-Karjalan … Varsinais-Suomen
    # The header links offer the other order, without JavaScript.
    assert "sort=name&amp;order=desc" in by_name
    assert client.get(url + "&sort=size").status_code == 400
    assert client.get(url + "&order=sideways").status_code == 400
    assert client.get("/fi/goals/2?survey=no-such").status_code == 400


def test_goal_page_in_swedish_and_a_county_survey(client, demo_survey, redis_conn):
    html = client.get("/sv/goals/2?survey=osterbotten-halsostation-2026")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert "Mål 2" in text and "dold" in text
    # A county's own survey: the other 21 areas were not surveyed (not hidden, not zero).
    tiles = re.findall(r'<g class="tile tile-([\w-]+)"', text)
    assert len(tiles) == 22 and tiles.count("no-data") == 21
    assert "inte undersökt" in text
    assert client.get("/fi/goals/7").status_code == 200  # no survey follows goal 7


def test_goal_map_reads_the_releases(app, client, demo_survey, redis_conn, database_url):
    from datetime import datetime

    from surveys.definitions import lookup
    from surveys.infra import db
    from surveys.report import releases
    from webapp import create_app

    answer(client, demo_survey, 6, "17", redis_conn, recommend="10")
    answer(client, demo_survey, 6, "19", redis_conn, recommend="3")
    released = create_app(app.extensions["palaute_settings"].with_overrides(
        results_release="daily"), {"TESTING": True}).test_client()
    url = f"/fi/goals/2?survey={demo_survey}"
    before = released.get(url).get_data(as_text=True)
    assert re.findall(r'<g class="tile tile-([\w-]+)"', before).count("hidden") == 22
    with db.session_scope(database_url) as s:
        releases.cut(s, lookup.visible(s, demo_survey), datetime(2026, 11, 30, 4, 7))
    after = released.get(url).get_data(as_text=True)
    assert re.findall(r'<g class="tile tile-([\w-]+)"', after).count("shown") == 2
