"""Evaluate a pack for one trigger and one situation's facts: which rules fire, and why.

Pure: no database, no clock, no I/O. The workflow core gathers the facts, calls `evaluate`,
refuses the command if `guard_failures` is not empty, and otherwise stores and carries out
the actions (deadlines are computed with workflow.deadlines, notifications go to the outbox).
Conditions were compiled when the pack loaded, so an evaluation only runs them.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rules.facts import (
    FACT_TYPES,
    FactsError,
    check_setting_value,
    normalize_facts,
    to_engine_value,
    type_of_value,
)
from rules.model import (
    Action,
    Deadline,
    Escalate,
    Flag,
    Guard,
    Label,
    Notify,
    Rule,
    RulePack,
    Suggest,
)
from rules.vocabulary import COMMANDS, DEADLINE_TIMERS, TRIGGERS, did_you_mean


class UnknownTriggerError(ValueError):
    """`evaluate` was called with a trigger no pack can listen to (a caller's bug)."""


@dataclass(frozen=True)
class RuleOutcome:
    """One rule considered for the trigger: did it match, and the explanation either way.

    `error` is set when the condition could not be evaluated (e.g. an index out of range):
    a guard then refuses (fail closed), any other rule does not fire.
    """

    rule: Rule
    matched: bool
    trigger: str
    values: Mapping[str, Any] = field(repr=False, compare=False)
    defaulted: tuple[str, ...] = field(default=(), repr=False, compare=False)
    error: str | None = None

    @property
    def explanation(self) -> str:
        """Rule id, labels, condition, the facts it read with their values, the result.

        Built on demand: most outcomes of a busy sweep are never explained.
        """
        return _explain(
            self.rule, self.trigger, self.values, self.matched, self.defaulted, self.error
        )

    @property
    def actions(self) -> tuple[Action, ...]:
        return self.rule.actions if self.matched else ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the rule_firings table."""
        return {
            "rule_id": self.rule.id,
            "matched": self.matched,
            "error": self.error,
            "explanation": self.explanation,
            "actions": [a.as_dict() for a in self.actions],
        }


@dataclass(frozen=True)
class Evaluation:
    """What the pack says for one trigger and one set of facts.

    For a command: if `guard_failures` is not empty the command must be refused, and the
    other action lists are empty (they apply only after a command that ran).
    """

    pack_name: str
    pack_version: str
    trigger: str
    outcomes: tuple[RuleOutcome, ...]
    guard_failures: tuple[Label, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    notifications: tuple[Notify, ...] = ()
    suggested_sectors: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    escalations: tuple[Escalate, ...] = ()
    errors: tuple[str, ...] = ()
    defaulted_facts: tuple[str, ...] = field(default=(), repr=False)

    @property
    def allowed(self) -> bool:
        """False if a guard refuses the command."""
        return not self.guard_failures

    @property
    def fired(self) -> tuple[RuleOutcome, ...]:
        """The rules whose condition held (or, for a guard, could not be checked)."""
        return tuple(o for o in self.outcomes if o.matched)

    @property
    def refusing_rules(self) -> tuple[str, ...]:
        """Ids of the rules whose guard refused the command."""
        return tuple(o.rule.id for o in self.fired if o.rule.guards)

    def explain(self, *, only_fired: bool = False) -> str:
        """All explanations, one block per rule considered."""
        outcomes = self.fired if only_fired else self.outcomes
        header = f"pack {self.pack_name} {self.pack_version}, trigger {self.trigger}"
        if not outcomes:
            return header + ": no rule applies"
        return header + "\n" + "\n\n".join(o.explanation for o in outcomes)


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int | float | decimal.Decimal):
        number = float(value)
        return str(int(number)) if number.is_integer() else f"{number:g}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return repr(value)


def _explain(
    rule: Rule,
    trigger: str,
    values: Mapping[str, Any],
    matched: bool,
    defaulted: tuple[str, ...],
    error: str | None,
) -> str:
    lines = [f"rule {rule.id} (line {rule.line}): {rule.labels.en} / {rule.labels.vi}"]
    lines.append(f"  trigger: {trigger}")
    if rule.deadline:
        lines.append(f"  deadline kind: {rule.deadline}")
    if rule.when is None:
        lines.append("  when: (always)")
    else:
        lines.append(f"  when: {' '.join(rule.when.split())}")
        for name in rule.names:
            kind = "fact" if name in FACT_TYPES else "setting"
            note = " (not given: default)" if name in defaulted else ""
            lines.append(f"    {kind} {name} = {_format(values.get(name))}{note}")
    if error is not None:
        lines.append(f"  result: could not be evaluated ({error})")
    else:
        lines.append(f"  result: {'matched' if matched else 'not matched'}")
    if matched:
        for action in rule.actions:
            lines.append(f"  -> {_describe(action)}")
    return "\n".join(lines)


def _describe(action: Action) -> str:
    if isinstance(action, Guard):
        return f"refuse: {action.message.en}"
    if isinstance(action, Deadline):
        span = (
            f"{action.business_days} business day(s)"
            if action.business_days is not None
            else f"{action.hours:g} hour(s)"
        )
        return f"deadline {action.kind}: {span} from {action.from_}"
    if isinstance(action, Notify):
        return f"notify {action.to}: {action.event}"
    if isinstance(action, Suggest):
        return "suggest sectors: " + ", ".join(action.sectors)
    if isinstance(action, Flag):
        return f"flag {action.code}: {action.label.en}"
    return f"escalate to {action.to}: {action.message.en}"


def _constants(pack: RulePack, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    constants = pack.constants
    if not overrides:
        return constants
    errors = []
    for name, value in overrides.items():
        if name not in constants:
            errors.append(
                f"unknown setting {name!r} for pack {pack.name}: "
                + did_you_mean(str(name), constants, listing="settings: " + ", ".join(constants))
            )
            continue
        problem = check_setting_value(name, type_of_value(constants[name]), value)
        if problem:
            errors.append(problem)
        else:
            constants[name] = value
    if errors:
        raise FactsError(errors)
    return constants


def _applies(
    rule: Rule, trigger: str, deadline_kind: str | None, hours_remaining: float | None
) -> bool:
    if trigger in DEADLINE_TIMERS and rule.deadline is not None and rule.deadline != deadline_kind:
        return False
    return not (
        trigger == "timer:due_soon"
        and hours_remaining is not None
        and rule.within_hours is not None
        and hours_remaining > rule.within_hours
    )


def evaluate(
    pack: RulePack,
    trigger: str,
    facts: Mapping[str, Any],
    *,
    deadline_kind: str | None = None,
    hours_remaining: float | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Run the pack's rules for `trigger` against `facts`.

    - `facts`: names from rules.facts.FACT_TYPES; missing ones take FACT_DEFAULTS (listed in
      `defaulted_facts`); the `trigger` fact is set from the argument. Unknown names or wrong
      types raise FactsError (a caller's bug); otherwise this never raises.
    - `deadline_kind`: for timer:deadline_passed / timer:due_soon, the kind of the deadline
      concerned; rules naming another kind do not apply (rules naming none always do).
    - `hours_remaining`: for timer:due_soon, hours until the due time; a rule applies only if
      it is within the rule's `within_hours` (None: every due-soon rule applies).
    - `settings`: a table's overrides of the pack's settings (same names and types).
    """
    if trigger not in TRIGGERS:
        raise UnknownTriggerError(f"unknown trigger {trigger!r}: {did_you_mean(trigger, TRIGGERS)}")
    values, defaulted = normalize_facts(facts)
    snapshot = MappingProxyType(values)  # shared, read-only, by every outcome's explanation
    values["trigger"] = trigger
    defaulted = tuple(name for name in defaulted if name != "trigger")
    values.update(pack.engine_constants if not settings else
                  {name: to_engine_value(value)
                   for name, value in _constants(pack, settings).items()})

    outcomes, errors = _outcomes(
        pack, trigger, values, snapshot, defaulted, deadline_kind, hours_remaining
    )
    guard_failures: list[Label] = []
    for outcome in outcomes:
        if outcome.matched:
            guard_failures.extend(g.message for g in outcome.rule.guards)
    refused = bool(guard_failures) and trigger in COMMANDS
    effects = _Effects()
    if not refused:
        for outcome in outcomes:
            if outcome.matched:
                effects.add(outcome.rule.actions)

    return Evaluation(
        pack_name=pack.name,
        pack_version=pack.version,
        trigger=trigger,
        outcomes=tuple(outcomes),
        guard_failures=tuple(guard_failures),
        deadlines=tuple(effects.deadlines),
        notifications=tuple(effects.notifications),
        suggested_sectors=tuple(effects.sectors),
        flags=tuple(effects.flags),
        escalations=tuple(effects.escalations),
        errors=tuple(errors),
        defaulted_facts=defaulted,
    )


def _outcomes(
    pack: RulePack,
    trigger: str,
    values: dict[str, Any],
    snapshot: Mapping[str, Any],
    defaulted: tuple[str, ...],
    deadline_kind: str | None,
    hours_remaining: float | None,
) -> tuple[list[RuleOutcome], list[str]]:
    """Each applicable rule's outcome, and the runtime errors of conditions that failed."""
    outcomes: list[RuleOutcome] = []
    errors: list[str] = []
    for rule in pack.rules_for(trigger):
        if not _applies(rule, trigger, deadline_kind, hours_remaining):
            continue
        error = None
        if rule.condition is None:
            matched = True
        else:
            try:
                matched = rule.condition.evaluate(values)
            except Exception as exc:  # runtime errors (index, arithmetic) of a valid condition
                error = f"{type(exc).__name__}: {exc}"
                errors.append(f"rule {rule.id}: {error}")
                matched = bool(rule.guards)  # a guard that cannot be checked refuses
        outcomes.append(
            RuleOutcome(
                rule=rule,
                matched=matched,
                trigger=trigger,
                values=snapshot,
                defaulted=defaulted,
                error=error,
            )
        )
    return outcomes, errors


@dataclass
class _Effects:
    """What matched rules ask for, in rule order, without repeats (deadlines may repeat)."""

    deadlines: list[Deadline] = field(default_factory=list)
    notifications: list[Notify] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    escalations: list[Escalate] = field(default_factory=list)

    def add(self, actions: Iterable[Action]) -> None:
        for action in actions:
            if isinstance(action, Deadline):
                self.deadlines.append(action)
            elif isinstance(action, Notify):
                if action not in self.notifications:
                    self.notifications.append(action)
            elif isinstance(action, Suggest):
                self.sectors.extend(s for s in action.sectors if s not in self.sectors)
            elif isinstance(action, Flag):
                if all(f.code != action.code for f in self.flags):
                    self.flags.append(action)
            elif isinstance(action, Escalate) and action not in self.escalations:
                self.escalations.append(action)


def explain(pack: RulePack, trigger: str, facts: Mapping[str, Any], **kwargs: Any) -> str:
    """Text for `hubtable rules explain`: every rule for the trigger and why it did (not) fire."""
    return evaluate(pack, trigger, facts, **kwargs).explain()
