"""Jobs run by `rq worker`. Each takes ids (or nothing), never objects, and is idempotent:
running it twice has the effect of running once. Each job owns its transactions."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy.exc import IntegrityError

from surveys.accounts import audit, links, mails, sessions
from surveys.definitions import lifecycle, lookup
from surveys.fold import aggregation, quarantine, retention
from surveys.infra import clock, db, export_status, mail, queue, task_status
from surveys.models import AccountLink, SpentInvitation, Survey, User
from surveys.report import bulk_export, releases
from surveys.report import units as unit_report
from surveys.staff import invitations, mailing, participation

from .context import settings

log = logging.getLogger(__name__)


def _redis(config):
    """The running job's Redis connection, or one of its own when called outside a job (the
    CLI, tests)."""
    job = get_current_job()
    return job.connection if job else queue.connect(queue.redis_url(config))


def fold_pending(batch_size: int | None = None) -> int:
    """Fold every pending response into the aggregates. Returns how many were folded."""
    config = settings()
    # Smaller batches shorten each transaction (and what a killed worker has to redo).
    batch_size = batch_size or config.fold_batch_size
    job = get_current_job()
    if job is not None:
        # Waits until the fold has been scheduled for queue.FOLD_COALESCE_S, then clears the
        # flag before claiming: a response committed from now on schedules a new job.
        queue.clear_fold_flag(job.connection)
    folded = aggregation.fold_pending(lambda: db.new_session(config), batch_size)
    if folded:
        log.info("folded %d responses", folded)
    return folded


def sweep_outbox() -> int:
    """Periodic safety net: schedule a fold if responses are waiting (e.g. Redis was down), or
    if a closed survey's responses still wait in the holding table to be moved."""
    config = settings()
    with db.session_scope(config) as session:
        pending = aggregation.pending_count(session)
        to_move = aggregation.waiting_to_move(session)
    if pending or to_move:
        queue.enqueue_fold(_redis(config))
        log.info("sweep found %d responses waiting, %d closed surveys to move", pending, to_move)
    else:
        log.debug("sweep: nothing waiting")
    return pending


def cut_releases(now: str | None = None) -> dict[str, str | None]:
    """Hourly: hand every visible survey whose release is due (RESULTS_RELEASE hourly or daily;
    nothing under live), and every closed staff survey without a unit release or with answers
    folded since its last (units.release_due), to the release queue, one job each
    (cut_survey_releases). Returns {slug: job id, or None if a job of that survey still waits
    or runs, or this hour's was queued already}.

    A national cut audits for minutes: on a queue and a worker of their own, no cut holds back
    the fold, and one survey's cut that fails or times out is that survey's failed job alone.
    Safe to run twice: the second run finds this hour's jobs queued (or nothing due)."""
    config = settings()
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC).replace(tzinfo=None)
    queued: dict[str, str | None] = {}
    if config.results_release == "live":
        return queued
    with db.session_scope(config) as session:
        due = [s for s in lookup.listing(session)
               if releases.due(session, s, config.results_release, moment)
               or (unit_report.releasable(s) and unit_report.release_due(session, s))]
    connection = _redis(config)
    hour = moment.strftime("%Y-%m-%dT%H")
    for survey in due:
        job = queue.enqueue_release(connection, survey.id, hour, now)
        queued[survey.slug] = job.id if job is not None else None
        # Not queued: a job of this survey waits (and will cut what is due) or runs, or this
        # hour's ran (requeue a failed one from the queue-health page).
        log.info("results release %s", "queued" if job is not None
                 else "not queued: this survey's job is queued or running, or ran this hour",
                 extra={"survey": survey.slug})
    return queued


