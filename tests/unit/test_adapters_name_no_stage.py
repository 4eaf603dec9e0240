"""Adapters translate only: no stage name in webui's Python or templates (labels live in the
translation catalogs); the graph is known to workflow/stages.py and the command modules."""

from __future__ import annotations

import re
from pathlib import Path

from workflow import stages

ROOT = Path(__file__).resolve().parents[2]
NAMES = "|".join(stages.ALL_STAGES)
STAGE_LITERAL = re.compile(rf"""['"]({NAMES})['"]""")


def _sources(folder: str):
    for path in sorted((ROOT / folder).rglob("*")):
        if path.suffix in (".py", ".html", ".j2") and "translations" not in path.parts:
            yield path


def test_no_stage_literal_in_the_web_adapter():
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for p in _sources("webui")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if STAGE_LITERAL.search(line)]
    assert found == []


def test_no_stage_tuple_outside_the_core_declarations():
    """Lists of stages are declared once; other modules name the declared groups."""
    tuple_of_stages = re.compile(rf"""\(\s*['"]({NAMES})['"]\s*,""")
    allowed = {"workflow/stages.py", "workflow/models/situation.py",
               "workflow/models/round.py"}  # a round's outcomes: accepted, rejected, next meeting
    report_columns = "workflow/reports/"  # decision and closure columns, not stage lists
    found = []
    for folder in ("workflow", "webui", "orchestration", "notifications", "hubtable"):
        for p in _sources(folder):
            rel = str(p.relative_to(ROOT))
            if rel in allowed or rel.startswith(report_columns):
                continue
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                if tuple_of_stages.search(line):
                    found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []
