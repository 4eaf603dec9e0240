"""`hubtable rules check`: a misspelt event is refused with the right name; a removed setting
is called unknown, with the pack's settings listed, not a far-fetched "did you mean"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rules.loader import check_pack
from rules.vocabulary import RULE_EVENTS, event_problem

ROOT = Path(__file__).resolve().parents[2]
ONTARIO = ROOT / "rules" / "packs" / "ontario.yaml"


def _check(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HUBTABLE_DATA_DIR=str(path.parent / "data"),
               HUBTABLE_IDENTITY_KEY="k", HUBTABLE_SECRET_KEY="s")
    return subprocess.run([sys.executable, "-m", "hubtable.cli", "rules", "check", str(path)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = ONTARIO.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "pack.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_shipped_pack_passes():
    result = _check(ONTARIO)
    assert result.returncode == 0, result.stderr


def test_a_misspelt_event_is_refused_with_the_right_name(tmp_path):
    pack = _edited(tmp_path, "event: situation_accepted}", "event: situation_acepted}")
    result = _check(pack)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "situation_acepted" in x]
    assert "did you mean 'situation_accepted'?" in line
    assert line.startswith(f"{pack}:")  # file and line
    line_no = int(line.split(":")[1])
    assert "situation_acepted" in pack.read_text().splitlines()[line_no - 1]


def test_removing_a_setting_lists_the_settings_instead_of_a_far_guess(tmp_path):
    pack = _edited(tmp_path, "  quorum_sectors: 3\n", "")
    result = _check(pack)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "'quorum_sectors'" in x]
    assert "granted_sectors" not in line.split("facts:")[0]
    assert "did you mean" not in line
    assert "unknown fact or setting 'quorum_sectors'" in line
    assert "the pack's settings: open_meetings_limit, re_presentation_window_days" in line


def test_a_close_setting_name_is_still_suggested(tmp_path):
    pack = _edited(tmp_path, "sectors_present_count < quorum_sectors",
                   "sectors_present_count < quorum_sector")
    problems = [p for p in check_pack(pack) if "quorum_sector'" in p.message]
    assert problems and problems[0].hint == "did you mean 'quorum_sectors'?"


@pytest.mark.parametrize("name", ["situation_reopened", "fc_overdue", "closed", "x",
                                  "situation_escalated", *RULE_EVENTS])
def test_known_and_own_events_are_accepted(name):
    assert event_problem(name) is None


@pytest.mark.parametrize("name, meant", [("situation_acepted", "situation_accepted"),
                                         ("lead_asigned", "lead_assigned"),
                                         ("situaton_closed", "situation_closed"),
                                         ("report_back_overdeu", "report_back_overdue")])
def test_near_misses_are_misspellings(name, meant):
    problem = event_problem(name)
    assert problem is not None and problem[1] == f"did you mean {meant!r}?"
