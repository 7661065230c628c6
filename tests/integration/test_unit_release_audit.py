"""`palaute disclosure audit SLUG` on a staff survey also audits its latest unit release
(surveys.report.units.audit_latest): each table's stored figures and reasons, with the unit
release before it as an earlier layer, against today's unit aggregates; a tampered release
fails, and the output names only the group, the figure and the rule, never a small group's
figure."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from surveys.infra import db
from surveys.models import UnitRelease
from tests.conftest import run_worker
from tests.integration import test_unit_releases as unit_releases
from tests.integration.test_unit_releases import SLUG, close, reopen_and_answer

answered = unit_releases.answered  # the staff survey answered (a fixture)
released_app = unit_releases.released_app


def audit(app):
    from webapp.cli import main

    return app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])


def unit_part(output: str) -> str:
    assert "latest unit release" in output, output
    return output.split("latest unit release", 1)[1]


def tamper(database_url, change) -> None:
    with db.session_scope(database_url) as s:
        release = s.scalars(select(UnitRelease).order_by(UnitRelease.id.desc())).first()
        data = dict(release.data)
        change(data)
        release.data = data
        flag_modified(release, "data")


def test_the_audit_passes_a_unit_release_table_by_table(answered, released_app):
    result = audit(released_app)
    assert result.exit_code == 0, result.output
    assert "latest unit release: none yet" in result.output
    close(released_app)
    result = audit(released_app)
    assert result.exit_code == 0, result.output
    part = unit_part(result.output)
    assert "with 0 release(s) before it" in part
    for table in ("*", "profession"):
        assert re.search(rf"^table {re.escape(table)} +passes", part, re.M), part
    assert "breakdowns read together: 1 breakdown(s), nothing to read together" in part
    assert "EXPOSED" not in part and "pinned or narrowed" not in part


@pytest.mark.parametrize("reopens", [1, 2])
def test_a_later_unit_release_is_audited_with_every_release_before_it(
        answered, released_app, client, database_url, redis_conn, reopens):
    """Not only the one before it: a figure replaced two releases ago is as public as the
    last one's (surveys.report.history), so the cut and the audit take every earlier release."""
    close(released_app)
    for _ in range(reopens):
        reopen_and_answer(client, database_url, {"HR": [("2", "nurse")] * 5})
        run_worker(redis_conn)
        close(released_app)
    assert unit_releases.releases(database_url) == 1 + reopens
    result = audit(released_app)
    assert result.exit_code == 0, result.output
    part = unit_part(result.output)
    assert f"with {reopens} release(s) before it" in part
    assert "changed since" not in part  # today's data are those the release was cut from
    assert re.search(r"^table profession +passes", part, re.M), part
    assert "EXPOSED" not in part


def _figures(data, table="*"):
    return {tuple(f[:4]): f[4] for f in data["figures"][table]}


@pytest.mark.parametrize("what", ["small", "cover"])
def test_a_tampered_unit_release_fails_and_names_only_the_group(answered, released_app,
                                                                 database_url, what):
    """WARD3 has 2 respondents (K = 5): hidden, and one sibling hidden beside it. Writing
    WARD3's own count into the stored release ("small"), or the count of the sibling that
    covers it ("cover": CARE − WARD1 − WARD2 = WARD3), must fail the audit."""
    close(released_app)
    with db.session_scope(database_url) as s:
        data = s.scalars(select(UnitRelease)).one().data
    figures = _figures(data)
    assert ("WARD3", "*", "*", "n") not in figures
    hidden = [w for w in ("WARD1", "WARD2") if (w, "*", "*", "n") not in figures]
    assert len(hidden) == 1  # the cover
    true = {"WARD1": 7, "WARD2": 6, "WARD3": 2}
    place = "WARD3" if what == "small" else hidden[0]

    def change(d):
        d["figures"] = {**d["figures"],
                        "*": sorted([*d["figures"]["*"], [place, "*", "*", "n", true[place]]])}
        d["reasons"] = {**d["reasons"],
                        "*": [r for r in d["reasons"]["*"] if r[:3] != [place, "*", "*"]]}

    tamper(database_url, change)
    result = audit(released_app)
    assert result.exit_code == 1, result.output
    part = unit_part(result.output)
    assert re.search(r"^table \* +FAILS", part, re.M), part
    exposed = [line for line in part.splitlines() if line.startswith("EXPOSED")]
    # Shown outright: below the threshold; shown through its cover: its range is too narrow.
    rule = "threshold" if what == "small" else "size"
    assert any(line.split()[1:3] == ["WARD3", "*"] and "of respondents" in line
               and line.split()[-1] == rule for line in exposed), part
    # The search for sets of cells of any shape (surveys.report.narrowing, with the
    # invitations) finds it too, as a set of WARD3's cells, named by unit and value only.
    assert any(line.split()[1] == "WARD3" and line.split()[2] == "set"
               and line.split()[-1] == "size" for line in exposed), part
    # Only the group, the figure and the rule: no count of a small group, no feasible range.
    assert not any(re.search(r"\d", line.split("of respondents", 1)[1]) for line in exposed
                   if "of respondents" in line), part
    assert "[" not in "".join(exposed)
