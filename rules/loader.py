"""Read a rule pack from YAML, check everything, and say exactly where and how to fix it.

Nothing in a pack is ever executed: YAML is composed with the safe loader (no tags, no
objects), conditions are parsed by rule-engine with a typed context. `check_pack` collects
every problem (file, line, message, hint) so an administrator fixes a pack in one pass;
`load_pack` returns a RulePack or raises RulePackError with those problems.

Problem codes: io, yaml_error, schema, unknown_key, duplicate_key, missing, missing_label,
unknown_fact, type_error, syntax_error, forbidden, unknown_code, unknown_trigger,
unknown_stage, unknown_sector, unknown_category, unknown_action, unknown_audience,
unknown_deadline_kind, duplicate_id, bad_duration, bad_setting, bad_country, bad_screening.
"""

from __future__ import annotations

import functools
import math
import os
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from rules.conditions import CompiledCondition, compile_condition
from rules.facts import FACT_TYPES, RESERVED_WORDS, make_context, type_of_value
from rules.model import (
    ACTION_TYPES,
    Action,
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
from rules.vocabulary import (
    COMMANDS,
    DEADLINE_TIMERS,
    ENTER_PREFIX,
    KNOWN_DEADLINE_KINDS,
    RISK_CATEGORIES,
    SECTORS,
    SLUG,
    STAGES,
    TRIGGERS,
    audience_problem,
    did_you_mean,
    event_problem,
)

PACKS_DIR = Path(__file__).resolve().parent / "packs"
MAX_PACK_CHARS = 1_000_000
MAX_YAML_DEPTH = 40
MAX_BUSINESS_DAYS = 260
MAX_HOURS = 24 * 366

_TOP_KEYS = (
    "name",
    "version",
    "labels",
    "country",
    "subdivision",
    "settings",
    "screening",
    "suggest",
    "rules",
)
_RULE_KEYS = ("id", "labels", "trigger", "when", "actions", "deadline", "within_hours")
_ACTION_KEYS: dict[str, tuple[str, ...]] = {
    "guard": ("type", "message"),
    "deadline": ("type", "kind", "business_days", "hours", "from"),
    "notify": ("type", "to", "event"),
    "suggest": ("type", "sectors"),
    "flag": ("type", "code", "label"),
    "escalate": ("type", "to", "message"),
}
#: settings the workflow core reads; each must be a positive number
_POSITIVE_SETTINGS = ("quorum_sectors", "open_meetings_limit", "re_presentation_window_days")
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_PACK_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
_EVENT = re.compile(r"^[a-z][a-z0-9_.]{0,59}$")
_SETTING_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,59}$")
#: libyaml's safe loader when available (several times faster), else the pure Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"


