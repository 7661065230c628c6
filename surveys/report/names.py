"""The names every part of the disclosure model shares: places, periods and counted keys
(surveys.report.audit re-exports them). A leaf module, so that the search for derivable sets
(surveys.report.derivable), which the auditor calls, imports nothing of the auditor."""

COUNTRY = "FI"
ALL_MONTHS = "*"
RESPONDENTS = "*"
N = "n"
LANG = "lang:"  # + a language code: a period that is the whole period in that language


def area_place(area: str) -> str:
    return f"area:{area}"


def lang_period(lang: str) -> str:
    return LANG + lang
