"""Administrators' pages: home, surveys (language rights, review state), interface translation
status, accounts, the audit log (page and CSV) and the health of the queue (backlog, quarantined
responses, failed jobs, bursts of submissions). Each goes through `access.requires`."""

from __future__ import annotations

import logging

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from surveys import feedback
from surveys.accounts import audit, policy, users
from surveys.definitions import content_po, lookup
from surveys.definitions.format import localized, missing_texts
from surveys.definitions.lifecycle import language_rights_violations
from surveys.fold import aggregation, quarantine
from surveys.infra import bursts, queue, task_status
from surveys.infra.db import session_scope
from surveys.languages import LANGUAGES, REQUIRED_COMPLETE, catalogs
from surveys.models import Region
from surveys.reference.regions import name_in

from ..extensions import get_db, get_redis, settings
from . import auth
from .access import allowed, requires
from .blueprints import bp

log = logging.getLogger(__name__)

STATUS_NAMES = {
    "draft": lazy_gettext("Draft (not open)"),
    "scheduled": lazy_gettext("Scheduled to open"),
    "published": lazy_gettext("Open for answers"),
    "closed": lazy_gettext("Closed"),
    "archived": lazy_gettext("Archived"),
}
AUDIENCE_NAMES = {"citizen": lazy_gettext("Residents"), "staff": lazy_gettext("Staff")}
REVIEW_NAMES = {
    "draft": lazy_gettext("Draft, awaiting native review"),
    "reviewed": lazy_gettext("Reviewed"),
}
ROLE_NAMES = {
    "national_admin": lazy_gettext("National administrator"),
    "region_admin": lazy_gettext("County administrator"),
    "hr_admin": lazy_gettext("HR administrator"),
    "analyst": lazy_gettext("Analyst"),
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
AUDIT_PAGE_SIZE = 200
REBUILD_JOB = "workers.jobs.rebuild_aggregates"  # by name: the web tier never imports workers
# A survey language's state (surveys.definitions.content_po.language_state).
STATE_NAMES = {
    content_po.COMPLETE: lazy_gettext("Complete"),
    content_po.DRAFT: lazy_gettext("Draft, awaiting native review"),
    content_po.MISSING: lazy_gettext("Missing"),
}


def _scope_name(scope: str) -> str:
    if scope == "national":
        return str(lazy_gettext("Whole country"))
    region = get_db().get(Region, scope)
    return name_in(region, g.lang) if region else scope


@bp.get("/")
@requires("view", "site")
def home():
    links = {
        "surveys": True,
        "translations": allowed("view", policy.TRANSLATIONS),
        "users": allowed("manage_users", policy.AccountObject()),
        "invite": allowed("invite", policy.AccountObject()),
        "audit": allowed("view_audit", policy.AUDIT_LOG),
        "queue": allowed("view", policy.QUEUE),
        "units": allowed("view", policy.UNITS),  # staff surveys (webapp/admin/staff.py)
    }
    return render_template("admin_home.html", links=links,
                           role=ROLE_NAMES[auth.actor().role])


@bp.get("/surveys")
@requires("view", "site")
def surveys():
    rows = [s for s in lookup.listing(get_db(), statuses=None)
            if allowed("view", policy.survey_object(s))]
    listed = [
        {"slug": s.slug, "title": localized(s.definition["title"], g.lang),
         "status": STATUS_NAMES[s.status], "scope": _scope_name(s.scope),
         "override": s.language_rights_override is not None}
        for s in rows
    ]
    return render_template("admin_surveys.html", surveys=listed,
                           show_translations=allowed("view", policy.TRANSLATIONS),
                           may_create=allowed("create_survey", policy.SITE))


def _comment_regions(db, found) -> list[tuple[str, str]]:
    """The counties whose free-text comments of this survey the account may read."""
    if found.status == "draft" or not any(q["type"] == "text"
                                          for q in found.definition["questions"]):
        return []
    obj = policy.survey_object(found)
    regions = db.query(Region).order_by(Region.code).all()
    return sorted(((r.code, name_in(r, g.lang)) for r in regions
                   if allowed("read", policy.CommentsObject(obj, r.code))), key=lambda p: p[1])


@bp.get("/surveys/<slug>")
@requires("view", "survey")
def survey(slug: str):
    db = get_db()
    found = g.admin_object
    d = found.definition
    review = d.get("translation_review", {})
    languages = [
        {"code": lang, "missing": len(missing_texts(d, lang)),
         "review": REVIEW_NAMES.get(review.get(lang, "")) if review.get(lang) else None}
        for lang in d["languages"]
    ]
    violations = [] if found.status != "draft" else language_rights_violations(db, found)
    override = found.language_rights_override
    return render_template(
        "admin_survey.html", item=found, title=localized(d["title"], g.lang),
        status=STATUS_NAMES[found.status], audience=AUDIENCE_NAMES[found.audience],
        scope=_scope_name(found.scope), languages=languages,
        violations=[v.as_dict() for v in violations], override=override,
        rule_texts=RULE_TEXTS, may_edit=allowed("edit", policy.survey_object(found)),
        comment_regions=_comment_regions(db, found),
        may_reopen=found.status == "closed" and found.responses_purged_on is None
        and allowed("reopen", policy.survey_object(found)),
        may_archive=found.status == "closed" and allowed("archive",
                                                         policy.survey_object(found)),
        may_read_results=found.status not in ("draft", "scheduled")
        and allowed("view_results", policy.survey_object(found)),
        may_invite=allowed("invite", policy.survey_object(found)),
    )


@bp.get("/translations")
@requires("view", "translations")
def translations():
    db = get_db()
    survey_rows = []
    for s in lookup.listing(db, statuses=None):
        if not allowed("view", policy.survey_object(s)):
            continue
        states = {lang: content_po.language_state(s.definition, lang)
                  for lang in s.definition["languages"]}
        survey_rows.append({"slug": s.slug, "title": localized(s.definition["title"], g.lang),
                            "source": s.definition["languages"][0], "states": states})
    return render_template("admin_translations.html", statuses=catalogs.status(),
                           required=REQUIRED_COMPLETE, review_names=REVIEW_NAMES,
                           reports=feedback.translation_reports(db), surveys=survey_rows,
                           languages=LANGUAGES, state_names=STATE_NAMES)


@bp.get("/accessibility-feedback")
@requires("view", "translations")
def accessibility_feedback():
    """Feedback sent through the accessibility statement, newest first (no personal data is
    asked; the same admins as the interface translation status see it)."""
    return render_template("admin_accessibility_feedback.html",
                           items=feedback.accessibility_feedback(get_db()))


@bp.get("/queue")
@requires("view", "queue")
def queue_health():
    """The fold's health: the queue, the outbox backlog, quarantined responses, failed jobs
    and bursts of submissions. Counts only: no answer, no response id."""
    db = get_db()
    titles = {s.slug: localized(s.definition["title"], g.lang)
              for s in lookup.listing(db, statuses=None)}
    regions = {r.code: name_in(r, g.lang) for r in db.query(Region)}
    quarantined = [{"slug": slug, "title": titles.get(slug, slug), "count": n}
                   for slug, n in quarantine.counts_by_survey(db).items()]
    health, flagged = None, []
    try:
        conn = get_redis()
        health = queue.health(conn)
        flagged = [{**b._asdict(), "title": titles.get(b.survey, b.survey),
                    "county_name": regions.get(b.county, b.county)}
                   for b in bursts.flagged(conn)]
    except Exception as exc:  # noqa: BLE001 - the page still shows what the database knows
        log.warning("queue health: Redis not reachable: %s", type(exc).__name__)
    return render_template("admin_queue.html", pending=aggregation.pending_count(db),
                           quarantined=quarantined, health=health, bursts=flagged)


@bp.route("/queue/requeue", methods=["GET", "POST"])
@requires("requeue", "queue")
def requeue_job():
    """POST: put a failed job (form field `job`) back on the queue; the jobs are safe to run
    twice. GET: the queue page, where the buttons are."""
    if request.method == "GET":
        return queue_health()
    job_id = request.form.get("job", "")[:100]
    done = bool(job_id) and queue.requeue_failed(get_redis(), job_id)
    auth.record("queue.requeue", "ok" if done else "not_found", object_kind="queue",
                object_id=job_id)
    get_db().commit()
    if not done:
        abort(404)
    return redirect(url_for("admin.queue_health"), code=303)


@bp.route("/queue/rebuild", methods=["GET", "POST"])
@requires("rebuild", "queue")
def rebuild_aggregates():
    """POST: recount every survey's aggregates from the stored responses in a job (as `palaute
    aggregates rebuild`), then show its progress. GET: the queue page, where the button is."""
    if request.method == "GET":
        return queue_health()
    task_id = task_status.new_id()
    task_status.start(get_redis(), task_id, "rebuild", REBUILD_JOB)
    auth.record("aggregates.rebuild", object_kind="queue", object_id=task_id)
    get_db().commit()
    return redirect(url_for("admin.task_progress", task_id=task_id), code=303)


@bp.get("/queue/tasks/<task_id>")
@requires("rebuild", "queue")
def task_progress(task_id: str):
    """A long admin task's progress, refreshing itself every few seconds (no JavaScript)."""
    status = task_status.get(get_redis(), task_id) if task_status.valid_id(task_id) else None
    if status is None:
        abort(404)
    percent = int(status.get("percent", "0"))
    return render_template("admin_task.html", status=status, percent=percent)


@bp.get("/users")
@requires("manage_users", "account")
def accounts():
    return render_template("admin_users.html", accounts=users.listing(get_db()),
                           role_names=ROLE_NAMES)


@bp.get("/audit")
@requires("view_audit", "audit")
def audit_log():
    db = get_db()
    events = audit.latest(db, AUDIT_PAGE_SIZE)
    auth.record("audit.view", object_kind="audit")
    db.commit()
    return render_template("admin_audit.html", events=events)


@bp.get("/audit.csv")
@requires("export", "audit")
def audit_csv():
    db = get_db()
    auth.record("audit.export", object_kind="audit")
    db.commit()
    config = settings()

    def lines():
        # Its own session: the request's is closed before a streamed body is sent.
        with session_scope(config) as own:
            yield from audit.csv_lines(audit.all_events(own))

    return Response(lines(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="palaute-audit.csv"'})
