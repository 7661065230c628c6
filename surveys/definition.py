"""Survey definition files: parse, validate against the JSON Schema and the rules it can't say.

Every error names the offending field path (e.g. ``questions[2].choices``) so that whoever wrote
the file can find it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator

QUESTION_TYPES = ("nps", "likert5", "single", "multi", "text", "number")
CHOICE_TYPES = ("single", "multi")
DEFAULT_MIN_GROUP_SIZE = 5
DEFAULT_RETENTION_MONTHS = 24
PRIVACY_FIELDS = ("controller", "purpose", "contact")
REGION_FIELD = "region"


class DefinitionError(ValueError):
    """A survey definition is invalid; `errors` lists (path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in errors))


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("surveys").joinpath("schema/survey.schema.json").read_text("utf-8")
    return json.loads(text)


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_yaml(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise DefinitionError([(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    if not isinstance(data, dict):
        raise DefinitionError([("(top level)", "a survey definition must be a mapping")])
    return data


def validate(data: dict[str, Any], region_codes: set[str] | None = None) -> dict[str, Any]:
    """Return the normalised definition, or raise DefinitionError naming every problem."""
    validator = Draft202012Validator(schema())
    errors = [
        (_path(err.absolute_path), err.message)
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    if errors:
        raise DefinitionError(errors)

    languages: list[str] = data["languages"]
    if data["scope"] != "national" and region_codes is not None and (
        data["scope"] not in region_codes
    ):
        errors.append(("scope", f"unknown county code {data['scope']!r}"))

    def check_text(path: str, text: dict[str, str]) -> None:
        extra = sorted(set(text) - set(languages))
        if extra:
            errors.append((path, f"language(s) {', '.join(extra)} not in the survey's languages"))
        if languages[0] not in text:
            errors.append((path, f"missing text in the default language {languages[0]!r}"))

    check_text("title", data["title"])
    if "description" in data:
        check_text("description", data["description"])
    for name, text in data.get("privacy", {}).items():
        check_text(f"privacy.{name}", text)
    seen: set[str] = set()
    for i, q in enumerate(data["questions"]):
        qp = f"questions[{i}]"
        if q["id"] in seen:
            errors.append((f"{qp}.id", f"duplicate question id {q['id']!r}"))
        if q["id"] in (REGION_FIELD, "csrf_token", "submission_token"):
            errors.append((f"{qp}.id", f"{q['id']!r} is reserved"))
        seen.add(q["id"])
        check_text(f"{qp}.text", q["text"])
        if "help" in q:
            check_text(f"{qp}.help", q["help"])
        qtype = q["type"]
        if qtype in CHOICE_TYPES:
            if "choices" not in q:
                errors.append((f"{qp}.choices", f"a {qtype} question needs choices"))
            else:
                ids = [c["id"] for c in q["choices"]]
                for j, c in enumerate(q["choices"]):
                    if ids.count(c["id"]) > 1:
                        errors.append((f"{qp}.choices[{j}].id", f"duplicate choice {c['id']!r}"))
                    check_text(f"{qp}.choices[{j}].label", c["label"])
        elif "choices" in q:
            errors.append((f"{qp}.choices", f"a {qtype} question takes no choices"))
        if qtype == "number":
            lo, hi = q.get("min"), q.get("max")
            if lo is None or hi is None:
                errors.append((f"{qp}.min", "a number question needs min and max"))
            elif lo > hi:
                errors.append((f"{qp}.min", "min is greater than max"))
            elif hi - lo > 1000:
                errors.append((f"{qp}.max", "a number range may span at most 1000 values"))
        elif "min" in q or "max" in q:
            errors.append((f"{qp}.min", f"a {qtype} question takes no min/max"))
        if "max_length" in q and qtype != "text":
            errors.append((f"{qp}.max_length", "only text questions take max_length"))
    if errors:
        raise DefinitionError(errors)

    normalised = dict(data)
    normalised.setdefault("min_group_size", DEFAULT_MIN_GROUP_SIZE)
    normalised.setdefault("description", {})
    normalised.setdefault("retention_months", DEFAULT_RETENTION_MONTHS)
    normalised.setdefault("privacy", {})
    normalised["questions"] = [{"required": False, **q} for q in data["questions"]]
    for q in normalised["questions"]:
        if q["type"] == "text":
            q.setdefault("max_length", 2000)
    return normalised


def load(text: str, region_codes: set[str] | None = None) -> dict[str, Any]:
    return validate(parse_yaml(text), region_codes)


@dataclass(frozen=True)
class Option:
    value: str
    label: str


def options_for(question: dict[str, Any], lang: str) -> list[Option]:
    """The answer options of a closed question, labelled in `lang` (default language fallback)."""
    qtype = question["type"]
    if qtype == "nps":
        return [Option(str(n), str(n)) for n in range(11)]
    if qtype == "likert5":
        return [Option(str(n), str(n)) for n in range(1, 6)]
    if qtype in CHOICE_TYPES:
        return [Option(c["id"], localized(c["label"], lang)) for c in question["choices"]]
    if qtype == "number":
        return [Option(str(n), str(n)) for n in range(question["min"], question["max"] + 1)]
    return []


def localized(text: dict[str, str], lang: str) -> str:
    """Text in `lang`; a survey published in `lang` has every text in it (checked at publish)."""
    if lang in text:
        return text[lang]
    return next(iter(text.values()))


def missing_texts(definition: dict[str, Any], lang: str) -> list[str]:
    """Field paths that have no text in `lang`: a survey can't be published in it while any do."""
    missing: list[str] = []
    if lang not in definition["title"]:
        missing.append("title")
    if definition.get("description") and lang not in definition["description"]:
        missing.append("description")
    for name, text in definition.get("privacy", {}).items():
        if lang not in text:
            missing.append(f"privacy.{name}")
    for i, q in enumerate(definition["questions"]):
        if lang not in q["text"]:
            missing.append(f"questions[{i}].text")
        if q.get("help") and lang not in q["help"]:
            missing.append(f"questions[{i}].help")
        for j, c in enumerate(q.get("choices", [])):
            if lang not in c["label"]:
                missing.append(f"questions[{i}].choices[{j}].label")
    return missing
