"""Email over SMTP: a text part and an HTML part, one connection reused for a whole pass."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from notifications.channels.base import Channel, ChannelError
from notifications.message import Message

if TYPE_CHECKING:
    from hubtable.config import Settings
    from workflow.runtime import Runtime

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    """Where to send: parsed from smtp://, smtp+starttls:// or smtps://[user[:pass]@]host[:port]."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            shown = url.replace(parts.password, "***") if parts.password else url
            raise ValueError(f"HUBTABLE_SMTP_URL must look like smtp://host:port (or "
                             f"smtp+starttls://, smtps://), not {shown!r}")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ValueError("HUBTABLE_SMTP_URL has a port that is not a number") from None
        return cls(parts.scheme, parts.hostname, port,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


def build_email(message: Message, mail_from: str) -> EmailMessage:
    """A multipart/alternative email whose Message-ID is the delivery's dedupe key."""
    domain = mail_from.rpartition("@")[2] or "hubtable.invalid"
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<hubtable.{message.key.replace('/', '.').replace(':', '-')}@{domain}>"
    email["X-Hubtable-Delivery"] = message.key
    email["X-Hubtable-Event"] = message.event_type
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    email["Content-Language"] = message.language  # after set_content, which clears Content-*
    return email


class EmailChannel(Channel):
    name = "email"

    def __init__(self, smtp_url: str, mail_from: str, *, timeout: float = 30.0) -> None:
        self.server = SmtpServer.parse(smtp_url)
        self.mail_from = mail_from
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, runtime: Runtime) -> EmailChannel:
        return cls(settings.smtp_url, settings.mail_from)

    def _connect(self) -> smtplib.SMTP:
        if self._unreachable:
            # One refused connection per pass is enough: do not wait out a timeout per message.
            raise ChannelError(self._unreachable)
        s = self.server
        try:
            if s.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
                if s.scheme == "smtp+starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            self._unreachable = f"SMTP server {s.host}:{s.port} unreachable: {exc}"
            raise ChannelError(self._unreachable) from exc
        self._smtp = smtp
        return smtp

    def send(self, message: Message) -> None:
        email = build_email(message, self.mail_from)
        for attempt in (1, 2):
            smtp = self._smtp or self._connect()
            try:
                smtp.send_message(email, self.mail_from, [message.to])
                return
            except smtplib.SMTPServerDisconnected:
                # A connection idle since the last pass may have been closed: reconnect once.
                self._drop()
                if attempt == 2:
                    raise
            except smtplib.SMTPRecipientsRefused as exc:
                code, reason = next(iter(exc.recipients.values()))
                raise ChannelError(
                    f"SMTP refused the recipient: {code} {reason.decode(errors='replace')}"
                ) from exc

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
