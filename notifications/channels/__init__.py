"""The channels a delivery can go by, by name (the name stored on each delivery)."""

from __future__ import annotations

from notifications.channels.base import Channel, ChannelError
from notifications.channels.email import EmailChannel
from notifications.channels.inbox import InboxChannel
from notifications.channels.webhook import WebhookChannel

CHANNELS: dict[str, type[Channel]] = {
    cls.name: cls for cls in (EmailChannel, WebhookChannel, InboxChannel)
}

__all__ = ["CHANNELS", "Channel", "ChannelError", "EmailChannel", "InboxChannel",
           "WebhookChannel"]
