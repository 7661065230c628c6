"""Who may see what, generated from the route table: every admin route (and every API route
that is not declared public) must carry a policy, and every role × object × action answers as
surveys.accounts.policy says: 200 where it allows, 404 (never 403) where it does not, a redirect
to the sign-in page for a visitor who is not signed in."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from surveys.accounts import policy
from surveys.definitions import lifecycle
from surveys.infra import db, task_status
from surveys.models import AuditEvent, Survey
from surveys.staff import units
from tests.conftest import make_user, sign_in
from tests.integration.test_language_rights_db import survey_yaml
from webapp import api
from webapp.admin import access

# (slug, scope, audience, organisation)
SURVEYS = {
    "own": ("m-own", "17", "citizen", None),
    "other": ("m-other", "06", "citizen", None),
    "national": ("m-national", "national", "citizen", None),
    "staff": ("m-staff", "17", "staff", "ORG1"),
    "staff_other": ("m-staff-other", "06", "staff", "ORG2"),
}
ROLES = {
    "national": ("national_admin", {}),
    "region_a": ("region_admin", {"region": "17"}),
    "region_b": ("region_admin", {"region": "06"}),
    "hr": ("hr_admin", {"org": "ORG1"}),
    "analyst": ("analyst", {"grants": ["17", "org:ORG1"]}),
}
# What the policy must say, written out by hand (the generated matrix below checks the routes
# against the policy; this checks the policy against the issue).
SURVEY_VIEW = {
    "national": {"own", "other", "national", "staff", "staff_other"},
    "region_a": {"own", "national"},
    "region_b": {"other", "national"},
    "hr": {"staff"},
    "analyst": {"own", "staff"},
}
SINGLETONS = {
    "site": {"national", "region_a", "region_b", "hr", "analyst"},
    "translations": {"national", "region_a", "region_b"},
    # national admins list and invite accounts; region admins invite in their county only
    "account": {"national", "region_a", "region_b"},
    "tokens": {"national", "region_a", "region_b", "hr", "analyst"},
    "audit": {"national"},
    "queue": {"national"},
    "units": {"national", "hr"},
}


@pytest.fixture
def world(app, database_url):
    with db.session_scope(database_url) as s:
        for slug, scope, audience, org in SURVEYS.values():
            text = survey_yaml(slug, scope, {"fi": "Kysymys", "sv": "Fråga"}, audience)
            if org:  # a staff survey names its organisation, imported first (surveys.staff)
                units.import_file(s, scope, f"code,parent_code,name_fi,name_sv,headcount\n"
                                            f"{org},,{org},{org},10\n".encode())
                text = yaml.safe_dump({**yaml.safe_load(text), "organisation": org})
            lifecycle.import_survey(s, text)
    clients, actors = {}, {}
    for name, (role, kwargs) in ROLES.items():
        email = f"{name}@example.fi"
        user_id = make_user(database_url, email, role, **kwargs)
        client = app.test_client()
        assert sign_in(client, email).status_code == 303
        clients[name] = client
        regions = frozenset(g for g in kwargs.get("grants", []) if not g.startswith("org:"))
        orgs = frozenset(g[4:] for g in kwargs.get("grants", []) if g.startswith("org:"))
        actors[name] = policy.Actor(user_id, role, kwargs.get("region"), kwargs.get("org"),
                                    regions, orgs)
    return clients, actors


def _admin_rules(app):
    return [r for r in app.url_map.iter_rules()
            if r.rule.startswith(("/<lang>/admin", "/admin"))]


def test_every_admin_and_private_api_route_has_a_policy(app):
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith(("/<lang>/admin", "/admin")):
            public = access.PUBLIC
        elif rule.rule.startswith("/api/"):
            public = api.PUBLIC
        else:
            continue
        if rule.endpoint not in public and not hasattr(view, "policy"):
            missing.append(rule.rule)
    assert missing == [], f"routes without a policy: {missing}"


def test_a_new_route_without_a_policy_fails_the_check(app):
    @app.get("/<lang>/admin/forgotten")
    def forgotten(lang):
        return "secret"

    with pytest.raises(AssertionError, match="forgotten"):
        test_every_admin_and_private_api_route_has_a_policy(app)


def test_policy_says_what_the_issue_says():
    actors = {name: policy.Actor(1, role, kw.get("region"), kw.get("org"),
                                 frozenset(g for g in kw.get("grants", []) if ":" not in g),
                                 frozenset(g[4:] for g in kw.get("grants", []) if ":" in g))
              for name, (role, kw) in ROLES.items()}
    objects = {key: policy.SurveyObject(slug, scope, audience, org)
               for key, (slug, scope, audience, org) in SURVEYS.items()}
    for name, actor in actors.items():
        assert {k for k, o in objects.items() if policy.can(actor, "view", o)} == \
            SURVEY_VIEW[name], name
        # Only admins change surveys; analysts read.
        for key, obj in objects.items():
            for action in ("edit", "publish", "close", "archive"):
                expected = name == "national" or (
                    key in SURVEY_VIEW[name] and name in ("region_a", "region_b", "hr")
                    and key != "national")
                assert policy.can(actor, action, obj) == expected, (name, key, action)
        # A staff survey's invitations (links, e-mail, reminders): staff surveys only, national
        # admins and the organisation's HR admins; never a region admin or an analyst.
        for key, obj in objects.items():
            expected = SURVEYS[key][2] == "staff" and (
                name == "national" or (name == "hr" and key == "staff"))
            assert policy.can(actor, "invite", obj) == expected, (name, key, "invite")
    singletons = {"site": policy.SITE, "translations": policy.TRANSLATIONS,
                  "account": policy.AccountObject(), "audit": policy.AUDIT_LOG,
                  "queue": policy.QUEUE, "tokens": policy.OWN_TOKENS, "units": policy.UNITS}
    for kind, obj in singletons.items():
        for name, actor in actors.items():
            assert any(policy.can(actor, a, obj) for a in policy.ACTIONS[kind]) == \
                (name in SINGLETONS[kind]), (kind, name)
    assert not policy.can(None, "view", policy.SITE)
    assert not policy.can(actors["national"], "fly", policy.SITE)


# Who may invite which account (role, region, org, grants): national admins anyone; a region
# admin only region admins of its own county and analysts granted its own county alone.
INVITES = {
    ("region_admin", "17", None, ()): {"national", "region_a"},
    ("region_admin", "06", None, ()): {"national", "region_b"},
    ("analyst", None, None, ("17",)): {"national", "region_a"},
    ("analyst", None, None, ("17", "06")): {"national"},
    ("analyst", None, None, ("org:ORG1",)): {"national"},
    ("national_admin", None, None, ()): {"national"},
    ("hr_admin", None, "ORG1", ()): {"national"},
}


def test_who_may_invite_whom():
    for (role, region, org, grants), allowed in INVITES.items():
        target = policy.AccountObject(role=role, region=region, org=org,
                                      grants=frozenset(grants))
        for name, (actor_role, kw) in ROLES.items():
            actor = policy.Actor(1, actor_role, kw.get("region"), kw.get("org"))
            assert policy.can(actor, "invite", target) == (name in allowed), (name, role,
                                                                              grants)
    # Only national admins list accounts.
    region = policy.Actor(1, "region_admin", "17")
    assert not policy.can(region, "manage_users", policy.AccountObject())


def test_matrix_from_the_route_table(app, world, redis_conn):
    clients, actors = world
    anonymous = app.test_client()
    checked = 0
    for rule in _admin_rules(app):
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in access.PUBLIC:
            continue
        action, kind = view.policy
        args = set(rule.arguments) - {"lang"}
        if kind == "survey":
            assert args == {"slug"}, rule.rule
            targets = [(key, policy.SurveyObject(*SURVEYS[key]), SURVEYS[key][0])
                       for key in SURVEYS]
        elif kind == "comments":  # one survey's comments from one county
            assert args == {"slug", "region"}, rule.rule
            targets = [(key, policy.CommentsObject(policy.SurveyObject(*SURVEYS[key]), region),
                        SURVEYS[key][0]) for key in SURVEYS for region in ("17", "06")]
        elif args == {"task_id"}:  # a long admin task's progress page: a task that exists
            task = task_status.new_id()
            task_status.update(redis_conn, task, state="done", percent=100, responses=0,
                               surveys=0)
            obj = access.LOADERS[kind]({})[1]
            targets = [(kind, obj, None)]
        else:
            assert not args, rule.rule
            obj = access.LOADERS[kind]({})[1]
            targets = [(kind, obj, None)]
        for key, obj, slug in targets:
            path = rule.rule.replace("<lang>", "fi").replace("<slug>", slug or "")
            if kind == "comments":
                path = path.replace("<region>", obj.region)
            if "task_id" in args:
                path = path.replace("<task_id>", task)
            method = "get" if "GET" in rule.methods else "post"
            assert getattr(anonymous, method)(path).status_code == 302, path
            for name, client in clients.items():
                allowed = policy.can(actors[name], action, obj)
                status = getattr(client, method)(path).status_code
                assert status == (200 if allowed else 404), (name, path, status)
                if kind == "survey" and action == "view":
                    assert allowed == (key in SURVEY_VIEW[name]), (name, key)
                checked += 1
        if kind == "survey":
            missing = rule.rule.replace("<lang>", "fi").replace("<slug>", "no-such-survey")
            assert clients["national"].get(missing).status_code == 404
    assert checked >= len(clients) * (len(SURVEYS) + 4)


def test_a_refusal_looks_like_a_missing_survey_and_is_audited(app, world, database_url):
    clients, actors = world
    refused = clients["region_a"].get("/fi/admin/surveys/m-other")
    missing = clients["region_a"].get("/fi/admin/surveys/no-such-survey")
    assert refused.status_code == missing.status_code == 404
    assert refused.get_data(as_text=True).replace("m-other", "x") == \
        missing.get_data(as_text=True).replace("no-such-survey", "x")
    with db.session_scope(database_url) as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert [(e.actor_user_id, e.object_id) for e in denied] == [
            (actors["region_a"].user_id, "m-other")]


def test_survey_list_shows_only_what_the_account_may_see(world):
    clients, _actors = world
    for name, client in clients.items():
        html = client.get("/fi/admin/surveys").get_data(as_text=True)
        shown = {key for key, (slug, *_rest) in SURVEYS.items()
                 if f"/fi/admin/surveys/{slug}\"" in html}
        assert shown == SURVEY_VIEW[name], name


def test_home_links_only_pages_the_account_may_see(world):
    clients, _actors = world
    home = clients["region_a"].get("/fi/admin/").get_data(as_text=True)
    assert "/fi/admin/surveys" in home and "/fi/admin/translations" in home
    assert "/fi/admin/audit" not in home and "/fi/admin/users\"" not in home
    assert "/fi/admin/users/invite" in home
    home = clients["national"].get("/fi/admin/").get_data(as_text=True)
    assert "/fi/admin/audit" in home and "/fi/admin/users" in home


def test_public_pages_stay_public(client, demo_survey):
    assert client.get(f"/fi/s/{demo_survey}").status_code == 200
    assert client.get(f"/fi/results/{demo_survey}").status_code == 200
    assert client.get(f"/api/v1/surveys/{demo_survey}/results").status_code == 200
    assert client.get("/api/v1/surveys").status_code == 200


def test_deactivated_account_loses_access(world, database_url):
    clients, _actors = world
    from surveys.accounts import users

    with db.session_scope(database_url) as s:
        users.deactivate(s, "region_a@example.fi")
    assert clients["region_a"].get("/fi/admin/surveys/m-own").status_code == 302
    with db.session_scope(database_url) as s:
        assert s.scalar(select(Survey.slug).where(Survey.slug == "m-own")) == "m-own"


def test_translator_link_routes_open_nothing_without_a_good_link(app, world):
    """The translator link's pages (webapp.admin.translator) are outside the admin policy:
    the link is their only key. Each route of the blueprint, walked from the route table,
    refuses a token that is no link (410), signed in or not, and is no admin page."""
    clients, _actors = world
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("translator.")]
    assert len(rules) >= 2
    for rule in rules:
        assert not rule.rule.startswith(("/<lang>/admin", "/admin")), rule.rule
        path = rule.rule.replace("<lang>", "fi").replace("<token>", "A" * 43)
        for client in (app.test_client(), clients["national"]):
            for method in sorted(rule.methods & {"GET", "POST"}):
                resp = getattr(client, method.lower())(path)
                # A POST without the link's CSRF token is refused before anything is read.
                assert resp.status_code in ((410,) if method == "GET" else (400, 410)), \
                    (path, method, resp.status_code)
