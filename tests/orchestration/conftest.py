"""Prefect's test harness (one temporary server for the whole session) and the flows pointed
at each test's database and SMTP server (the `smtp_server` of tests/conftest.py).
"""

from __future__ import annotations

import os

import pytest

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
