"""The filter-1 box and the filter-2 answer through the web UI (both databases): the typed
text (a canary) is in no row, log or page afterwards; the table sees counts only."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import MetaData, select
from support.factories import in_intervention
from web.conftest import app, signed_in  # noqa: F401 - the app fixture
from web.test_pages import _filter1

from linkage.helpers import close
from workflow.models import LinkageToken, Situation, utcnow

CANARY = "Qzxcanary Wvbtoken"
CANARY_DATE = "1987-11-23"


def _every_value(engine) -> str:
    """Every cell of every table, as text (what a dump of the database would hold). The
    timestamps the system sets are left out: their microseconds may spell "1987"."""
    out = []
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                out.extend(repr(v) for v in row if not isinstance(v, datetime))
    return "\n".join(out)


def test_canary_typed_at_filter1_is_in_no_row_log_or_page(app, runtime, world, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    web = signed_in(app, "school")
    pages = []
    bad = web.post("/situations/new", _filter1(table_id=str(world.table_id), action="save",
                                               check_name=CANARY, check_birth_date="23/11/1987"))
    pages.append(bad.get_data(as_text=True))
    assert bad.status_code == 400 and "not a date" in pages[-1]
    ok = web.post("/situations/new", _filter1(table_id=str(world.table_id), action="save",
                                              check_name=CANARY, check_birth_date=CANARY_DATE))
    assert ok.status_code == 302
    pages.append(web.get(ok.headers["Location"]).get_data(as_text=True))
    with runtime.read() as s:
        sid = s.scalars(select(Situation.id)).one()
        assert s.scalars(select(LinkageToken.source).where(
            LinkageToken.situation_id == sid)).all() == ["filter1"]
    pages.append(web.get(f"/situations/{sid}").get_data(as_text=True))
    for page in pages:
        assert CANARY not in page and CANARY_DATE not in page and "23/11/1987" not in page
    assert 'name="check_name" type="text" autocomplete="off" maxlength="200" value=""' \
        in pages[1]
    dump = _every_value(runtime.engine) + _every_value(runtime.keystore_engine)
    for needle in (CANARY, CANARY.split()[0], CANARY.lower(), CANARY_DATE, "1987"):
        assert needle not in dump, needle
    logs = caplog.text
    assert CANARY not in logs and CANARY_DATE not in logs
    if runtime.database_url.startswith("sqlite"):
        path = runtime.database_url.removeprefix("sqlite:///")
        for suffix in ("", "-wal"):
            file = Path(path + suffix)
            if not file.exists():
                continue
            raw = file.read_bytes()
            assert CANARY.encode() not in raw and CANARY_DATE.encode() not in raw


def test_the_table_sees_seen_before_as_counts_and_may_ask_for_contact(app, runtime, world):  # noqa: F811
    earlier = utcnow() - timedelta(days=40)
    first, _ = in_intervention(world, identity_name="Nguyễn Thị Lan", now=earlier)
    close(world, first, now=earlier + timedelta(days=1))
    web = signed_in(app, "school")
    response = web.post("/situations/new", _filter1(table_id=str(world.table_id),
                                                    check_name="Nguyen Thi Lann",
                                                    check_birth_date="1999-01-04"))
    assert response.status_code == 302
    with runtime.read() as s:
        sid = max(s.scalars(select(Situation.id)))
    chair = signed_in(app, "chair")
    meeting = chair.get(f"/meeting/table/{world.table_id}").headers["Location"]
    mid = int(meeting.rstrip("/").rsplit("/", 1)[1])
    html = chair.get(f"/meetings/{mid}/situations/{sid}").get_data(as_text=True)
    month = (earlier + timedelta(days=1)).strftime("%Y-%m")
    assert "Likely discussed before: 1 time at this table" in html
    assert f"last closed {month} (risk lowered)" in html
    assert "At another table in the region: <strong>no</strong>" in html
    assert "Lan" not in html and "1999" not in html
    refused = chair.post(f"/meetings/{mid}/situations/{sid}/contact", {})
    body = re.sub(r"<[^>]+>", " ", refused.get_data(as_text=True))
    assert refused.status_code == 400, body
    assert "no other table" in body, " ".join(body.split())[-800:]




def test_the_api_takes_an_optional_earlier_check_and_never_echoes_it(app, runtime, world,  # noqa: F811
                                                                     caplog):
    from web.test_api_helpers import DRAFT, make_api

    caplog.set_level(logging.DEBUG)
    api = make_api(app, runtime, world)
    bad = api.post("/situations", {**DRAFT, "earlier_check": {"name": CANARY,
                                                              "birth_date": "23/11/1987"}},
                   agency="school")
    assert bad.status_code in (400, 422) and CANARY not in bad.get_data(as_text=True)
    assert "23/11/1987" not in bad.get_data(as_text=True)
    ok = api.post("/situations", {**DRAFT, "earlier_check": {"name": CANARY,
                                                             "birth_date": CANARY_DATE}},
                  agency="school")
    assert ok.status_code == 201, ok.get_data(as_text=True)
    assert CANARY not in ok.get_data(as_text=True) and CANARY_DATE not in ok.get_data(as_text=True)
    with runtime.read() as s:
        assert s.scalars(select(LinkageToken.source)).all() == ["filter1"]
    dump = _every_value(runtime.engine)
    assert CANARY not in dump and CANARY_DATE not in dump
    assert CANARY not in caplog.text