class RulePackError(Exception):
    """The pack cannot be used; `problems` says every reason, with file, line and hint."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid rule pack"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problem(s))" if more > 0 else ""))


def _line(node: Node | None) -> int:
    return node.start_mark.line + 1 if node is not None and node.start_mark else 0


class _Reader:
    """Walks the composed YAML nodes, building model values and collecting problems."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.deadline_refs: list[tuple[str, str, Node]] = []  # (rule id, kind, node)

    # -- helpers -------------------------------------------------------------------------
    def problem(self, node: Node | int | None, code: str, message: str, hint: str = "") -> None:
        line = node if isinstance(node, int) else _line(node)
        self.problems.append(Problem(self.source, line, message, hint, code))

    def mapping(
        self,
        node: Node,
        what: str,
        allowed: tuple[str, ...] | None = None,
        *,
        quiet: bool = False,
    ) -> dict[str, tuple[Node, Node]] | None:
        """The key -> (key node, value node) of a mapping; `quiet` reports no problem."""
        if not isinstance(node, MappingNode):
            if not quiet:
                self.problem(node, "schema", f"{what} must be a mapping (key: value lines)")
            return None
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _NULL_TAG:
                if not quiet:
                    self.problem(key_node, "schema", f"{what}: keys must be plain names")
                continue
            key = key_node.value
            if quiet:
                out.setdefault(key, (key_node, value_node))
                continue
            if key in out:
                self.problem(
                    key_node,
                    "duplicate_key",
                    f"{what}: key {key!r} appears twice",
                    f"keep one (first on line {_line(out[key][0])})",
                )
                continue
            out[key] = (key_node, value_node)
            if allowed is not None and key not in allowed:
                self.problem(
                    key_node,
                    "unknown_key",
                    f"unknown key {key!r} in {what}",
                    did_you_mean(key, allowed, listing="allowed keys: " + ", ".join(allowed)),
                )
        return out

    def text(self, node: Node, what: str) -> str | None:
        """A non-empty string scalar (its text as written), or None with a problem."""
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG:
            self.problem(node, "schema", f"{what} must be a text value")
            return None
        if not node.value.strip():
            self.problem(node, "schema", f"{what} must not be empty")
            return None
        return node.value

    def value(self, node: Node) -> Any:
        """The YAML value of a scalar (int, float, bool, str...), or None if not buildable."""
        if not isinstance(node, ScalarNode):
            return None
        try:
            return yaml.constructor.SafeConstructor().construct_document(node)
        except Exception:  # e.g. an impossible date such as 2026-13-45
            return None

    def required(
        self, fields: dict[str, tuple[Node, Node]], key: str, parent: Node, what: str, hint: str
    ) -> Node | None:
        if key not in fields:
            code = "missing_label" if key in ("labels", "message", "label") else "missing"
            self.problem(parent, code, f"{what} has no {key!r}", hint)
            return None
        return fields[key][1]

    def label(self, node: Node, what: str, *, extra_keys: tuple[str, ...] = ()) -> Label | None:
        fields = self.mapping(node, what, ("en", "vi", *extra_keys))
        if fields is None:
            return None
        texts: dict[str, str] = {}
        for language, name in (("en", "English"), ("vi", "Vietnamese")):
            if language not in fields:
                self.problem(
                    node,
                    "missing_label",
                    f"{what} has no {language!r} text",
                    f"add `{language}: <{name} text>`",
                )
                continue
            value_node = fields[language][1]
            if not isinstance(value_node, ScalarNode) or not value_node.value.strip():
                self.problem(
                    value_node,
                    "missing_label",
                    f"{what}: the {language!r} text is empty",
                    f"write the {name} text",
                )
                continue
            texts[language] = value_node.value
        if len(texts) != 2:
            return None
        return Label(en=texts["en"], vi=texts["vi"])

    def slug(self, node: Node, what: str) -> str | None:
        text = self.text(node, what)
        if text is None:
            return None
        if not SLUG.match(text) or len(text) > 60:
            self.problem(
                node,
                "schema",
                f"{what} {text!r} is not a code",
                "use lower case letters, digits and '_', starting with a letter",
            )
            return None
        return text

    def string_list(self, node: Node, what: str) -> list[tuple[str, Node]] | None:
        if isinstance(node, ScalarNode) and node.tag != _NULL_TAG:
            return [(node.value, node)]
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(node, "schema", f"{what} must be a non-empty list")
            return None
        out = []
        for item in node.value:
            text = self.text(item, f"each item of {what}")
            if text is not None:
                out.append((text, item))
        return out

    # -- the pack ------------------------------------------------------------------------
    def pack(self, root: Node, text: str) -> RulePack | None:
        top = self.mapping(root, "a rule pack", _TOP_KEYS)
        if top is None:
            return None
        hint = "a pack starts with name, version, labels {en, vi} and rules"
        name = version = None
        if (node := self.required(top, "name", root, "the pack", hint)) is not None:
            name = self.text(node, "name")
            if name is not None and not _PACK_NAME.match(name):
                self.problem(
                    node,
                    "schema",
                    f"pack name {name!r} is not a code",
                    "use lower case letters, digits, '-', '_' and '.'",
                )
                name = None
        if (node := self.required(top, "version", root, "the pack", hint)) is not None:
            version = self.text(node, "version")
            if version is not None and len(version) > 40:
                self.problem(node, "schema", "version longer than 40 characters")
                version = None
        labels = None
        node = self.required(top, "labels", root, "the pack", "add labels: {en: ..., vi: ...}")
        if node is not None:
            labels = self.label(node, "the pack's labels")
        country, subdivision = self.country(top)
        settings = self.settings(top["settings"][1]) if "settings" in top else {}
        screening = self.screening(top["screening"][1]) if "screening" in top else None
        if screening is not None and "screening_threshold" in settings:
            self.problem(
                top["settings"][0],
                "bad_setting",
                "setting 'screening_threshold' clashes with the screening threshold",
                "drop it: the screening's threshold is available under that name",
            )
        constants: dict[str, Any] = dict(settings)
        if screening is not None:
            constants["screening_threshold"] = screening.threshold
        known = dict(FACT_TYPES)
        extra = {key: type_of_value(value) for key, value in constants.items()}
        known.update(extra)
        context = make_context(extra)

        rules: list[Rule] = []
        ids: dict[str, int] = {}
        if node := self.required(top, "rules", root, "the pack", "add `rules:` with a list"):
            if not isinstance(node, SequenceNode):
                self.problem(node, "schema", "rules must be a list (each item starts with '- ')")
            else:
                for item in node.value:
                    rule = self.rule(item, context, known, ids)
                    if rule is not None:
                        rules.append(rule)
        suggest_table: dict[str, tuple[str, ...]] = {}
        if "suggest" in top:
            suggest_rules, suggest_table = self.suggest(top["suggest"][1], context, known, ids)
            rules.extend(suggest_rules)
        self.check_deadline_kinds(rules)
        if self.problems or name is None or version is None or labels is None:
            return None
        return RulePack(
            name=name,
            version=version,
            labels=labels,
            rules=tuple(rules),
            country=country,
            subdivision=subdivision,
            settings=MappingProxyType(dict(settings)),
            screening=screening,
            suggest=MappingProxyType(suggest_table),
            source_name=self.source,
            source_text=text,
        )

    def country(self, top: dict[str, tuple[Node, Node]]) -> tuple[str | None, str | None]:
        country = subdivision = None
        if "country" in top:
            node = top["country"][1]
            country = self.text(node, "country")
            if country is not None:
                supported = _supported_countries()
                if not re.match(r"^[A-Z]{2}$", country) or (supported and country not in supported):
                    self.problem(
                        node,
                        "bad_country",
                        f"unknown country {country!r}",
                        "use an ISO 3166 code known to the holidays library, e.g. CA, VN",
                    )
                    country = None
        if "subdivision" in top:
            node = top["subdivision"][1]
            subdivision = self.text(node, "subdivision")
            if subdivision is not None:
                if "country" not in top:
                    self.problem(
                        node,
                        "bad_country",
                        "subdivision without country",
                        "add `country:` (e.g. CA for ON)",
                    )
                elif country is not None:
                    subdivs = _supported_countries().get(country)
                    if subdivs is not None and subdivision not in subdivs:
                        self.problem(
                            node,
                            "bad_country",
                            f"unknown subdivision {subdivision!r} of {country}",
                            did_you_mean(
                                subdivision,
                                subdivs,
                                listing="known: " + ", ".join(subdivs)
                                if subdivs
                                else f"{country} has none",
                            ),
                        )
                        subdivision = None
        return country, subdivision

    def settings(self, node: Node) -> dict[str, Any]:
        fields = self.mapping(node, "settings")
        out: dict[str, Any] = {}
        if fields is None:
            return out
        for key, (key_node, value_node) in fields.items():
            if not _SETTING_NAME.match(key) or key in RESERVED_WORDS:
                self.problem(
                    key_node,
                    "bad_setting",
                    f"setting name {key!r} is not usable",
                    "use lower case letters, digits and '_'",
                )
                continue
            if key in FACT_TYPES:
                self.problem(
                    key_node,
                    "bad_setting",
                    f"setting {key!r} has the name of a fact",
                    "rename the setting",
                )
                continue
            value = self.value(value_node)
            if value is None or type_of_value(value) is None:
                self.problem(
                    value_node,
                    "bad_setting",
                    f"setting {key!r} must be a number, true/false or a text",
                )
                continue
            if key in _POSITIVE_SETTINGS and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                self.problem(
                    value_node,
                    "bad_setting",
                    f"setting {key!r} must be a positive number",
                    f"e.g. {key}: 3",
                )
                continue
            out[key] = value
        return out

    def screening(self, node: Node) -> Screening | None:
        fields = self.mapping(node, "screening", ("labels", "threshold", "questions"))
        if fields is None:
            return None
        labels = self.label(fields["labels"][1], "screening labels") if "labels" in fields else None
        threshold = None
        if (
            t_node := self.required(fields, "threshold", node, "screening", "add `threshold: 14`")
        ) is not None:
            value = self.value(t_node)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                self.problem(
                    t_node,
                    "bad_screening",
                    "screening threshold must be a whole number above 0",
                    "e.g. threshold: 14",
                )
            else:
                threshold = value
        questions: list[Question] = []
        seen: dict[str, int] = {}
        q_node = self.required(
            fields, "questions", node, "screening", "add `questions:` with {id, en, vi} items"
        )
        if q_node is not None:
            if not isinstance(q_node, SequenceNode) or not q_node.value:
                self.problem(
                    q_node, "bad_screening", "screening questions must be a non-empty list"
                )
            else:
                for item in q_node.value:
                    q_fields = self.mapping(item, "a screening question", quiet=True)
                    if q_fields is None:
                        self.problem(
                            item,
                            "bad_screening",
                            "a screening question must be a mapping {id, en, vi}",
                        )
                        continue
                    qid = None
                    if (
                        id_node := self.required(
                            q_fields, "id", item, "a screening question", "add `id: <code>`"
                        )
                    ) is not None:
                        qid = self.slug(id_node, "question id")
                        if qid is not None and qid in seen:
                            self.problem(
                                id_node,
                                "duplicate_id",
                                f"question id {qid!r} appears twice",
                                f"first on line {seen[qid]}",
                            )
                            qid = None
                        elif qid is not None:
                            seen[qid] = _line(id_node)
                    label = self.label(item, f"question {qid or '?'}", extra_keys=("id",))
                    if qid is not None and label is not None:
                        questions.append(Question(id=qid, text=label))
                if threshold is not None and threshold > len(q_node.value):
                    self.problem(
                        t_node,
                        "bad_screening",
                        f"threshold {threshold} is above the number of questions "
                        f"({len(q_node.value)})",
                        "lower it or add questions",
                    )
        if threshold is None or not questions:
            return None
        return Screening(threshold=threshold, questions=tuple(questions), labels=labels)

    # -- rules ---------------------------------------------------------------------------
    def rule(
        self, node: Node, context: Any, known: dict[str, Any], ids: dict[str, int]
    ) -> Rule | None:
        fields = self.mapping(node, "a rule", _RULE_KEYS)
        if fields is None:
            return None
        count = len(self.problems)
        rule_id = None
        if id_node := self.required(fields, "id", node, "a rule", "add `id: <unique id>`"):
            rule_id = self.text(id_node, "rule id")
            if rule_id is not None:
                if not _RULE_ID.match(rule_id):
                    self.problem(
                        id_node,
                        "schema",
                        f"rule id {rule_id!r} is not usable",
                        "use letters, digits, '.', '_', '-' (at most 100)",
                    )
                elif rule_id in ids:
                    self.problem(
                        id_node,
                        "duplicate_id",
                        f"duplicate rule id {rule_id!r}",
                        f"the first is on line {ids[rule_id]}; rule ids must be unique",
                    )
                else:
                    ids[rule_id] = _line(id_node)
        what = f"rule {rule_id or '?'}"
        labels = None
        if l_node := self.required(
            fields, "labels", node, what, "add labels: {en: ..., vi: ...} describing the rule"
        ):
            labels = self.label(l_node, f"{what} labels")
        triggers = self.triggers(fields, node, what)
        deadline = within_hours = None
        if "deadline" in fields:
            d_node = fields["deadline"][1]
            deadline = self.slug(d_node, "deadline kind")
            if deadline is not None:
                self.deadline_refs.append((rule_id or "?", deadline, d_node))
            if triggers and not set(triggers) <= set(DEADLINE_TIMERS):
                self.problem(
                    d_node,
                    "schema",
                    "`deadline:` only applies to timer:deadline_passed and timer:due_soon",
                    "remove it or change the trigger",
                )
        if "within_hours" in fields:
            w_node = fields["within_hours"][1]
            value = self.value(w_node)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (math.isfinite(value) and 0 < value <= MAX_HOURS)
            ):
                self.problem(
                    w_node,
                    "bad_duration",
                    "within_hours must be a positive number",
                    "e.g. within_hours: 24",
                )
            else:
                within_hours = float(value)
            if triggers and "timer:due_soon" not in triggers:
                self.problem(w_node, "schema", "`within_hours:` only applies to timer:due_soon")
        elif triggers and "timer:due_soon" in triggers:
            self.problem(
                node,
                "missing",
                f"{what} on timer:due_soon has no within_hours",
                "add `within_hours: 24` (how long before the due time to fire)",
            )
        condition: CompiledCondition | None = None
        when = None
        if "when" in fields:
            w_node = fields["when"][1]
            if isinstance(w_node, ScalarNode) and w_node.tag != _NULL_TAG:
                when = w_node.value
                condition, issues = compile_condition(when, context, known)
                for issue in issues:
                    self.problem(w_node, issue.code, f"{what}: {issue.message}", issue.hint)
            elif not (isinstance(w_node, ScalarNode) and w_node.tag == _NULL_TAG):
                self.problem(
                    w_node,
                    "syntax_error",
                    f"{what}: `when` must be a text condition",
                    "quote it if it starts with a YAML special character",
                )
        actions: list[Action] = []
        if (
            a_node := self.required(
                fields, "actions", node, what, "add `actions:` with at least one action"
            )
        ) is not None:
            if not isinstance(a_node, SequenceNode) or not a_node.value:
                self.problem(a_node, "schema", f"{what}: actions must be a non-empty list")
            else:
                for item in a_node.value:
                    action = self.action(item, what, triggers)
                    if action is not None:
                        actions.append(action)
        if len(self.problems) > count or rule_id is None or labels is None or not triggers:
            return None
        return Rule(
            id=rule_id,
            labels=labels,
            triggers=tuple(triggers),
            actions=tuple(actions),
            when=when,
            deadline=deadline,
            within_hours=within_hours,
            line=_line(node),
            condition=condition,
        )

    def triggers(self, fields: dict[str, tuple[Node, Node]], node: Node, what: str) -> list[str]:
        t_node = self.required(
            fields,
            "trigger",
            node,
            what,
            "add `trigger:` (a command such as submit, enter:<stage> or timer:...)",
        )
        if t_node is None:
            return []
        items = self.string_list(t_node, f"{what} trigger")
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
                self.problem(
                    item,
                    "unknown_stage",
                    f"{what}: unknown stage {stage!r}",
                    did_you_mean(stage, STAGES),
                )
            else:
                self.problem(
                    item,
                    "unknown_trigger",
                    f"{what}: unknown trigger {trigger!r}",
                    did_you_mean(
                        trigger,
                        TRIGGERS,
                        listing="commands: "
                        + ", ".join(COMMANDS)
                        + "; enter:<stage>; timer:deadline_passed, "
                        "timer:due_soon, timer:open_meetings, "
                        "timer:re_presentation",
                    ),
                )
        return out if ok else []

    def action(self, node: Node, what: str, triggers: list[str]) -> Action | None:
        if not isinstance(node, MappingNode):
            self.problem(node, "schema", f"{what}: each action must be a mapping with `type`")
            return None
        raw = self.mapping(node, f"{what} action")
        if raw is None:
            return None
        if "type" not in raw:
            self.problem(
                node,
                "unknown_action",
                f"{what}: action without `type`",
                "types: " + ", ".join(ACTION_TYPES),
            )
            return None
        kind = self.text(raw["type"][1], "action type")
        if kind is None:
            return None
        if kind not in ACTION_TYPES:
            self.problem(
                raw["type"][1],
                "unknown_action",
                f"{what}: unknown action type {kind!r}",
                did_you_mean(kind, ACTION_TYPES),
            )
            return None
        allowed = _ACTION_KEYS[kind]
        for key, (key_node, _) in raw.items():
            if key not in allowed:
                self.problem(
                    key_node,
                    "unknown_key",
                    f"unknown key {key!r} in a {kind} action",
                    did_you_mean(key, allowed, listing="allowed keys: " + ", ".join(allowed)),
                )
        where = f"{what} {kind}"
        if kind == "guard":
            return self.guard(raw, node, where, triggers)
        if kind == "deadline":
            return self.deadline(raw, node, where)
        if kind in ("notify", "escalate"):
            return self.to_audience(kind, raw, node, where)
        if kind == "suggest":
            s_node = self.required(raw, "sectors", node, where, "add `sectors: [health, ...]`")
            sectors = self.sectors(s_node, where) if s_node is not None else None
            return Suggest(sectors=tuple(sectors)) if sectors else None
        # flag
        code = label = None
        if c_node := self.required(raw, "code", node, where, "add `code: <flag_code>`"):
            code = self.slug(c_node, "flag code")
        if l_node := self.required(raw, "label", node, where, "add label: {en: ..., vi: ...}"):
            label = self.label(l_node, f"{where} label")
        return Flag(code=code, label=label) if code and label else None

    def guard(self, raw: dict, node: Node, where: str, triggers: list[str]) -> Guard | None:
        if triggers and not set(triggers) <= set(COMMANDS):
            self.problem(
                node,
                "schema",
                f"{where}: a guard can only refuse a command",
                "use a command trigger (" + ", ".join(COMMANDS) + ") or a flag",
            )
        m_node = self.required(
            raw, "message", node, where, "add message: {en: ..., vi: ...} saying what to fix"
        )
        message = self.label(m_node, f"{where} message") if m_node is not None else None
        return Guard(message=message) if message else None

    def deadline(self, raw: dict, node: Node, where: str) -> Deadline | None:
        kind = None
        if k_node := self.required(raw, "kind", node, where, "add `kind: first_contact`"):
            kind = self.slug(k_node, "deadline kind")
        business_days = hours = None
        ok = True
        if "business_days" in raw and "hours" in raw:
            self.problem(
                raw["hours"][0],
                "bad_duration",
                f"{where}: give business_days or hours, not both",
                "business days skip weekends and holidays; hours run on the clock",
            )
            ok = False
        elif "business_days" not in raw and "hours" not in raw:
            self.problem(
                node,
                "bad_duration",
                f"{where}: no duration",
                "add `business_days: 2` or `hours: 12`",
            )
            ok = False
        if "business_days" in raw:
            b_node = raw["business_days"][1]
            value = self.value(b_node)
            if isinstance(value, bool) or not isinstance(value, int):
                self.problem(
                    b_node,
                    "bad_duration",
                    f"{where}: business_days must be a whole number, "
                    f"not {getattr(b_node, 'value', '?')!r}",
                    "e.g. business_days: 2",
                )
                ok = False
            elif not 0 < value <= MAX_BUSINESS_DAYS:
                self.problem(
                    b_node,
                    "bad_duration",
                    f"{where}: business_days must be between 1 and {MAX_BUSINESS_DAYS}",
                    "a deadline is in the future: use a positive number",
                )
                ok = False
            else:
                business_days = value
        if "hours" in raw:
            h_node = raw["hours"][1]
            value = self.value(h_node)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                self.problem(
                    h_node,
                    "bad_duration",
                    f"{where}: hours must be a number, not {getattr(h_node, 'value', '?')!r}",
                    "e.g. hours: 12",
                )
                ok = False
            elif not 0 < value <= MAX_HOURS:
                self.problem(
                    h_node,
                    "bad_duration",
                    f"{where}: hours must be above 0 and at most {MAX_HOURS}",
                    "a deadline is in the future: use a positive number",
                )
                ok = False
            else:
                hours = float(value)
        from_ = "trigger"
        if "from" in raw:
            f_node = raw["from"][1]
            text = self.text(f_node, "from")
            if text not in ("now", "trigger"):
                self.problem(
                    f_node,
                    "schema",
                    f"{where}: `from` must be now or trigger",
                    "trigger (default) counts from the event; now from the evaluation",
                )
                ok = False
            else:
                from_ = text
        if not ok or kind is None:
            return None
        return Deadline(kind=kind, business_days=business_days, hours=hours, from_=from_)

    def to_audience(self, kind: str, raw: dict, node: Node, where: str) -> Action | None:
        to = None
        if t_node := self.required(raw, "to", node, where, "add `to: chair` (or lead, ...)"):
            to = self.text(t_node, "to")
            if to is not None and (found := audience_problem(to)):
                self.problem(t_node, "unknown_audience", f"{where}: {found[0]}", found[1])
                to = None
        if kind == "notify":
            event = None
            if (
                e_node := self.required(raw, "event", node, where, "add `event: <event_name>`")
            ) is not None:
                event = self.text(e_node, "event")
                if event is not None and not _EVENT.match(event):
                    self.problem(
                        e_node,
                        "schema",
                        f"{where}: event {event!r} is not a name",
                        "lower case letters, digits, '_' and '.'",
                    )
                    event = None
                elif event is not None and (typo := event_problem(event)):
                    self.problem(e_node, "unknown_event", f"{where}: {typo[0]}", typo[1])
                    event = None
            return Notify(to=to, event=event) if to and event else None
        message = None
        if (
            m_node := self.required(raw, "message", node, where, "add message: {en: ..., vi: ...}")
        ) is not None:
            message = self.label(m_node, f"{where} message")
        return Escalate(to=to, message=message) if to and message else None

    def sectors(self, node: Node, where: str) -> list[str] | None:
        items = self.string_list(node, f"{where} sectors")
        if items is None:
            return None
        out: list[str] = []
        ok = True
        for sector, item in items:
            if sector not in SECTORS:
                self.problem(
                    item,
                    "unknown_sector",
                    f"{where}: unknown sector {sector!r}",
                    did_you_mean(sector, SECTORS),
                )
                ok = False
            elif sector not in out:
                out.append(sector)
        return out if ok else None

    def suggest(
        self, node: Node, context: Any, known: dict[str, Any], ids: dict[str, int]
    ) -> tuple[list[Rule], dict[str, tuple[str, ...]]]:
        fields = self.mapping(node, "suggest", ("on", "categories"))
        if fields is None:
            return [], {}
        triggers = []
        if (
            o_node := self.required(
                fields, "on", node, "suggest", "add `on: [accept, disclose, plan]`"
            )
        ) is not None:
            for trigger, item in self.string_list(o_node, "suggest on") or []:
                if trigger in TRIGGERS:
                    triggers.append(trigger)
                else:
                    self.problem(
                        item,
                        "unknown_trigger",
                        f"suggest: unknown trigger {trigger!r}",
                        did_you_mean(trigger, TRIGGERS),
                    )
        c_node = self.required(
            fields, "categories", node, "suggest", "add `categories: {housing: [housing], ...}`"
        )
        table: dict[str, tuple[str, ...]] = {}
        rules: list[Rule] = []
        if c_node is None:
            return rules, table
        categories = self.mapping(c_node, "suggest categories")
        for category, (key_node, value_node) in (categories or {}).items():
            if category not in RISK_CATEGORIES:
                self.problem(
                    key_node,
                    "unknown_category",
                    f"suggest: unknown risk category {category!r}",
                    did_you_mean(category, RISK_CATEGORIES),
                )
                continue
            sectors = self.sectors(value_node, f"suggest {category}")
            if not sectors:
                continue
            table[category] = tuple(sectors)
            rule_id = f"suggest.{category}"
            if rule_id in ids:
                self.problem(
                    key_node,
                    "duplicate_id",
                    f"duplicate rule id {rule_id!r}",
                    f"line {ids[rule_id]} has a rule with the id the suggest table "
                    "gives this category; rename that rule",
                )
                continue
            ids[rule_id] = _line(key_node)
            when = f'"{category}" in risk_categories'
            condition, issues = compile_condition(when, context, known)
            for issue in issues:  # pragma: no cover - the text is built from checked codes
                self.problem(key_node, issue.code, issue.message, issue.hint)
            if triggers:
                rules.append(
                    Rule(
                        id=rule_id,
                        labels=Label(
                            en=f"Suggest {', '.join(sectors)} for {category} risk",
                            vi=f"Gợi ý ngành {', '.join(sectors)} cho nhóm nguy cơ {category}",
                        ),
                        triggers=tuple(triggers),
                        actions=(Suggest(sectors=tuple(sectors)),),
                        when=when,
                        line=_line(key_node),
                        condition=condition,
                    )
                )
        return rules, table

    def check_deadline_kinds(self, rules: list[Rule]) -> None:
        kinds = set(KNOWN_DEADLINE_KINDS)
        for rule in rules:
            kinds.update(a.kind for a in rule.actions if isinstance(a, Deadline))
        for rule_id, kind, node in self.deadline_refs:
            if kind not in kinds:
                self.problem(
                    node,
                    "unknown_deadline_kind",
                    f"rule {rule_id}: no rule sets a deadline of kind {kind!r}",
                    did_you_mean(kind, sorted(kinds)),
                )


