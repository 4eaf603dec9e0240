"""The in-app inbox: the message's title and link become an item in the user's inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifications.channels.base import Channel, ChannelError, ChannelSettings
from notifications.message import Message
from workflow import inbox

if TYPE_CHECKING:
    from workflow.runtime import Runtime


class InboxChannel(Channel):
    name = "inbox"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @classmethod
    def from_settings(cls, settings: ChannelSettings, runtime: Runtime) -> InboxChannel:
        return cls(runtime)

    def send(self, message: Message) -> None:
        if message.user_id is None or message.event_id is None:
            raise ChannelError("an inbox item needs a user and an event")
        with self.runtime.command() as session:
            inbox.deliver(session, user_id=message.user_id, event_id=message.event_id,
                          event_type=message.event_type, title=message.subject,
                          link=message.link)
