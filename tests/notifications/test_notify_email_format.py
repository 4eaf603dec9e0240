"""The email serialiser: valid MIME that any mail reader parses back to the same text."""

from __future__ import annotations

import email
from email import policy

import pytest

from notifications.channels.base import ChannelError
from notifications.channels.email import SmtpServer, build_email
from notifications.message import Message


def _message(**overrides) -> Message:
    values = dict(key="7/email/agency:3", channel="email", to="police@agencies.test",
                  language="vi", subject="[Bàn Cần Thơ] Trường hợp CT-000001 đã kết thúc",
                  text="Dòng một\n.dòng bắt đầu bằng dấu chấm\n" + "dài " * 60 + "\nhết",
                  html="<p>Xin chào &amp; tạm biệt</p>", link="", document={},
                  event_type="situation.closed")
    values.update(overrides)
    return Message(**values)


def test_parts_headers_and_text_survive_a_round_trip():
    m = _message()
    raw = build_email(m, "hubtable@table.test")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"] == m.subject
    assert parsed["Message-ID"] == "<hubtable.7.email.agency-3@table.test>"
    assert parsed["X-Hubtable-Delivery"] == "7/email/agency:3"
    assert parsed["Content-Language"] == "vi"
    def content(subtype):  # as a reader shows it: line ends normalised
        return parsed.get_body((subtype,)).get_content().replace("\r\n", "\n")

    assert content("plain") == m.text
    assert content("html") == m.html
    assert not parsed.defects


def test_a_long_ascii_subject_is_folded_not_truncated():
    subject = "[A very long table name indeed] " + "word " * 30
    parsed = email.message_from_bytes(build_email(_message(subject=subject.strip()), "h@t.test"),
                                      policy=policy.default)
    assert parsed["Subject"] == subject.strip()


def test_a_header_that_would_span_lines_is_refused():
    with pytest.raises(ChannelError, match="Subject header would span lines"):
        build_email(_message(subject="hello\r\nBcc: someone@else.test"), "h@t.test")


def test_smtp_urls():
    assert SmtpServer.parse("smtp://127.0.0.1:8025") == SmtpServer("smtp", "127.0.0.1", 8025)
    assert SmtpServer.parse("smtps://u%40x:p%2Fw@mail.test") == SmtpServer(
        "smtps", "mail.test", 465, "u@x", "p/w")
    assert SmtpServer.parse("smtp+starttls://mail.test").port == 587
    with pytest.raises(ValueError, match="not 'http://mail.test'"):
        SmtpServer.parse("http://mail.test")
    with pytest.raises(ValueError, match=r"\*\*\*"):
        SmtpServer.parse("ftp://user:secret@mail.test")
    with pytest.raises(ValueError, match="port"):
        SmtpServer.parse("smtp://mail.test:port")
