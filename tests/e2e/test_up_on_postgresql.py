"""`hubtable up` on an operator's plain PostgreSQL URL: it starts, /healthz answers, Ctrl-C
stops it cleanly (the rest of the URL's story is in tests/ops/test_postgresql_url.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from e2e.running_up import ROOT, RunningUp

pytestmark = pytest.mark.slow



def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATA_DIR=str(tmp_path / "data"), HUBTABLE_DATABASE_URL=url,
               HUBTABLE_IDENTITY_KEY="ops-key", HUBTABLE_SECRET_KEY="ops-secret")
    return env


def _hubtable(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubtable.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_up_starts_on_a_plain_postgresql_url(plain_url, tmp_path):
    env = _env(tmp_path, plain_url)
    assert _hubtable(env, "init").returncode == 0
    up = RunningUp(env)
    try:
        up.wait_until_up(150)
        with urllib.request.urlopen(f"{up.base}/healthz", timeout=30) as resp:
            health = json.loads(resp.read())
        assert resp.status == 200
        db = health["database"]
        assert db == "ok" or (isinstance(db, dict) and db.get("ok") is True), health
    finally:
        code = up.stop()
    assert code == 0, up.output
