"""Email, webhook and inbox delivery through real receivers, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select, update
from support.notify import emit_event

from notifications.dispatch import dispatch_once
from workflow import inbox
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.identity import derive_master_key
from workflow.models import Agency, Delivery, InboxItem, OutboxEvent, User
from workflow.notification_preferences import choices_for_agency, set_preference
from workflow.outbound import open_secret, parse_allow

SECRET = "a-webhook-secret-of-some-length"
KEY = derive_master_key("test-master-key")  # the test runtime's identity key

LOOPBACK = parse_allow("127.0.0.1/32")  # the test receiver listens on loopback


def test_agency_email_has_text_and_html_parts_with_ref_stage_and_link(world, settings,
                                                                        smtp_server, quiet):
    sid, ref = quiet
    emit_event(world, "situation.accepted", sid, ["police"])
    result = dispatch_once(world.runtime, settings)
    assert result.events_processed == 1
    # police's contact address by email; its rep and the chair (a police user) in their inbox
    assert (result.sent, result.failed, result.dead) == (3, 0, 0)
    [mail] = smtp_server.to("police@agencies.test")
    assert len(smtp_server.messages) == 1
    msg = mail.message
    assert msg["Subject"] == f"[Peel Situation Table] Situation {ref} accepted"
    assert msg["From"] == "hubtable@table.test"
    assert msg["Content-Language"] == "en"
    assert msg["X-Hubtable-Delivery"].endswith(f"/email/agency:{world.agencies['police']}")
    assert msg["Message-ID"].startswith("<hubtable.") and msg["Message-ID"].endswith(
        "@table.test>")
    assert msg.get_content_type() == "multipart/alternative"
    text, html = mail.part("plain"), mail.part("html")
    link = f"https://hub.example.org/situations/{sid}"
    for body in (text, html):
        assert ref in body
        assert "Peel Situation Table" in body
        assert "Accepted by the table" in body
        assert "On the agenda" in body  # the stage the event carried
    assert f"Open in hubtable: {link}" in text
    assert f'<a href="{link}">' in html
    assert '<html lang="en">' in html


def test_vietnamese_agency_gets_vietnamese_email(world, settings, smtp_server, quiet):
    sid, ref = quiet
    with world.runtime.command() as s:
        s.get(Agency, world.agencies["cmha"]).language = "vi"
    emit_event(world, "situation.closed", sid, ["cmha", "school"],
               extra={"conclusion_reason": "lowered_connected"})
    dispatch_once(world.runtime, settings)
    [vi_mail] = smtp_server.to("cmha@agencies.test")
    [en_mail] = smtp_server.to("school@agencies.test")
    assert vi_mail.message["Subject"] == f"[Peel Situation Table] Trường hợp {ref} đã kết thúc"
    assert vi_mail.message["Content-Language"] == "vi"
    vi_text = vi_mail.part("plain")
    assert "Nhóm điều phối đã kết thúc trường hợp" in vi_text
    assert "Đã giảm nguy cơ — được kết nối với dịch vụ" in vi_text  # catalog's vi label
    assert '<html lang="vi">' in vi_mail.part("html")
    assert "Risk lowered — connected to services" in en_mail.part("plain")


def test_chairs_hear_of_a_submission_by_email_and_inbox(world, settings, smtp_server):
    from support.factories import submitted

    sid = submitted(world)
    dispatch_once(world.runtime, settings)
    [mail] = smtp_server.to("chair@demo.hubtable.test")
    assert "was submitted and is on the agenda of the meeting on" in mail.part("plain")
    with world.runtime.read() as s:
        chair = world.user(s, "chair")
        [item] = inbox.list_items(s, chair)
        assert item.event_type == "situation.submitted"
        assert item.link == f"/situations/{sid}"  # in the app: a path, whatever the host
        # an agency rep who was not addressed heard nothing
        assert inbox.unread_count(s, world.user(s, "hospital")) == 0


def test_dispatching_twice_sends_each_message_once(world, settings, smtp_server, quiet):
    sid, _ = quiet
    emit_event(world, "situation.lead_assigned", sid, ["cmha"])
    first = dispatch_once(world.runtime, settings)
    second = dispatch_once(world.runtime, settings)
    assert first.sent == 2 and len(smtp_server.messages) == 1
    assert (second.events_processed, second.sent) == (0, 0)
    # even an event handed out again (as after a crash) fans out to no second delivery
    with world.runtime.command() as s:
        s.execute(update(OutboxEvent).values(processed_at=None))
    third = dispatch_once(world.runtime, settings)
    assert third.events_processed >= 1 and third.sent == 0
    assert len(smtp_server.messages) == 1
    with world.runtime.read() as s:
        keys = s.scalars(select(Delivery.dedupe_key)).all()
        assert len(keys) == len(set(keys))
        assert s.scalar(select(func.count()).select_from(InboxItem).where(
            InboxItem.user_id == world.users["cmha"])) == 1


def test_inbox_lists_counts_and_marks_read_only_the_users_own_items(world, settings, quiet):
    sid, ref = quiet
    emit_event(world, "situation.disclosed", sid, ["cmha"])
    emit_event(world, "task.assigned", sid, ["cmha", "housing"])
    dispatch_once(world.runtime, settings)
    with world.runtime.command() as s:
        cmha, housing = world.user(s, "cmha"), world.user(s, "housing")
        items = inbox.list_items(s, cmha)
        assert [i.event_type for i in items] == ["task.assigned", "situation.disclosed"]
        assert all(ref in i.title for i in items)
        assert inbox.unread_count(s, cmha) == 2
        inbox.mark_read(s, cmha, items[1].id)
        assert inbox.unread_count(s, cmha) == 1
        assert [i.id for i in inbox.list_items(s, cmha, unread_only=True)] == [items[0].id]
        assert [i.id for i in inbox.list_items(s, cmha, before_id=items[0].id)] == [items[1].id]
        with pytest.raises(NotFound):
            inbox.mark_read(s, housing, items[0].id)
        with pytest.raises(ValidationError):
            inbox.list_items(s, cmha, limit=0)
        assert inbox.mark_all_read(s, housing) == 1
        assert inbox.unread_count(s, housing) == 0
        assert inbox.unread_count(s, cmha) == 1


def test_webhook_is_signed_json_that_the_receiver_can_verify(world, settings, smtp_server,
                                                            webhook_receiver, quiet):
    sid, ref = quiet
    with world.runtime.command() as s:
        set_preference(s, world.user(s, "admin"), agency_id=world.agencies["police"],
                       channel="webhook", enabled=True, webhook_url=webhook_receiver.url,
                       allow=LOOPBACK,
                       webhook_secret=SECRET, master_key=KEY)
    emit_event(world, "situation.escalated", sid, ["police"], extra={"rule_id": "escalate-1"})
    dispatch_once(world.runtime, settings)
    [request] = webhook_receiver.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Hubtable-Signature"] == expected
    wrong = "sha256=" + hmac.new(b"another-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Hubtable-Signature"] != wrong
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["X-Hubtable-Event"] == "situation.escalated"
    doc = json.loads(request.body)
    assert doc["delivery"] == request.headers["X-Hubtable-Delivery"]
    assert doc["event"]["type"] == "situation.escalated"
    assert doc["situation"] == {"id": sid, "ref": ref, "stage": "on_agenda"}
    assert doc["table"]["name"] == "Peel Situation Table"
    assert doc["link"] == f"https://hub.example.org/situations/{sid}"
    assert doc["data"] == {"rule_id": "escalate-1"}
    assert len(smtp_server.to("police@agencies.test")) == 1  # email stays on by default


def test_an_agency_can_turn_its_email_off(world, settings, smtp_server, quiet):
    sid, _ = quiet
    with world.runtime.command() as s:
        set_preference(s, world.user(s, "school"), agency_id=world.agencies["school"],
                       channel="email", enabled=False)
    emit_event(world, "situation.rejected", sid, ["school", "police"],
               extra={"rejection_reason": "not_aer"})
    dispatch_once(world.runtime, settings)
    assert smtp_server.to("school@agencies.test") == []
    assert len(smtp_server.to("police@agencies.test")) == 1
    with world.runtime.read() as s:
        email = {c.channel: c for c in choices_for_agency(s, world.agencies["school"])}["email"]
        assert (email.enabled, email.explicit) == (False, True)
        assert inbox.unread_count(s, world.user(s, "school")) == 1  # its users still hear


def test_preferences_refuse_what_cannot_work(world):
    with world.runtime.command() as s:
        admin, rep = world.user(s, "admin"), world.user(s, "school")
        police = world.agencies["police"]
        cases = [
            (dict(user_id=rep.id, channel="inbox", enabled=True, cadence="daily_digest"),
             "cadence"),
            (dict(agency_id=police, channel="webhook", enabled=True,
                  webhook_url="https://x.test/h"), "webhook_secret"),
            (dict(agency_id=police, channel="webhook", enabled=True, webhook_url="ftp://x",
                  webhook_secret=SECRET, master_key=KEY), "webhook_url"),
            (dict(agency_id=police, channel="webhook", enabled=True,
                  webhook_url="https://x.test/h", webhook_secret="short", master_key=KEY),
             "webhook_secret"),
            (dict(agency_id=police, channel="inbox", enabled=True), "channel"),
            (dict(agency_id=police, channel="email", enabled=True, cadence="weekly"), "cadence"),
            (dict(channel="email", enabled=True), "owner"),
        ]
        for kwargs, field_name in cases:
            with pytest.raises(ValidationError) as err:
                set_preference(s, admin, **kwargs)
            assert err.value.field == field_name, kwargs
        with pytest.raises(PermissionDenied):
            set_preference(s, rep, agency_id=police, channel="email", enabled=False)
        with pytest.raises(PermissionDenied):
            set_preference(s, rep, user_id=world.users["cmha"], channel="inbox", enabled=False)
        with pytest.raises(NotFound):
            set_preference(s, admin, agency_id=99999, channel="email", enabled=False)
        # the secret is kept when only the URL changes
        set_preference(s, admin, agency_id=police, channel="webhook", enabled=True,
                       webhook_url="https://a.test/h", webhook_secret=SECRET, master_key=KEY)
        pref = set_preference(s, admin, agency_id=police, channel="webhook", enabled=True,
                              webhook_url="https://b.test/h")
        assert pref.webhook_url == "https://b.test/h"
        assert SECRET not in pref.webhook_secret  # sealed, never stored in clear
        assert open_secret(KEY, pref.webhook_secret) == SECRET
        with pytest.raises(TypeError):  # a secret without the key to seal it is a bug
            set_preference(s, admin, agency_id=police, channel="webhook", enabled=True,
                           webhook_url="https://a.test/h", webhook_secret=SECRET)


def test_inactive_users_and_managers_get_no_inbox_item(world, settings, quiet):
    sid, _ = quiet
    with world.runtime.command() as s:
        s.get(User, world.users["hospital"]).active = False
    emit_event(world, "situation.assisting_assigned", sid, ["hospital", "cmha"])
    dispatch_once(world.runtime, settings)
    with world.runtime.read() as s:
        recipients = set(s.scalars(select(InboxItem.user_id)))
        assert world.users["hospital"] not in recipients
        assert world.users["manager"] not in recipients  # a CMHA manager sees no situation
        assert world.users["cmha"] in recipients
