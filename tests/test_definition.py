"""Survey definition files: valid ones import, broken ones are refused naming the field."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from surveys import definition, demo
from surveys.definition import DefinitionError
from webapp.cli import main

VALID = textwrap.dedent("""
    slug: test-survey
    audience: citizen
    scope: national
    languages: [fi, sv]
    goals: [2]
    title: {fi: "Testi", sv: "Test"}
    questions:
      - id: recommend
        type: nps
        required: true
        text: {fi: "Suosittelisitko?", sv: "Skulle du rekommendera?"}
      - id: service
        type: single
        text: {fi: "Palvelu", sv: "Tjänst"}
        choices:
          - {id: a, label: {fi: "A", sv: "A"}}
          - {id: b, label: {fi: "B", sv: "B"}}
""")


def broken(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def test_valid_definition_is_normalised():
    d = definition.load(VALID, {"01", "17"})
    assert d["min_group_size"] == 5
    assert d["questions"][1]["required"] is False
    assert definition.missing_texts(d, "fi") == []


def test_demo_surveys_are_valid():
    texts = demo.definitions()
    assert texts
    for text in texts:
        definition.load(text, {f"{n:02d}" for n in range(1, 22)} | {"90"})


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        (broken("type: nps", "type: stars"), "questions[0].type", "stars"),
        (broken("slug: test-survey", "slug: Test Survey"), "slug", "does not match"),
        (broken("goals: [2]", "goals: [13]"), "goals[0]", "13"),
        (broken("scope: national", "scope: '42'"), "scope", "unknown county"),
        (broken("languages: [fi, sv]", "languages: [fi, de]"), "languages[1]", "de"),
        (broken("    choices:\n      - {id: a, label: {fi: \"A\", sv: \"A\"}}\n"
                "      - {id: b, label: {fi: \"B\", sv: \"B\"}}\n", ""),
         "questions[1].choices", "needs choices"),
        (broken("id: service", "id: recommend"), "questions[1].id", "duplicate"),
        (broken('title: {fi: "Testi", sv: "Test"}', 'title: {sv: "Test", en: "Test"}'),
         "title", "not in the survey's languages"),
        (broken("  - id: recommend\n    type: nps", "  - id: recommend\n    type: number"),
         "questions[0].min", "min and max"),
        ("slug: [unclosed", "line 1, column 16", "not valid YAML"),
        ("- just a list", "(top level)", "mapping"),
    ],
)
def test_broken_definitions_name_the_field(text, path, fragment):
    with pytest.raises(DefinitionError) as exc:
        definition.load(text, {"01", "17"})
    assert any(p == path and fragment in msg for p, msg in exc.value.errors), exc.value.errors


def test_cli_import_and_publish(database_url, tmp_path):
    f = tmp_path / "survey.yaml"
    f.write_text(VALID, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["surveys", "import", str(f)])
    assert result.exit_code == 0, result.output
    assert "created survey test-survey (draft)" in result.output
    result = runner.invoke(main, ["surveys", "publish", "test-survey"])
    assert result.exit_code == 0, result.output
    from surveys import db, service

    with db.session_scope(database_url) as s:
        assert service.get_survey(s, "test-survey").status == "published"


def test_cli_import_rejects_broken_file(database_url, tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text(broken("type: nps", "type: stars"), encoding="utf-8")
    result = CliRunner().invoke(main, ["surveys", "import", str(f)])
    assert result.exit_code != 0
    assert "questions[0].type" in result.output
    from surveys import db, service

    with db.session_scope(database_url) as s:
        assert service.get_survey(s, "test-survey") is None


def test_publish_refuses_missing_language_texts(database_url, tmp_path):
    f = tmp_path / "survey.yaml"
    f.write_text(broken('text: {fi: "Palvelu", sv: "Tjänst"}', 'text: {fi: "Palvelu"}'),
                 encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["surveys", "import", str(f)]).exit_code == 0
    result = runner.invoke(main, ["surveys", "publish", "test-survey"])
    assert result.exit_code != 0
    assert "sv: questions[1].text" in result.output


def test_published_survey_keeps_its_shape_and_threshold(database_url, tmp_path):
    runner = CliRunner()
    f = tmp_path / "survey.yaml"
    f.write_text(VALID, encoding="utf-8")
    assert runner.invoke(main, ["surveys", "import", str(f)]).exit_code == 0
    assert runner.invoke(main, ["surveys", "publish", "test-survey"]).exit_code == 0
    # Texts may still be corrected...
    f.write_text(VALID.replace('"Palvelu"', '"Palvelu, jota käytit"'), encoding="utf-8")
    assert runner.invoke(main, ["surveys", "import", str(f)]).exit_code == 0
    # ...but not the questions, and the threshold only upwards.
    f.write_text(broken("id: b", "id: c"), encoding="utf-8")
    result = runner.invoke(main, ["surveys", "import", str(f)])
    assert result.exit_code != 0 and "questions" in result.output
    f.write_text(VALID.replace("goals: [2]", "goals: [2]\nmin_group_size: 3"), encoding="utf-8")
    result = runner.invoke(main, ["surveys", "import", str(f)])
    assert result.exit_code != 0 and "min_group_size" in result.output
