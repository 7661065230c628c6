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

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from surveys.models import Unit

from . import invitations, units

P = TypeVar("P", bound=Hashable)  # a place: a unit, or a unit's code
L = TypeVar("L", bound=Hashable)  # a leaf: a unit's own part


def rolled_up(children: Mapping[int | None, list[int]], own: Mapping[int, int],
              root: int) -> dict[int, int]:
    """Each unit's count with all its descendants'."""
    total: dict[int, int] = {}

    def walk(node: int) -> int:
        total[node] = own.get(node, 0) + sum(walk(c) for c in children.get(node, []))
        return total[node]

    walk(root)
    return total


def pinned(leaves_of: Mapping[P, Sequence[L]], shown: Sequence[Mapping[P, float]],
           invited: Mapping[L, int], truth: Mapping[P, float], threshold: int) -> list[P]:
    """The places of 1 … threshold − 1 respondents (`truth`), not shown now, that the shown
    counts (`shown`: now, then earlier times, newest first; each place's count the sum of its
    leaves, `leaves_of`) pin, read with the invitations issued (each leaf's respondents at most
    its invitations, `invited`, at every time, and no fewer than at the time before). The
    auditor's size rule: anywhere in a range of `threshold`, or anything from none to
    threshold − 1, or to as many as were invited where fewer were (HR knows that much without
    any figure). An earlier time the counts of now contradict is left out, the oldest first."""
    import numpy as np  # (the web tier imports this module for pages that need neither)
    from scipy.optimize import linprog

    leaves = sorted({leaf for ls in leaves_of.values() for leaf in ls}, key=str)
    col = {leaf: i for i, leaf in enumerate(leaves)}
    layers = list(shown)
    while True:
        width = len(leaves) * len(layers)
        eq, rhs, ub = [], [], []
        for t, counts in enumerate(layers):
            for place, v in counts.items():
                row = np.zeros(width)
                for leaf in leaves_of[place]:
                    row[t * len(leaves) + col[leaf]] = 1.0
                eq.append(row)
                rhs.append(v)
        for t in range(1, len(layers)):  # an earlier time at most the next newer one
            for i in range(len(leaves)):
                row = np.zeros(width)
                row[t * len(leaves) + i], row[(t - 1) * len(leaves) + i] = 1.0, -1.0
                ub.append(row)
        program = {"A_eq": np.array(eq) if eq else None, "b_eq": rhs or None,
                   "A_ub": np.array(ub) if ub else None,
                   "b_ub": np.zeros(len(ub)) if ub else None, "method": "highs",
                   "bounds": [(0, invited.get(leaf, 0)) for _t in layers for leaf in leaves]}
        status = linprog(np.zeros(width), **program).status
        if status == 2 and len(layers) > 1:
            layers.pop()
            continue
        if status != 0:  # no solution even now: the invitations are not those counted
            return []
        break
    out = []
    now = layers[0] if layers else {}
    for place, n in truth.items():
        if place in now or not 0 < n < threshold:
            continue
        group = np.zeros(width)
        for leaf in leaves_of[place]:
            group[col[leaf]] = 1.0
        low = linprog(group, **program).fun
        high = -linprog(-group, **program).fun
        cap = sum(invited.get(leaf, 0) for leaf in leaves_of[place])
        if not (high - low >= threshold - 1e-6
                or low <= 1e-6 and high >= min(threshold - 1, cap) - 1e-6):
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
    under: dict[int, list[int]] = {}
    for unit in total:
        node: int | None = unit
        while node is not None and node in total:
            under.setdefault(node, []).append(unit)
            node = parent_of.get(node)
    while True:
        shown = {u: float(n) for u, n in total.items() if u not in hidden}
        more = set()
        for unit in pinned(under, [shown], invited, total, threshold):
            node = parent_of.get(unit)
            while node is not None and node in hidden:
                node = parent_of.get(node)
            if node is None or node not in total:
                others = sorted((n, u) for u, n in shown.items() if u != unit)
                node = others[0][1] if others else None
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
                          survey.min_group_size, invited={u: c[0] for u, c in counts.items()})
    return [UnitRate.of(depth, unit, issued[unit.id],
                        None if unit.id in hidden else spent[unit.id])
            for depth, unit in tree]
