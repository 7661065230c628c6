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


def test_fields_the_form_does_not_edit_round_trip_in_it():
    """A question's goals, breakdown, bands and harmless answers are form fields; its other
    fields (whatever the YAML holds) travel as JSON in `q<i>.kept`; a new survey's `kept`
    brings only what a template or copy may bring."""
    kept = bf.kept_json({"id": "n", "type": "number", "bands": [[0, 1]], "goals": [2],
                         "harmless_answers": ["1"], "note": "x"}, shown=bf.QUESTION_FIELDS)
    assert kept == '{"note": "x"}'
    top = bf.kept_json({"slug": "k", "open_data": True, "retired_questions": [{"id": "x"}]},
                       only=bf.NEW_SURVEY_KEPT)
    d, errors = bf.parse(form(
        slug="k", scope="17", languages=["fi"], goals=["2", "5"], kept=top, questions="3",
        q0__id="n", q0__type="number", q0__min="0", q0__max="110", q0__bands="0-17, 18-110",
        q0__goals=["5"],
        q1__id="m", q1__type="likert5", q1__bands="0-17",  # not a number question: no bands
        q2__id="s", q2__type="single", q2__breakdown="on", q2__goals=["x"]))
    assert errors == []
    assert d["open_data"] is True and "retired_questions" not in d
    assert d["questions"][0]["bands"] == [[0, 17], [18, 110]]
    assert d["questions"][0]["goals"] == [5]
    assert "bands" not in d["questions"][1] and "goals" not in d["questions"][1]
    assert d["questions"][2]["breakdown"] is True and "goals" not in d["questions"][2]
    d, _errors = bf.parse(form(questions="1", q0__id="m", q0__type="multi",
                               q0__breakdown="on"))
    assert "breakdown" not in d["questions"][0]  # a breakdown is a single-choice question's
    for broken in ("[1", '"x"', "[]"):
        _d, errors = bf.parse(form(questions="1", q0__id="n", q0__kept=broken))
        assert errors == [("questions[0]", bf.NOT_KEPT)], broken


def test_bands_are_read_from_text():
    assert bf.parse_bands("") == []
    assert bf.parse_bands("0-17, 18–64; 65\u2014110") == [[0, 17], [18, 64], [65, 110]]
    assert bf.parse_bands("-10 - -1, 0-9\n10") == [[-10, -1], [0, 9], [10, 10]]
    assert bf.parse_bands("0 -\u200b17") is None  # a zero-width space is not a range's part
    for broken in ("lapset", "0-17-20", "0..17", "0-"):
        assert bf.parse_bands(broken) is None, broken
    assert bf.bands_text([[0, 17], [18, 18], [19, 110]]) == "0–17, 18, 19–110"
    assert bf.parse_bands(bf.bands_text([[0, 17], [18, 18]])) == [[0, 17], [18, 18]]


def test_what_could_not_be_read_is_shown_again_and_never_stored():
    d, errors = bf.parse(form(questions="1", q0__id="n", q0__type="number", q0__min="nolla",
                              q0__max="110", q0__bands="lapset", min_group_size="viisi"))
    assert {p for p, _m in errors} == {"questions[0].min", "questions[0].bands",
                                       "min_group_size"}
    assert d["questions"][0][bf.TYPED] == {"min": "nolla", "bands": "lapset"}
    assert d[bf.TYPED] == {"min_group_size": "viisi"}
    clean = bf.definition(d)
    assert bf.TYPED not in clean and bf.TYPED not in clean["questions"][0]
    assert bf.TYPED not in bf.kept_json(d["questions"][0], shown=bf.QUESTION_FIELDS)


def test_a_removed_choice_takes_its_harmless_mark_along():
    d, errors = bf.parse(form(**{
        "questions": "2", "q0.id": "s", "q0.type": "single", "q0.harmless": ["c0", "c5"],
        "q0.choices": "2", "q0.c0.id": "yes", "q0.c1.id": "no",
        "q1.id": "l", "q1.type": "likert5", "q1.harmless": ["yes"]}))
    assert errors == []
    assert d["questions"][0]["harmless_answers"] == ["yes"]
    assert "harmless_answers" not in d["questions"][1]
    bf.apply_op(d, "remove_choice:0:0")
    bf.ensure_choices(d)
    assert "harmless_answers" not in d["questions"][0]
