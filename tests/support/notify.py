"""Helpers of the notification tests: recording receivers and writing outbox events.

A module of its own (not conftest.py) so that test files import it by a name no other test
directory shares.
"""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from workflow.models import Situation
from workflow.outbox import emit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_type() == f"text/{subtype}"
        return body.get_content()


@dataclass
class MailBox:
    """An aiosmtpd handler: keeps every message; refuses recipients listed in `reject`;
    `drop_after` N messages it answers 421 (the server going away mid-batch)."""

    messages: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)
    drop_after: int | None = None
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.drop_after is not None and len(self.messages) >= self.drop_after:
                return "421 4.3.2 service shutting down"
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [m.raw for m in self.messages]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@dataclass
class WebhookRequest:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A local HTTP server recording POSTs; answers with queued statuses, then 200."""

    def __init__(self) -> None:
        self.requests: list[WebhookRequest] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(WebhookRequest(self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/hubtable"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def emit_event(world, event_type: str, situation_id: int | None, agencies=(), *,
               to_chairs: bool = False, extra: dict | None = None) -> None:
    """Write one event to the outbox the way the core's commands do."""
    with world.runtime.command() as s:
        situation = s.get(Situation, situation_id) if situation_id else None
        emit(s, event_type, table_id=world.table_id, situation=situation,
             agency_ids=[world.agencies[a] for a in agencies], to_chairs=to_chairs,
             extra=extra)
