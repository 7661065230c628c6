"""Staff-survey invitations by e-mail (surveys.staff.mailing): HR's list of addresses per unit,
each person mailed its own working link through a real SMTP server (aiosmtpd, in this process)
by the real RQ job; reminders only to invitations not yet spent; failures and bounces counted;
the address list deleted when the survey closes; nothing on HR's side (page, audit log, logs)
ties an address to its invitation, nor does the database without the key."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import logging
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import literal_column, select, update

from surveys.definitions import lookup
from surveys.infra import clock, db
from surveys.infra.mail import _Handler
from surveys.languages import locale_data
from surveys.models import AuditEvent, Invitation, InvitationMail, ReminderRequest, Survey, Unit
from surveys.staff import invitations, mailing
from tests.conftest import TestCli, admin_csrf, free_port, mails, make_user, run_worker, sign_in
from tests.integration.test_staff_invitations import (
    create,
    staff_survey,  # noqa: F401 - a fixture
)
from tests.unit.staff.test_staff_format import SLUG
from webapp.cli import main

PEOPLE = [f"hoitaja{i}@example.fi" for i in range(1, 7)]


@pytest.fixture
def hr(app, database_url):
    make_user(database_url, "hr@example.fi", "hr_admin", org="ORG1")
    client = app.test_client()
    assert sign_in(client, "hr@example.fi").status_code == 303
    return client


def links_in(msg) -> list[str]:
    return re.findall(r"http://localhost(/\w\w/i/[A-Za-z0-9_-]{43})", msg.get_content())


def token_of(msg) -> str:
    tokens = {link.rsplit("/", 1)[1] for link in links_in(msg)}
    assert len(tokens) == 1
    return tokens.pop()


def page_of(client) -> str:
    return client.get(f"/fi/admin/surveys/{SLUG}/invitations").get_data(as_text=True)


def invite(client, addresses: str | bytes, unit: str = "WARD1", lang: str = "fi",
           file: bool = False):
    data = {"csrf_token": admin_csrf(client, lang), "do": "mail", "unit": unit}
    if file:
        raw = addresses.encode() if isinstance(addresses, str) else addresses
        data["addresses_file"] = (io.BytesIO(raw), "osoitteet.csv")
        data["addresses"] = ""
    else:
        data["addresses"] = addresses
    return client.post(f"/{lang}/admin/surveys/{SLUG}/invitations", data=data,
                       content_type="multipart/form-data")


def act(client, what: str, unit: str = ""):
    return client.post(f"/fi/admin/surveys/{SLUG}/invitations", data={
        "csrf_token": admin_csrf(client), "do": what, "unit": unit})


def answer_link(client, path: str):
    page = client.get(path)
    assert page.status_code == 200, path
    html = page.get_data(as_text=True)
    tokens = {name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)
              for name in ("csrf_token", "submission_token")}
    return client.post(path, data={**tokens, "workload": "4", "profession": "nurse"})


def count_tonight(day: date | None = None) -> None:
    """The night's count of participation, which HR's page shows (never the live figures)."""
    from workers import jobs

    jobs.count_participation(f"{(day or clock.today()).isoformat()}T00:04:00")


def tonight(nights: int = 1) -> date:
    """The date of the coming night's count (Finnish time, as the job reads its clock), or of
    the night `nights` - 1 nights after it."""
    return clock.today() + timedelta(days=nights)


def night_job(day: date, hour: int = 0) -> dict[str, bool]:
    """The hourly participation job at `hour`:04 of `day`: in the night it counts, then
    resolves the reminder requests made before that day and enqueues their mails."""
    from workers import jobs

    return jobs.count_participation(f"{day.isoformat()}T{hour:02d}:04:00")


def remind_tonight(client, redis_conn, unit: str = "", nights: int = 1) -> None:
    """HR asks for a reminder; the night's job decides who gets it; the worker mails them."""
    assert act(client, "remind", unit).status_code == 303
    night_job(tonight(nights))
    run_worker(redis_conn)


def night(day: date) -> str:
    """The night `day` as the page shows a reminder's (Finnish)."""
    return locale_data.format_date(day, "fi")


def mail_row(html: str, code: str) -> list[str]:
    """The cells of unit `code`'s row in the table of mails per unit."""
    table = html.split("<h3>", 1)[1].split("</table>", 1)[0]
    for row in table.split("<tr>")[2:]:
        if f"({code})" in row:
            return re.findall(r"<td>([^<]*)</td>", row)
    raise AssertionError(f"no row for {code}")


