"""`hubtable up` started again and again on the same data dir: what the last one left running
in its Prefect server is ended, so the dispatch listener (and every other flow) starts again.
"""

from __future__ import annotations

import pytest

from e2e.running_up import RunningUp, up_environment

pytestmark = pytest.mark.slow


def test_up_started_again_ends_the_runs_the_last_one_left_and_its_listener_starts(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = up_environment(data_dir)
    # Each up stops with its listener run in flight, which Prefect goes on counting as
    # running. The listener may run twice at once (its hand-over), so two such runs held both
    # its slots for good: from the third start on, no listener run could start ("warning:
    # the dispatch listener has not started yet") and mail waited for the minute's dispatch.
    for start in range(3):
        up = RunningUp(env)
        try:
            up.wait_until_up(240)
            assert [line for line in up.lines if "warning" in line] == [], up.output
            left = [line for line in up.lines if "the last hubtable up left running" in line]
            assert bool(left) == (start > 0), up.output
        finally:
            assert up.stop() == 0, up.output
