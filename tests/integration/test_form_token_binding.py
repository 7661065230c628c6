"""A survey form's one-time submission token is bound to the survey and to the browser's form
cookie (issue 10, item 5), without a server-side session and without anything that ties it to
the stored response."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from surveys.collect.store import token_hash
from surveys.infra import db
from surveys.models import SubmissionReceipt
from tests.conftest import VALID_ANSWERS, TestCli
from tests.integration.test_bad_input import stored, tokens
from webapp.cli import main as cli
from webapp.respond.form_tokens import COOKIE

DEMO = Path(__file__).resolve().parents[2] / "surveys/definitions/demo/asiakaskokemus-2026.yaml"


def other_survey(tmp_path: Path) -> str:
    """The demo survey again under another slug: the same questions, the same answers valid."""
    path = tmp_path / "toinen.yaml"
    path.write_text(DEMO.read_text().replace("slug: asiakaskokemus-2026", "slug: toinen-2026"))
    for args in (["surveys", "import", str(path)], ["surveys", "publish", "toinen-2026"]):
        result = TestCli().invoke(cli, args)
        assert result.exit_code == 0, result.output
    return "toinen-2026"


def assert_expired_with_answers_kept(resp) -> None:
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Lomake oli vanhentunut" in html
    assert "Hyvää palvelua." in html


def test_a_token_from_another_survey_is_refused(client, demo_survey, database_url, tmp_path):
    other = other_survey(tmp_path)
    from_a = tokens(client, demo_survey)
    from_b = tokens(client, other)
    # The same browser (cookie, CSRF token), survey A's submission token, sent to survey B.
    resp = client.post(f"/fi/s/{other}",
                       data={**from_b, "submission_token": from_a["submission_token"],
                             **VALID_ANSWERS})
    assert_expired_with_answers_kept(resp)
    assert stored(database_url) == (0, 0, 0)
    # Each token still works on its own survey.
    assert client.post(f"/fi/s/{other}", data={**from_b, **VALID_ANSWERS}).status_code == 303
    assert client.post(f"/fi/s/{demo_survey}",
                       data={**from_a, **VALID_ANSWERS}).status_code == 303
    assert stored(database_url) == (2, 2, 2)


def test_a_token_from_another_browser_is_refused(app, demo_survey, database_url):
    first, second = app.test_client(), app.test_client()
    lifted = tokens(first, demo_survey)
    own = tokens(second, demo_survey)
    assert first.get_cookie(COOKIE).value != second.get_cookie(COOKIE).value
    # The other browser's submission token with this browser's valid CSRF token ...
    resp = second.post(f"/fi/s/{demo_survey}",
                       data={**own, "submission_token": lifted["submission_token"],
                             **VALID_ANSWERS})
    assert_expired_with_answers_kept(resp)
    # ... or the whole lifted form: refused too.
    assert_expired_with_answers_kept(
        second.post(f"/fi/s/{demo_survey}", data={**lifted, **VALID_ANSWERS}))
    assert stored(database_url) == (0, 0, 0)
    # The token still works in the browser it was made for, once.
    assert first.post(f"/fi/s/{demo_survey}",
                      data={**lifted, **VALID_ANSWERS}).status_code == 303
    assert first.post(f"/fi/s/{demo_survey}",
                      data={**lifted, **VALID_ANSWERS}).status_code == 303
    assert stored(database_url) == (1, 1, 1)


def test_a_token_survives_a_new_cookie_only_through_a_fresh_form(app, demo_survey,
                                                                  database_url):
    """A browser that lost its form cookie gets the form back with fresh tokens, which work."""
    browser = app.test_client()
    old = tokens(browser, demo_survey)
    browser.delete_cookie(COOKIE)
    resp = browser.post(f"/fi/s/{demo_survey}", data={**old, **VALID_ANSWERS})
    assert_expired_with_answers_kept(resp)
    from tests.conftest import form_tokens
    fresh = form_tokens(resp.get_data(as_text=True))
    assert browser.post(f"/fi/s/{demo_survey}",
                        data={**fresh, **VALID_ANSWERS}).status_code == 303
    assert stored(database_url) == (1, 1, 1)


def test_the_receipt_is_the_hash_of_the_random_part_only(client, demo_survey, database_url):
    """Neither the survey nor the cookie nonce is in the token or its receipt: the receipt can't
    be matched to a browser or recomputed from anything but the token itself."""
    sent = tokens(client, demo_survey)
    nonce = client.get_cookie(COOKIE).value
    token = sent["submission_token"]
    assert nonce not in token and demo_survey not in token
    assert client.post(f"/fi/s/{demo_survey}", data={**sent, **VALID_ANSWERS}).status_code == 303
    random_part = token.split(".")[0]
    with db.session_scope(database_url) as s:
        assert list(s.scalars(select(SubmissionReceipt.token_hash))) == [token_hash(random_part)]