def test_each_address_gets_its_own_working_link(hr, client, staff_survey, smtp, redis_conn,  # noqa: F811
                                                database_url, log_stream, settings):
    listing = "\n".join(PEOPLE[:5]) + "\n\nHOITAJA1@Example.fi\n" + PEOPLE[5] + "\n"
    response = invite(hr, listing)
    assert response.status_code == 303
    shown = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert "6 uutta osoitetta" in shown and "yhdistetty: 1" in shown
    assert mail_row(shown, "WARD1")[:5] == ["6", "6", "0", "0", "0"]  # all queued
    run_worker(redis_conn)
    received = mails(smtp)
    assert sorted(m["To"] for m in received) == sorted(PEOPLE)
    assert all(m["From"] == "palaute@example.fi" for m in received)
    first = received[0]
    assert first["Subject"] == ("Kutsu henkilöstökyselyyn: Henkilöstökysely / "
                                "Inbjudan till personalenkäten: Personalenkät")
    body = first.get_content()
    assert "Sinut kutsutaan vastaamaan" in body and "Du är inbjuden att svara" in body
    # One link per language of the survey, the same token in both.
    assert [p.split("/")[1] for p in links_in(first)] == ["fi", "sv"]
    tokens = [token_of(m) for m in received]
    assert len(set(tokens)) == 6
    with db.session_scope(database_url) as s:
        ward1 = s.scalar(select(Unit.id).where(Unit.code == "WARD1"))
        issued = s.execute(select(Invitation.token_hash, Invitation.unit_id)).all()
        assert sorted(issued) == sorted((invitations.token_hash(t), ward1) for t in tokens)
        rows = s.execute(select(InvitationMail.__table__)).all()
    # Neither an address nor a token (nor its hash) is in the clear in the database.
    stored = " ".join(str(v) for row in rows for v in row)
    for secret in PEOPLE + tokens + [invitations.token_hash(t) for t in tokens]:
        assert secret not in stored
        assert all(secret.encode() not in row.sealed for row in rows)
    page = page_of(hr)
    assert mail_row(page, "WARD1")[:5] == ["6", "0", "6", "0", "0"]
    assert mail_row(page, "ORG1")[:5] == ["6", "0", "6", "0", "0"]
    # The link opens the survey for the unit; the answer spends it; another answer gets 410.
    path = links_in(received[0])[1]  # Swedish
    assert answer_link(client, path).status_code == 303
    assert answer_link(client, path).status_code == 410
    with db.session_scope(database_url) as s:
        assert invitations.spent_among(s, settings.secret(), lookup.find(s, SLUG).id,
                                       [invitations.token_hash(tokens[0])])
    # The job again (or its sweep) sends nothing twice.
    from workers import jobs

    with db.session_scope(database_url) as s:
        survey_id = lookup.find(s, SLUG).id
    assert jobs.send_invitation_mails(survey_id) == 0
    assert jobs.sweep_invitation_mail() == 0
    run_worker(redis_conn)
    assert len(mails(smtp)) == 6
    # HR's page, the audit log and the logs name no address and no link.
    logged = log_stream.getvalue()
    with db.session_scope(database_url) as s:
        audit = " ".join(f"{e.action} {e.object_id}" for e in s.scalars(select(AuditEvent)))
    assert "invitations.mail" in audit
    for text in (page, audit, logged):
        assert not any(p in text.lower() for p in PEOPLE)
        assert not any(t in text for t in tokens)


def test_a_job_mails_over_one_connection(hr, staff_survey, smtp, redis_conn):  # noqa: F811
    """Thousands of staff at once: a connection (TLS handshake, login) per mail is slow and
    trips providers' limits on connections, so the job opens one for all its mails."""
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    assert sorted(m["To"] for m in mails(smtp)) == sorted(PEOPLE)
    assert smtp.connections == 1


def test_bad_lines_are_reported_by_number_and_nothing_is_stored(hr, staff_survey, smtp,  # noqa: F811
                                                                redis_conn, database_url):
    listing = f"{PEOPLE[0]}\nei-osoite\n{PEOPLE[1]}\nmatti@@example.fi\n"
    response = invite(hr, listing, file=True)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Ketään ei kutsuttu" in page
    assert "Rivi 2:" in page and "Ei ole sähköpostiosoite: ”ei-osoite”" in page
    assert "Rivi 4:" in page and "Rivi 1:" not in page
    sv = invite(hr, b"a@example.fi\n\xff\xfe\n", lang="sv", file=True)
    assert sv.status_code == 400 and "Filen är inte UTF-8-text." in sv.get_data(as_text=True)
    with db.session_scope(database_url) as s:
        assert s.scalars(select(InvitationMail)).all() == []
        assert s.scalars(select(Invitation)).all() == []
    run_worker(redis_conn)
    assert mails(smtp) == []
    # Unknown unit: refused, nothing stored.
    assert invite(hr, PEOPLE[0], unit="NOPE").status_code == 400
    with db.session_scope(database_url) as s:
        assert s.scalars(select(Invitation)).all() == []


def test_reminders_reach_only_the_unspent(hr, client, staff_survey, smtp, redis_conn,  # noqa: F811
                                          database_url):
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    # Five of six answer: the reminder goes to the sixth only, with the same link.
    for person in PEOPLE[:5]:
        assert answer_link(client, f"/fi/i/{first[person]}").status_code == 303
    count_tonight()
    remind_tonight(hr, redis_conn)
    reminders = mails(smtp)[6:]
    assert [m["To"] for m in reminders] == [PEOPLE[5]]
    assert reminders[0]["Subject"].startswith("Muistutus: henkilöstökysely Henkilöstökysely")
    assert "linkkiäsi ei ole vielä käytetty" in reminders[0].get_content()
    assert token_of(reminders[0]) == first[PEOPLE[5]]
    # The page says when the reminder went out, never how many it reached (that many had not
    # answered: a figure about respondents, exact to the person).
    assert mail_row(page_of(hr), "WARD1") == ["6", "0", "6", "0", "0", "0", night(tonight())]
    # A second reminder, for the one unit: still only the unspent; the job twice sends once.
    remind_tonight(hr, redis_conn, "WARD1", nights=2)
    from workers import jobs

    with db.session_scope(database_url) as s:
        survey_id = lookup.find(s, SLUG).id
    assert jobs.send_invitation_mails(survey_id) == 0
    assert [m["To"] for m in mails(smtp)[7:]] == [PEOPLE[5]]
    # Whoever answers between the night's decision and the mail gets none.
    assert act(hr, "remind").status_code == 303
    night_job(tonight(3))
    assert answer_link(client, f"/fi/i/{first[PEOPLE[5]]}").status_code == 303
    run_worker(redis_conn)
    assert len(mails(smtp)) == 8
    # Nobody is left: a reminder now queues nothing, and the page says that it went out, as
    # for any ("nobody was reminded" would say that everyone had answered).
    remind_tonight(hr, redis_conn, nights=4)
    assert len(mails(smtp)) == 8
    assert mail_row(page_of(hr), "WARD1")[6:] == [night(tonight(4))]


def test_reminder_counts_are_never_shown(hr, client, staff_survey, smtp, redis_conn):  # noqa: F811
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    for person in PEOPLE[:2]:  # 2 respondents: below the threshold of 5
        assert answer_link(client, f"/fi/i/{first[person]}").status_code == 303
    remind_tonight(hr, redis_conn)
    assert sorted(m["To"] for m in mails(smtp)[6:]) == sorted(PEOPLE[2:])
    page = page_of(hr)
    # 4 reminders would tell that 2 answered: in no unit up to the organisation.
    for code in ("WARD1", "CARE", "ORG1"):
        assert mail_row(page, code) == ["6", "0", "6", "0", "0", "0", night(tonight())], code
    assert ">4<" not in page.split("<h3>", 1)[1]


