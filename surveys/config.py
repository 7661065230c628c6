"""Settings read from the environment, shared by web, worker and CLI processes."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("PALAUTE_INSTANCE_DIR", PROJECT_ROOT / "instance"))

LANGUAGES: tuple[str, ...] = ("fi", "sv", "se", "smn", "sms", "en")
# Interface catalogs that must be complete (Language Act 423/2003: Finnish and Swedish).
REQUIRED_COMPLETE: tuple[str, ...] = ("fi", "sv")
QUEUE_NAME = "palaute"


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Platforms often hand out postgres:// URLs; SQLAlchemy wants the driver named.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'palaute.db'}"
