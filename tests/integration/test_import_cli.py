"""`palaute surveys import` and `list` as an operator meets them: every fault in one round, the
documented example imports, missing translations found at import, a refused change names what
changed, a county survey names its county."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import TestCli
from webapp.cli import main

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "slug": "cli-test", "audience": "citizen", "scope": "national", "languages": ["fi", "sv"],
    "goals": [2], "title": {"fi": "Kysely", "sv": "Enkät"},
    "questions": [
        {"id": "recommend", "type": "nps", "text": {"fi": "Suosittelisitko?", "sv": "Skulle?"}},
        {"id": "service", "type": "single", "text": {"fi": "Palvelu", "sv": "Tjänst"},
         "choices": [{"id": "a", "label": {"fi": "A", "sv": "A"}},
                     {"id": "b", "label": {"fi": "B", "sv": "B"}}]},
    ],
}


def write(tmp_path, data, name="survey.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def run(*args):
    return TestCli().invoke(main, list(args))


def test_three_faults_are_reported_in_one_round(database_url, tmp_path):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["questions"][0]["type"] = "stars"                 # schema: unknown type
    data["questions"].append(dict(data["questions"][1]))   # rule: duplicate id
    data["title"] = {"sv": "Enkät"}                        # rule: no text in the default language
    result = run("surveys", "import", write(tmp_path, data))
    assert result.exit_code == 1
    assert "questions[0].type" in result.output
    assert "questions[2].id: duplicate question id 'service'" in result.output
    assert "title: missing text in the default language 'fi'" in result.output
    assert "3 problem(s); nothing stored" in result.output


def test_the_documented_example_imports_as_written(database_url, tmp_path):
    doc = (ROOT / "docs" / "survey-format.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "example.yaml"
    path.write_text(example, encoding="utf-8")
    result = run("surveys", "import", str(path))
    assert result.exit_code == 0, result.output


def test_a_missing_swedish_text_is_found_at_import(database_url, tmp_path):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    del data["questions"][1]["text"]["sv"]
    result = run("surveys", "import", write(tmp_path, data))
    assert result.exit_code == 0, result.output
    assert "warning: sv: texts missing at questions[1].text" in result.output


def test_a_refused_change_names_the_question(database_url, tmp_path):
    assert run("surveys", "import", write(tmp_path, BASE)).exit_code == 0
    assert run("surveys", "publish", "cli-test").exit_code == 0
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["questions"][1]["choices"].append({"id": "c", "label": {"fi": "C", "sv": "C"}})
    result = run("surveys", "import", write(tmp_path, data))
    assert result.exit_code == 1
    assert "questions[1].choices" in result.output and "'service'" in result.output
    assert "['a', 'b'] to ['a', 'b', 'c']" in result.output


def test_a_county_survey_names_its_county_and_list_shows_it(database_url, tmp_path):
    data = {**yaml.safe_load(yaml.safe_dump(BASE)), "scope": "19", "languages": ["fi"]}
    data["title"] = {"fi": "Kysely"}
    for q in data["questions"]:
        q["text"] = {"fi": q["text"]["fi"]}
        for c in q.get("choices", []):
            c["label"] = {"fi": c["label"]["fi"]}
    result = run("surveys", "import", write(tmp_path, data))
    assert "for Pohjois-Pohjanmaan hyvinvointialue (19)" in result.output
    listed = run("surveys", "list")
    assert listed.exit_code == 0
    row = next(line for line in listed.output.splitlines() if line.startswith("cli-test"))
    assert "draft" in row and "Pohjois-Pohjanmaan hyvinvointialue (19)" in row
    assert "goals 2" in row