def test_reminder_counts_do_not_appear_when_someone_answers(hr, client, staff_survey, smtp,  # noqa: F811
                                                             redis_conn, database_url):
    """Whether a unit's reminder counts are shown follows the night's count of respondents,
    as the response rates do, never the live spent invitations: else the counts would appear
    at the moment the one who tips a figure over the threshold answers."""
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    links = create(database_url, "WARD1", 5)  # handed out as links, not mailed
    for person in PEOPLE[:5]:
        assert answer_link(client, f"/fi/i/{first[person]}").status_code == 303
    assert answer_link(client, f"/fi/i/{links[0]}").status_code == 303
    remind_tonight(hr, redis_conn)
    # 6 respondents, 5 of them mailed: the reminder's count (1) would tell that 1 came by a
    # link. The page says when it went out.
    assert mail_row(page_of(hr), "WARD1")[6:] == [night(tonight())]
    # 4 more come by links (5 in all): nothing about the reminder changes, live or at the
    # night (4 more since the last figures: they stand).
    for token in links[1:]:
        assert answer_link(client, f"/fi/i/{token}").status_code == 303
    assert mail_row(page_of(hr), "WARD1")[6:] == [night(tonight())]
    night_job(tonight(2))
    assert mail_row(page_of(hr), "WARD1")[6:] == [night(tonight())]


class _Refusing(_Handler):
    """The development server's handler (it stores and counts like it), refusing for good (550)
    the recipients at bounce.example.fi and any address in `refused`."""

    def __init__(self, folder, refused=()):
        super().__init__(folder)
        self.refused = set(refused)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith("@bounce.example.fi") or address in self.refused:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class _EndingOnce(_Handler):
    """The development server's handler, ending the connection once, after `after` messages:
    "hang up" closes it once the last message is accepted (an idle timeout: the client finds
    out at the next message), "421" answers the next MAIL so and closes (a limit of messages
    per connection), "in DATA" hangs up instead of answering the last message's content (which
    it has stored: the server took the mail, the client never heard)."""

    def __init__(self, folder, after: int, how: str):
        super().__init__(folder)
        self.after, self.how, self.ended = after, how, False

    def _end(self, server) -> None:
        self.ended = True
        asyncio.get_running_loop().call_soon(server.transport.close)  # after the reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.how == "421" and self.count == self.after and not self.ended:
            self._end(server)
            return "421 4.7.0 Too many messages on this connection, try again"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        status = await super().handle_DATA(server, session, envelope)
        if self.count == self.after and not self.ended:
            if self.how == "in DATA":
                self.ended = True
                server.transport.close()  # before the reply
            elif self.how == "hang up":
                self._end(server)
        return status


@contextmanager
def serving(handler, settings):
    """A real SMTP server (aiosmtpd) with `handler`, the workers' settings pointing at it."""
    from aiosmtpd.controller import Controller

    from workers import context

    handler.folder.mkdir(parents=True, exist_ok=True)
    # The server's own log names every recipient (mail.log, INFO): quiet, as DevMailServer
    # keeps it, so that the app's logs are what the tests read.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        context.use(settings.with_overrides(smtp_host="127.0.0.1", smtp_port=controller.port,
                                            mail_from="palaute@example.fi"))
        yield handler
    finally:
        context.use(settings)
        controller.stop()


def received(handler) -> list[str]:
    """The recipients of the mails `handler` stored, in the order received."""
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["To"]
            for p in sorted(handler.folder.glob("*.eml"),
                            key=lambda p: int(p.stem.rsplit("-", 1)[1]))]  # the handler's count


def addresses_in_job_order(database_url, settings) -> list[str]:
    """The queued rows' addresses in the order the mail job sends them (by id)."""
    with db.session_scope(database_url) as s:
        rows = s.scalars(select(InvitationMail).order_by(InvitationMail.id)).all()
        return [mailing.unseal(settings.secret(), r)[0] for r in rows]


def test_failures_and_bounces_are_counted(hr, staff_survey, smtp, redis_conn, database_url,  # noqa: F811
                                          settings, tmp_path):
    from workers import context

    with serving(_Refusing(tmp_path / "refusing"), settings) as refusing:
        listing = "\n".join(PEOPLE[:3] + ["poissa@bounce.example.fi", "x@bounce.example.fi"])
        assert invite(hr, listing).status_code == 303
        run_worker(redis_conn)
        assert len(received(refusing)) == 3
        try:
            # Then the mail server is down: every mail fails.
            context.use(settings.with_overrides(smtp_host="127.0.0.1", smtp_port=free_port()))
            assert invite(hr, "\n".join(PEOPLE[3:]), unit="WARD2").status_code == 303
            run_worker(redis_conn)
        finally:
            context.use(settings)
        page = page_of(hr)
        assert mail_row(page, "WARD1")[:5] == ["5", "0", "3", "0", "2"]  # 2 bounced
        assert mail_row(page, "WARD2")[:5] == ["3", "0", "0", "3", "0"]  # 3 failed
        assert mail_row(page, "CARE")[:5] == ["8", "0", "3", "3", "2"]
    # Sent again once the server is back: the failed ones only, not the bounced.
    context.use(settings.with_overrides(smtp_host="127.0.0.1", smtp_port=smtp.port))
    try:
        assert act(hr, "retry").status_code == 303
        run_worker(redis_conn)
    finally:
        context.use(settings)
    assert sorted(m["To"] for m in mails(smtp)) == sorted(PEOPLE[3:])
    assert mail_row(page_of(hr), "CARE")[:5] == ["8", "0", "6", "0", "2"]
    # First mails only: nothing waits for the night (no reminder was ever queued).
    assert "Odottaa tämän yön vastaajalaskentaa:" not in page_of(hr)


