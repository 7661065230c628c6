"""Sign-in, sign-out and the admin session.

- The browser holds one cookie, `palaute_admin` (`__Host-palaute_admin` under HTTPS: then
  Secure, Path=/ and no Domain), HttpOnly, SameSite=Lax, with no expiry date: a random session
  id and nothing else. The session itself is a row of `user_sessions`
  (surveys.accounts.sessions), found by the id's hash; Flask-Login's `current_user` is loaded
  from it on each request (a request loader: Flask's own session cookie is not used).
- Signing in always starts a new session (a new id; the one the browser came with, if any, is
  ended): a planted id is worth nothing (session fixation). Signing out deletes the row, so
  the old cookie is refused from then on. A session ends after ADMIN_IDLE_TIMEOUT_MIN without a
  request and ADMIN_ABSOLUTE_TIMEOUT_H after sign-in.
- Attempts are throttled per account and per client address (surveys.infra.throttle: bounded
  exponential back-off) and every attempt is in the audit log (success, failure, locked).
  An unknown address takes as long to refuse as a wrong password and gets the same answer.
- Every POST under the admin paths must carry the CSRF token of webapp.csrf, bound to the
  browser's nonce cookie and (once signed in) to the session; checked here before any view.
- Every admin response, the sign-in page included, says `Cache-Control: no-store`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from flask import (
    Flask,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user
from redis import exceptions as redis_exc

from surveys.accounts import audit, passwords, sessions, users
from surveys.accounts.policy import Actor
from surveys.infra import throttle
from surveys.languages import LANGUAGES

from .. import csrf, i18n
from ..extensions import get_db, get_redis, now, settings
from .blueprints import bare, bp

log = logging.getLogger("webapp")

COOKIE = "palaute_admin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AdminUser(UserMixin):
    """The signed-in account of this request."""

    def __init__(self, user, actor: Actor, session_hash: str):
        self.id = user.id
        self.email = user.email
        self.role = user.role
        self.region = user.region_code
        self.org = user.org_code
        self.actor = actor
        self.session_hash = session_hash

    def get_id(self) -> str:
        return str(self.id)


def cookie_name() -> str:
    return f"__Host-{COOKIE}" if current_app.config["SESSION_COOKIE_SECURE"] else COOKIE


def timeouts() -> sessions.Timeouts:
    s = settings()
    return sessions.Timeouts(idle=timedelta(minutes=s.admin_idle_timeout_min),
                             absolute=timedelta(hours=s.admin_absolute_timeout_h))


def email_key() -> bytes:
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"palaute-audit-email", hashlib.sha256).digest()


def client_address() -> str:
    return request.remote_addr or "unknown"


def actor() -> Actor | None:
    user = current_user
    return user.actor if user and user.is_authenticated else None


def record(action: str, outcome: str = "ok", *, object_kind: str | None = None,
           object_id: str | None = None, user_id: int | None = None,
           email_hash: str | None = None) -> None:
    """An audit event for this request, in the request's transaction (the caller commits)."""
    if user_id is None and email_hash is None and current_user and \
            current_user.is_authenticated:
        user_id = current_user.id
    audit.record(get_db(), action=action, outcome=outcome, at=now(), via="web",
                 user_id=user_id, email_hash=email_hash, object_kind=object_kind,
                 object_id=object_id, client_address=client_address())


def csrf_context() -> str:
    """What an admin form's CSRF token is bound to: the browser's nonce, and the session."""
    nonce = csrf.browser_nonce()
    user = current_user
    if user and user.is_authenticated:
        return f"{nonce}|{user.session_hash}"
    return nonce


def csrf_token() -> str:
    return csrf.token_for(csrf_context())


def _load_from_request(_request):
    raw = request.cookies.get(cookie_name())
    if not raw:
        return None
    db = get_db()
    found = sessions.resume(db, raw, now(), timeouts())
    if found is None:
        g.admin_cookie_stale = True
        db.commit()
        return None
    user, row = found
    regions, orgs = (users.grants_of(db, user.id) if user.role == "analyst"
                     else (frozenset(), frozenset()))
    db.commit()
    actor_ = Actor(user_id=user.id, role=user.role, region=user.region_code, org=user.org_code,
                   granted_regions=regions, granted_orgs=orgs)
    return AdminUser(user, actor_, row.id_hash)


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.session_protection = None  # the session is server-side; nothing in Flask's
    manager.request_loader(_load_from_request)
    # No app-wide context processor: loading the user on every public page would cost each
    # respondent's request a lookup (and a `Vary: Cookie`); admin templates get it below.
    manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["admin_csrf_token"] = csrf_token


