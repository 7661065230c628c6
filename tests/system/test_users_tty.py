"""`palaute users create` at a real terminal (a pseudo-terminal): the password is asked twice,
not echoed, and two different entries are refused."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from surveys.accounts import users
from surveys.infra import db
from tests.conftest import ADMIN_PASSWORD, TEST_ENV


def _run_at_terminal(args: list[str], lines: list[str], database_url: str, redis_url: str):
    primary, secondary = pty.openpty()
    env = {**os.environ, **TEST_ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    palaute = Path(sys.executable).parent / "palaute"
    proc = subprocess.Popen([str(palaute), *args], stdin=secondary, stdout=secondary,
                            stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    output = b""
    pending = list(lines)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(primary, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if pending and output.rstrip().endswith(b":"):
            os.write(primary, pending.pop(0).encode() + b"\n")
            output += b"<typed>"
    proc.wait(timeout=30)
    os.close(primary)
    return proc.returncode, output.decode("utf-8", "replace")


def test_password_is_asked_twice_without_echo(database_url, redis_url):
    code, out = _run_at_terminal(["users", "create", "tty@example.fi", "--role",
                                  "national_admin"], [ADMIN_PASSWORD, ADMIN_PASSWORD],
                                 database_url, redis_url)
    assert code == 0, out
    assert "Password:" in out and "Password again:" in out
    assert ADMIN_PASSWORD not in out
    with db.session_scope(database_url) as s:
        assert users.find(s, "tty@example.fi") is not None


def test_two_different_entries_are_refused(database_url, redis_url):
    code, out = _run_at_terminal(["users", "create", "tty2@example.fi", "--role",
                                  "national_admin"], [ADMIN_PASSWORD, ADMIN_PASSWORD + "x"],
                                 database_url, redis_url)
    assert code != 0 and "the two passwords differ" in out
    with db.session_scope(database_url) as s:
        assert users.find(s, "tty2@example.fi") is None
