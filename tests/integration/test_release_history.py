"""The cross-time audit on a real database (surveys/report/history.py, releases.cut and
`palaute disclosure audit`): a release mixes a county's carried figures with its neighbours'
new ones, and that mixture must not pin a small county."""

from __future__ import annotations

from datetime import datetime

import pytest

from surveys.definitions import lookup
from surveys.infra import db
from surveys.report import releases
from tests.conftest import VALID_ANSWERS, TestCli, demo_year_long, run_worker, submit


@pytest.fixture
def released_app(settings, redis_conn, demo_survey):
    from webapp import create_app

    # Cut in 2026: the demo's period (a year from the day it is seeded) set to 2026, over
    # which release pacing spreads its times.
    demo_year_long(settings, demo_survey)
    return create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})


def answer(client, slug: str, n: int, region: str) -> None:
    for i in range(n):
        varied = {"recommend": str(5 + i % 5), "got_help": str(2 + i % 3),
                  "service": ("dental", "social")[i % 2]}
        resp = submit(client, slug, "fi", {**VALID_ANSWERS, **varied, "region": region})
        assert resp.status_code == 303


def cut(settings, slug: str, when: str, **kwargs):
    with db.session_scope(settings) as s:
        release = releases.cut(s, lookup.visible(s, slug), datetime.fromisoformat(when),
                               **kwargs)
        return release is not None


def respondents(client, slug: str, **scope) -> int | None:
    return client.get(f"/api/v1/surveys/{slug}/results", query_string=scope
                      ).get_json()["respondents"]


def audit_cli(slug: str):
    from webapp.cli import main

    return TestCli().invoke(main, ["disclosure", "audit", slug])


def first_then_mixed(client, settings, slug, redis_conn, **cut_kwargs) -> None:
    """North Ostrobothnia (19) and Central Ostrobothnia (18) with 10 each, cut; then 19 gains
    6 and Lapland (21) gets its first 2. Today's publication hides 21 and, to protect it, 18;
    but 18 did not change, so the release rule alone keeps 18's earlier figure shown (10)
    beside 19's and the area's new ones: 28 − 16 − 10 = 2."""
    answer(client, slug, 10, "19")
    answer(client, slug, 10, "18")
    run_worker(redis_conn)
    assert cut(settings, slug, "2026-06-01T04:00")
    answer(client, slug, 6, "19")
    answer(client, slug, 2, "21")
    run_worker(redis_conn)
    assert cut(settings, slug, "2026-06-02T04:00", **cut_kwargs)


def test_the_release_rule_alone_pins_a_small_county_and_the_audit_says_so(
        released_app, settings, demo_survey, redis_conn):
    client = released_app.test_client()
    first_then_mixed(client, settings, demo_survey, redis_conn, audit_history=False)
    area = respondents(client, demo_survey, area="pohjois")
    shown = {r: respondents(client, demo_survey, region=r) for r in ("18", "19", "20")}
    assert (area, shown["18"], shown["19"]) == (28, 10, 16)  # 21 = 28 − 10 − 16 = 2
    result = audit_cli(demo_survey)
    assert result.exit_code == 1, result.output
    release_part = result.output.split("latest release", 1)[1]
    exposed = [line for line in release_part.splitlines() if line.startswith("EXPOSED")]
    assert any(line.split()[1:3] == ["21", "*"] and "of respondents" in line
               for line in exposed), result.output
    # Today's own publication is fine: only the mixture fails.
    today = result.output.split("latest release", 1)[0]
    assert "0 exposed" in today and "EXPOSED" not in today


def test_on_the_marginals_the_audit_still_sees_it_and_says_how(
        released_app, settings, demo_survey, redis_conn, monkeypatch):
    """The same mixture, audited as a national survey's is (its cells × times above
    MAX_MONTHLY_CELLS: on the marginals, audit._Marginals): Lapland's 2 is still exposed, and
    the operator is told how it was audited. No system is left a relaxation there (the
    respondents' is lifted to cells, audit._Lift; a channels question has its sets)."""
    from surveys.report import history

    client = released_app.test_client()
    first_then_mixed(client, settings, demo_survey, redis_conn, audit_history=False)
    monkeypatch.setattr(history, "MAX_MONTHLY_CELLS", 1)
    result = audit_cli(demo_survey)
    assert result.exit_code == 1, result.output
    release_part = result.output.split("latest release", 1)[1]
    assert "the months of today and the 1 newest earlier time(s) on the marginals" \
        in release_part
    assert "relaxation" not in release_part and "solved on the cells" not in release_part
    assert "months are left out" not in release_part
    exposed = [line for line in release_part.splitlines() if line.startswith("EXPOSED")]
    assert any(line.split()[1:3] == ["21", "*"] and "of respondents" in line
               for line in exposed), result.output

    # Without the lift (audit.LIFT, for comparisons): the operator is told which system is a
    # relaxation.
    from surveys.report import audit

    monkeypatch.setattr(audit, "LIFT", False)
    result = audit_cli(demo_survey)
    assert result.exit_code == 1, result.output
    assert "a relaxation for the respondents (" in result.output.split("latest release", 1)[1]


