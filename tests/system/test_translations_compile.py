"""`make setup` (run by `make run` and `make test`) compiles the catalogs without a line per
catalog: `palaute translations compile --quiet` prints nothing but errors; without it, the
statistics of each catalog (issue 9: the first minute of `make run`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PALAUTE = Path(sys.executable).parent / "palaute"
CATALOGS = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))


def compile_catalogs(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PALAUTE), "translations", "compile", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PALAUTE_LOG_LEVEL": "warning"})


def test_quiet_compiles_every_catalog_and_prints_nothing():
    assert len(CATALOGS) >= 6
    for po in CATALOGS:
        if po.with_suffix(".mo").exists():
            os.utime(po.with_suffix(".mo"), (0, 0))
    done = compile_catalogs("--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    for po in CATALOGS:
        assert po.with_suffix(".mo").stat().st_mtime > 0, po  # written anew


def test_without_quiet_each_catalog_says_how_much_is_translated():
    done = compile_catalogs()
    assert done.returncode == 0
    out = done.stdout + done.stderr
    assert sum("messages.po" in line and "translated" in line
               for line in out.splitlines()) == len(CATALOGS)
