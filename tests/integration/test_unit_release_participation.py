"""HR's participation page (the nightly count, hiding small units by its own rule) and the
unit release HR reads beside it, read together with the invitations HR issued (a review of the
7 December session read a unit's one respondent from the two): the release is cut with the
page's last count as an earlier time and the invitations as upper bounds
(surveys.report.units.cut, pinned_by_invitations), and the page counts no more once a release
exists. A unit moved between the page's last count and the close stops the release."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from scipy.optimize import linprog
from sqlalchemy import delete, func, insert, select, update

from surveys.definitions import lifecycle, lookup
from surveys.fold import quarantine, retention
from surveys.fold.units import UNIT_TOTAL
from surveys.infra import clock, db
from surveys.models import (
    ParticipationCount,
    PendingResponse,
    QuarantinedResponse,
    Response,
    Survey,
    Unit,
    UnitCutRefusal,
    UnitRelease,
)
from surveys.report import units
from surveys.report.audit import ALL_MONTHS, BELOW_THRESHOLD, RESPONDENTS, N
from surveys.staff import invitations, participation
from surveys.staff.suppression import kept_with_invitations
from tests.conftest import TestCli, run_worker
from tests.integration.test_staff_participation import night
from tests.integration.test_staff_units import import_units
from tests.integration.test_unit_results import answer
from tests.unit.staff.test_staff_format import SLUG, staff_yaml
from webapp.cli import main
from workers import jobs

TREE = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Org,Org,100
UX,ORG1,Yksikkö X,X,10
UY,ORG1,Yksikkö Y,Y,10
UZ,ORG1,Yksikkö Z,Z,10
UW,ORG1,Yksikkö W,W,10
"""
ISSUED = {"UX": 6, "UY": 8, "UZ": 10, "UW": 3}
LEAVES = ("UX", "UY", "UZ", "UW")


@pytest.fixture
def released_app(settings, redis_conn):
    from webapp import create_app

    return create_app(settings.with_overrides(results_release="daily"), {"TESTING": True})


def survey_with_links(database_url) -> dict[str, list[str]]:
    import_units(database_url, TREE)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml())
        lifecycle.publish(s, SLUG)
        survey = lookup.find(s, SLUG)
        return {u: invitations.create(s, survey, u, n) for u, n in ISSUED.items()}


def answer_with(client, tokens: list[str], n: int) -> None:
    for i, token in enumerate(tokens[:n]):
        answer(client, token, str(1 + i % 5), ("nurse", "other")[i % 2])


def page_and_release(database_url) -> tuple[dict[str, float], dict[str, float]]:
    """{unit code: respondents} as HR's page shows them, and as the unit release does."""
    page, shown, _reasons = page_and_release_reasons(database_url)
    return page, shown


def page_and_release_reasons(database_url) -> tuple[dict[str, float], dict[str, float],
                                                    dict[str, str]]:
    """`page_and_release`, and the release's reasons for the unit totals it hides."""
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, SLUG)
        codes = dict(s.execute(select(Unit.id, Unit.code)).all())
        page = {codes[u]: float(n)
                for u, n in participation.shown_respondents(s, survey.id).items()}
        release = s.scalars(select(UnitRelease).where(UnitRelease.survey_id == survey.id)
                            ).one().data
    shown = {p: v for p, period, key, measure, v in release["figures"][UNIT_TOTAL]
             if (period, key, measure) == (ALL_MONTHS, RESPONDENTS, N)}
    reasons = {p: r for p, period, key, r in release["reasons"][UNIT_TOTAL]
               if (period, key) == (ALL_MONTHS, RESPONDENTS)}
    return page, shown, reasons


OLD_TREE = {"ORG1": None, "UX": "ORG1", "UY": "ORG1", "UZ": "ORG1", "UW": "ORG1"}
MOVED_TREE = {**OLD_TREE, "UW": "UZ"}  # HR moves UW under UZ


def subtree(tree: dict[str, str | None], unit: str) -> set[str]:
    out, grew = {unit}, True
    while grew:
        more = {u for u, parent in tree.items() if parent in out} - out
        grew, out = bool(more), out | more
    return out


