"""Language rights a citizen survey must respect before it is published.

Pure rules over plain facts (the survey's audience and scope, its complete languages, the
county's official languages and whether the county contains Sámi homeland municipalities), so
each rule is tested on its own. `surveys.definitions.lifecycle.publish` gathers the facts from
the database.

- Language Act (423/2003): a bilingual authority serves the public in Finnish and Swedish; the
  state (a national survey) likewise.
- Sámi Language Act (1086/2003): in the Sámi homeland (Enontekiö, Inari, Utsjoki, northern
  Sodankylä) a Sámi speaker may use Northern, Inari or Skolt Sámi with the authorities. All of
  the homeland lies in Lapland, so a Lapland citizen survey needs all three.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from .format import missing_texts

LANGUAGE_ACT = "Language Act 423/2003"
SAMI_LANGUAGE_ACT = "Sámi Language Act 1086/2003"

NATIONAL_LANGUAGES = ("fi", "sv")
SAMI_LANGUAGES = ("se", "smn", "sms")


@dataclass(frozen=True)
class County:
    """What the rules need to know about a wellbeing services county."""

    code: str
    name: str
    languages: tuple[str, ...]  # official languages, e.g. ("fi", "sv")
    sami_homeland: bool  # contains Sámi homeland municipalities


@dataclass(frozen=True)
class Violation:
    rule: str  # "national" | "bilingual_county" | "sami_homeland"
    missing: tuple[str, ...]
    law: str

    def message(self) -> str:
        langs = ", ".join(self.missing)
        if self.rule == "national":
            who = "a national citizen survey must be complete in Finnish and Swedish"
        elif self.rule == "bilingual_county":
            who = "a citizen survey for a bilingual county must be complete in Finnish and Swedish"
        else:
            who = ("a citizen survey for a county with Sámi homeland municipalities must be "
                   "complete in Northern, Inari and Skolt Sámi")
        return f"{who}; missing: {langs} ({self.law})"

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "missing": list(self.missing), "law": self.law}


def complete_languages(definition: dict[str, Any]) -> set[str]:
    """Languages the survey is offered in (declared) and has every text in."""
    return {lang for lang in definition["languages"] if not missing_texts(definition, lang)}


def _lacking(required: Iterable[str], complete: Collection[str]) -> tuple[str, ...]:
    return tuple(lang for lang in required if lang not in complete)


def check(audience: str, scope: str, complete: Collection[str],
          county: County | None) -> list[Violation]:
    """Violations of language rights for a survey; empty when it may be published.

    `county` is None for a national survey. Staff surveys are internal and not covered.
    """
    if audience != "citizen":
        return []
    violations: list[Violation] = []
    if scope == "national":
        if missing := _lacking(NATIONAL_LANGUAGES, complete):
            violations.append(Violation("national", missing, LANGUAGE_ACT))
        return violations
    if county is None:
        raise ValueError(f"county facts needed for scope {scope!r}")
    if len(county.languages) > 1 and (missing := _lacking(county.languages, complete)):
        violations.append(Violation("bilingual_county", missing, LANGUAGE_ACT))
    if county.sami_homeland and (missing := _lacking(SAMI_LANGUAGES, complete)):
        violations.append(Violation("sami_homeland", missing, SAMI_LANGUAGE_ACT))
    return violations
