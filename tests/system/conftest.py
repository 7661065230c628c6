"""Fixtures of the tests with real processes."""

from __future__ import annotations

import pytest

from tests.system.stack import RedisServer


@pytest.fixture
def redis_server(tmp_path):
    """A Redis server of the test's own, which it may stop and start."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