def ranges(page: dict[str, float], release: dict[str, float],
           page_tree=OLD_TREE, release_tree=OLD_TREE) -> dict[str, tuple[float, float]]:
    """Each unit's own respondents now, read from both (the page's earlier, each at most
    now's; each figure the sum of the own respondents under it in its own tree) with the
    invitations issued as upper bounds: the program over the units, written out here."""
    width = 2 * len(LEAVES)  # now, then the page's time

    def row(place: str, layer: int, tree) -> np.ndarray:
        out = np.zeros(width)
        for i, leaf in enumerate(LEAVES):
            if leaf in subtree(tree, place):
                out[layer * len(LEAVES) + i] = 1.0
        return out

    eq = [row(p, 0, release_tree) for p in release] + [row(p, 1, page_tree) for p in page]
    rhs = [*release.values(), *page.values()]
    ub = [np.eye(width)[len(LEAVES) + i] - np.eye(width)[i] for i in range(len(LEAVES))]
    program = {"A_eq": np.array(eq), "b_eq": rhs, "A_ub": np.array(ub),
               "b_ub": np.zeros(len(ub)), "method": "highs",
               "bounds": [(0, ISSUED[leaf]) for _layer in range(2) for leaf in LEAVES]}
    own = {u: np.eye(width)[i] for i, u in enumerate(LEAVES)}
    return {u: (linprog(own[u], **program).fun, -linprog(-own[u], **program).fun)
            for u in LEAVES}


def test_the_release_and_the_page_together_give_no_small_unit_away(
        released_app, client, database_url, redis_conn):
    links = survey_with_links(database_url)
    day = clock.today()
    answer_with(client, links["UX"], 6)  # all of UX: its rate 100 %
    answer_with(client, links["UY"], 7)
    run_worker(redis_conn)
    assert jobs.count_participation(night(day)) == {SLUG: True}
    answer_with(client, links["UZ"], 9)
    answer_with(client, links["UW"], 1)  # UW: one respondent of 3 invited
    run_worker(redis_conn)
    assert jobs.count_participation(night(day + timedelta(days=1))) == {SLUG: True}
    result = released_app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    page, release = page_and_release(database_url)
    assert page["UX"] == 6 and "UW" not in page and "UW" not in release
    low, high = ranges(page, release)["UW"]
    assert kept_with_invitations(low, high, 5, ISSUED["UW"]), (page, release, low, high)
    # The page keeps the count the release was cut with.
    assert jobs.count_participation(night(day + timedelta(days=2))) == {SLUG: False}


def _counted_then_moved(client, database_url, redis_conn) -> None:
    """UX 6, UY 7, UZ 9 and UW 1 answered and HR's page counted; then UW moved under UZ."""
    links = survey_with_links(database_url)
    for unit, n in (("UX", 6), ("UY", 7), ("UZ", 9), ("UW", 1)):
        answer_with(client, links[unit], n)
    run_worker(redis_conn)
    assert jobs.count_participation(night(clock.today())) == {SLUG: True}
    import_units(database_url, TREE.replace("UW,ORG1,", "UW,UZ,"))


def test_a_unit_moved_after_the_pages_last_count_is_read_over_both_trees(
        released_app, client, database_url, redis_conn):
    """The page keeps the tree it was counted on; the release sums the new one. Each unit's own
    respondents are the same either way, so the page is read over its own tree: UW moved
    under UZ would otherwise show whole as the page's UZ less the release's."""
    _counted_then_moved(client, database_url, redis_conn)
    result = released_app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    page, release = page_and_release(database_url)
    low, high = ranges(page, release, OLD_TREE, MOVED_TREE)["UW"]
    assert kept_with_invitations(low, high, 5, ISSUED["UW"]), (page, release, low, high)


def _closed_with_a_count(client, database_url, redis_conn) -> date:
    """UX and UY answered and counted one night; UZ and UW answered after it; closed (not
    cut). Returns the night's day."""
    links = survey_with_links(database_url)
    day = clock.today()
    answer_with(client, links["UX"], 6)
    answer_with(client, links["UY"], 7)
    run_worker(redis_conn)
    assert jobs.count_participation(night(day)) == {SLUG: True}
    answer_with(client, links["UZ"], 9)
    answer_with(client, links["UW"], 1)
    run_worker(redis_conn)
    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
    jobs.count_participation(night(day, 12))  # (by day: settles the marks, counts nothing)
    return day


def test_a_count_stored_while_the_cut_reads_the_page_is_read_by_the_next_cut(
        client, database_url, redis_conn, monkeypatch):
    """A slow cut read the page's count of one night; the next night's count was stored
    before the cut stored its release. Stored, the release would stand beside a page it was not
    audited with: it is not, and the next run cuts with the page's new count."""
    day = _closed_with_a_count(client, database_url, redis_conn)
    audit = units.publish_units
    nights = []

    def counted_meanwhile(*args, **kwargs):
        if not nights:  # the next night's count commits while the cut audits
            nights.append(jobs.count_participation(night(day + timedelta(days=1))))
        return audit(*args, **kwargs)

    monkeypatch.setattr(units, "publish_units", counted_meanwhile)
    with db.session_scope(database_url) as s:
        assert units.cut(s, lookup.visible(s, SLUG), datetime(2099, 1, 1, 4, 7)) is None
    assert nights == [{SLUG: True}]
    with db.session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(UnitRelease)) == 0
        assert units.cut(s, lookup.visible(s, SLUG), datetime(2099, 1, 1, 5, 7)) is not None
    page, release = page_and_release(database_url)
    assert page["ORG1"] == 6 + 7 + 9 + 1 and "UW" not in release  # the new night's page
    low, high = ranges(page, release)["UW"]
    assert kept_with_invitations(low, high, 5, ISSUED["UW"]), (page, release, low, high)


