"""Palaute's Redis clients skip redis-py's CLIENT SETINFO handshake (surveys.infra.redis): it
reads every installed package's metadata on each new connection, which costs each forked web
worker about 1.4 MB of the master's pages (docs/performance.md, memory)."""

from __future__ import annotations

import pytest

from surveys.infra.redis import connect, no_client_setinfo

pytestmark = pytest.mark.unit


def test_connections_are_made_without_client_setinfo():
    client = connect("redis://127.0.0.1:1/0")  # no connection is opened here
    kwargs = client.connection_pool.connection_kwargs
    assert no_client_setinfo()
    for name, value in no_client_setinfo().items():
        assert kwargs[name] is value is None
    connection = client.connection_pool.make_connection()
    info = getattr(connection, "driver_info", None)
    assert info is None or not (getattr(info, "lib_version", None) or "")
