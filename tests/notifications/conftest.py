"""Real receivers for the notification tests: an aiosmtpd server and an HTTP webhook endpoint.

Both listen on free localhost ports and record what they receive, exactly as sent.
"""

from __future__ import annotations

import pytest
from support.factories import submitted
from support.notify import WebhookReceiver

from hubtable.config import Settings
from workflow.models import OutboxEvent, Situation


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def settings(runtime, smtp_server, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=runtime.database_url,
                    keystore_url=runtime.keystore_url, identity_key="test-master-key",
                    secret_key="test-secret-key", smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
                    mail_from="hubtable@table.test", base_url="https://hub.example.org",
                    prefect_api_url=None, webhook_allow="127.0.0.1/32")


@pytest.fixture
def quiet(world, settings, smtp_server):
    """A world with one submitted situation whose own notifications are already sent."""
    from notifications.dispatch import dispatch_once

    sid = submitted(world)
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    with world.runtime.read() as s:
        ref = s.get(Situation, sid).ref
        assert s.query(OutboxEvent).filter(OutboxEvent.processed_at.is_(None)).count() == 0
    return sid, ref
