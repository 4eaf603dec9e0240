"""The operator's commands: init, demo with a canary, audit verify, one-line errors."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

CANARY = "QqCanary-4417-Xx"


def hubtable(env, *args, check=True):
    result = subprocess.run([sys.executable, "-m", "hubtable.cli", *args], env=env,
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def env(tmp_path, database_url):
    e = dict(os.environ, HUBTABLE_DATA_DIR=str(tmp_path / "data"),
             HUBTABLE_DATABASE_URL=database_url, HUBTABLE_IDENTITY_KEY="cli-test-key",
             HUBTABLE_SECRET_KEY="cli-test-secret")
    return e


@pytest.fixture
def fresh_url(database_url):
    """The CLI migrates by itself: start from an empty schema."""
    engine = create_engine(database_url)
    from workflow.models import Base

    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return database_url


def test_init_demo_canary_and_audit(env, fresh_url, tmp_path):
    hubtable(env, "init")
    again = hubtable(env, "init")  # idempotent
    assert "loaded reference data" not in again.stdout
    out = hubtable(env, "demo", "--canary", CANARY, "--password", "demo-password-1").stdout
    lines = out.splitlines()
    assert any(line.startswith("chair ") and "@demo.hubtable.test" in line for line in lines)
    assert sum(line.startswith("api-token ") for line in lines) >= 8
    assert CANARY not in out
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        stages = set(conn.execute(text("SELECT DISTINCT stage FROM situations")).scalars())
    assert {"draft", "on_agenda", "presented", "accepted", "disclosed", "intervention", "closed",
            "rejected", "withdrawn"} <= stages
    # identity is encrypted at rest: the canary is in no database byte
    if fresh_url.startswith("sqlite"):
        engine.dispose()
        for f in (tmp_path).rglob("*.db*"):
            assert CANARY.encode() not in f.read_bytes(), f
    else:
        dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres",
                               fresh_url.rsplit("/", 1)[1]], capture_output=True, timeout=120)
        assert dump.returncode == 0, dump.stderr
        assert len(dump.stdout) > 10000 and CANARY.encode() not in dump.stdout
    assert "intact" in hubtable(env, "audit", "verify").stdout
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET detail = '{}' WHERE id = 5"))
    engine.dispose()
    bad = hubtable(env, "audit", "verify", check=False)
    assert bad.returncode != 0 and "failed" in bad.stderr and "Traceback" not in bad.stderr


@pytest.fixture(scope="module")
def initialised_env(tmp_path_factory):
    """One initialised SQLite installation for the error-message checks (not DB-specific)."""
    data = tmp_path_factory.mktemp("cli-errors")
    e = dict(os.environ, HUBTABLE_DATA_DIR=str(data),
             HUBTABLE_DATABASE_URL=f"sqlite:///{data / 'hubtable.db'}",
             HUBTABLE_IDENTITY_KEY="cli-test-key", HUBTABLE_SECRET_KEY="cli-test-secret")
    hubtable(e, "init")
    return e


@pytest.mark.parametrize("args,expected", [
    (["demo", "--password", "short"], "at least 10"),
    (["demo", "--situations", "-3"], "-3"),
    (["rules", "check", "/no/such/pack.yaml"], "no such file"),
    (["rules", "explain", "NOPE-1"], "no situation"),
    (["users", "add", "--email", "x@y.test", "--role", "chair", "--agency", "nope",
      "--password", "long-enough-pass"], "no agency"),
    (["users", "add", "--email", "not-an-email", "--role", "admin",
      "--password", "long-enough-pass"], "email"),
])
def test_user_errors_are_one_line_without_traceback(initialised_env, args, expected):
    result = hubtable(initialised_env, *args, check=False)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len([ln for ln in result.stderr.splitlines() if ln.startswith("error")]) == 1
