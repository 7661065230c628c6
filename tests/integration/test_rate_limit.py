"""RATE_LIMIT_SUBMIT: survey answers per client address and survey, counted in the real Redis
(webapp/ratelimit.py, webapp/clients.py); 429 keeps the answers; Redis down lets them through."""

from __future__ import annotations

import logging
import re

import pytest

from surveys.fold import aggregation
from tests.conftest import VALID_ANSWERS, form_tokens, free_port, submit

LIMIT = "3/minute"
COMMENT = "Odotin liian kauan, mutta hoito oli hyvää."
ANSWERS = {**VALID_ANSWERS, "comment": COMMENT}


def stored(session) -> int:
    session.expire_all()
    return aggregation.stored_count(session)  # moved into `responses` or held for the fold


@pytest.fixture
def limited_app(settings, redis_conn):
    from webapp import create_app

    return create_app(settings.with_overrides(rate_limit_submit=LIMIT), {"TESTING": True})


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def use_quota(client, slug: str, lang: str = "fi", answers=None, **headers) -> None:
    for _ in range(3):
        page = client.get(f"/{lang}/s/{slug}")
        data = {**form_tokens(page.get_data(as_text=True)), **(answers or ANSWERS)}
        assert client.post(f"/{lang}/s/{slug}", data=data, headers=headers).status_code == 303


def post_form(client, slug: str, lang: str = "fi", answers=None, **headers):
    page = client.get(f"/{lang}/s/{slug}")
    data = {**form_tokens(page.get_data(as_text=True)), **(answers or ANSWERS)}
    return data, client.post(f"/{lang}/s/{slug}", data=data, headers=headers)


@pytest.mark.parametrize(("lang", "sentence", "heading_lang"), [
    ("fi", "Verkostasi on lähetetty lyhyessä ajassa hyvin monta vastausta", "fi"),
    ("sv", "Mycket många svar har skickats från ditt nätverk på kort tid", "sv"),
])
def test_over_the_limit_429_in_the_page_language_keeps_the_answers_and_token(
        limited_app, demo_survey, session, lang, sentence, heading_lang):
    client = client_from(limited_app, "192.0.2.10")
    use_quota(client, demo_survey, lang)
    assert stored(session) == 3

    sent, resp = post_form(client, demo_survey, lang)
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    html = resp.get_data(as_text=True)
    assert f'<html lang="{heading_lang}">' in html
    assert sentence in html
    # The typed answers are in the form again ...
    assert COMMENT in html
    assert re.search(r'value="dental"\s+checked', html)
    assert re.search(r'value="phone"\s+checked', html) and re.search(r'value="online"\s+checked',
                                                                      html)
    assert re.search(r'<option value="17" selected>', html)
    # ... with the same one-time token, so sending again can't store it twice.
    assert form_tokens(html)["submission_token"] == sent["submission_token"]
    assert stored(session) == 3


def test_the_kept_form_sent_again_later_is_stored_once(limited_app, settings, demo_survey,
                                                      session):
    from webapp import create_app

    client = client_from(limited_app, "192.0.2.11")
    use_quota(client, demo_survey)
    _sent, refused = post_form(client, demo_survey)
    assert refused.status_code == 429
    again = {**form_tokens(refused.get_data(as_text=True)), **ANSWERS}

    # "In a moment": the window has passed (here: a process without the limit, same database).
    later = client_from(create_app(settings.with_overrides(rate_limit_submit="off"),
                                   {"TESTING": True}), "192.0.2.11")
    later.set_cookie("palaute_form", client.get_cookie("palaute_form").value)
    assert later.post(f"/fi/s/{demo_survey}", data=again).status_code == 303
    assert later.post(f"/fi/s/{demo_survey}", data=again).status_code == 303  # a double click
    assert stored(session) == 4


def test_only_posts_to_the_form_are_counted(limited_app, demo_survey):
    client = client_from(limited_app, "192.0.2.12")
    for _ in range(6):
        assert client.get(f"/fi/s/{demo_survey}").status_code == 200
        assert client.get(f"/fi/results/{demo_survey}?region=17").status_code == 200
        assert client.get(f"/api/v1/surveys/{demo_survey}/results").status_code == 200
        assert client.get(f"/fi/s/{demo_survey}/privacy").status_code == 200
    # Invalid answers count (each is a POST to the form) but GETs did not.
    bad = {**ANSWERS, "recommend": "11"}
    _sent, resp = post_form(client, demo_survey, answers=bad)
    assert resp.status_code == 400
    use_quota_left = [post_form(client, demo_survey)[1].status_code for _ in range(3)]
    assert use_quota_left == [303, 303, 429]


def test_each_address_and_each_survey_has_its_own_quota(limited_app, demo_survey, session):
    first, second = client_from(limited_app, "192.0.2.20"), client_from(limited_app,
                                                                        "192.0.2.21")
    use_quota(first, demo_survey)
    assert post_form(first, demo_survey)[1].status_code == 429
    use_quota(second, demo_survey)  # another address: a quota of its own
    assert post_form(second, demo_survey)[1].status_code == 429

    other = "osterbotten-halsostation-2026"  # another survey: a quota of its own
    answers = {"recommend": "8", "language_ok": "5"}
    use_quota(first, other, "sv", answers)
    assert post_form(first, other, "sv", answers)[1].status_code == 429
    assert stored(session) == 9