def test_a_count_waits_for_a_release_being_stored_and_then_counts_no_more(
        client, database_url, redis_conn):
    """The count and the release's store take the page in turn: a count that starts while a
    cut stores its release waits for it, sees it, and counts no more (else its figures, not
    read with the release, would stand beside it)."""
    day = _closed_with_a_count(client, database_url, redis_conn)
    counted: list[bool] = []

    def count_the_next_night() -> None:
        with db.session_scope(database_url) as s:
            survey = s.get(Survey, lookup.find(s, SLUG).id)
            counted.append(participation.count(s, survey, day + timedelta(days=1)))

    count = threading.Thread(target=count_the_next_night)
    with db.session_scope(database_url) as s:
        assert units.cut(s, lookup.visible(s, SLUG), datetime(2099, 1, 1, 4, 7)) is not None
        count.start()
        count.join(2)
        assert count.is_alive()  # waiting for the release's transaction
    count.join(30)
    assert not count.is_alive() and counted == [False]
    with db.session_scope(database_url) as s:
        assert participation.latest(s, lookup.find(s, SLUG).id)[0] == day


NESTED = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Org,Org,100
U0,ORG1,Yksikkö 0,0,10
U1,ORG1,Yksikkö 1,1,10
U2,U1,Yksikkö 2,2,10
"""
# (own invitations, own respondents) per unit; k = 3.
NESTED_ANSWERS = {"ORG1": (4, 3), "U0": (5, 2), "U1": (3, 2), "U2": (1, 1)}
NESTED_PARENT = {"ORG1": None, "U0": "ORG1", "U1": "ORG1", "U2": "U1"}


def _nested_counted(client, database_url, redis_conn) -> None:
    """The nested organisation's survey (k = 3), answered as NESTED_ANSWERS says, folded,
    and HR's page counted."""
    import_units(database_url, NESTED)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml().replace("goals:", "min_group_size: 3\ngoals:"))
        lifecycle.publish(s, SLUG)
        survey = lookup.find(s, SLUG)
        links = {u: invitations.create(s, survey, u, n) for u, (n, _a) in NESTED_ANSWERS.items()}
    for unit, (_n, answered) in NESTED_ANSWERS.items():
        answer_with(client, links[unit], answered)
    run_worker(redis_conn)
    assert jobs.count_participation(night(clock.today())) == {SLUG: True}


def test_the_page_is_read_with_the_releases_reasons_and_the_invitations(
        released_app, client, database_url, redis_conn):
    """HR's page, counted once all 8 had answered, shows ORG's 8; the release then showed no
    figure and the unit totals' reasons "at least 3" (ORG) and "at most 2" (U0): with the
    invitations, U1's own part (2 of 3 invited) is at least 8 − 4 − 2 − 1 = 1, so 1 … 3 (a
    review of the 7 December session's second stop; the program over the unit totals read the
    page, not the reasons). The auditor reads the page with every figure and reason now: no
    unit or own part of 1 … 2 is pinned by the page, the release and the invitations."""
    _nested_counted(client, database_url, redis_conn)
    result = released_app.test_cli_runner().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    page, shown, reasons = page_and_release_reasons(database_url)
    assert page and sum(page.values()) >= 8  # (the page shows ORG's 8 at least)
    leaves = list(NESTED_ANSWERS)  # each unit's own part
    width = 2 * len(leaves)  # now, then the page's time

    def row(place: str, layer: int) -> np.ndarray:
        out = np.zeros(width)
        for i, leaf in enumerate(leaves):
            if leaf in subtree(NESTED_PARENT, place):
                out[layer * len(leaves) + i] = 1.0
        return out

    eq = [row(p, 0) for p in shown] + [row(p, 1) for p in page]
    rhs = [*shown.values(), *page.values()]
    ub = [np.eye(width)[len(leaves) + i] - np.eye(width)[i] for i in range(len(leaves))]
    ub_rhs = [0.0] * len(ub)
    for place, reason in reasons.items():  # "at most k − 1", or "at least k"
        ub.append(row(place, 0) if reason == BELOW_THRESHOLD else -row(place, 0))
        ub_rhs.append(2.0 if reason == BELOW_THRESHOLD else -3.0)
    program = {"A_eq": np.array(eq) if eq else None, "b_eq": rhs or None,
               "A_ub": np.array(ub), "b_ub": ub_rhs, "method": "highs",
               "bounds": [(0, NESTED_ANSWERS[leaf][0]) for _t in range(2) for leaf in leaves]}
    groups = {**{u: row(u, 0) for u in leaves},  # every unit, and each own part
              **{u + "/own": np.eye(width)[i] for i, u in enumerate(leaves)}}
    truth = {u: sum(NESTED_ANSWERS[x][1] for x in subtree(NESTED_PARENT, u)) for u in leaves}
    truth |= {u + "/own": a for u, (_n, a) in NESTED_ANSWERS.items()}
    for group, objective in groups.items():
        if not 0 < truth[group] < 3 or group in shown:
            continue
        low = linprog(objective, **program).fun
        high = -linprog(-objective, **program).fun
        cap = float(objective[:len(leaves)] @ [n for n, _a in NESTED_ANSWERS.values()])
        assert kept_with_invitations(low, high, 3, cap), (group, low, high, shown, reasons)