def cut_survey_releases(survey_id: int, now: str | None = None,
                        what: str = queue.CUT_DUE) -> dict[str, int | None]:
    """Cut one survey's results release if it is due, and its unit release if it is a closed
    staff survey (surveys.report.units.cut: a release only when figures may change). Returns
    {slug: release id or None, "<slug> units": id}; {} for a survey no longer visible.

    `what` (surveys.infra.queue.CUT_WHAT): CUT_DUE (the hourly job), CUT_NOW (the survey's
    release whether due or not, as `palaute results release` cuts it: pacing and the release
    rule still decide what may change), CUT_UNITS (its unit release alone, as `palaute
    surveys close` cuts it).

    Safe to run twice: a second run finds no release due, or no figure that may change (and
    two at once store one release, surveys.infra.db.add_unless_taken). A cut that fails is
    logged with its type and where it was raised, never its message (a message about a cut may
    quote a small group's count, as the quarantine records fold failures), and the job fails
    with ReleaseFailed, which says only which survey: RQ keeps what a job raised."""
    if what not in queue.CUT_WHAT:
        raise ValueError(f"what: one of {queue.CUT_WHAT}, not {what!r}")
    config = settings()
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC).replace(tzinfo=None)
    if config.results_release == "live":
        return {}
    with db.session_scope(config) as session:
        survey = lookup.visible_by_id(session, survey_id)
    if survey is None:
        return {}
    try:
        with db.session_scope(config) as session:
            done = _cut_survey(session, survey, config.results_release, moment, what)
    except Exception as exc:  # noqa: BLE001 - logged without its message, raised below
        error, where = quarantine.describe(exc)
        log.error("results release failed: %s (%s)", error, where, extra={"survey": survey.slug})
    else:
        for slug, release_id in done.items():
            log.info("results release %s", "cut" if release_id else "unchanged",
                     extra={"survey": slug})
        return done
    # Raised after the try statement, so the job's traceback holds this alone (no __context__).
    raise ReleaseFailed(f"results release failed for {survey.slug}")


class ReleaseFailed(RuntimeError):
    """cut_survey_releases: the survey's cut failed (logged with its type and place)."""


def _cut_survey(session, survey, mode: str, moment: datetime,
                what: str = queue.CUT_DUE) -> dict[str, int | None]:
    """One survey's cuts: {slug: release id or None, "<slug> units": id}."""
    done: dict[str, int | None] = {}
    due = what == queue.CUT_DUE and releases.due(session, survey, mode, moment)
    if what == queue.CUT_NOW or due:
        release = releases.cut(session, survey, moment)
        done[survey.slug] = release.id if release else None
    if unit_report.releasable(survey):
        unit_release = unit_report.cut_if_closed(session, survey, moment, mode)
        if unit_release is not None:
            done[f"{survey.slug} units"] = unit_release.id
    return done


def purge_expired(today: str | None = None) -> dict[str, int]:
    """Daily: delete raw responses past their survey's retention period (aggregates stay)."""
    config = settings()
    day = date.fromisoformat(today) if today else clock.today()
    deleted = retention.purge_expired(lambda: db.new_session(config), day)
    for slug, n in deleted.items():
        log.info("retention: deleted raw responses", extra={"survey": slug, "deleted": n})
    return deleted


