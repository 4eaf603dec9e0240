"""Reading what the local mail sink kept: for the Mail page and `hubtable mail`.

The sink (hubtable/mailsink.py, run by `hubtable up`) writes each message as an .eml file in
the data dir; the web adapter and the CLI both read them, and neither may import the other's
side of the house, so the reader lives in the core: plain standard library, no framework.

Messages are numbered from 1 (the oldest) in the order they arrived; the number is what the
page's address and `hubtable mail show N` use. Only headers and the text and HTML parts are
read; the caller escapes them (the HTML part is shown as source, never rendered). A file that
cannot be read or parsed is listed as unreadable (with why) and never hides the others; a part
in a charset Python does not know is decoded as UTF-8 with replacement characters.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
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
    unreadable: str = ""  # why the file could not be read or parsed ("" when it could)


class UnreadableMail(OSError):
    """A kept message whose file cannot be read or parsed."""


@dataclass(frozen=True)
class MailBody:
    mail: KeptMail
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    # regular files only: a folder or a FIFO named *.eml is no message (and a FIFO would hang)
    return sorted(p for p in directory.glob("*.eml")
                  if not p.name.startswith(".") and p.is_file())


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def _received(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(int(path.name.split("-", 1)[0]) / 1e9, UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        return datetime.fromtimestamp(path.lstat().st_mtime, UTC)
    except OSError:
        return datetime.fromtimestamp(0, UTC)


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _summary(number: int, path: Path, message: EmailMessage) -> KeptMail:
    received = _received(path)
    return KeptMail(number=number, received_at=received, sender=str(message["From"] or ""),
                    recipients=str(message["X-Envelope-To"] or message["To"] or ""),
                    subject=str(message["Subject"] or ""),
                    message_id=str(message["Message-ID"] or ""),
                    event=str(message["X-Hubtable-Event"] or ""))


def _listed(number: int, path: Path) -> KeptMail:
    try:
        return _summary(number, path, _parse(path))
    except Exception as exc:  # one bad file (unreadable, malformed) must not hide the others
        return KeptMail(number=number, received_at=_received(path), sender="", recipients="",
                        subject="", message_id="", event="", unreadable=_why(exc))


def list_mail(directory: Path, *, limit: int = 200) -> list[KeptMail]:
    """The newest `limit` messages, newest first."""
    files = _files(directory)
    start = max(len(files) - limit, 0)
    kept = [_listed(i + 1, path) for i, path in enumerate(files) if i >= start]
    return list(reversed(kept))


def _content(part: MIMEPart | None) -> str | None:
    """A text part's content; an unknown or broken charset is read as UTF-8 with
    replacement characters rather than failing the whole message."""
    if part is None:
        return None
    try:
        content = part.get_content()
        return content if isinstance(content, str) else str(content)
    except (LookupError, UnicodeError, ValueError):
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload.decode("utf-8", errors="replace")
        return str(part.get_payload())


def count(directory: Path) -> int:
    return len(_files(directory))


def read_mail(directory: Path, number: int) -> MailBody | None:
    files = _files(directory)
    if not 1 <= number <= len(files):
        return None
    path = files[number - 1]
    try:
        message = _parse(path)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        return MailBody(mail=_summary(number, path, message),
                        headers=[(k, str(v)) for k, v in message.items()],
                        text=_content(text),
                        html=_content(html))
    except Exception as exc:  # reported as this message's fault, in one line
        raise UnreadableMail(f"message {number} ({path.name}) cannot be read: "
                             f"{_why(exc)}") from None
