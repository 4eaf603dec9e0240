"""The dispatch listener: a long-running flow run that sends within a second of a commit; the
web app's after-commit hook; health that counts failed deliveries.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from support.factories import submitted

from orchestration.status import delivery_health, flow_status
from workflow.models import FlowRunRecord


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_the_listener_sends_within_a_second_of_each_commit(world, flows, smtp_server):
    from orchestration.flows import dispatch_listener
    from orchestration.wakeup import publisher

    wake = publisher(world.runtime)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(dispatch_listener(run_seconds=14)))
    thread.start()
    try:
        with world.runtime.read() as s:  # the listener has made its first pass
            assert _wait_for(lambda: getattr(s.get(
                FlowRunRecord, "dispatch-notifications", populate_existing=True),
                "last_finished_at", None) is not None, 60)
        latencies = []
        for _ in range(4):
            before = len(smtp_server.messages)
            submitted(world)  # the submission's commit writes an outbox event
            committed = time.monotonic()
            wake()  # what the web app's after-commit hook does (NOTIFY on PostgreSQL)
            assert _wait_for(lambda b=before: len(smtp_server.messages) > b, 5)
            latencies.append(time.monotonic() - committed)
            time.sleep(0.3)
    finally:
        thread.join(60)
    assert result and result[0] >= 4  # one pass per commit at least
    # the first send of a process pays its first-use costs; then every one is under a second
    assert max(latencies[1:]) < 1.0, latencies
    with world.runtime.read() as s:
        record = s.scalars(select(FlowRunRecord).where(
            FlowRunRecord.flow_name == "dispatch-listener")).one()
        assert record.last_ok is True and "pass" in record.last_message


def test_a_pass_with_failed_deliveries_is_not_ok_and_says_why(world, flows, smtp_server):
    from orchestration.flows import dispatch_notifications

    for _ in range(2):
        submitted(world)
    smtp_server.drop_after = 1
    dispatch_notifications()
    status = flow_status(world.runtime)
    entry = status["flows"]["dispatch-notifications"]
    assert status["ok"] is False
    assert entry["last_ok"] is False and entry["last_error"]
    assert entry["last_failed_at"] is not None
    deliveries = delivery_health(world.runtime)
    assert deliveries["ok"] is False and deliveries["failed"] > 0


def test_the_web_app_runs_its_after_commit_hook_only_after_a_command_that_wrote_events(
        world, tmp_path):
    from flask_login import login_user

    from hubtable.config import Settings
    from webui import create_app
    from webui.extensions import signed_in_from
    from webui.unit import unit
    from workflow.models import OutboxEvent, User

    calls: list[int] = []
    settings = Settings(data_dir=tmp_path, database_url=world.runtime.database_url,
                        keystore_url=world.runtime.keystore_url, identity_key="k",
                        secret_key="s", smtp_url="", mail_from="", base_url="http://x",
                        prefect_api_url=None)
    app = create_app(settings, runtime=world.runtime, testing=True,
                     after_commit=lambda: calls.append(1))
    with app.test_request_context("/"):
        with world.runtime.read() as s:
            login_user(signed_in_from(s.get(User, world.users["chair"])))
        with unit() as (session, _actor):
            pass  # wrote nothing
        assert calls == []
        with unit() as (session, _actor):
            session.add(OutboxEvent(event_type="situation.accepted", table_id=world.table_id))
            assert calls == []  # not before the commit
        assert calls == [1]


def test_on_postgresql_the_watcher_listens_with_the_declared_driver(runtime):
    """A fresh install has psycopg2 only: LISTEN must work with it, not fall back to polling.

    The poll is set to a minute, so only a NOTIFY can end the wait early."""
    from orchestration.wakeup import Watcher, publisher

    watcher = Watcher(runtime, poll_seconds=60)
    try:
        postgres = runtime.database_url.startswith("postgresql")
        assert watcher.listening is postgres
        if not postgres:
            return
        watcher._nap(0.01)  # noqa: SLF001 - nothing pending: returns at once
        threading.Timer(0.3, publisher(runtime)).start()
        started = time.monotonic()
        watcher._nap(30)  # noqa: SLF001 - the NOTIFY must end it
        assert time.monotonic() - started < 5
    finally:
        watcher.close()
