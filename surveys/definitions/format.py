"""Survey definition files: parse, validate against the JSON Schema and the rules it can't say.

Every error names the offending field path (e.g. ``questions[2].choices``) so that whoever wrote
the file can find it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

QUESTION_TYPES = ("nps", "likert5", "single", "multi", "text", "number")
CHOICE_TYPES = ("single", "multi")
DEFAULT_MIN_GROUP_SIZE = 5
# A staff survey's breakdown question: every set of its values in every unit is audited as a
# group of its own (surveys.report.units.UnitTable.unions), 2^(choices + 1) sets at most.
MAX_BREAKDOWN_CHOICES = 8
# A staff survey's breakdown questions: a unit cut reads each with every other, the groups in a
# value of two, three, … all of them at once (surveys.report.units_across), and each one more
# about doubles a cut's CPU (docs/performance.md, "Groups in a value of every number of
# breakdowns"): four stays within the release job's timeout for an organisation of hundreds.
MAX_BREAKDOWNS = 4
DEFAULT_RETENTION_MONTHS = 24
PRIVACY_FIELDS = ("controller", "purpose", "contact")
REGION_FIELD = "region"
DATE_FIELDS = ("opens_on", "closes_on")
# An origin allowed to frame the survey: https, a lowercase DNS name with a dot, an optional port,
# nothing else; `*.` in front stands for every subdomain (CSP's own wildcard form).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TOP = r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMBED_ORIGIN = re.compile(rf"https://(?:\*\.)?(?:{_LABEL}\.)+{_TOP}(?::(?P<port>[0-9]{{1,5}}))?")
EMBED_ORIGIN_HELP = ("must be an https origin such as https://www.example.fi (no path, no "
                     "trailing slash, lowercase), or https://*.example.fi for every subdomain")


# A question's later versions are stored under "<id>__v<version>": answers, aggregates and
# results key on that, so each version's answers stay apart without a column of their own.
QUESTION_KEY_MAX = 64  # the aggregates' question_id column
VERSIONED_ID = re.compile(r"(?P<base>[a-z][a-z0-9_]*?)__v(?P<version>[0-9]+)")


def question_key(base: str, version: int) -> str:
    """The id a version of question `base` is stored, answered and counted under."""
    return base if version == 1 else f"{base}__v{version}"


def base_id(question: dict[str, Any]) -> str:
    """The question's id as its author wrote it, without the version suffix."""
    match = VERSIONED_ID.fullmatch(question["id"])
    return match["base"] if match else question["id"]


def version_of(question: dict[str, Any]) -> int:
    return int(question.get("version", 1))


