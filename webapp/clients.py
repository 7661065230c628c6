"""The client's network address, for limits that count per client (never for storage or logs).

Gunicorn sets `REMOTE_ADDR` to the peer of the TCP connection and never rewrites it from
`X-Forwarded-For`; its `forwarded_allow_ips` (our `FORWARDED_ALLOW_IPS`) only decides whose
`X-Forwarded-Proto` it believes. Behind a load balancer every request would then come "from" the
load balancer. Werkzeug's `ProxyFix(x_for=N)` would take the N-th address from the right of
`X-Forwarded-For` without asking who sent it, so a client reaching the server directly could name
any address it likes.

Here the same trust list as gunicorn's decides: the header is read only when the peer is a
trusted proxy, from the right, skipping the proxies on the list, and the first address not on it
is the client (what the outermost trusted proxy saw). With `*` every peer is trusted and the
leftmost address wins (as spoofable as the header: only for a server no one reaches directly).
A Unix socket peer has no address and is trusted, as gunicorn treats it.

`rate_key` turns the address into what a limit counts by: an IPv6 client counts by its /64 (one
home or device gets a whole /64 and may pick any address in it), an IPv4 client by its address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from flask import request

from .extensions import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Hops of X-Forwarded-For read at most: a longer header is a client padding it.
MAX_FORWARDED_HOPS = 20


@lru_cache(maxsize=16)
def trusted_proxies(spec: str) -> tuple[Network, ...] | None:
    """FORWARDED_ALLOW_IPS parsed: the networks trusted (None: `*`, every peer)."""
    nets = []
    for part in (p.strip() for p in spec.split(",")):
        if part == "*":
            return None
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return tuple(nets)


def _parse(value: str | None) -> IPAddress | None:
    try:
        addr = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _is_trusted(addr: IPAddress | None, trusted: tuple[Network, ...] | None) -> bool:
    if trusted is None:
        return True
    return addr is not None and any(addr in net for net in trusted)


def resolve(remote_addr: str | None, forwarded_for: str | None,
            trusted: tuple[Network, ...] | None) -> IPAddress | None:
    """The client's address given the peer, the X-Forwarded-For header and the trusted proxies
    (None when no address can be told, e.g. a Unix socket without the header)."""
    peer = _parse(remote_addr)
    if remote_addr and peer is None:  # an address we can't read: count it as it is sent
        return None
    if peer is not None and not _is_trusted(peer, trusted):
        return peer
    hops = [h for h in (forwarded_for or "").split(",") if h.strip()][-MAX_FORWARDED_HOPS:]
    client = peer
    for hop in reversed(hops):
        addr = _parse(hop)
        if addr is None:
            break  # garbage from the client's side of the chain: stop at the last good hop
        client = addr
        if trusted is not None and not _is_trusted(addr, trusted):
            break
    return client


def client_address() -> IPAddress | None:
    """This request's client address (see the module's docstring)."""
    return resolve(request.remote_addr, request.headers.get("X-Forwarded-For"),
                   trusted_proxies(settings().forwarded_allow_ips))


def rate_key(addr: IPAddress | None) -> str:
    """What limits count this client by: the IPv4 address or the IPv6 /64."""
    if addr is None:
        return "unknown"
    if isinstance(addr, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)
