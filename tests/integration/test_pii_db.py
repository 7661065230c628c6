"""Personal data in free text is replaced before storing: checksums decide what is personal."""

from __future__ import annotations

import logging

from sqlalchemy import select

from surveys.models import PendingResponse
from tests.conftest import VALID_ANSWERS, submit


def test_comment_is_scrubbed_before_it_reaches_the_database(client, demo_survey, session,
                                                            caplog):
    comment = "Hoitaja soitti numerosta 040 765 4321, hetuni 131052-308T. Kiitos!"
    resp = submit(client, demo_survey, "fi", {**VALID_ANSWERS, "comment": comment})
    assert resp.status_code == 303
    stored = session.scalars(select(PendingResponse)).one()
    assert stored.answers["comment"] == "Hoitaja soitti numerosta [phone], hetuni [hetu]. Kiitos!"
    assert "131052-308T" not in caplog.text and "765 4321" not in caplog.text


def test_a_name_and_an_address_are_scrubbed_and_nothing_of_the_comment_is_logged(
        client, demo_survey, session, caplog):
    caplog.set_level(logging.DEBUG)
    comment = ("Nimeni on Matti Meikäläinen, asun Esimerkkikatu\u00a012 A 5, 33100 Tampere. "
               "Olen erittäin tyytyväinen.")
    resp = submit(client, demo_survey, "fi", {**VALID_ANSWERS, "comment": comment})
    assert resp.status_code == 303
    stored = session.scalars(select(PendingResponse)).one()
    scrubbed = "Nimeni on [name], asun [address]. Olen erittäin tyytyväinen."
    assert stored.answers["comment"] == scrubbed
    # Neither the original nor the stored (scrubbed) text appears in any log line.
    for piece in ("Meikäläinen", "Esimerkkikatu", "33100", scrubbed, "erittäin tyytyväinen"):
        assert piece not in caplog.text
