"""Every refused attempt to open identity leaves a trace, even where the situation is out of
the user's sight, and `hubtable audit refusals` lists them by user and period."""

from __future__ import annotations

from support.factories import in_intervention

from web.conftest import signed_in
from workflow import audit
from workflow.models import User


def test_refused_identity_views_are_audited_for_every_role(app, runtime, world, tmp_path):
    sid, _mid = in_intervention(world)
    tries = {"manager": 0, "admin": 0, "hospital": 0, "outsider": 0, "chair": 0}
    for role in tries:
        web = signed_in(app, role)
        for target in (sid, sid + 1000):  # a real situation, and one that does not exist
            response = web.get(f"/situations/{target}/identity")
            assert response.status_code in (403, 404)
            tries[role] += 1
    with runtime.read() as s:
        for role, count in tries.items():
            user_id = world.users[role]
            found = audit.refusals(s, user_id=user_id)
            assert len(found) == count, role
            assert {e.action for e in found} == {"identity.read_refused"}
        email = s.get(User, world.users["manager"]).email
    from click.testing import CliRunner

    from hubtable.cli import cli

    env = {"HUBTABLE_DATA_DIR": str(tmp_path / "cli"),
           "HUBTABLE_DATABASE_URL": runtime.database_url,
           "HUBTABLE_KEYSTORE_URL": runtime.keystore_url,
           "HUBTABLE_IDENTITY_KEY": "test-master-key"}
    result = CliRunner().invoke(cli, ["audit", "refusals", "--user", email], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count("identity.read_refused") == 2
    assert "refusals 2" in result.output
    result = CliRunner().invoke(cli, ["audit", "refusals", "--user", "nobody@x.test"], env=env)
    assert result.exit_code != 0 and "no user" in result.output
