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

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from surveys.models import Unit

from . import invitations, units


def rolled_up(children: Mapping[int | None, list[int]], own: Mapping[int, int],
              root: int) -> dict[int, int]:
    """Each unit's count with all its descendants'."""
    total: dict[int, int] = {}

    def walk(node: int) -> int:
        total[node] = own.get(node, 0) + sum(walk(c) for c in children.get(node, []))
        return total[node]

    walk(root)
    return total


def hidden_units(children: Mapping[int | None, list[int]], own: Mapping[int, int], root: int,
                 threshold: int, prefer: Collection[int] = ()) -> set[int]:
    """The units (of the tree under `root`) whose figures must not be shown; complementary
    ones chosen among `prefer` first, then the smallest."""
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
    return hidden


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
