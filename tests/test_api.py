"""The JSON API and the health check."""

from __future__ import annotations

from tests.conftest import submit
from workers import jobs


def test_results_contract(client, demo_survey):
    for _ in range(5):
        submit(client, demo_survey)
    jobs.fold_pending()
    data = client.get(f"/api/v1/surveys/{demo_survey}/results?region=17").get_json()
    assert set(data) >= {"survey", "scope", "respondents", "suppressed", "questions"}
    assert data["survey"] == demo_survey
    assert data["scope"]["code"] == "17" and data["scope"]["level"] == "region"
    q = data["questions"]["got_help"]
    assert set(q) >= {"type", "n", "counts", "mean", "nps"}
    assert q["type"] == "likert5" and q["n"] == 5 and q["counts"]["4"] == 5 and q["mean"] == 4.0
    assert q["nps"] is None


def test_bad_scope_and_unknown_survey(client, demo_survey):
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=99").status_code == 400
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?area=mars").status_code == 400
    resp = client.get("/api/v1/surveys/nope/results")
    assert resp.status_code == 404 and resp.is_json


def test_healthz(client, app):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"db": "ok", "redis": "ok"}


def test_healthz_names_what_is_down(database_url):
    from webapp import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
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


def test_monthly_results_follow_the_totals_suppression(client, demo_survey, session):
    from datetime import date

    from sqlalchemy import select, update

    from surveys.models import Response

    def monthly():
        return client.get(f"/api/v1/surveys/{demo_survey}/results/monthly?region=17").get_json()

    for _ in range(6):
        submit(client, demo_survey)
    jobs.fold_pending()
    [month] = monthly()["months"]
    assert month["respondents"] == 6 and month["questions"]["recommend"]["mean"] == 9.0
    # Two of them were given in an earlier month: that month (2) must be hidden, and so must
    # the other month, or the total 6 - 4 would reveal it.
    ids = session.scalars(select(Response.id).limit(2)).all()
    session.execute(update(Response).where(Response.id.in_(ids))
                    .values(submitted_on=date(2026, 1, 15)))
    session.commit()
    from click.testing import CliRunner

    from webapp.cli import main

    assert CliRunner().invoke(main, ["aggregates", "rebuild"]).exit_code == 0
    months = monthly()["months"]
    assert [m["month"] for m in months][0] == "2026-01" and len(months) == 2
    assert all(m["suppressed"] and m["respondents"] is None for m in months)
    assert all(q["mean"] is None for m in months for q in m["questions"].values())
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=17").get_json()[
        "respondents"] == 6


def test_csv_export_respects_suppression(client, demo_survey):
    import csv
    import io

    for _ in range(5):
        submit(client, demo_survey)
    jobs.fold_pending()
    resp = client.get(f"/api/v1/surveys/{demo_survey}/results.csv?region=17")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert {"measure": "respondents", "value": "5"}.items() <= rows[0].items()
    assert any(r["question"] == "service" and r["measure"] == "count:dental" and r["value"] == "5"
               for r in rows)
    assert not any(r["question"] == "comment" and r["measure"].startswith("count") for r in rows)
    small = client.get(f"/api/v1/surveys/{demo_survey}/results.csv?region=21")
    rows = list(csv.DictReader(io.StringIO(small.get_data(as_text=True))))
    assert all(r["value"] == "" for r in rows)
    assert client.get(f"/api/v1/surveys/{demo_survey}/results.csv?region=77").status_code == 400
