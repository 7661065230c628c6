"""`palaute users`: create, list and deactivate administrators' accounts.

The password is read from standard input, never from an argument (arguments are visible to
every user of the machine and kept in shell histories): typed twice at a terminal, or one line
from a pipe (`printf '%s\\n' "$PASSWORD" | palaute users create …`). Every change is in the audit
log (via "cli").
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from surveys.accounts import audit, passwords, users
from surveys.infra import db
from surveys.models import ROLES

from ..extensions import settings

POLICY_TEXTS = {
    passwords.TOO_SHORT: f"shorter than {passwords.MIN_LENGTH} characters",
    passwords.TOO_LONG: f"longer than {passwords.MAX_LENGTH} characters",
    passwords.COMMON: "a common or breached password (or one with digits or symbols added)",
    passwords.CONTAINS_EMAIL: "contains the e-mail address's name",
}
ERROR_TEXTS = {
    "bad_email": "not an e-mail address: {value}",
    "bad_role": "unknown role: {value}",
    "region_required": "a region_admin needs --region CODE (a county code, e.g. 17)",
    "org_required": "an hr_admin needs --org CODE",
    "region_not_for_role": "--region is only for region_admin (analysts get --grant)",
    "org_not_for_role": "--org is only for hr_admin (analysts get --grant org:CODE)",
    "unknown_region": "unknown region: {value} (county codes are 01–21 and 90 for Helsinki)",
    "bad_org": "bad organisation code: {value} (letters, digits, . _ -; at most 40)",
    "grants_not_for_role": "--grant is only for analysts",
    "exists": "an account already exists for {value}",
    "unknown_user": "no account for {value}",
}


def _explain(exc: users.AccountError) -> str:
    if exc.code == "weak_password":
        return "password refused: " + "; ".join(POLICY_TEXTS[p] for p in exc.details)
    return ERROR_TEXTS.get(exc.code, exc.code).format(value=exc.value)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = click.prompt("Password", hide_input=True)
        second = click.prompt("Password again", hide_input=True)
        if first != second:
            raise click.ClickException("the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@click.group("users", cls=AppGroup)
def group() -> None:
    """Administrators' accounts."""


@group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--region", metavar="CODE", help="The county of a region_admin.")
@click.option("--org", metavar="CODE", help="The organisation of an hr_admin.")
@click.option("--grant", "grants", metavar="CODE", multiple=True,
              help="An analyst's county (its code) or organisation (org:CODE); repeatable.")
def users_create(email: str, role: str, region: str | None, org: str | None,
                 grants: tuple[str, ...]) -> None:
    """Create the account EMAIL; its password is read from standard input."""
    password = _read_password()
    if not password:
        raise click.ClickException("no password given on standard input")
    try:
        with db.session_scope(settings()) as session:
            user = users.create(session, email, password, role, region=region, org=org,
                                grants=list(grants))
            audit.record(session, action="users.create", at=datetime.now(UTC), via="cli",
                         object_kind="account", object_id=str(user.id))
            created = user.email
    except users.AccountError as exc:
        raise click.ClickException(_explain(exc)) from exc
    click.echo(f"created {role} {created}")


@group.command("list")
def users_list() -> None:
    """List the accounts: e-mail, role, county or organisation, active."""
    with db.session_scope(settings()) as session:
        for u in users.listing(session):
            where = u.region_code or u.org_code or "-"
            state = "active" if u.active else "deactivated"
            click.echo(f"{u.email}\t{u.role}\t{where}\t{state}\t{u.created_on.isoformat()}")


@group.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Block the account EMAIL from signing in and end its sessions now."""
    try:
        with db.session_scope(settings()) as session:
            user = users.deactivate(session, email)
            audit.record(session, action="users.deactivate", at=datetime.now(UTC), via="cli",
                         object_kind="account", object_id=str(user.id))
    except users.AccountError as exc:
        raise click.ClickException(_explain(exc)) from exc
    click.echo(f"deactivated {users.normalise_email(email)}")
