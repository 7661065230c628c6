"""Administrators' pages: surveys (language rights, review state) and translation status.

There is no sign-in yet: these pages show nothing personal (no responses, only survey
definitions and catalog statistics), but they must go behind authentication when the admin UI
grows editing features.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from flask_babel import lazy_gettext
from sqlalchemy import select

from surveys import catalogs, service
from surveys.config import REQUIRED_COMPLETE
from surveys.definition import localized, missing_texts
from surveys.models import Region, Survey
from surveys.regions import name_in

from .app import get_db

bp = Blueprint("admin", __name__, url_prefix="/<lang>/admin")

STATUS_NAMES = {
    "draft": lazy_gettext("Draft (not open)"),
    "published": lazy_gettext("Open for answers"),
    "closed": lazy_gettext("Closed"),
}
AUDIENCE_NAMES = {"citizen": lazy_gettext("Residents"), "staff": lazy_gettext("Staff")}
REVIEW_NAMES = {
    "draft": lazy_gettext("Draft, awaiting native review"),
    "reviewed": lazy_gettext("Reviewed"),
}
# One sentence per rule, naming its law (a law's name inflects, so it is not a placeholder).
RULE_TEXTS = {
    "national": lazy_gettext("A national survey for residents must be available in Finnish "
                             "and Swedish (Language Act 423/2003)."),
    "bilingual_county": lazy_gettext("A survey for residents of a bilingual county must be "
                                     "available in Finnish and Swedish (Language Act "
                                     "423/2003)."),
    "sami_homeland": lazy_gettext("A survey for residents of a county with Sámi homeland "
                                  "municipalities must be available in Northern, Inari and "
                                  "Skolt Sámi (Sámi Language Act 1086/2003)."),
}


def _scope_name(scope: str) -> str:
    if scope == "national":
        return str(lazy_gettext("Whole country"))
    region = get_db().get(Region, scope)
    return name_in(region, g.lang) if region else scope


@bp.get("/surveys")
def surveys():
    rows = get_db().scalars(select(Survey).order_by(Survey.slug)).all()
    listed = [
        {"slug": s.slug, "title": localized(s.definition["title"], g.lang),
         "status": STATUS_NAMES[s.status], "scope": _scope_name(s.scope),
         "override": s.language_rights_override is not None}
        for s in rows
    ]
    return render_template("admin_surveys.html", surveys=listed)


@bp.get("/surveys/<slug>")
def survey(slug: str):
    db = get_db()
    found = service.get_survey(db, slug)
    if found is None:
        abort(404)
    d = found.definition
    review = d.get("translation_review", {})
    languages = [
        {"code": lang, "missing": len(missing_texts(d, lang)),
         "review": REVIEW_NAMES.get(review.get(lang, "")) if review.get(lang) else None}
        for lang in d["languages"]
    ]
    violations = [] if found.status != "draft" else service.language_rights_violations(db, found)
    override = found.language_rights_override
    return render_template(
        "admin_survey.html", item=found, title=localized(d["title"], g.lang),
        status=STATUS_NAMES[found.status], audience=AUDIENCE_NAMES[found.audience],
        scope=_scope_name(found.scope), languages=languages,
        violations=[v.as_dict() for v in violations], override=override,
        rule_texts=RULE_TEXTS,
    )


@bp.get("/translations")
def translations():
    return render_template("admin_translations.html", statuses=catalogs.status(),
                           required=REQUIRED_COMPLETE, review_names=REVIEW_NAMES)
