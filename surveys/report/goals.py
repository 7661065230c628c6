"""The strategic-goals view: which surveys and questions serve each goal, and a headline figure
per area for a goal's map.

Goals are numbered 1–12 (the national strategic goals of the wellbeing services counties); a
survey definition names the goals it serves (`goals: [..]`) and a question may narrow that
(`goals` on the question: only those questions count for those goals). The official wording of
the goals is not reproduced here: views show neutral labels ("Goal 3") until the verified texts
are added (docs/survey-format.md, "Strategic goals").

The headline of an area is read from the published results of that area's scope (the same
release every other view shows): a suppressed area stays suppressed, never zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from surveys.definitions.snapshots import SurveySnapshot

from . import statistics

GOALS = tuple(range(1, 13))
# Question types with a headline figure (and how it is computed from the answer counts).
HEADLINE_TYPES = ("nps", "likert5", "number")

# The 22 areas on a tile map: (column, row), roughly where they lie (north at the top).
TILES: dict[str, tuple[int, int]] = {
    "21": (2, 0),
    "19": (2, 1), "20": (3, 1),
    "17": (0, 2), "18": (1, 2), "13": (3, 2), "14": (4, 2),
    "16": (1, 3), "15": (2, 3), "12": (3, 3),
    "06": (0, 4), "08": (1, 4), "09": (2, 4), "10": (3, 4), "11": (4, 4),
    "05": (0, 5), "07": (1, 5), "02": (2, 5), "01": (3, 5),
    "03": (1, 6), "90": (2, 6), "04": (3, 6),
}


def surveys_for(goal: int, surveys: list[SurveySnapshot]) -> list[SurveySnapshot]:
    return [s for s in surveys if goal in s.definition.get("goals", [])]


def questions_for(goal: int, survey: SurveySnapshot) -> list[dict[str, Any]]:
    """The survey's questions that serve `goal`: those tagged with it if any question carries
    goals, else every question (free text excepted: it has no figure)."""
    questions = [q for q in survey.definition["questions"] if q["type"] != "text"]
    if any("goals" in q for q in questions):
        return [q for q in questions if goal in q.get("goals", [])]
    return questions


def headline_question(goal: int, survey: SurveySnapshot) -> dict[str, Any] | None:
    """The first question of the goal with a headline figure (NPS, top-two share, mean)."""
    return next((q for q in questions_for(goal, survey) if q["type"] in HEADLINE_TYPES), None)


@dataclass(frozen=True)
class Headline:
    kind: str  # "nps", "top_two" (a share 0–1) or "mean"
    estimate: statistics.Estimate | None  # None: hidden (suppressed) or nothing to show


def headline(question: dict[str, Any], figures: Mapping[str, Any]) -> Headline:
    """The headline figure of one question in one published results document."""
    qtype = question["type"]
    kind = {"nps": "nps", "likert5": "top_two", "number": "mean"}[qtype]
    counts = figures.get("counts")
    if figures.get("suppressed") or not counts:
        return Headline(kind, None)
    if any(v is None for v in counts.values()) or not all(k.isdigit() for k in counts):
        # Some counts withheld (attribute disclosure) or banded: no interval from what is not
        # shown; the published figure itself, where there is one.
        published = figures.get("nps") if kind == "nps" else figures.get("mean") \
            if kind == "mean" else None
        if published is None:
            return Headline(kind, None)
        return Headline(kind, statistics.Estimate(published, published, published, 0.0))
    numeric = {int(k): v for k, v in counts.items()}
    if qtype == "nps":
        return Headline(kind, statistics.nps(numeric))
    if qtype == "likert5":
        return Headline(kind, statistics.top_two(numeric))
    return Headline(kind, statistics.mean({float(k): v for k, v in numeric.items()}))


@dataclass(frozen=True)
class AreaFigure:
    code: str
    name: str
    # "shown", "hidden" (suppressed: too few, or hidden to protect another group), or
    # "not_surveyed" (a county's own survey, elsewhere)
    state: str
    value: float | None  # in the unit shown: NPS −100…100, a share 0–100, a mean
    low: float | None = None
    high: float | None = None
    respondents: int | None = None


def area_figures(survey: SurveySnapshot, question: dict[str, Any],
                 areas: list[tuple[str, str]],
                 results_of: Callable[[str], Mapping[str, Any]]) -> list[AreaFigure]:
    """One figure per area (`areas`: (code, name) of the 22), from `results_of(code)`: the
    published results document of that county."""
    out = []
    for code, name in areas:
        if survey.scope != "national" and code != survey.scope:
            out.append(AreaFigure(code, name, "not_surveyed", None))
            continue
        doc = results_of(code)
        h = headline(question, doc["questions"][question["id"]])
        if doc["suppressed"] or h.estimate is None:
            out.append(AreaFigure(code, name, "hidden", None))
            continue
        factor = 100.0 if h.kind == "top_two" else 1.0
        est = h.estimate
        out.append(AreaFigure(code, name, "shown", round(est.value * factor, 1),
                              round(est.low * factor, 1), round(est.high * factor, 1),
                              doc["respondents"]))
    return out


SORT_KEYS = ("value", "name")


def sort_figures(figures: list[AreaFigure], key: str, descending: bool) -> list[AreaFigure]:
    """Sorted by name or by value; areas without a figure always last (not as zero)."""
    if key == "name":
        return sorted(figures, key=lambda f: f.name.casefold(), reverse=descending)
    shown = sorted((f for f in figures if f.value is not None),
                   key=lambda f: (f.value, f.name.casefold()), reverse=descending)
    rest = sorted((f for f in figures if f.value is None), key=lambda f: f.name.casefold())
    return shown + rest