@functools.lru_cache(maxsize=1)
def _supported_countries() -> dict[str, tuple[str, ...]]:
    try:
        import holidays  # only to check codes; the arithmetic is in workflow/deadlines.py

        return {k: tuple(v) for k, v in holidays.list_supported_countries().items()}
    except Exception:  # pragma: no cover - holidays missing: check the format only
        return {}


def _too_deep(text: str) -> int | None:
    """The line where nesting passes MAX_YAML_DEPTH, found with the (iterative) event parser.

    PyYAML composes recursively: a deeply nested document would take seconds to fail.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_SAFE_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return event.start_mark.line + 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _find_aliases(root: Node) -> Node | None:
    """The first node reached twice (an alias), walking iteratively (safe on cycles)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
    return None


def parse_pack(text: str, source_name: str = "<text>") -> tuple[RulePack | None, list[Problem]]:
    """Parse and check pack text: (pack, []) or (None, every problem). Never raises."""
    reader = _Reader(source_name)
    if not isinstance(text, str):
        reader.problem(0, "io", "a pack must be text")
        return None, reader.problems
    if len(text) > MAX_PACK_CHARS:
        reader.problem(0, "io", f"pack larger than {MAX_PACK_CHARS} characters")
        return None, reader.problems
    try:
        deep = _too_deep(text)
        if deep is not None:
            reader.problem(
                deep,
                "yaml_error",
                f"YAML nested more than {MAX_YAML_DEPTH} levels",
                "a pack is a few levels deep: check the indentation and brackets",
            )
            return None, reader.problems
        root = yaml.compose(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        reader.problem(
            line,
            "yaml_error",
            f"not valid YAML: {problem}",
            "check the indentation (spaces, not tabs), colons and quotes near here",
        )
        return None, reader.problems
    except RecursionError:
        reader.problem(0, "yaml_error", "YAML nested too deeply", "a pack is a few levels deep")
        return None, reader.problems
    except Exception as error:  # a YAML library edge case must still be a problem
        reader.problem(0, "yaml_error", f"not valid YAML: {type(error).__name__}: {error}")
        return None, reader.problems
    if root is None:
        reader.problem(0, "schema", "the pack is empty", "start with name, version, labels, rules")
        return None, reader.problems
    if (alias := _find_aliases(root)) is not None:
        reader.problem(
            alias,
            "schema",
            "YAML anchors and aliases (&name, *name) are not allowed",
            "write the value out in full",
        )
        return None, reader.problems
    try:
        pack = reader.pack(root, text)
    except RecursionError:  # pragma: no cover - defensive
        reader.problem(0, "schema", "pack nested too deeply")
        return None, reader.problems
    return (pack, []) if pack is not None and not reader.problems else (None, reader.problems)


def _read(path_or_text: str | os.PathLike[str] | bytes, source_name: str | None) -> tuple[str, str]:
    if isinstance(path_or_text, bytes):
        return path_or_text.decode("utf-8"), source_name or "<text>"
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str)
        and "\n" not in path_or_text
        and path_or_text.strip().endswith((".yaml", ".yml"))
    ):
        path = Path(path_or_text)
        return path.read_text(encoding="utf-8"), source_name or str(path)
    if not isinstance(path_or_text, str):
        raise TypeError("load_pack takes a path or YAML text")
    return path_or_text, source_name or "<text>"


