"""Small-group suppression that also survives differencing.

Hiding a county with 3 respondents is not enough when its collaboration area (say 40) and the
area's other counties (37 together) are shown: 40 - 37 = 3. So, within each parent (the country
for areas, an area for counties), the hidden children must together hold either nobody or at least
the threshold; if not, the smallest shown siblings are hidden too (secondary suppression).
"""

from __future__ import annotations

from collections.abc import Mapping


def hidden_children(parent_total: int, children: Mapping[str, int], threshold: int) -> set[str]:
    """Children of one parent whose figures must not be shown."""
    hidden = {code for code, n in children.items() if n < threshold}
    if parent_total < threshold:
        return set(children)  # the parent itself is hidden: nothing to subtract from
    hidden_sum = sum(children[c] for c in hidden)
    shown = sorted((n, code) for code, n in children.items() if code not in hidden)
    while 0 < hidden_sum < threshold and shown:
        n, code = shown.pop(0)
        hidden.add(code)
        hidden_sum += n
    return hidden


def hidden_scopes(by_region: Mapping[str, int], area_of: Mapping[str, str],
                  threshold: int) -> tuple[set[str], set[str]]:
    """(hidden county codes, hidden area codes) for one count (respondents, or one question's n).

    `by_region` holds the count of every county (missing ones count 0); `area_of` maps each county
    to its collaboration area.
    """
    areas: dict[str, dict[str, int]] = {}
    for region, area in area_of.items():
        areas.setdefault(area, {})[region] = by_region.get(region, 0)
    area_totals = {area: sum(children.values()) for area, children in areas.items()}
    country = sum(area_totals.values())
    hidden_areas = hidden_children(country, area_totals, threshold)
    hidden_regions: set[str] = set()
    for area, children in areas.items():
        if area in hidden_areas:
            # Its counties are hidden with it, or the area could be rebuilt by adding them up.
            hidden_regions |= set(children)
        else:
            hidden_regions |= hidden_children(area_totals[area], children, threshold)
    return hidden_regions, hidden_areas
