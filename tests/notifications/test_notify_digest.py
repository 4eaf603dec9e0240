"""An agency that chose a daily digest gets one email a day gathering its notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support.factories import submitted
from support.notify import emit_event

from notifications.dispatch import dispatch_once
from workflow import deliveries, inbox
from workflow.models import Delivery, Situation, utcnow
from workflow.notification_preferences import set_preference


def test_next_digest_is_seven_in_the_morning_of_the_tables_timezone():
    toronto = ZoneInfo("America/Toronto")
    evening = datetime(2026, 11, 23, 20, 0, tzinfo=toronto)
    morning = datetime(2026, 11, 24, 6, 59, tzinfo=toronto)
    assert deliveries.next_digest_at(evening, "America/Toronto") == datetime(
        2026, 11, 24, 7, 0, tzinfo=toronto)
    assert deliveries.next_digest_at(morning, "America/Toronto") == datetime(
        2026, 11, 24, 7, 0, tzinfo=toronto)
    utc = ZoneInfo("UTC")
    assert deliveries.next_digest_at(datetime(2026, 11, 24, 6, 0, tzinfo=utc),
                                     "Nowhere/Unknown") == datetime(2026, 11, 24, 7, 0, tzinfo=utc)


def test_digest_gathers_a_days_notifications_into_one_email(world, settings, smtp_server,
                                                            quiet):
    sid, ref = quiet
    other = submitted(world)
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    with world.runtime.command() as s:
        set_preference(s, world.user(s, "cmha"), agency_id=world.agencies["cmha"],
                       channel="email", enabled=True, cadence="daily_digest")
        other_ref = s.get(Situation, other).ref
    emit_event(world, "situation.disclosed", sid, ["cmha"])
    emit_event(world, "situation.lead_assigned", sid, ["cmha", "police"])
    emit_event(world, "task.assigned", other, ["cmha"])

    now = dispatch_time = utcnow()
    result = dispatch_once(world.runtime, settings, now=dispatch_time)
    assert result.digested == 0
    assert smtp_server.to("cmha@agencies.test") == []
    assert len(smtp_server.to("police@agencies.test")) == 1  # immediate agencies still hear
    with world.runtime.read() as s:
        assert inbox.unread_count(s, world.user(s, "cmha")) == 3  # the inbox is never delayed
        slots = set(s.scalars(select(Delivery.next_attempt_at).where(Delivery.digest)))
    slot = deliveries.next_digest_at(now, "America/Toronto")
    assert slots == {slot}

    early = dispatch_once(world.runtime, settings, now=slot - timedelta(minutes=1))
    assert (early.digested, early.digests) == (0, 0)
    due = dispatch_once(world.runtime, settings, now=slot)
    assert (due.digested, due.digests) == (3, 1)
    [mail] = smtp_server.to("cmha@agencies.test")
    assert "daily digest: 3 notifications" in mail.message["Subject"]
    text, html = mail.part("plain"), mail.part("html")
    for body in (text, html):
        assert ref in body and other_ref in body
        assert "Your agency leads the intervention" in body
    assert text.index("limited identity") < text.index("leads the intervention") < text.index(
        other_ref)
    assert f"https://hub.example.org/situations/{other}" in html
    again = dispatch_once(world.runtime, settings, now=slot + timedelta(hours=1))
    assert again.digested == 0 and len(smtp_server.to("cmha@agencies.test")) == 1


def test_vietnamese_digest(world, settings, smtp_server, quiet):
    sid, ref = quiet
    with world.runtime.command() as s:
        user = world.user(s, "housing")
        user.language = "vi"
        set_preference(s, user, user_id=user.id, channel="email", enabled=True,
                       cadence="daily_digest")
    emit_event(world, "situation.assisting_assigned", sid, ["housing"])
    dispatch_once(world.runtime, settings)
    dispatch_once(world.runtime, settings, now=utcnow() + timedelta(days=1, hours=1))
    [mail] = smtp_server.to("housing@demo.hubtable.test")
    assert mail.message["Subject"] == "Bản tổng hợp hằng ngày của hubtable: 1 thông báo"
    assert f"Cơ quan của bạn phối hợp can thiệp cho trường hợp {ref}" in mail.part("plain")


def test_a_full_claim_never_splits_a_recipients_digest(world, settings, smtp_server, quiet):
    sid, _ = quiet
    with world.runtime.command() as s:
        admin = world.user(s, "admin")
        for slug in ("cmha", "housing"):
            set_preference(s, admin, agency_id=world.agencies[slug], channel="email",
                           enabled=True, cadence="daily_digest")
    for event_type in ("situation.disclosed", "task.assigned", "rule.notify"):
        emit_event(world, event_type, sid, ["cmha", "housing"])
    dispatch_once(world.runtime, settings)
    later = utcnow() + timedelta(days=1, hours=1)
    result = dispatch_once(world.runtime, settings, batch_size=4, now=later)
    assert (result.digested, result.digests) == (6, 2)
    for address in ("cmha@agencies.test", "housing@agencies.test"):
        [mail] = smtp_server.to(address)
        assert "3 notifications" in mail.message["Subject"]
