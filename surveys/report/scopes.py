"""Results scopes: the whole country, a collaboration area, or a county."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from surveys.models import Region
from surveys.reference.regions import get_area, name_in, region_codes_in_area

from .disclosure import COUNTRY, area_place

# Finland in each interface language (the Sámi names are the established ones, e.g. Suopma).
COUNTRY_NAMES = {"fi": "Suomi", "sv": "Finland", "se": "Suopma", "smn": "Suomâ",
                 "sms": "Lääʹddjânnam", "en": "Finland"}


class ScopeError(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    level: str  # "country", "area" or "region"
    code: str
    name: str
    # The counties it covers (None: every county, the whole country).
    region_codes: tuple[str, ...] | None
    # A county's collaboration area.
    area: str | None = None

    @property
    def place(self) -> str:
        """Its place in the disclosure table (surveys.report.disclosure)."""
        if self.level == "country":
            return COUNTRY
        return area_place(self.code) if self.level == "area" else self.code

    def as_dict(self) -> dict[str, Any]:
        """The API's `scope` object."""
        out: dict[str, Any] = {"level": self.level, "code": self.code, "name": self.name}
        if self.level == "region":
            out["area"] = self.area
        return out


def resolve(session: Session, region: str | None, area: str | None, lang: str) -> Scope:
    if region and area:
        raise ScopeError("give region or area, not both")
    if region:
        r = session.get(Region, region)
        if r is None:
            raise ScopeError(f"unknown region {region!r}")
        return Scope("region", r.code, name_in(r, lang), (r.code,), r.collaboration_area)
    if area:
        a = get_area(session, area)
        if a is None:
            raise ScopeError(f"unknown area {area!r}")
        return Scope("area", a.code, name_in(a, lang),
                     tuple(region_codes_in_area(session, area)))
    return Scope("country", COUNTRY, COUNTRY_NAMES.get(lang, "Suomi"), None)
