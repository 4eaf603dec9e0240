"""The facts a condition may use, with their types, and the typed rule-engine context.

A condition is checked against these types when the pack loads, so an unknown name or a type
mismatch is found by `hubtable rules check`, never at three in the morning in a sweep. The
workflow core builds one facts dict per evaluation; `normalize_facts` checks and completes it.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Mapping
from typing import Any

import rule_engine
from rule_engine import DataType

from rules.vocabulary import did_you_mean

_S = DataType.STRING
_B = DataType.BOOLEAN
_F = DataType.FLOAT
_A = DataType.ARRAY(DataType.STRING)

#: name -> rule_engine type. The ONLY names a condition may use (plus the pack's settings).
FACT_TYPES: dict[str, Any] = {
    "stage": _S,
    "trigger": _S,
    "table_country": _S,
    "age_group": _S,
    "is_child": _B,
    "is_minor": _B,
    "gender": _S,
    "situation_type": _S,
    "consent": _S,
    "risk_factors": _A,
    "risk_categories": _A,
    "aer_reasons": _A,
    "risk_factor_count": _F,
    "options_exhausted": _B,
    "needs_multiple_agencies": _B,
    "harm_probable_imminent": _B,
    "originating_sector": _S,
    "sectors_present": _A,
    "sectors_present_count": _F,
    "agencies_present_count": _F,
    "lead_sector": _S,
    "assisting_sectors": _A,
    "granted_sectors": _A,
    "meetings_open": _F,
    "days_open": _F,
    "open_tasks": _F,
    "tasks_unexplained": _F,
    "is_re_presentation": _B,
    "days_since_previous": _F,
    "screening_score": _F,
    "conclusion_outcome": _S,
    "rejection_reason": _S,
    "persons_count": _F,
    "seen_before_count": _F,
    "months_since_last_seen": _F,
}

#: What a fact means, for `hubtable rules check` hints and the pack author's reference.
FACT_DESCRIPTIONS: dict[str, str] = {
    "stage": "the situation's stage (draft, submitted, ... withdrawn)",
    "trigger": "what is being evaluated: a command, enter:<stage> or timer:<kind>",
    "table_country": "the table's country code (CA, VN)",
    "age_group": "age group code, e.g. 12-15",
    "is_child": "true if the (youngest) person is under 16",
    "is_minor": "true if the (youngest) person is under 18",
    "gender": "female, male, other, multiple or unknown",
    "situation_type": "person, family, dwelling or neighbourhood",
    "consent": "consent sought: given, refused or not possible",
    "risk_factors": "factor codes, e.g. physical_violence.person_victim",
    "risk_categories": "category codes of the risk factors, e.g. mental_health",
    "aer_reasons": "factor codes marked as a reason for acutely elevated risk",
    "risk_factor_count": "number of risk factors",
    "options_exhausted": "filter 1: the agency has exhausted its own options",
    "needs_multiple_agencies": "filter 1: more than one agency is needed",
    "harm_probable_imminent": "filter 1: harm is probable and imminent",
    "originating_sector": "sector of the originating agency",
    "sectors_present": "sectors of the agencies present at the meeting",
    "sectors_present_count": "number of distinct sectors present at the meeting",
    "agencies_present_count": "number of agencies present at the meeting",
    "lead_sector": "sector of the lead agency (empty until plan)",
    "assisting_sectors": "sectors of the assisting agencies",
    "granted_sectors": "sectors of the agencies granted disclosure",
    "meetings_open": "number of meetings since the situation was accepted",
    "days_open": "days since the situation was accepted",
    "open_tasks": "number of tasks not done",
    "tasks_unexplained": "open tasks with no reason recorded at closure",
    "is_re_presentation": "true if this situation re-presents an earlier one",
    "days_since_previous": "days since the earlier situation ended (-1 if none)",
    "screening_score": "score of the pack's screening checklist",
    "conclusion_outcome": "risk_lowered, still_aer or transferred (empty until closing)",
    "rejection_reason": "rejection reason code (empty unless rejected)",
    "persons_count": "number of persons affected",
    "seen_before_count": "earlier situations at this table likely about the same person "
    "(from linkage tokens; 0 when none or no identity was typed)",
    "months_since_last_seen": "months since the latest such situation ended (-1 if none)",
}

#: Used for any fact the caller leaves out (each evaluation says which were defaulted).
FACT_DEFAULTS: dict[str, Any] = {}
for _name, _type in FACT_TYPES.items():
    if _type == _S:
        FACT_DEFAULTS[_name] = ""
    elif _type == _B:
        FACT_DEFAULTS[_name] = False
    elif _type == _F:
        FACT_DEFAULTS[_name] = 0
    else:
        FACT_DEFAULTS[_name] = ()
FACT_DEFAULTS["days_since_previous"] = -1
FACT_DEFAULTS["months_since_last_seen"] = -1

#: Names a setting may not take: rule-engine keywords would not parse as symbols.
RESERVED_WORDS = frozenset(
    {"and", "or", "not", "in", "if", "else", "for", "true", "false", "null", "inf", "nan"}
)


class FactsError(ValueError):
    """The facts given to an evaluation are not what the rules were checked against."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def type_name(data_type: Any) -> str:
    """A short human name of a rule_engine type: STRING, FLOAT, ARRAY(STRING)..."""
    if DataType.is_type(data_type, DataType.ARRAY):
        return f"ARRAY({type_name(data_type.value_type)})"
    return str(getattr(data_type, "name", data_type))


