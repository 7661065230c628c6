"""Staff surveys in the survey format: `organisation` required for audience staff (and only
there), a county scope, and `breakdown: true` only on single-choice questions of at most
MAX_BREAKDOWN_CHOICES choices."""

from __future__ import annotations

import pytest
import yaml

from surveys.definitions.format import (
    MAX_BREAKDOWN_CHOICES,
    MAX_BREAKDOWNS,
    DefinitionError,
    load,
)

SLUG = "henkilosto-2026"


def staff_yaml(slug: str = SLUG, organisation: str = "ORG1", scope: str = "17") -> str:
    return yaml.safe_dump({
        "slug": slug, "audience": "staff", "scope": scope, "organisation": organisation,
        "languages": ["fi", "sv"], "goals": [7],
        "title": {"fi": "Henkilöstökysely", "sv": "Personalenkät"},
        "questions": [
            {"id": "workload", "type": "likert5", "required": True,
             "text": {"fi": "Työmäärä on kohtuullinen", "sv": "Arbetsmängden är rimlig"}},
            {"id": "profession", "type": "single", "breakdown": True,
             "text": {"fi": "Ammattiryhmä", "sv": "Yrkesgrupp"},
             "choices": [{"id": "nurse", "label": {"fi": "Hoitaja", "sv": "Skötare"}},
                         {"id": "other", "label": {"fi": "Muu", "sv": "Annan"}}]},
        ],
    }, allow_unicode=True)


def errors(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as err:
        load(yaml.safe_dump(data, allow_unicode=True))
    return err.value.errors


def test_a_staff_survey_with_organisation_and_breakdown_is_valid():
    data = load(staff_yaml())
    assert data["organisation"] == "ORG1"
    assert [q["id"] for q in data["questions"] if q.get("breakdown")] == ["profession"]


def test_organisation_required_for_staff_and_only_there():
    data = yaml.safe_load(staff_yaml())
    del data["organisation"]
    assert [p for p, _m in errors(data)] == ["organisation"]
    citizen = {**yaml.safe_load(staff_yaml()), "audience": "citizen"}
    citizen["questions"][1].pop("breakdown")
    assert errors(citizen) == [("organisation", "only staff surveys name an organisation")]
    national = {**yaml.safe_load(staff_yaml()), "scope": "national"}
    assert [p for p, _m in errors(national)] == ["scope"]


def test_breakdown_only_on_single_choice():
    data = yaml.safe_load(staff_yaml())
    data["questions"][0]["breakdown"] = True
    assert errors(data) == [("questions[0].breakdown",
                             "only single-choice questions can be breakdowns")]


def test_a_breakdown_has_at_most_max_breakdown_choices():
    data = yaml.safe_load(staff_yaml())
    choices = [{"id": f"c{i}", "label": {"fi": f"R{i}", "sv": f"G{i}"}}
               for i in range(MAX_BREAKDOWN_CHOICES)]
    data["questions"][1]["choices"] = choices
    assert load(yaml.safe_dump(data, allow_unicode=True))  # exactly as many: valid
    data["questions"][1]["choices"] = [*choices, {"id": "x", "label": {"fi": "X", "sv": "X"}}]
    assert [p for p, _m in errors(data)] == ["questions[1].breakdown"]
    data["questions"][1].pop("breakdown")  # not a breakdown: as many choices as any question
    assert load(yaml.safe_dump(data, allow_unicode=True))


def test_a_staff_survey_has_at_most_max_breakdowns_breakdowns():
    """Each breakdown is read with every other in every unit (docs/performance.md: a fourth
    doubles a unit cut): the next one is refused, at its own question."""
    data = yaml.safe_load(staff_yaml())
    extra = [{"id": f"b{i}", "type": "single", "breakdown": True,
              "text": {"fi": f"J{i}", "sv": f"F{i}"},
              "choices": [{"id": "x", "label": {"fi": "X", "sv": "X"}},
                          {"id": "y", "label": {"fi": "Y", "sv": "Y"}}]}
             for i in range(MAX_BREAKDOWNS)]
    data["questions"] += extra[:MAX_BREAKDOWNS - 1]  # with `profession`: exactly as many
    assert load(yaml.safe_dump(data, allow_unicode=True))
    data["questions"].append(extra[-1])
    assert errors(data) == [(f"questions[{len(data['questions']) - 1}].breakdown",
                             f"a staff survey has at most {MAX_BREAKDOWNS} breakdown "
                             "questions (each is read with the others in every unit)")]
    data["questions"][-1].pop("breakdown")  # as a plain question: valid
    assert load(yaml.safe_dump(data, allow_unicode=True))
