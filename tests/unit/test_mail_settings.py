"""Mail settings and the `make run` banner's line about development mail."""

from __future__ import annotations

import pytest

from surveys.infra.settings import Settings
from webapp.cli.serve import banner


def test_smtp_endpoint_defaults():
    assert Settings.from_env({}).smtp_endpoint() == ("127.0.0.1", 8025)
    assert Settings.from_env({"SMTP_HOST": "relay.example.fi"}).smtp_endpoint() == (
        "relay.example.fi", 25)
    assert Settings.from_env({"SMTP_HOST": "r", "SMTP_TLS": "starttls"}).smtp_endpoint() == (
        "r", 587)
    assert Settings.from_env({"SMTP_HOST": "r", "SMTP_TLS": "ssl"}).smtp_endpoint() == ("r", 465)
    assert Settings.from_env({"SMTP_HOST": "r", "SMTP_PORT": "2525"}).smtp_endpoint() == (
        "r", 2525)
    with pytest.raises(ValueError, match="SMTP_TLS"):
        Settings.from_env({"SMTP_TLS": "maybe"})


def test_oidc_is_off_by_default():
    assert not Settings.from_env({}).oidc_enabled
    assert Settings.from_env({"OIDC_ISSUER": "https://idp", "OIDC_CLIENT_ID": "c"}).oidc_enabled


def test_banner_says_where_development_mail_goes():
    text = banner("http://127.0.0.1:5000", "redis://x", "sqlite:///x", "live",
                  "/srv/instance/mail/*.eml  (SMTP 127.0.0.1:8025)")
    assert "mail (invitations, resets) /srv/instance/mail/*.eml" in text
