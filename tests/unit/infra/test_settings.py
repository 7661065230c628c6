"""Settings: the one reader of the environment, frozen, documented in the README."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from surveys.infra.settings import PROJECT_ROOT, Settings, documented, readme_table

ROOT = Path(__file__).resolve().parents[3]


def test_defaults_without_any_environment(tmp_path):
    s = Settings.from_env({"PALAUTE_INSTANCE_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'palaute.db'}"
    assert s.redis_url == "" and s.port == 5000 and s.survey_cache_s == 1.0
    assert s.session_cookie_secure is False
    assert s.gunicorn_bind() == "127.0.0.1:5000"
    assert Settings.from_env({}).instance_dir == PROJECT_ROOT / "instance"


def test_values_are_read_and_converted():
    s = Settings.from_env({
        "DATABASE_URL": "postgres://u@h/db", "PORT": "8000", "SESSION_COOKIE_SECURE": "1",
        "PALAUTE_SURVEY_CACHE_S": "2.5", "WEB_CONCURRENCY": "3", "BIND": "0.0.0.0:9",
    })
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert (s.port, s.session_cookie_secure, s.survey_cache_s) == (8000, True, 2.5)
    assert s.gunicorn_workers() == 3 and s.gunicorn_bind() == "0.0.0.0:9"
    assert Settings.from_env({"DATABASE_URL": "postgresql://x/y"}).database_url == \
        "postgresql+psycopg://x/y"


def test_settings_are_frozen():
    s = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.port = 1  # type: ignore[misc]
    assert s.with_overrides(port=1).port == 1 and s.port == 5000


def test_environment_round_trip(tmp_path):
    s = Settings.from_env({"PALAUTE_INSTANCE_DIR": str(tmp_path), "REDIS_URL": "redis://r/1",
                           "SESSION_COOKIE_SECURE": "1", "PORT": "7000"})
    assert Settings.from_env(s.environment()) == s


def test_the_readme_table_is_the_settings_table():
    readme = (ROOT / "README.md").read_text()
    assert readme_table() in readme, (
        "README's configuration table differs from Settings: paste the output of "
        "`python -m surveys.infra.settings`")
    assert len(documented()) == len(dataclasses.fields(Settings))


def test_nothing_else_reads_the_environment():
    """os.environ / os.getenv appear only in surveys/infra/settings.py (and the CLI's `serve`,
    which hands the environment on to the processes it starts)."""
    allowed = {ROOT / "surveys/infra/settings.py", ROOT / "webapp/cli/serve.py"}
    offenders = []
    for package in ("surveys", "webapp", "workers"):
        for path in (ROOT / package).rglob("*.py"):
            if path in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") \
                        and isinstance(node.value, ast.Name) and node.value.id == "os":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
