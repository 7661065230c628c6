"""The strategic-goals view: `/<lang>/goals` (goals 1–12 and the surveys serving each) and
`/<lang>/goals/<n>` (the surveys and questions of one goal, and a headline figure per area on a
tile map of the 22 areas, with the same figures in a table sortable by links: no JavaScript)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import gettext

from surveys.definitions import lookup
from surveys.definitions.format import localized
from surveys.reference.regions import all_regions, name_in
from surveys.report import goals
from surveys.report.published import survey_results
from surveys.report.scopes import resolve

from . import charts, results_cache
from .extensions import get_db, settings

bp = Blueprint("goals", __name__)

# The words stripped from an area's name on its tile (the tile's tooltip and the table keep
# the whole name).
_SUFFIXES = (" hyvinvointialue", " välfärdsområde", " wellbeing services county")
_HELSINKI = {"fi": "Helsinki", "sv": "Helsingfors", "en": "Helsinki"}


def goal_name(n: int) -> str:
    # Neutral labels: the decision's official wording is not reproduced (docs/survey-format.md).
    return gettext("Goal %(n)s", n=n)


def _short(code: str, name: str) -> str:
    if code == "90":
        return _HELSINKI.get(g.lang, name)
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _surveys():
    return lookup.listing(get_db())


@bp.get("/<lang>/goals")
def index():
    surveys = _surveys()

    def build():
        listed = [{"n": n, "name": goal_name(n),
                   "surveys": [localized(s.definition["title"], g.lang)
                               for s in goals.surveys_for(n, surveys)]}
                  for n in goals.GOALS]
        return render_template("goals.html", goals=listed, title=gettext("Strategic goals"))

    return results_cache.public(surveys, build)


def _number(value: float) -> str:
    return current_app.jinja_env.filters["format_number"](value)


def _scale(kind: str, question: dict) -> tuple[float, float]:
    if kind == "nps":
        return -100.0, 100.0
    if kind == "top_two":
        return 0.0, 100.0
    return float(question.get("min", 0)), float(question.get("max", 1))


def _shown(kind: str, value: float) -> str:
    return f"{_number(value)} %" if kind == "top_two" else _number(value)


@bp.get("/<lang>/goals/<int:n>")
def goal(n: int):
    if n not in goals.GOALS:
        abort(404)
    surveys = goals.surveys_for(n, _surveys())
    sort = request.args.get("sort", "value")
    order = request.args.get("order", "desc" if sort == "value" else "asc")
    if sort not in goals.SORT_KEYS or order not in ("asc", "desc"):
        abort(400)
    with_headline = [s for s in surveys if goals.headline_question(n, s) is not None]
    chosen_slug = request.args.get("survey")
    chosen = next((s for s in with_headline if s.slug == chosen_slug), None) \
        if chosen_slug else (with_headline[0] if with_headline else None)
    if chosen_slug and chosen is None:
        abort(400)

    def build():
        listed = [{"slug": s.slug, "title": localized(s.definition["title"], g.lang),
                   "questions": [localized(q["text"], g.lang)
                                 for q in goals.questions_for(n, s)],
                   "national": s.scope == "national"} for s in surveys]
        view = _map(n, chosen, sort, order) if chosen is not None else None
        return render_template("goal.html", n=n, name=goal_name(n), surveys=listed,
                               choices=[(s.slug, localized(s.definition["title"], g.lang))
                                        for s in with_headline],
                               chosen=chosen, view=view, sort=sort, order=order,
                               release_mode=settings().results_release,
                               title=goal_name(n))

    return results_cache.public(surveys, build)


def _map(n: int, survey, sort: str, order: str) -> dict:
    db = get_db()
    mode = settings().results_release
    question = goals.headline_question(n, survey)
    areas = [(r.code, name_in(r, g.lang)) for r in all_regions(db)]

    released = {}

    def results_of(code: str):
        doc = survey_results(db, survey, resolve(db, code, None, g.lang), g.lang, mode)
        released["release"] = doc.get("release")
        return doc

    figures = goals.area_figures(survey, question, areas, results_of)
    kind = goals.headline(question, {"suppressed": True}).kind
    low, high = _scale(kind, question)
    names = {"nps": gettext("Net Promoter Score"),
             "top_two": gettext("Share of the two most positive answers"),
             "mean": gettext("Mean")}
    hidden_word, no_data_word = gettext("hidden"), gettext("not surveyed")
    tiles = []
    for f in figures:
        col, row = goals.TILES[f.code]
        tiles.append(charts.Tile(
            f.name, _short(f.code, f.name), col, row, f.value,
            _shown(kind, f.value) if f.value is not None else "",
            hidden_word if f.state == "hidden" else no_data_word, f.state == "hidden"))
    step = (high - low) / len(charts.BLUES)
    legend = [f"{_number(round(low + i * step, 1))}–{_number(round(low + (i + 1) * step, 1))}"
              for i in range(len(charts.BLUES))]
    text = localized(question["text"], g.lang)
    description = gettext(
        "%(figure)s in each wellbeing services county, on a map of tiles placed roughly where "
        "the counties lie: the darker the tile, the higher the figure, and each tile prints "
        "its value. Hatched grey tiles are hidden to protect anonymity. The same figures are "
        "in the table below.", figure=names[kind])
    chart = charts.tile_map(f"{text}: {names[kind]}", description, tiles, low, high, legend)
    rows = goals.sort_figures(figures, sort, order == "desc")
    return {"question": text, "kind": kind, "release": released.get("release"),
            "figure_name": names[kind], "chart": chart,
            "rows": [{"figure": f, "shown": _shown(kind, f.value) if f.value is not None
                      else "", "low": _shown(kind, f.low) if f.low is not None else "",
                      "high": _shown(kind, f.high) if f.high is not None else ""}
                     for f in rows]}
