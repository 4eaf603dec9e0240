"""Failures retry with exponential backoff, end as dead letters, and can be re-queued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from support.notify import emit_event

from notifications.dispatch import dispatch_once, retry_dead
from workflow import deliveries
from workflow.errors import PermissionDenied
from workflow.identity import derive_master_key
from workflow.models import Delivery, utcnow
from workflow.notification_preferences import set_preference
from workflow.outbound import parse_allow

SECRET = "a-webhook-secret-of-some-length"
KEY = derive_master_key("test-master-key")  # the test runtime's identity key

LOOPBACK = parse_allow("127.0.0.1/32")  # the test receiver listens on loopback


def _webhook_delivery(world) -> Delivery:
    with world.runtime.read() as s:
        return s.scalars(select(Delivery).where(Delivery.channel == "webhook")).one()


def test_backoff_doubles_and_is_capped():
    assert [deliveries.backoff(n).total_seconds() / 60 for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert deliveries.backoff(30) == deliveries.BACKOFF_CAP


def test_failed_webhook_retries_after_backoff_then_succeeds(world, settings,
                                                            webhook_receiver, quiet):
    sid, _ = quiet
    with world.runtime.command() as s:
        set_preference(s, world.user(s, "police"), agency_id=world.agencies["police"],
                       channel="webhook", enabled=True, webhook_url=webhook_receiver.url,
                       allow=LOOPBACK,
                       webhook_secret=SECRET, master_key=KEY)
    webhook_receiver.statuses = [500, 503]
    t0 = utcnow()
    emit_event(world, "situation.flagged", sid, ["police"], extra={"flag_code": "open_long"})

    first = dispatch_once(world.runtime, settings, now=t0)
    assert first.failed == 1
    d = _webhook_delivery(world)
    assert (d.status, d.attempts) == ("failed", 1)
    assert d.next_attempt_at == t0 + timedelta(minutes=1)
    assert "HTTP 500" in d.last_error

    early = dispatch_once(world.runtime, settings, now=t0 + timedelta(seconds=59))
    assert (early.sent, early.failed) == (0, 0)
    assert len(webhook_receiver.requests) == 1

    second = dispatch_once(world.runtime, settings, now=t0 + timedelta(minutes=1))
    assert second.failed == 1
    d = _webhook_delivery(world)
    assert d.attempts == 2
    assert d.next_attempt_at == t0 + timedelta(minutes=1) + timedelta(minutes=2)
    assert "HTTP 503" in d.last_error

    third = dispatch_once(world.runtime, settings, now=t0 + timedelta(minutes=3))
    assert third.sent == 1
    d = _webhook_delivery(world)
    assert (d.status, d.attempts, d.sent_at) == ("sent", 3, t0 + timedelta(minutes=3))
    keys = {r.headers["X-Hubtable-Delivery"] for r in webhook_receiver.requests}
    assert len(webhook_receiver.requests) == 3 and keys == {d.dedupe_key}


def test_refused_email_ends_dead_with_its_error_and_retry_requeues_it(world, settings,
                                                                     smtp_server, quiet):
    sid, _ = quiet
    smtp_server.reject.add("housing@agencies.test")
    emit_event(world, "task.assigned", sid, ["housing"])
    at = utcnow()
    results = []
    for _ in range(deliveries.MAX_ATTEMPTS):
        results.append(dispatch_once(world.runtime, settings, now=at))
        at += timedelta(hours=2)
    assert [r.failed for r in results] == [1] * (deliveries.MAX_ATTEMPTS - 1) + [0]
    assert results[-1].dead == 1
    assert dispatch_once(world.runtime, settings, now=at + timedelta(days=1)).failed == 0
    with world.runtime.read() as s:
        [dead] = deliveries.list_dead(s, world.user(s, "admin"))
        assert dead.channel == "email" and dead.address == "housing@agencies.test"
        assert dead.event_type == "task.assigned"
        assert dead.attempts == deliveries.MAX_ATTEMPTS
        assert "550" in dead.last_error and "mailbox unavailable" in dead.last_error
        with pytest.raises(PermissionDenied):
            deliveries.list_dead(s, world.user(s, "chair"))
        assert deliveries.delivery_counts(s)["dead"] == 1
    assert smtp_server.to("housing@agencies.test") == []

    smtp_server.reject.clear()
    assert retry_dead(world.runtime) == 1
    after = dispatch_once(world.runtime, settings)
    assert after.sent == 1
    assert len(smtp_server.to("housing@agencies.test")) == 1
    with world.runtime.read() as s:
        assert deliveries.list_dead(s) == []
    assert retry_dead(world.runtime) == 0


def test_unreachable_smtp_server_fails_every_email_without_waiting_on_each(world, settings,
                                                                         quiet):
    from dataclasses import replace

    from support.notify import free_port

    sid, _ = quiet
    emit_event(world, "situation.closed", sid, ["police", "school", "cmha"])
    down = replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    result = dispatch_once(world.runtime, down)
    assert result.failed == 3
    with world.runtime.read() as s:
        errors = s.scalars(select(Delivery.last_error).where(Delivery.channel == "email",
                                                             Delivery.status == "failed")).all()
        assert len(errors) == 3 and all("unreachable" in e for e in errors)


def test_a_lease_left_by_a_crashed_dispatcher_runs_out_and_the_delivery_is_sent(
        world, settings, smtp_server, quiet):
    sid, _ = quiet
    emit_event(world, "situation.withdrawn", sid, ["school"])
    t0 = utcnow()
    with world.runtime.command() as s:
        deliveries.expand_events(s, now=t0)
    with world.runtime.command() as s:
        claim = deliveries.claim_due(s, now=t0)  # ... and the dispatcher dies here
    assert len(claim.work) == 2
    during = dispatch_once(world.runtime, settings, now=t0 + deliveries.LEASE / 2)
    assert during.sent == 0
    after = dispatch_once(world.runtime, settings, now=t0 + deliveries.LEASE
                          + timedelta(seconds=1))
    assert after.sent == 2
    assert len(smtp_server.to("school@agencies.test")) == 1
    # the late dispatcher's outcome no longer applies: its claim was taken over
    with world.runtime.command() as s:
        counts = deliveries.record_outcomes(s, claim.token,
                                            {w.delivery_id: "late" for w in claim.work})
    assert (counts.sent, counts.failed, counts.dead) == (0, 0, 0)


def test_a_dispatcher_that_lost_its_lease_sends_nothing_more(world, settings, smtp_server,
                                                             quiet, monkeypatch):
    sid, _ = quiet
    emit_event(world, "situation.closed", sid, ["police", "school"])
    monkeypatch.setattr(deliveries, "RENEW_AFTER", timedelta(0))  # renew after every send
    monkeypatch.setattr(deliveries, "renew", lambda *a, **k: set())  # ... and lose the lease
    stalled = dispatch_once(world.runtime, settings)
    assert len(smtp_server.messages) == 1  # the first send, then nothing more
    monkeypatch.undo()
    # the rest comes free once the short lease has run out, and goes once
    later = utcnow() + deliveries.LEASE + timedelta(seconds=1)
    assert stalled.sent + dispatch_once(world.runtime, settings, now=later).sent >= 2
    assert len(smtp_server.messages) == 2


def test_a_living_dispatcher_renews_its_lease(world, settings, quiet):
    sid, _ = quiet
    emit_event(world, "situation.withdrawn", sid, ["school"])
    t0 = utcnow()
    with world.runtime.command() as s:
        deliveries.expand_events(s, now=t0)
    with world.runtime.command() as s:
        claim = deliveries.claim_due(s, now=t0)
    ids = [w.delivery_id for w in claim.work]
    t1 = t0 + deliveries.LEASE - timedelta(seconds=1)
    with world.runtime.command() as s:
        assert deliveries.renew(s, claim.token, ids, now=t1) == set(ids)
    with world.runtime.command() as s:  # past the first lease, but renewed: nobody takes it
        assert deliveries.claim_due(s, now=t0 + deliveries.LEASE + timedelta(seconds=1)).work \
            == []
    with world.runtime.command() as s:
        assert deliveries.renew(s, "someone-else", ids, now=t1) == set()
