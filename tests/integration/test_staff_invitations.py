"""One-time anonymous invitations: 256-bit tokens stored only as hashes, a link that opens the
survey for its unit and is spent by the answer, 410 for another answer, 404 for unknown
tokens, nothing in the logs, and nothing in the schema (no column, key, sequence, row order or
transaction id) that joins a response to its invitation."""

from __future__ import annotations

import base64
import csv
import json
import re

import pytest
from sqlalchemy import func, inspect, select, text

from surveys.collect.answers import check_submission
from surveys.collect.store import SurveyChanged, store_response
from surveys.definitions import lifecycle, lookup
from surveys.fold import aggregation
from surveys.infra import db
from surveys.models import Invitation, PendingResponse, Response, SpentInvitation, Unit
from surveys.staff import invitations
from tests.conftest import TestCli, form_tokens
from tests.integration.test_staff_units import import_units
from tests.unit.staff.test_staff_format import SLUG, staff_yaml
from webapp.cli import main


@pytest.fixture

def staff_survey(database_url):
    import_units(database_url)
    with db.session_scope(database_url) as s:
        lifecycle.import_survey(s, staff_yaml())
        lifecycle.publish(s, SLUG)
    return SLUG


def create(database_url, unit: str = "WARD1", count: int = 3) -> list[str]:
    with db.session_scope(database_url) as s:
        return invitations.create(s, lookup.find(s, SLUG), unit, count)


def answer(client, token: str, lang: str = "fi", extra: dict | None = None):
    page = client.get(f"/{lang}/i/{token}")
    assert page.status_code == 200, page.status_code
    data = {**form_tokens(page.get_data(as_text=True)), "workload": "4", "profession": "nurse",
            **(extra or {})}
    return client.post(f"/{lang}/i/{token}", data=data)


def test_tokens_are_256_random_bits_and_only_their_hashes_are_stored(database_url,
                                                                      staff_survey):
    tokens = create(database_url, count=200)
    assert len(set(tokens)) == 200
    raw = [base64.urlsafe_b64decode(t + "=") for t in tokens]
    assert {len(r) for r in raw} == {32}  # ≥ 128 bits required; 256 given
    ones = sum(bin(b).count("1") for r in raw for b in r)
    assert 0.47 < ones / (200 * 256) < 0.53
    with db.session_scope(database_url) as s:
        rows = s.execute(select(Invitation.__table__)).all()
        stored = {str(v) for row in rows for v in row}
        assert {r.token_hash for r in rows} == {invitations.token_hash(t) for t in tokens}
    assert not any(t in value for t in tokens for value in stored)


