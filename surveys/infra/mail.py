"""Sending mail through SMTP (Settings: SMTP_HOST, SMTP_PORT, SMTP_TLS, SMTP_USER,
SMTP_PASSWORD, MAIL_FROM), and the development mail server.

`send` opens one connection per message: Palaute mails a few invitations and resets a day, not
newsletters. TLS is `none`, `starttls` or `ssl`, with the system's certificate store and host
name checks. The password is never logged; a failure raises (the RQ job retries).

`DevMailServer` is a real SMTP server (aiosmtpd) that writes every message it receives to a
folder as an `.eml` file: `palaute serve` starts one on 127.0.0.1:8025 writing to
`instance/mail/` when SMTP_HOST is not set, and the tests start one on a free port.
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
    host, port = settings.smtp_endpoint()
    context = ssl.create_default_context()
    if settings.smtp_tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_S, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=TIMEOUT_S)
    with client:
        if settings.smtp_tls == "starttls":
            client.starttls(context=context)
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        client.send_message(msg)
    log.info("mail sent", extra={"smtp_host": host})


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
