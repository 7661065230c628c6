"""The open JSON API's OpenAPI 3.1 document (`/api/openapi.json`) and its readable page
(`/api/docs`, served from the project: no CDN, no JavaScript).

tests/integration/test_openapi.py checks with schemathesis that the API answers what this
document says, over hundreds of generated requests.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from surveys.reference.regions import COLLABORATION_AREAS, read_csv

AREA_CODES = sorted(COLLABORATION_AREAS)

bp = Blueprint("openapi", __name__)

NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
TEXTS = {"type": "object", "description": "A text per language code (fi, sv, se, smn, sms, en)",
         "additionalProperties": {"type": "string"}}

ERROR = {
    "type": "object",
    "description": "Every error answers in this shape.",
    "required": ["error", "detail"],
    "properties": {"error": {"type": "string", "description": "the HTTP status phrase"},
                   "detail": {"type": "string", "description": "what was wrong, in English"}},
}
SCOPE = {
    "type": "object",
    "required": ["level", "code", "name"],
    "properties": {
        "level": {"enum": ["country", "area", "region", "unit"]},
        "code": {"type": "string", "description": "FI, a collaboration area, a county code, "
                                                  "or a unit code (staff surveys)"},
        "name": {"type": "string", "description": "in the language asked for"},
        "area": {"type": "string", "description": "a county's collaboration area"},
    },
}
REASON = {"enum": ["threshold", "secondary", None],
          "description": "why a suppressed figure is hidden: its group (or the question's "
                         "answers) below min_group_size, or hidden to protect another group "
                         "(secondary suppression); null when the reason itself would give a "
                         "figure away"}
GROUP_QUESTION = {
    "type": "object",
    "properties": {"n": NULLABLE_INT, "mean": NULLABLE_NUMBER, "nps": NULLABLE_NUMBER,
                   "suppressed": {"type": "boolean"}, "reason": REASON},
}
LANGUAGES_BREAKDOWN = {
    "type": "object",
    "description": "per respondents' language (every language the survey is offered in), over "
                   "the whole period: respondents and per question n, mean and NPS, suppressed "
                   "and audited like every other figure",
    "additionalProperties": {
        "type": "object",
        "required": ["respondents", "suppressed", "questions"],
        "properties": {"respondents": NULLABLE_INT, "suppressed": {"type": "boolean"},
                       "reason": REASON,
                       "questions": {"type": "object", "additionalProperties": GROUP_QUESTION}},
    },
}
QUESTION = {
    "type": "object",
    "required": ["type", "n", "counts", "mean", "nps", "suppressed"],
    "properties": {
        "type": {"enum": ["nps", "likert5", "single", "multi", "text", "number"]},
        "n": {**NULLABLE_INT, "description": "how many answered; null when suppressed"},
        "counts": {"type": ["object", "null"],
                   "additionalProperties": {"type": ["integer", "null"]},
                   "description": "answers per option (number questions: per band); null when "
                                  "suppressed or free text; a withheld count is null"},
        "withheld": {"type": "array", "items": {"type": "string"},
                     "description": "options whose counts are withheld inside a shown group "
                                    "(small counts, or everyone gave the same answer)"},
        "mean": NULLABLE_NUMBER,
        "nps": {**NULLABLE_NUMBER, "description": "Net Promoter Score, -100..100"},
        "suppressed": {"type": "boolean"},
        "reason": REASON,
    },
}
RELEASE = {
    "type": ["object", "null"],
    "description": "the release the figures come from (null before the first one, and when "
                   "the server shows figures live)",
    "properties": {"released_at": {"type": "string"}},
}
UNIT = {
    "type": "object",
    "description": "staff surveys with `unit=`: the unit, its figures including its sub-units",
    "required": ["code", "name", "parent", "headcount", "retired"],
    "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                   "parent": {"type": ["string", "null"]}, "headcount": NULLABLE_INT,
                   "retired": {"type": "boolean"}},
}
RESPONSE_RATE = {
    "type": "object",
    "description": "staff surveys with `unit=`: invitations issued to the unit and its "
                   "sub-units, its headcount, and the share of invitations spent (÷ issued, ÷ "
                   "headcount), null unless its respondents reach the threshold and are shown",
    "required": ["issued", "headcount", "of_issued", "of_headcount", "suppressed"],
    "properties": {"issued": {"type": "integer", "minimum": 0}, "headcount": NULLABLE_INT,
                   "of_issued": NULLABLE_NUMBER, "of_headcount": NULLABLE_NUMBER,
                   "suppressed": {"type": "boolean"}},
}
BREAKDOWN = {
    "type": "object",
    "description": "with `breakdown=`: the unit's results per value of that background "
                   "question, each value suppressed on its own",
    "required": ["question", "text", "values_withheld", "reason", "values"],
    "properties": {
        "question": {"type": "string"},
        "text": {"type": "string"},
        "values_withheld": {"type": "boolean",
                            "description": "true: every value is hidden (the unit totals "
                                           "stay) because this breakdown, read with the unit "
                                           "totals and the other breakdowns, would narrow a "
                                           "group below min_group_size, or could not be read "
                                           "with them (the raw responses deleted at the end "
                                           "of their retention period), or because showing "
                                           "its values would hide unit totals shown without "
                                           "them"},
        "reason": {"enum": ["read_together", "unit_totals", None],
                   "description": "why the values are withheld (docs/privacy.md, "
                                  "\"Breakdowns read together\" and \"Breakdowns that "
                                  "would hide the unit totals\"); null when they are not"},
        "values": {"type": "array", "items": {
            "type": "object",
            "required": ["value", "label", "respondents", "suppressed", "questions"],
            "properties": {
                "value": {"type": "string"}, "label": {"type": "string"},
                "respondents": NULLABLE_INT, "suppressed": {"type": "boolean"},
                "questions": {"type": "object",
                              "additionalProperties": {"$ref": "#/components/schemas/Question"}},
            }}},
    },
}
RESULTS = {
    "type": "object",
    "required": ["survey", "scope", "min_group_size", "respondents", "suppressed", "questions"],
    "properties": {
        "survey": {"type": "string"},
        "scope": {"$ref": "#/components/schemas/Scope"},
        "min_group_size": {"type": "integer", "minimum": 1},
        "respondents": NULLABLE_INT,
        "suppressed": {"type": "boolean"},
        "questions": {"type": "object",
                      "additionalProperties": {"$ref": "#/components/schemas/Question"}},
        "reason": REASON,
        "languages": LANGUAGES_BREAKDOWN,
        "release": {"$ref": "#/components/schemas/Release"},
        "unit": UNIT,
        "response_rate": RESPONSE_RATE,
        "published": {"type": "boolean",
                      "description": "unit results: false until the survey's first unit "
                                     "release, cut when it closes (every figure null); the "
                                     "figures are then the latest unit release's, named in "
                                     "`release` (docs/privacy.md)"},
        "breakdown": BREAKDOWN,
    },
}
MONTHLY = {
    "type": "object",
    "required": ["survey", "scope", "min_group_size", "goals", "months"],
    "properties": {
        "survey": {"type": "string"},
        "scope": {"$ref": "#/components/schemas/Scope"},
        "min_group_size": {"type": "integer"},
        "goals": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 12}},
        "months_published": {"type": "boolean",
                             "description": "false for a county: months are published only "
                                            "for areas and the country (docs/privacy.md)"},
        "months": {"type": "array", "items": {
            "type": "object",
            "required": ["month", "respondents", "suppressed", "questions"],
            "properties": {
                "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                "respondents": NULLABLE_INT,
                "suppressed": {"type": "boolean"},
                "reason": REASON,
                "questions": {"type": "object", "additionalProperties": GROUP_QUESTION},
            },
        }},
        "release": {"$ref": "#/components/schemas/Release"},
    },
}
SURVEY_LIST = {
    "type": "object",
    "required": ["surveys"],
    "properties": {"surveys": {"type": "array", "items": {
        "type": "object",
        "required": ["slug", "status", "audience", "scope", "languages", "goals", "title",
                     "min_group_size"],
        "properties": {
            "slug": {"type": "string"},
            "status": {"enum": ["published", "closed"]},
            "audience": {"enum": ["citizen", "staff"]},
            "scope": {"type": "string", "description": "national or a county code"},
            "languages": {"type": "array", "items": {"type": "string"}},
            "goals": {"type": "array", "items": {"type": "integer"}},
            "title": TEXTS,
            "min_group_size": {"type": "integer"},
        },
    }}},
}

_DISTRIBUTION = {
    "type": "object",
    "required": ["title", "format", "mediaType", "accessURL", "downloadURL", "license"],
    "properties": {
        "title": {"type": "string"},
        "format": {"enum": ["JSON", "CSV"]},
        "mediaType": {"enum": ["application/json", "text/csv"]},
        "accessURL": {"type": "string", "format": "uri"},
        "downloadURL": {"type": "string", "format": "uri"},
        "license": {"type": "string", "format": "uri"},
    },
}
OPEN_DATA = {
    "type": "object",
    "description": "A DCAT-AP style catalogue of the surveys whose results are open data.",
    "required": ["title", "license", "datasets"],
    "properties": {
        "title": TEXTS,
        "license": {"const": "https://creativecommons.org/licenses/by/4.0/"},
        "datasets": {"type": "array", "items": {
            "type": "object",
            "required": ["identifier", "title", "description", "language", "keyword", "spatial",
                         "license", "publisher", "modified", "distribution"],
            "properties": {
                "identifier": {"type": "string", "description": "the survey's slug"},
                "title": TEXTS,
                "description": TEXTS,
                "language": {"type": "array", "items": {"type": "string"}},
                "keyword": {"type": "array", "items": {"type": "string"},
                            "description": "goal-N for each strategic goal it follows"},
                "spatial": {"type": "string", "description": "FI or a county code"},
                "license": {"const": "https://creativecommons.org/licenses/by/4.0/"},
                "publisher": {"type": "object", "required": ["name", "identifier"],
                              "properties": {
                                  "name": TEXTS,
                                  "identifier": {"type": ["string", "null"],
                                                 "description": "the county's code; null: "
                                                                "the counties together"}}},
                "modified": {"type": ["string", "null"], "format": "date",
                             "description": "the date of the latest results release"},
                "distribution": {"type": "array", "items": _DISTRIBUTION},
            },
        }},
    },
}


SURVEY_ADMIN = {
    "type": "object",
    "required": ["slug", "status", "audience", "scope", "title", "language_rights_override",
                 "languages"],
    "properties": {
        "slug": {"type": "string"},
        "status": {"enum": ["draft", "published", "closed"]},
        "audience": {"enum": ["citizen", "staff"]},
        "scope": {"type": "string", "description": "national or a county code"},
        "title": TEXTS,
        "language_rights_override": {
            "type": ["object", "null"],
            "description": "the recorded decision to publish without a language the law "
                           "requires (who, when, why), or null"},
        "languages": {"type": "array", "items": {
            "type": "object", "required": ["code", "missing_texts", "review"],
            "properties": {
                "code": {"type": "string"},
                "missing_texts": {"type": "integer", "minimum": 0},
                "review": {"type": ["string", "null"],
                           "description": "draft, reviewed, or null when not recorded"}}}},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


SLUG = {"name": "slug", "in": "path", "required": True,
        "description": "the survey's identifier",
        "schema": {"type": "string"}, "example": "asiakaskokemus-2026"}
COUNTY_CODES = sorted(r["code"] for r in read_csv("wellbeing_counties.csv"))
SCOPE_PARAMS = [
    {"name": "region", "in": "query", "description": "a county code (01–21, 90 Helsinki); "
     "empty means none (as a form's \"whole country\" choice sends it)",
     "schema": {"enum": ["", *COUNTY_CODES]}, "example": "17"},
    {"name": "area", "in": "query", "description": "a collaboration area; give region or "
     "area, not both (400); empty means none", "schema": {"enum": ["", *AREA_CODES]}},
    {"name": "lang", "in": "query", "description": "language of names (default fi)",
     "schema": {"enum": ["fi", "sv", "se", "smn", "sms", "en"]}},
]
UNIT_PARAMS = [
    {"name": "unit", "in": "query", "description": "staff surveys: a unit code of the "
     "survey's organisation (empty: the organisation); needs an API token",
     "schema": {"type": "string"}},
    {"name": "breakdown", "in": "query", "description": "staff surveys: the id of a question "
     "marked `breakdown: true`; one block per value; needs an API token",
     "schema": {"type": "string"}},
]
LANGUAGE_PARAM = {"name": "language", "in": "query", "description": "only this respondents' "
                  "language in the `languages` breakdown (the language people answered in; empty "
                  "means all)",
                  "schema": {"enum": ["", "fi", "sv", "se", "smn", "sms", "en"]}}
MONTH_PARAMS = [
    {"name": name, "in": "query", "description": f"only months {word} this one (YYYY-MM, "
     "included; empty means none); a range with no month gives no months", "schema": {
         "type": "string", "pattern": "^([0-9]{4}-(0[1-9]|1[0-2]))?$"}, "example": example}
    for name, word, example in (("from", "from", "2026-01"), ("to", "up to", "2026-12"))
]
SCOPED_ERRORS = {"400": _error("an unknown county, area or language, both region and area, or "
                                "a month that is not YYYY-MM"),
                 "404": _error("no open or closed survey by that name"),
                 "503": _error("the database is unavailable; try again (Retry-After)")}


def document() -> dict[str, Any]:
    json_of = {"application/json": {"schema": {"$ref": "#/components/schemas/Results"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Palaute open results API",
            "version": "1",
            "description": "Aggregated, anonymity-protected results of the wellbeing services "
                           "counties' surveys. Groups below a survey's `min_group_size` and "
                           "figures that could be worked out from others come back as "
                           "`null` with `suppressed: true`. Figures are released on a schedule "
                           "(see `release`).",
            "license": {"name": "CC BY 4.0 (the data); EUPL-1.2 (the software)"},
        },
        "paths": {
            "/api/v1/surveys": {"get": {
                "summary": "Open and closed surveys",
                "parameters": [{"name": "goal", "in": "query",
                                "description": "only surveys tagged with this strategic goal "
                                               "(Government decision of 28 May 2025, 1–12)",
                                "schema": {"type": "integer", "minimum": 1, "maximum": 12}}],
                "responses": {"200": {"description": "the surveys", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Surveys"}}}},
                    "400": _error("a goal that is not a whole number")},
            }},
            "/api/v1/surveys/{slug}/results": {"get": {
                "summary": "A survey's results for the country, an area or a county; a staff "
                           "survey's for one of its units",
                "description": "With `unit` or `breakdown` (staff surveys): the unit's results "
                               "with its sub-units, its `response_rate`, and with `breakdown` "
                               "one block per value. These need an API token whose account "
                               "may view the survey's results; anyone else gets 401 (no "
                               "token) or 404.",
                "security": [{}, {"bearerAuth": []}],
                "parameters": [SLUG, *SCOPE_PARAMS, LANGUAGE_PARAM, *UNIT_PARAMS],
                "responses": {"200": {"description": "the results", "content": json_of},
                              **SCOPED_ERRORS,
                              "400": _error("an unknown county, area, unit, breakdown or "
                                            "language, both region and area, or a unit of a "
                                            "survey that is not a staff survey"),
                              "401": _error("`unit` or `breakdown` without a valid API "
                                            "token")},
            }},
            "/api/v1/surveys/{slug}/results/monthly": {"get": {
                "summary": "The same month by month",
                "parameters": [SLUG, *SCOPE_PARAMS, *MONTH_PARAMS],
                "responses": {"200": {"description": "the results per month", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Monthly"}}}},
                    **SCOPED_ERRORS},
            }},
            "/api/v1/surveys/{slug}/results.csv": {"get": {
                "summary": "The results as CSV, one row per figure (suppressed: empty cell)",
                "parameters": [SLUG, *SCOPE_PARAMS],
                "responses": {"200": {"description": "CSV", "content": {
                    "text/csv": {"schema": {"type": "string"}}}}, **SCOPED_ERRORS},
            }},
            "/api/v1/open-data": {"get": {
                "summary": "The open-data catalogue (DCAT-AP style): surveys whose results are "
                           "open data, licensed CC BY 4.0",
                "responses": {"200": {"description": "the catalogue", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/OpenData"}}}},
                    "503": SCOPED_ERRORS["503"]},
            }},
            "/api/v1/surveys/{slug}/admin": {"get": {
                "summary": "A survey as its administrators see it (needs an API token)",
                "description": "Status (drafts too), the language-rights override and the "
                               "translation state. Only for a token whose account may view "
                               "the survey: anyone else gets 404, as for a survey that does "
                               "not exist. Tokens are made at /<lang>/admin/tokens.",
                "security": [{"bearerAuth": []}],
                "parameters": [SLUG],
                "responses": {
                    "200": {"description": "the survey", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/SurveyAdmin"}}}},
                    "401": _error("no token, or one that is unknown, revoked or of an "
                                  "inactive account"),
                    "404": _error("no such survey, or not one this token's account may view"),
                    "503": _error("the database is unavailable; try again (Retry-After)")},
            }},
        },
        "components": {
            "schemas": {
                "Error": ERROR, "Scope": SCOPE, "Question": QUESTION, "Release": RELEASE,
                "Results": RESULTS, "Unit": UNIT, "Monthly": MONTHLY, "Surveys": SURVEY_LIST,
                "SurveyAdmin": SURVEY_ADMIN, "OpenData": OPEN_DATA,
            },
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "an API token (`plt_…`) made at /<lang>/admin/tokens; it acts "
                               "with its account's rights"}},
        },
    }


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(document())


@bp.get("/api/docs")
def docs():
    return render_template("api_docs.html", doc=document())
