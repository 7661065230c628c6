"""A number question's result bands and a question's harmless answers are edited in the
builder (docs/privacy.md, "Attribute disclosure" and "Harmless answers"). Until the 6 December
session the builder only showed them as notes ("set in the survey's YAML definition"): an
admin who built a survey in the builder could not choose either without the YAML import."""

from __future__ import annotations

from surveys.definitions import lifecycle
from surveys.infra import db
from tests.integration.test_builder import click, error_at, read_form
from tests.integration.test_builder_keeps_fields import IMPORTED, stored

URL = "/fi/admin/surveys/tuotu/edit"
WITH_CHOICES = IMPORTED + """  - id: kieli
    type: single
    text: {fi: "Saitko palvelua omalla kielelläsi?"}
    choices:
      - {id: "kylla", label: {fi: "Kyllä"}}
      - {id: "ei", label: {fi: "Ei"}}
      - {id: "eos", label: {fi: "En osaa sanoa"}}
"""


def _import(database_url, text=WITH_CHOICES, publish=False):
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, text)
        if publish:
            lifecycle.publish(s, "tuotu", "testi")


def test_a_number_questions_bands_are_written_in_the_builder(admin_client, database_url):
    _import(database_url)
    html = admin_client.get(URL).get_data(as_text=True)
    form, _buttons = read_form(html)
    assert form["q1.bands"] == "0–17, 18–64, 65–110"
    # Any dash a keyboard gives, commas or semicolons between the bands.
    r = click(admin_client, URL, html, "save", {"q1.bands": "0 - 29; 30—64, 65\u221265 ,66-110"})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert stored(database_url, "tuotu")["questions"][1]["bands"] == \
        [[0, 29], [30, 64], [65, 65], [66, 110]]
    # Empty: the default ten-year bands (no `bands` stored).
    html = admin_client.get(URL).get_data(as_text=True)
    r = click(admin_client, URL, html, "save", {"q1.bands": ""})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert "bands" not in stored(database_url, "tuotu")["questions"][1]