def check_pack(
    path_or_text: str | os.PathLike[str] | bytes, *, source_name: str | None = None
) -> list[Problem]:
    """Every problem in a pack file (or text); an empty list means it loads."""
    try:
        text, name = _read(path_or_text, source_name)
    except (OSError, UnicodeDecodeError) as error:
        name = source_name or str(path_or_text)
        return [
            Problem(
                name,
                0,
                f"cannot read the pack: {error}",
                "check the path and that the file is UTF-8",
                "io",
            )
        ]
    return parse_pack(text, name)[1]


def load_pack(
    path_or_text: str | os.PathLike[str] | bytes, *, source_name: str | None = None
) -> RulePack:
    """Load a pack from a path (str ending .yaml/.yml, or PathLike) or YAML text.

    Raises RulePackError (with every problem) if it is not usable.
    """
    try:
        text, name = _read(path_or_text, source_name)
    except (OSError, UnicodeDecodeError) as error:
        name = source_name or str(path_or_text)
        raise RulePackError(
            [
                Problem(
                    name,
                    0,
                    f"cannot read the pack: {error}",
                    "check the path and that the file is UTF-8",
                    "io",
                )
            ]
        ) from error
    pack, problems = parse_pack(text, name)
    if pack is None:
        raise RulePackError(problems)
    return pack


def shipped_pack_names() -> tuple[str, ...]:
    """Names of the packs shipped in rules/packs (e.g. ontario, vietnam)."""
    return tuple(sorted(p.stem for p in PACKS_DIR.glob("*.yaml")))


@functools.lru_cache(maxsize=16)
def load_shipped_pack(name: str) -> RulePack:
    """A shipped pack by short name ("ontario", "vietnam"); loaded once and cached."""
    if name not in shipped_pack_names():
        raise ValueError(
            f"no shipped rule pack {name!r}; shipped: {', '.join(shipped_pack_names())}"
        )
    path = PACKS_DIR / f"{name}.yaml"
    return load_pack(path, source_name=f"rules/packs/{name}.yaml")
