"""`hubtable tokens issue|list|revoke`: an operator issues an agency's API token (shown once,
only its hash kept), lists tokens (never the token), revokes one; each change is audited
without the token; every mistake is one line on stderr."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support.cli import Run, run_in_process

from hubtable.commands import token_commands
from workflow import api_tokens, audit
from workflow.models import Agency, ApiToken, AuditEntry, utcnow

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^api-token (\S+) (ht_\S+)$")


@pytest.fixture
def hubtable(world, monkeypatch, capsys):
    """`hubtable ARGS` in-process through the console script's entry point, on the test's
    database (each backend in turn)."""
    monkeypatch.setattr(token_commands, "_runtime", lambda: world.runtime)

    def run(*args: str) -> Run:
        return run_in_process(monkeypatch, capsys, *args)

    return run


def _issued(run: Run) -> tuple[str, str]:
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == 1 and LINE.match(lines[0]), run.out
    match = LINE.match(lines[0])
    assert match is not None
    return match.group(1), match.group(2)


def _rows(world) -> list[ApiToken]:
    with world.runtime.read() as s:
        return list(s.scalars(select(ApiToken).order_by(ApiToken.id)))


def test_issue_prints_the_token_once_and_keeps_only_its_hash(world, hubtable):
    slug, token = _issued(hubtable("tokens", "issue", "school", "--label", "case system"))
    assert slug == "school"
    [row] = _rows(world)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.label == "case system" and row.agency_id == world.agencies["school"]
    assert token not in row.token_hash
    with world.runtime.command() as s:
        assert api_tokens.agency_for_token(s, token).slug == "school"
    listed = hubtable("tokens", "list").out + hubtable("tokens", "list", "--json").out
    assert token not in listed and row.token_hash not in listed


def test_issue_expires_in_a_year_unless_days_says_otherwise(world, hubtable):
    _issued(hubtable("tokens", "issue", "school"))
    _issued(hubtable("tokens", "issue", "police", "--days", "30"))
    default, thirty = _rows(world)
    assert abs(default.expires_at - default.created_at - timedelta(days=365)) < timedelta(seconds=5)
    assert abs(thirty.expires_at - thirty.created_at - timedelta(days=30)) < timedelta(seconds=5)


@pytest.mark.parametrize("days", ["0", "3651", "-1", "many"])
def test_issue_refuses_a_lifetime_out_of_range_in_one_line(world, hubtable, days):
    line = hubtable("tokens", "issue", "school", "--days", days).one_error_line()
    assert line.startswith("error: --days:")
    assert _rows(world) == []


def test_issue_refuses_an_unknown_or_inactive_agency_in_one_line(world, hubtable):
    assert hubtable("tokens", "issue", "nowhere").one_error_line() == "error: no agency 'nowhere'"
    with world.runtime.command() as s:
        s.get(Agency, world.agencies["police"]).active = False
    refused = hubtable("tokens", "issue", "police")
    assert refused.one_error_line() == "error: agency police is not active"
    assert refused.out == "" and _rows(world) == []


def test_issue_refuses_a_label_longer_than_its_column_in_one_line(world, hubtable):
    line = hubtable("tokens", "issue", "school", "--label", "x" * 101).one_error_line()
    assert line == "error: a label is limited to 100 characters (--label)"


def test_list_shows_each_tokens_state_and_never_the_token(world, hubtable):
    _issued(hubtable("tokens", "issue", "school", "--label", "live one"))
    _, used = _issued(hubtable("tokens", "issue", "school", "--days", "1"))
    _issued(hubtable("tokens", "issue", "police"))
    assert hubtable("tokens", "revoke", "3").code == 0
    with world.runtime.command() as s:
        assert api_tokens.agency_for_token(s, used) is not None  # notes its last use
        s.get(ApiToken, 2).expires_at = utcnow() - timedelta(minutes=1)
    listed = json.loads(hubtable("tokens", "list", "--json").out)
    assert [(t["id"], t["agency"], t["status"]) for t in listed] == [
        (1, "school", "active"), (2, "school", "expired"), (3, "police", "revoked")]
    assert set(listed[0]) == {"id", "agency", "label", "created_at", "expires_at", "revoked_at",
                              "last_used_at", "status"}
    assert listed[0]["label"] == "live one" and listed[0]["last_used_at"] is None
    assert listed[1]["last_used_at"] is not None and listed[2]["revoked_at"] is not None
    table = hubtable("tokens", "list", "--agency", "police").out.splitlines()
    assert table[0].split()[:4] == ["id", "agency", "label", "created"]
    assert len(table) == 2 and table[1].split()[:2] == ["3", "police"]
    assert table[1].rstrip().endswith("revoked")
    missing = hubtable("tokens", "list", "--agency", "nowhere").one_error_line()
    assert missing == "error: no agency 'nowhere'"


def test_a_token_from_before_expiry_existed_is_listed_as_never_expiring(world, hubtable):
    _issued(hubtable("tokens", "issue", "school"))
    with world.runtime.command() as s:
        s.get(ApiToken, 1).expires_at = None
    row = hubtable("tokens", "list").out.splitlines()[1]
    assert " never " in row and row.rstrip().endswith("active")


def test_revoke_sets_revoked_at_and_a_second_revoke_says_it_was_done(world, hubtable):
    _, token = _issued(hubtable("tokens", "issue", "school"))
    first = hubtable("tokens", "revoke", "1")
    assert first.code == 0 and first.out.strip() == "revoked token 1 of school"
    [row] = _rows(world)
    assert row.revoked_at is not None
    with world.runtime.command() as s:
        assert api_tokens.agency_for_token(s, token) is None
    again = hubtable("tokens", "revoke", "1")
    assert again.code == 0 and not again.err
    assert again.out.startswith("token 1 of school was already revoked at ")
    assert _rows(world)[0].revoked_at == row.revoked_at


@pytest.mark.parametrize(("arg", "line"), [
    ("99", "error: no API token 99"),
    ("0", "error: ID: 0 is not in the range 1<=x<=2147483647"),
    ("abc", "error: ID: 'abc' is not a valid integer range"),
])
def test_revoke_refuses_an_unknown_id_in_one_line(world, hubtable, arg, line):
    assert hubtable("tokens", "revoke", arg).one_error_line() == line


def test_issue_and_revoke_are_audited_naming_agency_and_token_never_the_token(world, hubtable):
    _, token = _issued(hubtable("tokens", "issue", "school", "--label", "case system"))
    hubtable("tokens", "revoke", "1")
    hubtable("tokens", "revoke", "1")  # nothing changes: no second entry
    with world.runtime.read() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action.like("api_token.%"))
                                 .order_by(AuditEntry.id)))
        digest = s.scalar(select(ApiToken.token_hash))
        assert audit.verify(s)[1] == []
    assert [e.action for e in entries] == ["api_token.issue", "api_token.revoke"]
    for entry in entries:
        assert entry.detail["token_id"] == 1 and entry.detail["agency"] == "school"
        assert entry.detail["agency_id"] == world.agencies["school"]
        assert token not in json.dumps(entry.detail) and digest not in json.dumps(entry.detail)


def test_the_installed_command_issues_lists_and_revokes(world, database_url, tmp_path):
    """The real `hubtable` console script, with the operator's environment only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBTABLE_", "PREFECT_"))}
    env.update(HUBTABLE_DATA_DIR=str(tmp_path / "data"), HUBTABLE_DATABASE_URL=database_url,
               HUBTABLE_IDENTITY_KEY="cli-test-key", HUBTABLE_SECRET_KEY="cli-test-secret")
    binary = Path(sys.executable).with_name("hubtable")

    def hubtable(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(binary), *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)

    issued = hubtable("tokens", "issue", "cmha", "--days", "7")
    assert issued.returncode == 0, issued.stderr
    _, token = _issued(Run(issued.returncode, issued.stdout, issued.stderr))
    assert "shown only now" in issued.stderr and token not in issued.stderr
    listed = json.loads(hubtable("tokens", "list", "--json").stdout)
    assert [(t["agency"], t["status"]) for t in listed] == [("cmha", "active")]
    revoked = hubtable("tokens", "revoke", str(listed[0]["id"]))
    assert revoked.returncode == 0 and "revoked token" in revoked.stdout
    unknown = hubtable("tokens", "revoke", "424242")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no API token 424242"


def test_the_core_refuses_a_lifetime_out_of_bounds_as_a_field_error(world):
    """Adapters check the range first; the core still says which field, never a ValueError."""
    from workflow.errors import ValidationError

    with world.runtime.command() as s:
        agency = s.get(Agency, world.agencies["police"])
        for days in (0, api_tokens.MAX_DAYS + 1):
            with pytest.raises(ValidationError) as refused:
                api_tokens.issue(s, agency, days=days)
            assert refused.value.field == "days"