def test_unreadable_or_gapped_bands_are_refused_in_the_users_language(admin_client,
                                                                      database_url):
    _import(database_url)
    html = admin_client.get(URL).get_data(as_text=True)
    r = click(admin_client, URL, html, "save", {"q1.bands": "lapset, aikuiset"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Kirjoita luokat vaihteluväleinä" in error_at(page, "f-questions-1-bands")
    # What was written stays in the field to be corrected, and nothing was stored.
    assert read_form(page)[0]["q1.bands"] == "lapset, aikuiset"
    r = click(admin_client, URL, html, "save", {"q1.bands": "0-17, 20-110"})
    assert r.status_code == 422
    assert "ilman aukkoja" in error_at(r.get_data(as_text=True), "f-questions-1-bands")
    assert stored(database_url, "tuotu")["questions"][1]["bands"] == \
        [[0, 17], [18, 64], [65, 110]]


def test_a_published_questions_bands_change_only_with_a_new_version(admin_client,
                                                                    database_url):
    _import(database_url, publish=True)
    html = admin_client.get(URL).get_data(as_text=True)
    assert 'id="q1.bands" name="q1.bands" value="0–17, 18–64, 65–110"' in html
    assert "readonly" in html.split('id="q1.bands"')[1].split(">")[0]
    r = click(admin_client, URL, html, "save", {"q1.bands": "0-29, 30-110"})
    assert r.status_code == 422
    assert stored(database_url, "tuotu")["questions"][1]["bands"] == \
        [[0, 17], [18, 64], [65, 110]]
    # A new version's bands are open.
    r = click(admin_client, URL, html, "new_version:1")
    html = r.get_data(as_text=True)
    assert "readonly" not in html.split('id="q1.bands"')[1].split(">")[0]
    r = click(admin_client, URL, html, "save", {"q1.bands": "0-29, 30-110"})
    assert r.status_code == 303, r.get_data(as_text=True)
    q = stored(database_url, "tuotu")["questions"][1]
    assert q["id"] == "ika__v2" and q["bands"] == [[0, 29], [30, 110]]


def test_harmless_answers_are_ticked_in_the_builder(admin_client, database_url):
    _import(database_url)
    html = admin_client.get(URL).get_data(as_text=True)
    # Every answer a question's results count is offered: a scale's values, a choice by text.
    assert html.count('name="q0.harmless"') == 5
    assert 'name="q1.harmless"' not in html  # a number question's bands are not answers
    assert "Kyllä (kylla)" in html
    # (A choice is ticked by its place: c0 is "kylla", c2 "eos".)
    r = click(admin_client, URL, html, "save", ticks={"q2.harmless": ["c0", "c2"]})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert stored(database_url, "tuotu")["questions"][2]["harmless_answers"] == ["kylla", "eos"]

    # A removed choice takes its mark along; the others keep theirs.
    html = admin_client.get(URL).get_data(as_text=True)
    assert read_form(html)[0].getlist("q2.harmless") == ["c0", "c2"]
    r = click(admin_client, URL, html, "remove_choice:2:2")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert read_form(html)[0].getlist("q2.harmless") == ["c0"]
    r = click(admin_client, URL, html, "save")
    assert r.status_code == 303, r.get_data(as_text=True)
    assert stored(database_url, "tuotu")["questions"][2]["harmless_answers"] == ["kylla"]

    # None ticked: none stored.
    html = admin_client.get(URL).get_data(as_text=True)
    r = click(admin_client, URL, html, "save", ticks={"q2.harmless": []})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert "harmless_answers" not in stored(database_url, "tuotu")["questions"][2]


def test_a_forged_harmless_answer_is_refused(admin_client, database_url):
    _import(database_url)
    html = admin_client.get(URL).get_data(as_text=True)
    form, _buttons = read_form(html)
    form.setlist("q0.harmless", ["6"])
    form["op"] = "save"
    r = admin_client.post(URL, data=form)
    # Not an answer of the question: dropped as a removed choice's mark is, never stored.
    assert r.status_code == 303
    assert "harmless_answers" not in stored(database_url, "tuotu")["questions"][0]


def test_a_published_surveys_harmless_answers_may_change(admin_client, database_url):
    """The mark is not part of the shape (docs/privacy.md, "Harmless answers")."""
    _import(database_url, publish=True)
    html = admin_client.get(URL).get_data(as_text=True)
    r = click(admin_client, URL, html, "save", ticks={"q2.harmless": ["c0"]})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert stored(database_url, "tuotu")["questions"][2]["harmless_answers"] == ["kylla"]


def test_a_choice_renamed_in_the_same_post_keeps_its_mark(admin_client, database_url):
    """A new choice question offers c1 and c2: renaming them and ticking one in one post is
    the ordinary way to fill it in (found in review: the tick was dropped)."""
    _import(database_url)
    html = admin_client.get(URL).get_data(as_text=True)
    r = click(admin_client, URL, html, "save", {"q2.c0.id": "joo"}, ticks={"q2.harmless": ["c0"]})
    assert r.status_code == 303, r.get_data(as_text=True)
    q = stored(database_url, "tuotu")["questions"][2]
    assert q["choices"][0]["id"] == "joo" and q["harmless_answers"] == ["joo"]


def test_a_new_type_drops_the_marks_ticked_under_the_old_one(admin_client, database_url):
    """A scale's "5" is not an NPS "5" (a detractor): a mark ticked under another type is
    dropped, never carried to an answer nobody marked (found in review)."""
    _import(database_url)
    html = admin_client.get(URL).get_data(as_text=True)
    r = click(admin_client, URL, html, "save", {"q0.type": "nps"}, ticks={"q0.harmless": ["5"]})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert "harmless_answers" not in stored(database_url, "tuotu")["questions"][0]
    # Ticked under the type it has, it is kept.
    html = admin_client.get(URL).get_data(as_text=True)
    r = click(admin_client, URL, html, "save", ticks={"q0.harmless": ["10"]})
    assert r.status_code == 303, r.get_data(as_text=True)
    assert stored(database_url, "tuotu")["questions"][0]["harmless_answers"] == ["10"]
