"""Survey definition files: valid ones import, broken ones are refused naming the field."""

from __future__ import annotations

from tests.conftest import TestCli
from tests.unit.test_definition import VALID
from webapp.cli import main


def broken(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def test_cli_import_and_publish(database_url, tmp_path):
    f = tmp_path / "survey.yaml"
    f.write_text(VALID, encoding="utf-8")
    runner = TestCli()
    result = runner.invoke(main, ["surveys", "import", str(f)])
    assert result.exit_code == 0, result.output
    assert "created survey test-survey (draft, national)" in result.output
    result = runner.invoke(main, ["surveys", "publish", "test-survey"])
    assert result.exit_code == 0, result.output
    from surveys.definitions import lookup
    from surveys.infra import db

    with db.session_scope(database_url) as s:
        assert lookup.find(s, "test-survey").status == "published"


def test_cli_import_rejects_broken_file(database_url, tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text(broken("type: nps", "type: stars"), encoding="utf-8")
    result = TestCli().invoke(main, ["surveys", "import", str(f)])
    assert result.exit_code != 0
    assert "questions[0].type" in result.output
    from surveys.definitions import lookup
    from surveys.infra import db

    with db.session_scope(database_url) as s:
        assert lookup.find(s, "test-survey") is None


def test_publish_refuses_missing_language_texts(database_url, tmp_path):
    f = tmp_path / "survey.yaml"
    f.write_text(broken('text: {fi: "Palvelu", sv: "Tjänst"}', 'text: {fi: "Palvelu"}'),
                 encoding="utf-8")
    runner = TestCli()
    assert runner.invoke(main, ["surveys", "import", str(f)]).exit_code == 0
    result = runner.invoke(main, ["surveys", "publish", "test-survey"])
    assert result.exit_code != 0
    assert "sv: questions[1].text" in result.output


def test_published_survey_keeps_its_shape_and_threshold(database_url, tmp_path):
    runner = TestCli()
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
