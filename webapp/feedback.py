"""Public feedback pages: the accessibility statement with its feedback form, and the form to
report a translation error (linked from the draft notice of a language whose interface catalog
awaits native review). What is stored, and what never is: surveys.feedback.

Both forms are CSRF-protected like the survey form (webapp.respond.form_tokens) and limited to
FEEDBACK_LIMIT sends per client address and hour, counted in Redis under an HMAC of the
address (never the address itself); with Redis down the limit is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import date

import redis
from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from wtforms import Form

from surveys import feedback

from . import clients
from .extensions import get_db, get_redis, today
from .respond.form_tokens import CookieBoundCSRF, browser_nonce

bp = Blueprint("feedback", __name__, url_prefix="/<lang>")
log = logging.getLogger(__name__)

# Sends of one form per client address (IPv6: its /64) per hour. Generous for people behind
# one address (a library, an office); a stop to scripts filling the admins' lists.
FEEDBACK_LIMIT = 10
FEEDBACK_WINDOW_S = 3600
KEY_PREFIX = "palaute-fb"
# The date this statement was prepared (and the basis of its assessment): shown on the page.
STATEMENT_PREPARED_ON = date(2026, 12, 1)
_PAGE = re.compile(r"/[A-Za-z0-9/_.~-]{0,299}")


class _CsrfForm(Form):
    class Meta:
        csrf = True
        csrf_class = CookieBoundCSRF


def _form(formdata=None) -> _CsrfForm:
    return _CsrfForm(formdata, meta={"csrf_context": browser_nonce()})


def _page_arg(value: str | None) -> str:
    """A path on this site to prefill "which page" with; anything else is dropped."""
    value = (value or "").strip()
    return value if _PAGE.fullmatch(value) else ""


def over_limit(kind: str) -> int:
    """Count this send; when the client has already sent FEEDBACK_LIMIT of `kind` this hour,
    the seconds until it may send again (else 0)."""
    secret = current_app.secret_key
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    who = clients.rate_key(clients.client_address())
    digest = hmac.new(secret_bytes, f"palaute-feedback\x00{kind}\x00{who}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    key = f"{KEY_PREFIX}:{kind}:{digest}"
    try:
        pipe = get_redis().pipeline()
        # A fixed window from the first send (SET NX: older Redis lacks EXPIRE NX).
        pipe.set(key, 0, ex=FEEDBACK_WINDOW_S, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
    except redis.RedisError as exc:  # the limit is skipped, the feedback taken
        log.warning("feedback limit not counted (%s)", type(exc).__name__)
        return 0
    return max(1, int(ttl)) if int(count) > FEEDBACK_LIMIT else 0


def _messages(errors: dict[str, str]) -> dict[str, str]:
    texts = {
        "required": gettext("Please fill in this field."),
        "too_long": gettext("This text is too long."),
        "invalid_text": gettext("The text contains characters that cannot be saved."),
        "expired": gettext("The form had expired. Please send it again."),
        "rate_limited": gettext("Very many messages have been sent from your network in a "
                                "short time. Please try again later."),
    }
    return {field: texts[code] for field, code in errors.items()}


def _send(kind: str, store, template: str, fields: tuple[str, ...], **context):
    """GET: the form; POST: store it and show the thank-you page, or the form with errors
    (400) or with the limit's message (429), what was typed kept."""
    form = _form(request.form if request.method == "POST" else None)
    values = {name: request.form.get(name, "") for name in fields}
    if request.method == "GET":
        values["page"] = _page_arg(request.args.get("page"))
        return render_template(template, form=form, values=values, errors={}, **context)
    errors: dict[str, str] = {}
    status, headers = 400, {}
    if not form.validate():
        errors = {"_form": "expired"}
    elif wait_s := over_limit(kind):
        errors, status, headers = {"_form": "rate_limited"}, 429, {"Retry-After": str(wait_s)}
    else:
        try:
            store(values)
        except feedback.FeedbackErrors as exc:
            errors = exc.errors
        else:
            get_db().commit()
            return redirect(url_for("feedback.sent", kind=kind), code=303)
    form = _form()
    resp = render_template(template, form=form, values=values, errors=_messages(errors),
                           **context)
    return resp, status, headers


@bp.route("/accessibility", methods=["GET", "POST"])
def accessibility():
    """The accessibility statement (Act 306/2019 § 10) and its feedback form."""
    def store(values):
        feedback.give_accessibility_feedback(get_db(), g.lang, values["page"],
                                             values["message"], values["contact"],
                                             today())

    return _send("accessibility", store, "accessibility.html", ("page", "message", "contact"),
                 prepared_on=STATEMENT_PREPARED_ON)


@bp.route("/translation-report", methods=["GET", "POST"])
def translation_report():
    """Report an error in this language's interface translation."""
    def store(values):
        feedback.report_translation(get_db(), g.lang, values["page"], values["problem"],
                                    values["suggestion"], today())

    return _send("translation", store, "translation_report.html",
                 ("page", "problem", "suggestion"))


@bp.get("/feedback-sent/<any(accessibility, translation):kind>")
def sent(kind: str):
    return render_template("feedback_sent.html", kind=kind)
