"""Screening scores and fact checking."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rules import (
    FACT_DEFAULTS,
    FACT_TYPES,
    Label,
    Question,
    Screening,
    ScreeningError,
    normalize_facts,
    score,
    validate_answers,
    validate_facts,
)
from rules.screening import reaches_threshold

ROOT = Path(__file__).resolve().parents[2]

SCREENING = Screening(
    threshold=2,
    questions=tuple(Question(q, Label(q, q + " (vi)")) for q in ("a", "b", "c")),
)


def test_score_counts_yes():
    assert score(SCREENING, {"a": True, "b": "yes", "c": False}) == 2
    assert score(SCREENING, {"a": "có", "b": "không"}) == 1
    assert score(SCREENING, {}) == 0
    assert reaches_threshold(SCREENING, 2) and not reaches_threshold(SCREENING, 1)


def test_answers_are_checked():
    assert validate_answers(SCREENING, {"a": True}) == []
    errors = validate_answers(SCREENING, {"aa": True, "b": "maybe"})
    assert len(errors) == 2
    assert "'a'" in errors[0]  # closest question id
    with pytest.raises(ScreeningError):
        score(SCREENING, {"z": True})
    with pytest.raises(ScreeningError, match="not answered"):
        score(SCREENING, {"a": True}, complete=True)


def test_fact_names_and_types_are_the_documented_ones():
    assert len(FACT_TYPES) == 35  # 33 + seen_before_count, months_since_last_seen (issue 19)
    assert FACT_DEFAULTS["months_since_last_seen"] == -1
    assert set(FACT_DEFAULTS) == set(FACT_TYPES)
    assert FACT_DEFAULTS["days_since_previous"] == -1
    assert FACT_DEFAULTS["lead_sector"] == ""


def test_validate_facts():
    assert validate_facts({"stage": "draft", "risk_factor_count": 2.0}) == []
    errors = validate_facts({"stge": "draft", "is_child": "yes", "meetings_open": float("nan")})
    assert len(errors) == 3
    assert "stage" in errors[0]
    assert validate_facts({}, complete=True)
    assert validate_facts("nope")


def test_normalize_facts():
    values, defaulted = normalize_facts({"risk_categories": {"housing", "drugs"}, "stage": "x"})
    assert values["risk_categories"] == ("drugs", "housing")
    assert "stage" not in defaulted and "is_child" in defaulted
    assert set(values) == set(FACT_TYPES)


def test_rules_import_no_framework_nor_database():
    code = (
        "import sys, rules, rules.engine, rules.loader, rules.screening\n"
        "rules.load_shipped_pack('ontario')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'prefect', 'sqlalchemy', 'workflow', 'webui', 'orchestration'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == ""


def test_deadlines_module_imports_only_pure_python():
    import ast

    tree = ast.parse((ROOT / "workflow" / "deadlines.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "functools", "dataclasses", "datetime", "typing", "zoneinfo",
                        "holidays"}
