"""`hubtable report --format xlsx > report.xlsx`: the workbook goes to stdout when that is a file
or a pipe, and is refused, with one line, only when stdout is a terminal."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.factories import build_world

from workflow import setup
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    runtime = Runtime(database_url=f"sqlite:///{data / 'hubtable.db'}",
                      keystore_url=f"sqlite:///{data / 'keystore.db'}", identity_key="x-key")
    setup.initialise(runtime)
    build_world(runtime)  # a table to report on
    runtime.dispose()
    e = {k: v for k, v in os.environ.items() if not k.startswith("HUBTABLE_")}
    e.update(HUBTABLE_DATA_DIR=str(data), HUBTABLE_DATABASE_URL=runtime.database_url,
             HUBTABLE_KEYSTORE_URL=runtime.keystore_url, HUBTABLE_IDENTITY_KEY="x-key",
             HUBTABLE_SECRET_KEY="x-secret")
    return e


ARGS = [sys.executable, "-m", "hubtable.cli", "report", "--format", "xlsx",
        "--from", "2026-01-01", "--to", "2026-03-01"]


def test_xlsx_to_a_pipe_and_to_a_file(env, tmp_path):
    piped = subprocess.run(ARGS, env=env, cwd=ROOT, capture_output=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout[:2] == b"PK"  # a zip: the workbook itself
    book = load_workbook(io.BytesIO(piped.stdout), read_only=True)
    assert book.sheetnames == ["About", "Figures", "Records", "Method", "Columns"]
    target = tmp_path / "report.xlsx"
    with target.open("wb") as out:  # what `> report.xlsx` does
        redirected = subprocess.run(ARGS, env=env, cwd=ROOT, stdout=out,
                                    stderr=subprocess.PIPE, timeout=120)
    assert redirected.returncode == 0, redirected.stderr
    assert load_workbook(target, read_only=True).sheetnames[0] == "About"


def test_xlsx_to_a_terminal_is_refused_with_one_line(env):
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(ARGS, env=env, cwd=ROOT, stdout=follower,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "binary workbook" in lines[0] and "> report.xlsx" in lines[0]
