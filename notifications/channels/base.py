"""The contract of a channel: send one message or raise; adding a channel is one class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Protocol

from notifications.message import Message

if TYPE_CHECKING:
    from workflow.runtime import Runtime


class ChannelSettings(Protocol):
    """What the dispatcher and its channels read from the settings.

    The composition root (hubtable.config.Settings) hands its settings in; the channels never
    read the environment themselves.
    """

    @property
    def smtp_url(self) -> str: ...
    @property
    def mail_from(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def webhook_allow(self) -> str: ...


class ChannelError(Exception):
    """Sending failed; the message says why, in words an administrator can act on."""


class Channel(ABC):
    """One way of reaching a recipient. `send` returns only once the message was accepted."""

    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: ChannelSettings, runtime: Runtime) -> Channel:
        """Build the channel for one dispatch pass."""

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver `message` or raise (any exception counts as a failed attempt)."""

    def close(self) -> None:  # noqa: B027 (optional hook, deliberately a no-op)
        """Release connections held across a pass (nothing by default)."""
