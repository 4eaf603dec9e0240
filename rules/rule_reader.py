"""A pack's rules: id, labels, triggers, timing, condition and actions of each.

Also the `suggest` table, which is shorthand for one generated rule per risk category, and the
last check that every deadline kind a timer rule waits for is set by some rule.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import Node, ScalarNode, SequenceNode

from rules.action_reader import MAX_HOURS, read_action, read_sectors
from rules.conditions import CompiledCondition, compile_condition
from rules.model import Action, Deadline, Label, Rule, Suggest
from rules.pack_reader import NULL_TAG, Fields, Reader, line_of
from rules.vocabulary import (
    COMMANDS,
    DEADLINE_TIMERS,
    ENTER_PREFIX,
    KNOWN_DEADLINE_KINDS,
    RISK_CATEGORIES,
    STAGES,
    TRIGGERS,
    did_you_mean,
)

RULE_KEYS = ("id", "labels", "trigger", "when", "actions", "deadline", "within_hours")
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_TRIGGER_LISTING = (
    "commands: "
    + ", ".join(COMMANDS)
    + "; enter:<stage>; timer:deadline_passed, timer:due_soon, timer:open_meetings, "
    "timer:re_presentation"
)


@dataclass
class RuleScope:
    """What every rule of one pack is read against, and what reading them collects.

    `context` and `known` type-check conditions (facts plus the pack's settings); `ids` maps
    each rule id to its line; `deadline_refs` lists (rule id, kind, node) for the final check.
    """

    context: Any
    known: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)
    deadline_refs: list[tuple[str, str, Node]] = field(default_factory=list)


@dataclass
class _Timing:
    deadline: str | None = None
    within_hours: float | None = None


def read_rules(reader: Reader, node: Node, scope: RuleScope) -> list[Rule]:
    """Every well-formed rule of the `rules:` list."""
    if not isinstance(node, SequenceNode):
        reader.problem(node, "schema", "rules must be a list (each item starts with '- ')")
        return []
    rules = []
    for item in node.value:
        rule = read_rule(reader, item, scope)
        if rule is not None:
            rules.append(rule)
    return rules


def read_rule(reader: Reader, node: Node, scope: RuleScope) -> Rule | None:
    """One rule, or None if any part of it has a problem (all of them are reported)."""
    fields = reader.mapping(node, "a rule", RULE_KEYS)
    if fields is None:
        return None
    count = len(reader.problems)
    rule_id = _rule_id(reader, fields, node, scope)
    what = f"rule {rule_id or '?'}"
    labels = None
    if l_node := reader.required(
        fields, "labels", node, what, "add labels: {en: ..., vi: ...} describing the rule"
    ):
        labels = reader.label(l_node, f"{what} labels")
    triggers = _triggers(reader, fields, node, what)
    timing = _timing(reader, fields, node, what, triggers, rule_id, scope)
    when, condition = _condition(reader, fields, what, scope)
    actions = _actions(reader, fields, node, what, triggers)
    if len(reader.problems) > count or rule_id is None or labels is None or not triggers:
        return None
    return Rule(
        id=rule_id,
        labels=labels,
        triggers=tuple(triggers),
        actions=tuple(actions),
        when=when,
        deadline=timing.deadline,
        within_hours=timing.within_hours,
        line=line_of(node),
        condition=condition,
    )


def _rule_id(reader: Reader, fields: Fields, node: Node, scope: RuleScope) -> str | None:
    id_node = reader.required(fields, "id", node, "a rule", "add `id: <unique id>`")
    if id_node is None:
        return None
    rule_id = reader.text(id_node, "rule id")
    if rule_id is None:
        return None
    if not _RULE_ID.match(rule_id):
        reader.problem(
            id_node,
            "schema",
            f"rule id {rule_id!r} is not usable",
            "use letters, digits, '.', '_', '-' (at most 100)",
        )
    elif rule_id in scope.ids:
        reader.problem(
            id_node,
            "duplicate_id",
            f"duplicate rule id {rule_id!r}",
            f"the first is on line {scope.ids[rule_id]}; rule ids must be unique",
        )
    else:
        scope.ids[rule_id] = line_of(id_node)
    return rule_id


def _triggers(reader: Reader, fields: Fields, node: Node, what: str) -> list[str]:
    """The rule's triggers (duplicates dropped), or [] if any is unknown."""
    t_node = reader.required(
        fields,
        "trigger",
        node,
        what,
        "add `trigger:` (a command such as submit, enter:<stage> or timer:...)",
    )
    if t_node is None:
        return []
    items = reader.string_list(t_node, f"{what} trigger")
    if items is None:
        return []
    out: list[str] = []
    ok = True
    for trigger, item in items:
        if trigger in TRIGGERS:
            if trigger not in out:
                out.append(trigger)
            continue
        ok = False
        if trigger.startswith(ENTER_PREFIX):
            stage = trigger.removeprefix(ENTER_PREFIX)
            reader.problem(
                item,
                "unknown_stage",
                f"{what}: unknown stage {stage!r}",
                did_you_mean(stage, STAGES),
            )
        else:
            reader.problem(
                item,
                "unknown_trigger",
                f"{what}: unknown trigger {trigger!r}",
                did_you_mean(trigger, TRIGGERS, listing=_TRIGGER_LISTING),
            )
    return out if ok else []


def _timing(
    reader: Reader,
    fields: Fields,
    node: Node,
    what: str,
    triggers: list[str],
    rule_id: str | None,
    scope: RuleScope,
) -> _Timing:
    """`deadline:` (which kind a timer waits for) and `within_hours:` (how early due_soon fires)."""
    timing = _Timing()
    if "deadline" in fields:
        d_node = fields["deadline"][1]
        timing.deadline = reader.slug(d_node, "deadline kind")
        if timing.deadline is not None:
            scope.deadline_refs.append((rule_id or "?", timing.deadline, d_node))
        if triggers and not set(triggers) <= set(DEADLINE_TIMERS):
            reader.problem(
                d_node,
                "schema",
                "`deadline:` only applies to timer:deadline_passed and timer:due_soon",
                "remove it or change the trigger",
            )
    if "within_hours" in fields:
        w_node = fields["within_hours"][1]
        value = reader.value(w_node)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and 0 < value <= MAX_HOURS)
        ):
            reader.problem(
                w_node,
                "bad_duration",
                "within_hours must be a positive number",
                "e.g. within_hours: 24",
            )
        else:
            timing.within_hours = float(value)
        if triggers and "timer:due_soon" not in triggers:
            reader.problem(w_node, "schema", "`within_hours:` only applies to timer:due_soon")
    elif triggers and "timer:due_soon" in triggers:
        reader.problem(
            node,
            "missing",
            f"{what} on timer:due_soon has no within_hours",
            "add `within_hours: 24` (how long before the due time to fire)",
        )
    return timing


