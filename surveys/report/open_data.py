"""The open-data catalogue: surveys whose aggregated results are published as open data
(`open_data: true` in the definition), described with DCAT-AP's fields so that a national
open-data portal can harvest them (`GET /api/v1/open-data`).

Only published figures are offered (the same releases and suppression as every results view);
the catalogue itself holds no figure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from surveys.definitions.snapshots import SurveySnapshot
from surveys.models import Region
from surveys.reference.regions import name_in

from . import releases

LICENSE_URI = "https://creativecommons.org/licenses/by/4.0/"
LICENSE_NAME = "CC BY 4.0"
# The publisher of a national survey: the counties together.
NATIONAL_PUBLISHER = {"fi": "Hyvinvointialueet", "sv": "Välfärdsområdena",
                      "en": "Wellbeing services counties"}
PUBLISHER_LANGUAGES = ("fi", "sv", "en")


def open_surveys(surveys: list[SurveySnapshot]) -> list[SurveySnapshot]:
    return [s for s in surveys if s.definition.get("open_data")]


def publisher(session: Session, survey: SurveySnapshot) -> dict[str, Any]:
    if survey.scope == "national":
        return {"name": dict(NATIONAL_PUBLISHER), "identifier": None}
    region = session.get(Region, survey.scope)
    names = {lang: name_in(region, lang) for lang in PUBLISHER_LANGUAGES} if region else {}
    return {"name": names, "identifier": survey.scope}


def dataset(session: Session, survey: SurveySnapshot,
            url_for: Callable[[str, str], str]) -> dict[str, Any]:
    """One DCAT-AP style dataset. `url_for(kind, slug)` gives a distribution's absolute URL
    ("json" or "csv")."""
    d = survey.definition
    release = releases.latest(session, survey.id)
    return {
        "identifier": survey.slug,
        "title": dict(d["title"]),
        "description": dict(d.get("description", {})),
        "language": list(d["languages"]),
        "keyword": [f"goal-{n}" for n in d.get("goals", [])],
        "spatial": "FI" if survey.scope == "national" else survey.scope,
        "license": LICENSE_URI,
        "publisher": publisher(session, survey),
        # The date of the figures offered: the latest release (null before the first one, and
        # when the server shows figures live).
        "modified": release.released_at.date().isoformat() if release else None,
        "distribution": [
            {"title": "JSON", "format": "JSON", "mediaType": "application/json",
             "accessURL": url_for("json", survey.slug), "downloadURL": url_for("json", survey.slug),
             "license": LICENSE_URI},
            {"title": "CSV", "format": "CSV", "mediaType": "text/csv",
             "accessURL": url_for("csv", survey.slug), "downloadURL": url_for("csv", survey.slug),
             "license": LICENSE_URI},
        ],
    }


def catalogue(session: Session, surveys: list[SurveySnapshot],
              url_for: Callable[[str, str], str]) -> dict[str, Any]:
    return {
        "title": {"fi": "Palaute: hyvinvointialueiden kyselyjen tulokset",
                  "sv": "Palaute: resultat av välfärdsområdenas enkäter",
                  "en": "Palaute: results of the wellbeing services counties' surveys"},
        "license": LICENSE_URI,
        "datasets": [dataset(session, s, url_for) for s in open_surveys(surveys)],
    }
