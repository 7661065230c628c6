"""Question versions (issue 14): after publishing, a change of a question's meaning (type,
choices, range) needs a new version; each version's answers are counted apart, a response is
counted under the version it answered (also when it is folded after the change), and results
and exports name the versions."""

from __future__ import annotations

import csv
import io

import pytest
import yaml

from surveys.definitions import demo, lifecycle, lookup
from surveys.definitions.format import DefinitionError, reported_questions
from surveys.infra import db
from tests.conftest import VALID_ANSWERS, form_tokens, run_worker, submit

SLUG = "asiakaskokemus-2026"
YES_NO = [{"id": "yes", "label": {"fi": "Kyllä", "sv": "Ja", "se": "Juo"}},
          {"id": "no", "label": {"fi": "Ei", "sv": "Nej", "se": "Ii"}}]


def demo_definition() -> dict:
    text = next(t for t in demo.definitions() if f"slug: {SLUG}" in t)
    return yaml.safe_load(text)


def got_help_changed(version: int | None) -> dict:
    """The demo survey with got_help asked as a yes/no question, at `version`."""
    d = demo_definition()
    q = next(q for q in d["questions"] if q["id"] == "got_help")
    q.update(type="single", choices=YES_NO, text={"fi": "Saitko apua?", "sv": "Fick du hjälp?",
                                                   "se": q["text"]["se"]})
    if version is not None:
        q["version"] = version
    return d


def import_definition(database_url, definition: dict):
    with db.session_scope(database_url) as s:
        survey, _created = lifecycle.import_survey(
            s, yaml.safe_dump(definition, allow_unicode=True))
        return survey.definition


def results(client) -> dict:
    return client.get(f"/api/v1/surveys/{SLUG}/results").get_json()


def test_a_changed_meaning_needs_a_new_version_and_names_the_question(demo_survey,
                                                                       database_url):
    with pytest.raises(DefinitionError) as refused:
        import_definition(database_url, got_help_changed(None))
    text = str(refused.value)
    assert "'got_help' changed type from likert5 to single" in text
    assert "give it version: 2" in text
    with pytest.raises(DefinitionError, match="can't go back to 1"):
        import_definition(database_url, got_help_changed(2))
        import_definition(database_url, demo_definition())


def test_each_version_counts_the_answers_given_to_it(client, demo_survey, database_url,
                                                     redis_conn, app):
    # Six answers to version 1, not yet folded when version 2 is published.
    for got_help in "444555":
        assert submit(client, SLUG, "fi", {**VALID_ANSWERS, "got_help": got_help}) \
            .status_code == 303
    old_form = client.get(f"/fi/s/{SLUG}").get_data(as_text=True)

    stored = import_definition(database_url, got_help_changed(2))
    ids = [q["id"] for q in stored["questions"]]
    assert "got_help__v2" in ids and "got_help" not in ids
    assert [q["id"] for q in stored["retired_questions"]] == ["got_help"]
    assert stored["retired_questions"][0]["type"] == "likert5"

    # A form shown under version 1 and sent now is not counted under version 2's wording.
    resp = client.post(f"/fi/s/{SLUG}", data={**form_tokens(old_form), **VALID_ANSWERS})
    assert resp.status_code != 303
    page = client.get(f"/fi/s/{SLUG}").get_data(as_text=True)
    assert 'name="got_help__v2"' in page and "Saitko apua?" in page
    for answer in ("yes", "yes", "yes", "no", "no", "no"):
        answers = {k: v for k, v in VALID_ANSWERS.items() if k != "got_help"}
        assert submit(client, SLUG, "fi", {**answers, "got_help__v2": answer}) \
            .status_code == 303

    run_worker(redis_conn)  # the first six are folded after the change
    doc = results(client)
    assert doc["respondents"] == 12
    v1, v2 = doc["questions"]["got_help"], doc["questions"]["got_help__v2"]
    assert v1["type"] == "likert5" and v1["n"] == 6 and v1["mean"] == 4.5
    assert v2["type"] == "single" and v2["n"] == 6
    assert set(v2["counts"]) == {"yes", "no"}
    assert v2["counts"]["yes"] == 3

    html = client.get(f"/fi/results/{SLUG}").get_data(as_text=True)
    assert "Saitko apua? <span class=\"question-version\">(versio 2)</span>" in html
    headings = [h for h in html.split("<h2>")[1:] if "question-version" in h.split("</h2>")[0]]
    assert [h.split(" <span")[0] for h in headings] == ["Saitko apua?",
                                                         "Sain tarvitsemaani apua."]
    assert "(versio 1)" in headings[1] and "Kysymyksen aiempi versio" in headings[1]

    raw = client.get(f"/fi/results/{SLUG}/export.csv").get_data().decode("utf-8-sig")
    questions = {row[1] for row in csv.reader(io.StringIO(raw), delimiter=";")}
    assert {"Saitko apua? (versio 2)", "Sain tarvitsemaani apua. (versio 1)"} <= questions


def test_a_correction_keeps_the_version_and_a_later_version_keeps_all_earlier_ones(
        demo_survey, database_url):
    d = demo_definition()
    q = next(q for q in d["questions"] if q["id"] == "got_help")
    q["text"]["fi"] = "Sain tarvitsemani avun."  # a correction: same version, same answers
    stored = import_definition(database_url, d)
    assert "retired_questions" not in stored
    assert next(q for q in stored["questions"] if q["id"] == "got_help")["text"]["fi"] \
        == "Sain tarvitsemani avun."

    import_definition(database_url, got_help_changed(2))
    third = got_help_changed(3)
    next(q for q in third["questions"] if q["id"] == "got_help")["choices"] = \
        [*YES_NO, {"id": "partly", "label": {"fi": "Osittain", "sv": "Delvis", "se": "Muhtun"}}]
    stored = import_definition(database_url, third)
    assert [q["id"] for q in reported_questions(stored)][2:5] == \
        ["got_help__v3", "got_help__v2", "got_help"]

    # The stored definition imports again as it is (export -> import), and a file's own list
    # of earlier versions does not replace the stored one.
    again = import_definition(database_url, stored)
    assert again == stored
    tampered = {**stored, "retired_questions": []}
    assert import_definition(database_url, tampered)["retired_questions"] \
        == stored["retired_questions"]


def test_ids_ending_in_a_version_are_reserved(demo_survey, database_url):
    d = demo_definition()
    d["questions"][0]["id"] = "recommend__v2"
    with pytest.raises(DefinitionError, match="needs version: 2"):
        import_definition(database_url, d)


def test_a_draft_keeps_no_earlier_versions(database_url):
    d = {**got_help_changed(2), "slug": "luonnos-2026"}
    d["retired_questions"] = [demo_definition()["questions"][2]]
    stored = import_definition(database_url, d)
    assert "retired_questions" not in stored
    with db.session_scope(database_url) as s:
        assert lookup.find(s, "luonnos-2026").status == "draft"


def test_a_versioned_id_fits_the_aggregates(demo_survey, database_url):
    d = got_help_changed(2)
    next(q for q in d["questions"] if q["id"] == "got_help")["id"] = "g" * 62
    with pytest.raises(DefinitionError, match="too long for a version: at most 60"):
        import_definition(database_url, d)
