"""What a loaded rule pack is: frozen values, safe to share between threads and requests.

A pack is data the administrator edits; once loaded it never changes, so the workflow core
can cache it and record which version fired which rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, ClassVar

from rules.conditions import CompiledCondition
from rules.facts import to_engine_value


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack file: where it is, what it is, and how to fix it.

    `line` is 1-based (0 when the problem is about the whole file). `code` is a stable,
    machine-readable kind (e.g. unknown_fact, bad_duration, duplicate_id).
    """

    file: str
    line: int
    message: str
    hint: str = ""
    code: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


@dataclass(frozen=True)
class Label:
    """A text in English and Vietnamese."""

    en: str
    vi: str

    def get(self, language: str | None = "en") -> str:
        """The text in `language` ("vi..." gives Vietnamese, anything else English)."""
        return self.vi if (language or "").lower().startswith("vi") else self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "vi": self.vi}


@dataclass(frozen=True)
class Guard:
    """Refuse the command (the rule's `when` describes the violation)."""

    message: Label
    type: ClassVar[str] = "guard"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message.as_dict()}


@dataclass(frozen=True)
class Deadline:
    """Set a due date of `kind`: `business_days` (holidays skipped) or clock `hours` later.

    `from_` is "trigger" (the time of the event that fired the rule) or "now" (evaluation).
    """

    kind: str
    business_days: int | None = None
    hours: float | None = None
    from_: str = "trigger"
    type: ClassVar[str] = "deadline"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "kind": self.kind, "from": self.from_}
        if self.business_days is not None:
            out["business_days"] = self.business_days
        if self.hours is not None:
            out["hours"] = self.hours
        return out


@dataclass(frozen=True)
class Notify:
    """Put a notification for an audience in the outbox (lead, chair, sector:x, agency:y...)."""

    to: str
    event: str
    type: ClassVar[str] = "notify"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "to": self.to, "event": self.event}


@dataclass(frozen=True)
class Suggest:
    """Suggest sectors whose agencies the table might grant disclosure or ask to assist."""

    sectors: tuple[str, ...]
    type: ClassVar[str] = "suggest"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "sectors": list(self.sectors)}


@dataclass(frozen=True)
class Flag:
    """Show a flag to the table until a chair clears it."""

    code: str
    label: Label
    type: ClassVar[str] = "flag"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "code": self.code, "label": self.label.as_dict()}


@dataclass(frozen=True)
class Escalate:
    """Bring the situation to someone's attention with a message (usually the chair)."""

    to: str
    message: Label
    type: ClassVar[str] = "escalate"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "to": self.to, "message": self.message.as_dict()}


Action = Guard | Deadline | Notify | Suggest | Flag | Escalate

ACTION_TYPES: dict[str, type] = {
    cls.type: cls for cls in (Guard, Deadline, Notify, Suggest, Flag, Escalate)
}


@dataclass(frozen=True)
class Question:
    """One yes/no question of a screening checklist."""

    id: str
    text: Label


@dataclass(frozen=True)
class Screening:
    """A checklist (e.g. DASH-style): the number of "yes" answers is the fact screening_score."""

    threshold: int
    questions: tuple[Question, ...]
    labels: Label | None = None

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


@dataclass(frozen=True)
class Rule:
    """One rule: on `triggers`, when the condition holds, do `actions`.

    `deadline` (timer:deadline_passed / timer:due_soon) names the deadline kind the rule is
    about; `within_hours` (timer:due_soon) how early before the due time it fires. `names`
    lists the facts and settings the condition reads.
    """

    id: str
    labels: Label
    triggers: tuple[str, ...]
    actions: tuple[Action, ...]
    when: str | None = None
    deadline: str | None = None
    within_hours: float | None = None
    line: int = 0
    condition: CompiledCondition | None = field(default=None, compare=False, repr=False)

    @property
    def trigger(self) -> str:
        """The first trigger (most rules have exactly one)."""
        return self.triggers[0]

    @property
    def names(self) -> tuple[str, ...]:
        return self.condition.names if self.condition else ()

    @cached_property
    def guards(self) -> tuple[Guard, ...]:
        """Kept once worked out (a rule never changes): every evaluation asks each rule."""
        return tuple(a for a in self.actions if isinstance(a, Guard))


@dataclass(frozen=True)
class LegalBasis:
    """On what ground a table may disclose identity (filter 3): the person's consent, or an
    authority named by law. Each grant records one; its labels cite the provision."""

    code: str
    kind: str  # "consent" | "authority"
    label: Label


@dataclass(frozen=True)
class RulePack:
    """A loaded, checked pack. Build it with rules.loader.load_pack, not by hand.

    `settings` are the pack's named constants (a condition may use them by name, e.g.
    `sectors_present_count < quorum_sectors`; the workflow core may read them too).
    `suggest` is the category -> sectors table (already expanded into `suggest.*` rules).
    """

    name: str
    version: str
    labels: Label
    rules: tuple[Rule, ...]
    country: str | None = None
    subdivision: str | None = None
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    screening: Screening | None = None
    suggest: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    legal_bases: tuple[LegalBasis, ...] = ()
    source_name: str = ""
    source_text: str = field(default="", repr=False, compare=False)
    _by_trigger: Mapping[str, tuple[Rule, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _by_id: Mapping[str, Rule] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        by_trigger: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for trigger in rule.triggers:
                by_trigger.setdefault(trigger, []).append(rule)
        object.__setattr__(
            self, "_by_trigger", MappingProxyType({k: tuple(v) for k, v in by_trigger.items()})
        )
        object.__setattr__(self, "_by_id", MappingProxyType({r.id: r for r in self.rules}))

    def rules_for(self, trigger: str) -> tuple[Rule, ...]:
        """The rules listening to `trigger`, in pack order."""
        return self._by_trigger.get(trigger, ())

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if none)."""
        return self._by_id[rule_id]

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger some rule listens to."""
        return tuple(self._by_trigger)

    @property
    def constants(self) -> dict[str, Any]:
        """Names a condition may use besides facts: settings, and screening_threshold."""
        out = dict(self.settings)
        if self.screening is not None:
            out["screening_threshold"] = self.screening.threshold
        return out

    @cached_property
    def engine_constants(self) -> dict[str, Any]:
        """`constants` as the rule engine reads them, converted once (a pack never changes, and
        a table without overrides, most of them, asked for it on every evaluation); read it,
        never change it."""
        return {name: to_engine_value(value) for name, value in self.constants.items()}

    def deadline_kinds(self) -> tuple[str, ...]:
        """Deadline kinds this pack sets (for the sweeper)."""
        kinds: list[str] = []
        for rule in self.rules:
            for action in rule.actions:
                if isinstance(action, Deadline) and action.kind not in kinds:
                    kinds.append(action.kind)
        return tuple(kinds)

    def due_soon_windows(self) -> dict[str, float]:
        """Deadline kind ("" = any kind) -> the widest `within_hours` of its due-soon rules."""
        windows: dict[str, float] = {}
        for rule in self.rules_for("timer:due_soon"):
            kind = rule.deadline or ""
            hours = rule.within_hours or 0.0
            windows[kind] = max(windows.get(kind, 0.0), hours)
        return windows
