"""The parts of webapp.security, webapp.clients and webapp.ratelimit that need no request."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from webapp import clients, ratelimit, security

TEMPLATES = Path(__file__).resolve().parents[3] / "webapp" / "templates"


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("**/*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template):
    """The CSP allows no inline script or style: a template with one would break in browsers."""
    html = template.read_text("utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html, re.I), "inline <script>"
    assert not re.search(r"<style\b", html, re.I), "inline <style>"
    assert not re.search(r"\sstyle\s*=", html, re.I), "style= attribute"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "on…= event handler"
    assert "javascript:" not in html.lower()


def test_csp_allows_nothing_inline_and_frames_only_what_it_is_given():
    assert "unsafe" not in security.CSP and security.CSP.endswith("frame-ancestors 'none'")
    assert security.csp_for(["https://a.example.fi", "https://*.b.example"]).endswith(
        "frame-ancestors https://a.example.fi https://*.b.example")
    assert security.csp_for([]) == security.CSP


@pytest.mark.parametrize(("path", "admin"), [
    ("/admin/login", True), ("/admin", True), ("/fi/admin/surveys", True),
    ("/smn/admin/translations", True), ("/sv/admin/", True),
    ("/fi/administration", False), ("/fi/s/admin", False), ("/xx/admin/surveys", False),
    ("/fi/s/kysely/admin", False), ("/api/v1/surveys", False),
])
def test_admin_pages_are_told_by_path(path, admin):
    assert bool(security.ADMIN_PATH.match(path)) is admin


TRUST_LOCAL = clients.trusted_proxies("127.0.0.1")


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    # Nobody in between: the peer, whatever the header says.
    ("192.0.2.1", None, TRUST_LOCAL, "192.0.2.1"),
    ("192.0.2.1", "203.0.113.9", TRUST_LOCAL, "192.0.2.1"),
    # A trusted proxy: the address it saw, the rightmost not trusted.
    ("127.0.0.1", "203.0.113.9", TRUST_LOCAL, "203.0.113.9"),
    ("127.0.0.1", "198.51.100.66, 203.0.113.9", TRUST_LOCAL, "203.0.113.9"),
    ("10.0.0.5", "198.51.100.66, 203.0.113.9, 10.0.0.4",
     clients.trusted_proxies("10.0.0.0/24"), "203.0.113.9"),
    ("127.0.0.1", None, TRUST_LOCAL, "127.0.0.1"),
    ("127.0.0.1", "not-an-address", TRUST_LOCAL, "127.0.0.1"),
    ("127.0.0.1", "203.0.113.9, junk", TRUST_LOCAL, "127.0.0.1"),
    ("::ffff:192.0.2.7", None, TRUST_LOCAL, "192.0.2.7"),
    # `*`: every peer is a proxy, the leftmost address wins.
    ("192.0.2.1", "198.51.100.66, 203.0.113.9", None, "198.51.100.66"),
    # A Unix socket (no peer address) is trusted, as gunicorn treats it.
    ("", "203.0.113.9", TRUST_LOCAL, "203.0.113.9"),
    ("", None, TRUST_LOCAL, None),
])
def test_client_address_believes_forwarded_for_only_from_trusted_proxies(
        peer, forwarded, trusted, client):
    found = clients.resolve(peer, forwarded, trusted)
    assert (str(found) if found is not None else None) == client


def test_rate_key_counts_ipv6_by_its_64():
    v6 = ipaddress.ip_address("2001:db8:1:2:3:4:5:6")
    assert clients.rate_key(v6) == "2001:db8:1:2::/64"
    assert clients.rate_key(ipaddress.ip_address("192.0.2.1")) == "192.0.2.1"
    assert clients.rate_key(None) == "unknown"


def test_rate_limit_notation_is_checked():
    for good in ("60/minute;2000/hour", "10 per second", "off", "OFF"):
        ratelimit.check_notation(good)
    for bad in ("lots", "60/fortnight", "60"):
        with pytest.raises(ValueError, match="RATE_LIMIT_SUBMIT"):
            ratelimit.check_notation(bad)


def test_storage_uri_for_each_redis_url():
    assert ratelimit.storage_uri("redis://h:6379/8") == "redis://h:6379/8"
    assert ratelimit.storage_uri("rediss://h:6380/0") == "rediss://h:6380/0"
    assert ratelimit.storage_uri("unix:///tmp/x/redis.sock") == "redis+unix:///tmp/x/redis.sock"
