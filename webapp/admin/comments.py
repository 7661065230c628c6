"""Free-text comments of one survey and one county, for the county's signed-in roles, and the
analysts' theme tags on them (surveys.report.comments). Never linked from a public page."""

from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, url_for

from surveys.definitions.format import localized
from surveys.models import Region
from surveys.reference.regions import name_in
from surveys.report import comments

from ..extensions import get_db
from . import auth
from .access import requires
from .blueprints import bp


def _secret() -> bytes:
    return str(current_app.secret_key).encode()


def _survey(slug: str):
    """The survey `@requires` loaded (any status: a draft simply has no comments)."""
    return g.admin_object


@bp.get("/surveys/<slug>/comments/<region>")
@requires("read", "comments")
def survey_comments(slug: str, region: str):
    db = get_db()
    survey = _survey(slug)
    found = comments.read(db, survey, region, _secret(), g.lang)
    auth.record("comments.read", object_kind="comments", object_id=f"{slug}:{region}")
    db.commit()
    resp = current_app.make_response(render_template(
        "admin_comments.html", survey=survey, region=region,
        region_name=name_in(db.get(Region, region), g.lang),
        title=localized(survey.definition["title"], g.lang), found=found,
        themes=comments.themes(db, survey.id, region)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/surveys/<slug>/comments/<region>/tags", methods=["GET", "POST"])
@requires("tag", "comments")
def tag_comment(slug: str, region: str):
    """POST: add (or with `remove`, take away) a theme tag on one comment, named by its key.
    GET: the comments page, where the forms are."""
    if request.method == "GET":
        return survey_comments(slug=slug, region=region)
    db = get_db()
    survey = _survey(slug)
    qid = request.form.get("question", "")[:64]
    key = request.form.get("comment", "")[:64]
    tag = request.form.get("tag", "")
    if not comments.known_key(db, survey, region, qid, key, _secret()):
        abort(404)
    if request.form.get("remove"):
        comments.remove_tag(db, survey.id, region, qid, key, tag)
    elif not comments.add_tag(db, survey.id, region, qid, key, tag):
        abort(400)
    # The audit log names the survey and county, never the comment or the tag's text.
    auth.record("comments.tag", object_kind="comments", object_id=f"{slug}:{region}")
    db.commit()
    return redirect(url_for("admin.survey_comments", slug=slug, region=region) + "#c-" + key[:12],
                    code=303)
