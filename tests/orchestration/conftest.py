"""Prefect's test harness (one temporary server for the whole session), an SMTP receiver, and
the flows pointed at each test's database.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from hubtable.config import Settings

# No network here: telemetry would only log errors.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test server for the session (~18 s to start, so never per test).

    Flow-run heartbeats are switched off here: they add ~1 s to the end of every run (the
    heartbeat thread is joined) and the test server has no crashed runs to detect.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), \
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MailBox:
    """An aiosmtpd handler keeping every message; `drop_after` makes it hang up mid-batch."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    drop_after: int | None = None
    accepted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.drop_after is not None and self.accepted >= self.drop_after:
                # "421": the server is going away; the client sees the connection closed.
                return "421 4.3.2 service shutting down"
            self.accepted += 1
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content
                                  or envelope.content))
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(r for rcpts, _ in self.messages for r in rcpts)

    def bodies(self) -> list[bytes]:
        return [raw for _, raw in self.messages]


@pytest.fixture
def smtp_server():
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture
def settings(runtime, smtp_server, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=runtime.database_url,
                    keystore_url=runtime.keystore_url, identity_key="test-master-key",
                    secret_key="test-secret-key",
                    smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
                    mail_from="hubtable@table.test", base_url="https://hub.example.org",
                    prefect_api_url=None)


@pytest.fixture
def flows(prefect_server, runtime, settings):
    """The flows run through Prefect against this test's database and SMTP server."""
    from orchestration import context

    with context.use(runtime, settings):
        yield
