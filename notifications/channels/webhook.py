"""Webhooks: a JSON POST to an agency's own system, signed so it can trust the sender.

The signature is `X-Hubtable-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body
bytes under the agency's secret; the body carries `sent_at` so a receiver can refuse replays,
and `X-Hubtable-Delivery` is the same on every resend of one delivery.

Every send checks the address actually connected to (after DNS resolution, so a name that
re-resolves to an internal address is caught too): internal addresses are refused unless the
operator allow-listed them (workflow.outbound). Failures are stored as generic text: what an
unreachable or refusing server said is never kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from notifications.channels.base import Channel, ChannelError, ChannelSettings
from notifications.message import Message
from workflow import outbound

if TYPE_CHECKING:
    from workflow.runtime import Runtime


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel(Channel):
    name = "webhook"

    def __init__(self, *, timeout: float = 10.0, allow: Sequence[outbound.Network] = (),
                 master_key: bytes | None = None) -> None:
        self.timeout = timeout
        self.allow = tuple(allow)
        self.master_key = master_key

    @classmethod
    def from_settings(cls, settings: ChannelSettings, runtime: Runtime) -> WebhookChannel:
        from workflow.identity import derive_master_key

        return cls(allow=outbound.parse_allow(settings.webhook_allow),
                   master_key=derive_master_key(runtime.identity_key))

    def _secret(self, stored: str | None) -> str | None:
        if not stored or self.master_key is None:
            return stored
        return outbound.open_secret(self.master_key, stored)

    def send(self, message: Message) -> None:
        secret = self._secret(message.secret)
        if not secret:
            raise ChannelError("the agency's webhook has no secret any more; configure it again")
        scheme = urlsplit(message.to).scheme
        if scheme not in ("http", "https"):
            raise ChannelError("a webhook URL must be http:// or https://")
        body = json.dumps(message.document, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode()
        headers = {"X-Hubtable-Event": message.event_type, "X-Hubtable-Delivery": message.key,
                   "X-Hubtable-Signature": sign(secret, body)}
        try:
            outbound.post(message.to, body, headers, allow=self.allow, timeout=self.timeout)
        except outbound.OutboundError as exc:
            raise ChannelError(str(exc)) from None