def _condition(
    reader: Reader, fields: Fields, what: str, scope: RuleScope
) -> tuple[str | None, CompiledCondition | None]:
    """(the `when` text, its compiled form); (None, None) when the rule always applies."""
    if "when" not in fields:
        return None, None
    w_node = fields["when"][1]
    if isinstance(w_node, ScalarNode) and w_node.tag != NULL_TAG:
        when = str(w_node.value)
        condition, issues = compile_condition(when, scope.context, scope.known)
        for issue in issues:
            reader.problem(w_node, issue.code, f"{what}: {issue.message}", issue.hint)
        return when, condition
    if not (isinstance(w_node, ScalarNode) and w_node.tag == NULL_TAG):
        reader.problem(
            w_node,
            "syntax_error",
            f"{what}: `when` must be a text condition",
            "quote it if it starts with a YAML special character",
        )
    return None, None


def _actions(
    reader: Reader, fields: Fields, node: Node, what: str, triggers: list[str]
) -> list[Action]:
    a_node = reader.required(
        fields, "actions", node, what, "add `actions:` with at least one action"
    )
    if a_node is None:
        return []
    if not isinstance(a_node, SequenceNode) or not a_node.value:
        reader.problem(a_node, "schema", f"{what}: actions must be a non-empty list")
        return []
    actions = []
    for item in a_node.value:
        action = read_action(reader, item, what, triggers)
        if action is not None:
            actions.append(action)
    return actions


