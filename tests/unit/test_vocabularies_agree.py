"""The pure rule engine keeps its own copy of the codes: it must match the core's."""

from rules import vocabulary
from workflow import stages
from workflow.models import STAGES
from workflow.reference import load_catalog


def test_stages_agree():
    assert tuple(vocabulary.STAGES) == tuple(STAGES)
    assert set(stages.OPEN_STAGES) | set(stages.END_STAGES) == set(STAGES)


def test_sectors_and_categories_agree_with_the_catalog():
    catalog = load_catalog()
    assert set(vocabulary.SECTORS) == set(catalog.codes("sectors"))
    assert set(vocabulary.RISK_CATEGORIES) == {c.code for c in catalog.categories}


def test_every_rule_command_is_a_workflow_command():
    assert set(vocabulary.COMMANDS) <= set(stages.STEPS)