def test_cli_writes_the_links_and_stores_hashes(database_url, staff_survey, tmp_path):
    out = tmp_path / "links.csv"
    result = TestCli().invoke(main, ["invitations", "create", SLUG, "--unit", "WARD2",
                                     "--count", "4", "--out", str(out), "--lang", "sv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 4 and {r["unit"] for r in rows} == {"WARD2"}
    tokens = [re.fullmatch(r"http://127\.0\.0\.1:5000/sv/i/([A-Za-z0-9_-]{43})", r["link"])[1]
              for r in rows]
    with db.session_scope(database_url) as s:
        ward2 = s.scalar(select(Unit.id).where(Unit.code == "WARD2"))
        stored = s.execute(select(Invitation.token_hash, Invitation.unit_id)).all()
    assert sorted(stored) == sorted((invitations.token_hash(t), ward2) for t in tokens)


def test_cli_refuses_unknown_units_and_citizen_surveys(database_url, staff_survey, demo_survey,
                                                       tmp_path):
    out = str(tmp_path / "x.csv")
    result = TestCli().invoke(main, ["invitations", "create", SLUG, "--unit", "NOPE",
                                     "--count", "1", "--out", out])
    assert result.exit_code != 0 and "no unit NOPE" in result.output
    result = TestCli().invoke(main, ["invitations", "create", demo_survey, "--unit", "WARD1",
                                     "--count", "1", "--out", out])
    assert result.exit_code != 0 and "not a staff survey" in result.output
    with db.session_scope(database_url) as s:
        assert s.scalars(select(Invitation)).all() == []


def test_link_answers_once_for_its_unit_then_410(client, database_url, staff_survey, settings):
    token, other = create(database_url, count=2)
    # The unit is the invitation's, not a field of the form; a unit field sent is refused.
    shown = client.get(f"/fi/i/{token}")
    # Not kept by caches, and the link is not sent on as a Referer.
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    page = shown.get_data(as_text=True)
    assert f'action="/fi/i/{token}"' in page
    assert 'name="unit' not in page and "WARD1" not in page
    assert answer(client, token, extra={"unit": "WARD2"}).status_code == 400
    response = answer(client, token)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/fi/s/{SLUG}/thanks")
    with db.session_scope(database_url) as s:
        ward1 = s.scalar(select(Unit.id).where(Unit.code == "WARD1"))
        assert stored_units_and_answers(s) == [
            (ward1, {"workload": 4, "profession": "nurse"})]
        spent = invitations.spent_among(s, settings.secret(), lookup.find(s, SLUG).id, [
            invitations.token_hash(token), invitations.token_hash(other)])
    assert spent == {invitations.token_hash(token)}
    # A used link's form still opens (below: HR holds the links); an answer posted with it is
    # refused, in the page's language, and an incomplete one gets its errors first.
    again = answer(client, token)
    assert again.status_code == 410
    assert "Tätä linkkiä on jo käytetty" in again.get_data(as_text=True)
    assert "Den här länken har redan använts" in answer(client, token, lang="sv").get_data(
        as_text=True)
    assert client.post(f"/fi/i/{token}", data={"workload": "1"}).status_code == 400
    assert answer(client, other, lang="sv").status_code == 303
    with db.session_scope(database_url) as s:
        assert len(stored_units_and_answers(s)) == 2


def test_a_replayed_post_is_refused_with_410(client, database_url, staff_survey):
    (token,) = create(database_url, count=1)
    page = client.get(f"/fi/i/{token}")
    data = {**form_tokens(page.get_data(as_text=True)), "workload": "2"}
    assert client.post(f"/fi/i/{token}", data=data).status_code == 303
    assert client.post(f"/fi/i/{token}", data=data).status_code == 410
    with db.session_scope(database_url) as s:
        assert len(stored_units_and_answers(s)) == 1


def test_unknown_and_malformed_tokens_are_404(client, database_url, staff_survey):
    create(database_url, count=1)
    for token in (invitations.new_token(), "short", "x" * 43 + "!", "a" * 200):
        response = client.get(f"/fi/i/{token}")
        assert response.status_code == 404, token
    assert client.post(f"/fi/i/{invitations.new_token()}").status_code == 404


def test_invalid_answers_keep_the_invitation_unspent(client, database_url, staff_survey,
                                                     settings):
    (token,) = create(database_url, count=1)
    page = client.get(f"/fi/i/{token}")
    data = form_tokens(page.get_data(as_text=True))  # the required question unanswered
    assert client.post(f"/fi/i/{token}", data=data).status_code == 400
    with db.session_scope(database_url) as s:
        assert not invitations.spent_among(s, settings.secret(), lookup.find(s, SLUG).id,
                                           [invitations.token_hash(token)])
    assert answer(client, token).status_code == 303


def test_spend_is_rolled_back_with_a_response_that_is_not_stored(database_url, staff_survey,
                                                                 settings):
    (token,) = create(database_url, count=1)
    with db.session_scope(database_url) as s:
        snapshot = lookup.visible(s, SLUG)
        unit_id = s.scalar(select(Invitation.unit_id))
    stale = type("Stale", (), {"id": snapshot.id, "revision": snapshot.revision + 1,
                               "definition": snapshot.definition})()
    checked = check_submission(snapshot.definition, {"workload": ["3"]}, {"17"})
    s = db.new_session(database_url)
    try:
        assert invitations.spend(s, settings.secret(), invitations.find(s, token))
        with pytest.raises(SurveyChanged):
            store_response(s, stale, "fi", checked, "one-time", unit_id=unit_id)
    finally:
        s.close()
    with db.session_scope(database_url) as s:
        assert not invitations.spent_among(s, settings.secret(), lookup.find(s, SLUG).id,
                                           [invitations.token_hash(token)])
        assert s.scalar(select(func.count()).select_from(SpentInvitation)) == 0
        assert stored_units_and_answers(s) == []


def test_two_spends_of_one_link_at_once_are_one(database_url, staff_survey, settings):
    """The second of two concurrent spends waits for the first's transaction: committed, the
    second finds the mark and spends nothing; rolled back, the second spends."""
    import threading

    (token,) = create(database_url, count=1)
    for first_commits in (False, True):
        first = db.new_session(database_url)
        try:
            assert invitations.spend(first, settings.secret(), invitations.find(first, token))
            got: list[bool] = []

            def second(got=got, first_commits=first_commits):
                with db.session_scope(database_url) as s:
                    got.append(invitations.spend(s, settings.secret(),
                                                 invitations.find(s, token)))
                    if first_commits:
                        return
                    s.rollback()  # leave the link for the next round

            thread = threading.Thread(target=second)
            thread.start()
            thread.join(0.5)
            assert not got  # waiting for the first
            if first_commits:
                first.commit()
            else:
                first.rollback()
            thread.join(30)
            assert got == [not first_commits]
        finally:
            first.close()
    with db.session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(SpentInvitation)) == 1


def test_staff_survey_is_not_open_by_its_plain_link(client, staff_survey):
    assert client.get(f"/fi/s/{SLUG}").status_code == 404


def test_tokens_never_reach_the_logs(client, database_url, staff_survey, log_stream):
    """Nor the time of a link's use finer than the minute: not the POST's, nor the opening of
    the link, nor the thank-you page the browser loads right after the answer."""
    token, _ = create(database_url, count=2)
    answer(client, token)
    client.get(f"/fi/s/{SLUG}/thanks")
    client.get(f"/fi/i/{token}")
    client.get(f"/fi/i/{invitations.new_token()}")
    logged = log_stream.getvalue()
    assert '"route": "/<lang>/i/<token>"' in logged
    assert token not in logged and invitations.token_hash(token) not in logged
    records = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    requests = [r for r in records if r["msg"] == "request"]
    assert {r["route"] for r in requests} == {"/<lang>/i/<token>", "/<lang>/s/<slug>/thanks"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", r["ts"]) for r in requests), \
        requests


def test_no_column_key_or_sequence_joins_a_response_to_an_invitation(database_url):
    engine = db.get_engine(database_url)
    schema = inspect(engine)
    response_columns = {c["name"] for c in schema.get_columns("responses")}
    assert response_columns == {"id", "survey_id", "region_code", "lang", "submitted_on",
                                "answers", "unit_id"}
    assert not {fk["referred_table"] for fk in schema.get_foreign_keys("responses")} & \
        {"invitations"}
    assert not {fk["referred_table"] for fk in schema.get_foreign_keys("invitations")} & \
        {"responses", "outbox_events"}
    invitation_columns = {c["name"]: c for c in schema.get_columns("invitations")}
    assert set(invitation_columns) == {"token_hash", "survey_id", "unit_id", "issued_on"}
    # No time finer than a day, and no generated key.
    assert str(invitation_columns["issued_on"]["type"]) == "DATE"
    assert schema.get_pk_constraint("invitations")["constrained_columns"] == ["token_hash"]
    # The spent marks: named by a keyed hash, nothing of the invitation or of a time.
    mark_columns = {c["name"] for c in schema.get_columns("spent_invitations")}
    assert mark_columns == {"mark", "survey_id", "unit_id", "settled"}
    assert schema.get_pk_constraint("spent_invitations")["constrained_columns"] == ["mark"]
    assert {fk["referred_table"] for fk in schema.get_foreign_keys("spent_invitations")} == \
        {"surveys", "units"}
    with engine.connect() as conn:
        for table in ("invitations", "spent_invitations"):
            if engine.dialect.name == "postgresql":
                owned = conn.execute(text(
                    "SELECT count(*) FROM pg_depend d JOIN pg_class c ON c.oid = d.objid "
                    f"WHERE c.relkind = 'S' AND d.refobjid = '{table}'::regclass")).scalar()
                assert owned == 0
            else:
                sql = conn.scalar(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'"))
                assert "WITHOUT ROWID" in sql
                with pytest.raises(Exception, match="rowid"):
                    conn.execute(text(f"SELECT rowid FROM {table}"))
        if engine.dialect.name == "postgresql":
            assert invitation_columns["token_hash"]["default"] is None


def invitation_rows(engine) -> list[tuple]:
    """Every column of every invitation, with its row version on PostgreSQL (`xmin`: the
    transaction that last wrote it)."""
    extra = ", xmin::text" if engine.dialect.name == "postgresql" else ""
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text(f"SELECT *{extra} FROM invitations")))


def test_answering_writes_nothing_to_the_invitation(client, database_url, staff_survey,
                                                    settings):
    """A database administrator holding HR's file of links finds each invitation's row by
    hashing its token. The spent flag's UPDATE gave that row the submission's transaction id,
    which the held response shares and the fold that counts it follows: in the review of 7
    December, 8 of 20 responses (free text included) were tied to their invitations that way,
    after the close too. Answering must leave the invitation's row as it was issued, column
    and xmin; the link is spent all the same, by a mark no one without SECRET_KEY can name."""
    tokens = create(database_url, count=6)
    engine = db.get_engine(database_url)
    issued = invitation_rows(engine)
    for token in tokens[:4]:  # a fold after each, as on a quiet survey
        assert answer(client, token).status_code == 303
        with db.session_scope(database_url) as s:
            aggregation.fold_batch(s)
    assert invitation_rows(engine) == issued
    assert answer(client, tokens[0]).status_code == 410
    hashes = [invitations.token_hash(t) for t in tokens]
    with db.session_scope(database_url) as s:
        marks = set(s.scalars(select(SpentInvitation.mark)))
        assert invitations.spent_among(s, settings.secret(), lookup.find(s, SLUG).id,
                                       hashes) == set(hashes[:4])
    # The marks are neither the token hashes nor anything computed without the key.
    assert len(marks) == 4 and not marks & set(hashes)
    assert not marks & {invitations.spent_mark("another key", h) for h in hashes}


def test_opening_a_link_tells_nobody_whether_it_was_used(client, database_url, staff_survey,
                                                        settings):
    """HR holds every link it handed out. A link that answered 410 when opened would show HR
    who has answered, as it happens, which HR's page counts once a night to avoid. So a used
    link's form opens as an unused one's does, and opening it reads nothing of the marks: a
    database administrator who logs every statement with its parameters (PostgreSQL's
    log_statement) and opens each link of HR's file learns no mark either. A mark goes to the
    database only when an answer is posted with its link."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    token, other = create(database_url, count=2)
    assert answer(client, token).status_code == 303
    sent: list[str] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        sent.append(f"{statement} {parameters!r}")

    event.listen(Engine, "before_cursor_execute", capture)  # every engine: the web tier's too
    try:
        used, unused = client.get(f"/fi/i/{token}"), client.get(f"/fi/i/{other}")
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    assert used.status_code == unused.status_code == 200
    assert strip_tokens(used.get_data(as_text=True), token) == \
        strip_tokens(unused.get_data(as_text=True), other)
    assert sent and not [line for line in sent if "spent_invitations" in line]
    marks = [invitations.spent_mark(settings.secret(), invitations.token_hash(t))
             for t in (token, other)]
    assert not [line for line in sent for m in marks if m in line]


def strip_tokens(html: str, link_token: str) -> str:
    """A form page without what differs by request: its link and its one-time form tokens."""
    html = html.replace(link_token, "TOKEN")
    return re.sub(r'(name="(csrf_token|submission_token)" type="hidden" value=")[^"]+"',
                  r'\1X"', html)


def test_the_hourly_job_settles_the_marks(client, database_url, staff_survey, settings):
    """A mark keeps its submission's transaction id and, on PostgreSQL, a place in the table's
    physical order: when someone of its unit answered. The hourly job writes the marks of the
    last hour again, in the order of the marks, in one transaction, day or night."""
    from workers import jobs

    tokens = create(database_url, count=5)
    for token in tokens[:3]:
        assert answer(client, token).status_code == 303
    engine = db.get_engine(database_url)
    postgres = engine.dialect.name == "postgresql"

    def marks() -> list[tuple]:
        extra = ", xmin::text" if postgres else ""
        order = "ctid" if postgres else "mark"
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                f"SELECT mark, settled{extra} FROM spent_invitations ORDER BY {order}"))]

    before = marks()
    assert [m[1] for m in before] == [False] * 3
    if postgres:
        assert len({m[2] for m in before}) == 3  # one transaction each: when they answered
    assert jobs.count_participation(now="2026-12-07T14:00:00+02:00") == {}  # daytime
    after = marks()
    assert [m[1] for m in after] == [True] * 3
    assert [m[0] for m in after] == sorted(m[0] for m in before)
    if postgres:
        assert len({m[2] for m in after}) == 1 and not {m[2] for m in after} & \
            {m[2] for m in before}
        # Nor do the marks' earlier versions stay in the pages (VACUUM after the settling).
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            pages = conn.scalar(text("SELECT pg_relation_size('spent_invitations') / "
                                     "current_setting('block_size')::int"))
            versions = {str(x) for page in range(pages) for (x,) in conn.execute(text(
                "SELECT t_xmin FROM heap_page_items(get_raw_page('spent_invitations', :p)) "
                "WHERE t_xmin IS NOT NULL"), {"p": page})}
        assert versions == {after[0][2]}
    with db.session_scope(database_url) as s:
        assert invitations.settle_marks(s) == 0  # the next run finds nothing
        ward1 = s.scalar(select(Unit.id).where(Unit.code == "WARD1"))
        assert invitations.counts(s, lookup.find(s, SLUG).id) == {ward1: (5, 3)}
    assert answer(client, tokens[0]).status_code == 410
    assert answer(client, tokens[3]).status_code == 303


def stored_units_and_answers(s):
    """(unit, answers) of every stored response: moved into `responses` or still held."""
    return [row for table in (Response, PendingResponse)
            for row in s.execute(select(table.unit_id, table.answers)).all()]
