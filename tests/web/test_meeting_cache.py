"""The meeting page's kept agenda (webui.agenda_cache): served again while nothing commits, never
another reader's controls, never a stale decision, whoever committed (issue 17).

Each test first proves the cache is really used (a hit), so none passes because nothing is kept.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select
from support.factories import PASSWORD, open_meeting, submitted

from web.conftest import _TOKEN, Web, signed_in
from webui.views import meeting as meeting_views
from workflow import directory, situations
from workflow.models import Deadline, User, UserTableScope, utcnow
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def _cache(app):
    return app.extensions["hubtable_agenda_cache"]


def _row(html: str, sid: int) -> str:
    """The agenda row of one situation (its link ends in /situations/ID)."""
    found = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*?/situations/{sid}".*?</tr>', html, re.S)
    assert found, f"situation {sid} is not on the agenda"
    return found.group(0)


def _section(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">.*?</section>', html, re.S)
    assert found, heading_id
    return found.group(0)


def _untokened(html: str) -> str:
    """A page without its CSRF tokens: Flask-WTF signs each with the second it was issued,
    so two reads a second apart differ there and nowhere else."""
    return _TOKEN.sub('name="csrf_token" value=""', html)


def _page(response) -> str:
    return _untokened(response.get_data(as_text=True))


def _second_chair(app, world, language: str = "en") -> Web:
    """Another coordinator of the same table, in a session of their own."""
    with world.runtime.command() as s:
        directory.create_user(s, email="cochair@demo.hubtable.test", display_name="Co-chair",
                              password="", role="chair", agency_id=world.agencies["cmha"],
                              language=language,
                              table_ids=[world.table_id],
                              password_hash=directory.hash_password(PASSWORD))
    return signed_in(app, "cochair")


def _warm(app, chair: Web, mid: int) -> str:
    """Two reads with nothing committed between: the second must come from the cache."""
    first = chair.get(f"/meetings/{mid}")
    assert first.status_code == 200
    hits = _cache(app).hits
    second = chair.get(f"/meetings/{mid}")
    assert second.status_code == 200
    assert _cache(app).hits == hits + 1, "the second read was not served from the cache"
    return second.get_data(as_text=True)


def test_a_second_read_is_kept_and_identical(app, world):
    sid = submitted(world)
    mid = open_meeting(world)
    chair = signed_in(app, "chair")
    first = chair.get(f"/meetings/{mid}").get_data(as_text=True)
    kept = _warm(app, chair, mid)
    assert _row(kept, sid) == _row(first, sid)
    assert _section(kept, "new-h") == _section(first, "new-h")


def test_no_one_outside_the_chair_sees_the_kept_agenda(app, world):
    sid = submitted(world)
    mid = open_meeting(world)
    _warm(app, signed_in(app, "chair"), mid)
    for key in ("school", "cmha", "manager", "outsider"):  # members, a manager, another table
        response = signed_in(app, key).get(f"/meetings/{mid}")
        assert response.status_code == 403, key
        html = response.get_data(as_text=True)
        assert f"/situations/{sid}" not in html and 'id="new-h"' not in html, key


def test_controls_and_csrf_tokens_are_each_readers_own(app, world):
    submitted(world)
    mid = open_meeting(world)
    chair = signed_in(app, "chair")
    cochair = _second_chair(app, world)
    mine = _warm(app, chair, mid)
    hits = _cache(app).hits
    theirs = cochair.get(f"/meetings/{mid}").get_data(as_text=True)
    assert _cache(app).hits == hits + 1  # the same kept tables...
    assert _section(theirs, "new-h") == _section(mine, "new-h")
    my_token, their_token = _TOKEN.search(mine).group(1), _TOKEN.search(theirs).group(1)
    assert my_token != their_token  # ...but each session's own token around them
    assert chair.get(f"/meetings/{mid}").get_data(as_text=True).count(my_token) >= 1
    # One reader's flash and errors are theirs alone.
    chair.post(f"/meetings/{mid}/attendance", {"all": "yes"})
    assert "Attendance recorded." not in cochair.get(f"/meetings/{mid}").get_data(as_text=True)
    # The co-chair's own token (from the page they were served) is the one their session takes.
    cochair.token = their_token
    response = cochair.post(f"/meetings/{mid}/close")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_a_decision_through_the_web_shows_at_once(app, world):
    sid = submitted(world)
    mid = open_meeting(world)
    chair = signed_in(app, "chair")
    before = _row(_warm(app, chair, mid), sid)
    response = chair.post(f"/meetings/{mid}/situations/{sid}/decide", {"decision": "accept"})
    assert response.status_code == 302
    after = _row(chair.get(f"/meetings/{mid}").get_data(as_text=True), sid)
    assert after != before
    assert ">accepted<" in after and ">accepted<" not in before


def test_a_decision_by_another_runtime_shows_at_once(app, world, runtime, tmp_path):
    """Another process's write (here: a Runtime of its own, its own engine and connections)."""
    sid = submitted(world)
    mid = open_meeting(world)
    chair = signed_in(app, "chair")
    before = _row(_warm(app, chair, mid), sid)
    other = Runtime(database_url=runtime.database_url, keystore_url=runtime.keystore_url,
                    identity_key=runtime.identity_key)
    try:
        with other.command() as s:
            situations.reject(s, world.user(s, "chair"), sid, mid, "not_aer",
                              "Not acutely elevated.")
        newcomer = submitted(world)  # and a situation arriving meanwhile
    finally:
        other.dispose()
    html = chair.get(f"/meetings/{mid}").get_data(as_text=True)
    after = _row(html, sid)
    assert after != before and ">rejected<" in after and ">rejected<" not in before
    assert _row(html, newcomer)


