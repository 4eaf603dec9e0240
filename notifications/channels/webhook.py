"""Webhooks: a JSON POST to an agency's own system, signed so it can trust the sender.

The signature is `X-Hubtable-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body
bytes under the agency's secret; the body carries `sent_at` so a receiver can refuse replays,
and `X-Hubtable-Delivery` is the same on every resend of one delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from notifications.channels.base import Channel, ChannelError
from notifications.message import Message

if TYPE_CHECKING:
    from hubtable.config import Settings
    from workflow.runtime import Runtime


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend the body elsewhere (or drop it): count it as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class WebhookChannel(Channel):
    name = "webhook"

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    @classmethod
    def from_settings(cls, settings: Settings, runtime: Runtime) -> WebhookChannel:
        return cls()

    def send(self, message: Message) -> None:
        if not message.secret:
            raise ChannelError("the agency's webhook has no secret any more; configure it again")
        if urlsplit(message.to).scheme not in ("http", "https"):
            raise ChannelError("a webhook URL must be http:// or https://")
        body = json.dumps(message.document, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            message.to, data=body, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "hubtable-webhook/1",
                "X-Hubtable-Event": message.event_type,
                "X-Hubtable-Delivery": message.key,
                "X-Hubtable-Signature": sign(message.secret, body),
            })
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"webhook answered HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(f"webhook unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise ChannelError(f"webhook answered HTTP {status}")