PAIR = """code,parent_code,name_fi,name_sv,headcount
ORG1,,Org,Org,100
U0,ORG1,Yksikkö 0,0,10
U1,ORG1,Yksikkö 1,1,10
"""


def _release(database_url, when: datetime) -> None:
    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
    with db.session_scope(database_url) as s:
        assert units.cut(s, lookup.visible(s, SLUG), when) is not None


def _refused(database_url, when: datetime, releases: int) -> str:
    """Close the survey and cut at `when`: the cut stores nothing, `releases` stay; why it
    was refused, as recorded."""
    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
    with db.session_scope(database_url) as s:
        assert units.cut(s, lookup.visible(s, SLUG), when) is None
    with db.session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(UnitRelease)) == releases
        return s.scalar(select(UnitCutRefusal.data["why"].as_string()))


def _quarantined_by_rebuild(database_url, code: str, n: int) -> None:
    """`n` of the unit's counted responses made unfoldable (moved into `responses` in
    batches, or still held, folded), then the aggregates rebuilt: quarantined."""
    with db.session_scope(database_url) as s:
        unit_id = s.scalar(select(Unit.id).where(Unit.code == code))
        held = [(t, i) for t in (Response, PendingResponse)
                for i in s.scalars(select(t.id).where(t.unit_id == unit_id))]
        for table, rid in held[:n]:
            s.execute(update(table).where(table.id == rid)
                      .values(answers={"workload": [1, 2], "profession": "nurse"}))
    assert TestCli().invoke(main, ["aggregates", "rebuild", SLUG]).exit_code == 0


def _released_and_reopened(client, database_url, redis_conn, u0_answered: int,
                           invited: int) -> list[str]:
    """The pair survey, `u0_answered` of U0's 10 and all 4 of U1 answered, released; then
    reopened the same day and `invited` more invited to U1: their links."""
    survey_id, u0, u1 = _pair_survey(database_url)
    _answered(client, redis_conn, [*u0[:u0_answered], *u1])
    _release(database_url, datetime(2099, 1, 1, 4, 7))
    with db.session_scope(database_url) as s:
        lifecycle.reopen(s, SLUG, "new staff", None, date(2099, 1, 1), date(2099, 1, 20))
        return invitations.create(s, s.get(Survey, survey_id), "U1", invited)


def _reopened_after_a_release(client, database_url, redis_conn, rate_of_u1: bool = True
                              ) -> None:
    """U0's 1 of 10 invited and U1's 4 of 4 answered at the first release (k = 3), its stored
    rate of U1 removed by hand unless `rate_of_u1`; reopened the same day, U1 got 96 more
    invitations and 3 more answers."""
    more = _released_and_reopened(client, database_url, redis_conn, 1, 96)
    if not rate_of_u1:
        with db.session_scope(database_url) as s:
            _without_the_rate_of_u1(s)
    _answered(client, redis_conn, more[:3])


def _without_the_rate_of_u1(session) -> None:
    first = session.scalars(select(UnitRelease).where(UnitRelease.seq == 0)).one()
    first.data = {**first.data, "rates": {c: r for c, r in first.data["rates"].items()
                                          if c != "U1"}}


def test_an_earlier_release_is_read_with_the_invitations_issued_when_it_was_cut(
        client, database_url, redis_conn):
    """U0's 1 of 10 invited and U1's 4 of 4 answered at the first release (k = 3); reopened
    the same day, U1 got 96 more invitations and 3 more answers. Read with today's invitations
    only, the second release's figures and reasons with the first's let U0 be pinned by U1's 4
    of then (a review of the 7 December session's second stop; and read by the invitations'
    day, a reopen within the release's day still did). The cut reads each earlier release
    with the invitations its rates recorded."""
    _reopened_after_a_release(client, database_url, redis_conn)
    _release(database_url, datetime(2099, 1, 1, 9, 7))
    with db.session_scope(database_url) as s:
        rows = s.scalars(select(UnitRelease).order_by(UnitRelease.seq.desc())).all()
        times = [(*_totals_shown(r.data), caps) for r, caps in zip(
            rows, ({"U0": 10, "U1": 100}, {"U0": 10, "U1": 4}), strict=True)]
    low, high = _u0_range(times)
    assert kept_with_invitations(low, high, 3, 10), (low, high, times)


