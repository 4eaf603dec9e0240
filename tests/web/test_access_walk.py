"""Every route of the app, as every role and as another table's agency: the expected 200, 302,
403 or 404, and a canary identity that appears only on the identity page of granted agencies.

The routes come from `app.url_map`, so a new page that nobody added here fails the test.
"""

from __future__ import annotations

import pytest
from support.factories import in_intervention

from web.conftest import Web, signed_in
from workflow import meetings
from workflow.models import Situation, Table, utcnow
from workflow.reports import store_monthly

CANARY = "CANARY-Qx7-Zebediah"
ROLES = ("anon", "school", "cmha", "housing", "hospital", "outsider", "chair", "manager",
         "admin")
REPS = ("school", "cmha", "housing", "hospital", "outsider")
GRANTED = ("school", "cmha", "housing")  # school presented it; cmha leads; housing assists
# Routes of the other web areas (their own tests check them): here only "no leak, no crash".
OTHERS = ("api.", "reports.", "static")


def _visible(role: str) -> bool:
    return role in GRANTED or role == "chair"


def expected_get(endpoint: str, role: str, *, other_table: bool = False) -> int | None:
    """The status a GET must answer; None for routes this test only scans for leaks."""
    if endpoint.startswith(OTHERS):
        return None
    if endpoint == "health.healthz":
        return 200
    if endpoint == "auth.login":
        return 200 if role == "anon" else 302
    if role == "anon":
        return 302
    if endpoint == "home.index":
        return 200 if role == "manager" else 302
    if endpoint in ("auth.password", "inbox.index"):
        return 200
    if endpoint == "agency.home":
        return 200 if role in (*REPS, "chair") else 403
    if endpoint == "situations.new":
        return 200 if role in (*REPS, "chair") else 403
    if endpoint == "situations.view":
        return 200 if _visible(role) else 404
    if endpoint == "situations.edit":  # not a draft any more: back to the record
        if role in ("manager", "admin"):
            return 403
        if not _visible(role):
            return 404
        return 302 if role in ("school", "chair") else 403
    if endpoint == "situations.identity":
        if role in GRANTED:
            return 200
        return 403 if role == "chair" else 404
    if endpoint == "dashboard.index":
        return 200 if role == "chair" else 403
    if endpoint == "dashboard.rules":
        if role == "chair":
            return 200
        return 403 if _visible(role) else 404
    if endpoint.startswith("meeting."):
        if role != "chair" or other_table:
            return 403
        return 302 if endpoint in ("meeting.current", "meeting.table_next") else 200
    if endpoint.startswith("admin.") or endpoint == "webhooks.admin":
        return 200 if role == "admin" else 403
    if endpoint in ("admin_users.edit", "admin_agencies.edit"):  # none with the walk's id
        return 404 if role == "admin" else 403
    if endpoint == "webhooks.agency":
        return 200 if role in (*REPS, "chair") else 403
    if endpoint == "confirmations.index":  # only those who may read identity confirm others
        return 200 if role in (*REPS, "chair") else 403
    if endpoint in ("mail.index", "deliveries.index"):  # the operator's pages
        return 200 if role == "admin" else 403
    if endpoint == "mail.show":  # no message with the walk's number
        return 404 if role == "admin" else 403
    if endpoint in ("rounds.index", "rounds.follow_ups"):  # each lists only the user's own
        return 200
    if endpoint == "rounds.minutes":  # no round with the walk's id
        return 404
    if endpoint.startswith("rounds."):  # tests/rounds checks who may see these; here no leak
        return None
    if endpoint.startswith("report_archive."):  # stored monthly reports: managers and chairs
        if role not in ("manager", "chair"):
            return 403
        return 404 if other_table else 200  # another table's: as if there were none
    raise AssertionError(f"no expectation for GET {endpoint}: add one to this test")


def expected_post(endpoint: str, role: str) -> int | None:
    """Refusals only: a POST by someone without the right must change nothing and say so."""
    if endpoint.startswith(OTHERS) or endpoint.startswith("auth.") or role == "anon":
        return None
    if endpoint.startswith(("admin.", "admin_users.", "admin_agencies.")) \
            or endpoint == "webhooks.admin":
        return None if role == "admin" else 403
    if endpoint == "webhooks.agency":
        return None if role in (*REPS, "chair") else 403
    if endpoint.startswith("meeting."):
        return None if role == "chair" else 403
    if endpoint in ("situations.new", "situations.edit"):
        return 403 if role in ("manager", "admin") else None
    if endpoint == "situations.replan":  # the chair's change of the plan between meetings
        if not _visible(role):
            return 404
        return None if role == "chair" else 403
    if endpoint.startswith("situations."):
        return 404 if not _visible(role) else None
    if endpoint == "inbox.read":
        return 404
    if endpoint == "deliveries.requeue":
        return None if role == "admin" else 403
    if endpoint.startswith("rounds."):  # tests/rounds walks who may open and answer rounds
        return None
    if endpoint == "confirmations.confirm":  # nobody to confirm with that id
        return 404 if role in (*REPS, "chair") else 403
    if endpoint in ("inbox.read_all",):
        return None
    raise AssertionError(f"no expectation for POST {endpoint}: add one to this test")


