"""The survey builder's plain form: a whole survey definition as flat form fields and back, and
the buttons that change its shape (add, remove and reorder questions and choices) without
JavaScript. Each button is a submit named `op` whose value the server acts on; the whole
definition round-trips in the form, so nothing is kept on the server between two clicks.

Field names (L is a language code, i a question's index, j a choice's index):
`slug`, `audience`, `scope`, `organisation` (a staff survey's), `source_language`,
`languages` (checkboxes), `goals` (checkboxes),
`min_group_size`, `retention_months`, `opens_on`, `closes_on`,
`title.L`, `description.L`, `privacy.<name>.L`,
`questions` (the count), `q<i>.id`, `q<i>.type`, `q<i>.required`, `q<i>.text.L`, `q<i>.help.L`,
`q<i>.min`, `q<i>.max`, `q<i>.max_length`, `q<i>.choices` (the count), `q<i>.c<j>.id`,
`q<i>.c<j>.label.L`, `q<i>.version` (hidden: a question's version after the first; the id
field shows the id without the version suffix), `q<i>.goals` (checkboxes: the survey's goals
the question serves; none ticked, all of them), `q<i>.breakdown` (a staff survey's single-choice
question results may be broken down by), `q<i>.bands` (a number question's result bands as text,
"0–17, 18–64, 65–110"; empty: the default ten-year bands), `q<i>.harmless` (checkboxes: the
answers everyone may be shown giving, `harmless_answers`: a choice as `c<j>`, a scale's value),
`q<i>.harmless_type` (hidden: the type they were ticked under), `q<i>.kept` (hidden: the question's
other fields as JSON, whatever the YAML may hold that the form does not edit but must not
drop), `kept` (hidden: a new survey's fields the form does not show, from its template or
copy).

Numbers that are not whole numbers are reported as (field path, message) like the validator's
own errors, so the page shows them in the same places.
"""

from __future__ import annotations

import json
import re
from typing import Any

from surveys.definitions.format import (
    CHOICE_TYPES,
    PRIVACY_FIELDS,
    QUESTION_TYPES,
    answer_values,
    base_id,
    version_of,
)
from surveys.languages import LANGUAGES

MAX_QUESTIONS = 200
MAX_CHOICES = 50
NOT_A_NUMBER = "not a whole number"
NOT_KEPT = "the form's kept fields are not readable"
NOT_BANDS = "bands are written as ranges, e.g. 0–17, 18–64, 65–110"
# A question's fields the form edits; every other one (whatever the YAML may hold) round-trips
# in `q<i>.kept`, so that a save in the builder never drops it.
QUESTION_FIELDS = ("id", "type", "required", "text", "help", "choices", "min", "max",
                   "max_length", "version", "goals", "breakdown", "bands", "harmless_answers",
                   "_typed")
# Every dash a keyboard or a word processor may give between a band's ends.
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_BAND = re.compile(r"(-?[0-9]{1,9})(?:\s*-\s*(-?[0-9]{1,9}))?")
# A new survey's fields the form does not show that a template or a copy brings along
# (starting_points.as_new); an existing survey keeps its own from the database instead
# (webapp.admin.builder._save), so nothing here can overwrite a stored field.
NEW_SURVEY_KEPT = ("open_data", "free_text_min_group_size", "embed_origins")


def _text(form, prefix: str, languages: list[str]) -> dict[str, str]:
    out = {}
    for lang in languages:
        value = (form.get(f"{prefix}.{lang}") or "").strip()
        if value:
            out[lang] = value
    return out


def _count(form, name: str, limit: int) -> int:
    raw = form.get(name, "")
    return min(int(raw), limit) if raw.isdigit() else 0


def _int(form, name: str, path: str, errors: list[tuple[str, str]],
         typed: dict[str, str]) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if re.fullmatch(r"-?[0-9]{1,9}", raw):
        return int(raw)
    errors.append((path, NOT_A_NUMBER))
    typed[name.rpartition(".")[2]] = raw
    return None


# What was typed into a field that could not be read (a number, bands) travels beside the
# definition under this key, so that the page shows it again to be corrected instead of an
# empty field; `definition` leaves it out of what is validated and stored.
TYPED = "_typed"