def test_an_earlier_release_without_a_units_invitations_stops_the_cut(
        client, database_url, redis_conn, caplog):
    """The case above with the first release's stored rate of U1 gone (a release stores one
    for every unit of its tree, and every later cut is over the same tree, so only a row
    changed by hand lacks one). Read with today's 100 invitations instead of the 4 it
    recorded, the first release let U0 be pinned, as above. The cut refuses: the invitations
    of then are unknown, and today's are no bound on them."""
    _reopened_after_a_release(client, database_url, redis_conn, rate_of_u1=False)
    assert _refused(database_url, datetime(2099, 1, 1, 9, 7), releases=1) == "rates"
    assert "issued when an earlier release was cut are not recorded" in caplog.text


def test_the_operators_audit_fails_a_release_read_without_its_invitations(
        released_app, client, database_url, redis_conn):
    """The two releases of the case above cut as they should; the first's rate of U1 then
    removed by hand. The operator's audit reads it with today's invitations, looser than HR's
    reading, so it cannot pass it, and says why."""
    _reopened_after_a_release(client, database_url, redis_conn)
    _release(database_url, datetime(2099, 1, 1, 9, 7))
    with db.session_scope(database_url) as s:
        assert units.audit_latest(s, lookup.visible(s, SLUG)).passed
        _without_the_rate_of_u1(s)
    with db.session_scope(database_url) as s:
        checked = units.audit_latest(s, lookup.visible(s, SLUG))
    assert not checked.passed and checked.unrecorded == 1
    result = released_app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert result.exit_code == 1, result.output
    assert "1 earlier release(s) recorded no invitations for some unit" in result.output


def test_the_page_is_read_with_the_invitations_it_showed(client, database_url, redis_conn):
    """The page's count in the night showed U1's 4 invitations, all answered; HR issued 96
    more that day, 3 answered, and the release's figures and reasons with the page's (read
    with the invitations of its day, 100) let U0 be pinned (the review above). The page is
    read with the invitations its count recorded."""
    survey_id, u0, u1 = _pair_survey(database_url)
    _answered(client, redis_conn, [u0[0], *u1])
    assert jobs.count_participation(night(clock.today())) == {SLUG: True}
    with db.session_scope(database_url) as s:
        more = invitations.create(s, s.get(Survey, survey_id), "U1", 96)
    _answered(client, redis_conn, more[:3])
    _release(database_url, datetime(2099, 1, 1, 4, 7))
    with db.session_scope(database_url) as s:
        page = {code: float(n) for code, n in _page_shown(s, survey_id).items()}
        release = s.scalars(select(UnitRelease)).one()
        times = [(*_totals_shown(release.data), {"U0": 10, "U1": 100}),
                 (page, {}, {"U0": 10, "U1": 4})]
    low, high = _u0_range(times)
    assert kept_with_invitations(low, high, 3, 10), (low, high, times)


def _pair_survey(database_url) -> tuple[int, list[str], list[str]]:
    """The survey over ORG1's U0 and U1 (k = 3): its id, U0's 10 links and U1's 4."""
    import_units(database_url, PAIR)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml().replace("goals:", "min_group_size: 3\ngoals:"))
        lifecycle.publish(s, SLUG)
        survey = lookup.find(s, SLUG)
        return (survey.id, invitations.create(s, survey, "U0", 10),
                invitations.create(s, survey, "U1", 4))


def _answered(client, redis_conn, tokens: list[str]) -> None:
    """The same answers through each of `tokens` (each cell grows by all of them), folded."""
    for token in tokens:
        answer(client, token, "1", "nurse")
    run_worker(redis_conn)


def _page_shown(session, survey_id: int) -> dict[str, int]:
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    return {codes[u]: n for u, n in participation.shown_respondents(session, survey_id).items()}


def _totals_shown(data) -> tuple[dict[str, float], dict[str, str]]:
    """A stored release's unit totals shown, and its reasons for those it hides."""
    figures = {p: v for p, period, key, measure, v in data["figures"][UNIT_TOTAL]
               if (period, key, measure) == (ALL_MONTHS, RESPONDENTS, N)}
    reasons = {p: r for p, period, key, r in data["reasons"][UNIT_TOTAL]
               if (period, key) == (ALL_MONTHS, RESPONDENTS)}
    return figures, reasons