def read_suggest(
    reader: Reader, node: Node, scope: RuleScope
) -> tuple[list[Rule], dict[str, tuple[str, ...]]]:
    """The `suggest:` table (category -> sectors) and the rule it stands for per category."""
    fields = reader.mapping(node, "suggest", ("on", "categories"))
    if fields is None:
        return [], {}
    triggers = []
    o_node = reader.required(fields, "on", node, "suggest", "add `on: [accept, disclose, plan]`")
    if o_node is not None:
        for trigger, item in reader.string_list(o_node, "suggest on") or []:
            if trigger in TRIGGERS:
                triggers.append(trigger)
            else:
                reader.problem(
                    item,
                    "unknown_trigger",
                    f"suggest: unknown trigger {trigger!r}",
                    did_you_mean(trigger, TRIGGERS),
                )
    c_node = reader.required(
        fields, "categories", node, "suggest", "add `categories: {housing: [housing], ...}`"
    )
    table: dict[str, tuple[str, ...]] = {}
    rules: list[Rule] = []
    if c_node is None:
        return rules, table
    categories = reader.mapping(c_node, "suggest categories")
    for category, (key_node, value_node) in (categories or {}).items():
        if category not in RISK_CATEGORIES:
            reader.problem(
                key_node,
                "unknown_category",
                f"suggest: unknown risk category {category!r}",
                did_you_mean(category, RISK_CATEGORIES),
            )
            continue
        sectors = read_sectors(reader, value_node, f"suggest {category}")
        if not sectors:
            continue
        table[category] = tuple(sectors)
        rule = _suggest_rule(reader, key_node, category, sectors, triggers, scope)
        if rule is not None:
            rules.append(rule)
    return rules, table


def _suggest_rule(
    reader: Reader,
    key_node: Node,
    category: str,
    sectors: list[str],
    triggers: list[str],
    scope: RuleScope,
) -> Rule | None:
    """The rule `suggest.<category>`: suggest these sectors when the category is a risk."""
    rule_id = f"suggest.{category}"
    if rule_id in scope.ids:
        reader.problem(
            key_node,
            "duplicate_id",
            f"duplicate rule id {rule_id!r}",
            f"line {scope.ids[rule_id]} has a rule with the id the suggest table "
            "gives this category; rename that rule",
        )
        return None
    scope.ids[rule_id] = line_of(key_node)
    when = f'"{category}" in risk_categories'
    condition, issues = compile_condition(when, scope.context, scope.known)
    for issue in issues:  # pragma: no cover - the text is built from checked codes
        reader.problem(key_node, issue.code, issue.message, issue.hint)
    if not triggers:
        return None
    return Rule(
        id=rule_id,
        labels=Label(
            en=f"Suggest {', '.join(sectors)} for {category} risk",
            vi=f"Gợi ý ngành {', '.join(sectors)} cho nhóm nguy cơ {category}",
        ),
        triggers=tuple(triggers),
        actions=(Suggest(sectors=tuple(sectors)),),
        when=when,
        line=line_of(key_node),
        condition=condition,
    )


def check_deadline_kinds(reader: Reader, rules: list[Rule], scope: RuleScope) -> None:
    """Every `deadline:` a timer rule waits for is a kind some rule sets (or a built-in one)."""
    kinds = set(KNOWN_DEADLINE_KINDS)
    for rule in rules:
        kinds.update(a.kind for a in rule.actions if isinstance(a, Deadline))
    for rule_id, kind, node in scope.deadline_refs:
        if kind not in kinds:
            reader.problem(
                node,
                "unknown_deadline_kind",
                f"rule {rule_id}: no rule sets a deadline of kind {kind!r}",
                did_you_mean(kind, sorted(kinds)),
            )
