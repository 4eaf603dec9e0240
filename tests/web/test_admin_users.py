"""An administrator moves a user to another agency through the page: the move is audited, and
the user's access to identity waits for the new agency's confirmation."""

from __future__ import annotations

from support.factories import in_intervention

from web.conftest import signed_in
from workflow.models import AuditEntry, User


def test_moving_a_user_through_the_admin_page_takes_identity_access_away(app, runtime, world):
    sid, _mid = in_intervention(world)
    hospital = world.users["hospital"]
    admin = signed_in(app, "admin")
    page = admin.get(f"/admin/users/{hospital}")
    assert page.status_code == 200 and "Confirmed by their agency" in page.get_data(as_text=True)
    moved = admin.post(f"/admin/users/{hospital}", {
        "role": "agency_rep", "agency_id": str(world.agencies["cmha"]), "active": "yes"})
    assert moved.status_code == 302
    with runtime.read() as s:
        user = s.get(User, hospital)
        assert user.agency_id == world.agencies["cmha"] and user.identity_confirmed_at is None
        assert s.query(AuditEntry).filter_by(action="user.update").count() == 1
    refused = signed_in(app, "hospital").get(f"/situations/{sid}/identity")
    assert refused.status_code == 403
    assert signed_in(app, "cmha").get(f"/situations/{sid}/identity").status_code == 200
    bad = admin.post(f"/admin/users/{hospital}", {"role": "wizard", "active": "yes"})
    assert bad.status_code == 400
