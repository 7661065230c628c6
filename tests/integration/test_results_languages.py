"""The breakdown by respondents' language on the region page and in the API, and why a hidden
figure is hidden: every language figure is part of the one audited publication, so a small
language group is hidden, the total minus the other languages does not give it back, and the
auditor bounds the language cells like any other group (docs/privacy.md)."""

from __future__ import annotations

from surveys.definitions import lookup
from surveys.infra import clock, db
from surveys.report import results as report_results
from surveys.report.audit import ALL_MONTHS, RESPONDENTS, N, audit, lang_period
from tests.conftest import VALID_ANSWERS, run_worker, submit

RECOMMEND = ("10", "9", "3")
GOT_HELP = ("5", "4", "2")
SERVICE = ("dental", "social", "dental")


def answer(client, slug, n, region="19", lang="fi"):
    for i in range(n):
        varied = {"recommend": RECOMMEND[i % 3], "got_help": GOT_HELP[(i // 3) % 3],
                  "service": SERVICE[i % 3]}
        resp = submit(client, slug, lang, {**VALID_ANSWERS, "region": region, **varied})
        assert resp.status_code == 303


def api(client, slug, **params):
    resp = client.get(f"/api/v1/surveys/{slug}/results", query_string=params)
    assert resp.status_code == 200
    return resp.get_json()


def publication(settings, slug):
    with db.session_scope(settings) as session:
        return report_results.publication(session, lookup.visible(session, slug))


def derivable_by_difference(doc) -> list[str]:
    """Languages whose respondents follow from the shown total minus the shown others."""
    if doc["suppressed"]:
        return []
    langs = doc["languages"]
    hidden = [lg for lg, f in langs.items() if f["suppressed"]]
    return hidden if len(hidden) == 1 else []


def test_a_small_language_group_is_hidden_and_not_recoverable_from_the_total(
        client, demo_survey, redis_conn, settings):
    answer(client, demo_survey, 18, region="19", lang="fi")
    answer(client, demo_survey, 3, region="19", lang="sv")
    answer(client, demo_survey, 18, region="17", lang="fi")
    answer(client, demo_survey, 9, region="17", lang="sv")
    run_worker(redis_conn)

    county = api(client, demo_survey, region="19")
    assert county["respondents"] == 21  # the county's total stays shown
    langs = county["languages"]
    assert set(langs) >= {"fi", "sv", "se"}  # every language the survey is offered in
    assert langs["sv"]["suppressed"] is True and langs["sv"]["respondents"] is None
    assert langs["sv"]["reason"] in ("threshold", None)
    for q in langs["sv"]["questions"].values():
        assert q["n"] is None and q["mean"] is None and q["nps"] is None
    # Complementary suppression: 21 − fi would give the three Swedish speakers back.
    assert langs["fi"]["suppressed"] is True
    assert langs["fi"]["reason"] in ("secondary", None)
    assert derivable_by_difference(county) == []
    # County 17's nine Swedish speakers are enough on their own, but the country's Swedish
    # speakers minus them would give county 19's three: a shown figure is the true one, and
    # the totals of every place are still shown (a small language costs the breakdown only).
    other = api(client, demo_survey, region="17")
    assert other["languages"]["sv"]["respondents"] in (9, None)
    for scope in ({}, {"area": "pohjois"}, {"area": "lansi"}, {"region": "17"}):
        assert api(client, demo_survey, **scope)["suppressed"] is False
    for scope in ({}, {"area": "pohjois"}, {"area": "lansi"}, {"region": "19"},
                  {"region": "17"}):
        assert derivable_by_difference(api(client, demo_survey, **scope)) == []

    # The auditor bounds the language cells: the Swedish group of county 19 is a protected
    # figure of the publication, and its range is wide enough.
    pub = publication(settings, demo_survey)
    assert pub.result.passed
    sv = (("19", lang_period("sv"), RESPONDENTS, N))
    ranges = [r for r in pub.result.ranges if r.figure == sv]
    assert ranges and all(r.ok(pub.table.threshold) for r in ranges)
    # ... and it would fail a publication that showed the Finnish group beside the total.
    leaky = {**pub.figures, ("19", lang_period("fi"), RESPONDENTS, N): 18.0,
             ("19", ALL_MONTHS, RESPONDENTS, N): 21.0}
    exposed = {r.figure for r in audit(pub.table, leaky).exposed}
    assert sv in exposed

    # The page: a language table, the small group's reason, never its count.
    html = client.get(f"/en/results/{demo_survey}?region=19").get_data(as_text=True)
    assert "By respondents&#39; language" in html or "By respondents' language" in html
    assert 'lang="sv">svenska</th>' in html
    section = html.split('id="languages"')[1].split("</section>")[0]
    assert ">3<" not in section and ">18<" not in section
    fi_page = client.get(f"/fi/results/{demo_survey}?region=19").get_data(as_text=True)
    assert "Vastaajan kielen mukaan" in fi_page


def test_language_figures_come_through_releases_and_one_joiner_changes_nothing(
        settings, redis_conn, demo_survey):
    from datetime import datetime

    from surveys.report import releases
    from webapp import create_app

    released = create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})
    client = released.test_client()

    def cut(when):
        with db.session_scope(settings) as s:
            return releases.cut(s, lookup.visible(s, demo_survey),
                                datetime.fromisoformat(when)) is not None

    answer(client, demo_survey, 12, region="17", lang="fi")
    answer(client, demo_survey, 6, region="17", lang="sv")
    run_worker(redis_conn)
    assert cut("2026-06-01T04:00")
    first = api(client, demo_survey, region="17")
    assert first["languages"]["sv"]["respondents"] == 6
    assert first["languages"]["fi"]["respondents"] == 12
    assert first["languages"]["se"]["suppressed"] is True
    # Five more Finnish speakers and one Swedish speaker in the same month: the month gained
    # six, but the Swedish group only one, whose answers its new mean would show: no change.
    answer(client, demo_survey, 5, region="17", lang="fi")
    answer(client, demo_survey, 1, region="17", lang="sv")
    run_worker(redis_conn)
    cut("2026-06-02T04:00")
    assert {k: v for k, v in api(client, demo_survey, region="17").items()
            if k != "release"} == {k: v for k, v in first.items() if k != "release"}


