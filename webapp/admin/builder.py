"""The survey builder: create and edit a survey definition in the browser, preview it as
respondents see it, and import or export it as YAML. No JavaScript needed (webapp.admin.
builder_form); every check is the YAML import's own (surveys.definitions.lifecycle.
import_survey, which validates with surveys.definitions.format.validate), every page goes
through `access.requires`, and every change is in the audit log.

A draft can be changed freely; a published or closed survey's texts only (the life cycle
refuses shape changes and says which question changed).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import force_locale, lazy_gettext
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from surveys.accounts import policy
from surveys.definitions import content_po, lifecycle, lookup, starting_points
from surveys.definitions import format as defs
from surveys.infra import clock
from surveys.languages import LANGUAGES
from surveys.models import Region
from surveys.reference.regions import name_in
from surveys.report import releases
from surveys.report import units as unit_report
from surveys.staff import units

from ..extensions import get_db, settings, today
from ..respond import form_tokens
from ..respond.views import _view_model
from . import auth, builder_form
from .access import allowed, requires
from .blueprints import bp
from .views import RULE_TEXTS

MAX_UPLOAD_BYTES = 512 * 1024

# The validator's messages (English, for the command line) in the user's language: the
# pattern of each message the builder and the YAML import can meet, and its translation; the
# first pattern that matches wins, so a specific one comes before a general one. A message
# that starts with the offending value (the schema's) is matched at its end, so that text in
# the value can't pass for another message. Every message the validation gives is checked
# in tests/unit/webapp/test_definition_messages.py.


def _unquoted(value: str) -> str:
    """A value as the validator wrote it (Python's repr), without the quotes of a string."""
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" \
        else value


def _names(listed: str) -> str:
    """"'a', 'b'" (the validator's list of names) as "a, b"."""
    return ", ".join(_unquoted(name.strip()) for name in listed.split(","))


def _pattern(schema_pattern: str) -> re.Pattern:
    """The message of a value that does not match `schema_pattern` (the schema's own)."""
    return re.compile(" does not match " + re.escape(repr(schema_pattern)) + "$")


def _type_message(m: re.Match) -> str:
    return {
        "string": lambda: _("Write text here (in quotes if it would otherwise be read as a "
                            "number or a date, e.g. \"06\")."),
        "integer": lambda: _("Write a whole number."),
        "boolean": lambda: _("Write true or false."),
        "array": lambda: _("Write a list here: [a, b], or one item per line, each line "
                           "starting with a hyphen and a space."),
        "object": lambda: _("Write named fields here, each as name: value (a text as one line "
                            "per language, e.g. fi: Kysely)."),
    }[m[2]]()


# What a published survey's new definition may not change (surveys.definitions.lifecycle.
# shape_changes), each after "the survey is already published; only texts may change: ".
_BUMP = r": give it version: (\d+) to start a new version of the question"
_SHAPE_CHANGES: list[tuple[re.Pattern, Any]] = [
    (re.compile(r"^the scope changed from '(.*)' to '(.*)'$"),
     lambda m: _("The survey is already published, so its area can't change (it is "
                 "%(old)s).", old=m[1])),
    (re.compile(r"^the organisation changed$"),
     lambda m: _("The survey is already published, so its organisation can't change.")),
    (re.compile(r"^question '(.*)' was removed$"),
     lambda m: _("The survey is already published, so question %(id)s can't be removed.",
                 id=m[1])),
    (re.compile(r"^the order of the questions changed$"),
     lambda m: _("The survey is already published, so the order of its questions can't "
                 "change.")),
    (re.compile(r"^question '(.*)' was added$"),
     lambda m: _("The survey is already published, so no question can be added (%(id)s).",
                 id=m[1])),
    (re.compile(r"^question '(.*)' is at version (\d+); its version can't go back to (\d+)$"),
     lambda m: _("Question %(id)s is at version %(was)s already; its version can't go back "
                 "to %(now)s.", id=m[1], was=m[2], now=m[3])),
    (re.compile(r"^question '(.*)' changed type from (\w+) to (\w+)" + _BUMP),
     lambda m: _("The survey is already published, so question %(id)s can't change its type "
                 "from %(old)s to %(new)s. To change it, give it version %(n)s: the answers "
                 "so far stay with the earlier version.",
                 id=m[1], old=TYPE_NAMES.get(m[2], m[2]), new=TYPE_NAMES.get(m[3], m[3]),
                 n=m[4])),
    (re.compile(r"^the choices of question '(.*)' changed from .*" + _BUMP),
     lambda m: _("The survey is already published, so the choices of question %(id)s can't "
                 "change. To change them, give it version %(n)s: the answers so far stay "
                 "with the earlier version.", id=m[1], n=m[2])),
    (re.compile(r"^the bands of question '(.*)' changed" + _BUMP),
     lambda m: _("The survey is already published, so the bands of question %(id)s can't "
                 "change. To change them, give it version %(n)s: the answers so far stay "
                 "with the earlier version.", id=m[1], n=m[2])),
    (re.compile(r"^the range of question '(.*)' changed" + _BUMP),
     lambda m: _("The survey is already published, so the range of question %(id)s can't "
                 "change. To change it, give it version %(n)s: the answers so far stay with "
                 "the earlier version.", id=m[1], n=m[2])),
]


def _shape_change(m: re.Match) -> str:
    for pattern, translate in _SHAPE_CHANGES:
        found = pattern.search(m[1])
        if found:
            return translate(found)
    return _("The survey is already published; only its texts may change (%(what)s).",
             what=m[1])


_MESSAGES: list[tuple[re.Pattern, Any]] = [
    # surveys.definitions.format.parse_yaml
    (re.compile(r"'(.*)' is not a date$"),
     lambda m: _("%(value)s is not a date in the calendar; check the day and the month.",
                 value=m[1])),
    (re.compile(r"^not valid YAML: "),
     lambda m: _("The file is not valid YAML here: check the indentation, the colons, the "
                 "quotes and the brackets.")),
    (re.compile(r"^a survey definition must be a mapping$"),
     lambda m: _("The file must describe one survey: fields such as slug:, title: and "
                 "questions: at the top level, each at the start of its line.")),
    # The rules the schema can't say (surveys.definitions.format._rule_errors).
    (re.compile(r"unknown county code"),
     lambda m: _("Unknown county.")),
    (re.compile(r"missing text in the default language '(\w+)'"),
     lambda m: _("Write this text in the source language (%(lang)s).", lang=m[1])),
    (re.compile(r"^language\(s\) (.*) not in the survey's languages$"),
     lambda m: _("Text in a language the survey does not have (%(langs)s): add the language "
                 "to the survey or remove the text.", langs=m[1])),
    (re.compile(r"^open data needs a description in the default language '(\w+)'"),
     lambda m: _("Open data needs a description of the survey in the source language "
                 "(%(lang)s): write one, or do not publish the results as open data.",
                 lang=m[1])),
    (re.compile(r"^the id '(.*)' is too long for a version: at most (\d+) characters$"),
     lambda m: _("The id %(id)s is too long for a new version: shorten it to at most %(n)s "
                 "characters.", id=m[1], n=m[2])),
    (re.compile(r"^ids ending in __v<number> name a question's version: '(.*)' needs "
                r"version: (\d+) \(or write the id '(.*)' with its version\)$"),
     lambda m: _("An id ending in __v and a number names a question's version: give "
                 "%(id)s the version %(n)s, or write the id as %(base)s with its version.",
                 id=m[1], n=m[2], base=m[3])),
    (re.compile(r"duplicate question id '(.*)'"),
     lambda m: _("Two questions have the id %(id)s; each needs its own.", id=m[1])),
    (re.compile(r"duplicate choice '(.*)'"),
     lambda m: _("Two choices have the id %(id)s; each needs its own.", id=m[1])),
    (re.compile(r"^'(.*)' is reserved$"),
     lambda m: _("The id %(id)s is reserved; choose another.", id=m[1])),
    (re.compile(r"^a (\w+) question needs choices$"),
     lambda m: _("This question needs at least two choices.")),
    (re.compile(r"^a (\w+) question takes no choices$"),
     lambda m: _("Only a single- or multiple-choice question has choices: remove them or "
                 "change the question's type.")),
    (re.compile(r"a number question needs min and max"),
     lambda m: _("A number question needs a smallest and a largest value.")),
    (re.compile(r"min is greater than max"),
     lambda m: _("The smallest value is greater than the largest.")),
    (re.compile(r"a number range may span at most 1000 values"),
     lambda m: _("A number range may span at most 1000 values.")),
    (re.compile(r"^bands must follow each other from min to max"),
     lambda m: _("The bands must follow each other without gaps from the smallest to the "
                 "largest value, e.g. [[15, 29], [30, 64], [65, 110]].")),
    (re.compile(r"^a (\w+) question takes no min/max/bands$"),
     lambda m: _("Only a number question has a smallest and a largest value or bands: "
                 "remove them or change the question's type.")),
    (re.compile(r"^goal\(s\) (.*) are not among the survey's goals$"),
     lambda m: _("The survey does not have these goals of the question: %(goals)s. Add them "
                 "to the survey's goals or remove them from the question.", goals=m[1])),
    (re.compile(r"^a (\w+) question takes no harmless_answers$"),
     lambda m: _("Only a choice, scale or NPS question can have harmless answers: remove them "
                 "or change the question's type.")),
    (re.compile(r"^harmless answer\(s\) (.*) are not among the question's answers \((.*)\)$"),
     lambda m: _("The harmless answers %(answers)s are not answers of this question; use its "
                 "answers: %(choices)s.", answers=m[1], choices=m[2])),
    (re.compile(r"^only text questions take max_length$"),
     lambda m: _("Only a free-text question has a maximum length: remove it or change the "
                 "question's type.")),
    # Staff surveys (surveys.definitions.format._staff_rule_errors, lifecycle).
    (re.compile(r"a staff survey needs organisation"),
     lambda m: _("A staff survey needs its organisation.")),
    (re.compile(r"only staff surveys name an organisation"),
     lambda m: _("Only a staff survey names an organisation.")),
    (re.compile(r"no organisation '(.*)' in county"),
     lambda m: _("The organisation %(code)s is not in the survey's county; choose the "
                 "county's organisation.", code=m[1])),
    (re.compile(r"a staff survey's scope is its organisation's county code"),
     lambda m: _("A staff survey's area is its organisation's county.")),
    (re.compile(r"^only staff surveys have breakdown questions$"),
     lambda m: _("Only a staff survey's results can be broken down by a question: remove the "
                 "breakdown or make this a staff survey.")),
    (re.compile(r"^only single-choice questions can be breakdowns$"),
     lambda m: _("Results can be broken down only by a one-choice question: change the "
                 "question's type or remove the breakdown.")),
    (re.compile(r"^a breakdown question has at most (\d+) choices"),
     lambda m: _("A question the results are broken down by may have at most %(n)s choices "
                 "(every combination of its values is checked in every unit): combine some "
                 "choices.", n=m[1])),
    (re.compile(r"^a staff survey has at most (\d+) breakdown questions"),
     lambda m: _("A staff survey's results can be broken down by at most %(n)s questions (each "
                 "is read with the others in every unit): remove the breakdown from this one.",
                 n=m[1])),
    # The schema's (jsonschema) messages, most of them after the offending value.
    (re.compile(r"^'(\w+)' is a required property$"),
     lambda m: _("Required field %(field)s is missing.", field=m[1])),
    (re.compile(r"^Additional properties are not allowed \((.*) was unexpected\)$"),
     lambda m: _("Unknown field %(name)s: remove it or correct its spelling.",
                 name=_names(m[1]))),
    (re.compile(r"^Additional properties are not allowed \((.*) were unexpected\)$"),
     lambda m: _("Unknown fields %(names)s: remove them or correct their spelling.",
                 names=_names(m[1]))),
    (re.compile(r"^(.*) is not one of \[(.*)\]$", re.DOTALL),
     lambda m: _("The value %(value)s is not allowed here; use one of: %(choices)s.",
                 value=_unquoted(m[1]), choices=_names(m[2]))),
    (re.compile(r"^(.*) is not of type '(string|integer|boolean|array|object)'$", re.DOTALL),
     _type_message),
    (_pattern("^[a-z][a-z0-9_]{0,62}$"),
     lambda m: _("An id starts with a lowercase letter a–z and has only lowercase letters, "
                 "digits and underscores.")),
    (_pattern("^[a-z0-9]+(-[a-z0-9]+)*$"),
     lambda m: _("The address name has only lowercase letters a–z, digits and single "
                 "hyphens.")),
    (_pattern("^(national|[0-9]{2})$"),
     lambda m: _("Write national or a county's two-digit code in quotes, e.g. \"06\".")),
    (_pattern("^[A-Za-z0-9_.-]{1,40}$"),
     lambda m: _("An organisation code has letters, digits and . _ - only, at most 40.")),
    (_pattern("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
     lambda m: _("Write the date as YYYY-MM-DD.")),
    (re.compile(" " + re.escape(defs.EMBED_ORIGIN_HELP) + "$"),
     lambda m: _("Write the website's address as https://www.example.fi (lowercase, no path, "
                 "no slash at the end), or https://*.example.fi for all its subdomains.")),
    (re.compile(r"is too short \(at least (\d+) items\)$"),
     lambda m: _("This list needs at least %(n)s items; add the missing ones.", n=m[1])),
    (re.compile(r"is too long \(at most (\d+) items\)$"),
     lambda m: _("This list may have at most %(n)s items; remove some.", n=m[1])),
    (re.compile(r"is too long \(at most (\d+) characters\)$"),
     lambda m: _("This may be at most %(n)s characters long; shorten it.", n=m[1])),
    (re.compile(r"(should be non-empty|does not have enough properties|is too short)$"),
     lambda m: _("This is empty; fill it in.")),
    (re.compile(r"has non-unique elements$"),
     lambda m: _("A value appears twice in this list; list each only once.")),
    (re.compile(r"is less than the minimum of (-?\d+)$"),
     lambda m: _("The smallest allowed value is %(n)s.", n=m[1])),
    (re.compile(r"is greater than the maximum of (-?\d+)$"),
     lambda m: _("The largest allowed value is %(n)s.", n=m[1])),
    # The dates and the builder's own number fields.
    (re.compile(r"the close date must be after the open date"),
     lambda m: _("The close date must be after the open date.")),
    (re.compile(r"^" + builder_form.NOT_A_NUMBER + "$"),
     lambda m: _("Write a whole number.")),
    (re.compile(r"^" + re.escape(builder_form.NOT_BANDS) + "$"),
     lambda m: _("Write the bands as ranges separated by commas, e.g. 0–17, 18–64, 65–110.")),
    (re.compile(r"^" + builder_form.NOT_KEPT + "$"),
     lambda m: _("This question's other fields could not be read from the form; reload the "
                 "page and make the change again.")),
    # The life cycle (surveys.definitions.lifecycle.import_survey) and language rights.
    (re.compile(r"^the survey is already published; only texts may change: (.*)$", re.DOTALL),
     _shape_change),
    (re.compile(r"^the survey is already published; the threshold may be raised but not "
                r"lowered below (\d+)$"),
     lambda m: _("The survey is already published; its threshold may be raised but not "
                 "lowered below %(n)s.", n=m[1])),
    (re.compile(r"^(\w+): texts missing \((.*)\); the survey is open"),
     lambda m: _("The survey is open, so every text is needed in %(lang)s.", lang=m[1])),
    (re.compile(r"^a national citizen survey must be complete in Finnish and Swedish; "
                r"missing: (.*) \(Language Act 423/2003\)$"),
     lambda m: _("%(rule)s Texts are missing in: %(langs)s.", rule=RULE_TEXTS["national"],
                 langs=m[1])),
    (re.compile(r"^a citizen survey for a bilingual county must be complete in Finnish and "
                r"Swedish; missing: (.*) \(Language Act 423/2003\)$"),
     lambda m: _("%(rule)s Texts are missing in: %(langs)s.",
                 rule=RULE_TEXTS["bilingual_county"], langs=m[1])),
    (re.compile(r"^a citizen survey for a county with Sámi homeland municipalities must be "
                r"complete in Northern, Inari and Skolt Sámi; missing: (.*) "
                r"\(Sámi Language Act 1086/2003\)$"),
     lambda m: _("%(rule)s Texts are missing in: %(langs)s.",
                 rule=RULE_TEXTS["sami_homeland"], langs=m[1])),
]

TYPE_NAMES = {
    "nps": lazy_gettext("Recommendation 0–10"),
    "likert5": lazy_gettext("Agreement 1–5"),
    "single": lazy_gettext("One choice"),
    "multi": lazy_gettext("Several choices"),
    "text": lazy_gettext("Free text"),
    "number": lazy_gettext("Number"),
}
PRIVACY_NAMES = {
    "controller": lazy_gettext("Controller"),
    "purpose": lazy_gettext("Purpose of the processing"),
    "contact": lazy_gettext("Contact for questions about the data"),
}


def message_in_user_language(message: str) -> str:
    for pattern, translate in _MESSAGES:
        m = pattern.search(message)
        if m:
            return translate(m)
    return message


def _without_repeats(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An empty text is reported twice by the validator (the schema's "empty" and the rule's
    "no text in the default language"): the page says it once."""
    default_missing = {p for p, m in errors if "missing text in the default language" in m}
    return [(p, m) for p, m in errors
            if not (p in default_missing and "should be non-empty" in m)]


def _errors_by_place(errors: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path, message in errors:
        text = message_in_user_language(message)
        where = builder_form.place(path)
        if text not in out.setdefault(where, []):
            out[where].append(text)
    return out


def _scopes(audience: str) -> list[tuple[str, str]]:
    """The areas the signed-in account may build a survey for: the policy decides."""
    actor = auth.actor()
    out = []
    candidates = [("national", str(lazy_gettext("Whole country")))]
    candidates += sorted(((r.code, name_in(r, g.lang)) for r in get_db().query(Region)),
                         key=lambda pair: pair[0])
    if audience == "staff":
        # A staff survey's area is its organisation's county: the counties of the
        # organisations the account may build for (never the whole country).
        counties = {root.region_code for root in units.organisations(get_db())
                    if policy.can(actor, "edit", policy.SurveyObject(
                        "", root.region_code, "staff", root.code))}
        candidates = [(code, name) for code, name in candidates if code in counties]
    for code, name in candidates:
        obj = policy.SurveyObject("", code, audience, actor.org)
        if policy.can(actor, "edit", obj):
            out.append((code, name))
    return out


def _organisations() -> list[tuple[str, str]]:
    """(code, label) of the organisations (root units, surveys.staff.units) the signed-in
    account may build a staff survey for: the policy decides."""
    actor = auth.actor()
    db = get_db()
    names = {r.code: name_in(r, g.lang) for r in db.query(Region)}
    return [(root.code, f"{root.name_sv if g.lang == 'sv' else root.name_fi} ({root.code}, "
                        f"{names.get(root.region_code, root.region_code)})")
            for root in units.organisations(db)
            if policy.can(actor, "edit", policy.SurveyObject("", root.region_code, "staff",
                                                             root.code))]


def _analysis(d: dict[str, Any], survey) -> dict[str, Any]:
    """What the page shows beside the form: missing translations per language and the
    language-rights check, on a definition that passes the validator (else nothing)."""
    d = builder_form.definition(d)
    try:
        valid = defs.validate(d, {r for r, _n in _scopes(d["audience"])} | {d["scope"]})
    except defs.DefinitionError:
        return {"missing": None, "violations": None}
    missing = {lang: defs.missing_texts(valid, lang) for lang in valid["languages"]}
    violations = lifecycle.language_rights_violations(get_db(), survey, valid)
    return {"missing": missing, "violations": [v.as_dict() for v in violations]}


def _render(d: dict[str, Any], *, survey=None, errors=None, status: int = 200,
            override_needed: bool = False, notice: str | None = None,
            starting_points: dict[str, list] | None = None):
    analysis = _analysis(d, survey)
    d = {**d, "questions": [dict(q) for q in d["questions"]]}
    errors = _without_repeats(errors or [])
    editable_shape = survey is None or survey.status == "draft"
    fresh = builder_form.new_versions(d, None if editable_shape else survey.definition)
    for i, q in enumerate(d["questions"]):
        # What the form does not edit travels in it as it is (builder_form.QUESTION_FIELDS).
        q["kept"] = builder_form.kept_json(q, shown=builder_form.QUESTION_FIELDS)
        # The id without its version suffix; a new version's type, choices and range are open.
        q["base_id"], q["new_version"] = defs.base_id(q), i in fresh
    may_publish = survey is not None and survey.status == "draft" and \
        allowed("publish", policy.survey_object(survey))
    return render_template(
        "admin_builder.html", d=d, survey=survey, errors=_errors_by_place(errors),
        error_list=[(builder_form.place(p), message_in_user_language(m)) for p, m in errors],
        anchor=builder_form.anchor, scopes=_scopes(d.get("audience", "citizen")),
        kept=builder_form.kept_json(d, only=builder_form.NEW_SURVEY_KEPT)
        if survey is None else "",
        organisations=_organisations(),
        all_languages=LANGUAGES, types=TYPE_NAMES, privacy_names=PRIVACY_NAMES,
        privacy_fields=defs.PRIVACY_FIELDS, choice_types=defs.CHOICE_TYPES,
        editable_shape=editable_shape, may_publish=may_publish,
        override_needed=override_needed, notice=notice, rule_texts=RULE_TEXTS,
        starting_points=starting_points,
        minimum=defs.DEFAULT_MIN_GROUP_SIZE, max_breakdown_choices=defs.MAX_BREAKDOWN_CHOICES,
        answer_values=defs.answer_values, bands_text=builder_form.bands_text,
        answer_labels=lambda q: _answer_labels(q, d.get("languages") or ["fi"]),
        **analysis,
    ), status


def _answer_labels(q: dict[str, Any], languages: list[str]) -> dict[str, str]:
    """What the harmless-answer checkboxes say: a choice's text in the source language (else
    the first it has) with its id, a scale's value as it is."""
    labels = {}
    for c in q.get("choices") or ():
        texts = c.get("label") or {}
        text = texts.get(languages[0]) or next(iter(texts.values()), "")
        labels[c.get("id")] = f"{text} ({c.get('id')})" if text else str(c.get("id"))
    return {a: labels.get(a, a) for a in defs.answer_values(q) or ()}


def _check_own(d: dict[str, Any], survey) -> list[tuple[str, str]]:
    """The builder's checks beyond the validator's: the national minimum threshold, an
    unused address name, an area the account may manage."""
    errors = []
    size = d.get("min_group_size", defs.DEFAULT_MIN_GROUP_SIZE)
    if isinstance(size, int) and size < defs.DEFAULT_MIN_GROUP_SIZE:
        errors.append(("min_group_size", f"is less than the minimum of "
                                         f"{defs.DEFAULT_MIN_GROUP_SIZE}"))
    if survey is None and d["slug"] and lookup.find(get_db(), d["slug"]) is not None:
        errors.append(("slug", "taken"))
    actor = auth.actor()
    org = d.get("organisation", actor.org)  # a staff survey's own organisation decides
    if not policy.can(actor, "edit", policy.SurveyObject(d["slug"], d["scope"], d["audience"],
                                                         org)):
        errors.append(("scope", "not yours"))
    return errors


def _save(d: dict[str, Any], survey, store: bool = True
          ) -> tuple[Any, list[tuple[str, str]]]:
    """Validate and store `d` through the YAML import's own path. Returns (survey, errors).
    With `store` False (the form has other errors) it only validates: every problem at once."""
    db = get_db()
    d = builder_form.definition(d)
    if survey is not None:
        # Parts of the stored definition the builder does not show are kept as they are.
        # (Its own, not the form's: the hidden `kept` field is a new survey's only.)
        own = {k: v for k, v in d.items() if k not in builder_form.NEW_SURVEY_KEPT}
        kept = {k: v for k, v in survey.definition.items()
                if k not in ("description", "privacy", "organisation") and k not in own}
        d = {**kept, **own, "slug": survey.slug}
    errors = _check_own(d, survey)
    try:
        defs.validate(d, {r.code for r in db.query(Region)})
    except defs.DefinitionError as exc:
        errors = exc.errors + errors
    if errors or not store:
        return None, errors
    d = content_po.edited_sami_as_drafts(survey.definition if survey is not None else None, d)
    try:
        import yaml  # only where a definition is written (not at the web tier's start)

        saved, created = lifecycle.import_survey(db, yaml.safe_dump(d, allow_unicode=True))
    except defs.DefinitionError as exc:
        db.rollback()
        return None, exc.errors
    auth.record("surveys.create" if created else "surveys.edit", object_kind="survey",
                object_id=saved.slug)
    return saved, []


_OWN_MESSAGES = {
    "taken": lazy_gettext("A survey with this address name exists already."),
    "not yours": lazy_gettext("You may not build surveys for this area."),
}


def _own(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(p, str(_OWN_MESSAGES.get(m, m))) for p, m in errors]


def _handle(survey):
    """One POST of the builder form: a shape button, save, or publish."""
    d, errors = builder_form.parse(request.form)
    if survey is not None:
        d["slug"] = survey.slug
        if survey.status != "draft":
            # Only texts: the shape stays the stored one whatever the form says.
            d["scope"], d["audience"] = survey.scope, survey.audience
            d.pop("organisation", None)
            if "organisation" in survey.definition:
                d["organisation"] = survey.definition["organisation"]
    op = request.form.get("op", "save")
    if op.split(":")[0] in builder_form.SHAPE_OPS:
        if survey is None or survey.status == "draft" or \
                builder_form.allowed_on_published(d, op, survey.definition):
            builder_form.apply_op(d, op)
        builder_form.ensure_choices(d)
        return _render(d, survey=survey, errors=errors)
    builder_form.ensure_choices(d)
    if op not in ("save", "publish"):
        return _render(d, survey=survey, errors=errors)
    saved, problems = _save(d, survey, store=not errors)
    errors = errors + problems
    if errors:
        get_db().rollback()
        return _render(d, survey=survey, errors=_own(errors), status=422)
    db = get_db()
    if op == "publish":
        if not allowed("publish", policy.survey_object(saved)):
            db.commit()
            abort(404)
        reason = (request.form.get("override_reason") or "").strip()
        try:
            lifecycle.publish(db, saved.slug, reason or None)
        except lifecycle.LanguageRightsError:
            db.commit()  # the texts are saved; the survey stays a draft
            return _render(d, survey=saved, override_needed=True, status=422, errors=[
                ("languages", _("The language-rights check refuses publishing; add the missing "
                                "languages, or for a pilot give a reason to publish "
                                "anyway."))])
        except lifecycle.PublishError as exc:
            db.commit()
            if isinstance(exc, lifecycle.SurveyClosed):
                return _render(d, survey=saved, status=422, errors=[
                    ("closes_on", _("A closed survey is not published again: a national "
                                    "administrator can reopen it, with a reason."))])
            if isinstance(exc, lifecycle.ClosesTooSoon):
                return _render(d, survey=saved, status=422, errors=[
                    ("closes_on", _("The close date has passed; change it to publish."))])
            return _render(d, survey=saved, status=422, errors=[
                ("languages", _("Texts are missing, so the survey can't be published."))])
        auth.record("surveys.publish_override" if saved.language_rights_override
                    else "surveys.publish", object_kind="survey", object_id=saved.slug)
    db.commit()
    return redirect(url_for("admin.survey_edit", slug=saved.slug, saved=1), code=303)


@bp.route("/surveys/new", methods=["GET", "POST"])
@requires("create_survey", "site")
def survey_new():
    if request.method == "POST":
        return _handle(None)
    start = request.args.get("start")
    if start:
        d = _starting_point(start)
        if d is None:
            abort(404)
    else:
        d = builder_form.blank()
        if not _scopes("citizen") and _scopes("staff"):
            d["audience"] = "staff"  # an HR admin builds staff surveys only
    scopes = [code for code, _name in _scopes(d.get("audience", "citizen"))]
    if scopes and d.get("scope") not in scopes:
        d["scope"] = scopes[0]
    return _render(d, starting_points=None if start else _starting_points())


def _starting_points() -> dict[str, list[starting_points.StartingPoint]]:
    """The shipped templates, and the surveys the account may edit (its area's own)."""
    own = [starting_points.StartingPoint(f"{starting_points.SURVEY_PREFIX}{s.slug}",
                                         defs.localized(s.definition["title"], g.lang),
                                         s.audience, s.slug)
           for s in lookup.listing(get_db(), statuses=None)
           if allowed("edit", policy.survey_object(s))]
    return {"templates": starting_points.shipped(g.lang), "own": own}


def _starting_point(key: str) -> dict[str, Any] | None:
    """A new draft's definition from a template or from a survey the account may edit."""
    if key.startswith(starting_points.SURVEY_PREFIX):
        survey = lookup.find(get_db(), key.removeprefix(starting_points.SURVEY_PREFIX))
        if survey is None or not allowed("edit", policy.survey_object(survey)):
            return None
        return starting_points.as_new(survey.definition)
    return starting_points.template_definition(key)


@bp.route("/surveys/<slug>/edit", methods=["GET", "POST"])
@requires("edit", "survey")
def survey_edit(slug: str):
    survey = g.admin_object
    if request.method == "POST":
        return _handle(survey)
    notice = _("Saved.") if request.args.get("saved") else None
    return _render(survey.definition, survey=survey, notice=notice)


@bp.route("/surveys/<slug>/preview", methods=["GET", "POST"])
@requires("view", "survey")
def survey_preview(slug: str):
    """The survey exactly as respondents see it (the real template) in ?lang=, marked as a
    preview. Its form posts back here, which only re-renders with the validation messages:
    nothing is stored."""
    survey = g.admin_object
    d = survey.definition
    lang = request.args.get("lang") or d["languages"][0]
    if lang not in d["languages"]:
        abort(404)
    admin_lang = g.lang
    banner = render_template("admin_preview_banner.html", slug=slug, lang=lang)
    preview_action = url_for("admin.survey_preview", slug=slug, lang=admin_lang) + \
        f"?lang={lang}"
    form = form_tokens.SubmitForm(meta={"csrf": False})
    form.submission_token.data = "preview"
    values = request.form if request.method == "POST" else MultiDict()
    errors = _preview_errors(d, values) if request.method == "POST" else {}
    g.lang = lang
    try:
        with force_locale(lang):
            html = render_template("survey.html", form=form, values=values, errors=errors,
                                   **_view_model(survey, lang, ()))
            respond_action = url_for("respond.survey", lang=lang, slug=slug)
    finally:
        g.lang = admin_lang
    html = re.sub(r"(<main[^>]*>)", lambda m: m[1] + banner, html, count=1)
    # The form posts back to the preview (which stores nothing), with the admin side's CSRF
    # token: the respondents' template itself is not changed.
    html = re.sub(rf'(<form [^>]*)action="{re.escape(respond_action)}"([^>]*>)',
                  lambda m: f'{m[1]}action="{escape(preview_action)}"{m[2]}'
                            f'<input type="hidden" name="csrf_token" '
                            f'value="{auth.csrf_token()}">', html, count=1)
    return Response(html, mimetype="text/html")


def _preview_errors(d: dict[str, Any], values) -> dict[str, str]:
    errors = {}
    for q in d["questions"]:
        if q.get("required") and not any(v.strip() for v in values.getlist(q["id"])):
            errors[q["id"]] = _("Please answer this question.")
    return errors


@bp.get("/surveys/<slug>/definition.yaml")
@requires("view", "survey")
def survey_yaml(slug: str):
    survey = g.admin_object
    auth.record("surveys.export_yaml", object_kind="survey", object_id=slug)
    get_db().commit()
    import yaml  # only where a definition is written (not at the web tier's start)

    text = yaml.safe_dump(survey.definition, allow_unicode=True, sort_keys=False)
    return Response(text, mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{slug}.yaml"'})


@bp.route("/surveys/import", methods=["GET", "POST"])
@requires("create_survey", "site")
def survey_import():
    """Upload a YAML definition: the same validation as `palaute surveys import`."""
    if request.method == "GET":
        return render_template("admin_builder_import.html", errors=[])
    upload = request.files.get("definition")
    raw = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if not raw:
        return _import_page([("(file)", _("Choose a YAML file to upload."))])
    if len(raw) > MAX_UPLOAD_BYTES:
        return _import_page([("(file)", _("The file is too large."))], 413)
    try:
        text = raw.decode("utf-8")
        data = defs.parse_yaml(text)
    except UnicodeDecodeError:
        return _import_page([("(file)", _("The file is not UTF-8 text."))])
    except defs.DefinitionError as exc:
        return _import_page(exc.errors)
    db = get_db()
    existing = lookup.find(db, str(data.get("slug", "")))
    actor = auth.actor()
    target = policy.survey_object(existing) if existing is not None else policy.SurveyObject(
        str(data.get("slug", "")), str(data.get("scope", "")), str(data.get("audience", "")),
        actor.org)
    if not policy.can(actor, "edit", target):
        auth.record("surveys.import", "denied", object_kind="survey",
                    object_id=str(data.get("slug", ""))[:100])
        db.commit()
        return _import_page([("scope", str(_OWN_MESSAGES["not yours"]))], 403)
    try:
        saved, created = lifecycle.import_survey(db, text)
    except defs.DefinitionError as exc:
        db.rollback()
        return _import_page(exc.errors)
    auth.record("surveys.import", object_kind="survey", object_id=saved.slug)
    db.commit()
    return redirect(url_for("admin.survey_edit", slug=saved.slug, saved=1), code=303)


def _import_page(errors: list[tuple[str, str]], status: int = 422):
    return render_template("admin_builder_import.html", errors=[
        (path, message_in_user_language(message)) for path, message in errors]), status


@bp.route("/surveys/<slug>/reopen", methods=["GET", "POST"])
@requires("reopen", "survey")
def survey_reopen(slug: str):
    """Reopen a closed survey: a national admin only (the policy), with a reason, which is
    recorded on the survey and in the audit log."""
    survey = g.admin_object
    error, status = None, 200
    purged = survey.status == "closed" and survey.responses_purged_on is not None
    if request.method == "POST" and purged:
        status = 409  # the page says why; nothing is changed
    elif request.method == "POST" and survey.status == "closed":
        db = get_db()
        raw_day = (request.form.get("closes_on") or "").strip()
        try:
            closes = date.fromisoformat(raw_day) if raw_day else None
        except ValueError:
            closes, error = None, _("Write the date as YYYY-MM-DD.")
        reason = (request.form.get("reason") or "").strip()
        if error is None and not reason:
            error = _("Give the reason for reopening the survey.")
        if error is None:
            try:
                lifecycle.reopen(db, slug, reason, auth.actor().user_id, today(), closes)
            except lifecycle.ClosesTooSoon:
                error = _("The new close date must be after today.")
            except lifecycle.PublishError:  # changed since this request's check (a purge)
                db.rollback()
                error = _("The survey can no longer be reopened; reload the page.")
        if error is None:
            auth.record("surveys.reopen", object_kind="survey", object_id=slug)
            db.commit()
            return redirect(url_for("admin.survey", slug=slug), code=303)
    return render_template("admin_reopen.html", item=survey, error=error, purged=purged,
                           title=defs.localized(survey.definition["title"], g.lang),
                           pace=_release_times(survey),
                           unit_releases=_unit_releases(survey)), 422 if error else status


def _release_times(survey):
    """How many more times a public survey's released figures may change (surveys.report.
    pacing): reopening does not add any, so the admin is told before reopening. None for a
    staff survey (its unit figures are released at closes: `_unit_releases`) and under
    `live`."""
    if survey.audience == "staff" or settings().results_release == "live":
        return None
    return releases.pace(get_db(), survey, clock.now().replace(tzinfo=None))


def _unit_releases(survey) -> tuple[int, int] | None:
    """(unit releases stored, the most it may have) of a staff survey: its unit figures change
    only at a close, at most `units.MAX_UNIT_RELEASES` times, so the admin is told before
    reopening whether the next close can still change them. None for other surveys and under
    `live`."""
    if survey.audience != "staff" or settings().results_release == "live":
        return None
    return unit_report.releases_stored(get_db(), survey.id), unit_report.MAX_UNIT_RELEASES
