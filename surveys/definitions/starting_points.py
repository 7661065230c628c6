"""Where a new survey can start from (issue 14): the templates shipped with Palaute, and the
surveys an administrator's own area has made (a county's own surveys are its templates, so a
survey saved once can be started again without a table of copies).

A starting point is a definition without what makes a survey one survey: its address name,
its dates, its earlier question versions and its review marks (its Sámi texts start as drafts:
surveys.definitions.content_po.edited_sami_as_drafts); the builder asks for the rest."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from .format import base_id, localized, parse_yaml

TEMPLATE_PREFIX = "template:"
SURVEY_PREFIX = "survey:"
# What a copy leaves behind: it names or dates the original, or records its answers' history.
NOT_COPIED = ("slug", "opens_on", "closes_on", "retired_questions", "translation_review",
              "language_rights_override")


@dataclass(frozen=True)
class StartingPoint:
    key: str  # "template:<file stem>" or "survey:<slug>"
    title: str
    audience: str
    source: str  # where the texts come from, as the template's README says


def _template_files() -> dict[str, str]:
    folder = resources.files("surveys.definitions") / "templates"
    return {f.name.removesuffix(".yaml"): f.read_text("utf-8")
            for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".yaml")}


def shipped(lang: str) -> list[StartingPoint]:
    out = []
    for stem, text in _template_files().items():
        d = parse_yaml(text)
        out.append(StartingPoint(f"{TEMPLATE_PREFIX}{stem}", localized(d["title"], lang),
                                 d["audience"], "surveys/definitions/templates/README.md"))
    return out


def template_definition(key: str) -> dict[str, Any] | None:
    """The shipped template `key` as a new survey's definition; None for an unknown key."""
    text = _template_files().get(key.removeprefix(TEMPLATE_PREFIX)) \
        if key.startswith(TEMPLATE_PREFIX) else None
    return None if text is None else as_new(parse_yaml(text))


def as_new(definition: dict[str, Any]) -> dict[str, Any]:
    """`definition` as the start of a new draft: each question at version 1 under its own id
    (nobody has answered the copy), nothing that names or dates the original."""
    d = {k: v for k, v in definition.items() if k not in NOT_COPIED}
    d["slug"] = ""
    d["questions"] = [{**{k: v for k, v in q.items() if k != "version"}, "id": base_id(q)}
                      for q in definition["questions"]]
    return d
