"""Delivery review: a message goes to whom it is owed when it is sent, not when it was queued.

A digest waits until seven in the morning and a failing delivery waits out its backoff; in
between a user may be deactivated or move to another agency, an agency may change its language
or its webhook. Each test queues a delivery, changes the recipient, then sends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from support.notify import WebhookReceiver, emit_event

from notifications.dispatch import dispatch_once
from workflow import deliveries
from workflow.identity import derive_master_key
from workflow.models import Agency, Delivery, User, utcnow
from workflow.notification_preferences import remove_webhook, set_preference
from workflow.outbound import parse_allow

SECRET = "a-webhook-secret-of-some-length"
KEY = derive_master_key("test-master-key")
LOOPBACK = parse_allow("127.0.0.1/32")


def _digest_slot(world) -> datetime:
    with world.runtime.read() as s:
        return max(s.scalars(select(Delivery.next_attempt_at).where(Delivery.digest)))


def _own_email_digest(world, key: str) -> None:
    with world.runtime.command() as s:
        user = world.user(s, key)
        set_preference(s, user, user_id=user.id, channel="email", enabled=True,
                       cadence="daily_digest")


def test_a_user_deactivated_before_the_digest_gets_no_digest(world, settings, smtp_server,
                                                            quiet):
    sid, _ = quiet
    _own_email_digest(world, "chair")
    emit_event(world, "situation.flagged", sid, to_chairs=True,
               extra={"flag_code": "open_long"})
    dispatch_once(world.runtime, settings)
    with world.runtime.command() as s:
        s.get(User, world.users["chair"]).active = False
    result = dispatch_once(world.runtime, settings, now=_digest_slot(world))
    assert smtp_server.to("chair@demo.hubtable.test") == []
    assert (result.digests, result.failed, result.dead) == (0, 0, 0)
    with world.runtime.read() as s:  # nothing is left owed to try again tomorrow
        assert s.scalars(select(Delivery).where(Delivery.digest)).all() == []


def test_a_user_who_moved_agency_gets_no_digest_of_the_old_agencys_events(
        world, settings, smtp_server, quiet):
    sid, _ = quiet
    _own_email_digest(world, "cmha")
    emit_event(world, "situation.disclosed", sid, ["cmha"])
    dispatch_once(world.runtime, settings)
    with world.runtime.command() as s:
        s.get(User, world.users["cmha"]).agency_id = world.agencies["housing"]
    dispatch_once(world.runtime, settings, now=_digest_slot(world))
    assert smtp_server.to("cmha@demo.hubtable.test") == []
    assert len(smtp_server.to("cmha@agencies.test")) == 1  # the agency itself still hears


def test_a_digest_speaks_the_language_and_goes_to_the_address_of_the_day_it_is_sent(
        world, settings, smtp_server, quiet):
    sid, ref = quiet
    with world.runtime.command() as s:
        set_preference(s, world.user(s, "admin"), agency_id=world.agencies["cmha"],
                       channel="email", enabled=True, cadence="daily_digest")
    emit_event(world, "situation.assisting_assigned", sid, ["cmha"])
    dispatch_once(world.runtime, settings)
    with world.runtime.command() as s:
        agency = s.get(Agency, world.agencies["cmha"])
        agency.language, agency.contact_email = "vi", "intake@cmha.test"
    dispatch_once(world.runtime, settings, now=_digest_slot(world))
    assert smtp_server.to("cmha@agencies.test") == []
    [mail] = smtp_server.to("intake@cmha.test")
    assert mail.message["Content-Language"] == "vi"
    assert "Bản tổng hợp" in mail.message["Subject"]


def _failing_webhook(world, settings, receiver, sid):
    with world.runtime.command() as s:
        set_preference(s, world.user(s, "admin"), agency_id=world.agencies["police"],
                       channel="webhook", enabled=True, webhook_url=receiver.url,
                       allow=LOOPBACK, webhook_secret=SECRET, master_key=KEY)
    receiver.statuses = [500]
    t0 = utcnow()
    emit_event(world, "situation.escalated", sid, ["police"], extra={"rule_id": "r-1"})
    assert dispatch_once(world.runtime, settings, now=t0).failed == 1
    return t0


def test_a_retry_goes_to_the_webhooks_new_url(world, settings, webhook_receiver, quiet):
    sid, _ = quiet
    t0 = _failing_webhook(world, settings, webhook_receiver, sid)
    moved = WebhookReceiver()
    try:
        with world.runtime.command() as s:
            set_preference(s, world.user(s, "admin"), agency_id=world.agencies["police"],
                           channel="webhook", enabled=True, webhook_url=moved.url,
                           allow=LOOPBACK)
        again = dispatch_once(world.runtime, settings, now=t0 + deliveries.backoff(1))
        assert again.sent == 1
        assert len(webhook_receiver.requests) == 1  # the old URL is not called again
        [request] = moved.requests
        assert request.headers["X-Hubtable-Event"] == "situation.escalated"
    finally:
        moved.close()


def test_a_removed_webhook_is_not_retried_nor_reported_as_failing(world, settings,
                                                                  webhook_receiver, quiet):
    sid, _ = quiet
    t0 = _failing_webhook(world, settings, webhook_receiver, sid)
    with world.runtime.command() as s:
        remove_webhook(s, world.user(s, "admin"), world.agencies["police"])
    again = dispatch_once(world.runtime, settings, now=t0 + deliveries.backoff(1))
    assert (again.sent, again.failed, again.dead) == (0, 0, 0)
    assert len(webhook_receiver.requests) == 1
    with world.runtime.read() as s:
        assert s.scalars(select(Delivery).where(Delivery.channel == "webhook")).all() == []


def test_a_claim_of_withdrawn_deliveries_does_not_end_the_pass(world, settings, smtp_server,
                                                               quiet):
    sid, _ = quiet
    smtp_server.reject = {"cas@agencies.test", "school@agencies.test", "hospital@agencies.test"}
    t0 = utcnow()
    emit_event(world, "situation.rejected", sid, ["cas", "school", "hospital"],
               extra={"rejection_reason": "not_aer"})
    assert dispatch_once(world.runtime, settings, now=t0).failed == 3
    smtp_server.reject = set()
    with world.runtime.command() as s:  # the first two in claim order are closed down
        for slug in ("cas", "school"):
            s.get(Agency, world.agencies[slug]).active = False
    again = dispatch_once(world.runtime, settings, batch_size=2, now=t0 + deliveries.backoff(1))
    assert again.sent == 1 and len(smtp_server.to("hospital@agencies.test")) == 1
    assert smtp_server.to("cas@agencies.test") == smtp_server.to("school@agencies.test") == []


def _queued_then_chair_deactivated(world, sid) -> None:
    """The event is fanned out (as a dispatcher that then went down would have done), then the
    chair is deactivated before anything is sent."""
    emit_event(world, "situation.flagged", sid, to_chairs=True,
               extra={"flag_code": "open_long"})
    with world.runtime.command() as s:
        deliveries.expand_events(s, limit=100, now=utcnow())
    with world.runtime.command() as s:
        s.get(User, world.users["chair"]).active = False


def test_mail_queued_long_before_the_send_goes_only_to_whom_it_is_still_owed(
        world, settings, smtp_server, quiet):
    sid, _ = quiet
    _queued_then_chair_deactivated(world, sid)
    later = utcnow() + deliveries.FRESH + deliveries.FRESH
    dispatch_once(world.runtime, settings, now=later)
    assert smtp_server.to("chair@demo.hubtable.test") == []


def test_mail_fanned_out_moments_ago_is_not_routed_again(world, settings, smtp_server, quiet):
    """Within FRESH of its fan-out a delivery keeps the route it was given (a fast server's
    throughput is not spent routing it twice), as a message already in flight would."""
    sid, _ = quiet
    _queued_then_chair_deactivated(world, sid)
    dispatch_once(world.runtime, settings, now=utcnow())
    assert len(smtp_server.to("chair@demo.hubtable.test")) == 1
