"""Survey definition files: valid ones import, broken ones are refused naming the field."""

from __future__ import annotations

import textwrap

import pytest

from surveys.definitions import demo
from surveys.definitions import format as definition
from surveys.definitions.format import DefinitionError

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
        (broken("goals: [2]", "goals: [2]\nopen_data: yes please"), "open_data",
         "is not of type 'boolean'"),
        (broken("goals: [2]", "goals: [2]\nopen_data: true"), "open_data",
         "needs a description"),
        (broken("    required: true\n", "    required: true\n    goals: [2, 7]\n"),
         "questions[0].goals", "7 are not among the survey's goals"),
        ("slug: [unclosed", "line 1, column 16", "not valid YAML"),
        # YAML reads an unquoted date as a date: an impossible one is refused at its line.
        ("slug: x\nopens_on: 2027-02-30\n", "line 2, column 11", "'2027-02-30' is not a date"),
        ("- just a list", "(top level)", "mapping"),
    ],
)
def test_broken_definitions_name_the_field(text, path, fragment):
    with pytest.raises(DefinitionError) as exc:
        definition.load(text, {"01", "17"})
    assert any(p == path and fragment in msg for p, msg in exc.value.errors), exc.value.errors




def with_embed_origins(*origins: str) -> str:
    return VALID + "embed_origins: [" + ", ".join(f'"{o}"' for o in origins) + "]\n"


def test_embed_origins_take_https_origins_and_the_subdomain_form():
    origins = ("https://www.example.fi", "https://*.hyvinvointialue.example",
               "https://palaute.example.fi:8443", "https://xn--hmeen-hva.example")
    d = definition.load(with_embed_origins(*origins))
    assert d["embed_origins"] == list(origins)
    assert "embed_origins" not in definition.load(VALID)  # optional: none means no framing


@pytest.mark.parametrize("origin", [
    "http://www.example.fi",           # not https
    "https://www.example.fi/",         # a path
    "https://www.example.fi/kysely",
    "https://*",                       # a wildcard that is not the subdomain form
    "https://*.fi",                    # every site under a top-level domain
    "https://www.*.example.fi",
    "*",
    "https://WWW.EXAMPLE.FI",          # write it in lowercase
    "https://localhost",               # no dot: not a website's name
    "https://192.0.2.1",               # an address, not a name
    "https://www.example.fi:0",
    "https://www.example.fi:70000",
    "https://www.example.fi 'unsafe-inline'",  # a second CSP source smuggled in
    "https://www.example.fi;script-src *",
    "https://www.example.fi\n",        # a header line break
    "'self'",
])
def test_embed_origins_refuse_anything_but_an_https_origin(origin):
    with pytest.raises(DefinitionError) as exc:
        definition.validate({**definition.parse_yaml(VALID), "embed_origins": [origin]})
    assert exc.value.errors[0][0] == "embed_origins[0]"
    assert "https origin" in exc.value.errors[0][1]


def test_embed_origins_listed_twice_or_too_many_are_refused():
    with pytest.raises(DefinitionError, match="embed_origins"):
        definition.load(with_embed_origins("https://a.example.fi", "https://a.example.fi"))
    many = [f"https://s{i}.example.fi" for i in range(21)]
    with pytest.raises(DefinitionError, match="embed_origins"):
        definition.load(with_embed_origins(*many))


AGE = VALID + (
    "  - id: age\n"
    "    type: number\n"
    "    min: 15\n"
    "    max: 110\n"
    '    text: {fi: "Ikä", sv: "Ålder"}\n'
)


def test_number_questions_are_published_in_bands():
    from surveys.report.results import band_of, number_bands

    age = definition.load(AGE, {"01"})["questions"][2]
    assert number_bands(age) == [(15, 19), (20, 29), (30, 39), (40, 49), (50, 59), (60, 69),
                                 (70, 79), (80, 89), (90, 99), (100, 110)]
    assert band_of(age, 42) == "40–49" and band_of(age, 110) == "100–110"
    with_bands = AGE.replace("max: 110\n", "max: 110\n    bands: [[15, 29], [30, 110]]\n")
    custom = definition.load(with_bands, {"01"})["questions"][2]
    assert number_bands(custom) == [(15, 29), (30, 110)]


@pytest.mark.parametrize("bands", ["[[15, 29], [31, 110]]", "[[15, 29], [30, 100]]",
                                   "[[16, 110]]", "[[15, 60], [30, 110]]"])
def test_number_bands_must_cover_the_range(bands):
    text = AGE.replace("max: 110\n", f"max: 110\n    bands: {bands}\n")
    with pytest.raises(DefinitionError) as exc:
        definition.load(text, {"01"})
    assert any(p == "questions[2].bands" for p, _ in exc.value.errors), exc.value.errors
    with pytest.raises(DefinitionError):
        definition.load(VALID.replace("type: nps\n", "type: nps\n    bands: [[0, 10]]\n"), {"01"})


def test_open_data_defaults_to_false_and_takes_true_with_a_description():
    assert definition.load(VALID)["open_data"] is False
    text = broken("goals: [2]", 'goals: [2]\nopen_data: true\n'
                                'description: {fi: "Kuvaus", sv: "Beskrivning"}')
    assert definition.load(text)["open_data"] is True
    tagged = broken("    required: true\n", "    required: true\n    goals: [2]\n")
    assert definition.load(tagged)["questions"][0]["goals"] == [2]


def test_harmless_answers_name_the_questions_own_answers():
    """`harmless_answers`: choice ids, or a scale's values as text (docs/privacy.md, "Harmless
    answers"); the results' model takes them to exempt from the unanimity rule only."""
    from surveys.report.results import question_model

    d = definition.load(broken('    type: nps\n', '    type: nps\n'
                               '    harmless_answers: ["9", "10"]\n')
                        .replace('      - {id: b, label: {fi: "B", sv: "B"}}\n',
                                 '      - {id: b, label: {fi: "B", sv: "B"}}\n'
                                 '    harmless_answers: [a]\n'), set())
    assert question_model(d["questions"][0]).harmless == ("9", "10")
    assert question_model(d["questions"][1]).harmless == ("a",)
    for bad, fragment in (('["11"]', "harmless answer(s) 11 are not among"),
                          ('[c]', "harmless answer(s) c are not among"),
                          ('[]', "should be non-empty"), ('[a, a]', "non-unique")):
        with pytest.raises(DefinitionError) as exc:
            definition.load(VALID.replace('      - {id: b, label: {fi: "B", sv: "B"}}\n',
                                          '      - {id: b, label: {fi: "B", sv: "B"}}\n'
                                          f'    harmless_answers: {bad}\n'), set())
        assert any(path == "questions[1].harmless_answers" and fragment in message
                   for path, message in exc.value.errors), (bad, exc.value.errors)
    text_question = VALID + textwrap.indent(textwrap.dedent("""\
        - id: comment
          type: text
          text: {fi: "Kommentti", sv: "Kommentar"}
          harmless_answers: ["x"]
        """), "  ")
    with pytest.raises(DefinitionError) as exc:
        definition.load(text_question, set())
    assert ("questions[2].harmless_answers", "a text question takes no harmless_answers") \
        in exc.value.errors