def definition(d: dict[str, Any]) -> dict[str, Any]:
    """`d` without what the form carries for the page only (TYPED)."""
    return {**{k: v for k, v in d.items() if k != TYPED},
            "questions": [{k: v for k, v in q.items() if k != TYPED}
                          for q in d.get("questions", [])]}


def _kept(form, name: str, path: str, errors: list[tuple[str, str]]) -> dict[str, Any]:
    raw = form.get(name) or ""
    if not raw:
        return {}
    try:
        kept = json.loads(raw)
    except ValueError:
        kept = None
    if not isinstance(kept, dict):
        errors.append((path, NOT_KEPT))
        return {}
    return kept


def kept_json(fields: dict[str, Any], shown: tuple[str, ...] | None = None,
              only: tuple[str, ...] | None = None) -> str:
    """`fields` the form does not show, as the hidden `kept` field's JSON ("" for none)."""
    kept = {k: v for k, v in fields.items()
            if (shown is None or k not in shown) and (only is None or k in only)}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else ""


def bands_text(bands: list | None) -> str:
    """A number question's bands as the form shows them: "0–17, 18–64, 65–110"."""
    out = []
    for band in bands or ():
        if isinstance(band, list) and len(band) == 2:
            out.append(str(band[0]) if band[0] == band[1] else f"{band[0]}–{band[1]}")
    return ", ".join(out)


def parse_bands(raw: str) -> list[list[int]] | None:
    """Bands written as text ("0-17, 18-64; 65–110", a single value for a band of one), as
    [[lo, hi], …]; None where a part is not a range. That they follow each other from min to
    max is the validator's to say (surveys.definitions.format)."""
    bands = []
    for part in re.split(r"[,;\n]", _DASHES.sub("-", raw)):
        part = part.strip()
        if not part:
            continue
        m = _BAND.fullmatch(part)
        if not m:
            return None
        lo = int(m.group(1))
        bands.append([lo, int(m.group(2)) if m.group(2) is not None else lo])
    return bands


def languages_of(form) -> list[str]:
    """The survey's languages: the source language first, then the others ticked, in the
    order of the platform's languages."""
    known = list(LANGUAGES)
    source = form.get("source_language") or "fi"
    if source not in known:
        source = "fi"
    ticked = set(form.getlist("languages"))
    return [source] + [lang for lang in known if lang in ticked and lang != source]


