"""The one access check of the admin side: `@requires(action, kind)`.

It redirects an anonymous visitor to the sign-in page, loads the view's object (a survey by its
`slug`, or the one object of its kind), asks `surveys.accounts.policy.can` and answers 404 —
the same as for an object that does not exist — when the policy says no (and records the
refusal in the audit log). Every admin endpoint carries its (action, kind) as `view.policy`,
or is listed in PUBLIC; tests/integration/test_access_matrix.py walks the route table and
fails on an endpoint that has neither.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, redirect, url_for
from flask_login import current_user

from surveys.accounts import policy
from surveys.definitions import lookup
from surveys.models import Region

from ..extensions import get_db
from . import auth

# Admin endpoints anyone may reach: signing in (and out: it only ends the caller's session).
# Setting a password from a mailed link and asking for one are for people not signed in.
PUBLIC = frozenset({"admin.login", "admin.logout", "admin_bare.bare_login",
                    "admin_bare.bare_home", "admin.accept_invite", "admin.reset_password",
                    "admin.reset_request", "admin.oidc_login", "admin_bare.oidc_callback"})


def _load_survey(kwargs: dict):
    found = lookup.find(get_db(), kwargs["slug"])
    if found is None:
        return None, None
    return found, policy.survey_object(found)


def _load_comments(kwargs: dict):
    """A survey's comments from one county (`slug`, `region`); a survey that does not exist or
    a county it does not cover is a 404 like a refusal."""
    found, obj = _load_survey(kwargs)
    region = kwargs.get("region", "")
    if found is None or get_db().get(Region, region) is None:
        return None, None
    return found, policy.CommentsObject(obj, region)


LOADERS: dict[str, Callable[[dict], tuple]] = {
    "survey": _load_survey,
    "comments": _load_comments,
    "audit": lambda _kw: (None, policy.AUDIT_LOG),
    "queue": lambda _kw: (None, policy.QUEUE),
    "translations": lambda _kw: (None, policy.TRANSLATIONS),
    "site": lambda _kw: (None, policy.SITE),
    "account": lambda _kw: (None, policy.AccountObject()),
    "tokens": lambda _kw: (None, policy.OWN_TOKENS),
    "units": lambda _kw: (None, policy.UNITS),
}


def requires(action: str, kind: str):
    assert action in policy.ACTIONS[kind], (action, kind)

    def decorate(view):
        @wraps(view)
        def wrapped(**kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("admin.login", lang=g.lang))
            row, obj = LOADERS[kind](kwargs)
            if obj is None:
                abort(404)
            if not policy.can(auth.actor(), action, obj):
                auth.record("access", "denied", object_kind=kind,
                            object_id=getattr(obj, "slug", None) or kind)
                get_db().commit()
                abort(404)
            g.admin_object = row
            return view(**kwargs)

        wrapped.policy = (action, kind)
        return wrapped

    return decorate


def allowed(action: str, obj) -> bool:
    """For links and lists: may the signed-in account do `action` to `obj`?"""
    return policy.can(auth.actor(), action, obj)