def test_ipv6_clients_count_by_their_64(limited_app, demo_survey):
    a = client_from(limited_app, "2001:db8:1:2::10")
    b = client_from(limited_app, "2001:db8:1:2:ffff::99")  # same /64: one home, one quota
    c = client_from(limited_app, "2001:db8:1:3::10")  # another /64
    use_quota(a, demo_survey)
    assert post_form(b, demo_survey)[1].status_code == 429
    assert post_form(c, demo_survey)[1].status_code == 303


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(limited_app, demo_survey):
    # FORWARDED_ALLOW_IPS is 127.0.0.1 (the default): behind that proxy two clients are two.
    proxy = client_from(limited_app, "127.0.0.1")
    use_quota(proxy, demo_survey, **{"X-Forwarded-For": "198.51.100.1"})
    assert post_form(proxy, demo_survey, **{"X-Forwarded-For": "198.51.100.1"})[1].status_code \
        == 429
    assert post_form(proxy, demo_survey, **{"X-Forwarded-For": "198.51.100.2"})[1].status_code \
        == 303
    # A client claiming to be forwarded, untrusted, gets no new quota by changing the header.
    direct = client_from(limited_app, "192.0.2.30")
    for i in range(3):
        resp = post_form(direct, demo_survey, **{"X-Forwarded-For": f"203.0.113.{i}"})[1]
        assert resp.status_code == 303
    assert post_form(direct, demo_survey, **{"X-Forwarded-For": "203.0.113.99"})[1].status_code \
        == 429


def test_the_address_is_neither_stored_nor_logged(limited_app, demo_survey, redis_conn, caplog):
    address = "192.0.2.77"
    client = client_from(limited_app, address)
    with caplog.at_level(logging.DEBUG):
        use_quota(client, demo_survey)
        assert post_form(client, demo_survey)[1].status_code == 429
    keys = redis_conn.keys("*")
    assert any(b"palaute-rl" in k for k in keys), keys  # the counters are in Redis ...
    for key in keys:  # ... under keys that don't hold the address
        assert address.encode() not in key
        if redis_conn.type(key) == b"string":
            assert address.encode() not in (redis_conn.get(key) or b"")
    for record in caplog.records:
        assert address not in record.getMessage()
        assert address not in repr(record.__dict__)
    assert not [r for r in caplog.records if r.name == "flask-limiter"]


def test_redis_unreachable_submissions_are_still_taken(settings, database_url, demo_survey,
                                                      session, caplog):
    """No Redis at all (a closed port): the limit can't be counted and nobody is turned away."""
    from webapp import create_app

    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(settings.with_overrides(redis_url=closed, rate_limit_submit="1/minute"),
                     {"TESTING": True})
    client = client_from(app, "192.0.2.40")
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            resp = submit(client, demo_survey)
            assert resp.status_code == 303
            assert resp.headers["Location"].endswith(f"/fi/s/{demo_survey}/thanks")
    assert stored(session) == 3
    limiter_lines = [r for r in caplog.records if r.name == "flask-limiter"]
    assert limiter_lines and all(r.levelno == logging.WARNING and not r.exc_info
                                 for r in limiter_lines)


def test_redis_stopped_after_counting_lets_submissions_through(settings, database_url,
                                                             demo_survey, session, tmp_path):
    """A Redis server of the test's own: the limit works while it runs, and when it stops the
    next answer is taken (303 and stored) instead of refused."""
    from tests.system.stack import RedisServer
    from webapp import create_app

    server = RedisServer(tmp_path)
    server.start()
    try:
        app = create_app(settings.with_overrides(redis_url=server.url,
                                                 rate_limit_submit="1/minute"),
                         {"TESTING": True})
        client = client_from(app, "192.0.2.41")
        assert submit(client, demo_survey).status_code == 303
        assert submit(client, demo_survey).status_code == 429  # counted in that Redis
        server.stop()
        assert submit(client, demo_survey).status_code == 303
        assert stored(session) == 2
    finally:
        server.stop()


def test_off_means_no_limit(settings, redis_conn, demo_survey, session):
    from webapp import create_app

    app = create_app(settings.with_overrides(rate_limit_submit="off"), {"TESTING": True})
    assert "palaute_limiter" not in app.extensions
    client = client_from(app, "192.0.2.50")
    for _ in range(5):
        assert submit(client, demo_survey).status_code == 303
    assert not redis_conn.keys("*palaute-rl*")


def test_bad_notation_stops_the_app_at_start(settings):
    from webapp import create_app

    with pytest.raises(ValueError, match="RATE_LIMIT_SUBMIT"):
        create_app(settings.with_overrides(rate_limit_submit="lots per day"), {"TESTING": True})


def test_without_redis_url_the_embedded_redis_counts(settings, demo_survey, session, tmp_path):
    """`make run` without REDIS_URL: the limiter connects lazily to the embedded Redis on its
    Unix socket (`redis+unix://`), started by the first POST that needs it."""
    from surveys.infra import redis as infra_redis
    from webapp import create_app

    instance = tmp_path / "instance"
    app = create_app(settings.with_overrides(redis_url="", instance_dir=instance,
                                             rate_limit_submit="1/minute"), {"TESTING": True})
    assert not (instance / "redis.sock").exists()  # nothing started by building the app
    client = client_from(app, "192.0.2.60")
    try:
        assert submit(client, demo_survey).status_code == 303
        assert (instance / "redis.sock").exists()
        assert submit(client, demo_survey).status_code == 429
        assert stored(session) == 1
    finally:
        server = infra_redis._embedded.pop(str(instance), None)
        if server is not None:
            server.stop()
