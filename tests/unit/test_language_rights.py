"""Language rights at publish: each rule on its own, the service with the reference data, the
`palaute surveys publish` command, and the recorded override on the survey's admin page."""

from __future__ import annotations

import yaml

from surveys.definitions.language_rights import (
    LANGUAGE_ACT,
    SAMI_LANGUAGE_ACT,
    County,
    check,
    complete_languages,
)

OSTROBOTHNIA = County("17", "Pohjanmaan hyvinvointialue", ("fi", "sv"), sami_homeland=False)
SATAKUNTA = County("06", "Satakunnan hyvinvointialue", ("fi",), sami_homeland=False)
LAPLAND = County("21", "Lapin hyvinvointialue", ("fi",), sami_homeland=True)


# --- the rules, pure ----------------------------------------------------------------------------
def test_national_citizen_survey_needs_finnish_and_swedish():
    [v] = check("citizen", "national", {"fi", "se"}, None)
    assert (v.rule, v.missing, v.law) == ("national", ("sv",), LANGUAGE_ACT)
    assert "sv" in v.message() and "423/2003" in v.message()
    [v] = check("citizen", "national", {"en"}, None)
    assert v.missing == ("fi", "sv")
    assert check("citizen", "national", {"fi", "sv"}, None) == []


def test_bilingual_county_survey_needs_both_languages():
    [v] = check("citizen", "17", {"sv"}, OSTROBOTHNIA)
    assert (v.rule, v.missing, v.law) == ("bilingual_county", ("fi",), LANGUAGE_ACT)
    [v] = check("citizen", "17", {"fi", "en"}, OSTROBOTHNIA)
    assert v.missing == ("sv",)
    assert check("citizen", "17", {"sv", "fi"}, OSTROBOTHNIA) == []
    # A Finnish-only county has no Swedish obligation under this rule.
    assert check("citizen", "06", {"fi"}, SATAKUNTA) == []


def test_lapland_survey_needs_all_three_sami_languages():
    [v] = check("citizen", "21", {"fi", "se"}, LAPLAND)
    assert (v.rule, v.missing, v.law) == ("sami_homeland", ("smn", "sms"), SAMI_LANGUAGE_ACT)
    assert "smn, sms" in v.message() and "1086/2003" in v.message()
    assert check("citizen", "21", {"fi", "se", "smn", "sms"}, LAPLAND) == []


def test_staff_surveys_are_not_covered():
    assert check("staff", "national", {"fi"}, None) == []
    assert check("staff", "21", {"fi"}, LAPLAND) == []


def test_a_declared_language_with_missing_texts_is_not_complete():
    definition = {
        "languages": ["fi", "sv"],
        "title": {"fi": "Kysely", "sv": "Enkät"},
        "description": {},
        "questions": [{"id": "q", "type": "text", "text": {"fi": "Kerro"}}],
    }
    assert complete_languages(definition) == {"fi"}


# --- with the database --------------------------------------------------------------------------
def survey_yaml(slug: str, scope: str, texts: dict[str, str], audience: str = "citizen") -> str:
    return yaml.safe_dump({
        "slug": slug, "audience": audience, "scope": scope, "languages": list(texts),
        "goals": [2], "title": texts,
        "questions": [{"id": "q1", "type": "likert5", "text": texts}],
    }, allow_unicode=True)


