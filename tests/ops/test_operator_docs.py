"""What an operator reads first: every command is in the README, `make run PORT=N` works."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from hubtable.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _commands(group: click.Group, prefix: str = "hubtable") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_the_readme_lists_every_command():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("[")[0].split(" -")[0].strip()
              for line in section.splitlines() if line.startswith("    hubtable ")}
    commands = _commands(cli)
    assert len(commands) >= 15
    missing = [c for c in commands if not any(entry == c or entry.startswith(c + " ")
                                              for entry in listed)]
    assert missing == [], f"commands missing from the README: {missing}"
    assert ".venv/bin/hubtable" in section and "source .venv/bin/activate" in section
    assert "make run PORT=8001" in readme


def _make_run(*args: str) -> str:
    result = subprocess.run(["make", "-n", "-C", str(ROOT), "run", *args], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_takes_a_port_and_a_host():
    assert "hubtable up --host 127.0.0.1 --port 8000" in _make_run()
    assert "hubtable up --host 0.0.0.0 --port 8001" in _make_run("PORT=8001", "HOST=0.0.0.0")