def _u0_range(times) -> tuple[float, float]:
    """U0's respondents now, read from each time's unit totals and reasons (newest first:
    (figures, reasons, invitations per unit then)), counts only growing: written out here."""
    leaves = ["U0", "U1"]
    width = 2 * len(times)

    def row(place: str, t: int) -> np.ndarray:
        out = np.zeros(width)
        for i, leaf in enumerate(leaves):
            if place in ("ORG1", leaf):
                out[t * 2 + i] = 1.0
        return out

    eq, rhs, ub, ub_rhs = [], [], [], []
    for t, (figures, reasons, _caps) in enumerate(times):
        eq += [row(p, t) for p in figures]
        rhs += list(figures.values())
        for place, reason in reasons.items():
            ub.append(row(place, t) if reason == BELOW_THRESHOLD else -row(place, t))
            ub_rhs.append(2.0 if reason == BELOW_THRESHOLD else -3.0)
    for t in range(1, len(times)):  # counts only grow
        ub += [np.eye(width)[t * 2 + i] - np.eye(width)[(t - 1) * 2 + i] for i in range(2)]
        ub_rhs += [0.0, 0.0]
    program = {"A_eq": np.array(eq) if eq else None, "b_eq": rhs or None,
               "A_ub": np.array(ub), "b_ub": ub_rhs, "method": "highs",
               "bounds": [(0, caps[leaf]) for _f, _r, caps in times for leaf in leaves]}
    return linprog(row("U0", 0), **program).fun, -linprog(-row("U0", 0), **program).fun



def test_a_cut_whose_earlier_release_lies_above_todays_figures_is_refused(
        client, database_url, redis_conn, caplog):
    """After the first release (U0 6, U1 4; k = 3) a rebuild quarantined 3 of U0's counted
    responses (a fall the growth rule allows), and after a reopen U1 grew by 3. The first
    release's figures cannot lie under today's (counts only grow, the auditor assumes): each
    table's audit left that release out (audit `contradicted`), and the new figures were
    published as if it had never been read. The cut refuses, and the first release stands."""
    more = _released_and_reopened(client, database_url, redis_conn, 6, 3)
    _quarantined_by_rebuild(database_url, "U0", 3)
    _answered(client, redis_conn, more)
    assert _refused(database_url, datetime(2099, 1, 2, 4, 7), releases=1) == "contradicted"
    assert "do not lie under today's" in caplog.text


def test_the_operators_audit_fails_a_release_that_todays_figures_contradict(
        released_app, client, database_url, redis_conn):
    """Two releases (U0 6, U1 4; then U1 7 after a reopen), then a rebuild that quarantined
    3 of U0's responses. A cut would refuse (above); the operator's audit printed a note and
    passed the release (a review of the 7 December session's third stop): audited against
    figures its earlier times (or itself) do not lie under, it proves nothing."""
    more = _released_and_reopened(client, database_url, redis_conn, 6, 3)
    _answered(client, redis_conn, more)
    _release(database_url, datetime(2099, 1, 2, 4, 7))
    with db.session_scope(database_url) as s:
        assert units.audit_latest(s, lookup.visible(s, SLUG)).passed
    _quarantined_by_rebuild(database_url, "U0", 3)
    with db.session_scope(database_url) as s:
        checked = units.audit_latest(s, lookup.visible(s, SLUG))
    assert not checked.passed
    result = released_app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert result.exit_code == 1, result.output
    assert not re.search(r"^table .* passes ", result.output, re.M), result.output
    assert re.search(r"^FAILS: (an earlier time's figures cannot lie under|today's data are "
                     r"no solution of)", result.output, re.M), result.output


def _counted_with_quarantined(client, database_url, redis_conn, n: int) -> int:
    """The pair survey answered by 6 of U0 and all 4 of U1, `n` of U1's responses
    quarantined by the fold, and HR's page counted; the survey's id."""
    survey_id, u0, u1 = _pair_survey(database_url)
    for token in [*u0[:6], *u1]:
        answer(client, token, "1", "nurse")
    with db.session_scope(database_url) as s:
        u1_id = s.scalar(select(Unit.id).where(Unit.code == "U1"))
        ids = s.scalars(select(PendingResponse.id).where(PendingResponse.unit_id == u1_id)
                        ).all()[:n]
        s.execute(update(PendingResponse).where(PendingResponse.id.in_(ids))
                  .values(answers={"workload": [1, 2], "profession": "nurse"}))
    run_worker(redis_conn)
    assert jobs.count_participation(night(clock.today())) == {SLUG: True}
    return survey_id


