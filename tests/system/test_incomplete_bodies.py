"""No half-written responses (issue 10, item 5), against a real gunicorn over raw sockets.

A body that ends before its Content-Length (the connection closed or half-closed part way) and a
chunked body over the limit must be refused, store nothing and use up no one-time token: the
browser's complete resend of the same form is then stored, once and whole.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import select

from surveys.infra import db
from surveys.models import PendingResponse, Response
from tests.conftest import VALID_ANSWERS
from tests.integration.test_bad_input import stored
from tests.system.stack import TOKENS_RE, Stack
from webapp.security import MAX_BODY_BYTES

pytestmark = pytest.mark.slow
SLUG = "asiakaskokemus-2026"
PATH = f"/sv/s/{SLUG}"


@pytest.fixture
def gunicorn(database_url, redis_url, demo_survey, tmp_path):
    s = Stack(database_url, redis_url, tmp_path)
    s.web(workers=2)
    yield s
    s.stop()


@pytest.fixture
def browser(gunicorn):
    """A browser that has loaded the form: its cookies and the form's fields, in the order a
    browser sends them (the optional answers, age and comment, last)."""
    http = requests.Session()
    page = http.get(f"{gunicorn.base}{PATH}", timeout=10)
    assert page.status_code == 200
    body = urlencode({**dict(TOKENS_RE.findall(page.text)), **VALID_ANSWERS},
                     doseq=True).encode()
    return http, body


def raw_post(port: int, cookies: requests.cookies.RequestsCookieJar, headers: dict[str, str],
             body: bytes, close: str = "half") -> int | None:
    """Send a POST byte for byte, then half-close (`half`: no more data, still reading) or close
    the connection entirely (`full`). The response's status, or None if none came."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    head = "".join(f"{k}: {v}\r\n" for k, v in {
        "Host": f"127.0.0.1:{port}", "Cookie": cookie,
        "Content-Type": "application/x-www-form-urlencoded", "Connection": "close", **headers,
    }.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(f"POST {PATH} HTTP/1.1\r\n{head}\r\n".encode() + body)
            if close == "full":
                return None
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            # The server may answer and close before the whole body is sent (a body over the
            # limit): sending fails then (EPIPE, ECONNRESET, ENOTCONN), and what it answered, if
            # anything, is still read below.
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    return int(m.group(1)) if m else None


def resend(gunicorn: Stack, http: requests.Session, body: bytes) -> int:
    return http.post(f"{gunicorn.base}{PATH}", data=body, allow_redirects=False, timeout=10,
                     headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code


def assert_stored_once_and_whole(database_url: str) -> None:
    assert stored(database_url) == (1, 1, 1)
    with db.session_scope(database_url) as s:
        # Stored: moved into `responses` or held for the fold.
        [answers] = [*s.scalars(select(Response.answers)),
                     *s.scalars(select(PendingResponse.answers))]
    assert answers["age"] == 42 and answers["comment"] == "Hyvää palvelua."


def chunked(body: bytes, size: int = 8192) -> bytes:
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@pytest.mark.parametrize("close", ["half", "full"])
def test_body_cut_short_of_its_content_length(gunicorn, browser, database_url, close):
    http, body = browser
    cut = body[:body.index(b"&age=")]
    status = raw_post(gunicorn.port, http.cookies, {"Content-Length": str(len(body))}, cut,
                      close)
    if close == "half":
        assert status == 400
    assert stored(database_url) == (0, 0, 0)
    assert resend(gunicorn, http, body) == 303
    assert_stored_once_and_whole(database_url)


def test_chunked_body_over_the_limit(gunicorn, browser, database_url):
    http, body = browser
    # Empty fields are skipped by the parser: cut at the limit, this body was a valid form.
    padded = body + b"&" * (MAX_BODY_BYTES + 1 - len(body))
    status = raw_post(gunicorn.port, http.cookies, {"Transfer-Encoding": "chunked"},
                      chunked(padded))
    assert status == 413
    assert stored(database_url) == (0, 0, 0)
    assert resend(gunicorn, http, body) == 303
    assert_stored_once_and_whole(database_url)


def test_chunked_body_far_over_the_limit_is_not_stored(gunicorn, browser, database_url):
    """Several times the limit: gunicorn may reset the connection before the 413 is read (the
    rest of the body is never read), but nothing is stored and the resend works."""
    http, body = browser
    padded = body + b"&" * (4 * MAX_BODY_BYTES)
    status = raw_post(gunicorn.port, http.cookies, {"Transfer-Encoding": "chunked"},
                      chunked(padded, 65536))
    assert status in (413, None)
    assert stored(database_url) == (0, 0, 0)
    assert resend(gunicorn, http, body) == 303
    assert_stored_once_and_whole(database_url)


def test_chunked_body_cut_before_its_last_chunk(gunicorn, browser, database_url):
    http, body = browser
    status = raw_post(gunicorn.port, http.cookies, {"Transfer-Encoding": "chunked"},
                      chunked(body, 64)[:-len(b"0\r\n\r\n")])
    assert status in (400, None)
    assert stored(database_url) == (0, 0, 0)
    assert resend(gunicorn, http, body) == 303
    assert_stored_once_and_whole(database_url)


def test_chunked_body_within_the_limit_is_stored(gunicorn, browser, database_url):
    http, body = browser
    status = raw_post(gunicorn.port, http.cookies, {"Transfer-Encoding": "chunked"},
                      chunked(body, 100))
    assert status == 303
    assert_stored_once_and_whole(database_url)
