"""dispatch-notifications through Prefect: concurrent runs and a failing SMTP server."""

from __future__ import annotations

import email
import threading
from collections import Counter

from sqlalchemy import func, select, update
from support.factories import submitted

from workflow.models import utcnow
from workflow.models.notification import Delivery


def _keys(smtp_server) -> Counter:
    return Counter(email.message_from_bytes(raw)["X-Hubtable-Delivery"]
                   for raw in smtp_server.bodies())


def _email_statuses(runtime) -> Counter:
    with runtime.read() as s:
        return Counter(dict(s.execute(
            select(Delivery.status, func.count()).where(Delivery.channel == "email",
                                                        Delivery.digest.is_(False))
            .group_by(Delivery.status)).all()))


def _run_in_threads(target, n: int = 2) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_two_dispatchers_at_once_send_each_message_once(world, flows, smtp_server):
    from orchestration.flows import dispatch_notifications

    for _ in range(8):
        submitted(world)
    assert not _run_in_threads(dispatch_notifications)
    dispatch_notifications()  # a third pass finds nothing left

    statuses = _email_statuses(world.runtime)
    assert statuses["sent"] > 0 and set(statuses) == {"sent"}
    keys = _keys(smtp_server)
    assert len(keys) == statuses["sent"]
    assert max(keys.values()) == 1  # no message twice


def test_smtp_dropping_mid_batch_loses_nothing_and_duplicates_nothing(world, flows,
                                                                     smtp_server):
    from orchestration.flows import dispatch_notifications

    for _ in range(6):
        submitted(world)
    smtp_server.drop_after = 3
    dispatch_notifications()
    first = _email_statuses(world.runtime)
    assert first["sent"] == 3 and first["failed"] > 0
    assert len(smtp_server.messages) == 3

    # The server is back and the retry backoff has elapsed: the next scheduled run resumes.
    smtp_server.drop_after = None
    with world.runtime.command() as s:
        s.execute(update(Delivery).where(Delivery.status == "failed")
                  .values(next_attempt_at=utcnow()))
    dispatch_notifications()
    after = _email_statuses(world.runtime)
    assert set(after) == {"sent"}
    assert after["sent"] == first["sent"] + first["failed"]
    keys = _keys(smtp_server)
    assert len(keys) == after["sent"] and max(keys.values()) == 1

