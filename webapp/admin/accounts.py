"""Invitations, password resets and API tokens (docs/security.md).

- `/<lang>/admin/users/invite` (national admins; region admins for their own county's region
  admins and analysts: the policy decides): makes an inactive account without a password and
  a link, and enqueues its mail (workers.jobs.send_account_mail).
- `/<lang>/admin/invite/<token>` and `/<lang>/admin/reset/<token>`: set a password from a
  mailed link (the password policy applies), which spends the link, ends every session of the
  account and signs the person in. An unknown, used or expired link answers 410.
- `/<lang>/admin/reset`: asks for an address and answers the same whether an account has it
  or not; requests are throttled per address asked for and per client (surveys.infra.throttle).
- `/<lang>/admin/tokens`: the signed-in account's API tokens: create (shown once), revoke.
Every step is in the audit log; no token, link or password is.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import abort, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from redis import exceptions as redis_exc

from surveys.accounts import links, passwords, policy, sessions, tokens, users
from surveys.infra import queue, throttle
from surveys.models import Region, User
from surveys.reference.regions import name_in

from ..extensions import get_db, get_redis, now, settings, today
from . import auth
from .access import requires
from .blueprints import bp
from .views import ROLE_NAMES

log = logging.getLogger(__name__)

POLICY_TEXTS = {
    passwords.TOO_SHORT: lazy_gettext("The password must be at least %(n)s characters long.",
                                      n=passwords.MIN_LENGTH),
    passwords.TOO_LONG: lazy_gettext("The password may be at most %(n)s characters long.",
                                     n=passwords.MAX_LENGTH),
    passwords.COMMON: lazy_gettext("The password is too common or has appeared in data "
                                   "breaches. Choose another, e.g. a few unrelated words."),
    passwords.CONTAINS_EMAIL: lazy_gettext("The password must not contain your e-mail "
                                           "address."),
}
ACCOUNT_ERRORS = {
    "bad_email": lazy_gettext("Give a valid e-mail address."),
    "bad_role": lazy_gettext("Choose a role."),
    "region_required": lazy_gettext("A county administrator needs a county."),
    "org_required": lazy_gettext("An HR administrator needs an organisation code."),
    "region_not_for_role": lazy_gettext("Only a county administrator has a county; an analyst "
                                        "is granted counties."),
    "org_not_for_role": lazy_gettext("Only an HR administrator has an organisation."),
    "unknown_region": lazy_gettext("Unknown county."),
    "bad_org": lazy_gettext("An organisation code has letters, digits and . _ - only, at "
                            "most 40."),
    "grants_not_for_role": lazy_gettext("Only analysts are granted counties or "
                                        "organisations."),
    "exists": lazy_gettext("An account with this e-mail address already exists."),
}


def _base_url() -> str:
    return settings().public_url or request.host_url


def _mail(link_id: int) -> None:
    try:
        queue.enqueue_account_mail(get_redis(), link_id)
    except (redis_exc.RedisError, OSError) as exc:
        # The link is committed: the periodic sweep mails it when Redis is back.
        log.warning("account mail not enqueued, the sweep will: %s", type(exc).__name__)


# --- invitations -----------------------------------------------------------------------------

def _regions():
    return sorted(get_db().query(Region), key=lambda r: r.code)


@bp.route("/users/invite", methods=["GET", "POST"])
@requires("invite", "account")
def invite():
    actor = auth.actor()
    roles = [r for r in ROLE_NAMES if policy.can(actor, "invite", _target(r))]
    form = {"email": "", "role": "", "region": "", "org": "", "grants": ""}
    error, done = None, None
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip()[:300] for k in form}
        grants = [x for x in form["grants"].replace(",", " ").split() if x]
        if actor.role == "region_admin":
            # A region admin's invitations are for its own county: fill it in if left empty.
            if form["role"] == "region_admin" and not form["region"]:
                form["region"] = actor.region
            if form["role"] == "analyst" and not grants:
                grants = [actor.region]
        target = policy.AccountObject(role=form["role"], region=form["region"] or None,
                                      org=form["org"] or None, grants=frozenset(grants))
        db = get_db()
        if not policy.can(actor, "invite", target):
            auth.record("users.invite", "denied", object_kind="account")
            db.commit()
            error = _("You may not invite an account with this role or area.")
        else:
            try:
                user = users.invite(db, form["email"], form["role"], region=target.region,
                                    org=target.org, grants=grants, today=today())
            except users.AccountError as exc:
                db.rollback()
                error = ACCOUNT_ERRORS.get(exc.code, exc.code)
            else:
                link = links.create(db, user, "invite", now=now(),
                                    ttl=timedelta(hours=settings().invite_ttl_h), lang=g.lang,
                                    base_url=_base_url())
                auth.record("users.invite", object_kind="account", object_id=str(user.id))
                db.commit()
                _mail(link.id)
                done = user.email
                form = {k: "" for k in form}
    return make_response(render_template(
        "admin_invite.html", roles=[(r, ROLE_NAMES[r]) for r in roles], form=form,
        error=error, done=done, regions=[(r.code, name_in(r, g.lang)) for r in _regions()],
        own_region=actor.region if actor.role == "region_admin" else None),
        400 if error else 200)


def _target(role: str) -> policy.AccountObject:
    """The widest account of `role` the signed-in account might invite (to list roles)."""
    actor = auth.actor()
    own = actor.region if actor.role == "region_admin" else None
    if role == "region_admin":
        return policy.AccountObject(role=role, region=own or "01")
    if role == "analyst":
        return policy.AccountObject(role=role, grants=frozenset({own or "01"}))
    return policy.AccountObject(role=role, org="X" if role == "hr_admin" else None)


# --- setting a password from a link ----------------------------------------------------------

def _gone():
    return render_template("admin_link_gone.html"), 410


def _set_password(purpose: str, token: str):
    db = get_db()
    link = links.find(db, purpose, token)
    moment = now()
    if not links.usable(link, moment):
        if link is not None:
            auth.record(f"{purpose}.use", "refused", user_id=link.user_id,
                        object_kind="account", object_id=str(link.user_id))
            db.commit()
        return _gone()
    user = db.get(User, link.user_id)
    errors: list = []
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            errors = [_("The two passwords differ.")]
        else:
            try:
                links.use(db, link, password, moment)
            except users.AccountError as exc:
                db.rollback()
                if exc.code != "weak_password":
                    return _gone()
                errors = [POLICY_TEXTS[p] for p in exc.details]
            else:
                sessions.end(db, request.cookies.get(auth.cookie_name()))
                raw = sessions.start(db, user, moment)
                auth.record(f"{purpose}.use", user_id=user.id, object_kind="account",
                            object_id=str(user.id))
                auth.record("sign_in", "success", user_id=user.id, object_kind="method",
                            object_id=purpose)
                db.commit()
                g.admin_cookie_stale = False
                resp = redirect(url_for("admin.home", lang=g.lang), 303)
                auth.set_session_cookie(resp, raw)
                return resp
    return render_template("admin_set_password.html", purpose=purpose, email=user.email,
                           errors=errors, min_length=passwords.MIN_LENGTH), 400 if errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    return _set_password("invite", token)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password("reset", token)


# --- asking for a reset ----------------------------------------------------------------------

@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    if request.method == "GET":
        return render_template("admin_reset.html", sent=False)
    email = request.form.get("email", "")[:254].strip()
    email_hash = users.email_hash(auth.email_key(), email)
    keys = throttle.Keys(account=email_hash, address=auth.client_address(), scope="reset")
    moment = now()
    try:
        conn = get_redis()
        wait = throttle.remaining(conn, keys, moment.timestamp())
        if wait <= 0:
            throttle.failed(conn, keys, moment.timestamp())  # every request counts
    except redis_exc.RedisError:
        log.warning("password reset refused: the throttle's Redis is unavailable")
        return render_template("admin_reset.html", sent=False, unavailable=True), 503
    db = get_db()
    user = users.find(db, email) if email else None
    who = {"user_id": user.id} if user else {"email_hash": email_hash}
    if wait > 0:
        auth.record("reset.request", "locked", **who)
        db.commit()
        resp = make_response(render_template("admin_reset.html", sent=False, throttled=True,
                                             minutes=max(1, int((wait + 59) // 60))), 429)
        resp.headers["Retry-After"] = str(int(wait + 0.999))
        return resp
    link = None
    if user is not None and user.active:
        link = links.create(db, user, "reset", now=moment,
                            ttl=timedelta(minutes=settings().reset_ttl_min), lang=g.lang,
                            base_url=_base_url())
    auth.record("reset.request", "ok" if link else "no_account", **who)
    db.commit()
    if link is not None:
        _mail(link.id)
    # The same answer whether the address has an account or not.
    return render_template("admin_reset.html", sent=True)


# --- API tokens ------------------------------------------------------------------------------

@bp.route("/tokens", methods=["GET", "POST"])
@requires("manage", "tokens")
def api_tokens():
    db = get_db()
    me = db.get(User, auth.actor().user_id)
    created, error = None, None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            token_id = request.form.get("token_id", "")
            row = tokens.revoke(db, me.id, int(token_id), now()) if token_id.isdigit() \
                else None
            if row is None:
                abort(404)
            auth.record("token.revoke", object_kind="token", object_id=str(row.id))
            db.commit()
        else:
            try:
                row, created = tokens.create(db, me, request.form.get("name", ""), now())
            except users.AccountError:
                error = _("Give the token a name.")
            else:
                auth.record("token.create", object_kind="token", object_id=str(row.id))
                db.commit()
    return render_template("admin_tokens.html", tokens=tokens.of(db, me.id), created=created,
                           error=error), 400 if error else 200
