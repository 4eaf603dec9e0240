"""Small rooms: no module over 400 lines, no function over 60 lines without a reason.

Why: a file is one concept (STYLE.md); a module that outgrows 400 lines has become two, and a
function longer than a screen does several things. A long function may stay when its
docstring says why, in a sentence starting "Long because" (a table written as code, one story
told in order). Generated files are left out. Read with `ast`: the test takes milliseconds.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("workflow", "rules", "webui", "orchestration", "notifications", "hubtable", "tools",
           "bench")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON = "Long because"

GENERATED = {
    "webui/translations/core_messages.py",  # written by tools/core_messages.py
}



def _modules() -> list[tuple[str, Path]]:
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in GENERATED:
                continue
            found.append((rel, path))
    return found


def test_the_walk_finds_the_code():
    """A guard on the guard: the folders exist and hold modules."""
    modules = dict(_modules())
    assert len(modules) > 150
    assert "workflow/stages.py" in modules and "webui/__init__.py" in modules


def test_no_module_over_400_lines():
    long = [f"{rel}: {n} lines" for rel, path in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert long == []


def test_no_function_over_60_lines_without_a_reason():
    long = []
    for rel, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES and REASON not in (ast.get_docstring(node) or ""):
                long.append(f"{rel}:{node.lineno} {node.name}: {lines} lines")
    assert long == []
