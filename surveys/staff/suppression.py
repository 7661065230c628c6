"""Small-unit protection in a unit tree: which units' figures may be shown.

Kept apart from surveys/report/disclosure.py (changed in parallel; to be merged into it): the
same rule — no figure about a group below the threshold, and none recoverable by subtracting
shown figures — applied to a tree of units where each unit's figure is its own respondents plus
all its descendants'.

`hidden_units` decides, for a tree of counts:
- primary: a unit whose (rolled-up) count is below the threshold (0 included);
- complementary, per parent: the parent's count is split into its children and its own part
  (respondents of the parent unit itself, never shown separately). If the hidden parts of that
  split add up to a number in 1…threshold-1, that sum is recoverable (parent minus the shown
  children), so the smallest shown children are hidden too, with their whole subtrees, until
  the hidden parts add up to at least the threshold. A subtree hidden as a whole can't be
  recovered from below either. With `prefer` (the units hidden in the figures shown before,
  surveys.staff.participation) those are hidden first, whatever their size, so that a unit
  once shown is not hidden later to cover another: its earlier figure beside the new ones
  would give the covered part away.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from surveys.models import Unit

from . import invitations, units

P = TypeVar("P", bound=Hashable)  # a place: a unit, or a unit's code
L = TypeVar("L", bound=Hashable)  # a leaf: a unit's own part
T = TypeVar("T", bound=Hashable)  # a node of a tree
OWN_PART = "own"  # (OWN_PART, unit): a unit's own part as a place of `pinned`
log = logging.getLogger(__name__)


def rolled_up(children: Mapping[int | None, list[int]], own: Mapping[int, int],
              root: int) -> dict[int, int]:
    """Each unit's count with all its descendants'."""
    total: dict[int, int] = {}

    def walk(node: int) -> int:
        total[node] = own.get(node, 0) + sum(walk(c) for c in children.get(node, []))
        return total[node]

    walk(root)
    return total


def kept_with_invitations(low: float, high: float, threshold: int, invited: int) -> bool:
    """The auditor's size rule (surveys.report.audit.protected, SIZE) for a group whose
    invitations HR knows: anywhere in a range of `threshold`, or anything from none to
    threshold − 1, or to as many as were invited where fewer were."""
    from surveys.report.audit import SIZE, protected  # (report imports this module)

    return protected(SIZE, low, high, threshold, invited)


def subtrees(parent_of: Mapping[T, T | None]) -> dict[T, list[T]]:
    """Each node of `parent_of` with every node of its subtree, itself included."""
    under: dict[T, list[T]] = {node: [] for node in parent_of}
    for node in parent_of:
        above: T | None = node
        while above is not None and above in parent_of:
            under[above].append(node)
            above = parent_of[above]
    return under


def pinning(start: P | None, parent_of: Mapping[P, P | None], shown: Mapping[P, float],
            pinned_place: object) -> P | None:
    """The shown figure to hide next for a pinned place: the nearest shown one from `start` up
    (the place's parent; for a unit's own part, the unit), else the smallest other shown one
    (what pins it is then a sum of earlier figures with today's: hiding today's one by one,
    smallest first, ends it). None once nothing is shown."""
    node = start
    while node is not None:
        if node in shown:
            return node
        node = parent_of.get(node)
    others = sorted((n, p) for p, n in shown.items() if p != pinned_place)
    return others[0][1] if others else None


class Unsolvable(RuntimeError):
    """The shown counts and the invitations have no solution even today's alone: they are not
    counts of the same responses (a caller refuses rather than show anything)."""


class Contradicted(RuntimeError):
    """An earlier time's shown counts cannot lie under today's (with the invitations and the
    slack): read without that time, what it pins would go unread, so a caller refuses (a unit
    cut: the last release stands)."""


Sums = Sequence[tuple[Sequence[L], float]]  # a time's shown counts: (its leaves, the count)


def pinned(places: Mapping[P, Sequence[L]], layers: Sequence[Sums], invited: Mapping[L, int],
           truth: Mapping[P, float], threshold: int,
           slack: Mapping[L, int] | None = None) -> list[P]:
    """The places of 1 … threshold − 1 respondents (`truth`; each place with its leaves,
    `places`), not shown today, that the shown counts pin, read with the invitations issued.

    `layers`: the counts shown at each time, newest first (today's first), each a sum of
    leaves, over the tree of its time (a unit moved since sums other leaves). Each leaf's
    respondents are at most its invitations (`invited`) at every time, and at most today's
    plus `slack` (responses counted then and no longer: quarantined) at the time before.
    The auditor's size rule: anywhere in a range of `threshold`, or anything from none to
    threshold − 1, or to as many as were invited where fewer were (HR knows that much without
    any figure). A place the earlier times pin with nothing shown today is left out (hiding
    today's figures can't help it) and logged. Unsolvable if today's counts alone have no
    solution; Contradicted if they have and an earlier time's do not lie under them."""
    import numpy as np  # (the web tier imports this module for pages that need neither)
    from scipy.optimize import linprog

    from surveys.report.audit import _sparse  # (report imports this module)

    if not places:
        return []
    slack = slack or {}
    leaves = sorted({leaf for ls in places.values() for leaf in ls}
                    | {leaf for sums in layers for ls, _n in sums for leaf in ls}, key=str)
    col = {leaf: i for i, leaf in enumerate(leaves)}
    m = len(leaves)

    def program(times: Sequence[Sums]) -> tuple[dict, int]:
        width = m * len(times)
        eq: list[dict[int, float]] = []
        rhs: list[float] = []
        for t, sums in enumerate(times):
            for ls, n in sums:
                eq.append({t * m + col[leaf]: 1.0 for leaf in ls})
                rhs.append(n)
        ub = [{t * m + i: 1.0, (t - 1) * m + i: -1.0}
              for t in range(1, len(times)) for i in range(m)]
        return {"A_eq": _sparse(eq, width) if eq else None, "b_eq": rhs or None,
                "A_ub": _sparse(ub, width) if ub else None,
                "b_ub": [float(slack.get(leaves[i], 0)) for _t in range(1, len(times))
                         for i in range(m)] or None,
                "bounds": [(0, invited.get(leaf, 0)) for _t in times for leaf in leaves],
                "method": "highs"}, width

    def solvable(times: Sequence[Sums]) -> tuple[dict, int] | None:
        lp, width = program(times)
        return (lp, width) if linprog(np.zeros(width), **lp).status == 0 else None

    times = list(layers) or [[]]
    lp = solvable(times)
    if lp is None:
        if solvable(times[:1]) is None:
            raise Unsolvable("the shown counts and the invitations issued have no solution")
        # (Until the 7 December session's third stop the earlier time was left out: what it
        # pinned went unread.)
        raise Contradicted("an earlier time's counts do not lie under today's with the "
                           "invitations issued")
    earlier_only = solvable([[], *times[1:]]) if len(times) > 1 else None

    def kept(solved: tuple[dict, int], leaves_of_place: Sequence[L]) -> bool:
        lp, width = solved
        group = np.zeros(width)
        for leaf in leaves_of_place:
            group[col[leaf]] = 1.0
        low = linprog(group, **lp).fun
        high = -linprog(-group, **lp).fun
        return kept_with_invitations(low, high, threshold,
                                     sum(invited.get(leaf, 0) for leaf in leaves_of_place))

    shown_now = {frozenset(ls) for ls, _n in times[0]}
    out = []
    for place, n in truth.items():
        if frozenset(places[place]) in shown_now or not 0 < n < threshold:
            continue
        if kept(lp, places[place]):
            continue
        if earlier_only is not None and not kept(earlier_only, places[place]):
            log.warning("unit figures: earlier figures with the invitations issued pin a small "
                        "group, whatever is shown today")
            continue
        out.append(place)
    return out


def hidden_units(children: Mapping[int | None, list[int]], own: Mapping[int, int], root: int,
                 threshold: int, prefer: Collection[int] = (),
                 invited: Mapping[int, int] | None = None) -> set[int]:
    """The units (of the tree under `root`) whose figures must not be shown; complementary
    ones chosen among `prefer` first, then the smallest. With `invited` (each unit's own
    invitations, which HR issued), also the shown unit nearest above one the shown figures
    pin read with them (`pinned`; else the smallest shown one), until none is."""
    total = rolled_up(children, own, root)
    hidden = {u for u, n in total.items() if n < threshold}

    def hide_subtree(node: int) -> None:
        hidden.add(node)
        for c in children.get(node, []):
            hide_subtree(c)

    def settle(node: int) -> None:
        kids = children.get(node, [])
        if kids and node not in hidden:
            own_part = own.get(node, 0)
            hidden_sum = own_part + sum(total[c] for c in kids if c in hidden)
            shown = sorted((c for c in kids if c not in hidden),
                           key=lambda c: (c not in prefer, total[c], c))
            while 0 < hidden_sum < threshold and shown:
                extra = shown.pop(0)
                hide_subtree(extra)
                hidden_sum += total[extra]
        for c in kids:
            settle(c)

    settle(root)
    if invited is None:
        return hidden
    parent_of = {c: p for p, kids in children.items() for c in kids}
    under = subtrees({u: parent_of.get(u) for u in total})
    # The places: each unit (its own part and its sub-units'), and the own part of each unit
    # with sub-units, never shown but protected all the same.
    places: dict[object, list[int]] = {u: under[u] for u in total}
    truth: dict[object, float] = dict(total)
    for unit in total:
        if children.get(unit):
            places[(OWN_PART, unit)] = [unit]
            truth[(OWN_PART, unit)] = own.get(unit, 0)
    # (A unit's invitations are never fewer than its respondents: as many where a caller's
    # figures say otherwise, so that the program always has today's own counts as a solution.)
    caps = {u: max(invited.get(u, 0), own.get(u, 0)) for u in total}
    while True:
        shown = {u: float(n) for u, n in total.items() if u not in hidden}
        more = set()
        for place in pinned(places, [[(under[u], n) for u, n in shown.items()]], caps, truth,
                            threshold):
            node = pinning(place[1] if isinstance(place, tuple) else parent_of.get(place),
                           parent_of, shown, place)
            if node is not None:
                more.add(node)
        if not more:
            return hidden
        hidden |= more


@dataclass(frozen=True)
class UnitRate:
    depth: int
    code: str
    name_fi: str
    name_sv: str
    headcount: int | None
    retired: bool
    issued: int
    respondents: int | None  # None: hidden (below the threshold, or recoverable)
    of_issued: float | None
    of_headcount: float | None

    @classmethod
    def of(cls, depth: int, unit: Unit, issued: int, respondents: int | None) -> UnitRate:
        """A unit's row: its respondents (None: hidden) ÷ the invitations issued to it and ÷
        its headcount, where there are both."""
        n = respondents
        return cls(depth, unit.code, unit.name_fi, unit.name_sv, unit.headcount,
                   unit.retired_on is not None, issued, n,
                   n / issued if n is not None and issued else None,
                   n / unit.headcount if n is not None and unit.headcount else None)


def response_rates(session: Session, survey, root: Unit) -> list[UnitRate]:
    """Per unit of the survey's organisation (with its descendants): invitations issued (not a
    figure about respondents: shown), respondents (spent invitations) and the response rate
    (÷ issued, ÷ headcount), the last two only where `hidden_units` allows."""
    tree = units.tree(session, root)
    children: dict[int | None, list[int]] = {}
    for _depth, unit in tree:
        children.setdefault(unit.parent_id, []).append(unit.id)
    counts = invitations.counts(session, survey.id)
    issued = rolled_up(children, {u: c[0] for u, c in counts.items()}, root.id)
    spent = rolled_up(children, {u: c[1] for u, c in counts.items()}, root.id)
    hidden = hidden_units(children, {u: c[1] for u, c in counts.items()}, root.id,
                          survey.min_group_size)
    return [UnitRate.of(depth, unit, issued[unit.id],
                        None if unit.id in hidden else spent[unit.id])
            for depth, unit in tree]
