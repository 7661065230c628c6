"""The totals table (aggregates summed over months and languages) always agrees with them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from surveys.fold import aggregation
from surveys.infra import db
from surveys.models import AggregateTotal, PendingResponse
from tests.conftest import SETTINGS, VALID_ANSWERS, TestCli, submit
from webapp.cli import main
from workers import jobs


def _add_response(s, survey_id, region, lang, day, answers):
    s.add(PendingResponse(survey_id=survey_id, region_code=region, lang=lang, submitted_on=day,
                          answers=answers))


def test_totals_equal_aggregates_summed_after_folds_and_rebuild(client, demo_survey):
    for region in ("17", "17", "21"):
        assert submit(client, demo_survey, "fi", {**VALID_ANSWERS, "region": region}).status_code \
            == 303
    with db.session_scope(SETTINGS.database_url) as s:
        sid = s.scalar(select(PendingResponse.survey_id))
        # Other months and languages: summed into the same totals rows.
        _add_response(s, sid, "17", "sv", date(2026, 1, 3), {"recommend": 3})
        _add_response(s, sid, "17", "fi", date(2025, 12, 30), {"recommend": 3})
    assert jobs.fold_pending() == 5
    with db.session_scope(SETTINGS.database_url) as s:
        stored = aggregation.stored_counts(s, [sid])
        totals = aggregation.stored_totals(s, [sid])
        assert totals == aggregation.totals_of(stored)
        assert totals[(sid, "17", "recommend", "3")] == 2
        assert totals[(sid, "17", "*", "*")] == 4
        assert len({k.month for k in stored}) >= 2
    # The results API reads the totals: the whole country (5) is shown, region 17 (4) is not.
    country = client.get(f"/api/v1/surveys/{demo_survey}/results").get_json()
    assert country["respondents"] == 5
    assert country["questions"]["recommend"]["n"] == 5
    # The two answers of 3 are a count below 3: withheld inside the shown group (docs/privacy.md).
    assert country["questions"]["recommend"]["counts"]["3"] is None
    assert client.get(f"/api/v1/surveys/{demo_survey}/results?region=17").get_json()[
        "suppressed"] is True
    result = TestCli().invoke(main, ["aggregates", "rebuild"])
    assert result.exit_code == 0, result.output
    with db.session_scope(SETTINGS.database_url) as s:
        assert aggregation.stored_totals(s, [sid]) == totals
    result = TestCli().invoke(main, ["aggregates", "verify"])
    assert result.exit_code == 0, result.output


def test_verify_reports_totals_that_drift(client, demo_survey):
    for _ in range(5):
        assert submit(client, demo_survey).status_code == 303
    jobs.fold_pending()
    with db.session_scope(SETTINGS.database_url) as s:
        s.execute(AggregateTotal.__table__.update().where(AggregateTotal.question_id == "*")
                  .values(count=AggregateTotal.count + 1))
    result = TestCli().invoke(main, ["aggregates", "verify"])
    assert result.exit_code == 1
    assert "recount 5" in result.output
