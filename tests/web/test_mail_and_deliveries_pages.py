"""Administrators' Mail page (what the local sink kept) and Failing deliveries page (requeue)."""

from __future__ import annotations

from sqlalchemy import select, update
from support.notify import emit_event

from workflow import deliveries, kept_mail
from workflow.models import Delivery

from .conftest import signed_in

RAW = (b"X-Envelope-To: school@agencies.test\r\nFrom: hub@x.test\r\nTo: school@agencies.test\r\n"
       b"Subject: Situation <b>accepted</b>\r\nMessage-ID: <7.email@x>\r\n"
       b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=BB\r\n\r\n"
       b"--BB\r\nContent-Type: text/plain\r\n\r\nPlain words\r\n"
       b"--BB\r\nContent-Type: text/html\r\n\r\n"
       b"<p onclick=\"x()\">Rich <script>x()</script></p>\r\n"
       b"--BB--\r\n")


def test_the_mail_page_lists_and_shows_kept_mail_escaped(app, tmp_path):
    directory = kept_mail.mail_dir(tmp_path)
    directory.mkdir()
    (directory / "00000000000000000001-1-000001.eml").write_bytes(RAW)
    web = signed_in(app, "admin")
    page = web.get("/admin/mail").get_data(as_text=True)
    assert "Situation &lt;b&gt;accepted&lt;/b&gt;" in page and "/admin/mail/1" in page
    shown = web.get("/admin/mail/1")
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Plain words" in text
    assert "&lt;script&gt;x()&lt;/script&gt;" in text and "<script>x()" not in text
    assert web.get("/admin/mail/2").status_code == 404


def test_only_administrators_see_mail_and_deliveries(app):
    chair = signed_in(app, "chair")
    assert chair.get("/admin/mail").status_code == 403
    assert chair.get("/admin/deliveries").status_code == 403


def test_failing_deliveries_are_listed_and_dead_ones_requeued(app, world):
    emit_event(world, "situation.closed", None, ["police", "school"])
    with world.runtime.command() as s:
        deliveries.expand_events(s)
        s.execute(update(Delivery).values(status="dead", attempts=6,
                                          last_error="smtp server unreachable"))
    web = signed_in(app, "admin")
    page = web.get("/admin/deliveries").get_data(as_text=True)
    assert "smtp server unreachable" in page and "given up" in page
    with world.runtime.read() as s:
        first = s.scalars(select(Delivery.id).order_by(Delivery.id)).first()
    response = web.post("/admin/deliveries/requeue", {"delivery_id": str(first)})
    assert response.status_code == 303
    with world.runtime.read() as s:
        statuses = dict(s.execute(select(Delivery.id, Delivery.status)).tuples().all())
    assert statuses[first] == "queued"
    assert [v for k, v in statuses.items() if k != first] and all(
        v == "dead" for k, v in statuses.items() if k != first)