@pytest.fixture
def scene(app, runtime, world):
    sid, mid = in_intervention(world, identity_name=CANARY)
    period = utcnow().strftime("%Y-%m")  # the month the canary's situation was presented in
    with runtime.command() as s:
        other = s.query(Table).filter_by(code="OTHER").one()
        other_mid = meetings.next_meeting(s, other).id
        task_id = s.get(Situation, sid).tasks[0].id
        other_table_id = other.id
        for table_id in (world.table_id, other.id):
            store_monthly(s, table_id, period)
    return {"situation_id": sid, "meeting_id": mid, "task_id": task_id,
            "table_id": world.table_id, "flag_id": 999999, "item_id": 999999,
            "key": "x", "fmt": "csv", "user_id": 999999, "agency_id": 999999, "number": 999999,
            "round_id": 999999, "token_id": 999999, "filename": "css/app.css",
            "rest": "nothing",
            "other_meeting_id": other_mid, "other_table_id": other_table_id,
            "table_code": "PEEL", "period": period, "other_table_code": "OTHER"}


def _client(app, role: str) -> Web:
    if role == "anon":
        web = Web(app.test_client())
        web.refresh_token("/login")
        return web
    return signed_in(app, role)


def _urls(app, scene, method: str):
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if method not in rule.methods:
                continue
            values = {name: scene[name] for name in rule.arguments}
            yield rule.endpoint, url_for(rule.endpoint, **values), False
            if "meeting_id" in rule.arguments and "situation_id" not in rule.arguments:
                values["meeting_id"] = scene["other_meeting_id"]
                yield rule.endpoint, url_for(rule.endpoint, **values), True
            if rule.endpoint == "meeting.table_next":
                values["table_id"] = scene["other_table_id"]
                yield rule.endpoint, url_for(rule.endpoint, **values), True
            if "table_code" in rule.arguments:  # another table's stored monthly report
                values["table_code"] = scene["other_table_code"]
                yield rule.endpoint, url_for(rule.endpoint, **values), True


def test_every_get_route_answers_as_expected_and_leaks_no_identity(app, scene):
    granted_saw_canary = set()
    failures = []
    for role in ROLES:
        web = _client(app, role)
        for endpoint, url, other in _urls(app, scene, "GET"):
            response = web.get(url)
            body = response.get_data(as_text=True)
            want = expected_get(endpoint, role, other_table=other)
            if want is not None and response.status_code != want:
                failures.append(f"GET {url} as {role}: {response.status_code}, expected {want}")
            if response.status_code >= 500:
                failures.append(f"GET {url} as {role}: server error")
            if CANARY in body:
                if endpoint == "situations.identity" and role in GRANTED:
                    granted_saw_canary.add(role)
                else:
                    failures.append(f"GET {url} as {role}: the identity canary leaked")
            assert CANARY not in str(response.headers)
    assert not failures, "\n".join(failures)
    assert granted_saw_canary == set(GRANTED)  # the canary is real: granted users do see it


def test_every_post_route_refuses_who_may_not(app, scene, runtime):
    from workflow.models import AuditEntry

    with runtime.read() as s:
        before = s.query(AuditEntry).count()
    failures = []
    for role in ROLES:
        web = _client(app, role)
        for endpoint, url, _other in _urls(app, scene, "POST"):
            want = expected_post(endpoint, role)
            if want is None:
                continue
            response = web.post(url, {"agency_ids": ["1"], "decision": "accept",
                                      "conclusion_reason": "lowered_connected",
                                      "lead_agency_id": "1", "progress_note": "x"})
            if response.status_code != want:
                failures.append(f"POST {url} as {role}: {response.status_code}, expected {want}")
            if CANARY in response.get_data(as_text=True):
                failures.append(f"POST {url} as {role}: the identity canary leaked")
    assert not failures, "\n".join(failures)
    with runtime.read() as s:  # refusals write nothing but the vault's own refusal entries
        assert s.query(AuditEntry).filter(AuditEntry.action != "identity.read_refused"
                                          ).count() == before
