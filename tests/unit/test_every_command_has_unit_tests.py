"""Every command declared in workflow/stages.py has fast tests here: its happy path and its
refusals, found by name (`test_<command>_...`, and one whose name says it refuses).

Why by name: a new command added to STEPS without a test of what it does and what it refuses
fails this test at once, in the loop a developer runs every minute (`make test-fast`).
"""

from __future__ import annotations

import ast
from pathlib import Path

from workflow import stages

HERE = Path(__file__).resolve().parent


def _test_names() -> list[str]:
    names = []
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.append(node.name)
    return names


def test_every_command_has_a_happy_path_and_a_refusal():
    names = _test_names()
    missing = []
    for command in stages.STEPS:
        mine = [n for n in names if n.startswith(f"test_{command}_")]
        if not [n for n in mine if "refus" not in n]:
            missing.append(f"{command}: no happy path (test_{command}_...)")
        if not [n for n in mine if "refus" in n]:
            missing.append(f"{command}: no refusal (test_{command}_refuses_...)")
    assert missing == []


def test_the_guard_knows_the_commands():
    """A guard on the guard: the declarations it walks are there."""
    assert {"draft", "submit", "accept", "disclose", "plan", "close"} <= set(stages.STEPS)
