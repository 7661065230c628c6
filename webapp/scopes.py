"""Resolve a results scope (whole country, a collaboration area, a county) from query arguments."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from surveys.models import Region
from surveys.regions import get_area, name_in, region_codes_in_area

# Finland in each interface language (the Sámi names are the established ones, e.g. Suopma).
COUNTRY_NAMES = {"fi": "Suomi", "sv": "Finland", "se": "Suopma", "smn": "Suomâ",
                 "sms": "Lääʹddjânnam", "en": "Finland"}


class ScopeError(ValueError):
    pass


def resolve(session: Session, region: str | None, area: str | None,
            lang: str) -> tuple[list[str] | None, dict[str, Any]]:
    if region and area:
        raise ScopeError("give region or area, not both")
    if region:
        r = session.get(Region, region)
        if r is None:
            raise ScopeError(f"unknown region {region!r}")
        return [r.code], {"level": "region", "code": r.code, "name": name_in(r, lang),
                          "area": r.collaboration_area}
    if area:
        a = get_area(session, area)
        if a is None:
            raise ScopeError(f"unknown area {area!r}")
        return region_codes_in_area(session, area), {"level": "area", "code": a.code,
                                                      "name": name_in(a, lang)}
    return None, {"level": "country", "code": "FI", "name": COUNTRY_NAMES.get(lang, "Suomi")}
