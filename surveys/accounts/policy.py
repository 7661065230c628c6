"""The one place that decides who may do what to which object: `can(actor, action, obj)`.

Every admin page, export, API object and CLI-equivalent action asks this function (the web
through `webapp.admin.access.requires`); nothing else compares roles. What a role may do:

- national_admin: every action on every object (and the only one to reopen a closed
  survey), accounts, audit log and queue included;
- region_admin: every survey action on citizen surveys of its county; view and view_results of
  national citizen surveys; its county;
- hr_admin: every survey action on staff surveys of its organisation; its organisation's units
  (view, manage_units: the units page and CSV import);
- "invite" (a staff survey's invitations: links, e-mail invitations and reminders, their
  counts) is for staff surveys only: national admins and the organisation's HR admins;
- analyst: view, view_results and export of surveys of the counties and organisations granted;
  the counties granted; view of the organisations granted.

Free-text comments (kind "comments": one citizen survey's comments from one county; actions
"read" and "tag") are for national admins, the county's region admins and analysts granted the
county, of a survey of that county or a national one; never for HR (staff surveys' comments
are not offered) nor for another county's accounts. The free-text threshold is the domain's
(surveys.report.comments).

Accounts are national admins' (list, invite anyone); a region admin may invite region admins of
its own county and analysts granted its own county only. Every account manages its own API
tokens (kind "tokens"), which act with the account's rights (webapp.api.requires_token).

The interface translation status (kind "translations") is for national and region admins; the
admin home and the survey list ("site", "view") for every signed-in account, starting a new
survey ("site", "create_survey") for admins, the list showing only what
`can(actor, "view", survey)` allows. An object the actor may not act on is answered as if it did
not exist (404), so a county's admin learns nothing of another county's surveys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# "archive": put a closed survey out of every public list (as "close", who may close may
# archive). "invite": mail a staff survey's invitations (surveys.staff.mailing).
SURVEY_ACTIONS = ("view", "edit", "publish", "close", "archive", "reopen", "view_results",
                  "export", "invite")
READ_ACTIONS = ("view", "view_results", "export")


@dataclass(frozen=True)
class Actor:
    """A signed-in account as the policy sees it."""

    user_id: int
    role: str
    region: str | None = None
    org: str | None = None
    granted_regions: frozenset[str] = field(default_factory=frozenset)
    granted_orgs: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SurveyObject:
    slug: str
    scope: str  # "national" or a county code
    audience: str  # "citizen" or "staff"
    org: str | None = None  # the organisation of a staff survey
    kind: str = "survey"


@dataclass(frozen=True)
class CommentsObject:
    """One survey's free-text comments from one county (surveys.report.comments)."""

    survey: SurveyObject
    region: str
    kind: str = "comments"


@dataclass(frozen=True)
class RegionObject:
    code: str
    kind: str = "region"


@dataclass(frozen=True)
class AccountObject:
    user_id: int | None = None  # None: accounts as a whole (list, create)
    kind: str = "account"
    # For "invite": the account to be made (None: the invitation form itself).
    role: str | None = None
    region: str | None = None
    org: str | None = None
    grants: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class OwnTokens:
    """The signed-in account's own API tokens: every account manages its own."""

    kind: str = "tokens"


@dataclass(frozen=True)
class Singleton:
    """An object of which there is one: the audit log, the queue, the interface translations,
    the admin site itself."""

    kind: str


@dataclass(frozen=True)
class OrganisationObject:
    """A county's organisation (the root unit of surveys.staff.units), by its code."""

    region: str
    code: str
    kind: str = "organisation"


AUDIT_LOG = Singleton("audit")
# The organisation units page (staff surveys): national admins and HR admins, each HR admin
# seeing and changing only its own organisation (kind "organisation").
UNITS = Singleton("units")
QUEUE = Singleton("queue")
TRANSLATIONS = Singleton("translations")
SITE = Singleton("site")
OWN_TOKENS = OwnTokens()

