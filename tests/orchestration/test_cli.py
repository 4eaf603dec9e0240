"""`hubtable sweep | purge | status | worker | up`: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from support.factories import in_intervention

from hubtable.cli import cli
from hubtable.errors import run_cli
from workflow import interventions
from workflow.models import Situation, utcnow


@pytest.fixture
def env(runtime, tmp_path, monkeypatch):
    values = {"HUBTABLE_DATA_DIR": str(tmp_path), "HUBTABLE_DATABASE_URL": runtime.database_url,
              "HUBTABLE_KEYSTORE_URL": runtime.keystore_url,
              "HUBTABLE_IDENTITY_KEY": "test-master-key", "HUBTABLE_SECRET_KEY": "s"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return values


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), standalone_mode=False)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    code = result.exception.code if isinstance(result.exception, SystemExit) else 0
    return code or 0, result.stdout


def test_sweep_prints_counts_and_a_second_pass_finds_nothing(world, env):
    in_intervention(world, now=utcnow() - timedelta(days=10))
    code, out = _invoke("sweep")
    assert code == 0 and out.startswith("overdue 2,")
    code, out = _invoke("sweep")
    assert out.startswith("overdue 0,") and "fired 0" in out


def test_purge_dry_run_lists_by_reference_only(world, env):
    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=200),
                             identity_name="Canary Person")
    with world.runtime.command() as s:
        for task in s.get(Situation, sid).tasks:
            interventions.update_task(s, world.user(s, "housing"), task.id, status="done")
        interventions.close(s, world.user(s, "chair"), sid, conclusion_reason="lowered_other",
                            now=utcnow() - timedelta(days=100))
    code, out = _invoke("purge", "--dry-run")
    assert code == 0
    assert "would purge PEEL-" in out and out.strip().endswith("would purge 1 situation(s)")
    assert "Canary" not in out
    code, out = _invoke("purge")
    assert out.strip().endswith("purged 1 situation(s)")  # piped: no progress bar


def test_status_as_json(world, env):
    code, out = _invoke("status", "--json")
    body = json.loads(out)
    assert code == 0 and body["prefect"]["configured"] is False
    assert set(body["flows"]["flows"]) == {"dispatch-listener", "dispatch-notifications",
                                           "sweep-timers", "prepare-agenda", "purge-identity",
                                           "monthly-report", "refresh-report-rollups"}


def test_worker_without_a_prefect_server_says_so(env, capsys, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "argv", ["hubtable", "worker"])
    assert run_cli(cli) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: PREFECT_API_URL is not set")


def test_up_refuses_a_port_in_use(env, capsys, monkeypatch):
    import socket
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr(sys, "argv", ["hubtable", "up", "--port", str(port)])
        assert run_cli(cli) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: port {port} on 127.0.0.1 is in use: choose another with --port"]