def parse(form) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The definition the form holds, and the errors of fields that are not numbers."""
    errors: list[tuple[str, str]] = []
    languages = languages_of(form)
    d: dict[str, Any] = {
        "slug": (form.get("slug") or "").strip(),
        "audience": form.get("audience") or "citizen",
        "scope": form.get("scope") or "national",
        "languages": languages,
        "goals": sorted({int(g) for g in form.getlist("goals") if g.isdigit()}),
        "title": _text(form, "title", languages),
    }
    organisation = (form.get("organisation") or "").strip()
    if organisation and d["audience"] == "staff":
        d["organisation"] = organisation
    description = _text(form, "description", languages)
    if description:
        d["description"] = description
    typed: dict[str, str] = {}
    for name, path in (("min_group_size", "min_group_size"),
                       ("retention_months", "retention_months")):
        value = _int(form, name, path, errors, typed)
        if value is not None:
            d[name] = value
    if typed:
        d[TYPED] = typed
    for name in ("opens_on", "closes_on"):
        value = (form.get(name) or "").strip()
        if value:
            d[name] = value
    privacy = {name: text for name in PRIVACY_FIELDS
               if (text := _text(form, f"privacy.{name}", languages))}
    if privacy:
        d["privacy"] = privacy
    kept = _kept(form, "kept", "(top level)", errors)
    d.update({k: v for k, v in kept.items() if k in NEW_SURVEY_KEPT})
    questions = []
    for i in range(_count(form, "questions", MAX_QUESTIONS)):
        p = f"q{i}"
        qtype = form.get(f"{p}.type") or "likert5"
        q: dict[str, Any] = {
            "id": (form.get(f"{p}.id") or "").strip(),
            "type": qtype,
            "required": form.get(f"{p}.required") == "on",
            "text": _text(form, f"{p}.text", languages),
        }
        typed = {}
        version = form.get(f"{p}.version") or ""
        if version.isdigit() and int(version) > 1:
            q["version"] = int(version)
        help_text = _text(form, f"{p}.help", languages)
        if help_text:
            q["help"] = help_text
        if qtype in CHOICE_TYPES:
            q["choices"] = [
                {"id": (form.get(f"{p}.c{j}.id") or "").strip(),
                 "label": _text(form, f"{p}.c{j}.label", languages)}
                for j in range(_count(form, f"{p}.choices", MAX_CHOICES))
            ]
        if qtype == "number":
            for bound in ("min", "max"):
                value = _int(form, f"{p}.{bound}", f"questions[{i}].{bound}", errors, typed)
                if value is not None:
                    q[bound] = value
            bands = parse_bands(form.get(f"{p}.bands") or "")
            if bands is None:
                errors.append((f"questions[{i}].bands", NOT_BANDS))
                typed["bands"] = form.get(f"{p}.bands")
            elif bands:
                q["bands"] = bands
        if qtype == "text":
            value = _int(form, f"{p}.max_length", f"questions[{i}].max_length", errors,
                         typed)
            if value is not None:
                q["max_length"] = value
        goals = sorted({int(g) for g in form.getlist(f"{p}.goals") if g.isdigit()})
        if goals:
            q["goals"] = goals
        if form.get(f"{p}.breakdown") == "on" and qtype == "single":
            q["breakdown"] = True
        harmless = _harmless_ticked(form, p, q)
        if harmless:
            q["harmless_answers"] = harmless
        for name, value in _kept(form, f"{p}.kept", f"questions[{i}]", errors).items():
            if name not in QUESTION_FIELDS:
                q[name] = value
        keep_harmless_of_its_answers(q)
        if typed:
            q[TYPED] = typed
        questions.append(q)
    d["questions"] = questions
    return d, errors


def _harmless_ticked(form, p: str, q: dict[str, Any]) -> list[str]:
    """The answers ticked harmless: a choice by its place (`c<j>`, so that a choice renamed in
    the same post keeps its mark), a scale's value as it is. Ticked under another type (the
    type changed in this post), nothing: a scale's "5" is not an NPS "5", and a mark nobody
    saw under the new type is no one's judgement."""
    ticked = form.getlist(f"{p}.harmless")
    was = form.get(f"{p}.harmless_type") or q["type"]
    if not ticked or (was != q["type"] and not {was, q["type"]} <= set(CHOICE_TYPES)):
        return []
    if q["type"] in CHOICE_TYPES:
        ids = {f"c{j}": c["id"] for j, c in enumerate(q.get("choices") or ())}
        return [ids[t] for t in ticked if t in ids]
    return ticked


def keep_harmless_of_its_answers(q: dict[str, Any]) -> None:
    """A removed choice (or a new type's other answers) takes its harmless mark along, in the
    question's order of answers."""
    if "harmless_answers" not in q:
        return
    marked = q["harmless_answers"] if isinstance(q["harmless_answers"], list) else []
    kept = [a for a in answer_values(q) or [] if a in marked]
    if kept:
        q["harmless_answers"] = kept
    else:
        del q["harmless_answers"]


def _new_question(d: dict[str, Any]) -> dict[str, Any]:
    taken = {q.get("id") for q in d["questions"]}
    n = len(d["questions"]) + 1
    while f"q{n}" in taken:
        n += 1
    return {"id": f"q{n}", "type": "likert5", "required": False, "text": {}}


def _new_choice(q: dict[str, Any]) -> dict[str, Any]:
    taken = {c.get("id") for c in q.get("choices", [])}
    n = len(q.get("choices", [])) + 1
    while f"c{n}" in taken:
        n += 1
    return {"id": f"c{n}", "label": {}}


def _swap(items: list, i: int, j: int) -> None:
    if 0 <= i < len(items) and 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]


SHAPE_OPS = ("add_question", "remove_question", "question_up", "question_down",
             "move_question", "add_choice", "remove_choice", "choice_up", "choice_down",
             "new_version")


CHOICE_OPS = ("add_choice", "remove_choice", "choice_up", "choice_down")


def new_versions(d: dict[str, Any], published: dict[str, Any] | None) -> set[int]:
    """Indexes of the questions of `d` that are new versions of a published survey's questions
    (their type, choices and range may change: answers so far stay with the earlier one)."""
    if published is None:
        return set()
    stored = {base_id(q): version_of(q) for q in published["questions"]}
    return {i for i, q in enumerate(d["questions"])
            if version_of(q) > stored.get(base_id(q), version_of(q))}


