"""What the builder's form does not show stays in the survey: a question's own strategic goals,
a number question's bands and a staff survey's breakdown questions. Until the 5 December
session the form rebuilt every question from its fields alone, so a save in the builder
dropped them silently: a survey started from the staff-wellbeing template lost its breakdown
dimensions, and an imported survey edited for a typo lost its per-question goals and bands.

And a published number question's bands are part of its shape: new bands beside the old
releases' would give, by difference, the count of a band narrower than any published
(`lifecycle.shape_changes`)."""

from __future__ import annotations

import pytest
import yaml

from surveys.definitions import format as defs
from surveys.definitions import lifecycle, lookup, starting_points
from surveys.infra import db
from tests.integration.test_builder import NEW, click, read_form
from tests.integration.test_builder_lifecycle import client_for, import_orgs

IMPORTED = """
slug: tuotu
audience: citizen
scope: "17"
languages: [fi]
goals: [2, 5]
title: {fi: Tuotu kysely}
questions:
  - id: apu
    type: likert5
    goals: [2]
    text: {fi: "Saitko apua?"}
  - id: ika
    type: number
    min: 0
    max: 110
    bands: [[0, 17], [18, 64], [65, 110]]
    text: {fi: "Ikäsi?"}
"""


def stored(database_url, slug: str) -> dict:
    with db.session_scope(database_url) as s:
        return lookup.find(s, slug).definition


def test_a_save_in_the_builder_keeps_goals_and_bands_it_does_not_show(admin_client,
                                                                      database_url):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, IMPORTED)
    url = "/fi/admin/surveys/tuotu/edit"
    r = click(admin_client, url, admin_client.get(url).get_data(as_text=True), "save",
              {"q0.text.fi": "Saitko tarvitsemasi avun?"})
    assert r.status_code == 303, r.get_data(as_text=True)
    d = stored(database_url, "tuotu")
    assert d["questions"][0]["text"]["fi"] == "Saitko tarvitsemasi avun?"
    assert d["questions"][0]["goals"] == [2]
    assert d["questions"][1]["bands"] == [[0, 17], [18, 64], [65, 110]]

    # Moved by a shape button, a question takes its fields along.
    html = admin_client.get(url).get_data(as_text=True)
    r = click(admin_client, url, html, "question_up:1")
    assert r.status_code == 200
    r = click(admin_client, url, r.get_data(as_text=True), "save")
    assert r.status_code == 303, r.get_data(as_text=True)
    d = stored(database_url, "tuotu")
    assert [q["id"] for q in d["questions"]] == ["ika", "apu"]
    assert d["questions"][0]["bands"] == [[0, 17], [18, 64], [65, 110]]
    assert d["questions"][1]["goals"] == [2]

    # A new type drops what only the old type takes (bands), not what every type takes.
    html = admin_client.get(url).get_data(as_text=True)
    r = click(admin_client, url, html, "refresh", {"q0.type": "likert5"})
    r = click(admin_client, url, r.get_data(as_text=True), "save")
    assert r.status_code == 303, r.get_data(as_text=True)
    d = stored(database_url, "tuotu")
    assert d["questions"][0]["type"] == "likert5" and "bands" not in d["questions"][0]
    assert d["questions"][1]["goals"] == [2]


def test_a_survey_started_from_a_template_keeps_its_breakdown_questions(app, database_url):
    import_orgs(database_url)
    hr = client_for(app, database_url, "hr@example.fi", "hr_admin", org="ORG1")
    template = starting_points.template_definition("template:staff-wellbeing")
    page = hr.get(f"{NEW}?start=template:staff-wellbeing")
    assert page.status_code == 200
    r = click(hr, NEW, page.get_data(as_text=True), "save",
              {"slug": "hyvinvointi", "organisation": "ORG1", "scope": "17"})
    assert r.status_code == 303, r.get_data(as_text=True)
    d = stored(database_url, "hyvinvointi")
    breakdowns = [q["id"] for q in d["questions"] if q.get("breakdown")]
    assert len(breakdowns) == 2
    assert breakdowns == [q["id"] for q in template["questions"] if q.get("breakdown")]


def test_the_form_cannot_smuggle_fields_past_the_validator(admin_client, database_url):
    """The kept fields travel in the form (nothing is kept on the server between clicks), so a
    forged value meets the same validation as the YAML import's."""
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, IMPORTED)
    url = "/fi/admin/surveys/tuotu/edit"
    form, _buttons = read_form(admin_client.get(url).get_data(as_text=True))
    for forged in ('{"unknown": 1}', "[1", '"x"'):
        r = admin_client.post(url, data={**form, "q1.kept": forged, "op": "save"})
        assert r.status_code == 422, forged
    # A field the form edits is never taken from `kept` (a forged one there is ignored), and
    # from its own field it meets the validator.
    r = admin_client.post(url, data={**form, "q1.kept": '{"bands": [[0, 5]]}', "op": "save"})
    assert r.status_code == 303
    r = admin_client.post(url, data={**form, "q1.bands": "0-5", "op": "save"})
    assert r.status_code == 422
    assert stored(database_url, "tuotu")["questions"][1]["bands"] == \
        [[0, 17], [18, 64], [65, 110]]


@pytest.mark.parametrize("bands", [[[0, 29], [30, 110]], None])
def test_a_published_number_questions_bands_are_its_shape(database_url, bands):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, IMPORTED)
        lifecycle.publish(s, "tuotu", "testi")
    changed = yaml.safe_load(IMPORTED)
    if bands is None:
        del changed["questions"][1]["bands"]
    else:
        changed["questions"][1]["bands"] = bands
    with db.session_scope(database_url) as s, pytest.raises(defs.DefinitionError) as exc:
        lifecycle.import_survey(s, yaml.safe_dump(changed, allow_unicode=True))
    assert any(path == "questions[1].bands" and "give it version: 2" in message
               for path, message in exc.value.errors), exc.value.errors
    # With a new version the bands may change.
    changed["questions"][1]["version"] = 2
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, yaml.safe_dump(changed, allow_unicode=True))
    assert stored(database_url, "tuotu")["questions"][1]["id"] == "ika__v2"
