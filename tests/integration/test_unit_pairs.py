"""A staff survey with two breakdowns: a unit cut reads them against each other with the true
counts of each pair counted from the stored responses (surveys.report.units.stored_pairs), on
the real database, through the real form, the fold and `palaute surveys close`."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from sqlalchemy import delete, func, select

from surveys.definitions import lifecycle, lookup
from surveys.infra import db
from surveys.models import PendingResponse, Response, UnitRelease
from surveys.report import units
from surveys.staff import invitations
from tests.conftest import form_tokens, run_worker
from tests.integration.test_staff_units import import_units
from tests.integration.test_unit_results import TREE
from tests.unit.staff.test_staff_format import SLUG, staff_yaml
from webapp.cli import main

# unit: [(profession, age)], one per respondent ("" for no answer).
ANSWERS = {
    "HR": [("nurse", "young")] * 4 + [("other", "old")] * 4 + [("nurse", "old"), ("", "old")],
    "WARD1": [("nurse", "old")] * 5 + [("other", "")],
    "WARD2": [("other", "young")] * 6,
}


def two_breakdowns() -> str:
    data = yaml.safe_load(staff_yaml())
    data["questions"].append(
        {"id": "age", "type": "single", "breakdown": True,
         "text": {"fi": "Ikäryhmä", "sv": "Åldersgrupp"},
         "choices": [{"id": "young", "label": {"fi": "Alle 40", "sv": "Under 40"}},
                     {"id": "old", "label": {"fi": "40 tai yli", "sv": "40 eller mer"}}]})
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture
def answered(client, database_url, redis_conn):
    import_units(database_url, TREE)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, two_breakdowns())
        lifecycle.publish(s, SLUG)
    for unit, rows in ANSWERS.items():
        with db.session_scope(database_url) as s:
            links = invitations.create(s, lookup.find(s, SLUG), unit, len(rows))
        for token, (profession, age) in zip(links, rows, strict=True):
            page = client.get(f"/fi/i/{token}")
            data = {**form_tokens(page.get_data(as_text=True)), "workload": "3",
                    **({"profession": profession} if profession else {}),
                    **({"age": age} if age else {})}
            assert client.post(f"/fi/i/{token}", data=data).status_code == 303
    run_worker(redis_conn)
    return SLUG


def expected() -> Counter:
    """The pairs per leaf as the answers above give them (CARE has sub-units and no
    respondents of its own; HR and the wards are leaves)."""
    out: Counter = Counter()
    for unit, rows in ANSWERS.items():
        for profession, age in rows:
            out[(unit, "profession", profession, "age", age)] += 1
    return out


def pairs(database_url):
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, SLUG)
        tree = units.tree_of(s, survey)
        return units.stored_pairs(s, survey, tree, units.live_tables(s, survey, tree))


def test_a_cut_reads_the_pairs_from_the_stored_responses(answered, database_url, settings):
    """The pairs are counted from the stored responses, each response once per pair of
    breakdowns; the close's cut reads them with the views and stores the release (nothing
    narrowed). Where the stored responses are no longer those counted (a retention purge),
    the pairs are not read (None) rather than read wrong."""
    with db.session_scope(database_url) as s:  # some wait for their batch, folded
        held = s.scalar(select(func.count()).select_from(PendingResponse)
                        .where(PendingResponse.folded.is_(True)))
        assert 0 < held < sum(map(len, ANSWERS.values()))
    assert pairs(database_url) == expected()
    from webapp import create_app

    app = create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})
    result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    with db.session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(UnitRelease)) == 1
    audit = app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert "breakdowns read together: passes, 0 group(s) narrowed" in audit.output, audit.output
    with db.session_scope(database_url) as s:
        one = s.scalars(select(Response.id).limit(1)).one()
        s.execute(delete(Response).where(Response.id == one))
    assert pairs(database_url) is None
