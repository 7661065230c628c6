"""No half-written responses (issue 10, item 5), through Flask's test client.

gunicorn sets `wsgi.input_terminated`, and then Werkzeug reads the body only up to
MAX_CONTENT_LENGTH and treats an early end of the stream as the end of the body: a body cut short
of its Content-Length, or a chunked body longer than the limit, was parsed as far as it went.
`environ_overrides={"wsgi.input_terminated": True}` gives the test client the same environment.
tests/system/test_incomplete_bodies.py sends the same requests to a real gunicorn over a socket.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from surveys.infra import db
from surveys.models import PendingResponse, Response
from tests.conftest import VALID_ANSWERS
from tests.integration.test_bad_input import stored, tokens
from webapp.security import MAX_BODY_BYTES

GUNICORN = {"wsgi.input_terminated": True}
FORM = "application/x-www-form-urlencoded"


def form_body(form_tokens: dict[str, str]) -> bytes:
    """The tokens and the required answers first, the optional ones (age, comment) last: a body
    cut after the required ones is still a valid submission with answers missing."""
    return urlencode({**form_tokens, **VALID_ANSWERS}, doseq=True).encode()


def stored_answers(database_url) -> list[dict]:
    with db.session_scope(database_url) as s:
        # Stored: moved into `responses` or held for the fold.
        return [*s.scalars(select(Response.answers)), *s.scalars(select(PendingResponse.answers))]


@pytest.mark.parametrize("server", [GUNICORN, {}], ids=["input_terminated", "plain"])
def test_body_shorter_than_content_length_is_400_and_the_resend_is_stored(
        client, demo_survey, database_url, server):
    body = form_body(tokens(client, demo_survey, "sv"))
    cut = body[:body.index(b"&age=")]
    resp = client.post(f"/sv/s/{demo_survey}", data=cut, content_type=FORM,
                       environ_overrides={**server, "CONTENT_LENGTH": str(len(body))})
    assert resp.status_code == 400
    assert '<html lang="sv">' in resp.get_data(as_text=True)
    assert stored(database_url) == (0, 0, 0)

    # The browser sends the whole form again, with the same one-time token: stored once, whole.
    resp = client.post(f"/sv/s/{demo_survey}", data=body, content_type=FORM,
                       environ_overrides=server)
    assert resp.status_code == 303
    assert stored(database_url) == (1, 1, 1)
    [answers] = stored_answers(database_url)
    assert answers["age"] == 42 and answers["comment"] == "Hyvää palvelua."


def test_chunked_body_over_the_limit_is_413_and_the_resend_is_stored(
        client, demo_survey, database_url):
    body = form_body(tokens(client, demo_survey, "sv"))
    # Empty fields are skipped by the parser: cut at the limit, this body was a valid form.
    padded = body + b"&" * (MAX_BODY_BYTES + 1 - len(body))
    resp = client.post(f"/sv/s/{demo_survey}", data=padded, content_type=FORM,
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides=GUNICORN)
    assert resp.status_code == 413
    html = resp.get_data(as_text=True)
    assert '<html lang="sv">' in html and "<h1>" in html
    assert stored(database_url) == (0, 0, 0)

    resp = client.post(f"/sv/s/{demo_survey}", data=body, content_type=FORM,
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides=GUNICORN)
    assert resp.status_code == 303
    assert stored(database_url) == (1, 1, 1)


def test_chunked_body_at_the_limit_is_accepted(client, demo_survey, database_url):
    body = form_body(tokens(client, demo_survey))
    padded = body + b"&" * (MAX_BODY_BYTES - len(body))
    resp = client.post(f"/fi/s/{demo_survey}", data=padded, content_type=FORM,
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides=GUNICORN)
    assert resp.status_code == 303
    assert stored(database_url) == (1, 1, 1)


def test_content_length_over_the_limit_is_413_before_reading(client, demo_survey, database_url):
    body = form_body(tokens(client, demo_survey))
    resp = client.post(f"/fi/s/{demo_survey}", data=body, content_type=FORM,
                       environ_overrides={**GUNICORN, "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1)})
    assert resp.status_code == 413
    assert stored(database_url) == (0, 0, 0)
    assert client.post(f"/fi/s/{demo_survey}", data=body, content_type=FORM).status_code == 303
    assert stored(database_url) == (1, 1, 1)


def test_unreadable_body_is_400(client, demo_survey, database_url):
    """A server's reader that fails part way (a broken chunk, a reset connection) is a 400."""

    class Broken:
        def __init__(self, data: bytes):
            self.data = data

        def read(self, size: int = -1) -> bytes:
            if self.data:
                part, self.data = self.data[:100], self.data[100:]
                return part
            raise OSError("connection reset by peer")

    body = form_body(tokens(client, demo_survey))
    resp = client.post(f"/fi/s/{demo_survey}", data=body, content_type=FORM,
                       headers={"Transfer-Encoding": "chunked"},
                       environ_overrides={**GUNICORN, "wsgi.input": Broken(body)})
    assert resp.status_code == 400
    assert stored(database_url) == (0, 0, 0)
    assert client.post(f"/fi/s/{demo_survey}", data=body, content_type=FORM).status_code == 303
