"""The ceiling app: the least a submit endpoint can do on this stack, for the submit ratio.

Minimal Flask, served by gunicorn with the same production settings as Palaute. GET returns a tiny
form with the same two hidden fields; POST inserts one row (same engine and pool settings as
Palaute) and pushes one Redis list item, then answers 303. No templates, CSRF, validation or ORM.
The benchmark creates the table.
"""

from __future__ import annotations

import json
import secrets

from flask import Flask, redirect, request
from sqlalchemy import Column, Integer, MetaData, Table, Text

from surveys.infra import db, queue
from surveys.infra.settings import Settings

metadata = MetaData()
ceiling = Table("bench_ceiling", metadata, Column("id", Integer, primary_key=True),
                Column("body", Text, nullable=False))

FORM = ('<!doctype html><form method="post">'
        '<input name="csrf_token" type="hidden" value="{0}">'
        '<input name="submission_token" type="hidden" value="{1}">'
        '<button>OK</button></form>')


def create_app() -> Flask:
    app = Flask(__name__)
    settings = Settings.from_env()
    engine = db.engine_for(settings)
    conn = queue.connect(queue.redis_url(settings))
    insert = ceiling.insert()

    @app.get("/<lang>/s/<slug>")
    def form(lang: str, slug: str):
        return FORM.format(secrets.token_urlsafe(32), secrets.token_urlsafe(32))

    @app.post("/<lang>/s/<slug>")
    def submit(lang: str, slug: str):
        body = json.dumps(request.form.to_dict(flat=False))
        with engine.begin() as c:
            c.execute(insert, {"body": body})
        conn.lpush("bench:ceiling", "1")
        return redirect(f"/{lang}/s/{slug}/thanks", code=303)

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app