def test_a_refused_recipient_stops_no_other_on_the_connection(hr, staff_survey, redis_conn,  # noqa: F811
                                                             database_url, settings, tmp_path,
                                                             log_stream):
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    order = addresses_in_job_order(database_url, settings)
    with serving(_Refusing(tmp_path / "refusing", refused=[order[2]]), settings) as server:
        run_worker(redis_conn)
    # The third mail bounced; the connection was reset and carried the three after it.
    assert received(server) == order[:2] + order[3:]
    assert server.connections == 1
    assert mail_row(page_of(hr), "WARD1")[:5] == ["6", "0", "5", "0", "1"]
    assert order[2] not in log_stream.getvalue().lower()


@pytest.mark.parametrize("how", ["hang up", "421"])
def test_a_connection_ended_between_mails_is_opened_again(hr, staff_survey, redis_conn,  # noqa: F811
                                                         database_url, settings, tmp_path,
                                                         log_stream, how):
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    order = addresses_in_job_order(database_url, settings)
    with serving(_EndingOnce(tmp_path / "ending", after=2, how=how), settings) as server:
        run_worker(redis_conn)
    # The third mail went out on a second connection, and the mails after it too.
    assert server.ended
    assert received(server) == order
    assert server.connections == 2
    assert mail_row(page_of(hr), "WARD1")[:5] == ["6", "0", "6", "0", "0"]
    logged = log_stream.getvalue()
    assert logged.count("smtp connection ended by the server") == 1
    assert not any(p in logged.lower() for p in PEOPLE)


def test_a_connection_lost_in_a_mails_content_never_sends_it_twice(hr, staff_survey,  # noqa: F811
                                                                   redis_conn, database_url,
                                                                   settings, tmp_path):
    """The server may have taken a mail whose answer never came: it counts as failed (HR may
    queue it again), as with a connection per mail; the job goes on with a new connection."""
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    order = addresses_in_job_order(database_url, settings)
    with serving(_EndingOnce(tmp_path / "ending", after=3, how="in DATA"), settings) as server:
        run_worker(redis_conn)
    assert server.ended
    assert received(server) == order  # the third once, though its answer was lost
    assert server.connections == 2
    assert mail_row(page_of(hr), "WARD1")[:5] == ["6", "0", "5", "1", "0"]


def test_the_connection_is_renewed_after_a_set_number_of_mails(hr, staff_survey, smtp,  # noqa: F811
                                                               redis_conn, monkeypatch):
    from surveys.infra import mail

    monkeypatch.setattr(mail, "MESSAGES_PER_CONNECTION", 4)
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    assert sorted(m["To"] for m in mails(smtp)) == sorted(PEOPLE)
    assert smtp.connections == 2


def test_the_address_list_is_deleted_when_the_survey_closes(hr, staff_survey, smtp,  # noqa: F811
                                                            redis_conn, database_url,
                                                            admin_client):
    assert invite(hr, "\n".join(PEOPLE[:3])).status_code == 303
    run_worker(redis_conn)
    assert act(hr, "remind").status_code == 303  # waiting for the night: dropped at the close
    with db.session_scope(database_url) as s:
        assert len(s.scalars(select(InvitationMail)).all()) == 3
        assert len(s.scalars(select(ReminderRequest)).all()) == 1
    result = TestCli().invoke(main, ["surveys", "close", SLUG])
    assert result.exit_code == 0, result.output
    with db.session_scope(database_url) as s:
        assert s.scalars(select(InvitationMail)).all() == []
        assert s.scalars(select(ReminderRequest)).all() == []
        assert len(s.scalars(select(Invitation)).all()) == 3  # the invitations stay (counts)
    # A closed survey takes no new list and sends no reminder.
    assert invite(hr, PEOPLE[4]).status_code == 400
    assert act(hr, "remind").status_code == 400
    run_worker(redis_conn)
    assert len(mails(smtp)) == 3
    # Reopening keeps the mailed links working, without the addresses: the page says so.
    page = admin_client.get(f"/fi/admin/surveys/{SLUG}/reopen").get_data(as_text=True)
    assert "Älä lähetä kutsuja uudelleen henkilöille, jotka ovat jo saaneet kutsun" in page


def test_the_schedule_and_the_retention_job_delete_it_too(hr, staff_survey, smtp, redis_conn,  # noqa: F811
                                                          database_url):
    from workers import jobs

    assert invite(hr, "\n".join(PEOPLE[:3])).status_code == 303
    with db.session_scope(database_url) as s:
        closes = lookup.find(s, SLUG).closes_on
    # Closed by its date (the scheduled job): the rows go in the same transaction.
    jobs.apply_schedule(closes.isoformat())
    with db.session_scope(database_url) as s:
        assert lookup.find(s, SLUG).status == "closed"
        assert s.scalars(select(InvitationMail)).all() == []
    run_worker(redis_conn)
    assert mails(smtp) == []  # the queued job finds nothing to send
    # A survey closed some other way: the daily retention job deletes its list.
    with db.session_scope(database_url) as s:
        s.execute(update(Survey).where(Survey.slug == SLUG).values(status="published",
                                                                   closed_on=None))
    lookup.forget()
    assert invite(hr, "\n".join(PEOPLE[:2])).status_code == 303
    with db.session_scope(database_url) as s:
        s.execute(update(Survey).where(Survey.slug == SLUG).values(
            status="closed", closed_on=clock.today() - timedelta(days=1)))
    jobs.purge_expired()
    with db.session_scope(database_url) as s:
        assert s.scalars(select(InvitationMail)).all() == []


