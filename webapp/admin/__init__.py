"""The administrators' side: sign-in (auth), the one access check (access.requires, which asks
surveys.accounts.policy) and the pages (views). Every page under `/<lang>/admin/` except the
sign-in form goes through `access.requires`; a test walks the route table to keep it so
(tests/integration/test_access_matrix.py)."""

from __future__ import annotations

from flask import Flask

from . import (  # noqa: F401  (registers the views on the blueprints)
    accounts,
    auth,
    builder,
    comments,
    oidc,
    staff,
    translations,
    translator,
    unit_results,
    views,
)
from .blueprints import bare, bp


def init_app(app: Flask) -> None:
    auth.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(bare)
    app.register_blueprint(translator.bp)
