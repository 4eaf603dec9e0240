"""Times on pages are on the table's clock, as the same moments in its emails are; a moment no
table places says it is UTC. Before, a round's closing time and a first contact's due time
were shown in UTC with no marker, five hours off the emails of an Ontario table in winter."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support.factories import in_intervention, submitted

from web.conftest import signed_in
from workflow import api_tokens, rounds
from workflow.models import Agency, Situation, utcnow

TORONTO = ZoneInfo("America/Toronto")


def _clock(moment: datetime) -> str:
    """The hour, minutes and seconds of a 12-hour clock ("10:00:00"), as the pages show it."""
    return moment.strftime("%I:%M:%S").lstrip("0")


def _round_closing_tomorrow_at_15_utc(world) -> tuple[int, datetime]:
    sid = submitted(world)
    closes = (utcnow() + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    with world.runtime.command() as s:
        rid = rounds.open_round(s, world.user(s, "chair"), [sid], closes_at=closes).id
    return rid, closes


def test_a_round_closes_on_its_tables_clock_on_every_page(app, world):
    rid, closes = _round_closing_tomorrow_at_15_utc(world)
    local, utc = _clock(closes.astimezone(TORONTO)), _clock(closes)
    assert local != utc  # 10:00:00 in Toronto, 3:00:00 in UTC
    chair = signed_in(app, "chair")
    for page in (chair.get("/rounds").get_data(as_text=True),
                 chair.get(f"/rounds/{rid}").get_data(as_text=True),
                 signed_in(app, "cmha").get("/rounds").get_data(as_text=True)):
        assert re.search(rf"\b{local}\s*AM", page), page[:2000]
        assert not re.search(rf"\b{utc}\s*PM", page)


def test_a_first_contact_is_due_on_its_tables_clock(app, world):
    sid, _mid = in_intervention(world)
    with world.runtime.read() as s:
        due = s.get(Situation, sid).first_contact_due
    assert due is not None
    due = due if due.tzinfo else due.replace(tzinfo=ZoneInfo("UTC"))
    page = signed_in(app, "cmha").get("/agency").get_data(as_text=True)
    assert _clock(due.astimezone(TORONTO)) in page
    assert _clock(due.astimezone(ZoneInfo("UTC"))) not in page


def test_a_moment_no_table_places_says_utc(app, world):
    with world.runtime.command() as s:
        agency = s.scalar(select(Agency).where(Agency.id == world.agencies["cmha"]))
        api_tokens.issue(s, agency, label="Case system", days=30)
    page = signed_in(app, "admin").get(f"/admin/agencies/{world.agencies['cmha']}")
    row = re.search(r"<tr><td>Case system</td>(.*?)</tr>", page.get_data(as_text=True), re.S)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[0].endswith(" UTC") and cells[1].endswith(" UTC"), cells
