"""Every event type renders in English and Vietnamese, as text, HTML, inbox title and JSON."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from notifications.render import TEMPLATE_DIR, Renderer
from workflow.deliveries import DeliveryWork
from workflow.outbox import EVENT_TYPES

PAYLOAD = {"situation_id": 42, "ref": "PEEL-000042", "table_id": 1, "stage": "intervention",
           "due_at": "2026-11-25T15:00:00+00:00", "deadline_kind": "first_contact",
           "meeting_at": "2026-11-24T15:00:00+00:00", "situations_count": 3,
           "task_due": "2026-11-30", "flag_code": "open_4_meetings", "rule_id": "r1",
           "rule_event": "duty_to_report", "conclusion_reason": "transferred",
           "rejection_reason": "not_aer"}


def _work(event_type: str, lang: str, channel: str, **overrides) -> DeliveryWork:
    values = dict(
        delivery_id=1, dedupe_key=f"9/{channel}/agency:1", channel=channel,
        recipient_kind="agency", recipient_id=1, address="a@agencies.test", language=lang,
        digest=False, event_id=9, event_type=event_type,
        occurred_at=datetime(2026, 11, 23, 15, tzinfo=UTC), situation_id=42, table_id=1,
        table_code="PEEL", table_name="Peel Situation Table", table_timezone="America/Toronto",
        payload=dict(PAYLOAD), secret="s" * 20)
    values.update(overrides)
    return DeliveryWork(**values)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_has_both_languages_and_renders_cleanly(event_type):
    renderer = Renderer("https://hub.example.org")
    subjects = {}
    for lang in ("en", "vi"):
        assert (TEMPLATE_DIR / lang / f"{event_type}.j2").is_file()
        mail = renderer.compose(_work(event_type, lang, "email"), sent_at=datetime.now(UTC))
        hook = renderer.compose(_work(event_type, lang, "webhook"), sent_at=datetime.now(UTC))
        for text in (mail.subject, mail.text, mail.html, hook.document["title"]):
            assert text.strip()
            assert "None" not in text and "Undefined" not in text and "{{" not in text
        assert "[Peel Situation Table]" in mail.subject
        assert "https://hub.example.org/situations/42" in mail.text
        assert hook.document["event"]["label"]
        subjects[lang] = mail.subject
    assert subjects["en"] != subjects["vi"]


def test_dates_show_in_the_tables_timezone_and_codes_as_labels():
    renderer = Renderer("https://hub.example.org")
    lead = renderer.compose(_work("situation.lead_assigned", "en", "email"),
                            sent_at=datetime.now(UTC))
    assert "First contact is due 2026-11-25 10:00." in lead.text  # 15:00 UTC in Toronto
    overdue = renderer.compose(_work("deadline.overdue", "vi", "email"),
                               sent_at=datetime.now(UTC))
    # 15:00 UTC in the table's own zone (Toronto), written day first for a Vietnamese reader
    assert "Việc tiếp cận lần đầu của trường hợp PEEL-000042 đã quá hạn (hạn: 25/11/2026 10:00)" \
        in overdue.text
    assert "Quá hạn tiếp cận lần đầu: trường hợp PEEL-000042" in overdue.subject
    closed = renderer.compose(_work("situation.closed", "en", "email"), sent_at=datetime.now(UTC))
    assert "Transferred to another table or body" in closed.text


def test_html_escapes_what_the_text_shows_verbatim():
    renderer = Renderer("https://hub.example.org")
    work = _work("situation.accepted", "en", "email", table_name="<b>Peel</b> & Co")
    mail = renderer.compose(work, sent_at=datetime.now(UTC))
    assert "<b>Peel</b> & Co" in mail.text
    assert "&lt;b&gt;Peel&lt;/b&gt; &amp; Co" in mail.html and "<b>Peel</b>" not in mail.html


def test_a_meeting_event_links_to_the_meetings_page():
    renderer = Renderer("https://hub.example.org/")
    work = _work("meeting.agenda_ready", "en", "inbox", situation_id=None,
                 payload={"meeting_at": "2026-11-24T15:00:00+00:00", "situations_count": 1},
                 recipient_kind="user")
    item = renderer.compose(work, sent_at=datetime.now(UTC))
    assert item.link == "/meetings"
    assert item.subject == "[Peel Situation Table] Agenda ready for the meeting on 2026-11-24 10:00"
    assert item.user_id == 1 and item.text == item.html == ""


def test_rules_speak_in_the_packs_own_words_and_numbers_in_the_readers_grammar():
    """A flag and a rule's notice name what happened in the recipient's language (the pack's
    label), never its code; one situation is "one situation", not "1 situation(s)"."""
    renderer = Renderer("https://hub.example.org")
    labels = {"flag_label_en": "Duty to report: child at risk",
              "flag_label_vi": "Trách nhiệm tố giác",
              "rule_label_en": "Report-back overdue", "rule_label_vi": "Quá hạn báo cáo lại"}
    for event_type, key, code in (("situation.flagged", "flag_label", "open_4_meetings"),
                                  ("rule.notify", "rule_label", "duty_to_report")):
        for lang in ("en", "vi"):
            mail = renderer.compose(_work(event_type, lang, "email",
                                          payload={**PAYLOAD, **labels}),
                                    sent_at=datetime.now(UTC))
            said = labels[f"{key}_{lang}"]
            assert said in mail.subject and said in mail.text
            assert code not in mail.text
    one = renderer.compose(_work("round.opened", "en", "email",
                                 payload={**PAYLOAD, "situations_count": 1,
                                          "closes_at": "2026-11-25T15:00:00+00:00"}),
                           sent_at=datetime.now(UTC))
    assert "on one situation." in one.text and "(s)" not in one.text


def test_vietnamese_emails_call_identity_what_the_pages_call_it():
    """The pages say "thông tin nhận dạng" (identifying information) for Filter 3's limited
    identity; an email that said "danh tính" would name a second thing."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in (TEMPLATE_DIR / "vi").glob("*.j2")}
    assert not [name for name, text in texts.items() if "danh tính" in text]
    assert "thông tin nhận dạng" in texts["situation.disclosed.j2"]


def _directory_changes() -> list[str]:
    source = (TEMPLATE_DIR.parents[1] / "workflow" / "directory_admin.py").read_text()
    return sorted(set(re.findall(r'_tell_agency\(session, [^,]+, "([a-z_.]+)"\)', source)))


@pytest.mark.parametrize("change", _directory_changes())
def test_every_directory_change_the_core_tells_is_named_in_both_languages(change):
    renderer = Renderer("https://hub.example.org")
    for lang, fallback in (("en", "(a change)"), ("vi", "(một thay đổi)")):
        work = _work("directory.changed", lang, "email", payload={"change": change})
        assert fallback not in renderer.compose(work, sent_at=datetime.now(UTC)).text, lang


def test_the_chairs_read_a_tables_privacy_settings_as_they_now_stand():
    renderer = Renderer("https://hub.example.org")
    payload = {"change": "table.privacy", "retention_days": 30, "small_cell_threshold": 10}
    for lang, words in (("en", "kept 30 days"), ("vi", "lưu giữ 30 ngày")):
        work = _work("directory.changed", lang, "email", payload=payload)
        text = renderer.compose(work, sent_at=datetime.now(UTC)).text
        assert words in text and " 10." in text, lang
