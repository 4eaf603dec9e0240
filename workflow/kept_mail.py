"""Reading what the local mail sink kept: for the Mail page and `hubtable mail`.

The sink (hubtable/mailsink.py, run by `hubtable up`) writes each message as an .eml file in
the data dir; the web adapter and the CLI both read them, and neither may import the other's
side of the house, so the reader lives in the core: plain standard library, no framework.

Messages are numbered from 1 (the oldest) in the order they arrived; the number is what the
page's address and `hubtable mail show N` use. Only headers and the text and HTML parts are
read; the caller escapes them (the HTML part is shown as source, never rendered).
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path


def mail_dir(data_dir: Path) -> Path:
    return data_dir / "mail"


@dataclass(frozen=True)
class KeptMail:
    number: int
    received_at: datetime
    sender: str
    recipients: str
    subject: str
    message_id: str
    event: str


@dataclass(frozen=True)
class MailBody:
    mail: KeptMail
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.eml") if not p.name.startswith("."))


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def _summary(number: int, path: Path, message: EmailMessage) -> KeptMail:
    try:
        received = datetime.fromtimestamp(int(path.name.split("-", 1)[0]) / 1e9, UTC)
    except ValueError:
        received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return KeptMail(number=number, received_at=received, sender=str(message["From"] or ""),
                    recipients=str(message["X-Envelope-To"] or message["To"] or ""),
                    subject=str(message["Subject"] or ""),
                    message_id=str(message["Message-ID"] or ""),
                    event=str(message["X-Hubtable-Event"] or ""))


def list_mail(directory: Path, *, limit: int = 200) -> list[KeptMail]:
    """The newest `limit` messages, newest first."""
    files = _files(directory)
    start = max(len(files) - limit, 0)
    kept = [_summary(i + 1, path, _parse(path)) for i, path in enumerate(files) if i >= start]
    return list(reversed(kept))


def count(directory: Path) -> int:
    return len(_files(directory))


def read_mail(directory: Path, number: int) -> MailBody | None:
    files = _files(directory)
    if not 1 <= number <= len(files):
        return None
    path = files[number - 1]
    message = _parse(path)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return MailBody(mail=_summary(number, path, message),
                    headers=[(k, str(v)) for k, v in message.items()],
                    text=text.get_content() if text is not None else None,
                    html=html.get_content() if html is not None else None)
