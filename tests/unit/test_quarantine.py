"""What the quarantine records of a fold failure holds no answer, and which failures are a
row's fault (quarantine it) rather than the system's (roll back, retry)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from surveys.fold import aggregation, quarantine

SECRET = "Maija 040 1234567"
DEFS = {1: {"questions": [{"id": "q", "type": "single"}, {"id": "m", "type": "multi"},
                          {"id": "t", "type": "text"}]}}


def row(answers):
    return aggregation.Row(1, "01", "fi", date(2026, 3, 5), answers)


def raised(fn):
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("nothing raised")


@pytest.mark.parametrize("answers, reason", [
    ([SECRET], "answers are not a mapping (list)"),
    ({"m": SECRET}, "question 'm': a multi answer that is not a list (str)"),
    ({"m": [{"x": SECRET}]}, "question 'm': an answer that is not a single value (dict)"),
    ({"q": [SECRET]}, "question 'q': an answer that is not a single value (list)"),
    ({"q": None}, "question 'q': an answer that is not a single value (NoneType)"),
    ({"q": SECRET * 10}, "question 'q': an answer longer than 64 characters"),
])
def test_malformed_answers_are_unfoldable_with_a_message_free_of_content(answers, reason):
    exc = raised(lambda: aggregation.count_rows([row(answers)], DEFS))
    assert isinstance(exc, quarantine.Unfoldable)
    assert quarantine.describe(exc) == ("Unfoldable", reason)
    assert quarantine.is_row_fault(exc)


def test_free_text_and_unknown_questions_are_not_checked():
    counts = aggregation.count_rows([row({"t": {"a": 1}, "gone": [[1]], "q": "a"})], DEFS)
    assert sum(counts.values()) == 4  # respondent, t answered, q answered, q = a


def test_a_definition_without_types_is_unfoldable():
    exc = raised(lambda: aggregation.count_rows([row({"q": "a"})],
                                                {1: {"questions": [{"id": "q"}]}}))
    assert quarantine.describe(exc)[1] == "the survey's definition lacks a question id or type"


def test_other_exceptions_are_described_by_where_they_were_raised_not_their_message():
    exc = raised(lambda: {}[SECRET])
    error_type, message = quarantine.describe(exc)
    assert error_type == "KeyError" and SECRET not in message
    assert message.startswith("raised at test_quarantine.py:")


def test_database_errors_are_described_by_their_code():
    class Orig(Exception):
        sqlstate = "22001"

    exc = DataError("INSERT …", {"option": SECRET}, Orig(f"value too long: {SECRET}"))
    error_type, message = quarantine.describe(exc)
    assert error_type == "Orig" and "22001" in message and SECRET not in message


def test_only_the_rows_own_faults_are_quarantined():
    assert quarantine.is_row_fault(DataError("s", {}, Exception()))
    assert quarantine.is_row_fault(IntegrityError("s", {}, Exception()))
    assert not quarantine.is_row_fault(OperationalError("s", {}, Exception()))
    assert not quarantine.is_row_fault(MemoryError())
    assert not quarantine.is_row_fault(KeyboardInterrupt())