def allowed_on_published(d: dict[str, Any], op: str, published: dict[str, Any]) -> bool:
    """The shape buttons a published survey takes: start a new version of a question, and
    change the choices of a question that is one."""
    name, _, rest = op.partition(":")
    index = rest.split(":")[0]
    if not index.isdigit() or int(index) >= len(d["questions"]):
        return False
    fresh = int(index) in new_versions(d, published)
    return (name == "new_version" and not fresh) or (name in CHOICE_OPS and fresh)


def apply_op(d: dict[str, Any], op: str) -> bool:
    """Apply a shape button (`add_question`, `remove_question:2`, `choice_up:2:1`, …) to `d`.
    Returns False for anything else (an unknown or out-of-range button changes nothing)."""
    name, _, rest = op.partition(":")
    if name not in SHAPE_OPS:
        return False
    qs = d["questions"]
    if name == "add_question":
        if len(qs) < MAX_QUESTIONS:
            qs.append(_new_question(d))
        return True
    parts = rest.split(":")
    if not all(part.isdigit() for part in parts) or not parts[0]:
        return False
    i = int(parts[0])
    if i >= len(qs):
        return False
    if name == "move_question":
        # move_question:i:j, sent by the drag-to-reorder script (webapp/static/builder.js):
        # question i to position j, the others keeping their order.
        if len(parts) != 2 or int(parts[1]) >= len(qs):
            return False
        qs.insert(int(parts[1]), qs.pop(i))
    elif name == "new_version":
        # Ids stay: the stored id gains the version suffix when validated.
        qs[i] = {**qs[i], "id": base_id(qs[i]), "version": version_of(qs[i]) + 1}
    elif name == "remove_question":
        del qs[i]
    elif name == "question_up":
        _swap(qs, i, i - 1)
    elif name == "question_down":
        _swap(qs, i, i + 1)
    else:
        choices = qs[i].setdefault("choices", [])
        if name == "add_choice":
            if len(choices) < MAX_CHOICES:
                choices.append(_new_choice(qs[i]))
            return True
        if len(parts) != 2:
            return False
        j = int(parts[1])
        if j >= len(choices):
            return False
        if name == "remove_choice":
            del choices[j]
        elif name == "choice_up":
            _swap(choices, j, j - 1)
        else:
            _swap(choices, j, j + 1)
    return True


def ensure_choices(d: dict[str, Any]) -> None:
    """A question just turned into a choice question gets two empty choices to fill in; a
    choice just removed takes its harmless mark along."""
    for q in d["questions"]:
        if q["type"] in CHOICE_TYPES and not q.get("choices"):
            q["choices"] = [{"id": "c1", "label": {}}, {"id": "c2", "label": {}}]
        keep_harmless_of_its_answers(q)


def blank(source_language: str = "fi") -> dict[str, Any]:
    return {"slug": "", "audience": "citizen", "scope": "national",
            "languages": [source_language], "goals": [], "title": {},
            "min_group_size": 5, "retention_months": 24,
            "questions": [{"id": "q1", "type": "likert5", "required": False, "text": {}}]}


def anchor(path: str) -> str:
    """The HTML id of the place a validator path (`questions[2].choices[1].label`) is shown."""
    return "f-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def place(path: str) -> str:
    """Where on the page an error at `path` is shown: the field itself where the page has an
    input for it, else the nearest enclosing part (a question, a choice, the whole survey)."""
    m = re.match(r"(questions\[\d+\](?:\.choices(?:\[\d+\])?)?)(?:\.(\w+))?", path)
    if m:
        base, field = m.group(1), m.group(2)
        if field in ("id", "type", "text", "help", "min", "max", "max_length", "label",
                     "required", "goals", "breakdown", "bands", "harmless_answers"):
            return f"{base}.{field}"
        return base
    top = path.split(".")[0].split("[")[0]
    if top == "privacy":
        return ".".join(path.split(".")[:2])
    if top in ("slug", "audience", "scope", "organisation", "languages", "goals", "title",
               "description", "opens_on", "closes_on",
               "min_group_size", "retention_months", "questions"):
        return top
    return "(top level)"


assert set(QUESTION_TYPES) >= set(CHOICE_TYPES)