def type_of_value(value: Any) -> Any | None:
    """The rule_engine type a pack setting value takes (None if it cannot be one)."""
    if isinstance(value, bool):
        return _B
    if isinstance(value, int | float) and math.isfinite(value):
        return _F
    if isinstance(value, str):
        return _S
    return None


def make_context(extra_types: Mapping[str, Any] | None = None) -> rule_engine.Context:
    """A typed context knowing FACT_TYPES (and a pack's settings): unknown names fail at parse."""
    types = dict(FACT_TYPES)
    types.update(extra_types or {})
    return rule_engine.Context(
        type_resolver=rule_engine.type_resolver_from_dict(types),
        default_timezone="utc",
        decimal_context=decimal.Context(prec=28),
        mapping_attribute_lookup=False,
    )


#: The context for packs without settings.
FACTS_CONTEXT = make_context()


def _kind(data_type: Any) -> str:
    if data_type == _S:
        return "s"
    if data_type == _B:
        return "b"
    if data_type == _F:
        return "f"
    return "a"


#: fact -> "s" | "b" | "f" | "a" (rule_engine type comparisons are slow in a hot loop)
_KINDS = {name: _kind(data_type) for name, data_type in FACT_TYPES.items()}


def _check_value(name: str, expected: Any, value: Any, what: str = "fact") -> str | None:
    kind = _KINDS[name] if what == "fact" else _kind(expected)
    if kind == "s":
        ok = isinstance(value, str)
    elif kind == "b":
        ok = isinstance(value, bool)
    elif kind == "f":
        ok = (
            isinstance(value, int | float | decimal.Decimal)
            and not isinstance(value, bool)
            and math.isfinite(value)
        )
    else:
        ok = isinstance(value, list | tuple | set | frozenset) and all(
            isinstance(item, str) for item in value
        )
    if ok:
        return None
    return (
        f"{what} {name!r} must be {type_name(expected)}, got {type(value).__name__} {_short(value)}"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_facts(facts: Mapping[str, Any], *, complete: bool = False) -> list[str]:
    """Every problem with `facts`: unknown names (with the closest name), wrong types.

    With `complete=True`, a missing fact is a problem too.
    """
    if not isinstance(facts, Mapping):
        return [f"facts must be a mapping, got {type(facts).__name__}"]
    errors: list[str] = []
    for name, value in facts.items():
        if name not in FACT_TYPES:
            errors.append(f"unknown fact {name!r}: {did_you_mean(str(name), FACT_TYPES)}")
            continue
        problem = _check_value(name, FACT_TYPES[name], value)
        if problem:
            errors.append(problem)
    if complete:
        errors.extend(f"missing fact {name!r}" for name in FACT_TYPES if name not in facts)
    return errors


def to_engine_value(value: Any) -> Any:
    """A fact or setting value as rule-engine holds it: numbers as Decimal, arrays as tuples."""
    if isinstance(value, bool | str | decimal.Decimal):
        return value
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float):
        return decimal.Decimal(repr(value))  # as rule_engine.types.coerce_value does
    if isinstance(value, set | frozenset):
        return tuple(sorted(value))
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def normalize_facts(facts: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Checked facts ready for evaluation, and the names filled from FACT_DEFAULTS.

    Raises FactsError if a name is unknown or a value has the wrong type. Numbers become
    Decimal and arrays tuples, as rule-engine would coerce them (sets sorted, so that
    explanations are stable).
    """
    errors = validate_facts(facts)
    if errors:
        raise FactsError(errors)
    out = dict(_ENGINE_DEFAULTS)
    for name, value in facts.items():
        out[name] = to_engine_value(value)
    defaulted = tuple(name for name in FACT_TYPES if name not in facts)
    return out, defaulted


_ENGINE_DEFAULTS = {name: to_engine_value(value) for name, value in FACT_DEFAULTS.items()}


def check_setting_value(name: str, expected: Any, value: Any) -> str | None:
    """A problem message if a table's override of a pack setting has the wrong type."""
    return _check_value(name, expected, value, what="setting")
