"""CI runs the scale-out script (tools/scaleout.py): Prefect on its own PostgreSQL database,
two pool workers, two web processes, one killed worker. Its output is the evidence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_scale_out_sends_once_fires_once_and_survives_a_killed_worker():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "scaleout.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    print(done.stdout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert '"doubled"' in done.stdout
