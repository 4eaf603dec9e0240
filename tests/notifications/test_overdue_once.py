"""An overdue deadline reaches each recipient once: the real commands, the real sweep, the
real dispatcher and a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

The lead agency was told twice that its report-back was overdue (the pack's reminder and the
sweep's own notice), and the chairs twice that a clock had run out (the pack's escalation and
the same notice). The one message each recipient gets still says which deadline, when it was
due, and (when the pack escalates) that it was escalated.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from support.factories import build_world, in_intervention, open_meeting, submitted

from notifications.dispatch import dispatch_once
from workflow import interventions, rulebook, situations
from workflow.identity import Identity, Person
from workflow.models import Deadline, Delivery, OutboxEvent, Situation, Table, utcnow
from workflow.sweep import sweep

LEAD_MAIL = "cmha@agencies.test"
CHAIR_MAIL = "chair@demo.hubtable.test"
CHILD_VICTIM = dict(age_group="12-15", risk_factors=[
    "physical_violence.person_victim", "missing_school.truancy"], aer_reasons=[])


@pytest.fixture
def vietnam(runtime):
    return build_world(runtime, country="VN", pack="vn-gbv-child-protection")


def _due(world, sid: int, kind: str) -> datetime:
    with world.runtime.read() as s:
        due = s.scalar(select(Deadline.due_at).where(Deadline.situation_id == sid,
                                                     Deadline.kind == kind))
    assert due is not None, kind
    return due


def _sweep_and_send(world, settings, smtp_server, *, now: datetime) -> list[OutboxEvent]:
    """Send what came before, then sweep at `now` and send: the sweep's events, as written."""
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    with world.runtime.read() as s:
        last = s.scalar(select(func.max(OutboxEvent.id))) or 0
    sweep(world.runtime, now=now)
    dispatch_once(world.runtime, settings)
    with world.runtime.read() as s:
        events = list(s.scalars(select(OutboxEvent).where(OutboxEvent.id > last)
                                .order_by(OutboxEvent.id)))
        s.expunge_all()
    return events


def _once_each(world, events: list[OutboxEvent]) -> None:
    """No recipient holds two deliveries on one channel for the sweep's events."""
    with world.runtime.read() as s:
        rows = s.execute(select(Delivery.recipient_kind, Delivery.recipient_id,
                                Delivery.channel).where(
            Delivery.event_id.in_([e.id for e in events]))).tuples().all()
    assert rows
    twice = {key: n for key, n in Counter(rows).items() if n > 1}
    assert twice == {}


def _to_agency(events: list[OutboxEvent], agency_id: int) -> list[OutboxEvent]:
    return [e for e in events if agency_id in (e.agency_ids or [])]


def _to_chairs(events: list[OutboxEvent]) -> list[OutboxEvent]:
    return [e for e in events if e.to_chairs]


def test_an_overdue_report_back_tells_the_lead_once(world, settings, smtp_server):
    start = utcnow() - timedelta(days=40)
    sid, _ = in_intervention(world, now=start)
    with world.runtime.command() as s:
        interventions.record_first_contact(s, world.user(s, "cmha"), sid,
                                           now=start + timedelta(hours=1))
    events = _sweep_and_send(world, settings, smtp_server,
                             now=_due(world, sid, "report_back") + timedelta(minutes=1))
    lead = world.agencies["cmha"]
    [told] = _to_agency(events, lead)
    assert told.payload["deadline_kind"] == "report_back"
    assert told.payload["due_at"]
    [mail] = smtp_server.to(LEAD_MAIL)
    assert "report-back" in mail.part("plain") and "overdue" in mail.part("plain")
    assert "Jane Example" not in mail.part("plain")
    [chairs] = _to_chairs(events)  # the chairs still hear of it, once
    assert chairs.payload["deadline_kind"] == "report_back"
    assert len(smtp_server.to(CHAIR_MAIL)) == 1
    _once_each(world, events)


def test_an_overdue_first_contact_escalates_to_the_chairs_once(world, settings, smtp_server):
    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=40))
    events = _sweep_and_send(world, settings, smtp_server,
                             now=_due(world, sid, "first_contact") + timedelta(minutes=1))
    [chairs] = _to_chairs(events)
    assert chairs.event_type == "situation.escalated"
    assert chairs.payload["deadline_kind"] == "first_contact"
    assert chairs.payload["due_at"]
    [mail] = smtp_server.to(CHAIR_MAIL)
    assert "escalated" in mail.part("plain") and "first contact" in mail.part("plain")
    [lead] = _to_agency(events, world.agencies["cmha"])  # the lead is still told, once
    assert lead.payload["deadline_kind"] == "first_contact"
    assert len(smtp_server.to(LEAD_MAIL)) == 1
    _once_each(world, events)


