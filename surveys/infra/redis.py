"""Redis connections: REDIS_URL, or a real Redis server of the project's own (embedded)."""

from __future__ import annotations

import inspect

import redis

from .embedded_redis import EmbeddedRedis
from .settings import Settings

# Per process and instance folder: the embedded server this process started or found running.
_embedded: dict[str, EmbeddedRedis] = {}


def redis_url(settings: Settings) -> str:
    """REDIS_URL, or else the embedded Redis server of the instance folder (started if none
    is running yet; every process of one checkout shares it)."""
    if settings.redis_url:
        return settings.redis_url
    key = str(settings.instance_dir)
    server = _embedded.get(key)
    if server is None:
        server = _embedded[key] = EmbeddedRedis(settings.instance_dir)
        server.start()
    return server.url


def planned_url(settings: Settings) -> str:
    """The URL `redis_url` gives, without starting the embedded server (for clients that
    connect lazily and call `redis_url` before their first command)."""
    return settings.redis_url or EmbeddedRedis(settings.instance_dir).url


def no_client_setinfo() -> dict[str, None]:
    """Options that turn off redis-py's CLIENT SETINFO handshake on every new connection.

    The handshake only labels the connection in CLIENT LIST, and to find its version redis-py
    reads the installed packages' metadata (importlib.metadata) each time it connects: in a
    web worker forked from the preloading master, that first connection wrote to about 1.4 MB of
    the master's pages (its objects' reference counts), in every worker (docs/performance.md,
    memory). redis-py 7.1 and later say so with `driver_info=None`; before, with `lib_name` and
    `lib_version` set to None."""
    if "driver_info" in inspect.signature(redis.connection.AbstractConnection.__init__).parameters:
        return {"driver_info": None}
    return {"lib_name": None, "lib_version": None}


_CONNECTION_OPTIONS = no_client_setinfo()


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=1, health_check_interval=30,
        **_CONNECTION_OPTIONS,
    )