def test_the_cut_holds_back_changes_until_the_release_passes(released_app, settings,
                                                             demo_survey, redis_conn):
    client = released_app.test_client()
    first_then_mixed(client, settings, demo_survey, redis_conn)
    area = respondents(client, demo_survey, area="pohjois")
    shown = {r: respondents(client, demo_survey, region=r) for r in ("18", "19", "20", "21")}
    assert shown["21"] is None
    # No difference of shown figures gives Lapland's 2.
    assert area is None or area - sum(v for v in shown.values() if v) not in (1, 2, 3, 4)
    result = audit_cli(demo_survey)
    assert result.exit_code == 0, result.output
    assert result.output.count(" 0 exposed") == 2, result.output
    assert "audited with 1 release(s) before it" in result.output
    assert "note: the aggregates changed" not in result.output

    # Later answers: today's data stand in for the data at the cut, and the CLI says so.
    answer(client, demo_survey, 1, "19")
    run_worker(redis_conn)
    again = audit_cli(demo_survey)
    assert "note: the aggregates changed since this release was cut" in again.output


def test_no_release_yet(client, demo_survey, redis_conn):
    answer(client, demo_survey, 6, "19")
    run_worker(redis_conn)
    result = audit_cli(demo_survey)
    assert result.exit_code == 0, result.output
    assert "latest release: none yet" in result.output


def test_every_earlier_release_is_audited_not_only_the_one_before(released_app, settings,
                                                                   demo_survey, redis_conn,
                                                                   monkeypatch, caplog):
    """Three releases, each replacing every block of the one before (18 and 19 gain 5 each
    time): the third carries nothing of the first, so the audit of the release before it alone
    would not see the first release's figures. The cut audits them (within its budget) and so
    does `palaute disclosure audit`; `--history recent` with a budget too small for them says
    they were left out."""
    from surveys.models import ReleasedBlock
    from surveys.report import history

    client = released_app.test_client()
    earlier_at_cut: list[set] = []
    audit_release = history.audit_release

    def recording(table, current, earlier, **kwargs):
        earlier_at_cut.append(set(earlier))
        return audit_release(table, current, earlier, **kwargs)

    monkeypatch.setattr(history, "audit_release", recording)
    ids = []
    for day, n in (("01", 10), ("02", 5), ("03", 5)):
        answer(client, demo_survey, n, "19")
        answer(client, demo_survey, n, "18")
        run_worker(redis_conn)
        earlier_at_cut.clear()
        assert cut(settings, demo_survey, f"2026-06-{day}T04:00")
        with db.session_scope(settings) as s:
            latest = releases.latest(s, lookup.visible(s, demo_survey).id)
            ids.append(latest.id)
            times = {b.computed_in for b in s.query(ReleasedBlock).filter_by(
                release_id=latest.id)}
        assert times == {latest.id}  # every block changed: nothing carried
    first, second, _third = ids
    assert earlier_at_cut and all(t == {first, second} for t in earlier_at_cut)
    assert respondents(client, demo_survey, region="19") == 20

    result = audit_cli(demo_survey)
    assert result.exit_code == 0, result.output
    assert ("audited with 2 release(s) before it: its own figures and those of 2 earlier "
            "time(s)") in result.output
    assert "left out" not in result.output
    # Sets of cells pinned or narrowed: searched in today's publication, in the release's
    # figures of its own time, and in those with the 2 earlier times' together.
    searched = [line for line in result.output.splitlines()
                if line.startswith("sets of cells pinned or narrowed")]
    assert len(searched) == 3 and all(line.endswith(": 0") for line in searched)
    assert "and the 2 earlier time(s) together: 0" in searched[-1]

    # A cut whose budget holds today's layer and one earlier one: the first time is left out,
    # and the operator's `--history recent` (what a cut audits) says so.
    monkeypatch.setattr(history, "MAX_HISTORY_CELLS", 1)
    from webapp.cli import main

    recent = TestCli().invoke(main, ["disclosure", "audit", demo_survey, "--history", "recent"])
    assert recent.exit_code == 0, recent.output
    assert "those of 1 earlier time(s)" in recent.output
    assert "note: 1 earlier time(s) left out" in recent.output
    whole = audit_cli(demo_survey)
    assert "those of 2 earlier time(s)" in whole.output and "left out" not in whole.output

    # The cut itself, within that budget, audits its window (the release before it) and logs
    # the times it left out. (Pacing keeps a survey's times within the budget, so that it
    # would refuse this cut: unpaced here, the budget's fallback for a survey beyond its
    # capacity, e.g. a budget lowered after its times were taken.)
    answer(client, demo_survey, 5, "19")
    answer(client, demo_survey, 5, "18")
    run_worker(redis_conn)
    earlier_at_cut.clear()
    with caplog.at_level("WARNING", logger="surveys.report.releases"):
        assert cut(settings, demo_survey, "2026-06-04T04:00", paced=False)
    assert earlier_at_cut and all(t == {ids[2]} for t in earlier_at_cut)
    assert any("2 left out" in r.getMessage() for r in caplog.records), caplog.records
