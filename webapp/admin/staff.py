"""HR's pages for staff surveys: the organisation's units (upload the CSV, see the tree with
headcounts) and a survey's invitations (create one-time links per unit as a CSV download, or
mail them to a list of addresses and send reminders, see the mails' counts and the response
rate per unit as of the latest daily count, never live: surveys.staff.participation; never
which address got which invitation). Behind `access.requires` and, per
organisation, the policy's "organisation" objects: an HR admin sees and changes only its own
organisation; a survey's invitations are the policy's "invite" action."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Response, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from redis import exceptions as redis_exc
from sqlalchemy.exc import IntegrityError

from surveys.accounts import policy
from surveys.infra import queue
from surveys.models import Region
from surveys.reference.regions import all_regions, name_in
from surveys.staff import invitations, mailing, participation, units

from ..extensions import get_db, get_redis, settings, today
from . import auth
from .access import allowed, requires
from .blueprints import bp

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
PROBLEM_TEXTS = {
    "not_utf8": lazy_gettext("The file is not UTF-8 text."),
    "empty": lazy_gettext("The file is empty."),
    "missing_column": lazy_gettext("Missing column: %(value)s"),
    "wrong_field_count": lazy_gettext("Wrong number of fields."),
    "bad_code": lazy_gettext("Bad unit code “%(value)s” (letters, digits, . _ -; at most 40)."),
    "duplicate_code": lazy_gettext("Duplicate unit code “%(value)s”."),
    "unknown_parent": lazy_gettext("Unknown parent unit “%(value)s”."),
    "cycle": lazy_gettext("Unit “%(value)s” is in a cycle of parents."),
    "bad_headcount": lazy_gettext("Headcount “%(value)s” is not a whole number of at least 0."),
    "missing_name": lazy_gettext("Missing name (%(value)s)."),
    "no_root": lazy_gettext("No organisation row (a row with an empty parent_code)."),
    "two_roots": lazy_gettext("A second organisation row “%(value)s” (only one row may have "
                              "an empty parent_code)."),
    "name_too_long": lazy_gettext("Name longer than 200 characters (%(value)s)."),
}
INVITATION_ERRORS = {
    "not_staff": lazy_gettext("This is not a staff survey."),
    "no_organisation": lazy_gettext("This survey names no organisation."),
    "unknown_unit": lazy_gettext("No such unit in the survey's organisation."),
    "retired_unit": lazy_gettext("This unit is retired."),
    "bad_count": lazy_gettext("The number of invitations must be between 1 and 100000."),
    "not_open": lazy_gettext("The survey is closed."),
    "not_published": lazy_gettext("The survey is not open for answers yet."),
    "no_addresses": lazy_gettext("No invitations have been mailed yet, so there is no one to "
                                 "remind."),
}
ADDRESS_PROBLEMS = {
    "not_utf8": lazy_gettext("The file is not UTF-8 text."),
    "empty": lazy_gettext("The list has no addresses."),
    "too_many": lazy_gettext("The list has more than 100000 addresses."),
    "bad_address": lazy_gettext("Not an e-mail address: “%(value)s”."),
}


def _visible_trees():
    db = get_db()
    trees = []
    for root in units.organisations(db):
        if allowed("view", policy.OrganisationObject(root.region_code, root.code)):
            region = db.get(Region, root.region_code)
            trees.append({"root": root, "region": name_in(region, g.lang) if region else "",
                          "units": units.tree(db, root)})
    return trees


@bp.route("/units", methods=["GET", "POST"])
@requires("view", "units")
def units_page():
    problems, summary, status = [], None, 200
    if request.method == "POST":
        problems, summary, status = _upload()
    regions = [(r.code, name_in(r, g.lang)) for r in all_regions(get_db())]
    return render_template("admin_units.html", trees=_visible_trees(), problems=problems,
                           summary=summary, regions=regions), status


def _upload():
    db = get_db()
    region = request.form.get("region", "")
    upload = request.files.get("file")
    data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if db.get(Region, region) is None:
        return [(0, lazy_gettext("Choose the county."))], None, 400
    if len(data) > MAX_UPLOAD_BYTES:
        return [(0, lazy_gettext("The file is too large."))], None, None, 413
    try:
        rows = units.parse(data)
    except units.UnitsFileError as exc:
        return [(p.line, PROBLEM_TEXTS[p.code] % {"value": p.value})
                for p in exc.problems], None, 400
    # The file's organisation and the county's current one (if any) must both be the actor's.
    current = [r for r in units.organisations(db) if r.region_code == region]
    targets = [policy.OrganisationObject(region, rows[0].code)] + [
        policy.OrganisationObject(region, r.code) for r in current if r.retired_on is None]
    if not all(allowed("manage_units", t) for t in targets):
        auth.record("units.import", "denied", object_kind="organisation",
                    object_id=f"{region}:{rows[0].code}")
        db.commit()
        return [(0, lazy_gettext("You may import only your own organisation's units."))], \
            None, 403
    summary = units.apply(db, region, rows, today())
    auth.record("units.import", object_kind="organisation", object_id=f"{region}:{rows[0].code}")
    db.commit()
    return [], summary, 200


@bp.route("/surveys/<slug>/invitations", methods=["GET", "POST"])
@requires("invite", "survey")
def survey_invitations(slug: str):
    db = get_db()
    survey = g.admin_object
    root = invitations.organisation_of(db, survey)
    error, problems = None, []
    if request.method == "POST":
        action = request.form.get("do", "links")
        try:
            if action == "mail":
                problems, response = _mail(survey)
                if response is not None:
                    return response
            elif action in ("remind", "retry"):
                unit_code = request.form.get("unit", "")
                if action == "remind":
                    # A request only: the night's count decides who is reminded
                    # (surveys.staff.mailing.resolve_requests), never this click.
                    mailing.remind(db, survey, unit_code or None)
                    auth.record("invitations.remind", object_kind="survey",
                                object_id=f"{slug}:{unit_code or '*'}")
                else:
                    mailing.retry_failed(db, survey, unit_code or None)
                    auth.record("invitations.retry", object_kind="survey",
                                object_id=f"{slug}:{unit_code or '*'}")
                db.commit()
                if action == "retry":  # the first mails go now, the reminders at the night
                    _enqueue(survey.id)
                return _done(slug, action)
            else:
                return _links(survey, slug)
        except invitations.InvitationError as exc:
            db.rollback()
            error = INVITATION_ERRORS[exc.code]
    tree, counted, rows, mails, pending = [], None, [], [], []
    if root is not None:
        tree = units.tree(db, root)
        # Participation as of the latest daily count, never the live spent flags: a figure
        # that moved when someone answers would tell HR who answered when.
        latest = participation.rates(db, survey)
        if latest is not None:
            counted, rows = latest
        mails = mailing.progress(db, survey, root)
        pending = mailing.pending_requests(db, survey)
    status = 400 if error or problems else 200
    return render_template("admin_invitations.html", item=survey, root=root, tree=tree,
                           rows=rows, as_of=counted - timedelta(days=1) if counted else None,
                           mails=mails, pending=pending, error=error, problems=problems,
                           stuck_minutes=int(mailing.STUCK_AFTER.total_seconds() // 60),
                           done=request.args.get("done"),
                           added=request.args.get("added", type=int),
                           merged=request.args.get("merged", type=int),
                           already=request.args.get("already", type=int),
                           addresses=request.form.get("addresses", "") if problems else ""), \
        status


def _done(slug: str, what: str, **counts):
    """Post/redirect/get: reloading the page shows the counts again and sends nothing."""
    return redirect(url_for("admin.survey_invitations", slug=slug, done=what, **counts), 303)


def _enqueue(survey_id: int) -> None:
    try:
        queue.enqueue_invitation_mail(get_redis(), survey_id)
    except (redis_exc.RedisError, OSError) as exc:
        # The rows are committed as queued: the periodic sweep enqueues the job later.
        log.warning("invitation mail not enqueued, the sweep will: %s", type(exc).__name__)


def _mail(survey):
    """Invite the uploaded (or typed) addresses for one unit: nothing is stored if any line is
    bad. Returns (problems, None), or ([], the redirect to the page with the counts)."""
    db = get_db()
    upload = request.files.get("addresses_file")
    data = upload.read(MAX_UPLOAD_BYTES + 1) if upload and upload.filename else b""
    if len(data) > MAX_UPLOAD_BYTES:
        return [(0, lazy_gettext("The file is too large."))], None
    try:
        parsed = mailing.parse_addresses(data or request.form.get("addresses", ""))
    except mailing.AddressListError as exc:
        return [(line, ADDRESS_PROBLEMS[code] % {"value": value})
                for line, code, value in exc.problems], None
    unit_code = request.form.get("unit", "")
    for attempt in (1, 2):
        try:
            added = mailing.add(db, survey, unit_code, parsed, settings().secret(),
                                settings().public_url or request.host_url)
            auth.record("invitations.mail", object_kind="survey",
                        object_id=f"{survey.slug}:{unit_code}:{added.added}")
            db.commit()
            break
        except IntegrityError:
            # The same addresses uploaded at the same moment (two tabs, a double click): the
            # other upload committed first. Nothing of this one is kept; once more, its
            # addresses are found as already invited.
            db.rollback()
            if attempt == 2:
                raise
    if added.added:
        _enqueue(survey.id)
    return [], _done(survey.slug, "mail", added=added.added, merged=added.merged,
                     already=added.already)


def _links(survey, slug: str):
    db = get_db()
    try:
        count = int(request.form.get("count", ""))
    except ValueError:
        count = 0
    tokens = invitations.create(db, survey, request.form.get("unit", ""), count)
    unit_code = request.form["unit"]
    auth.record("invitations.create", object_kind="survey",
                object_id=f"{slug}:{unit_code}:{count}")
    db.commit()
    lang = g.lang if g.lang in survey.definition["languages"] \
        else survey.definition["languages"][0]
    return Response(invitations.links_csv(request.host_url, lang, unit_code, tokens),
                    mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="invitations-{slug}-{unit_code}.csv"'})
