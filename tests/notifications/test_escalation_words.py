"""An escalation says what its pack's author wrote, in each recipient's own language.

A pack's `escalate` action carries a message in English and Vietnamese ("First contact is
overdue: ..."): it is what the chair or an agency is asked to do. The event used to carry the
rule's id alone, so the email, the inbox and the webhook said only "escalated". Here a real
first-contact deadline runs out, the real sweep fires the pack's escalation and the real
dispatcher sends it by SMTP, inbox and webhook (on SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from support.factories import in_intervention

from notifications.dispatch import dispatch_once
from workflow import rulebook
from workflow.identity import derive_master_key
from workflow.models import Agency, Deadline, InboxItem, Table, User, utcnow
from workflow.notification_preferences import set_preference
from workflow.outbound import parse_allow
from workflow.sweep import sweep

CHAIR_MAIL = "chair@demo.hubtable.test"
LEAD_MAIL = "cmha@agencies.test"
SECRET = "escalation-webhook-secret-0123456"
KEY = derive_master_key("test-master-key")  # the test runtime's identity key

# The shipped Ontario pack's escalation for an overdue first contact (frozen by its version).
ONTARIO = {"en": "First contact is overdue: the 2 business days after acceptance have passed.",
           "vi": "Tiếp cận lần đầu đã quá hạn: đã quá 2 ngày làm việc kể từ khi tiếp nhận."}

# An installed version whose escalation goes to the lead agency, not the chair.
TO_THE_LEAD = {"en": "The lead makes first contact today and records it",
               "vi": "Cơ quan chủ trì tiếp cận lần đầu trong hôm nay và ghi nhận lại"}
LEAD_VERSION = f"""
name: ontario-four-filter
version: "0.8-escalate-lead"
labels: {{en: Ontario (escalating to the lead), vi: Ontario (chuyển cấp cho cơ quan chủ trì)}}
country: CA
subdivision: "ON"
rules:
  - id: first_contact.overdue
    labels: {{en: Escalate to the lead, vi: Chuyển cấp cho cơ quan chủ trì}}
    trigger: timer:deadline_passed
    deadline: first_contact
    actions:
      - type: escalate
        to: lead
        message: {{en: "{TO_THE_LEAD['en']}", vi: "{TO_THE_LEAD['vi']}"}}
"""


def _planned(world, settings, smtp_server) -> int:
    """A situation planned long ago (its first contact now overdue), its notices sent."""
    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=40))
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    return sid


def _sweep_and_send(world, settings, sid: int) -> None:
    """Sweep just after the first contact was due and send what the sweep wrote."""
    with world.runtime.read() as s:
        due: datetime | None = s.scalar(select(Deadline.due_at).where(
            Deadline.situation_id == sid, Deadline.kind == "first_contact"))
    assert due is not None
    sweep(world.runtime, now=due + timedelta(minutes=1))
    dispatch_once(world.runtime, settings)


def _speaks(mail, said: str, unsaid: str) -> None:
    """The mail's subject, text and HTML carry `said` and not the other language's words."""
    for part in (str(mail.message["Subject"]), mail.part("plain"), mail.part("html")):
        assert said in part
        assert unsaid not in part


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_chairs_read_the_packs_escalation_in_their_language(world, settings, smtp_server,
                                                                lang):
    other = "vi" if lang == "en" else "en"
    with world.runtime.command() as s:
        s.get_one(User, world.users["chair"]).language = lang
    _sweep_and_send(world, settings, _planned(world, settings, smtp_server))
    [mail] = smtp_server.to(CHAIR_MAIL)
    assert mail.message["X-Hubtable-Event"] == "situation.escalated"
    _speaks(mail, ONTARIO[lang], ONTARIO[other])
    assert "Jane Example" not in mail.part("plain")
    with world.runtime.read() as s:
        [item] = s.scalars(select(InboxItem).where(
            InboxItem.user_id == world.users["chair"],
            InboxItem.event_type == "situation.escalated")).all()
    assert ONTARIO[lang] in item.title and ONTARIO[other] not in item.title


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_an_agency_reads_its_escalation_by_email_and_webhook(world, settings, smtp_server,
                                                             webhook_receiver, lang):
    """An installed version escalating to the lead: its email and its webhook's title say
    the pack's words in the agency's language; the JSON data holds both, and no identity."""
    other = "vi" if lang == "en" else "en"
    lead = world.agencies["cmha"]
    sid = _planned(world, settings, smtp_server)
    with world.runtime.command() as s:
        rulebook.install_pack(s, LEAD_VERSION)
        s.get_one(Table, world.table_id).rule_pack_version = "0.8-escalate-lead"
        s.get_one(Agency, lead).language = lang
        set_preference(s, world.user(s, "admin"), agency_id=lead, channel="webhook",
                       enabled=True, webhook_url=webhook_receiver.url, webhook_secret=SECRET,
                       master_key=KEY, allow=parse_allow("127.0.0.1/32"))
    _sweep_and_send(world, settings, sid)
    [mail] = smtp_server.to(LEAD_MAIL)
    _speaks(mail, TO_THE_LEAD[lang], TO_THE_LEAD[other])
    [request] = [r for r in webhook_receiver.requests
                 if r.headers["X-Hubtable-Event"] == "situation.escalated"]
    doc = json.loads(request.body)
    assert doc["language"] == lang
    assert TO_THE_LEAD[lang] in doc["title"] and TO_THE_LEAD[other] not in doc["title"]
    assert doc["data"]["escalation_message_en"] == TO_THE_LEAD["en"]
    assert doc["data"]["escalation_message_vi"] == TO_THE_LEAD["vi"]
    assert doc["data"]["deadline_kind"] == "first_contact"
    assert b"Jane Example" not in request.body
