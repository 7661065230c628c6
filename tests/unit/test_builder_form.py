"""The builder's plain form (webapp.admin.builder_form): a definition as form fields and back,
the shape buttons, and where a validator's field path is shown."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from webapp.admin import builder_form as bf


def form(**fields) -> MultiDict:
    out = MultiDict()
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            out.add(name.replace("__", "."), v)
    return out


def test_parse_reads_languages_texts_questions_and_choices():
    d, errors = bf.parse(form(
        slug="k", scope="17", source_language="sv", languages=["fi", "sv", "en"],
        goals=["3", "1", "x"], min_group_size="7", retention_months="kaksi",
        title__sv="Enkät", title__fi="Kysely", title__en="  ", questions="2",
        q0__id="a", q0__type="multi", q0__required="on", q0__text__sv="Fråga",
        **{"q0.choices": "2", "q0.c0.id": "x", "q0.c0.label.sv": "X", "q0.c1.id": "y"},
        q1__id="n", q1__type="number", q1__min="1", q1__max="z", q1__text__fi="Luku"))
    assert d["languages"] == ["sv", "fi", "en"] and d["goals"] == [1, 3]
    assert d["title"] == {"sv": "Enkät", "fi": "Kysely"} and d["min_group_size"] == 7
    assert "retention_months" not in d and "description" not in d
    assert d["questions"][0] == {"id": "a", "type": "multi", "required": True,
                                 "text": {"sv": "Fråga"},
                                 "choices": [{"id": "x", "label": {"sv": "X"}},
                                             {"id": "y", "label": {}}]}
    assert d["questions"][1]["min"] == 1 and "max" not in d["questions"][1]
    assert errors == [("retention_months", bf.NOT_A_NUMBER), ("questions[1].max",
                                                              bf.NOT_A_NUMBER)]


def test_shape_buttons():
    d = bf.blank()
    assert bf.apply_op(d, "add_question") and [q["id"] for q in d["questions"]] == ["q1", "q2"]
    assert bf.apply_op(d, "question_down:0") and [q["id"] for q in d["questions"]] == [
        "q2", "q1"]
    assert bf.apply_op(d, "question_up:0")  # the first can't go up: unchanged
    assert [q["id"] for q in d["questions"]] == ["q2", "q1"]
    assert bf.apply_op(d, "add_choice:1") and bf.apply_op(d, "add_choice:1")
    assert [c["id"] for c in d["questions"][1]["choices"]] == ["c1", "c2"]
    assert bf.apply_op(d, "choice_down:1:0")
    assert [c["id"] for c in d["questions"][1]["choices"]] == ["c2", "c1"]
    assert bf.apply_op(d, "remove_choice:1:1")
    assert [c["id"] for c in d["questions"][1]["choices"]] == ["c2"]
    assert bf.apply_op(d, "remove_question:0") and [q["id"] for q in d["questions"]] == ["q1"]
    for bad in ("remove_question:9", "remove_choice:0:9", "choice_up:x", "delete_all", "",
                "remove_choice:0"):
        assert not bf.apply_op(d, bad), bad
    assert [q["id"] for q in d["questions"]] == ["q1"]


def test_places_and_anchors_of_validator_paths():
    assert bf.place("questions[2].choices[1].label") == "questions[2].choices[1].label"
    assert bf.place("questions[2].choices") == "questions[2].choices"
    assert bf.place("questions[2]") == "questions[2]"
    assert bf.place("questions[2].bogus") == "questions[2]"
    assert bf.place("privacy.contact") == "privacy.contact"
    assert bf.place("embed_origins[0]") == "(top level)"
    assert bf.place("closes_on") == "closes_on"
    assert bf.anchor("questions[2].choices[1].label") == "f-questions-2-choices-1-label"


def test_move_question_puts_one_question_at_another_place():
    """What the drag-to-reorder script sends: move_question:<from>:<to>."""
    d = {"questions": [{"id": q} for q in ("a", "b", "c", "d")]}
    assert bf.apply_op(d, "move_question:0:2")
    assert [q["id"] for q in d["questions"]] == ["b", "c", "a", "d"]
    assert bf.apply_op(d, "move_question:3:0")
    assert [q["id"] for q in d["questions"]] == ["d", "b", "c", "a"]
    for bad in ("move_question:0", "move_question:0:9", "move_question:9:0",
                "move_question:x:1"):
        assert not bf.apply_op(d, bad), bad
    assert [q["id"] for q in d["questions"]] == ["d", "b", "c", "a"]