def test_cli_sends_and_reminds(staff_survey, smtp, redis_conn, database_url, tmp_path,  # noqa: F811
                               client):
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{PEOPLE[0]}\nei osoite\n", encoding="utf-8")
    result = TestCli().invoke(main, ["invitations", "send", SLUG, "--unit", "WARD2",
                                     "--addresses", str(bad)])
    assert result.exit_code == 1 and "line 2: not an e-mail address: ei osoite" in result.output
    with db.session_scope(database_url) as s:
        assert s.scalars(select(Invitation)).all() == []
    good = tmp_path / "osoitteet.txt"
    good.write_text("\n".join(PEOPLE[:3] + [PEOPLE[0].upper()]) + "\n", encoding="utf-8")
    result = TestCli().invoke(main, ["invitations", "send", SLUG, "--unit", "WARD2",
                                     "--addresses", str(good), "--base-url",
                                     "https://palaute.example.fi"])
    assert result.exit_code == 0, result.output
    assert "3 invitation(s)" in result.output and "1 repeated" in result.output
    again = TestCli().invoke(main, ["invitations", "send", SLUG, "--unit", "WARD2",
                                    "--addresses", str(good)])
    assert "0 invitation(s)" in again.output and "3 address(es) already" in again.output
    run_worker(redis_conn)
    sent = mails(smtp)
    assert sorted(m["To"] for m in sent) == sorted(PEOPLE[:3])
    links = re.findall(r"https://palaute\.example\.fi(/fi/i/\S+)", sent[0].get_content())
    assert answer_link(client, links[0]).status_code == 303
    result = TestCli().invoke(main, ["invitations", "remind", SLUG, "--unit", "WARD2"])
    assert result.exit_code == 0, result.output
    assert "requested: it goes out after the night's count" in result.output
    again = TestCli().invoke(main, ["invitations", "remind", SLUG, "--unit", "WARD2"])
    assert again.exit_code == 0 and "already requested" in again.output
    run_worker(redis_conn)
    assert len(mails(smtp)) == 3  # not before the night
    night_job(tonight())
    run_worker(redis_conn)
    assert sorted(m["To"] for m in mails(smtp)[3:]) == \
        sorted(p for p in PEOPLE[:3] if p != sent[0]["To"])
    with db.session_scope(database_url) as s:
        events = [e.object_id for e in s.scalars(select(AuditEvent))]
    assert f"{SLUG}:WARD2:3" in events and events.count(f"{SLUG}:WARD2") == 2


def test_only_the_organisations_hr_and_national_admins_may(app, database_url, staff_survey):  # noqa: F811
    for email_, role, kw in (("hr2@example.fi", "hr_admin", {"org": "ORG2"}),
                             ("r@example.fi", "region_admin", {"region": "17"}),
                             ("a@example.fi", "analyst", {"grants": ["17", "org:ORG1"]})):
        make_user(database_url, email_, role, **kw)
        other = app.test_client()
        assert sign_in(other, email_).status_code == 303
        assert other.get(f"/fi/admin/surveys/{SLUG}/invitations").status_code == 404
        assert invite(other, PEOPLE[0]).status_code == 404
        assert act(other, "remind").status_code == 404
    with db.session_scope(database_url) as s:
        assert s.scalars(select(InvitationMail)).all() == []
    make_user(database_url, "n@example.fi", "national_admin")
    national = app.test_client()
    assert sign_in(national, "n@example.fi").status_code == 303
    assert invite(national, PEOPLE[0]).status_code == 303


def test_rows_and_invitations_share_no_order(database_url, staff_survey, settings):  # noqa: F811
    """Inserted in one transaction: the rows in a random order, the invitations in the order of
    their hashes, so neither ids nor physical order pair an address with its invitation."""
    addresses = [f"henkilo{i:03d}@example.fi" for i in range(60)]
    with db.session_scope(database_url) as s:
        mailing.add(s, lookup.find(s, SLUG), "WARD1", mailing.AddressList(addresses, 0),
                    settings.secret(), "http://localhost")
    with db.session_scope(database_url) as s:
        rows = s.scalars(select(InvitationMail).order_by(InvitationMail.id)).all()
        opened = [mailing.unseal(settings.secret(), r) for r in rows]
        order = [a for a, _t in opened]
        assert sorted(order) == addresses and order != addresses  # shuffled (1 in 60!)
        if s.bind.dialect.name == "postgresql":
            by_ctid = list(s.scalars(select(Invitation.token_hash)
                                     .order_by(literal_column("ctid"))))
            assert by_ctid == sorted(by_ctid)  # heap order = hash order
        hashes = [invitations.token_hash(t) for _a, t in opened]
        assert hashes != sorted(hashes)
        # A sealed value moved to another row does not open.
        a, b = rows[0], rows[1]
        a.sealed, b.sealed = b.sealed, a.sealed
        with pytest.raises(Exception, match="does not open"):
            mailing.unseal(settings.secret(), a)
        s.rollback()



def test_the_same_list_uploaded_twice_at_once_is_invited_once(hr, staff_survey, smtp,  # noqa: F811
                                                               redis_conn, database_url,
                                                               settings, monkeypatch):
    """Two HR tabs send the same list at the same moment: the second upload finds nothing new
    only after the first has committed, so it meets the unique address key. It is retried once
    and reports the addresses as already invited, instead of an error page."""
    real_create = invitations.create
    raced = []

    def create_after_the_other_upload(session, survey, unit_code, count, today=None):
        if not raced:
            raced.append(True)
            # The other tab's upload, complete and committed, between this upload's check for
            # known addresses and its insert: the window the race happens in.
            with db.session_scope(database_url) as other:
                mailing.add(other, lookup.find(other, SLUG), "WARD1",
                            mailing.parse_addresses("\n".join(PEOPLE[:3])), settings.secret(),
                            "http://localhost/")
        return real_create(session, survey, unit_code, count, today)

    monkeypatch.setattr(invitations, "create", create_after_the_other_upload)
    response = invite(hr, "\n".join(PEOPLE[:3]))
    assert response.status_code == 303
    shown = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert "0 uutta osoitetta" in shown
    with db.session_scope(database_url) as s:
        assert len(s.scalars(select(InvitationMail)).all()) == 3
        assert len(s.scalars(select(Invitation)).all()) == 3  # none left over by the retry


class Killed(BaseException):
    """The worker killed (SIGKILL, out of memory) while a mail is on its way."""


