"""Demo surveys shipped with the project (`palaute demo seed`)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy.orm import Session

from .. import lifecycle
from ..format import parse_yaml
from ..lookup import find


def definitions() -> list[str]:
    folder = resources.files(__name__)
    return [f.read_text("utf-8") for f in sorted(folder.iterdir(), key=lambda f: f.name)
            if f.name.endswith(".yaml")]


def seed(session: Session) -> list[tuple[str, bool]]:
    """Import and publish each demo survey not yet present. Returns (slug, created) pairs."""
    done = []
    for text in definitions():
        survey = find(session, parse_yaml(text)["slug"])
        created = survey is None
        if survey is None:
            survey, _ = lifecycle.import_survey(session, text)
        if survey.status == "draft":
            lifecycle.publish(session, survey.slug)
        done.append((survey.slug, created))
    return done
