"""Many dispatchers at once send each message exactly once; a rolled-back change sends none."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from support.factories import filter1, submitted
from support.notify import emit_event

from notifications.dispatch import DispatchResult, dispatch_once
from workflow import situations
from workflow.models import Delivery, OutboxEvent
from workflow.runtime import Runtime


def test_two_dispatchers_in_parallel_send_every_message_exactly_once(world, settings,
                                                                     smtp_server, quiet):
    sid, _ = quiet
    with world.runtime.read() as s:
        first_new = s.scalar(select(func.max(OutboxEvent.id))) + 1
    agencies = ["police", "cas", "school", "hospital", "cmha", "housing"]
    for n in range(24):
        emit_event(world, "rule.notify", sid, [agencies[n % 6], agencies[(n + 1) % 6]],
                   to_chairs=n % 4 == 0, extra={"rule_event": f"check-{n}"})
    # a second process would have its own engine and sessions: so does the second dispatcher
    other = Runtime(database_url=world.runtime.database_url,
                    keystore_url=world.runtime.keystore_url, identity_key="test-master-key")
    start = threading.Barrier(2)
    results: list[DispatchResult] = []
    errors: list[BaseException] = []

    def run(runtime: Runtime) -> None:
        try:
            start.wait()
            results.append(dispatch_once(runtime, settings, batch_size=4))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(rt,)) for rt in (world.runtime, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    other.dispose()
    assert not errors, errors
    assert sum(r.events_processed for r in results) == 24
    new = Delivery.event_id >= first_new
    with world.runtime.read() as s:
        statuses = dict(s.execute(select(Delivery.status, func.count()).where(new)
                                  .group_by(Delivery.status)).tuples().all())
        emails = s.scalar(select(func.count()).select_from(Delivery).where(
            new, Delivery.channel == "email"))
    assert statuses == {"sent": sum(r.sent for r in results)}
    ids = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert max(ids.values()) == 1, [i for i, c in ids.items() if c > 1]
    # 24 events x 2 agencies by email, plus the chair's own email on every 4th
    assert len(smtp_server.messages) == emails == 24 * 2 + 6


def test_a_command_that_rolls_back_leaves_no_outbox_row(world, settings, smtp_server):
    submitted(world)  # a committed submission writes its events...
    with world.runtime.read() as s:
        before = s.scalar(select(func.count()).select_from(OutboxEvent))
    assert before >= 1
    with pytest.raises(RuntimeError), world.runtime.command() as s:
        actor = world.user(s, "school")
        draft = situations.draft(s, actor, world.table_id, filter1())
        situations.submit(s, actor, draft.id)
        s.flush()
        written = s.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.situation_id == draft.id))
        assert written >= 1  # ...so does this one, inside its transaction
        raise RuntimeError("the command fails after its change")
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == before
    result = dispatch_once(world.runtime, settings)
    assert result.events_processed == before
