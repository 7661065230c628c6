"""Liveness of the parts the platform needs."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import get_db, get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    status = {}
    try:
        get_db().execute(text("SELECT 1"))
        status["db"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        status["db"] = f"down: {type(exc).__name__}"
    try:
        get_redis().ping()
        status["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        status["redis"] = f"down: {type(exc).__name__}"
    healthy = all(v == "ok" for v in status.values())
    return jsonify(status), 200 if healthy else 503