def test_a_page_above_todays_figures_and_the_quarantine_stops_the_cut(
        client, database_url, redis_conn, caplog):
    """HR's page counted U1's 4 (all answered), 2 of them since quarantined, and one of those
    deleted by hand (not by the purge, which keeps the count): the page lies above today's
    figures and what is in quarantine. The program over the unit totals left the page out
    (what it pinned then unread); the cut is refused, the page read as contradicted."""
    _counted_with_quarantined(client, database_url, redis_conn, 2)
    with db.session_scope(database_url) as s:
        s.execute(delete(QuarantinedResponse).where(QuarantinedResponse.response_id.in_(
            select(QuarantinedResponse.response_id).limit(1).scalar_subquery())))
    assert _refused(database_url, datetime(2099, 1, 2, 4, 7), releases=0) == "contradicted"
    assert "do not lie under today's" in caplog.text


def test_a_quarantined_response_is_allowed_for_after_the_retention_purge(
        client, database_url, redis_conn):
    """HR's page counted U1's 4 spent invitations, of which one response was quarantined (not
    in the figures). The retention purge deletes quarantined responses with the others; the
    count of those deleted per unit stays (surveys.fold.retention), so a cut after it still
    allows for them beside the page. Without it the page's U1 lay above today's figures: the
    cut (the first, refused before the purge) was refused for good as contradicted."""
    survey_id = _counted_with_quarantined(client, database_url, redis_conn, 1)
    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
        s.execute(update(Survey).where(Survey.id == survey_id)
                  .values(closed_on=date(2020, 1, 1)))
    with db.session_scope(database_url) as s:
        survey = lookup.visible(s, SLUG)
        tree = units.tree_of(s, survey)
        table = units.live_tables(s, survey, tree)[UNIT_TOTAL]
        assert units._quarantined(s, survey, tree, table) == {"U1": 1}
    deleted = retention.purge_expired(lambda: db.new_session(database_url), date(2026, 12, 1))
    assert deleted[SLUG] >= 1
    with db.session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedResponse)) == 0
        survey = lookup.visible(s, SLUG)
        assert units._quarantined(s, survey, tree, table) == {"U1": 1}
        assert units.cut(s, survey, datetime(2099, 1, 2, 4, 7)) is not None


def _purged_while(database_url, monkeypatch, survey_id: int, action) -> dict[str, int]:
    """The retention purge of the survey (closed long ago), `action` committed by another
    transaction just before it deletes the quarantined responses; what it kept of them."""
    with db.session_scope(database_url) as s:
        lifecycle.close(s, SLUG)
        s.execute(update(Survey).where(Survey.id == survey_id)
                  .values(closed_on=date(2020, 1, 1)))
    real, fired = retention.delete, []

    def delete_after(table):
        if table is QuarantinedResponse and not fired:
            fired.append(True)
            with db.session_scope(database_url) as other:
                action(other)
        return real(table)

    monkeypatch.setattr(retention, "delete", delete_after)
    retention.purge_expired(lambda: db.new_session(database_url), date(2026, 12, 1))
    with db.session_scope(database_url) as s:
        return s.scalar(select(Survey.quarantine_purged).where(Survey.id == survey_id))


def _no_race_on_sqlite(database_url) -> None:
    if not database_url.startswith("postgresql"):
        # (The purge holds SQLite's write lock from its first delete: nothing commits
        # between its statements, and another writer would wait for it.)
        pytest.skip("PostgreSQL only: on SQLite no transaction commits inside the purge's")


def test_a_response_quarantined_during_the_purge_is_counted(
        client, database_url, redis_conn, monkeypatch):
    """A fold quarantining a late response committed between the purge's count of the
    quarantined responses and its delete (a review of the 7 December session's third stop):
    deleted uncounted, the page then lay above today's figures and the slack, and every cut
    of the survey (whose figures no longer change) was refused for good. The purge counts
    what its delete removed."""
    _no_race_on_sqlite(database_url)
    survey_id = _counted_with_quarantined(client, database_url, redis_conn, 2)

    def quarantine_one_more(other):
        row = other.scalars(select(QuarantinedResponse)).first()
        other.execute(insert(QuarantinedResponse).values(
            response_id=uuid.uuid4(), survey_id=row.survey_id, region_code=row.region_code,
            lang=row.lang, submitted_on=row.submitted_on, answers=row.answers,
            unit_id=row.unit_id, error_type="X", error="x", quarantined_on=row.quarantined_on))

    kept = _purged_while(database_url, monkeypatch, survey_id, quarantine_one_more)
    with db.session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedResponse)) == 0
    assert sum(kept.values()) == 3, kept


def test_a_response_requeued_during_the_purge_is_not_counted(
        client, database_url, redis_conn, monkeypatch):
    """The other way round: a response requeued (back into the holding table, to be folded
    into the figures) between the count and the delete was counted as purged, and allowed
    for beside the page for good though the figures hold it: slack that isn't there lets a
    reader narrow a group further than the cut checked."""
    _no_race_on_sqlite(database_url)
    survey_id = _counted_with_quarantined(client, database_url, redis_conn, 2)

    def requeue_one(other):
        rid = other.scalars(select(QuarantinedResponse.response_id)).first()
        assert quarantine.requeue(other, [rid]) == 1

    kept = _purged_while(database_url, monkeypatch, survey_id, requeue_one)
    assert sum(kept.values()) == 1, kept


