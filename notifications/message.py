"""The one shape every channel sends: rendered, de-identified, addressed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """What a channel sends. Built only from the event's allow-listed payload and the table.

    `key` identifies the delivery (or digest) across resends: it becomes the email's
    Message-ID and the webhook's X-Hubtable-Delivery header, so a receiver can drop a repeat.
    """

    key: str
    channel: str
    to: str
    language: str
    subject: str
    text: str
    html: str
    link: str
    document: dict[str, Any]
    event_type: str
    event_id: int | None = None
    user_id: int | None = None
    secret: str | None = field(default=None, repr=False)
