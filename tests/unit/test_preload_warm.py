"""webapp.preload.warm: what a preloading gunicorn master compiles before it forks."""

from __future__ import annotations

from tests.conftest import SETTINGS
from webapp.factory import create_app
from webapp.preload import warm


def test_warm_compiles_every_page_template_without_a_request():
    app = create_app(SETTINGS, overrides={"TESTING": True})
    env = app.jinja_env
    pages = env.list_templates(filter_func=lambda n: n.endswith(".html"))
    assert len(pages) > 5
    assert not env.cache
    warm(app)
    compiled = {name for (_loader, name) in env.cache}
    assert compiled == set(pages)


def test_warm_leaves_an_app_it_did_not_make_alone():
    from flask import Flask

    warm(Flask("other"))  # the benchmark's ceiling app runs under the same gunicorn settings


def test_warm_configures_the_mappers_and_builds_the_url_matcher_before_the_fork():
    from surveys.models import Response

    app = create_app(SETTINGS, overrides={"TESTING": True})
    assert app.url_map._remap  # Werkzeug builds its matcher on the first request otherwise
    warm(app)
    assert not app.url_map._remap
    assert Response.__mapper__.configured
