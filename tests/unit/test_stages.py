"""The stage graph as a specification: what each stage allows and what it refuses."""

import pytest

from workflow import stages
from workflow.errors import IllegalTransition


def test_the_four_filters_in_order():
    stage = "draft"
    for command in ("submit", "schedule", "present", "accept", "disclose", "plan"):
        stage = stages.target_of(command, stage)
    assert stage == "intervention"
    assert stages.target_of("report_back", stage) == "intervention"
    assert stages.target_of("close", stage) == "closed"


@pytest.mark.parametrize("command,stage", [
    ("accept", "draft"), ("plan", "submitted"), ("close", "accepted"), ("disclose", "presented"),
    ("submit", "closed"), ("withdraw", "closed"), ("re_present", "intervention"),
])
def test_skipping_a_stage_is_refused_with_advice(command, stage):
    with pytest.raises(IllegalTransition) as err:
        stages.check(command, stage)
    assert stage.replace("_", " ") in str(err.value)
    assert ":" in str(err.value)  # the message says what to do instead


def test_every_open_stage_can_be_withdrawn_and_every_end_re_presented():
    for stage in stages.OPEN_STAGES:
        assert stages.target_of("withdraw", stage) == "withdrawn"
    for stage in stages.END_STAGES:
        assert "re_present" in stages.commands_from(stage)


def test_unknown_command():
    with pytest.raises(IllegalTransition):
        stages.step("approve")