def killed_while_sending(monkeypatch, database_url, deliver: bool) -> None:
    """The mail job claims a row (committed as "sending") and dies before recording it: after
    handing the mail to the server (`deliver`) or before."""
    from surveys.infra import mail
    from workers import jobs

    real = mail.Connection.send

    def dies(conn, message):
        if deliver:
            real(conn, message)
        raise Killed

    monkeypatch.setattr(mail.Connection, "send", dies)
    with db.session_scope(database_url) as s:
        survey_id = lookup.find(s, SLUG).id
    with pytest.raises(Killed):
        jobs.send_invitation_mails(survey_id)
    monkeypatch.setattr(mail.Connection, "send", real)


def age_claims(database_url, minutes: int) -> None:
    with db.session_scope(database_url) as s:
        for row in s.scalars(select(InvitationMail).where(InvitationMail.status == "sending")):
            row.claimed_at -= timedelta(minutes=minutes)


@pytest.mark.parametrize("delivered", [True, False])
def test_a_mail_stuck_in_sending_shows_as_unknown_and_may_be_sent_again(
        hr, staff_survey, smtp, redis_conn, database_url, monkeypatch, delivered):  # noqa: F811
    assert invite(hr, "\n".join(PEOPLE[:3])).status_code == 303
    killed_while_sending(monkeypatch, database_url, deliver=delivered)
    run_worker(redis_conn)  # the job enqueued by the upload: the two others
    assert len(mails(smtp)) == 2 + delivered
    with db.session_scope(database_url) as s:
        rows = s.scalars(select(InvitationMail)).all()
        assert sorted(r.status for r in rows) == ["sending", "sent", "sent"]
        # Only a claim in progress keeps its time (to the minute); a recorded mail none.
        assert [r.claimed_at.second for r in rows if r.status == "sending"] == [0]
        assert all(r.claimed_at is None for r in rows if r.status == "sent")
    # A few minutes: still on its way, counted as queued.
    page = page_of(hr)
    assert mail_row(page, "WARD1")[:6] == ["3", "1", "2", "0", "0", "0"]
    # Over 15 minutes: unknown, in its own column (a first mail: about mail, not respondents,
    # shown as failed ones are, up to the organisation).
    age_claims(database_url, 16)
    page = page_of(hr)
    for code in ("WARD1", "CARE", "ORG1"):
        assert mail_row(page, code)[:6] == ["3", "0", "2", "0", "0", "1"], code
    assert "Tuntematon" in page and "saattavat saada viestin kahdesti" in page
    # The job does not touch it; HR queues it again with the failed ones.
    run_worker(redis_conn)
    with db.session_scope(database_url) as s:
        survey_id = lookup.find(s, SLUG).id
    from workers import jobs

    assert jobs.send_invitation_mails(survey_id) == 0
    assert act(hr, "retry").status_code == 303
    run_worker(redis_conn)
    received = sorted(m["To"] for m in mails(smtp))
    # Everyone has the mail now; the one whose claim was lost got it twice if it had gone out.
    assert sorted(set(received)) == sorted(PEOPLE[:3])
    assert len(received) == 3 + delivered
    assert mail_row(page_of(hr), "ORG1")[:6] == ["3", "0", "3", "0", "0", "0"]
    with db.session_scope(database_url) as s:
        assert all(r.claimed_at is None for r in s.scalars(select(InvitationMail)))
    with db.session_scope(database_url) as s:
        events = [e.action for e in s.scalars(select(AuditEvent))]
    assert "invitations.retry" in events


@pytest.mark.parametrize("answered", [5, 2])
def test_a_stuck_reminder_is_a_figure_about_respondents(hr, client, staff_survey, smtp,  # noqa: F811
                                                       redis_conn, database_url, monkeypatch,
                                                       answered):
    """Reminders go to those who have not answered: a reminder lost in sending is counted
    nowhere (not with the first mails' unknown ones), as no reminder count is shown, and is
    sent again, when HR asks, at the night."""
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    for person in PEOPLE[:answered]:  # 5 reach the threshold, 2 do not
        assert answer_link(client, f"/fi/i/{first[person]}").status_code == 303
    count_tonight()
    assert act(hr, "remind").status_code == 303
    night_job(tonight())
    killed_while_sending(monkeypatch, database_url, deliver=False)
    age_claims(database_url, 16)
    run_worker(redis_conn)
    page = page_of(hr)
    for code in ("WARD1", "CARE", "ORG1"):
        assert mail_row(page, code) == ["6", "0", "6", "0", "0", "0", night(tonight())], code
    # Queued again with the failed ones, at the night: a reminder queued again is checked
    # against its invitation at its claim, which must not happen at a moment HR chose.
    assert act(hr, "retry").status_code == 303
    run_worker(redis_conn)
    assert len(mails(smtp)) == 6 + (6 - answered) - 1
    assert "Epäonnistuneet ja tuntemattomat muistutukset lähetetään uudelleen" in page_of(hr)
    night_job(tonight(2))
    run_worker(redis_conn)
    reminded = [m["To"] for m in mails(smtp)[6:]]
    assert sorted(reminded) == sorted(PEOPLE[answered:])


def test_two_reminders_clicked_minutes_apart_count_no_answer_between(hr, client, staff_survey,  # noqa: F811
                                                                      smtp, redis_conn):
    """Who gets a reminder is decided at the night's count, never at HR's click: two reminders
    clicked a few minutes apart, with one answer in between, must not show HR two counts of
    those who had not answered (their difference would be that person, answering then)."""
    people = [f"hoitaja{i}@example.fi" for i in range(1, 11)]
    assert invite(hr, "\n".join(people)).status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    for person in people[:5]:  # 5 respondents, counted in the night: the counts may be shown
        assert answer_link(client, f"/fi/i/{first[person]}").status_code == 303
    count_tonight()
    assert act(hr, "remind").status_code == 303
    run_worker(redis_conn)
    seen = mail_row(page_of(hr), "WARD1")[6:]
    # At 14:02 one more person answers; HR clicks again at 14:05.
    assert answer_link(client, f"/fi/i/{first[people[5]]}").status_code == 303
    assert act(hr, "remind").status_code == 303
    run_worker(redis_conn)
    assert mail_row(page_of(hr), "WARD1")[6:] == seen
    # Both clicks are one request; nothing was decided, nor sent, before the night.
    assert seen == ["–"] and len(mails(smtp)) == 10
    # The night decides: one reminder, to the 4 who had not answered at its count.
    night_job(tonight())
    run_worker(redis_conn)
    assert sorted(m["To"] for m in mails(smtp)[10:]) == sorted(people[6:])
    assert mail_row(page_of(hr), "WARD1")[6:] == [night(tonight())]


