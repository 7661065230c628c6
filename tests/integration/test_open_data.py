"""Open data: a survey marked `open_data: true` is listed in the DCAT-AP style catalogue at
/api/v1/open-data with its texts per language, CC BY 4.0, its publisher, the date of its
latest release and links to its JSON and CSV results; other surveys are not."""

from __future__ import annotations

from datetime import datetime

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from surveys.report import releases
from tests.conftest import run_worker, submit

CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def test_only_open_surveys_are_listed(client, demo_survey):
    doc = client.get("/api/v1/open-data").get_json()
    assert doc["license"] == CC_BY
    listed = {d["identifier"]: d for d in doc["datasets"]}
    assert set(listed) == {demo_survey}  # the two county demo surveys are not open
    d = listed[demo_survey]
    assert d["title"]["fi"].startswith("Asiakaskokemus") and d["title"]["sv"].startswith(
        "Kundupplevelsen")
    assert set(d["description"]) == {"fi", "sv", "se"}
    assert d["license"] == CC_BY
    assert d["publisher"] == {"name": {"fi": "Hyvinvointialueet", "sv": "Välfärdsområdena",
                                       "en": "Wellbeing services counties"}, "identifier": None}
    assert d["modified"] is None  # no release yet
    assert d["keyword"] == ["goal-2", "goal-5"] and d["spatial"] == "FI"
    urls = {x["mediaType"]: x["downloadURL"] for x in d["distribution"]}
    assert urls == {"application/json": f"http://localhost/api/v1/surveys/{demo_survey}/results",
                    "text/csv": f"http://localhost/api/v1/surveys/{demo_survey}/results.csv"}
    for url in urls.values():
        assert client.get(url.removeprefix("http://localhost")).status_code == 200


def test_modified_is_the_release_date_and_a_county_publishes_its_own(client, demo_survey,
                                                                       database_url, redis_conn):
    submit(client, demo_survey)
    run_worker(redis_conn)
    with db.session_scope(database_url) as s:
        releases.cut(s, lookup.visible(s, demo_survey), datetime(2026, 11, 30, 4, 7))
        survey = lookup.find(s, "osterbotten-halsostation-2026")
        text = survey.definition | {"open_data": True}
        import yaml
        lifecycle.import_survey(s, yaml.safe_dump(text, allow_unicode=True))
    doc = client.get("/api/v1/open-data").get_json()
    listed = {d["identifier"]: d for d in doc["datasets"]}
    assert listed[demo_survey]["modified"] == "2026-11-30"
    county = listed["osterbotten-halsostation-2026"]
    assert county["publisher"]["identifier"] == "17"
    assert county["publisher"]["name"]["sv"] == "Österbottens välfärdsområde"
    assert county["spatial"] == "17"


def test_the_life_cycle_keeps_the_flag(database_url, demo_survey):
    with db.session_scope(database_url) as s:
        assert lookup.find(s, demo_survey).definition["open_data"] is True
        lifecycle.close(s, demo_survey)
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, demo_survey)
        assert survey.status == "closed" and survey.definition["open_data"] is True