# Every (kind, action) pair the policy knows; anything else is refused.
ACTIONS = {
    "survey": SURVEY_ACTIONS,
    "region": ("view", "view_results"),
    "account": ("manage_users", "invite"),
    "tokens": ("manage",),
    "audit": ("view_audit", "export"),
    "queue": ("view", "requeue", "rebuild"),
    "translations": ("view",),
    "site": ("view", "create_survey"),
    "units": ("view",),
    "organisation": ("view", "manage_units"),
    "comments": ("read", "tag"),
}


def survey_object(survey) -> SurveyObject:
    """The policy's view of a survey row or snapshot (anything with slug, scope, audience and a
    definition; a staff survey's organisation is its definition's `organisation`)."""
    definition = getattr(survey, "definition", None) or {}
    org = getattr(survey, "org_code", None) or definition.get("organisation")
    return SurveyObject(slug=survey.slug, scope=survey.scope, audience=survey.audience, org=org)


def can(actor: Actor | None, action: str, obj) -> bool:
    if actor is None:
        return False
    kind = getattr(obj, "kind", None)
    if action not in ACTIONS.get(kind, ()):
        return False
    if kind == "survey" and action == "invite" and obj.audience != "staff":
        return False  # invitations are staff surveys' only, for every role
    if actor.role == "national_admin":
        return True
    if kind == "site":
        # Every signed-in account sees the admin home; admins (not analysts) build surveys,
        # each only for the areas `can(actor, "edit", survey)` allows.
        return action == "view" or actor.role in ("region_admin", "hr_admin")
    if kind == "survey":
        return _survey(actor, action, obj)
    if kind == "region":
        if actor.role == "region_admin":
            return obj.code == actor.region
        if actor.role == "analyst":
            return obj.code in actor.granted_regions
        return False
    if kind == "comments":
        return _comments(actor, obj)
    if kind == "translations":
        return actor.role == "region_admin"
    if kind == "tokens":
        return True
    if kind == "account" and action == "invite":
        return _invite(actor, obj)
    if kind == "units":
        return actor.role == "hr_admin"
    if kind == "organisation":
        if actor.role == "hr_admin":
            return obj.code == actor.org
        return actor.role == "analyst" and action == "view" and obj.code in actor.granted_orgs
    # accounts, the audit log and the queue: national admins only
    return False


def _comments(actor: Actor, obj: CommentsObject) -> bool:
    """A county's comments: its region admins and the analysts granted it, of a citizen survey
    of that county or a national one."""
    survey = obj.survey
    if survey.audience != "citizen" or survey.scope not in ("national", obj.region):
        return False
    if actor.role == "region_admin":
        return obj.region == actor.region
    if actor.role == "analyst":
        return obj.region in actor.granted_regions
    return False


def _invite(actor: Actor, account: AccountObject) -> bool:
    """A region admin invites region admins and analysts of its own county (an analyst granted
    that county and nothing else); national admins invite anyone."""
    if actor.role != "region_admin":
        return False
    if account.role is None:  # the form
        return True
    if account.role == "region_admin":
        return account.region == actor.region and not account.org and not account.grants
    if account.role == "analyst":
        return (account.region is None and not account.org
                and account.grants == frozenset({actor.region}))
    return False


def _survey(actor: Actor, action: str, survey: SurveyObject) -> bool:
    if action == "reopen":
        return False  # a closed survey is reopened by a national admin only
    if actor.role == "region_admin":
        if survey.audience != "citizen":
            return False
        if survey.scope == actor.region:
            return True
        return survey.scope == "national" and action in ("view", "view_results")
    if actor.role == "hr_admin":
        return survey.audience == "staff" and survey.org is not None and survey.org == actor.org
    if actor.role == "analyst":
        if action not in READ_ACTIONS:
            return False
        if survey.audience == "staff":
            return survey.org is not None and survey.org in actor.granted_orgs
        return survey.scope in actor.granted_regions
    return False
