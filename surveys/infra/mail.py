"""Sending mail through SMTP (Settings: SMTP_HOST, SMTP_PORT, SMTP_TLS, SMTP_USER,
SMTP_PASSWORD, MAIL_FROM), and the development mail server.

`send` opens a connection for one message (an account mail: an invitation or a reset link).
A staff survey's invitation mails go out by the thousand (a county's HR mails all its staff at
once): the mail job sends them over one `connection` (`Connection`), as a connection per mail,
each with its TLS handshake and login, is slow and trips providers' limits on connections. It
is renewed after MESSAGES_PER_CONNECTION mails, and once when the server ends it between two;
a refused recipient leaves it usable for the next. TLS is `none`, `starttls` or `ssl`, with the
system's certificate store and host name checks. The password is never logged, nor anything of
a message; a failure raises (`outcome_of` says how it counts; an account mail's job retries).

`DevMailServer` is a real SMTP server (aiosmtpd) that writes every message it receives to a
folder as an `.eml` file: `palaute serve` starts one on 127.0.0.1:8025 writing to
`instance/mail/` when SMTP_HOST is not set, and the tests start one on a free port (and count
the connections its clients opened, `connections`).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from .settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_S = 30


def message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """One message on a connection of its own (an account mail)."""
    with connection(settings) as conn:
        conn.send(msg)


def connection(settings: Settings) -> Connection:
    """`with mail.connection(settings) as conn: conn.send(msg)`: many messages, one connection."""
    return Connection(settings)


# A fresh connection after this many messages: some providers allow only so many messages per
# connection and answer 421 or hang up beyond it. That is met by reconnecting once (below), but
# a planned reconnect costs no refused command, and one handshake per 100 mails is still
# nothing next to one per mail.
MESSAGES_PER_CONNECTION = 100


class Connection:
    """One SMTP connection for many messages, opened at the first `send` (so a job with nothing
    to send connects nowhere) and closed with QUIT at the end of the `with` block.

    Each `send` delivers one message or raises as `send` does (`outcome_of` counts it); either
    way the connection is left usable for the next one: after a refusal (the server answered,
    the dialogue is in step) it is reset with RSET, after anything else (a timeout, a reply that
    never came) it is dropped and the next `send` connects again, so one recipient's refusal
    never stops the others. Where the server has ended a connection between messages (its
    idle timeout, its limit of messages per connection: a dropped connection or a 421 found at
    the next message's MAIL or RCPT), the message is sent once more on a new connection; never
    once its content has gone out (DATA), as the server may have taken it: that message counts
    as failed, at most once as before. After MESSAGES_PER_CONNECTION messages the connection is
    renewed. Nothing of a message is logged."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client: _Client | None = None
        self._host = ""
        self._used = 0  # messages tried on the open connection

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, msg: EmailMessage) -> None:
        if self._client is not None and self._used >= MESSAGES_PER_CONNECTION:
            self.close()
        for attempt in (1, 2):
            reused = self._client is not None
            client = self._client if reused else self._open()
            self._used += 1
            client.in_data = False
            try:
                client.send_message(msg)
            except OSError as exc:  # smtplib's errors included
                if attempt == 1 and reused and client.sock is None and not client.in_data:
                    log.info("smtp connection ended by the server, connecting again",
                             extra={"smtp_host": self._host})
                    self._drop()
                    continue
                self._recover(exc)
                raise
            except BaseException:  # the worker stopped part way: no QUIT in mid-dialogue
                self._drop()
                raise
            log.info("mail sent", extra={"smtp_host": self._host})
            return

    def close(self) -> None:
        """QUIT and close; a connection that fails to say goodbye is closed all the same (its
        messages were delivered already)."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except OSError:
            pass
        finally:
            client.close()

    def _open(self) -> _Client:
        settings = self.settings
        host, port = settings.smtp_endpoint()
        context = ssl.create_default_context()
        if settings.smtp_tls == "ssl":
            client: _Client = _ClientSSL(host, port, timeout=TIMEOUT_S, context=context)
        else:
            client = _Client(host, port, timeout=TIMEOUT_S)
        try:
            if settings.smtp_tls == "starttls":
                client.starttls(context=context)
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password)
        except BaseException:
            client.close()
            raise
        self._client, self._host, self._used = client, host, 0
        return client

    def _recover(self, exc: OSError) -> None:
        """After a failed send: RSET where the server answered (smtplib has reset already after
        a refusal; this checks the connection still answers), else drop the connection."""
        client = self._client
        if client is None:
            return
        answered = isinstance(exc, (smtplib.SMTPResponseException,
                                    smtplib.SMTPRecipientsRefused))
        if answered and client.sock is not None:
            try:
                if client.rset()[0] == 250:
                    return
            except OSError:
                pass
        self._drop()

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


class _Client(smtplib.SMTP):
    """smtplib's client, noting when a message's content starts to go out (DATA): a connection
    lost after that may have delivered the message, so it is not sent again."""

    in_data = False

    def data(self, msg):
        self.in_data = True
        return super().data(msg)


class _ClientSSL(_Client, smtplib.SMTP_SSL):
    pass


def outcome_of(exc: BaseException) -> str:
    """How a failed send counts: "bounced" when the server refused the recipient or the message
    for good (a 5xx reply), else "failed" (connection, TLS, authentication, a 4xx reply: worth
    another try)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return "bounced" if codes and all(code >= 500 for code in codes) else "failed"
    if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500:
        return "bounced"
    return "failed"


class DevMailServer:
    """aiosmtpd on (host, port), writing each message to `folder` as `<time>-<n>.eml`."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 8025, **options):
        self.folder = Path(folder)
        self.host, self.port = host, port
        self.options = options  # for aiosmtpd's SMTP (the tests' authenticator)
        self._controller = None

    def start(self) -> DevMailServer:
        from aiosmtpd.controller import Controller

        # aiosmtpd logs every connection at INFO ("EOF received", "connection lost"): routine.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Handler(self.folder), hostname=self.host, port=self.port,
                                      **self.options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    @property
    def connections(self) -> int:
        """How many SMTP sessions clients have opened (greeted) so far."""
        return self._controller.handler.connections if self._controller else 0


class _Handler:
    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.connections = 0  # greetings: a client greets once per connection (no STARTTLS here)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.connections += 1
        session.host_name = hostname  # what aiosmtpd does when a handler has no EHLO hook
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):  # noqa: N802
        self.connections += 1
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.count += 1
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{self.count}.eml"
        tmp = self.folder / (name + ".part")
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.folder / name)
        return "250 Message accepted for delivery"
