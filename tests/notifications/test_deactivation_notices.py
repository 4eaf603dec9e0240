"""Deactivating an agency tells the two people who must know: the agency itself (the one event
an inactive agency still hears, at its contact address alone) and the chairs of each table
whose open situations lose its hands (their references and its part in each). Reactivating
tells the agency its access is back. The real commands, the real dispatcher and a real SMTP
server (aiosmtpd), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from support.factories import filter1, in_intervention, submitted

from notifications.dispatch import dispatch_once
from notifications.render import Renderer
from workflow import directory, directory_admin, interventions, meetings, situations
from workflow.deliveries import DeliveryWork
from workflow.identity import derive_master_key
from workflow.models import (
    Agency,
    Delivery,
    InboxItem,
    OutboxEvent,
    Situation,
    Table,
    TableMembership,
    User,
)
from workflow.notification_preferences import set_preference
from workflow.outbound import parse_allow
from workflow.outbox import emit

CHAIR_MAIL = "chair@demo.hubtable.test"
OTHER_CHAIR_MAIL = "chair@other.hubtable.test"
HOUSING_MAIL = "housing@agencies.test"
HOSPITAL_MAIL = "hospital@agencies.test"
# What each language says to the agency, and calls its parts in a situation.
ENDED = {"en": "deactivated the access of your agency, Housing Services, to hubtable",
         "vi": "đã ngừng hoạt động cơ quan của bạn, Housing Services, trên hubtable"}
PARTS = {"en": ("lead", "assisting"), "vi": ("chủ trì", "phối hợp")}


def _set_active(world, slug: str, active: bool) -> None:
    with world.runtime.command() as s:
        directory_admin.update_agency(s, world.user(s, "admin"), world.agencies[slug],
                                      active=active, open_work_understood=True)


def _ref(world, sid: int) -> str:
    with world.runtime.read() as s:
        return s.get_one(Situation, sid).ref or ""


def _housing_leads_at_the_other_table(world) -> int:
    """Housing (and, for a quorum, the school board) also sit at the other table, whose own
    chair planned a situation with housing leading it there."""
    housing, school = world.agencies["housing"], world.agencies["school"]
    with world.runtime.command() as s:
        other = s.scalars(select(Table).where(Table.code == "OTHER")).one()
        s.add_all([TableMembership(table_id=other.id, agency_id=a) for a in (housing, school)])
        chair = directory.create_user(s, email=OTHER_CHAIR_MAIL, display_name="Other chair",
                                      password="", role="chair", password_hash="unused",
                                      agency_id=world.agencies["outsider"], table_ids=[other.id])
        outsider = world.user(s, "outsider")
        sid = situations.draft(s, outsider, other.id, filter1()).id
        situations.submit(s, outsider, sid)
        meeting = meetings.next_meeting(s, other)
        meetings.open_meeting(s, chair, meeting.id)
        for agency in (world.agencies["outsider"], housing, school):
            meetings.record_attendance(s, chair, meeting.id, agency, present=True,
                                       confidentiality_ack=True)
    with world.runtime.command() as s:
        chair = s.scalars(select(User).where(User.email == OTHER_CHAIR_MAIL)).one()
        situations.accept(s, chair, sid, meeting.id)
        interventions.disclose(s, chair, sid, [housing], basis="phipa_40_1",
                               meeting_id=meeting.id)
        interventions.plan(s, chair, sid, lead_agency_id=housing, meeting_id=meeting.id)
    return sid


def _housing_at_work(world) -> dict[str, tuple[int, ...]]:
    """At Peel, housing assists one open situation (CMHA leads), leads another, and assisted
    one now closed; at the other table it leads one."""
    assisted, mid = in_intervention(world)
    led = submitted(world)
    closed, _ = in_intervention(world)
    with world.runtime.command() as s:
        chair, cmha = world.user(s, "chair"), world.user(s, "cmha")
        situations.accept(s, chair, led, mid)
        interventions.disclose(s, chair, led, [world.agencies["housing"]], basis="phipa_40_1",
                               meeting_id=mid)
        interventions.plan(s, chair, led, lead_agency_id=world.agencies["housing"],
                           meeting_id=mid)
        interventions.record_first_contact(s, cmha, closed)
        interventions.report_back(s, cmha, closed, progress_note="done",
                                  first_contact_made=True, still_aer=False, services=[])
        interventions.update_task(s, world.user(s, "housing"),
                                  s.get_one(Situation, closed).tasks[0].id, status="done")
        interventions.close(s, chair, closed, conclusion_reason="lowered_connected")
    return {"peel": (assisted, led), "closed": (closed,),
            "other": (_housing_leads_at_the_other_table(world),)}


def _events(world, event_type: str) -> list[OutboxEvent]:
    with world.runtime.read() as s:
        events = list(s.scalars(select(OutboxEvent).where(OutboxEvent.event_type == event_type)
                                .order_by(OutboxEvent.id)))
        s.expunge_all()
    return events


def _inbox(world, email: str, event_type: str) -> list[InboxItem]:
    with world.runtime.read() as s:
        items = list(s.scalars(select(InboxItem).join(User, User.id == InboxItem.user_id).where(
            User.email == email, InboxItem.event_type == event_type)))
        s.expunge_all()
    return items


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_deactivating_an_agency_with_open_work_tells_it_once_and_each_tables_chairs(
        world, settings, smtp_server, lang):
    work = _housing_at_work(world)
    with world.runtime.command() as s:
        s.get_one(Agency, world.agencies["housing"]).language = lang
        for user in s.scalars(select(User).where(User.role == "chair")):
            user.language = lang
    dispatch_once(world.runtime, settings)
    smtp_server.clear()

    _set_active(world, "housing", False)
    dispatch_once(world.runtime, settings)

    [mail] = smtp_server.to(HOUSING_MAIL)
    assert mail.message["X-Hubtable-Event"] == "agency.deactivated"
    assert ENDED[lang] in mail.part("plain")
    assert ENDED["vi" if lang == "en" else "en"] not in mail.part("plain")
    assert not smtp_server.to("housing@demo.hubtable.test")  # its users: not a word
    assert _inbox(world, "housing@demo.hubtable.test", "agency.deactivated") == []

    lead, assisting = PARTS[lang]
    peel_assisted, peel_led = (_ref(world, sid) for sid in work["peel"])
    closed, elsewhere = _ref(world, work["closed"][0]), _ref(world, work["other"][0])
    notices = _events(world, "table.agency_deactivated")
    assert len(notices) == 2 and all(e.to_chairs and e.agency_ids == [] for e in notices)
    for address, listed, unlisted in (
            (CHAIR_MAIL, [f"{peel_assisted} ({assisting})", f"{peel_led} ({lead})"],
             [elsewhere, closed]),
            (OTHER_CHAIR_MAIL, [f"{elsewhere} ({lead})"], [peel_assisted, peel_led, closed])):
        [told] = smtp_server.to(address)
        assert told.message["X-Hubtable-Event"] == "table.agency_deactivated"
        for text in (told.part("plain"), told.part("html")):
            assert "Housing Services" in text
            assert all(said in text for said in listed), (address, text)
            assert not any(other in text for other in unlisted), (address, text)
        [item] = _inbox(world, address, "table.agency_deactivated")
        assert all(said in item.title for said in listed) and item.link == "/meetings"


def test_deactivating_an_agency_without_open_work_tells_the_agency_only(
        world, settings, smtp_server, quiet):
    _set_active(world, "hospital", False)
    dispatch_once(world.runtime, settings)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [HOSPITAL_MAIL]
    assert mail.message["X-Hubtable-Event"] == "agency.deactivated"
    assert "Regional Hospital" in mail.part("plain")
    assert _events(world, "table.agency_deactivated") == []
    assert _inbox(world, CHAIR_MAIL, "table.agency_deactivated") == []


def test_reactivating_tells_the_agency_its_access_is_restored(world, settings, smtp_server,
                                                              quiet):
    _set_active(world, "hospital", False)
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    _set_active(world, "hospital", True)
    dispatch_once(world.runtime, settings)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [HOSPITAL_MAIL]
    assert mail.message["X-Hubtable-Event"] == "agency.reactivated"
    assert "restored the access of your agency, Regional Hospital" in mail.part("plain")
    assert len(_events(world, "agency.deactivated")) == 1  # no second "ended" on the way back
    assert _inbox(world, CHAIR_MAIL, "agency.reactivated") == []


def test_no_other_event_reaches_an_inactive_agency_even_beside_its_own_notice(
        world, settings, smtp_server, quiet):
    """The exception is the one event type: ordinary events naming the agency, fanned out in
    the same batch as the notice that its access ended, reach nobody there."""
    sid, _ = quiet
    cmha = world.agencies["cmha"]
    with world.runtime.read() as s:
        before = s.scalar(select(func.max(OutboxEvent.id))) or 0
    with world.runtime.command() as s:
        directory_admin.update_agency(s, world.user(s, "admin"), cmha, active=False)
        emit(s, "situation.lead_assigned", table_id=world.table_id,
             situation=s.get_one(Situation, sid), agency_ids=[cmha])
        emit(s, "directory.changed", table_id=world.table_id, agency_ids=[cmha],
             extra={"change": "user.update"})
    dispatch_once(world.runtime, settings)
    with world.runtime.read() as s:
        delivered = s.execute(select(OutboxEvent.event_type, Delivery.channel,
                                     Delivery.recipient_kind, Delivery.address)
                              .join(Delivery, Delivery.event_id == OutboxEvent.id)
                              .where(OutboxEvent.id > before)).all()
    assert [tuple(d) for d in delivered] == [
        ("agency.deactivated", "email", "agency", "cmha@agencies.test")]
    [mail] = smtp_server.to("cmha@agencies.test")
    assert mail.message["X-Hubtable-Event"] == "agency.deactivated"


def test_the_payload_allow_list_takes_references_and_parts_and_nothing_else(world):
    with world.runtime.command() as s:
        for bad in ([{"ref": "Jane Example", "role": "lead"}],
                    [{"ref": "PEEL-000001", "role": "lead", "note": "eviction"}],
                    [{"ref": "PEEL-000001", "role": "was her neighbour"}], ["PEEL-000001"]):
            with pytest.raises(ValueError):
                emit(s, "table.agency_deactivated", table_id=world.table_id, to_chairs=True,
                     extra={"open_work": bad})
        told = emit(s, "table.agency_deactivated", table_id=world.table_id, to_chairs=True,
                    extra={"open_work": [{"ref": "PEEL-000001", "role": "assisting"}]})
    assert told.payload["open_work"] == [{"ref": "PEEL-000001", "role": "assisting"}]


def _work(event_type: str, payload: dict) -> DeliveryWork:
    return DeliveryWork(
        delivery_id=1, dedupe_key="7/email/user:1", channel="email", recipient_kind="user",
        recipient_id=1, address="chair@demo.hubtable.test", language="vi", digest=False,
        event_id=7, event_type=event_type, occurred_at=datetime(2026, 11, 23, tzinfo=UTC),
        situation_id=None, table_id=1, table_code="CANTHO", table_name="Nhóm Cần Thơ",
        table_timezone="Asia/Ho_Chi_Minh", payload=payload)


def test_the_vietnamese_notices_say_it_in_vietnamese():
    renderer = Renderer("https://hub.example.org")
    chairs = renderer.compose(_work("table.agency_deactivated", {
        "agency_name": "Trung tâm Công tác xã hội", "situations_count": 2,
        "open_work": [{"ref": "CANTHO-000002", "role": "lead"},
                      {"ref": "CANTHO-000005", "role": "assisting"}]}),
        sent_at=datetime.now(UTC))
    assert "Cơ quan Trung tâm Công tác xã hội đã bị ngừng hoạt động" in chairs.subject
    assert "CANTHO-000002 (chủ trì), CANTHO-000005 (phối hợp)" in chairs.text
    assert "Hãy thay đổi kế hoạch của từng trường hợp" in chairs.text
    assert "https://hub.example.org/meetings" in chairs.text
    ended = renderer.compose(_work("agency.deactivated", {"agency_name": "Trường THCS"}),
                             sent_at=datetime.now(UTC))
    assert "Người dùng của cơ quan không thể đăng nhập nữa" in ended.text
    assert "liên hệ quản trị viên hoặc chủ trì nhóm điều phối" in ended.text
    back = renderer.compose(_work("agency.reactivated", {"agency_name": "Trường THCS"}),
                            sent_at=datetime.now(UTC))
    assert "hoạt động trở lại" in back.subject and "đăng nhập lại" in back.text
    for message in (chairs, ended, back):
        assert not any(word in message.text for word in ("deactivated", "restored", "lead"))


WEBHOOK_SECRET = "deactivation-webhook-secret-01234"


def test_no_identity_or_free_text_travels_in_these_notices_by_any_channel(
        world, settings, smtp_server, webhook_receiver):
    """A marker in the identity and the summary of the situation housing assists; every
    agency with a webhook, every user a personal email. Housing is deactivated then
    reactivated: its notices, the chairs' and every inbox item say nothing of the person,
    and its webhook hears only that it is back (never that it ended)."""
    marker = f"CANARY-{uuid.uuid4().hex}"
    in_intervention(world, identity_name=marker, summary=f"Adult, eviction {marker}")
    with world.runtime.command() as s:
        admin = world.user(s, "admin")
        for agency_id in world.agencies.values():
            set_preference(s, admin, agency_id=agency_id, channel="webhook", enabled=True,
                           webhook_url=webhook_receiver.url, webhook_secret=WEBHOOK_SECRET,
                           master_key=derive_master_key("test-master-key"),
                           allow=parse_allow("127.0.0.1/32"))
        for user in s.scalars(select(User)):
            set_preference(s, admin, user_id=user.id, channel="email", enabled=True)
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    webhook_receiver.requests.clear()

    _set_active(world, "housing", False)
    dispatch_once(world.runtime, settings)
    _set_active(world, "housing", True)
    dispatch_once(world.runtime, settings)

    told = {"agency.deactivated", "agency.reactivated", "table.agency_deactivated"}
    identity = (marker, "1999-04-01", "12 Example Street", "555 0100")
    mails = [m for m in smtp_server.messages if m.message["X-Hubtable-Event"] in told]
    assert {m.message["X-Hubtable-Event"] for m in mails} == told
    for mail in mails:
        assert not any(word.encode() in mail.raw for word in identity)
        assert not any(word in mail.part("plain") + mail.part("html") for word in identity)
    hooks = [r for r in webhook_receiver.requests if r.headers["X-Hubtable-Event"] in told]
    assert [r.headers["X-Hubtable-Event"] for r in hooks] == ["agency.reactivated"]
    assert json.loads(hooks[0].body)["data"] == {"agency_name": "Housing Services"}
    assert not any(word.encode() in r.body for r in hooks for word in identity)
    with world.runtime.read() as s:
        items = s.scalars(select(InboxItem).where(InboxItem.event_type.in_(told))).all()
    assert {i.event_type for i in items} == {"agency.reactivated", "table.agency_deactivated"}
    assert not any(word in i.title for i in items for word in identity)
