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


def released_app(settings):
    from webapp import create_app

    return create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})


def releases(database_url) -> int:
    with db.session_scope(database_url) as s:
        return s.scalar(select(func.count()).select_from(UnitRelease))


def test_a_cut_reads_the_pairs_from_the_stored_responses(answered, database_url, settings,
                                                         monkeypatch):
    """The pairs are counted from the stored responses (moved, and folded and held for their
    batch), each response once per pair of breakdowns, and the close's cut reads them with the
    views (nothing narrowed here) and stores the release."""
    from surveys.report import units_across

    with db.session_scope(database_url) as s:  # some wait for their batch, folded
        held = s.scalar(select(func.count()).select_from(PendingResponse)
                        .where(PendingResponse.folded.is_(True)))
        assert 0 < held < sum(map(len, ANSWERS.values()))
    assert pairs(database_url) == expected()
    read = []
    real = units_across.narrowed

    def reading(tables, figures, reasons, pairs=None, history=None):
        read.append(pairs)
        return real(tables, figures, reasons, pairs, history)

    monkeypatch.setattr(units_across, "narrowed", reading)
    app = released_app(settings)
    result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    assert releases(database_url) == 1
    assert read and all(p == expected() for p in read)
    audit = app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert "breakdowns read together: passes, 0 group(s) narrowed" in audit.output, audit.output


def test_no_release_where_the_stored_responses_are_not_those_counted(answered, database_url,
                                                                    settings, caplog):
    """A stored response missing (not for a retention purge): the pairs cannot be read, and
    nothing unproven is cut. After a purge (responses_purged_on) the cut goes on without the
    pairs, and says so."""
    from datetime import date

    from surveys.models import Survey

    with db.session_scope(database_url) as s:
        one = s.scalars(select(Response.id).limit(1)).one()
        s.execute(delete(Response).where(Response.id == one))
    assert pairs(database_url) is None
    app = released_app(settings)
    with caplog.at_level("INFO", logger="surveys.report.units"):
        result = app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    assert releases(database_url) == 0
    assert "the stored responses are not those counted; no release" in caplog.text
    with db.session_scope(database_url) as s:
        s.scalars(select(Survey).where(Survey.slug == SLUG)).one().responses_purged_on = (
            date(2099, 1, 1))
    with caplog.at_level("INFO", logger="surveys.report.units"):
        result = app.test_cli_runner().invoke(main, ["results", "release", SLUG])
    assert result.exit_code == 0, result.output
    assert releases(database_url) == 1
    assert "groups in a value of two breakdowns are not read together" in caplog.text