def reported_questions(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The questions results report: each current question followed by its earlier versions
    (newest first), which keep their own figures (a response counts under the version it
    answered)."""
    earlier: dict[str, list[dict[str, Any]]] = {}
    for q in definition.get("retired_questions") or ():
        earlier.setdefault(base_id(q), []).append(q)
    out: list[dict[str, Any]] = []
    for q in definition["questions"]:
        out.append(q)
        out += sorted(earlier.pop(base_id(q), ()), key=version_of, reverse=True)
    for rest in earlier.values():  # not expected: a retired question outlives its successor
        out += rest
    return out


def is_earlier_version(definition: dict[str, Any], question: dict[str, Any]) -> bool:
    return any(q["id"] == question["id"] for q in definition.get("retired_questions") or ())


def shown_version(definition: dict[str, Any], question: dict[str, Any]) -> int | None:
    """The version results and exports name beside the question's text: None for a question
    that never changed (it has one version)."""
    base = base_id(question)
    several = version_of(question) > 1 or any(
        base_id(q) == base for q in definition.get("retired_questions") or ())
    return version_of(question) if several else None


class DefinitionError(ValueError):
    """A survey definition is invalid; `errors` lists (path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in errors))


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    path = resources.files("surveys.definitions").joinpath("schema/survey.schema.json")
    text = path.read_text("utf-8")
    return json.loads(text)


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_yaml(text: str) -> dict[str, Any]:
    # YAML and JSON Schema are imported where used (importing a survey: CLI, tests), not by
    # every web process, which only reads stored definitions (docs/performance.md, memory).
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 (a SafeLoader, see _loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise DefinitionError([(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    if not isinstance(data, dict):
        raise DefinitionError([("(top level)", "a survey definition must be a mapping")])
    return data


@lru_cache(maxsize=1)
def _loader():
    """YAML's safe loader, refusing an impossible date (2027-02-30, which YAML reads as a
    date) as a YAML error at its line, not a crash."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_yaml_timestamp(self, node):
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as exc:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{node.value!r} is not a date", node.start_mark) from exc

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    return Loader


# The schema's limits a jsonschema message leaves out ("... is too long"), said after it.
_LIMITS = {"minItems": "at least {} items", "maxItems": "at most {} items",
           "maxLength": "at most {} characters"}


def _message(err) -> str:
    if err.validator == "pattern" and list(err.absolute_path)[:1] == ["embed_origins"]:
        return f"{err.instance!r} {EMBED_ORIGIN_HELP}"
    if err.validator in _LIMITS and err.message.endswith(("is too short", "is too long")):
        return f"{err.message} ({_LIMITS[err.validator].format(err.validator_value)})"
    return err.message


def validate(data: dict[str, Any], region_codes: set[str] | None = None) -> dict[str, Any]:
    """Return the normalised definition, or raise DefinitionError naming every problem.

    Every problem at once: the schema's and the rules' (a file with three faults is fixed in one
    round). The rules look only at parts whose shape is right, so a part the schema already
    refused is named once."""
    # YAML reads an unquoted 2027-01-31 as a date: the definition stores ISO strings.
    data = {k: v.isoformat() if k in DATE_FIELDS and isinstance(v, date) else v
            for k, v in data.items()}
    if data.get("description") == {}:
        # What validate() itself stores for "no description": a stored definition validates
        # again as it is (export → import, the builder).
        data = {k: v for k, v in data.items() if k != "description"}
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    errors = [
        (_path(err.absolute_path), _message(err))
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    errors += [e for e in _rule_errors(data, region_codes) if e not in errors]
    if errors:
        raise DefinitionError(errors)


    normalised = dict(data)
    normalised.setdefault("min_group_size", DEFAULT_MIN_GROUP_SIZE)
    normalised.setdefault("description", {})
    normalised.setdefault("retention_months", DEFAULT_RETENTION_MONTHS)
    normalised.setdefault("privacy", {})
    normalised.setdefault("open_data", False)
    normalised["questions"] = [_versioned({"required": False, **q}) for q in data["questions"]]
    if not normalised.get("retired_questions"):
        normalised.pop("retired_questions", None)
    for q in normalised["questions"]:
        if q["type"] == "text":
            q.setdefault("max_length", 2000)
    return normalised


def _versioned(question: dict[str, Any]) -> dict[str, Any]:
    """The question under the id its version is stored under (see VERSIONED_ID); the same
    question again if it already is (a stored definition validates again as it is)."""
    version = version_of(question)
    if version == 1:
        question.pop("version", None)
        return question
    match = VERSIONED_ID.fullmatch(question["id"])
    base = match["base"] if match else question["id"]
    return {**question, "id": question_key(base, version), "version": version}


def _version_errors(qp: str, q: dict[str, Any]) -> list[tuple[str, str]]:
    qid, version = q.get("id"), q.get("version", 1)
    match = VERSIONED_ID.fullmatch(qid) if isinstance(qid, str) else None
    if isinstance(qid, str) and isinstance(version, int) and version > 1 and not match \
            and len(question_key(qid, version)) > QUESTION_KEY_MAX:
        return [(f"{qp}.id", f"the id {qid!r} is too long for a version: at most "
                             f"{QUESTION_KEY_MAX - len(f'__v{version}')} characters")]
    if match and (int(match["version"]) != version or version == 1):
        return [(f"{qp}.id", f"ids ending in __v<number> name a question's version: {qid!r} "
                             f"needs version: {int(match['version'])} (or write the id "
                             f"{match['base']!r} with its version)")]
    return []


def _rule_errors(data: dict[str, Any],
                 region_codes: set[str] | None) -> list[tuple[str, str]]:
    """The rules the schema can't say, on whatever parts of `data` have the right shape."""
    errors: list[tuple[str, str]] = []
    raw_languages = data.get("languages")
    languages: list[str] = [lang for lang in raw_languages if isinstance(lang, str)] \
        if isinstance(raw_languages, list) else []
    scope = data.get("scope")
    if isinstance(scope, str) and scope != "national" and region_codes is not None \
            and scope not in region_codes:
        errors.append(("scope", f"unknown county code {scope!r}"))

    def check_text(path: str, text: Any) -> None:
        if not isinstance(text, dict) or not languages:
            return
        extra = sorted(set(text) - set(languages))
        if extra:
            errors.append((path, f"language(s) {', '.join(extra)} not in the survey's languages"))
        if languages[0] not in text:
            errors.append((path, f"missing text in the default language {languages[0]!r}"))

    errors += _staff_rule_errors(data)
    check_text("title", data.get("title"))
    if "description" in data:
        check_text("description", data["description"])
    privacy = data.get("privacy")
    for name, text in (privacy.items() if isinstance(privacy, dict) else ()):
        check_text(f"privacy.{name}", text)
    days: dict[str, date] = {}
    for name in DATE_FIELDS:
        raw = data.get(name)
        if isinstance(raw, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            try:
                days[name] = date.fromisoformat(raw)
            except ValueError:
                errors.append((name, f"{raw!r} is not a date"))
    if len(days) == 2 and days["closes_on"] <= days["opens_on"]:
        errors.append(("closes_on", "the close date must be after the open date"))
    origins = data.get("embed_origins")
    for i, origin in enumerate(origins if isinstance(origins, list) else []):
        if not isinstance(origin, str):
            continue
        match = EMBED_ORIGIN.fullmatch(origin)
        if match is None or not 0 < int(match["port"] or 443) < 65536:
            errors.append((f"embed_origins[{i}]", f"{origin!r} {EMBED_ORIGIN_HELP}"))
    description = data.get("description")
    if data.get("open_data") is True and languages and (
            not isinstance(description, dict) or languages[0] not in description):
        # The catalogue (/api/v1/open-data) describes each open dataset in its languages.
        errors.append(("open_data", "open data needs a description in the default language "
                                    f"{languages[0]!r} (the catalogue describes the data set)"))
    raw_goals = data.get("goals")
    survey_goals = {g for g in raw_goals if isinstance(g, int)} \
        if isinstance(raw_goals, list) else set()
    seen: set[str] = set()
    questions = data.get("questions")
    for i, q in enumerate(questions if isinstance(questions, list) else []):
        if not isinstance(q, dict):
            continue
        qp = f"questions[{i}]"
        qid = q.get("id")
        errors += _version_errors(qp, q)
        if isinstance(qid, str):
            match = VERSIONED_ID.fullmatch(qid)
            qid = match["base"] if match else qid
            if qid in seen:
                errors.append((f"{qp}.id", f"duplicate question id {qid!r} (a question has "
                                           "one current version)"))
            if qid in (REGION_FIELD, "csrf_token", "submission_token"):
                errors.append((f"{qp}.id", f"{qid!r} is reserved"))
            seen.add(qid)
        check_text(f"{qp}.text", q.get("text"))
        if "help" in q:
            check_text(f"{qp}.help", q["help"])
        qtype = q.get("type")
        if qtype in CHOICE_TYPES:
            choices = q.get("choices")
            if choices is None:
                errors.append((f"{qp}.choices", f"a {qtype} question needs choices"))
            elif isinstance(choices, list):
                ids = [c.get("id") for c in choices if isinstance(c, dict)]
                for j, c in enumerate(choices):
                    if not isinstance(c, dict):
                        continue
                    if c.get("id") is not None and ids.count(c.get("id")) > 1:
                        errors.append((f"{qp}.choices[{j}].id",
                                       f"duplicate choice {c.get('id')!r}"))
                    check_text(f"{qp}.choices[{j}].label", c.get("label"))
        elif "choices" in q:
            errors.append((f"{qp}.choices", f"a {qtype} question takes no choices"))
        if qtype == "number":
            lo, hi = q.get("min"), q.get("max")
            if lo is None or hi is None:
                errors.append((f"{qp}.min", "a number question needs min and max"))
            elif not isinstance(lo, int) or not isinstance(hi, int):
                pass  # the schema has said so
            elif lo > hi:
                errors.append((f"{qp}.min", "min is greater than max"))
            elif hi - lo > 1000:
                errors.append((f"{qp}.max", "a number range may span at most 1000 values"))
            elif isinstance(q.get("bands"), list):
                # Results publish number answers in these bands, never exact values.
                edges = [lo]
                for band in q["bands"]:
                    if not (isinstance(band, list) and len(band) == 2) \
                            or band[0] != edges[-1] or band[1] < band[0]:
                        break
                    edges.append(band[1] + 1)
                if len(edges) != len(q["bands"]) + 1 or edges[-1] != hi + 1:
                    errors.append((f"{qp}.bands",
                                   "bands must follow each other from min to max, e.g. "
                                   "[[15, 29], [30, 64], [65, 110]]"))
        elif "min" in q or "max" in q or "bands" in q:
            errors.append((f"{qp}.min", f"a {qtype} question takes no min/max/bands"))
        q_goals = q.get("goals")
        extra_goals = sorted(g for g in (q_goals if isinstance(q_goals, list) else [])
                             if isinstance(g, int) and g not in survey_goals)
        if extra_goals:
            errors.append((f"{qp}.goals", f"goal(s) {', '.join(map(str, extra_goals))} are not "
                                          "among the survey's goals"))
        if "max_length" in q and qtype != "text":
            errors.append((f"{qp}.max_length", "only text questions take max_length"))
        harmless = q.get("harmless_answers")
        if isinstance(harmless, list):
            answers = answer_values(q)
            if answers is None:
                errors.append((f"{qp}.harmless_answers",
                               f"a {qtype} question takes no harmless_answers"))
            else:
                unknown = [a for a in harmless if isinstance(a, str) and a not in answers]
                if unknown:
                    errors.append((f"{qp}.harmless_answers",
                                   f"harmless answer(s) {', '.join(unknown)} are not among "
                                   f"the question's answers ({', '.join(answers)})"))
    return errors


def answer_values(question: dict[str, Any]) -> list[str] | None:
    """The answers a question's results count one by one (choice ids, or the scale's values as
    text), which `harmless_answers` may name; None for a question without such answers (text,
    number: its bands are ranges, not answers)."""
    qtype = question.get("type")
    if qtype in CHOICE_TYPES:
        return [c.get("id") for c in question.get("choices") or () if isinstance(c, dict)]
    if qtype == "likert5":
        return [str(v) for v in range(1, 6)]
    if qtype == "nps":
        return [str(v) for v in range(0, 11)]
    return None


def _staff_rule_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Staff surveys (issue 12): the organisation, and breakdown dimensions. That the
    organisation exists is checked at import against the units table
    (surveys.definitions.lifecycle.import_survey)."""
    errors: list[tuple[str, str]] = []
    audience, scope = data.get("audience"), data.get("scope")
    if audience == "staff":
        if "organisation" not in data:
            errors.append(("organisation", "a staff survey needs organisation: <unit code> "
                                           "(its organisation's root unit)"))
        if scope == "national":
            errors.append(("scope", "a staff survey's scope is its organisation's county code"))
    elif "organisation" in data:
        errors.append(("organisation", "only staff surveys name an organisation"))
    questions = data.get("questions")
    counted = 0
    for i, q in enumerate(questions if isinstance(questions, list) else []):
        if isinstance(q, dict) and q.get("breakdown") is True:
            counted += 1
            if audience == "staff" and counted > MAX_BREAKDOWNS:
                errors.append((f"questions[{i}].breakdown",
                               f"a staff survey has at most {MAX_BREAKDOWNS} breakdown "
                               "questions (each is read with the others in every unit)"))
            elif audience != "staff":
                errors.append((f"questions[{i}].breakdown",
                               "only staff surveys have breakdown questions"))
            elif q.get("type") != "single":
                errors.append((f"questions[{i}].breakdown",
                               "only single-choice questions can be breakdowns"))
            elif len(q.get("choices") or ()) > MAX_BREAKDOWN_CHOICES:
                errors.append((f"questions[{i}].breakdown",
                               f"a breakdown question has at most {MAX_BREAKDOWN_CHOICES} "
                               "choices (every set of its values is audited in every unit)"))
    return errors


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
        return [Option(c["id"], localized_text(c["label"], lang)) for c in question["choices"]]
    if qtype == "number":
        return [Option(str(n), str(n)) for n in range(question["min"], question["max"] + 1)]
    return []


def localized(text: dict[str, str], lang: str) -> str:
    """Text in `lang`; a survey published in `lang` has every text in it (checked at publish)."""
    if lang in text:
        return text[lang]
    return next(iter(text.values()))


class LocalizedText(str):
    """A survey text that knows its language: `lang` is the language it is written in, which
    differs from the one asked for when the survey lacks a text in it (the pages then mark it
    with `lang`, WCAG 3.1.2). Otherwise an ordinary string."""

    lang: str

    def __new__(cls, value: str, lang: str) -> LocalizedText:
        obj = super().__new__(cls, value)
        obj.lang = lang
        return obj

    def __reduce__(self):
        return (LocalizedText, (str(self), self.lang))


def localized_text(text: dict[str, str], lang: str) -> LocalizedText:
    """As `localized`, with the language the text is in."""
    if lang in text:
        return LocalizedText(text[lang], lang)
    first = next(iter(text))
    return LocalizedText(text[first], first)


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
