"""Running `hubtable …` in-process through the same entry point as the console script."""

from __future__ import annotations

import sys


def hubtable(monkeypatch, capsys, runtime, tmp_path, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `hubtable ARGS` against the test's database."""
    from hubtable.cli import cli
    from hubtable.errors import run_cli

    monkeypatch.setenv("HUBTABLE_DATABASE_URL", runtime.database_url)
    monkeypatch.setenv("HUBTABLE_KEYSTORE_URL", runtime.keystore_url)
    monkeypatch.setenv("HUBTABLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUBTABLE_IDENTITY_KEY", runtime.identity_key)
    monkeypatch.setenv("HUBTABLE_SECRET_KEY", "test-secret")
    monkeypatch.setattr(sys, "argv", ["hubtable", *args])
    capsys.readouterr()
    code = run_cli(cli)
    out, err = capsys.readouterr()
    return code, out, err
