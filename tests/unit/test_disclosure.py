"""Small groups stay hidden even when figures of other scopes could be subtracted."""

from __future__ import annotations

from surveys.report.disclosure import ALL_MONTHS, COUNTRY, area_place, hidden_cells, secondary

AREA_OF = {"01": "etela", "02": "etela", "17": "lansi", "05": "lansi", "19": "pohjois",
           "21": "pohjois", "18": "pohjois"}
M1, M2 = "2026-01", "2026-02"


def test_secondary_takes_the_smallest_shown_sibling():
    # 40 - 37 would reveal 3: the smallest shown part (7) is hidden too.
    assert secondary({"a": 3, "b": 7, "c": 30}, {"a"}, 5) == {"b"}
    # Hidden parts already holding the threshold (or nobody) need no company.
    assert secondary({"a": 3, "b": 2, "c": 35}, {"a", "b"}, 5) == set()
    assert secondary({"a": 0, "b": 0, "c": 40}, {"a", "b"}, 5) == set()


def hidden_places(counts, threshold=5):
    hidden = hidden_cells(counts, AREA_OF, threshold)
    return {place for place, period in hidden if period == ALL_MONTHS}


def test_counties_areas_and_country():
    places = hidden_places({("01", M1): 30, ("02", M1): 20, ("17", M1): 6, ("19", M1): 10,
                            ("21", M1): 3})
    assert {"21", "19"} <= places  # the area (13) - 10 would reveal Lapland's 3
    assert not {"17", "01", "02", COUNTRY, area_place("pohjois")} & places
    # The western area under the threshold hides, and so must another area (60 - 56), with
    # all the counties of both.
    places = hidden_places({("01", M1): 30, ("02", M1): 20, ("17", M1): 4, ("19", M1): 10})
    assert {area_place("lansi"), area_place("pohjois"), "17", "05", "19", "21", "18"} <= places
    assert area_place("etela") not in places and COUNTRY not in places


def test_months_cannot_be_subtracted_from_the_total():
    counts = {("01", M1): 30, ("01", M2): 3, ("02", M1): 30, ("02", M2): 30}
    hidden = hidden_cells(counts, AREA_OF, 5)
    assert ("01", M2) in hidden
    # Either January in 01 is hidden too, or 01's total: otherwise 33 - 30 = 3.
    assert ("01", M1) in hidden or ("01", ALL_MONTHS) in hidden
    # And the area's February (33) minus 02's February (30) would reveal it too.
    assert (area_place("etela"), M2) in hidden or ("02", M2) in hidden


