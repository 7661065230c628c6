"""Free-text comments: readable by the county's signed-in roles only, only for a county at or
above the free-text threshold, scrubbed, in random order, tagged by theme without any link to
the response; never on public pages."""

from __future__ import annotations

import random
import re

from sqlalchemy import inspect, select

from surveys.accounts import policy
from surveys.definitions import lookup
from surveys.infra import db
from surveys.models import CommentTag, Response
from surveys.report import comments
from tests.conftest import VALID_ANSWERS, make_user, run_worker, sign_in, submit

PHONE = "040 1234567"


def answer(client, slug, n, region="17", text="Kommentti {i}"):
    for i in range(n):
        resp = submit(client, slug, "fi", {**VALID_ANSWERS, "region": region,
                                           "comment": text.format(i=i)})
        assert resp.status_code == 303


def signed_in(app, database_url, email, role, **kwargs):
    make_user(database_url, email, role, **kwargs)
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_county_roles_read_scrubbed_comments_and_tag_them(app, client, demo_survey,
                                                          redis_conn, database_url, settings):
    answer(client, demo_survey, 11)
    answer(client, demo_survey, 1, text=f"Soittakaa minulle {PHONE}")
    answer(client, demo_survey, 4, region="19", text="Pieni joukko {i}")
    run_worker(redis_conn)
    url = f"/fi/admin/surveys/{demo_survey}/comments/17"

    # Not signed in: the sign-in page. Another county's admin, HR: as if it did not exist.
    assert client.get(url).status_code == 302
    other = signed_in(app, database_url, "b@example.fi", "region_admin", region="06")
    assert other.get(url).status_code == 404
    hr = signed_in(app, database_url, "hr@example.fi", "hr_admin", org="ORG1")
    assert hr.get(url).status_code == 404

    analyst = signed_in(app, database_url, "a@example.fi", "analyst", grants=["17", "19"])
    page = analyst.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with db.session_scope(settings) as s:
        moved = [r.answers["comment"] for r in s.scalars(
            select(Response).where(Response.region_code == "17"))]
    assert moved  # the fold moved a shuffled batch
    shown = re.findall(r"<blockquote>(.*?)</blockquote>", html)
    assert sorted(shown) == sorted(
        comments.pii.scrub(t) for t in moved)  # every moved comment, scrubbed
    assert PHONE not in html
    assert "Pieni joukko" not in html  # another county's comments are not on this page

    # County 19 has four respondents, below the free-text threshold (10): nothing shown.
    small = analyst.get(f"/fi/admin/surveys/{demo_survey}/comments/19").get_data(as_text=True)
    assert 'id="too-few"' in small and "<blockquote>" not in small

    # Tag a comment: the tag hangs on a keyed hash of the comment, not on its response.
    key = re.search(r'name="comment" value="([0-9a-f]{64})"', html).group(1)
    resp = analyst.post(f"{url}/tags", data={"csrf_token": csrf(html), "question": "comment",
                                             "comment": key, "tag": "  Odotus-ajat "})
    assert resp.status_code == 303
    html = analyst.get(url).get_data(as_text=True)
    assert 'id="themes"' in html and "odotus-ajat" in html
    with db.session_scope(settings) as s:
        rows = s.scalars(select(CommentTag)).all()
        assert [(r.region_code, r.question_id, r.comment_key, r.tag) for r in rows] == \
            [("17", "comment", key, "odotus-ajat")]
        ids = {str(r.id) for r in s.scalars(select(Response))}
    columns = {c["name"] for c in inspect(db.engine_for(settings)).get_columns("comment_tags")}
    assert columns == {"survey_id", "region_code", "question_id", "comment_key", "tag"}
    assert key not in ids and all(i not in key for i in ids)
    # A made-up key is refused, and so is any change without the CSRF token.
    assert analyst.post(f"{url}/tags", data={"csrf_token": csrf(html), "question": "comment",
                                             "comment": "0" * 64, "tag": "x"}).status_code == 404
    assert analyst.post(f"{url}/tags", data={"question": "comment", "comment": key,
                                             "tag": "x"}).status_code in (400, 403)
    # Removing the tag.
    resp = analyst.post(f"{url}/tags", data={"csrf_token": csrf(html), "question": "comment",
                                             "comment": key, "tag": "odotus-ajat",
                                             "remove": "1"})
    assert resp.status_code == 303
    with db.session_scope(settings) as s:
        assert s.scalars(select(CommentTag)).all() == []

    # The county's own region admin reads them too; public pages never show them.
    own = signed_in(app, database_url, "r@example.fi", "region_admin", region="17")
    assert own.get(url).status_code == 200
    for public in (f"/fi/results/{demo_survey}?region=17", f"/en/results/{demo_survey}",
                   f"/api/v1/surveys/{demo_survey}/results?region=17",
                   f"/api/v1/surveys/{demo_survey}/results.csv",
                   f"/fi/results/{demo_survey}/export.csv?region=17"):
        body = client.get(public).get_data(as_text=True)
        assert "Kommentti" not in body, public


def test_comments_come_in_random_order(demo_survey, client, redis_conn, settings):
    answer(client, demo_survey, 20)
    run_worker(redis_conn)
    with db.session_scope(settings) as s:
        survey = lookup.visible(s, demo_survey)
        orders = {tuple(c.text for c in comments.read(s, survey, "17", b"k", "fi",
                                                      random.Random(seed)).questions[0].comments)
                  for seed in range(5)}
        stored = [r.answers["comment"] for r in s.scalars(
            select(Response).where(Response.region_code == "17"))]
    assert len(orders) > 1
    assert all(sorted(o) == sorted(stored) for o in orders)


def test_the_free_text_threshold_is_the_surveys_never_below_min_group_size():
    assert comments.threshold({"min_group_size": 5}) == 10
    assert comments.threshold({"min_group_size": 5, "free_text_min_group_size": 20}) == 20
    assert comments.threshold({"min_group_size": 12, "free_text_min_group_size": 8}) == 12


def test_policy_for_comments():
    national = policy.SurveyObject("n", "national", "citizen")
    own = policy.SurveyObject("o", "17", "citizen")
    staff = policy.SurveyObject("s", "17", "staff", "ORG1")
    region_a = policy.Actor(1, "region_admin", "17")
    analyst = policy.Actor(2, "analyst", granted_regions=frozenset({"17"}))
    hr = policy.Actor(3, "hr_admin", org="ORG1")
    boss = policy.Actor(4, "national_admin")
    for actor in (region_a, analyst, boss):
        assert policy.can(actor, "read", policy.CommentsObject(national, "17"))
        assert policy.can(actor, "tag", policy.CommentsObject(own, "17"))
    for actor in (region_a, analyst):
        assert not policy.can(actor, "read", policy.CommentsObject(national, "06"))
        assert not policy.can(actor, "read", policy.CommentsObject(own, "06"))
        assert not policy.can(actor, "read", policy.CommentsObject(staff, "17"))
    assert not policy.can(hr, "read", policy.CommentsObject(staff, "17"))
    assert not policy.can(None, "read", policy.CommentsObject(own, "17"))