def test_a_request_waits_for_the_night_and_is_resolved_once(hr, client, staff_survey, smtp,  # noqa: F811
                                                             redis_conn, database_url):
    """HR's click only records a request: nothing is decided about recipients, nor sent, nor
    counted, until the night's participation job resolves it, once, right after its count;
    someone who answered before that count gets no reminder."""
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    assert answer_link(client, f"/fi/i/{first[PEOPLE[0]]}").status_code == 303
    for unit in ("", "", "WARD1"):  # asked three times, for all and for the one unit
        response = act(hr, "remind", unit)
        assert response.status_code == 303
    notice = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert "Muistutusta on pyydetty. Se lähtee tämän yön vastaajalaskennan jälkeen" in notice
    page = page_of(hr)
    assert "Odottaa tämän yön vastaajalaskentaa:" in page
    assert "Muistutus: Kaikki yksiköt" in page and "Muistutus: WARD1" in page

    def rounds() -> list[int]:
        with db.session_scope(database_url) as s:
            return sorted(s.scalars(select(InvitationMail.round)))

    run_worker(redis_conn)
    # In the day, and in the night of the request's own day (its count was before the
    # click), nothing is resolved.
    night_job(tonight(0), 14)
    night_job(tonight(0), 1)
    run_worker(redis_conn)
    assert len(mails(smtp)) == 6 and rounds() == [0] * 6
    # One more answers before the night.
    assert answer_link(client, f"/fi/i/{first[PEOPLE[1]]}").status_code == 303
    assert night_job(tonight()) == {SLUG: True}
    assert night_job(tonight(), 1) == {SLUG: False}  # the next hour: nothing again
    assert rounds() == [0, 0, 1, 1, 1, 1]  # one reminder for the three clicks
    with db.session_scope(database_url) as s:  # resolved, kept with their night
        assert {r.resolved_on for r in s.scalars(select(ReminderRequest))} == {tonight()}
    run_worker(redis_conn)
    assert sorted(m["To"] for m in mails(smtp)[6:]) == sorted(PEOPLE[2:])
    night_job(tonight())  # the job again: nothing queued, nothing sent
    run_worker(redis_conn)
    assert len(mails(smtp)) == 10 and rounds() == [0, 0, 1, 1, 1, 1]
    assert "Odottaa tämän yön vastaajalaskentaa:" not in page_of(hr)


def shown_figures(html: str) -> dict[tuple[int, str, int], int]:
    """Every whole number in a table cell of HR's page, by (table, unit code, column)."""
    out = {}
    for t, table in enumerate(html.split("<table")[1:]):
        for row in table.split("</table>", 1)[0].split("<tr>")[1:]:
            code = re.search(r"\((\w+)\)</th>", row)
            if code is None:
                continue
            for col, cell in enumerate(re.findall(r"<td>([^<]*)</td>", row)):
                value = cell.replace("\xa0", "").replace("\u202f", "").replace(" ", "")
                if value.isdigit():
                    out[(t, code.group(1), col)] = int(value)
    return out


def shown_progress(database_url) -> dict[tuple[str, str], int]:
    """Every whole number of what the page is rendered from (mailing.progress: any JSON of the
    page would be built from it), by (unit code, field)."""
    with db.session_scope(database_url) as s:
        survey = lookup.find(s, SLUG)
        root = invitations.organisation_of(s, survey)
        return {(m.code, name): value for m in mailing.progress(s, survey, root)
                for name, value in vars(m).items()
                if isinstance(value, int) and not isinstance(value, bool) and name != "depth"}


def test_reminders_on_two_nights_tell_no_fewer_answers_than_the_threshold(
        hr, client, staff_survey, smtp, redis_conn, database_url):  # noqa: F811
    """The participation figures change only by nobody or by at least the threshold (5). Two
    reminders on two nights, with 2 mailed people answering in the day between, must not show
    HR figures that differ by 1 … 4: exact counts of the reminded would say that 2 answered
    (and, the figures standing at 5, that those 2 have not been counted yet)."""
    people = [f"hoitaja{i}@example.fi" for i in range(1, 11)]
    assert invite(hr, "\n".join(people)).status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    for person in people[:5]:  # 5 respondents, counted: WARD1's figures are shown
        assert answer_link(client, f"/fi/i/{first[person]}").status_code == 303
    count_tonight()
    remind_tonight(hr, redis_conn)
    assert sorted(m["To"] for m in mails(smtp)[10:]) == sorted(people[5:])
    before, before_data = shown_figures(page_of(hr)), shown_progress(database_url)
    for person in people[5:7]:  # 2 answer in the day
        assert answer_link(client, f"/fi/i/{first[person]}").status_code == 303
    remind_tonight(hr, redis_conn, nights=2)
    assert sorted(m["To"] for m in mails(smtp)[15:]) == sorted(people[7:])  # 3 reminded
    after, after_data = shown_figures(page_of(hr)), shown_progress(database_url)
    assert before.keys() == after.keys() and before_data.keys() == after_data.keys()
    assert before[(0, "WARD1", 1)] == after[(0, "WARD1", 1)] == 5  # respondents: stand at 5
    for old, new in ((before, after), (before_data, after_data)):
        moved = {key: (old[key], new[key]) for key in old if 0 < abs(old[key] - new[key]) < 5}
        assert moved == {}


