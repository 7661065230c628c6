"""A survey's harmless answers through the real pipeline (docs/privacy.md, "Harmless answers"):
everyone in county 17 chose phone and online; withheld as unanimous until the survey declares
those answers harmless, then shown. The mark is not part of a published survey's shape."""

from __future__ import annotations

import yaml

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from tests.conftest import run_worker
from tests.integration.test_aggregation import results, submit_many


def test_everyone_giving_a_harmless_answer_is_shown(client, demo_survey, redis_conn,
                                                    database_url):
    submit_many(client, demo_survey, 6)
    run_worker(redis_conn)
    channels = results(client, demo_survey, region="17")["questions"]["channels"]
    assert channels["n"] == 6 and channels["counts"]["phone"] is None

    with db.session_scope(database_url) as s:
        d = lookup.find(s, demo_survey).definition
        assert lookup.find(s, demo_survey).status != "draft"
    channels_q = next(q for q in d["questions"] if q["id"] == "channels")
    channels_q["harmless_answers"] = ["phone", "online"]
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, yaml.safe_dump(d, allow_unicode=True))

    data = results(client, demo_survey, region="17")
    channels = data["questions"]["channels"]
    assert channels["counts"]["phone"] == 6 and channels["counts"]["online"] == 6
    # Still withheld: an undeclared unanimous answer (everyone chose dental) …
    assert data["questions"]["service"]["counts"]["dental"] is None
    # … and counts below the minimum inside the shown group (recommend 0-5 once each).
    assert all(c is None or c == 0 for c in data["questions"]["recommend"]["counts"].values())
