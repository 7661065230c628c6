"""Small-group suppression that also survives differencing.

Hiding a county with 3 respondents is not enough when its collaboration area (say 40) and the
area's other counties (37 together) are shown: 40 - 37 = 3. The same holds over time: a year's total
minus its shown months reveals a hidden month. So the figures are treated as one table, places
(county, area, country) × periods (each month and all months), and within every sum in it (counties
→ area, areas → country, months → all months) the hidden parts must together hold nobody or at
least the threshold; if not, the smallest shown parts are hidden too (secondary suppression),
repeated until nothing changes. A hidden total hides all its parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

COUNTRY = "FI"
ALL_MONTHS = "*"

Cell = tuple[str, str]  # (place, period): place is a county code, "area:<code>" or "FI"


def area_place(area: str) -> str:
    return f"area:{area}"


def secondary(parts: Mapping[str, int], hidden: set[str], threshold: int) -> set[str]:
    """Parts of one shown sum to hide as well, so the hidden ones hold nobody or >= threshold."""
    hidden_sum = sum(parts[p] for p in hidden)
    shown = sorted((n, p) for p, n in parts.items() if p not in hidden)
    extra: set[str] = set()
    while 0 < hidden_sum < threshold and shown:
        n, p = shown.pop(0)
        extra.add(p)
        hidden_sum += n
    return extra


def _relations(area_of: Mapping[str, str], months: Iterable[str]) -> list[tuple[Cell, list[Cell]]]:
    areas: dict[str, list[str]] = {}
    for region, area in sorted(area_of.items()):
        areas.setdefault(area, []).append(region)
    places = [*area_of, *(area_place(a) for a in areas), COUNTRY]
    periods = [*months, ALL_MONTHS]
    relations: list[tuple[Cell, list[Cell]]] = []
    for period in periods:
        relations.append(((COUNTRY, period), [(area_place(a), period) for a in areas]))
        for area, regions in areas.items():
            relations.append(((area_place(area), period), [(r, period) for r in regions]))
    for place in places:
        relations.append(((place, ALL_MONTHS), [(place, m) for m in months]))
    return relations


def hidden_cells(counts: Mapping[Cell, int], area_of: Mapping[str, str],
                 threshold: int) -> set[Cell]:
    """Every cell of the table that must be hidden.

    `counts` holds county-level counts per month, {(county, "YYYY-MM"): n}; missing ones are 0.
    """
    months = sorted({m for _, m in counts})
    values: dict[Cell, int] = {}
    for region in area_of:
        for m in months:
            values[(region, m)] = counts.get((region, m), 0)
    relations = _relations(area_of, months)
    # Sums bottom-up: areas from counties, the country from areas, all months from months.
    for parent, children in relations:
        if parent[1] != ALL_MONTHS and parent[0] != COUNTRY:
            values[parent] = sum(values.get(c, 0) for c in children)
    for parent, children in relations:
        if parent[0] == COUNTRY and parent[1] != ALL_MONTHS:
            values[parent] = sum(values.get(c, 0) for c in children)
    for parent, children in relations:
        if parent[1] == ALL_MONTHS:
            values[parent] = sum(values.get(c, 0) for c in children)

    hidden = {cell for cell, n in values.items() if n < threshold}
    changed = True
    while changed:
        changed = False
        for parent, children in relations:
            if parent in hidden:
                newly = set(children) - hidden
            else:
                parts = {c: values[c] for c in children}
                newly = secondary(parts, {c for c in children if c in hidden}, threshold)
            if newly:
                hidden |= newly
                changed = True
    return hidden
