"""Small groups stay hidden even when figures of other scopes could be subtracted."""

from __future__ import annotations

from surveys.disclosure import hidden_children, hidden_scopes
from tests.conftest import VALID_ANSWERS, submit
from workers import jobs

AREA_OF = {"01": "etela", "02": "etela", "17": "lansi", "05": "lansi", "19": "pohjois",
           "21": "pohjois", "18": "pohjois"}


def test_single_small_child_takes_a_sibling_with_it():
    # 40 - 37 would reveal 3: the smallest shown sibling (7) is hidden too.
    assert hidden_children(40, {"a": 3, "b": 7, "c": 30}, 5) == {"a", "b"}


def test_hidden_children_summing_to_threshold_need_no_more():
    assert hidden_children(40, {"a": 3, "b": 2, "c": 35}, 5) == {"a", "b"}
    assert hidden_children(40, {"a": 0, "b": 0, "c": 40}, 5) == {"a", "b"}


def test_hidden_parent_hides_all_children():
    assert hidden_children(4, {"a": 2, "b": 2}, 5) == {"a", "b"}


def test_hidden_scopes_protect_areas_and_their_counties():
    regions, areas = hidden_scopes({"01": 30, "02": 20, "17": 6, "19": 10, "21": 3}, AREA_OF, 5)
    assert "21" in regions and "19" in regions  # 13 (area) - 10 would reveal Lapland's 3
    assert "17" not in regions and "01" not in regions
    assert areas == set()
    # Western area 6 alone under the threshold? No: 6 >= 5. Make it 4: it hides, and so must
    # another area, or 60 - 56 reveals it; and all counties of both.
    regions, areas = hidden_scopes({"01": 30, "02": 20, "17": 4, "19": 10}, AREA_OF, 5)
    assert areas == {"lansi", "pohjois"}
    assert {"17", "05", "19", "21", "18"} <= regions


def test_api_applies_secondary_suppression(client, demo_survey):
    for region, n in (("17", 6), ("19", 10), ("21", 3)):
        for _ in range(n):
            assert submit(client, demo_survey, "fi", {**VALID_ANSWERS, "region": region}
                          ).status_code == 303
    jobs.fold_pending()

    def get(**params):
        return client.get(f"/api/v1/surveys/{demo_survey}/results",
                          query_string=params).get_json()

    assert get(region="21")["suppressed"] is True
    # North Ostrobothnia has 10, but showing it beside the area (13) would reveal Lapland.
    assert get(region="19")["suppressed"] is True
    assert get(area="pohjois")["respondents"] == 13
    assert get(region="17")["respondents"] == 6
    assert get()["respondents"] == 19
