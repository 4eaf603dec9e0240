"""The web UI through Flask's test client, on SQLite and PostgreSQL: sign-in, forms, security."""

from __future__ import annotations

import os
import re
import time

from sqlalchemy import select
from support.factories import PASSWORD, in_intervention, submitted

from web.conftest import Web, make_settings, signed_in
from webui import create_app
from workflow.models import AuditEntry, Situation, User


def _error_near(html: str, field: str) -> str:
    """The error message rendered for `field` (the paragraph with id FIELD-error)."""
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', html, re.S)
    assert found, f"no error shown next to {field}"
    return re.sub(r"<[^>]+>", "", found.group(1))


# -- signing in --------------------------------------------------------------------------------
def test_wrong_password_is_refused_next_to_the_field_and_keeps_the_email(web: Web):
    response = web.login("school@demo.hubtable.test", "not-the-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "do not match" in _error_near(html, "password")
    assert 'value="school@demo.hubtable.test"' in html
    assert web.get("/agency").status_code == 302  # still signed out


def test_sign_in_and_out(app):
    web = signed_in(app, "school")
    assert web.get("/agency").status_code == 200
    assert web.post("/logout").status_code == 302
    response = web.get("/agency")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_pages_need_sign_in(web: Web):
    for path in ("/agency", "/dashboard", "/meeting", "/admin", "/situations/new"):
        response = web.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_idle_session_times_out(app):
    web = signed_in(app, "school")
    with web.client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    response = web.get("/agency")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert web.get("/agency").status_code == 302


def test_password_change_ends_other_sessions(app, runtime):
    first, second = signed_in(app, "school"), signed_in(app, "school")
    response = first.post("/account/password", {"current_password": PASSWORD,
                                                 "new_password": "another-long-password",
                                                 "repeat_password": "another-long-password"})
    assert response.status_code == 302
    assert first.get("/agency").status_code == 200
    assert second.get("/agency").status_code == 302
    assert Web(app.test_client()).login("school@demo.hubtable.test",
                                        "another-long-password").status_code == 302


def test_password_change_errors_are_next_to_their_field(app):
    web = signed_in(app, "school")
    html = web.post("/account/password", {"current_password": "wrong-password!",
                                          "new_password": "another-long-password",
                                          "repeat_password": "another-long-password"}
                    ).get_data(as_text=True)
    assert "not right" in _error_near(html, "current_password")
    html = web.post("/account/password", {"current_password": PASSWORD, "new_password": "short",
                                          "repeat_password": "short"}).get_data(as_text=True)
    assert "10 characters" in _error_near(html, "new_password")


def test_login_attempts_are_rate_limited(app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    web = Web(app.test_client())
    codes = [web.login("school@demo.hubtable.test", "wrong-password").status_code
             for _ in range(4)]
    assert codes == [400, 400, 400, 429]


# -- security ---------------------------------------------------------------------------------
def test_security_headers_and_cookie_flags(app):
    web = Web(app.test_client())
    response = web.get("/login")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_behind_https(runtime, world, tmp_path):
    app = create_app(make_settings(runtime, tmp_path, base_url="https://table.example"),
                     runtime=runtime, testing=True)
    client = app.test_client()
    response = client.get("/login", base_url="https://table.example")
    assert "Secure" in response.headers["Set-Cookie"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    # pages send no Referer (no-referrer policy): a form posted over HTTPS must still work
    response = client.post("/login", base_url="https://table.example",
                           data={"email": "school@demo.hubtable.test", "password": PASSWORD,
                                 "csrf_token": token.group(1)})
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_or_style_in_pages(app, world):
    sid, mid = in_intervention(world)
    web = signed_in(app, "chair")
    for path in ("/dashboard", f"/meetings/{mid}", f"/meetings/{mid}/situations/{sid}"):
        html = web.get(path).get_data(as_text=True)
        assert "<script" not in html and "<style" not in html and " style=" not in html, path


def test_csrf_token_is_required(app):
    web = signed_in(app, "school")
    response = web.client.post("/situations/new", data={"situation_type": "person"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert Web(app.test_client()).client.post(
        "/login", data={"email": "school@demo.hubtable.test", "password": PASSWORD}
    ).status_code == 400


def test_language_switch_is_kept_for_the_user(app, runtime, world):
    web = signed_in(app, "school")
    response = web.post("/language", {"language": "vi", "next": "/agency"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/agency")
    html = web.get("/agency").get_data(as_text=True)
    assert 'lang="vi"' in html and "Cơ quan của tôi" in html
    with runtime.read() as s:
        assert s.get(User, world.users["school"]).language == "vi"
    again = signed_in(app, "school")
    assert 'lang="vi"' in again.get("/agency").get_data(as_text=True)


def test_redirects_stay_on_this_site(app):
    web = signed_in(app, "school")
    response = web.post("/display", {"large": "1", "next": "//evil.example/x"})
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert 'class="large' in web.get("/agency").get_data(as_text=True)


# -- filter 1 ---------------------------------------------------------------------------------
def _filter1(**overrides):
    data = {"table_id": "", "situation_type": "person", "age_group": "25-29",
            "gender": "female", "persons_count": "1",
            "risk_factors": ["mental_health.diagnosed", "housing.transient"],
            "aer_reasons": ["mental_health.diagnosed"],
            "summary": "Adult, recent eviction, not connected to care.",
            "options_exhausted": "yes", "needs_multiple_agencies": "yes",
            "harm_probable_imminent": "yes", "consent": "not_possible", "action": "submit"}
    data.update(overrides)
    return data


def test_filter1_form_keeps_input_and_shows_errors_next_to_fields(app, world):
    web = signed_in(app, "school")
    data = _filter1(table_id=str(world.table_id), age_group="", persons_count="many",
                    summary="Typed text that must survive")
    response = web.post("/situations/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "age group" in _error_near(html, "age_group").lower()
    assert "whole number" in _error_near(html, "persons_count")
    assert "Typed text that must survive" in html
    assert 'value="mental_health.diagnosed" checked' in html
    # a reason for AER that is not a chosen factor is the core's refusal, shown by the field
    response = web.post("/situations/new", _filter1(table_id=str(world.table_id),
                                                    aer_reasons=["drugs.person_use"]))
    assert "reason for AER" in _error_near(response.get_data(as_text=True), "aer_reasons")


def test_draft_is_kept_until_submitted(app, runtime, world):
    web = signed_in(app, "school")
    response = web.post("/situations/new", _filter1(table_id=str(world.table_id),
                                                    options_exhausted="", action="submit"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "exhausted" in _error_near(html, "options_exhausted")
    with runtime.read() as s:
        draft = s.scalars(select(Situation)).one()
        assert draft.stage == "draft"
    response = web.post(f"/situations/{draft.id}/edit", _filter1(action="submit"))
    assert response.status_code == 302
    with runtime.read() as s:
        assert s.get(Situation, draft.id).stage == "on_agenda"
    assert web.get(f"/situations/{draft.id}/edit").status_code == 302  # no edit after submit


def test_a_rule_packs_refusal_speaks_the_readers_language_not_only_the_tables(app, world):
    """The table speaks English; a reader who chose Vietnamese reads the pack's guard in
    Vietnamese (the pack writes both), and English again after switching back."""
    web = signed_in(app, "school")
    one_factor = _filter1(table_id=str(world.table_id), risk_factors=["mental_health.diagnosed"])

    def refusal() -> str:
        html = web.post("/situations/new", one_factor).get_data(as_text=True)
        return " ".join(re.findall(r'<p class="error"[^>]*>(.*?)</p>', html, re.S))

    assert "Record at least two risk factors" in refusal()
    assert web.post("/language", data={"language": "vi", "next": "/"}).status_code == 302
    vietnamese = refusal()
    assert "Hãy ghi nhận ít nhất hai yếu tố nguy cơ" in vietnamese
    assert "Record at least" not in vietnamese
    assert web.post("/language", data={"language": "en", "next": "/"}).status_code == 302
    assert "Record at least two risk factors" in refusal()


# -- meeting mode -----------------------------------------------------------------------------
def test_meeting_mode_walks_filters_two_to_four(app, runtime, world):
    accepted_id = submitted(world)
    rejected_id = submitted(world, by="hospital")
    web = signed_in(app, "chair")
    meeting = web.get(f"/meeting/table/{world.table_id}").headers["Location"]
    mid = int(meeting.rstrip("/").rsplit("/", 1)[1])
    agenda = web.get(f"/meetings/{mid}").get_data(as_text=True)
    assert agenda.index(f"PEEL-{accepted_id:06d}") > 0
    assert web.post(f"/meetings/{mid}/open").status_code == 302

    members = {slug: world.agencies[slug] for slug in ("police", "school", "cmha", "hospital",
                                                       "housing", "cas")}
    form = {f"present-{a}": "yes" for a in members.values()}
    form.update({f"ack-{a}": "yes" for a in members.values() if a != members["cas"]})
    html = web.post(f"/meetings/{mid}/attendance", form).get_data(as_text=True)
    assert "confidentiality" in _error_near(html, f"ack-{members['cas']}")
    form[f"ack-{members['cas']}"] = "yes"
    assert web.post(f"/meetings/{mid}/attendance", form).status_code == 302

    item = f"/meetings/{mid}/situations/{rejected_id}"
    response = web.post(item + "/decide", {"decision": "reject", "rejection_reason": "other"})
    assert response.status_code == 400
    assert "say why" in _error_near(response.get_data(as_text=True), "rejection_note")
    assert web.post(item + "/decide", {"decision": "reject",
                                       "rejection_reason": "single_agency"}).status_code == 302

    item = f"/meetings/{mid}/situations/{accepted_id}"
    assert web.post(item + "/decide", {"decision": "accept"}).status_code == 302
    response = web.post(item + "/disclose", {})
    assert "at least one agency" in _error_near(response.get_data(as_text=True), "agency_ids")
    assert web.post(item + "/disclose", {"agency_ids": [str(members["cmha"]),
                                                        str(members["housing"])],
                                         "legal_basis": "phipa_40_1"}
                    ).status_code == 302
    response = web.post(item + "/identity", {"person-0-name": "Kept Name",
                                             "person-0-birth_date": "31/12/1990"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not a date" in _error_near(html, "person-0-birth_date")
    assert 'value="Kept Name"' in html
    assert web.post(item + "/identity", {"person-0-name": "Kept Name",
                                         "person-0-birth_date": "1990-12-31"}).status_code == 302
    assert "Kept Name" not in web.get(item).get_data(as_text=True)

    response = web.post(item + "/plan", {"lead_agency_id": str(members["school"])})
    assert "granted" in _error_near(response.get_data(as_text=True), "lead_agency_id")
    response = web.post(item + "/plan", {"lead_agency_id": str(members["cmha"]),
                                         "task-1-agency_id": str(members["housing"]),
                                         "task-1-description": ""})
    assert "description" in _error_near(response.get_data(as_text=True), "task-1-description")
    response = web.post(item + "/plan", {"lead_agency_id": str(members["cmha"]),
                                         "assisting_agency_ids": [str(members["housing"])],
                                         "task-0-agency_id": str(members["housing"]),
                                         "task-0-description": "Find a shelter bed",
                                         "task-0-due_date": "2099-01-05"})
    assert response.status_code == 302
    with runtime.read() as s:
        sit = s.get(Situation, accepted_id)
        assert sit.stage == "intervention" and sit.lead_agency_id == members["cmha"]
        assert [t.description for t in sit.tasks] == ["Find a shelter bed"]
        assert s.get(Situation, rejected_id).stage == "rejected"
    minutes = web.get(f"/meetings/{mid}/minutes").get_data(as_text=True)
    assert f"PEEL-{rejected_id:06d}" in minutes and "Kept Name" not in minutes

    response = web.post(item + "/close", {"conclusion_reason": ""})
    assert "conclusion" in _error_near(response.get_data(as_text=True), "conclusion_reason")
    assert web.post(item + "/report-back", {"progress_note": "Door knock done",
                                            "first_contact_made": "yes",
                                            "still_aer": "no"}).status_code == 302
    with runtime.read() as s:
        task_id = s.get(Situation, accepted_id).tasks[0].id
    response = web.post(f"/situations/{accepted_id}/tasks/{task_id}",
                        {f"task-{task_id}-status": "done", "next": item})
    assert response.status_code == 302 and response.headers["Location"].endswith(item)
    response = web.post(item + "/close", {"conclusion_reason": "lowered_connected",
                                          "close_services": ["housing"]})
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>(.*?)</p>',
                                                   response.get_data(as_text=True), re.S)
    with runtime.read() as s:
        assert s.get(Situation, accepted_id).stage == "closed"


def test_identity_page_is_for_granted_agencies_and_every_view_is_audited(app, runtime, world):
    sid, _mid = in_intervention(world, identity_name="Granted Only Name")
    lead = signed_in(app, "cmha")
    html = lead.get(f"/situations/{sid}/identity").get_data(as_text=True)
    assert "Granted Only Name" in html
    chair = signed_in(app, "chair")  # sees the situation, but police was not granted
    assert chair.get(f"/situations/{sid}").status_code == 200
    assert chair.get(f"/situations/{sid}/identity").status_code == 403
    assert signed_in(app, "hospital").get(f"/situations/{sid}/identity").status_code == 404
    with runtime.read() as s:
        actions = [(e.action, e.actor_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.situation_id == sid))]
    assert ("identity.read", world.users["cmha"]) in actions
    assert ("identity.read_refused", world.users["chair"]) in actions


def test_agency_records_first_contact_and_task_progress(app, runtime, world):
    sid, _mid = in_intervention(world)
    housing = signed_in(app, "housing")
    page = housing.get("/agency").get_data(as_text=True)
    assert "Find shelter bed" in page
    with runtime.read() as s:
        task_id = s.get(Situation, sid).tasks[0].id
    response = housing.post(f"/situations/{sid}/tasks/{task_id}",
                            {f"task-{task_id}-status": "not_done"})
    assert "say why" in _error_near(response.get_data(as_text=True), f"task-{task_id}-note")
    assert housing.post(f"/situations/{sid}/tasks/{task_id}",
                        {f"task-{task_id}-status": "done"}).status_code == 302
    assert housing.post(f"/situations/{sid}/first-contact").status_code == 302
    with runtime.read() as s:
        sit = s.get(Situation, sid)
        assert sit.first_contact_at is not None and sit.tasks[0].status == "done"
    school = signed_in(app, "school")  # granted and originating, but neither lead nor assisting
    assert school.post(f"/situations/{sid}/first-contact").status_code == 403


def test_dashboard_lists_open_situations_with_filters(app, world):
    sid, _mid = in_intervention(world)
    new_id = submitted(world)
    web = signed_in(app, "chair")
    html = web.get("/dashboard").get_data(as_text=True)
    assert f"PEEL-{sid:06d}" in html and f"PEEL-{new_id:06d}" in html
    html = web.get("/dashboard?stage=intervention").get_data(as_text=True)
    assert f"PEEL-{sid:06d}" in html and f"PEEL-{new_id:06d}" not in html
    html = web.get("/dashboard?flagged=1").get_data(as_text=True)
    assert f"PEEL-{new_id:06d}" not in html
    assert signed_in(app, "school").get("/dashboard").status_code == 403


# -- administration ---------------------------------------------------------------------------
def test_admin_forms_keep_input_and_show_errors(app, world):
    web = signed_in(app, "admin")
    html = web.post("/admin/users", {"email": "not-an-email", "display_name": "Typed Name",
                                     "password": "long-enough-pw", "role": "agency_rep",
                                     "agency_id": str(world.agencies["school"])}
                    ).get_data(as_text=True)
    assert "does not look like" in _error_near(html, "email")
    assert 'value="Typed Name"' in html
    html = web.post("/admin/tables", {"code": "bad code", "name": "North", "country": "CA",
                                      "meeting_weekday": "2", "meeting_time": "09:30"}
                    ).get_data(as_text=True)
    assert "capital letters" in _error_near(html, "code")
    html = web.post(f"/admin/tables/{world.table_id}", {"form": "schedule",
                                                        "meeting_weekday": "3",
                                                        "meeting_time": "25:00"}
                    ).get_data(as_text=True)
    assert "HH:MM" in _error_near(html, "meeting_time")
    assert web.post(f"/admin/tables/{world.table_id}", {"form": "schedule",
                                                        "meeting_weekday": "3",
                                                        "meeting_time": "09:30",
                                                        "meeting_place": "Room 4"}
                    ).status_code == 302


def test_rule_pack_upload_lists_every_problem(app, runtime, world):
    web = signed_in(app, "admin")
    broken = "name: bad pack\nversion: 1\nrules:\n  - id: x\n    trigger: nowhere\n"
    response = web.post("/admin/rules", {"pack_text": broken})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("<li><code>") >= 2
    from rules.loader import PACKS_DIR
    source = (PACKS_DIR / "ontario.yaml").read_text()
    edited = re.sub(r"(?m)^version:.*$", 'version: "9.9-web"', source, count=1)
    assert web.post("/admin/rules", {"pack_text": edited}).status_code == 302
    assert "9.9-web" in web.get("/admin/rules").get_data(as_text=True)
    name = re.search(r"(?m)^name:\s*\"?([^\"\n]+)", source).group(1).strip()
    assert web.post(f"/admin/tables/{world.table_id}",
                    {"form": "pack", "rule_pack": f"{name}@9.9-web"}).status_code == 302
    with runtime.read() as s:
        from workflow.models import Table
        assert s.get(Table, world.table_id).rule_pack_version == "9.9-web"


def test_admin_sees_no_situation(app, world):
    sid, mid = in_intervention(world)
    web = signed_in(app, "admin")
    assert web.get(f"/situations/{sid}").status_code == 404
    assert web.get(f"/meetings/{mid}").status_code == 403
    assert web.get("/dashboard").status_code == 403


# -- health -----------------------------------------------------------------------------------
def test_healthz_reports_database(runtime, world, tmp_path, monkeypatch):
    from hubtable.health import orchestration_health

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    app = create_app(make_settings(runtime, tmp_path), runtime=runtime, testing=True,
                     health=orchestration_health)  # as the root injects it
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["served_by"] == os.getpid()  # the process that answered (one, in tests)
    assert body["prefect"]["configured"] is False  # no PREFECT_API_URL in the tests
    assert "flows" in body["flows"] and body["flows"].get("error") is None


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    from hubtable.config import Settings
    from workflow.runtime import Runtime

    broken = Runtime(database_url="postgresql://nobody@127.0.0.1:1/none",
                     keystore_url=f"sqlite:///{tmp_path / 'k.db'}", identity_key="k")
    settings = Settings(data_dir=tmp_path, database_url=broken.database_url,
                        keystore_url=broken.keystore_url, identity_key="k", secret_key="s",
                        smtp_url="", mail_from="", base_url="http://x", prefect_api_url=None)
    response = create_app(settings, runtime=broken, testing=True).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("error")


def test_projector_and_meeting_pages_never_show_identity_even_to_a_granted_chair(app, world):
    sid, mid = in_intervention(world, identity_name="Projected Never")
    from workflow import interventions

    with world.runtime.command() as s:  # the chair's own agency (police) is granted too
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["police"]],
                               basis="phipa_40_1")
    web = signed_in(app, "chair")
    assert "Projected Never" in web.get(f"/situations/{sid}/identity").get_data(as_text=True)
    for path in (f"/meetings/{mid}/projector/{sid}", f"/meetings/{mid}/projector",
                 f"/meetings/{mid}/situations/{sid}", f"/meetings/{mid}/situations/{sid}/identity",
                 f"/meetings/{mid}/minutes", f"/situations/{sid}", "/dashboard"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert "Projected Never" not in response.get_data(as_text=True), path