def export_all(export_id: str, fmt: str, lang: str) -> str:
    """Every visible survey × place × month as one CSV or XLSX in Settings.exports_path, with
    its progress (percent) in Redis for the page that shows it. Safe to run twice: a file
    already made is kept."""
    config = settings()
    conn = _redis(config)
    target = bulk_export.path_of(config.exports_path, export_id, fmt)
    if bulk_export.fresh(target):
        export_status.update(conn, export_id, state="done", percent=100)
        return target.name
    export_status.update(conn, export_id, state="running", percent=0)
    last = [-1]

    def progress(done: int, total: int) -> None:
        percent = min(99, done * 100 // max(total, 1))  # 100 only when the file is there
        if percent != last[0]:
            last[0] = percent
            export_status.update(conn, export_id, percent=percent)

    try:
        with db.session_scope(config) as session:
            surveys = lookup.listing(session)
            sheet = bulk_export.build(session, surveys, lang, config.results_release, progress)
        bulk_export.write(sheet, fmt, lang, target)
    except Exception:
        export_status.update(conn, export_id, state="failed")
        raise
    export_status.update(conn, export_id, state="done", percent=100)
    log.info("export %s made: %d rows", export_id, len(sheet.rows))
    return target.name


def rebuild_aggregates(task_id: str) -> int:
    """Recount every survey's aggregates from its stored responses (what `palaute aggregates
    rebuild` does), reporting its progress in Redis for the admin page (surveys.infra.
    task_status). Safe to run twice: a rebuild recounts from scratch in one transaction."""
    config = settings()
    conn = _redis(config)
    task_status.update(conn, task_id, state="running", percent=0)
    try:
        with db.session_scope(config) as session:
            ids = aggregation.rebuildable_ids(session)
            total = aggregation.stored_count(session, ids)
            seen = [0, -1]  # responses counted, last percent reported

            def progress(n: int) -> None:
                seen[0] += n
                percent = min(99, seen[0] * 100 // max(total, 1))  # 100 once committed
                if percent != seen[1]:
                    seen[1] = percent
                    task_status.update(conn, task_id, percent=percent)

            done = aggregation.rebuild(session, ids, progress=progress)
    except Exception:
        task_status.update(conn, task_id, state="failed")
        raise
    task_status.update(conn, task_id, state="done", percent=100, responses=done,
                       surveys=len(ids))
    log.info("aggregates rebuilt from %d responses", done)
    return done


def purge_exports(now: float | None = None) -> int:
    """Daily: delete the large exports older than 24 hours."""
    deleted = bulk_export.purge(settings().exports_path, now)
    if deleted:
        log.info("exports: deleted expired files", extra={"deleted": deleted})
    return deleted


def purge_audit_log(now: str | None = None) -> int:
    """Daily: delete audit events older than Settings.audit_retention_days (the audit log's
    only delete), and admin sessions past their timeouts."""
    config = settings()
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    timeouts = sessions.Timeouts(idle=timedelta(minutes=config.admin_idle_timeout_min),
                                 absolute=timedelta(hours=config.admin_absolute_timeout_h))
    with db.session_scope(config) as session:
        deleted = audit.purge_expired(session, moment, config.audit_retention_days)
        ended = sessions.purge_expired(session, moment, timeouts)
    log.info("audit retention: deleted old events",
             extra={"deleted": deleted, "sessions_ended": ended})
    return deleted


def send_account_mail(link_id: int) -> bool:
    """Mail an invitation or password-reset link (surveys.accounts.links). Returns whether a
    mail was sent.

    Safe to run twice: a link already mailed, used or expired is left alone. The token is
    drawn and its hash committed before the mail is sent, then `mailed_at` is set; if the job
    dies between the two, the retry draws a new token, so of two mails only the latest link
    works. Nothing of the mail (address, link) is logged."""
    config = settings()
    moment = datetime.now(UTC)
    with db.session_scope(config) as session:
        link = session.get(AccountLink, link_id)
        if link is None or link.mailed_at is not None or not links.usable(link, moment):
            return False
        user = session.get(User, link.user_id)
        raw = links.issue(session, link)
        url = link.base_url + links.path(link, raw)
        ttl = links._aware(link.expires_at) - links._aware(link.created_at)
        subject, body = mails.compose(link.purpose, link.lang, email=user.email, link=url,
                                      hours=round(ttl.total_seconds() / 3600),
                                      minutes=round(ttl.total_seconds() / 60))
        to = user.email
        purpose = link.purpose
    mail.send(config, mail.message(config, to, subject, body))
    with db.session_scope(config) as session:
        link = session.get(AccountLink, link_id)
        link.mailed_at = datetime.now(UTC)
    log.info("account mail sent", extra={"purpose": purpose, "link_id": link_id})
    return True


def sweep_account_mail() -> int:
    """Periodic: enqueue the mail of links not yet mailed (Redis was down when they were
    made, or the job failed for good)."""
    config = settings()
    with db.session_scope(config) as session:
        ids = links.unsent(session, datetime.now(UTC))
    if ids:
        conn = _redis(config)
        for link_id in ids:
            queue.enqueue_account_mail(conn, link_id)
    return len(ids)
def apply_schedule(today: str | None = None) -> list[tuple[str, str]]:
    """Daily (and after midnight): open scheduled surveys on their opens_on and close published
    ones on their closes_on, each change in the audit log (via "job"); a closed staff survey's
    unit figures are released (surveys.report.units.cut). Idempotent: a second run on the same
    day changes nothing and records nothing."""
    config = settings()
    day = date.fromisoformat(today) if today else clock.today()
    with db.session_scope(config) as session:
        done = lifecycle.run_schedule(session, day)
        for slug, action in done:
            audit.record(session, action=action, at=datetime.now(UTC), via="job",
                         object_kind="survey", object_id=slug)
            survey = lookup.visible(session, slug) if action == "surveys.close" else None
            if survey is not None:  # a staff survey's unit figures are released at its close
                unit_report.cut_if_closed(session, survey, datetime.now(UTC).replace(tzinfo=None),
                                          config.results_release)
    for slug, action in done:
        log.info("schedule: %s", action, extra={"survey": slug})
    return done


def send_invitation_mails(survey_id: int, unit_id: int | None = None) -> int:
    """Mail a staff survey's queued invitations and reminders (surveys.staff.mailing), each
    person its own link, all over one SMTP connection (surveys.infra.mail.Connection: renewed
    after a set number of mails, or once when the server ends it between two). Returns how many
    mails were tried.

    Safe to run twice, or two at once: each row is claimed (committed as "sending") before its
    mail goes out and marked sent after, so no one gets the same round twice; a job that dies
    between the two leaves the row "sending" rather than risk a second mail (HR sees it as
    unknown after mailing.STUCK_AFTER and may queue it again, surveys.staff.mailing). A refused
    recipient counts as bounced, any other failure as failed (HR may queue those again).
    Nothing of a mail (address, link) is logged, nor how many reminders went out (that would
    count respondents)."""
    config = settings()
    secret = config.secret()
    with db.session_scope(config) as session:
        ids = mailing.queued(session, survey_id, unit_id)
    tried, problems = 0, {"failed": 0, "bounced": 0}
    with mail.connection(config) as conn:  # one for all the mails (surveys.infra.mail)
        for mail_id in ids:
            with db.session_scope(config) as session:
                outgoing = mailing.claim(session, mail_id, secret)
            if outgoing is None:
                continue
            tried += 1
            try:
                conn.send(mail.message(config, outgoing.to, outgoing.subject, outgoing.body))
                outcome = "sent"
            except OSError as exc:  # smtplib's errors included; the connection stays usable
                outcome = mail.outcome_of(exc)
                problems[outcome] += 1
            with db.session_scope(config) as session:
                mailing.record(session, mail_id, outgoing.round, outcome)
    if any(problems.values()):
        log.warning("invitation mails not delivered", extra={"survey_id": survey_id, **problems})
    return tried


def sweep_invitation_mail() -> int:
    """Periodic: enqueue the mail job of open staff surveys with queued invitation mails
    (Redis was down when they were queued, or a job was lost)."""
    config = settings()
    with db.session_scope(config) as session:
        survey_ids = mailing.surveys_with_queued(session)
    if survey_ids:
        conn = _redis(config)
        for survey_id in survey_ids:
            queue.enqueue_invitation_mail(conn, survey_id)
    return len(survey_ids)


def count_participation(now: str | None = None) -> dict[str, bool]:
    """Hourly, acting only in the night (participation.NIGHT_HOURS, Finnish time): count the
    participation of each staff survey that takes answers (and of a closed one until its figures
    stop changing) for HR's invitations page, once a day (surveys.staff.participation). Returns
    {slug: whether a count was stored}. Every hour, first, it settles the marks of the invitation
    links used since the last run (surveys.staff.invitations.settle_marks).

    Right after a survey's count, in the same run, its reminder requests made before today are
    resolved (surveys.staff.mailing.resolve_requests): who is reminded is decided then, at a
    moment nobody chose, never at HR's click; the mail job is enqueued at once, so the mails
    go out minutes after the count (the job checks each invitation again before its mail).

    Idempotent: a survey counted today is not counted again, by a later run or by one running
    at the same time (the day's rows are one transaction; the second fails on their key and
    changes nothing); a request is resolved once (marked with the night in the transaction that
    queues its mails). Outside the night nothing is counted or resolved, so neither happens at a
    moment someone chose (a survey opened at 10:00 is first counted the next night)."""
    config = settings()
    with db.session_scope(config) as session:  # every hour, night or day
        settled = invitations.settle_marks(session)
    if settled:  # the marks' earlier versions go too, not only when autovacuum comes by
        db.vacuum(config, SpentInvitation.__tablename__)
    moment = datetime.fromisoformat(now) if now else clock.local(clock.now())
    if moment.hour not in participation.NIGHT_HOURS:
        return {}
    today = moment.date()
    with db.session_scope(config) as session:
        counted = participation.counted_surveys(session)
        survey_ids = sorted(set(counted) | set(mailing.surveys_with_requests(session, today)))
    done: dict[str, bool] = {}
    for survey_id in survey_ids:
        if survey_id in counted:
            try:
                with db.session_scope(config) as session:
                    survey = session.get(Survey, survey_id)
                    if survey is None:
                        continue
                    done[survey.slug] = participation.count(session, survey, today)
            except IntegrityError:  # counted by a run at the same time
                pass
        _resolve_reminders(config, survey_id, today)
    for slug, stored in done.items():
        if stored:
            log.info("participation counted", extra={"survey": slug})
    return done


def _resolve_reminders(config, survey_id: int, today: date) -> None:
    """The survey's reminder requests, resolved just after its night count, and its mail job
    enqueued at once (the sweep enqueues it later if Redis fails now)."""
    try:
        with db.session_scope(config) as session:
            survey = session.get(Survey, survey_id)
            if survey is None:
                return
            queued = mailing.resolve_requests(session, survey, config.secret(), today)
    except mailing.AlreadyResolved:  # by a run at the same time
        return
    if queued:
        try:
            queue.enqueue_invitation_mail(_redis(config), survey_id)
        except (RedisError, OSError) as exc:
            log.warning("reminder mails not enqueued, the sweep will: %s", type(exc).__name__)