def _cut_without_the_page(database_url, monkeypatch) -> None:
    """Close and cut with HR's page's counts set aside, then put them back: a release cut
    as before the cuts read the page (before the 7 December session's second stop), its
    tables published together as then (before the 8 December session's second stop,
    `publish_units` withholds a breakdown that would hide unit totals instead: here that
    release shows nothing the page gives away)."""
    with db.session_scope(database_url) as s:
        rows = [{c.name: getattr(r, c.name) for c in ParticipationCount.__table__.columns}
                for r in s.scalars(select(ParticipationCount))]
        assert rows
        s.execute(delete(ParticipationCount))
    with monkeypatch.context() as m:
        m.setattr(units, "publish_units", units._publish_together)
        _release(database_url, datetime(2099, 1, 1, 4, 7))
    with db.session_scope(database_url) as s:
        s.execute(insert(ParticipationCount), rows)


def test_the_operators_audit_reads_the_page_as_the_cut_does(
        released_app, client, database_url, redis_conn, monkeypatch):
    """The nested units of the test above, the release cut without reading HR's page (as cuts
    were before): the operator's audit (`palaute disclosure audit`, surveys.report.units.
    audit_latest) read it without the page too and passed it. It reads the page as the cut
    does now, and names what the page and the release give away together."""
    _nested_counted(client, database_url, redis_conn)
    _cut_without_the_page(database_url, monkeypatch)
    with db.session_scope(database_url) as s:
        checked = units.audit_latest(s, lookup.visible(s, SLUG))
    assert checked is not None and checked.page
    assert not checked.passed
    result = released_app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert result.exit_code == 1, result.output
    assert "with HR's participation page as counted on" in result.output
    # (U1's own part, 2 of 3 invited: the page's ORG 8 with the release pins it to 1 … 3.)
    assert re.search(r"^EXPOSED +U1/own +\* +n of respondents +size$", result.output, re.M), \
        result.output


def test_the_operators_audit_reads_the_unit_totals_with_the_page_over_its_own_tree(
        released_app, client, database_url, redis_conn, monkeypatch):
    """The moved unit of the test above, the release cut without reading HR's page: the
    page's UZ 9 (its own respondents, counted before UW moved under it) beside the
    release's UZ 10 pins UW's one respondent. The auditor cannot hold the page (another
    tree), only the program over the unit totals can, and the operator's audit ran no such
    program (a review of the 7 December session's third stop): it passed the release."""
    _counted_then_moved(client, database_url, redis_conn)
    _cut_without_the_page(database_url, monkeypatch)
    page, release = page_and_release(database_url)
    assert (page["UZ"], release["UZ"]) == (9, 10), (page, release)
    with db.session_scope(database_url) as s:
        checked = units.audit_latest(s, lookup.visible(s, SLUG))
    assert checked.page is False and not checked.passed
    assert checked.pinned == ["UW"]
    result = released_app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert result.exit_code == 1, result.output
    assert re.search(r"^EXPOSED +UW +\* +n of respondents +invitations$", result.output,
                     re.M), result.output


def test_the_operators_audit_reads_a_release_with_the_quarantine_it_was_cut_with(
        released_app, client, database_url, redis_conn):
    """Cut with 2 of U1's 4 responses in quarantine and HR's page (U1's 4) counted: the cut
    allowed for them beside the page, and kept the page from the auditor. Then fixed,
    requeued and folded: read with today's quarantine (none), the operator's audit found
    the page above the release and failed it for good (a review of the 7 December session's
    third stop), though what was public did not change. The release keeps the slack it was
    cut with, and the audit reads it so."""
    _counted_with_quarantined(client, database_url, redis_conn, 2)
    _release(database_url, datetime(2099, 1, 1, 4, 7))
    with db.session_scope(database_url) as s:
        assert units.audit_latest(s, lookup.visible(s, SLUG)).passed
        good = s.scalars(select(Response.answers)).first() or s.scalars(
            select(PendingResponse.answers)).first()
        s.execute(update(QuarantinedResponse).values(answers=good))
        assert quarantine.requeue(s, s.scalars(select(QuarantinedResponse.response_id)).all()) == 2
    jobs.fold_pending()
    with db.session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedResponse)) == 0
        checked = units.audit_latest(s, lookup.visible(s, SLUG))
    assert checked.passed, (checked.pinned, {b: t.result for b, t in checked.tables.items()})
    result = released_app.test_cli_runner().invoke(main, ["disclosure", "audit", SLUG])
    assert result.exit_code == 0, result.output
