"""The admin blueprints: pages under `/<lang>/admin`, and `/admin/…` links that choose a
language. Both answer `Cache-Control: no-store` and check CSRF on every state-changing request
(webapp.admin.auth.guard)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/<lang>/admin")
bare = Blueprint("admin_bare", __name__, url_prefix="/admin")