def set_session_cookie(response, raw: str) -> None:
    response.set_cookie(cookie_name(), raw, httponly=True, samesite="Lax", path="/",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def _clear_session_cookie(response) -> None:
    response.delete_cookie(cookie_name(), path="/", httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])


def _guard():
    """Before every admin request: the CSRF check of state-changing requests."""
    if request.method in SAFE_METHODS:
        return None
    if not csrf.valid(request.form.get(csrf.FIELD), csrf_context()):
        record("csrf", "refused", object_kind="path", object_id=request.path)
        get_db().commit()
        return render_template("error.html", code=400, csrf_failed=True), 400
    return None


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    if g.get("admin_cookie_stale"):
        _clear_session_cookie(response)
    return response


def _template_user():
    return {"current_user": current_user}


for _blueprint in (bp, bare):
    _blueprint.before_request(_guard)
    _blueprint.after_request(_no_store)
    _blueprint.context_processor(_template_user)


@bare.before_request
def _choose_language():
    if not g.get("lang"):
        g.lang = i18n.negotiate(list(LANGUAGES))


def _login_page(error: str | None = None, status: int = 200, email: str = ""):
    resp = make_response(render_template("admin_login.html", error=error, email=email,
                                         oidc_enabled=settings().oidc_enabled), status)
    return resp


@bare.route("/login", methods=["GET", "POST"])
def bare_login():
    return login()


@bare.get("/")
def bare_home():
    return redirect(url_for("admin.home", lang=g.lang))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return _login_page()
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")
    email_hash = users.email_hash(email_key(), email)
    keys = throttle.Keys(account=email_hash, address=client_address())
    moment = now()
    try:
        conn = get_redis()
        wait = throttle.remaining(conn, keys, moment.timestamp())
    except redis_exc.RedisError:
        log.warning("sign-in refused: the throttle's Redis is unavailable")
        return _login_page(_("Signing in is not possible right now. Please try again in a "
                             "moment."), 503, email)
    db = get_db()
    user = users.find(db, email) if email else None
    who = {"user_id": user.id} if user else {"email_hash": email_hash}
    if wait > 0:
        record("sign_in", "locked", **who)
        db.commit()
        minutes = max(1, int((wait + 59) // 60))
        resp = _login_page(_("Too many failed attempts. Try again in %(minutes)s min.",
                             minutes=minutes), 429, email)
        resp.headers["Retry-After"] = str(int(wait + 0.999))
        return resp
    ok = passwords.verify(user.password_hash if user and user.active else None, password)
    if not ok:
        try:
            throttle.failed(conn, keys, moment.timestamp())
        except redis_exc.RedisError:
            log.warning("sign-in failure not counted: Redis unavailable")
        record("sign_in", "failure", **who)
        db.commit()
        return _login_page(_("The e-mail address or the password is wrong."), 401, email)
    try:
        throttle.succeeded(conn, keys)
    except redis_exc.RedisError:
        log.warning("sign-in back-off not cleared: Redis unavailable")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    # A new session id at every sign-in; the one the browser came with is ended.
    sessions.end(db, request.cookies.get(cookie_name()))
    raw = sessions.start(db, user, moment)
    record("sign_in", "success", user_id=user.id)
    db.commit()
    g.admin_cookie_stale = False
    resp = redirect(url_for("admin.home", lang=g.lang), 303)
    set_session_cookie(resp, raw)
    return resp


@bp.post("/logout")
def logout():
    db = get_db()
    if current_user and current_user.is_authenticated:
        record("sign_out")
    sessions.end(db, request.cookies.get(cookie_name()))
    db.commit()
    resp = redirect(url_for("admin.login", lang=g.lang), 303)
    _clear_session_cookie(resp)
    return resp
