"""A canary: identity and free text holding a unique marker never leave by any channel.

Situations go through every stage (rejected, withdrawn, accepted, disclosed, planned, overdue,
reported back, closed) with the marker in the identity, the summary and every note; every
agency has a webhook and every user a personal email; then everything is dispatched while
all loggers record at DEBUG. The marker must be in no email (raw bytes or decoded parts), no
webhook request, no inbox item, no delivery error and no log line.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select
from support.factories import in_intervention, open_meeting, submitted

from notifications.dispatch import dispatch_once
from workflow import interventions, meetings, situations
from workflow.identity import derive_master_key
from workflow.models import Delivery, InboxItem, Meeting, OutboxEvent, Situation, User, utcnow
from workflow.notification_preferences import set_preference
from workflow.outbound import parse_allow
from workflow.sweep import sweep

SECRET = "canary-webhook-secret-0123456789"
KEY = derive_master_key("test-master-key")  # the test runtime's identity key


def _configure_every_channel(world, url: str) -> None:
    with world.runtime.command() as s:
        admin = world.user(s, "admin")
        for agency_id in world.agencies.values():
            set_preference(s, admin, agency_id=agency_id, channel="webhook", enabled=True,
                           webhook_url=url, webhook_secret=SECRET, master_key=KEY,
                           allow=parse_allow("127.0.0.1/32"))
        for user in s.scalars(select(User)):
            set_preference(s, admin, user_id=user.id, channel="email", enabled=True)


def _drive_every_stage(world, marker: str) -> list[int]:
    rt = world.runtime
    note = f"note {marker}"
    summary = f"Adult, recent eviction {marker}"
    closed, _ = in_intervention(world, identity_name=marker, summary=summary)
    overdue, _ = in_intervention(world, identity_name=marker, summary=summary)
    rejected = submitted(world, summary=summary)
    withdrawn = submitted(world, summary=summary)
    waiting = submitted(world, summary=summary)
    with rt.command() as s:
        chair, cmha = world.user(s, "chair"), world.user(s, "cmha")
        interventions.record_first_contact(s, cmha, closed)
        interventions.report_back(s, cmha, closed, progress_note=note, first_contact_made=True,
                                  still_aer=False, services=["counselling"])
        task = s.get(Situation, closed).tasks[0]
        interventions.update_task(s, world.user(s, "housing"), task.id, status="not_done",
                                  note=note)
        interventions.close(s, chair, closed, conclusion_reason="lowered_connected")
        meeting_id = s.scalar(select(Meeting.id).where(Meeting.status == "open"))
        situations.reject(s, chair, rejected, meeting_id, "other", note)
        situations.withdraw(s, world.user(s, "school"), withdrawn, "other", rt.vault, note=note)
    with rt.command() as s:
        meetings.prepare_agenda(s, meetings.next_meeting(
            s, world.table(s), now=utcnow() + timedelta(days=8)))
    sweep(rt, now=utcnow() + timedelta(days=10))  # deadlines pass: due soon, overdue, flags
    # the canary is live: the marker really is in the record and in the granted identity
    with rt.read() as s:
        assert marker in s.get(Situation, waiting).summary
        identity = rt.vault.read(s, world.user(s, "cmha"), s.get(Situation, overdue))
        assert identity is not None and identity.persons[0].name == marker
    return [closed, overdue, rejected, withdrawn, waiting]


def test_marker_in_identity_and_notes_reaches_no_notification_or_log(
        world, settings, smtp_server, webhook_receiver, caplog):
    marker = f"CANARY-{uuid.uuid4().hex}"
    _configure_every_channel(world, webhook_receiver.url)
    open_meeting(world)
    _drive_every_stage(world, marker)
    with world.runtime.read() as s:
        event_types = set(s.scalars(select(OutboxEvent.event_type)))
    assert {"situation.submitted", "situation.accepted", "situation.rejected",
            "situation.withdrawn", "situation.disclosed", "situation.lead_assigned",
            "situation.assisting_assigned", "task.assigned", "situation.closed",
            "meeting.agenda_ready"} <= event_types
    assert event_types & {"deadline.overdue", "deadline.due_soon", "situation.flagged",
                          "situation.escalated", "rule.notify"}

    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
        try:
            result = dispatch_once(world.runtime, settings)
        finally:
            logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert result.failed == result.dead == 0 and result.sent > 0
    assert caplog.records  # the logs were really captured (SQL included)
    assert marker not in caplog.text
    assert all(marker not in r.getMessage() for r in caplog.records)

    seen_events = set()
    assert smtp_server.messages
    for mail in smtp_server.messages:
        assert marker.encode() not in mail.raw
        assert marker not in mail.part("plain") and marker not in mail.part("html")
        assert marker not in str(mail.message["Subject"])
        seen_events.add(mail.message["X-Hubtable-Event"])
    assert webhook_receiver.requests
    for request in webhook_receiver.requests:
        assert marker.encode() not in request.body
        assert marker not in request.body.decode("unicode_escape", errors="replace")
        assert all(marker not in v for v in request.headers.values())
        seen_events.add(request.headers["X-Hubtable-Event"])
    with world.runtime.read() as s:
        items = s.scalars(select(InboxItem)).all()
        assert items
        assert all(marker not in i.title and marker not in i.link for i in items)
        assert all(marker not in (d.last_error or "") for d in s.scalars(select(Delivery)))
    # every kind of event written was sent and inspected, by email and by webhook
    assert seen_events == event_types

