"""Check a submitted answer set against a survey definition.

Input is the raw form: field name -> list of submitted strings (a multi question submits its field
once per chosen option). Output is the normalised answers, or errors keyed by field, each a code
and its parameters; the web layer turns codes into sentences in the respondent's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.definitions.format import CHOICE_TYPES, REGION_FIELD, options_for

# Fields the web form adds itself; they are not answers.
FORM_FIELDS = frozenset({"csrf_token", "submission_token"})
MAX_TEXT_DEFAULT = 2000
_INTEGER = re.compile(r"-?[0-9]{1,9}")


@dataclass
class Checked:
    answers: dict[str, Any] = field(default_factory=dict)
    region: str | None = None
    errors: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _single(values: Sequence[str]) -> str | None:
    cleaned = [v.strip() for v in values if v.strip()]
    if not cleaned:
        return None
    return cleaned[0] if len(cleaned) == 1 else "\x00many"


def check_submission(
    definition: Mapping[str, Any],
    form: Mapping[str, Sequence[str]],
    region_codes: set[str],
) -> Checked:
    result = Checked()
    known = {q["id"] for q in definition["questions"]} | FORM_FIELDS
    national = definition["scope"] == "national"
    if national:
        known.add(REGION_FIELD)
    unknown = sorted(set(form) - known)
    if unknown:
        result.errors["_form"] = ("unknown_fields", {"fields": ", ".join(unknown[:5])})

    if national:
        region = _single(form.get(REGION_FIELD, []))
        if region is None:
            result.errors[REGION_FIELD] = ("required", {})
        elif region not in region_codes:
            result.errors[REGION_FIELD] = ("invalid_choice", {})
        else:
            result.region = region
    else:
        result.region = definition["scope"]

    for q in definition["questions"]:
        qid, qtype = q["id"], q["type"]
        raw = list(form.get(qid, []))
        if qtype == "multi":
            chosen = [v for v in (r.strip() for r in raw) if v]
            if not chosen:
                if q.get("required"):
                    result.errors[qid] = ("required", {})
                continue
            allowed = {o.value for o in options_for(q, definition["languages"][0])}
            if any(v not in allowed for v in chosen):
                result.errors[qid] = ("invalid_choice", {})
            elif len(set(chosen)) != len(chosen):
                result.errors[qid] = ("duplicate_choice", {})
            else:
                # Keep the definition's order so stored answers are canonical.
                order = [o.value for o in options_for(q, definition["languages"][0])]
                result.answers[qid] = sorted(chosen, key=order.index)
            continue

        if qtype == "text":
            text = "\n".join(raw).strip() if len(raw) <= 1 else None
            if text is None:
                result.errors[qid] = ("too_many_values", {})
            elif not text:
                if q.get("required"):
                    result.errors[qid] = ("required", {})
            elif len(text) > q.get("max_length", MAX_TEXT_DEFAULT):
                result.errors[qid] = ("too_long", {"max": q.get("max_length", MAX_TEXT_DEFAULT)})
            elif "\x00" in text:
                result.errors[qid] = ("invalid_text", {})
            else:
                result.answers[qid] = text
            continue

        value = _single(raw)
        if value is None:
            if q.get("required"):
                result.errors[qid] = ("required", {})
            continue
        if value == "\x00many":
            result.errors[qid] = ("too_many_values", {})
            continue
        if qtype == "number":
            # ASCII digits only: int() would also take "4_2", "٤٢" and other Unicode digits.
            if not _INTEGER.fullmatch(value):
                result.errors[qid] = ("not_a_number", {})
                continue
            number = int(value)
            if not q["min"] <= number <= q["max"]:
                result.errors[qid] = ("out_of_range", {"min": q["min"], "max": q["max"]})
                continue
            result.answers[qid] = number
            continue
        allowed = {o.value for o in options_for(q, definition["languages"][0])}
        if value not in allowed:
            result.errors[qid] = ("invalid_choice", {})
        elif qtype in CHOICE_TYPES:
            result.answers[qid] = value
        else:  # nps, likert5: store the score as a number
            result.answers[qid] = int(value)
    return result
