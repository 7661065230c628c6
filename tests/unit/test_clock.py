"""The counties' calendar (surveys.infra.clock): Finnish dates whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from surveys.infra import clock


def test_today_is_the_finnish_date_at_either_side_of_midnight():
    # 22:30 UTC on New Year's Eve is 00:30 on 1 January in Finland (UTC+2 in winter).
    assert clock.today(datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) == date(2027, 1, 1)
    assert clock.today(datetime(2026, 12, 31, 21, 59, tzinfo=UTC)) == date(2026, 12, 31)
    # Summer time (UTC+3): 21:00 UTC on 30 June is already 1 July.
    assert clock.today(datetime(2026, 6, 30, 21, 0, tzinfo=UTC)) == date(2026, 7, 1)
    assert clock.today(datetime(2026, 6, 30, 20, 59, tzinfo=UTC)) == date(2026, 6, 30)


def test_any_aware_zone_gives_the_same_finnish_date():
    moment = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
    new_york = moment.astimezone(timezone(timedelta(hours=-5)))
    assert new_york.date() == date(2026, 12, 31)
    assert clock.today(new_york) == date(2027, 1, 1)
    assert clock.local(new_york) == datetime(2027, 1, 1, 0, 30)


def test_now_is_aware_utc():
    assert clock.now().tzinfo is UTC


def test_a_stored_utc_stamp_is_dated_by_the_finnish_day():
    assert clock.day_of("2026-11-30T22:30Z") == date(2026, 12, 1)
    assert clock.day_of("2026-11-30T21:59Z") == date(2026, 11, 30)
    assert clock.day_of("2026-11-30T22:30+00:00") == date(2026, 12, 1)
    assert clock.day_of("2026-11-30T22:30") == date(2026, 12, 1)  # naive: stored UTC
