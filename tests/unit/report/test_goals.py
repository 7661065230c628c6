"""The goals view's pure parts: the tile layout of the 22 areas, the headline figure, sorting
(hidden areas last, never as zero) and the tile map's drawing of hidden areas."""

from __future__ import annotations

import re

from surveys.reference.regions import read_csv
from surveys.report import goals
from surveys.report.goals import AreaFigure
from webapp import charts


def test_every_area_has_its_own_tile():
    codes = {r["code"] for r in read_csv("wellbeing_counties.csv")}
    assert set(goals.TILES) == codes and len(codes) == 22
    assert len(set(goals.TILES.values())) == 22  # no two on one square
    # Roughly geographic: Lapland at the top, Helsinki at the bottom.
    assert goals.TILES["21"][1] == 0 and goals.TILES["90"][1] == max(
        row for _col, row in goals.TILES.values())


def test_headline_figures():
    nps = goals.headline({"id": "q", "type": "nps"},
                         {"suppressed": False, "counts": {"10": 6, "0": 2, "8": 2}})
    assert nps.kind == "nps" and round(nps.estimate.value) == 40
    top = goals.headline({"id": "q", "type": "likert5"},
                         {"suppressed": False, "counts": {"5": 3, "4": 3, "1": 4}})
    assert top.kind == "top_two" and top.estimate.value == 0.6
    hidden = goals.headline({"id": "q", "type": "nps"}, {"suppressed": True, "counts": None})
    assert hidden.estimate is None


def test_sorting_puts_hidden_areas_last_not_as_zero():
    figures = [AreaFigure("01", "Beta", "shown", -20.0), AreaFigure("02", "Alfa", "hidden", None),
               AreaFigure("03", "Gamma", "shown", 35.0), AreaFigure("04", "Delta", "shown", 0.0)]
    desc = [f.code for f in goals.sort_figures(figures, "value", True)]
    asc = [f.code for f in goals.sort_figures(figures, "value", False)]
    assert desc == ["03", "04", "01", "02"] and asc == ["01", "04", "03", "02"]
    assert [f.name for f in goals.sort_figures(figures, "name", False)] == [
        "Alfa", "Beta", "Delta", "Gamma"]


def test_tile_map_draws_hidden_as_hatched_with_the_word():
    tiles = [charts.Tile("Area A", "A", 0, 0, 80.0, "80"),
             charts.Tile("Area B", "B", 1, 0, None, "", "hidden", True),
             charts.Tile("Area C", "C", 0, 1, None, "", "not surveyed", False),
             charts.Tile("Area D", "D", 1, 1, -100.0, "−100")]
    svg = str(charts.tile_map("Title <x>", "Desc", tiles, -100, 100, ["a"] * 5))
    assert svg.startswith('<svg class="chart tile-map" role="img"')
    assert "<title" in svg and "Title &lt;x&gt;" in svg and "<desc" in svg
    hidden = re.search(r'<g class="tile tile-hidden".*?</g>', svg).group(0)
    assert "-hatch)" in hidden and ">hidden<" in hidden and "tile-value" not in hidden
    assert "stroke-dasharray" in re.search(r'<g class="tile tile-no-data".*?</g>', svg).group(0)
    # Single-hue scale: the lowest and highest values take the lightest and darkest blue.
    assert charts.BLUES[-1] in re.search(r'data-area="Area A".*?</g>', svg).group(0)
    assert charts.BLUES[0] in re.search(r'data-area="Area D".*?</g>', svg).group(0)
    assert "style=" not in svg  # the CSP allows no inline style
