"""The staff survey templates are valid staff surveys, complete in Finnish and Swedish, with
single-choice breakdowns, and carry no Sámi text (none from a published, openly licensed
source exists for them: see surveys/definitions/templates/README.md)."""

from __future__ import annotations

from importlib import resources

import pytest

from surveys.definitions.format import load, missing_texts

TEMPLATES = sorted(p.name for p in resources.files("surveys.definitions").joinpath(
    "templates").iterdir() if p.name.endswith(".yaml"))


def test_three_templates():
    assert TEMPLATES == ["staff-equality.yaml", "staff-retention.yaml", "staff-wellbeing.yaml"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_a_complete_staff_survey(name):
    text = resources.files("surveys.definitions").joinpath("templates", name).read_text("utf-8")
    data = load(text)
    assert data["audience"] == "staff" and data["organisation"]
    assert data["languages"] == ["fi", "sv"]
    for lang in ("fi", "sv"):
        assert missing_texts(data, lang) == [], (name, lang)
    breakdowns = [q for q in data["questions"] if q.get("breakdown")]
    assert breakdowns and all(q["type"] == "single" for q in breakdowns)


def test_equality_template_lists_the_grounds_of_the_non_discrimination_act():
    text = resources.files("surveys.definitions").joinpath(
        "templates", "staff-equality.yaml").read_text("utf-8")
    grounds = next(q for q in load(text)["questions"] if q["id"] == "grounds")
    assert [c["id"] for c in grounds["choices"]] == [
        "age", "origin", "nationality", "language", "religion", "belief", "opinion",
        "political_activity", "trade_union_activity", "family_relationships",
        "state_of_health", "disability", "sexual_orientation", "other_personal", "gender"]
