"""The JSON API and the health check."""

from __future__ import annotations

from surveys.infra import clock
from tests.conftest import SETTINGS, VALID_ANSWERS, submit
from workers import jobs


def test_results_contract(client, demo_survey):
    for got_help in "444555":
        submit(client, demo_survey, "fi", {**VALID_ANSWERS, "got_help": got_help})
    jobs.fold_pending()
    data = client.get(f"/api/v1/surveys/{demo_survey}/results?region=17").get_json()
    assert set(data) >= {"survey", "scope", "respondents", "suppressed", "questions"}
    assert data["survey"] == demo_survey
    assert data["scope"]["code"] == "17" and data["scope"]["level"] == "region"
    q = data["questions"]["got_help"]
    assert set(q) >= {"type", "n", "counts", "mean", "nps"}
    assert q["type"] == "likert5" and q["n"] == 6 and q["counts"]["4"] == 3 and q["mean"] == 4.5
    assert q["counts"]["5"] == 3 and q["counts"]["1"] == 0 and q["withheld"] == []
    assert q["nps"] is None


def test_bad_scope_and_unknown_survey(client, demo_survey):
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=99").status_code == 400
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?area=mars").status_code == 400
    resp = client.get("/api/v1/surveys/nope/results")
    assert resp.status_code == 404 and resp.is_json
    # A slug holding a slash (found by test_fuzz_results_api: "0/"): the path's "//" was
    # answered with an HTML redirect to a merged path, not the API's JSON error.
    resp = client.get("/api/v1/surveys/0%2F/results")
    assert resp.status_code == 404 and resp.is_json


def test_healthz(client, app):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"db": "ok", "redis": "ok"}


def test_healthz_names_what_is_down(database_url):
    from webapp import create_app

    app = create_app(SETTINGS.with_overrides(database_url=database_url, redis_url="redis://127.0.0.1:1/0"),
                     {"TESTING": True})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["db"] == "ok" and body["redis"].startswith("down")


def test_survey_list_by_goal(client, demo_survey):
    def slugs(goal):
        return {s["slug"] for s in
                client.get(f"/api/v1/surveys?goal={goal}").get_json()["surveys"]}

    assert slugs(5) == {demo_survey, "osterbotten-halsostation-2026"}
    assert slugs(2) == slugs(5) | {"lappi-kielipalvelut-2026"}
    assert slugs(12) == set()
    [listed] = [s for s in client.get("/api/v1/surveys").get_json()["surveys"]
                if s["slug"] == demo_survey]
    assert listed["goals"] == [2, 5] and listed["languages"] == ["fi", "sv", "se"]


def test_monthly_results_list_every_month_and_no_county_months(client, demo_survey, session):
    from datetime import date

    from sqlalchemy import select, update

    from surveys.models import PendingResponse, Response

    def monthly(**params):
        return client.get(f"/api/v1/surveys/{demo_survey}/results/monthly",
                          query_string=params).get_json()

    for recommend in "9988776655":
        submit(client, demo_survey, "fi", {**VALID_ANSWERS, "recommend": recommend})
    jobs.fold_pending()
    current = clock.today().strftime("%Y-%m")
    [month] = monthly(area="lansi")["months"]
    assert month["month"] == current and month["respondents"] == 10
    assert month["questions"]["recommend"]["mean"] == 7.0
    # A county's months are never published (docs/privacy.md): listed, all suppressed.
    county = monthly(region="17")
    assert county["months_published"] is False
    assert [m["month"] for m in county["months"]] == [current]
    assert county["months"][0]["suppressed"] and county["months"][0]["respondents"] is None
    # Two of them were given in January: that month (2) must be hidden, and so must the other
    # month, or the total 10 - 8 would reveal it. Every month between is listed too.
    # Stored responses: moved into `responses` or still held, folded (fewer than a batch).
    ids = [*session.scalars(select(Response.id)), *session.scalars(select(PendingResponse.id))][:2]
    for table in (Response, PendingResponse):
        session.execute(update(table).where(table.id.in_(ids))
                        .values(submitted_on=date(2026, 1, 15)))
    session.commit()
    from tests.conftest import TestCli
    from webapp.cli import main

    assert TestCli().invoke(main, ["aggregates", "rebuild"]).exit_code == 0
    months = monthly(area="lansi")["months"]
    names = [m["month"] for m in months]
    assert names[0] == "2026-01" and names[-1] == current
    assert len(names) == (int(current[:4]) - 2026) * 12 + int(current[5:]), names
    assert all(m["suppressed"] and m["respondents"] is None for m in months)
    assert all(q["mean"] is None for m in months for q in m["questions"].values())
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=17").get_json()[
        "respondents"] == 10


def test_csv_export_respects_suppression(client, demo_survey):
    import csv
    import io

    for service in ("dental",) * 3 + ("social",) * 3:
        submit(client, demo_survey, "fi", {**VALID_ANSWERS, "service": service})
    jobs.fold_pending()
    resp = client.get(f"/api/v1/surveys/{demo_survey}/results.csv?region=17")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert {"measure": "respondents", "value": "6"}.items() <= rows[0].items()
    assert any(r["question"] == "service" and r["measure"] == "count:dental" and r["value"] == "3"
               for r in rows)
    # Everyone answered 4 on got_help: withheld (attribute disclosure), written as empty cells.
    assert all(r["value"] == "" for r in rows
               if r["question"] == "got_help" and r["measure"].startswith("count:"))
    assert not any(r["question"] == "got_help" and r["measure"] == "mean" for r in rows)
    assert not any(r["question"] == "comment" and r["measure"].startswith("count") for r in rows)
    small = client.get(f"/api/v1/surveys/{demo_survey}/results.csv?region=21")
    rows = list(csv.DictReader(io.StringIO(small.get_data(as_text=True))))
    assert all(r["value"] == "" for r in rows)
    assert client.get(f"/api/v1/surveys/{demo_survey}/results.csv?region=77").status_code == 400
