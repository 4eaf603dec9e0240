"""An operator's PostgreSQL URL: `postgresql://user@host/db` through psycopg2 (the design card's
driver), for init and demo (up: tests/e2e/test_up_on_postgresql.py); a missing driver is one
line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hubtable.config import SettingsError, normalise_database_url
from hubtable.wiring import compose

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", [
    "postgresql://postgres@db.example/hub", "postgres://postgres@db.example/hub",
    "postgresql+psycopg2://postgres@db.example/hub",
    "postgresql+psycopg://postgres@db.example/hub"])
def test_every_postgresql_spelling_goes_through_psycopg2(url, tmp_path):
    assert normalise_database_url(url) == "postgresql+psycopg2://postgres@db.example/hub"
    settings = compose({"HUBTABLE_DATA_DIR": str(tmp_path), "HUBTABLE_DATABASE_URL": url,
                        "HUBTABLE_KEYSTORE_URL": url, "HUBTABLE_IDENTITY_KEY": "k",
                        "HUBTABLE_SECRET_KEY": "s"}).settings
    assert settings.database_url.startswith("postgresql+psycopg2://")
    assert settings.keystore_url.startswith("postgresql+psycopg2://")


def test_sqlite_and_other_urls_are_left_alone():
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_database_url("mysql+pymysql://u@h/d") == "mysql+pymysql://u@h/d"


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATA_DIR=str(tmp_path / "data"), HUBTABLE_DATABASE_URL=url,
               HUBTABLE_IDENTITY_KEY="ops-key", HUBTABLE_SECRET_KEY="ops-secret")
    return env


def _hubtable(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubtable.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_init_and_demo_on_a_plain_postgresql_url(plain_url, tmp_path):
    env = _env(tmp_path, plain_url)
    init = _hubtable(env, "init")
    assert init.returncode == 0, init.stderr
    demo = _hubtable(env, "demo")
    assert demo.returncode == 0, demo.stderr
    assert any(line.startswith("chair peel.chair@demo.hubtable.test")
               for line in demo.stdout.splitlines())
    engine = create_engine(normalise_database_url(plain_url))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM situations")).scalar_one() > 800
    engine.dispose()


def test_a_missing_driver_is_one_line(tmp_path):
    env = _env(tmp_path, "postgresql://postgres@127.0.0.1:5432/postgres")
    # psycopg2 made unimportable in the child, as on a machine without it
    code = ("import sys; sys.modules['psycopg2'] = None; from hubtable.cli import main; "
            "sys.argv = ['hubtable', 'init']; main()")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: HUBTABLE_DATABASE_URL is a PostgreSQL URL but its driver is not installed: "
        "pip install psycopg2-binary"]
    with pytest.raises(SettingsError):  # in process, the same error
        saved = sys.modules.get("psycopg2")
        sys.modules["psycopg2"] = None  # type: ignore[assignment]
        try:
            compose({"HUBTABLE_DATA_DIR": str(tmp_path), "HUBTABLE_IDENTITY_KEY": "k",
                     "HUBTABLE_SECRET_KEY": "s", "HUBTABLE_DATABASE_URL": "postgresql://u@h/d"})
        finally:
            if saved is None:
                del sys.modules["psycopg2"]
            else:
                sys.modules["psycopg2"] = saved
