"""Reference data: wellbeing services counties, collaboration areas, municipalities.

The CSV files in ``data/`` (Statistics Finland, CC BY 4.0; see SOURCES.md there) are
loaded into the database by a migration; the application reads regions from the database.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.models import CollaborationArea, Region

# Names of the five collaboration areas (Government Decree 91/2022).
COLLABORATION_AREAS: dict[str, dict[str, str]] = {
    "etela": {"name_fi": "Etelä-Suomen yhteistyöalue", "name_sv": "Södra Finlands samarbetsområde",
              "name_en": "Southern Finland collaboration area"},
    "ita": {"name_fi": "Itä-Suomen yhteistyöalue", "name_sv": "Östra Finlands samarbetsområde",
            "name_en": "Eastern Finland collaboration area"},
    "sisa": {"name_fi": "Sisä-Suomen yhteistyöalue", "name_sv": "Inre Finlands samarbetsområde",
             "name_en": "Inland Finland collaboration area"},
    "lansi": {"name_fi": "Länsi-Suomen yhteistyöalue", "name_sv": "Västra Finlands samarbetsområde",
              "name_en": "Western Finland collaboration area"},
    "pohjois": {"name_fi": "Pohjois-Suomen yhteistyöalue",
                "name_sv": "Norra Finlands samarbetsområde",
                "name_en": "Northern Finland collaboration area"},
}


def read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("surveys.reference").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def name_in(obj: Any, lang: str) -> str:
    """Region or area name in the page language. Sámi pages use the Finnish official name."""
    if lang == "sv":
        return obj.name_sv
    if lang == "en":
        return obj.name_en
    return obj.name_fi


# Ostrobothnia: about half the residents speak Swedish, and the county serves Swedish first.
SWEDISH_FIRST = frozenset({"17"})


def county_languages(region: Region) -> list[str]:
    """The county's official languages, in the order a bare link falls back to them."""
    langs = region.languages.split("+")
    if region.code in SWEDISH_FIRST:
        langs.sort(key=lambda lang: lang != "sv")
    return langs


def all_regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.code)))


def region_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Region.code)))


def get_area(session: Session, code: str) -> CollaborationArea | None:
    return session.get(CollaborationArea, code)


def region_codes_in_area(session: Session, area: str) -> list[str]:
    stmt = select(Region.code).where(Region.collaboration_area == area).order_by(Region.code)
    return list(session.scalars(stmt))
