"""The contract of a channel: send one message or raise; adding a channel is one class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from notifications.message import Message

if TYPE_CHECKING:
    from hubtable.config import Settings
    from workflow.runtime import Runtime


class ChannelError(Exception):
    """Sending failed; the message says why, in words an administrator can act on."""


class Channel(ABC):
    """One way of reaching a recipient. `send` returns only once the message was accepted."""

    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings, runtime: Runtime) -> Channel:
        """Build the channel for one dispatch pass."""

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver `message` or raise (any exception counts as a failed attempt)."""

    def close(self) -> None:  # noqa: B027 (optional hook, deliberately a no-op)
        """Release connections held across a pass (nothing by default)."""