_DECIDE_ELSEWHERE = """
import sys
from workflow import situations
from workflow.models import User
from workflow.runtime import Runtime
from sqlalchemy import select
runtime = Runtime(database_url=sys.argv[1], keystore_url=sys.argv[2], identity_key=sys.argv[3])
with runtime.command() as s:
    chair = s.scalar(select(User).where(User.email == "chair@demo.hubtable.test"))
    situations.accept(s, chair, int(sys.argv[4]), int(sys.argv[5]))
runtime.dispose()
"""


def test_a_decision_by_another_process_shows_at_once(app, world, runtime):
    sid = submitted(world)
    mid = open_meeting(world)
    chair = signed_in(app, "chair")
    before = _row(_warm(app, chair, mid), sid)
    done = subprocess.run([sys.executable, "-c", _DECIDE_ELSEWHERE, runtime.database_url,
                           runtime.keystore_url, runtime.identity_key, str(sid), str(mid)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    after = _row(chair.get(f"/meetings/{mid}").get_data(as_text=True), sid)
    assert after != before and ">accepted<" in after


def test_a_deadline_passing_shows_overdue_with_no_commit(app, world, monkeypatch):
    sid = submitted(world)
    mid = open_meeting(world)
    due = utcnow() + timedelta(hours=2)
    with world.runtime.command() as s:
        s.add(Deadline(situation_id=sid, kind="test_cache_due", due_at=due))
    chair = signed_in(app, "chair")
    assert "overdue" not in _row(_warm(app, chair, mid), sid)
    later = due + timedelta(minutes=1)
    monkeypatch.setattr(meeting_views, "utcnow", lambda: later)
    assert "overdue" in _row(chair.get(f"/meetings/{mid}").get_data(as_text=True), sid)


def test_each_language_gets_its_own_tables(app, world):
    """Readers in two languages with nothing committed between them: each sees their own."""
    submitted(world)
    mid = open_meeting(world)
    chair, cochair = signed_in(app, "chair"), _second_chair(app, world, language="vi")
    english = _warm(app, chair, mid)
    assert "New situations" in _section(english, "new-h")
    vietnamese = _page(cochair.get(f"/meetings/{mid}"))
    assert "New situations" not in _section(vietnamese, "new-h")
    assert _section(vietnamese, "new-h") != _section(english, "new-h")
    hits = _cache(app).hits
    assert _page(cochair.get(f"/meetings/{mid}")) == vietnamese
    assert _page(chair.get(f"/meetings/{mid}")) == _untokened(english)
    assert _cache(app).hits == hits + 2  # both kept, side by side
    # Switching language (it commits the reader's choice) gives the other one.
    assert chair.post("/language", {"language": "vi"}).status_code in (302, 303)
    assert _section(chair.get(f"/meetings/{mid}").get_data(as_text=True),
                    "new-h") == _section(vietnamese, "new-h")


def test_a_reader_whose_chair_is_taken_away_is_refused_at_once(app, world):
    """Admitted readers are listed per data version: the commit that takes the table away
    gives a new one, where the core is asked again."""
    sid = submitted(world)
    mid = open_meeting(world)
    chair, cochair = signed_in(app, "chair"), _second_chair(app, world)
    _warm(app, chair, mid)
    assert cochair.get(f"/meetings/{mid}").status_code == 200  # admitted to the kept agenda
    with world.runtime.command() as s:
        user = s.scalar(select(User).where(User.email == "cochair@demo.hubtable.test"))
        s.execute(delete(UserTableScope).where(UserTableScope.user_id == user.id))
    refused = cochair.get(f"/meetings/{mid}")
    assert refused.status_code == 403
    assert f"/situations/{sid}" not in refused.get_data(as_text=True)
    assert chair.get(f"/meetings/{mid}").status_code == 200