def test_a_bounced_reminder_is_no_mail_count(hr, staff_survey, smtp, redis_conn, settings,  # noqa: F811
                                            tmp_path):
    """A reminder refused by the recipient's server says that its person had not answered: it
    is not counted with the first mails' bounces."""
    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    assert act(hr, "remind").status_code == 303
    night_job(tonight())
    with serving(_Refusing(tmp_path / "refusing", refused=[PEOPLE[0]]), settings) as server:
        run_worker(redis_conn)
    assert sorted(received(server)) == sorted(PEOPLE[1:])
    for code in ("WARD1", "ORG1"):
        assert mail_row(page_of(hr), code) == ["6", "0", "6", "0", "0", "0", night(tonight())]


def test_a_reminder_for_a_unit_reaches_its_sub_units(hr, client, staff_survey, smtp,  # noqa: F811
                                                     redis_conn):
    """Units form a tree and a unit's figures include its sub-units: reminding CARE reminds
    the people mailed for CARE itself and for WARD1 and WARD2 under it, not those of HR beside
    it; the page says so for each of them."""
    head, staff = "osastonhoitaja@example.fi", "henkilosto@example.fi"
    assert invite(hr, head, unit="CARE").status_code == 303
    assert invite(hr, "\n".join(PEOPLE[:3]), unit="WARD1").status_code == 303
    assert invite(hr, "\n".join(PEOPLE[3:]), unit="WARD2").status_code == 303
    assert invite(hr, staff, unit="HR").status_code == 303
    run_worker(redis_conn)
    first = {m["To"]: token_of(m) for m in mails(smtp)}
    assert answer_link(client, f"/fi/i/{first[PEOPLE[0]]}").status_code == 303
    response = act(hr, "remind", "CARE")
    assert response.status_code == 303
    assert "Muistutus: CARE" in page_of(hr)
    night_job(tonight())
    run_worker(redis_conn)
    assert sorted(m["To"] for m in mails(smtp)[8:]) == sorted([head, *PEOPLE[1:]])
    page = page_of(hr)
    for code in ("CARE", "WARD1", "WARD2"):
        assert mail_row(page, code)[6:] == [night(tonight())], code
    for code in ("ORG1", "HR"):  # not reminded as a whole
        assert mail_row(page, code)[6:] == ["–"], code


def test_sending_again_for_a_unit_covers_its_sub_units(hr, client, staff_survey, smtp,  # noqa: F811
                                                       redis_conn, settings):
    """"Send the failed and unknown mails again" for CARE sends again the failed first mails of
    WARD1 and WARD2 under it at once, and their failed reminders at the night; HR's beside it
    stay failed."""
    from workers import context

    up = settings.with_overrides(smtp_host="127.0.0.1", smtp_port=smtp.port,
                                 mail_from="palaute@example.fi")
    down = settings.with_overrides(smtp_host="127.0.0.1", smtp_port=free_port())
    staff = "henkilosto@example.fi"
    try:
        context.use(down)
        assert invite(hr, "\n".join(PEOPLE[:3]), unit="WARD1").status_code == 303
        assert invite(hr, "\n".join(PEOPLE[3:]), unit="WARD2").status_code == 303
        assert invite(hr, staff, unit="HR").status_code == 303
        run_worker(redis_conn)
        assert mail_row(page_of(hr), "CARE")[:5] == ["6", "0", "0", "6", "0"]
        context.use(up)
        assert act(hr, "retry", "CARE").status_code == 303
        run_worker(redis_conn)
        assert sorted(m["To"] for m in mails(smtp)) == sorted(PEOPLE)
        page = page_of(hr)
        assert mail_row(page, "CARE")[:5] == ["6", "0", "6", "0", "0"]
        assert mail_row(page, "HR")[:5] == ["1", "0", "0", "1", "0"]
        # The reminder for CARE fails: the mail server is down in the night.
        first = {m["To"]: token_of(m) for m in mails(smtp)}
        assert answer_link(client, f"/fi/i/{first[PEOPLE[0]]}").status_code == 303
        # (CARE has no mailed people of its own: its sub-units' are someone to remind.)
        assert act(hr, "remind", "CARE").status_code == 303
        night_job(tonight())
        context.use(down)
        run_worker(redis_conn)
        context.use(up)
        assert len(mails(smtp)) == 6
        assert act(hr, "retry", "CARE").status_code == 303
        assert "Epäonnistuneet ja tuntemattomat muistutukset lähetetään uudelleen: CARE" \
            in page_of(hr)
        run_worker(redis_conn)
        assert len(mails(smtp)) == 6  # not before the night
        night_job(tonight(2))
        run_worker(redis_conn)
        assert sorted(m["To"] for m in mails(smtp)[6:]) == sorted(PEOPLE[1:])
    finally:
        context.use(settings)


def test_two_night_runs_resolving_at_once_queue_one_reminder(hr, client, staff_survey, smtp,  # noqa: F811
                                                             redis_conn, database_url):
    """Two runs of the night's job resolving the same requests at the same moment (two
    workers, or a run retried while the first still holds its transaction): the second waits
    for the first's row locks (PostgreSQL) or for its write lock (SQLite), then finds the
    requests resolved and queues nothing, so every person gets one reminder."""
    import threading

    from sqlalchemy.exc import OperationalError

    assert invite(hr, "\n".join(PEOPLE)).status_code == 303
    run_worker(redis_conn)
    assert act(hr, "remind").status_code == 303
    from workers import jobs

    night, secret = tonight(), jobs.settings().secret()
    first = db.new_session(database_url)
    second = db.new_session(database_url)
    outcome: dict[str, object] = {}
    try:
        survey = lookup.visible(first, SLUG)
        assert mailing.resolve_requests(first, survey, secret, night) is True  # flushed

        def other() -> None:
            try:
                outcome["queued"] = mailing.resolve_requests(
                    second, lookup.visible(second, SLUG), secret, night)
                second.commit()
            except (mailing.AlreadyResolved, OperationalError) as e:
                second.rollback()
                outcome["refused"] = type(e).__name__

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # waiting for the first run's locks
        first.commit()
        thread.join(30)
        assert not thread.is_alive()
    finally:
        first.close()
        second.close()
    assert "queued" not in outcome and outcome["refused"]
    with db.session_scope(database_url) as s:
        assert sorted(s.scalars(select(InvitationMail.round))) == [1] * 6  # one round