def _planned(world, *, lead: str, now: datetime, **facts) -> int:
    """Submitted, accepted, disclosed to the lead and child protection under the Law on
    Children, and planned with `lead` leading, all at `now` (a few minutes apart)."""
    sid = submitted(world, now=now, **facts)
    mid = open_meeting(world, now=now + timedelta(minutes=5))
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid, now=now + timedelta(minutes=10))
        interventions.disclose(
            s, chair, sid, sorted({world.agencies["cas"], world.agencies[lead]}),
            basis="child_law_2016", vault=world.runtime.vault, meeting_id=mid,
            now=now + timedelta(minutes=15),
            identity=Identity([Person(name="Child Example", birth_date="2012-04-01")]))
        interventions.plan(s, chair, sid, lead_agency_id=world.agencies[lead],
                           meeting_id=mid, now=now + timedelta(minutes=20))
    return sid


def test_a_vietnam_report_back_tells_the_lead_once(vietnam, settings, smtp_server):
    start = utcnow() - timedelta(days=40)
    sid = _planned(vietnam, lead="cmha", now=start)
    with vietnam.runtime.command() as s:
        interventions.record_first_contact(s, vietnam.user(s, "cmha"), sid,
                                           now=start + timedelta(hours=1))
    events = _sweep_and_send(vietnam, settings, smtp_server,
                             now=_due(vietnam, sid, "report_back") + timedelta(minutes=1))
    [told] = _to_agency(events, vietnam.agencies["cmha"])
    assert told.payload["deadline_kind"] == "report_back"
    assert len(smtp_server.to(LEAD_MAIL)) == 1
    assert len(_to_chairs(events)) == 1
    _once_each(vietnam, events)


def test_a_vietnam_support_plan_escalates_to_the_chairs_once(vietnam, settings, smtp_server):
    start = utcnow() - timedelta(days=30)
    sid = submitted(vietnam, now=start)
    mid = open_meeting(vietnam, now=start + timedelta(minutes=5))
    with vietnam.runtime.command() as s:
        situations.accept(s, vietnam.user(s, "chair"), sid, mid,
                          now=start + timedelta(minutes=10))
    events = _sweep_and_send(vietnam, settings, smtp_server,
                             now=_due(vietnam, sid, "support_plan") + timedelta(minutes=1))
    [chairs] = _to_chairs(events)
    assert chairs.event_type == "situation.escalated"
    assert chairs.payload["deadline_kind"] == "support_plan"
    assert len(smtp_server.to(CHAIR_MAIL)) == 1
    _once_each(vietnam, events)


def test_a_childs_overdue_emergency_protection_tells_each_agency_once(vietnam, settings,
                                                                      smtp_server):
    """Escalated to the chairs, child protection told (the pack), the lead told (the core):
    three audiences, one message each."""
    sid = _planned(vietnam, lead="school", now=utcnow() - timedelta(days=3), **CHILD_VICTIM)
    events = _sweep_and_send(vietnam, settings, smtp_server,
                             now=_due(vietnam, sid, "emergency_protection")
                             + timedelta(minutes=1))
    [chairs] = _to_chairs(events)
    assert chairs.event_type == "situation.escalated"
    assert chairs.payload["deadline_kind"] == "emergency_protection"
    [child_protection] = _to_agency(events, vietnam.agencies["cas"])
    assert child_protection.payload["deadline_kind"] == "emergency_protection"
    [lead] = _to_agency(events, vietnam.agencies["school"])
    assert lead.payload["deadline_kind"] == "emergency_protection"
    for address in (CHAIR_MAIL, "cas@agencies.test", "school@agencies.test"):
        [mail] = smtp_server.to(address)
        assert "Child Example" not in mail.part("plain")
    _once_each(vietnam, events)


OLD_VERSION = """
name: ontario-four-filter
version: "0.9-test"
labels: {en: Ontario (an older version), vi: Ontario (phiên bản cũ)}
country: CA
subdivision: "ON"
rules:
  - id: report_back.overdue
    labels: {en: Tell the lead and the chair, vi: Báo cơ quan chủ trì và chủ tọa}
    trigger: timer:deadline_passed
    deadline: report_back
    actions:
      - {type: notify, to: lead, event: report_back_overdue}
      - {type: notify, to: chair, event: report_back_overdue}
      - {type: escalate, to: chair, message: {en: Overdue, vi: Quá hạn}}
"""


def test_a_table_on_an_installed_older_pack_gets_no_doubles(world, settings, smtp_server):
    """The fix is the core's: a pack version already installed, whatever its rules say to
    whom about an overdue deadline, no longer doubles up."""
    start = utcnow() - timedelta(days=40)
    sid, _ = in_intervention(world, now=start)
    with world.runtime.command() as s:
        rulebook.install_pack(s, OLD_VERSION)
        s.get_one(Table, world.table_id).rule_pack_version = "0.9-test"
        rulebook.set_deadline(s, s.get_one(Situation, sid), "report_back",
                              start + timedelta(days=1), "test")
        rulebook.meet_deadline(s, s.get_one(Situation, sid), "first_contact", start)
    events = _sweep_and_send(world, settings, smtp_server, now=start + timedelta(days=2))
    [lead] = _to_agency(events, world.agencies["cmha"])
    assert lead.payload["deadline_kind"] == "report_back"
    [chairs] = _to_chairs(events)
    assert chairs.event_type == "situation.escalated"
    assert len(smtp_server.to(LEAD_MAIL)) == 1 and len(smtp_server.to(CHAIR_MAIL)) == 1
    _once_each(world, events)
