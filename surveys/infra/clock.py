"""The counties' calendar: dates and wall-clock times in Finnish time, whatever the server's zone.

Why: a survey's days are the counties' days. The day a response is stored is the month it
counts in; a survey opens and closes on a day; retention, a receipt's expiry and the night of
HR's participation count (surveys.staff.participation) run by days. A server in UTC would put
an answer given at 00:30 on 1 January in December's figures, and close a survey two hours late
in winter (three in summer). So every "today" of the domain, the web tier and the jobs is
`today()`: the date in Europe/Helsinki (all 22 counties are in one zone), never the server's
`date.today()`. Moments stored or compared as instants stay aware UTC (`now()`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ZONE_NAME = "Europe/Helsinki"
ZONE = ZoneInfo(ZONE_NAME)


def now() -> datetime:
    """The moment, aware, in UTC."""
    return datetime.now(UTC)


def local(moment: datetime) -> datetime:
    """An aware moment as the counties' wall-clock time (naive)."""
    return moment.astimezone(ZONE).replace(tzinfo=None)


def today(moment: datetime | None = None) -> date:
    """The counties' date at `moment` (aware; None: now)."""
    return local(moment or now()).date()


def day_of(stamp: str) -> date:
    """A stored UTC moment as the release documents give it ("2026-12-01T22:30Z") as the
    counties' date: a release cut at 22:30 UTC was cut on the next day in Finland."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return today(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
