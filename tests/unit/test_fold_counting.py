"""The fold's batch counting (surveys.fold.aggregation): counting a batch at once, a question at
a time, gives exactly the counts of its responses counted one by one, the straightforward way,
whatever the values (equal values that are different options: 1, 1.0, True; -0.0 and 0.0; an
option "*"); a batch with a response that can't be counted raises as that response alone does.
And the shuffle of the move into `responses` is a permutation, every order possible."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.fold import aggregation, quarantine, units

DEFINITION = {"questions": [{"id": "q", "type": "single"}, {"id": "n", "type": "number"},
                            {"id": "m", "type": "multi"}, {"id": "t", "type": "text"},
                            {"id": "b", "type": "single", "breakdown": True}],
              "retired_questions": [{"id": "old", "type": "likert5"}]}
DEFS = {1: DEFINITION, 2: {"questions": [{"id": "q", "type": "multi"}]}}

scalar = st.one_of(st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 1.5, True, False]),
                   st.sampled_from(["a", "b", "*", "1", "True", "x" * 64]))
odd = st.one_of(st.none(), st.just("x" * 65), st.just({"k": 1}), st.just([[1]]))
value = st.one_of(scalar, st.lists(scalar, max_size=3))
# Answers as a submission stores them: a scalar per choice or number question, a list for the
# multi one, anything for free text and for a question no longer in the definition.
answers = st.fixed_dictionaries({}, optional={
    "q": scalar, "n": scalar, "b": scalar, "old": scalar, "m": st.lists(scalar, max_size=3),
    "t": st.one_of(value, odd), "gone": st.one_of(value, odd)})
row = st.builds(aggregation.Row, st.sampled_from([1, 2]), st.sampled_from(["01", "17"]),
                st.sampled_from(["fi", "sv"]),
                st.sampled_from([date(2026, 3, 5), date(2026, 3, 9), date(2026, 4, 1)]),
                answers)


def one_by_one(rows, definitions=DEFS) -> Counter:
    """The reference: each response on its own, answer by answer (the fold's exact path)."""
    total: Counter = Counter()
    for r in rows:
        qtypes = aggregation.question_types(definitions[r.survey_id])
        for (q, o), n in aggregation._count_exact([r.answers], qtypes).items():
            total[aggregation.Key(r.survey_id, r.region_code, r.submitted_on.strftime("%Y-%m"),
                                  r.lang, q, o)] += n
    return total


def outcome(fn):
    try:
        return fn()
    except quarantine.Unfoldable as exc:
        return ("Unfoldable", str(exc))


@settings(max_examples=300, deadline=None)
@given(st.lists(row, max_size=40))
def test_a_batch_counts_as_its_responses_one_by_one(rows):
    expected = outcome(lambda: one_by_one(rows))
    got = outcome(lambda: aggregation.count_rows(rows, DEFS))
    if isinstance(expected, tuple):  # one of them can't be counted: the batch can't either
        assert isinstance(got, tuple)
    else:
        assert got == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(answers, max_size=8),
       st.dictionaries(st.sampled_from(["q", "n", "m"]), st.one_of(odd, value), min_size=1,
                       max_size=2))
def test_a_bad_answer_makes_the_batch_raise_as_that_response_alone(good, bad):
    rows = [aggregation.Row(1, "01", "fi", date(2026, 3, 5), a) for a in [*good, bad]]
    expected = outcome(lambda: one_by_one(rows[-1:]))
    if isinstance(expected, tuple):  # the bad response alone can't be counted
        assert outcome(lambda: aggregation.count_rows(rows[-1:], DEFS)) == expected
        assert isinstance(outcome(lambda: aggregation.count_rows(rows, DEFS)), tuple)
    else:
        assert outcome(lambda: aggregation.count_rows(rows, DEFS)) == outcome(
            lambda: one_by_one(rows))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, 5, 6]), answers), max_size=30))
def test_unit_counts_are_the_sum_of_each_responses_counts_in_each_split(pairs):
    rows = [(u, aggregation.Row(1, "17", "fi", date(2026, 3, 5), a)) for u, a in pairs]
    if isinstance(outcome(lambda: one_by_one([r for _, r in rows])), tuple):
        return  # a response that can't be counted: covered above
    expected: Counter = Counter()
    for unit_id, r in rows:
        if unit_id is None:
            continue
        b = r.answers.get("b")
        splits = [(units.UNIT_TOTAL, units.UNIT_TOTAL), ("b", "" if b is None else str(b))]
        for key, n in one_by_one([r]).items():
            for breakdown, v in splits:
                expected[units.UnitKey(1, unit_id, breakdown, v, key.question_id,
                                       key.option)] += n
    assert units.count_unit_rows(rows, DEFS, aggregation.count_answers) == expected


def test_equal_values_that_are_different_options_are_counted_apart():
    rows = [aggregation.Row(1, "01", "fi", date(2026, 3, 5), a) for a in (
        {"q": 1}, {"q": 1.0}, {"q": True}, {"q": "1"}, {"n": 0.0}, {"n": -0.0}, {"q": "*"})]
    counts = aggregation.count_rows(rows, DEFS)
    options = {k.option: n for k, n in counts.items() if k.question_id == "q"}
    assert options == {"*": 5 + 1, "1": 2, "1.0": 1, "True": 1}  # 5 answered + the option "*"
    assert {k.option: n for k, n in counts.items() if k.question_id == "n"} == {
        "*": 2, "0.0": 1, "-0.0": 1}


def test_the_shuffle_is_a_permutation_and_puts_every_item_everywhere():
    seen = set()
    for _ in range(2000):
        items = list(range(5))
        aggregation._shuffle(items, None)
        assert sorted(items) == list(range(5))
        seen.update(enumerate(items))
    assert seen == {(i, x) for i in range(5) for x in range(5)}
