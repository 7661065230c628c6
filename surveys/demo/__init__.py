"""Demo surveys shipped with the project (`palaute demo seed`)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy.orm import Session

from .. import service


def definitions() -> list[str]:
    folder = resources.files(__name__)
    return [f.read_text("utf-8") for f in sorted(folder.iterdir(), key=lambda f: f.name)
            if f.name.endswith(".yaml")]


def seed(session: Session) -> list[tuple[str, bool]]:
    """Import and publish each demo survey not yet present. Returns (slug, created) pairs."""
    done = []
    for text in definitions():
        survey, created = service.import_survey(session, text) if _new(session, text) else (
            service.get_survey(session, _slug(text)), False)
        if survey.status == "draft":
            service.publish(session, survey.slug)
        done.append((survey.slug, created))
    return done


def _slug(text: str) -> str:
    from ..definition import parse_yaml

    return parse_yaml(text)["slug"]


def _new(session: Session, text: str) -> bool:
    return service.get_survey(session, _slug(text)) is None
