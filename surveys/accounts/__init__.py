"""Administrators' accounts: users and their roles, passwords, server-side sessions, the one
access policy (`policy.can`) and the append-only audit log. No Flask here: `webapp.admin` is the
HTTP side, `webapp/cli/users.py` the command line, `surveys.infra.throttle` the sign-in
back-off (Redis)."""

from surveys.models import ROLES

__all__ = ["ROLES"]
