"""How often a survey's released figures may change: a bounded number of times, spread over its
period, so that every cut audits every earlier release in full (docs/privacy.md, "How often
figures may change").

Pure (no database). Every release that changes a figure adds a *time* to the survey's history:
a layer of unknowns in the cross-time audit of every later cut (surveys.report.history). A cut
can afford only so many layers (`history.times_in_full`: within `history.MAX_HISTORY_CELLS`,
and with their months within `history.MONTHS_HISTORY_CELLS`); before pacing, the times beyond
that were reduced to lower bounds, a relaxation that misses what an old release's figures say
together. With pacing a survey never has more times than its cut audits in full:

- its *capacity* is the number of layers the budgets hold for the largest table the survey can
  have (`capacity`, over `history.times_in_full`: every county, as the table has them all,
  every month of its period, every language it offers);
- a quarter of them (`SPARE_SHARE`) are spare, taken by the first cuts that change anything,
  whoever cuts (the schedule's first days, as a rule), and by cuts after a point that passed
  unused;
- the rest are kept for an even schedule from the survey's opening to its close, the last one
  at the close: a cut may change figures only if the times already used, this one, and the
  schedule's points still ahead fit in the capacity (`allowed`).

So figures may change at every point of the schedule while cuts run, the release at the close always
has its time, and a survey never takes more times than its capacity. What it costs: a year-long
national survey offered in three languages has 5 times, about one every four months plus the
close; in five or six languages 3 (docs/privacy.md). A survey reopened after its times are
used keeps its last figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# One time in this many is spare (usable whenever figures may change); the others are spread.
SPARE_SHARE = 4
# The fewest times any survey gets: one early, one at the close.
MIN_TIMES = 2


def capacity(cells_per_time: int, budget: int) -> int:
    """How many times (layers) a survey's figures may take in all: `budget` (cells × layers a
    cut audits in full) over the cells one time adds, never fewer than MIN_TIMES."""
    return max(MIN_TIMES, budget // max(1, cells_per_time))


def schedule(start: datetime, close: datetime, times: int) -> list[datetime]:
    """The evenly spread points of a survey with `times` times in all: from `start` to
    `close` (both included), `times - times // SPARE_SHARE` of them."""
    spread = max(MIN_TIMES, times - times // SPARE_SHARE)
    close = max(close, start)
    step = (close - start) / (spread - 1)
    return [start + step * i for i in range(spread - 1)] + [close]


def _ahead(points: Sequence[datetime], now: datetime) -> int:
    return sum(1 for p in points if p > now)


def allowed(times: int, used: int, points: Sequence[datetime], now: datetime) -> bool:
    """May a cut at `now` add a time, with `used` times already public?"""
    return used + 1 + _ahead(points, now) <= times


def next_allowed(times: int, used: int, points: Sequence[datetime],
                 now: datetime) -> datetime | None:
    """The earliest moment from `now` at which a cut may add a time; None if never (every
    time used)."""
    free = times - used - 1  # schedule points that may still lie ahead
    if free < 0:
        return None
    if free >= len(points):
        return now
    # At most `free` points may lie ahead (after the moment): wait for the one before them.
    return max(now, points[len(points) - free - 1])


@dataclass(frozen=True)
class Pace:
    """A survey's release times at a moment (surveys.report.releases.pace)."""

    times: int  # how many times its figures may take in all
    used: int  # how many its releases have shown
    allowed: bool  # whether a cut now may change figures
    next_at: datetime | None  # when a cut may next change figures (None: never)
