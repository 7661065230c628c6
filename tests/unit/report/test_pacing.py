"""Release pacing on its own (surveys.report.pacing): a survey never takes more release times
than its cut audits in full, the close always has its time, and figures keep changing on the
schedule while cuts run."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from surveys.report import history, pacing

START = datetime(2026, 1, 1)
CLOSE = datetime(2026, 12, 31)


def run(times: int, attempts: list[datetime], start: datetime = START,
        close: datetime = CLOSE) -> list[datetime]:
    """Which of the cut attempts (in order) add a time."""
    points = pacing.schedule(start, close, times)
    taken: list[datetime] = []
    for moment in attempts:
        if pacing.allowed(times, len(taken), points, moment):
            taken.append(moment)
    return taken


def test_capacity_is_the_budget_over_one_times_cells_never_below_two():
    assert pacing.capacity(22 * 3, 660) == 10  # a national survey in three languages
    assert pacing.capacity(22 * 6, 660) == 5
    assert pacing.capacity(22 * 5, 660) == 6  # five languages (a county's own survey too)
    assert pacing.capacity(10_000, 660) == pacing.MIN_TIMES


@given(st.integers(1, 40), st.integers(1, 6))
def test_times_in_full_fit_the_cut_with_every_times_months(months, langs):
    """history.times_in_full: the times pacing gives a survey of 22 counties in 5 areas fit the
    cut's budget without months, and where its months go on the marginals (several months,
    cells × times above MAX_MONTHLY_CELLS), the months of every one of them fit
    MONTHS_HISTORY_CELLS, as history.audit_release counts them (today's and `fit` earlier
    ones); never fewer than two times."""
    times = history.times_in_full(22, 5, months, langs)
    assert times >= pacing.MIN_TIMES
    assert times == pacing.MIN_TIMES or 22 * langs * times <= history.MAX_HISTORY_CELLS
    if months > 1 and 22 * months * langs * times > history.MAX_MONTHLY_CELLS:
        per_layer = 5 * months + 22 * langs
        fit = history.MONTHS_HISTORY_CELLS // per_layer - 1  # as audit_release
        assert times == pacing.MIN_TIMES or fit >= times - 1
    # And not fewer than either budget allows.
    more = times + 1
    assert (22 * langs * more > history.MAX_HISTORY_CELLS
            or (months > 1 and 22 * months * langs * more > history.MAX_MONTHLY_CELLS
                and (5 * months + 22 * langs) * more > history.MONTHS_HISTORY_CELLS))


def test_a_one_month_survey_is_paced_by_the_budget_without_months():
    # One month: its figures are its whole period's, nothing to solve on the marginals.
    assert history.times_in_full(22, 5, 1, 3) == pacing.capacity(22 * 3, 660) == 10


def test_ten_times_over_a_year_cut_every_day_change_about_every_seven_weeks():
    # (A one-month survey in three languages has 10 times; the schedule is the same at any size.)
    days = [START + timedelta(days=d, hours=4) for d in range(400)]
    taken = run(10, days)
    assert len(taken) == 10
    # The first cuts take the two spare times, then one per schedule point (8 points, 52 days
    # apart), the last at the close.
    points = pacing.schedule(START, CLOSE, 10)
    assert len(points) == 8 and all(
        (b - a).days == 52 for a, b in zip(points, points[1:], strict=False))
    assert taken[:3] == days[:3]
    assert taken[3:] == [min(d for d in days if d >= p) for p in points[1:]]
    assert taken[-1] == CLOSE + timedelta(hours=4)
    # After that, nothing more: the cut's audit stays within its budget for good.
    assert run(10, days + [CLOSE + timedelta(days=90)]) == taken


def test_points_missed_become_spare_later():
    # No cut ran until midsummer: the passed points may all be taken at once.
    summer = datetime(2026, 7, 1, 4)
    taken = run(10, [summer + timedelta(hours=h) for h in range(20)])
    points = pacing.schedule(START, CLOSE, 10)
    ahead = sum(1 for p in points if p > summer)
    assert len(taken) == 10 - ahead


def test_a_survey_reopened_after_its_times_are_used_keeps_its_figures():
    points = pacing.schedule(START, CLOSE, 4)
    assert not pacing.allowed(4, 4, points, CLOSE + timedelta(days=1))
    assert pacing.next_allowed(4, 4, points, CLOSE) is None
    later = pacing.schedule(START, CLOSE + timedelta(days=180), 4)
    assert not pacing.allowed(4, 4, later, CLOSE + timedelta(days=100))


moments = st.integers(min_value=-30 * 24, max_value=500 * 24).map(
    lambda h: START + timedelta(hours=h))


@given(times=st.integers(min_value=1, max_value=40),
       length=st.integers(min_value=0, max_value=400),
       attempts=st.lists(moments, max_size=120).map(sorted))
def test_never_more_times_than_the_capacity_and_the_close_always_has_its_time(
        times, length, attempts):
    capacity = pacing.capacity(660 // times, 660)  # at least MIN_TIMES
    close = START + timedelta(days=length)
    points = pacing.schedule(START, close, capacity)
    before_close = [m for m in attempts if m < close]
    taken = run(capacity, before_close, close=close)
    assert len(taken) <= capacity - 1  # one time is always left for the close
    assert pacing.allowed(capacity, len(taken), points, close)
    assert len(run(capacity, attempts, close=close)) <= capacity


@given(times=st.integers(min_value=2, max_value=40),
       length=st.integers(min_value=1, max_value=400),
       late=st.integers(min_value=0, max_value=24))
def test_a_cut_on_every_schedule_point_is_allowed(times, length, late):
    """Liveness: cuts that run at the schedule's points (or up to a day after) each change
    figures, so a survey's figures are never older than the schedule's spacing plus a day."""
    close = START + timedelta(days=length)
    points = pacing.schedule(START, close, times)
    attempts = [p + timedelta(hours=late) for p in points]
    assert run(times, attempts, close=close) == attempts


@given(times=st.integers(min_value=2, max_value=30),
       used=st.integers(min_value=0, max_value=32),
       now=moments)
def test_next_allowed_is_the_first_moment_a_cut_may_change_figures(times, used, now):
    points = pacing.schedule(START, CLOSE, times)
    at = pacing.next_allowed(times, used, points, now)
    if at is None:
        assert used >= times
        assert not pacing.allowed(times, used, points, CLOSE + timedelta(days=3650))
        return
    assert at >= now and pacing.allowed(times, used, points, at)
    if at > now:
        assert not pacing.allowed(times, used, points, at - timedelta(microseconds=1))


def test_the_privacy_docs_say_how_many_first_cuts_change_figures():
    """docs/privacy.md, "How often figures may change": its table of what pacing costs says
    how many of a year-long survey's first (daily) cuts change figures. The opening is the
    schedule's first point, passed at the first cut, so that cut and the spare times follow one
    another: spare + 1 of them, not spare."""
    import re
    from pathlib import Path

    words = {"cut": 1, "two cuts": 2, "three cuts": 3, "four cuts": 4}
    text = (Path(__file__).resolve().parents[3] / "docs" / "privacy.md").read_text()
    rows = re.findall(r"^\| [^|]*?(\d) languages[^|]*\| (\d+): (\d) spare, (\d) on the schedule "
                      r"\| the first (cut|\w+ cuts), then every", text, re.M)
    assert len(rows) == 3, rows
    days = [START + timedelta(days=d, hours=4) for d in range(400)]
    for langs, times, spare, spread, first in rows:
        times = int(times)
        # A year-long survey of 22 counties in 5 areas: 12 months.
        assert times == history.times_in_full(22, 5, 12, int(langs))
        assert (int(spare), int(spread)) == (times // 4, times - times // 4)
        taken = run(times, days, close=datetime(2027, 1, 1))
        early = next(i for i, (a, b) in enumerate(zip(taken, days, strict=False)) if a != b)
        assert words[first] == early, (langs, first, early)
