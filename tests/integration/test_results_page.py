"""The region page: charts as accessible SVG beside their tables, intervals, notes on noise, a
monthly trend, and a county's own survey opening on that county."""

from __future__ import annotations

import re

import yaml

from surveys.definitions import demo, lifecycle
from surveys.infra import db
from tests.conftest import SETTINGS, VALID_ANSWERS, run_worker, submit

# Varied answers, each option given at least three times once n >= 9: nothing is withheld for
# being small or unanimous (docs/privacy.md, disclosure rules), so every figure is shown.
RECOMMEND = ("10", "9", "3")
GOT_HELP = ("5", "4", "2")
SERVICE = ("dental", "social", "dental")


def answer(client, slug, n, region="19", **changes):
    for i in range(n):
        varied = {"recommend": RECOMMEND[i % 3], "got_help": GOT_HELP[(i // 3) % 3],
                  "service": SERVICE[i % 3]}
        resp = submit(client, slug, "fi", {**VALID_ANSWERS, "region": region, **varied,
                                           **changes})
        assert resp.status_code == 303


def test_charts_are_accessible_svg_with_the_numbers_beside_them(client, demo_survey,
                                                                 redis_conn):
    answer(client, demo_survey, 18)
    answer(client, demo_survey, 18, region="17")
    run_worker(redis_conn)
    html = client.get(f"/fi/results/{demo_survey}?region=19").get_data(as_text=True)
    charts = re.findall(r'<svg class="chart" role="img".*?</svg>', html, re.S)
    assert len(charts) >= 2
    for chart in charts:
        labelled = re.search(r'aria-labelledby="(\S+) (\S+)"', chart)
        assert labelled and f'<title id="{labelled.group(1)}">' in chart
        assert f'<desc id="{labelled.group(2)}">' in chart
        assert "style=" not in chart
    # The NPS chart: the county, its area and the country, each with an interval.
    nps = next(c for c in charts if "Suositteluindeksi" in c)
    for name in ("Pohjois-Pohjanmaan hyvinvointialue", "Pohjois-Suomen yhteistyöalue", "Suomi"):
        assert name in nps
    assert nps.count('class="interval"') == 3
    # The same figures in a table, with the interval.
    assert re.search(r'<td>-?\d+(,\d)? <span class="interval">\(-?\d+(,\d)?–-?\d+(,\d)?\)'
                     r"</span></td>", html)


def test_suppressed_places_are_drawn_as_hidden_not_zero(client, demo_survey, redis_conn):
    answer(client, demo_survey, 18, region="17")
    answer(client, demo_survey, 2, region="19")
    run_worker(redis_conn)
    html = client.get(f"/fi/results/{demo_survey}?region=19").get_data(as_text=True)
    nps = next(c for c in re.findall(r'<svg class="chart".*?</svg>', html, re.S)
               if "Suositteluindeksi" in c)
    assert 'class="chart-hidden">piilotettu</text>' in nps


def test_a_note_says_whether_a_difference_is_noise(client, demo_survey, redis_conn):
    for region, score in (("19", "5"), ("17", "1")):
        answer(client, demo_survey, 15, region=region, got_help=score)
        answer(client, demo_survey, 3, region=region, got_help="3")
    run_worker(redis_conn)
    html = client.get(f"/fi/results/{demo_survey}?region=19").get_data(as_text=True)
    assert "suurempi kuin satunnaisvaihtelu selittäisi" in html


def test_monthly_trend_table(client, demo_survey, redis_conn):
    answer(client, demo_survey, 6)
    run_worker(redis_conn)
    html = client.get(f"/sv/results/{demo_survey}?region=19").get_data(as_text=True)
    assert "Svarande per månad" in html
    # A county's months are never published (docs/privacy.md); its area's and the country's are.
    assert re.search(r'<tr><th scope="row">\d{4}-\d{2}</th><td>dold</td><td>6</td><td>6</td>',
                     html)


def test_a_county_survey_opens_on_its_county_and_offers_no_other(client, database_url,
                                                                  redis_conn):
    text = next(t for t in demo.definitions() if "scope: \"19\"" in t or "scope: '19'" in t
                or yaml.safe_load(t)["scope"] != "national")
    slug = yaml.safe_load(text)["slug"]
    scope = yaml.safe_load(text)["scope"]
    with db.session_scope(database_url) as s:
        demo.seed(s)
    page = client.get(f"/fi/results/{slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="scope-form"' not in html  # no choice of other counties
    # Its own county comes first (then its area and the country), and no other county.
    from surveys.models import Region
    with db.session_scope(database_url) as s:
        names = {r.code: r.name_fi for r in s.query(Region)}
    respondents = html.split("<caption>Vastaajat</caption>")[1].split("</table>")[0]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', respondents)
    assert rows[0] == names[scope] and len(rows) == 3
    assert not any(name in html for code, name in names.items() if code != scope)
    other = "01" if scope != "01" else "02"
    assert client.get(f"/fi/results/{slug}?region={other}").status_code == 404
    assert lifecycle  # the demo surveys are published by seed
    assert SETTINGS.database_url == database_url
