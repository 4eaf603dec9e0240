"""The rule engine: load and check rule packs (YAML), evaluate them, explain why rules fired.

Pure: imports neither a web framework, nor Prefect, nor the database, nor the workflow core.
The workflow core gathers a situation's facts (rules.facts.FACT_TYPES), calls `evaluate`, and
stores what it returns.
"""

from rules.engine import Evaluation, RuleOutcome, UnknownTriggerError, evaluate, explain
from rules.facts import FACT_DEFAULTS, FACT_TYPES, FactsError, normalize_facts, validate_facts
from rules.loader import (
    RulePackError,
    check_pack,
    load_pack,
    load_shipped_pack,
    parse_pack,
    shipped_pack_names,
)
from rules.model import (
    Deadline,
    Escalate,
    Flag,
    Guard,
    Label,
    Notify,
    Problem,
    Question,
    Rule,
    RulePack,
    Screening,
    Suggest,
)
from rules.screening import ScreeningError, score, validate_answers

__all__ = [
    "FACT_DEFAULTS",
    "FACT_TYPES",
    "Deadline",
    "Escalate",
    "Evaluation",
    "FactsError",
    "Flag",
    "Guard",
    "Label",
    "Notify",
    "Problem",
    "Question",
    "Rule",
    "RuleOutcome",
    "RulePack",
    "RulePackError",
    "Screening",
    "ScreeningError",
    "Suggest",
    "UnknownTriggerError",
    "check_pack",
    "evaluate",
    "explain",
    "load_pack",
    "load_shipped_pack",
    "normalize_facts",
    "parse_pack",
    "score",
    "shipped_pack_names",
    "validate_answers",
    "validate_facts",
]