def test_why_a_figure_is_hidden(client, demo_survey, redis_conn):
    """Lapland (4) is below the threshold; Southern Finland (5) and its county are hidden to
    protect Northern Finland (4), which the country (15) minus the shown areas would give."""
    for region, n in (("17", 6), ("21", 4), ("01", 5)):
        answer(client, demo_survey, n, region=region)
    run_worker(redis_conn)
    lapland = api(client, demo_survey, region="21")
    assert lapland["suppressed"] is True and lapland["reason"] == "threshold"
    assert lapland["questions"]["recommend"]["reason"] == "threshold"
    southern = api(client, demo_survey, region="01")
    assert southern["suppressed"] is True and southern["reason"] == "secondary"
    shown = api(client, demo_survey, region="17")
    assert "reason" not in shown  # only hidden figures have one
    assert all(k in shown for k in ("survey", "scope", "min_group_size", "respondents",
                                    "suppressed", "questions"))

    html = client.get(f"/en/results/{demo_survey}?region=01").get_data(as_text=True)
    respondents = html.split("<caption>Respondents</caption>")[1].split("</table>")[0]
    county_row = respondents.split("</tr>")[1]
    assert "hidden to protect another group" in county_row
    assert "too few to show" not in county_row and "fewer than" not in county_row
    html = client.get(f"/en/results/{demo_survey}?region=21").get_data(as_text=True)
    respondents = html.split("<caption>Respondents</caption>")[1].split("</table>")[0]
    assert "too few to show" in respondents.split("</tr>")[1]
    assert "Why hidden" in html


def test_the_api_filters_by_respondents_language_and_months(client, demo_survey, redis_conn):
    """`language` keeps one respondents' language of the breakdown, `from`/`to` a range of
    months: fewer of the same figures, the rest of the document as it was."""

    answer(client, demo_survey, 18, region="17", lang="fi")
    answer(client, demo_survey, 9, region="17", lang="sv")
    run_worker(redis_conn)
    whole = api(client, demo_survey, region="17")
    only_sv = api(client, demo_survey, region="17", language="sv")
    assert list(only_sv["languages"]) == ["sv"]
    assert only_sv["languages"]["sv"] == whole["languages"]["sv"]
    assert only_sv["questions"] == whole["questions"]
    current = clock.today().strftime("%Y-%m")
    url = f"/api/v1/surveys/{demo_survey}/results/monthly"
    months = client.get(url, query_string={"area": "lansi", "from": current}).get_json()
    assert [m["month"] for m in months["months"]] == [current]
    before = client.get(url, query_string={"area": "lansi", "to": "2025-12"}).get_json()
    assert before["months"] == []
    for bad in ({"from": "2026-13"}, {"to": "2026/01"}, {"language": "de"}):
        resp = client.get(url if "language" not in bad else url.removesuffix("/monthly"),
                          query_string=bad)
        assert resp.status_code == 400 and resp.get_json()["error"] == "Bad Request", bad
