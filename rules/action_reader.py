"""A rule's actions: one table row per action type (its keys and the function that reads it).

Every action is a mapping with `type`; the row for that type says which other keys it takes,
so an unknown key is reported the same way for all of them. Notification event names are
checked in `check_event_name` only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node

from rules.model import (
    ACTION_TYPES,
    Action,
    Deadline,
    Escalate,
    Flag,
    Guard,
    Label,
    Notify,
    Suggest,
)
from rules.pack_reader import Fields, Reader
from rules.vocabulary import (
    COMMANDS,
    SECTORS,
    audience_problem,
    did_you_mean,
    event_problem,
)

MAX_BUSINESS_DAYS = 260
MAX_HOURS = 24 * 366
_EVENT = re.compile(r"^[a-z][a-z0-9_.]{0,59}$")


@dataclass(frozen=True)
class ActionSource:
    """One action as written: its fields, its node, where it is (for messages), the triggers."""

    raw: Fields
    node: Node
    where: str
    triggers: list[str]

    def required(self, reader: Reader, key: str, hint: str) -> Node | None:
        return reader.required(self.raw, key, self.node, self.where, hint)


@dataclass(frozen=True)
class ActionType:
    """A row of the action table: the keys an action of this type takes and its reader."""

    keys: tuple[str, ...]
    read: Callable[[Reader, ActionSource], Action | None]


def read_action(reader: Reader, node: Node, what: str, triggers: list[str]) -> Action | None:
    """One action of rule `what`, or None with problems."""
    if not isinstance(node, MappingNode):
        reader.problem(node, "schema", f"{what}: each action must be a mapping with `type`")
        return None
    raw = reader.mapping(node, f"{what} action")
    if raw is None:
        return None
    if "type" not in raw:
        reader.problem(
            node,
            "unknown_action",
            f"{what}: action without `type`",
            "types: " + ", ".join(ACTION_TYPES),
        )
        return None
    kind = reader.text(raw["type"][1], "action type")
    if kind is None:
        return None
    if kind not in ACTION_TYPES:
        reader.problem(
            raw["type"][1],
            "unknown_action",
            f"{what}: unknown action type {kind!r}",
            did_you_mean(kind, ACTION_TYPES),
        )
        return None
    row = ACTION_TABLE[kind]
    for key, (key_node, _) in raw.items():
        if key not in row.keys:
            reader.unknown_key(key_node, key, f"in a {kind} action", row.keys)
    return row.read(reader, ActionSource(raw, node, f"{what} {kind}", triggers))


def read_sectors(reader: Reader, node: Node, where: str) -> list[str] | None:
    """A list of known sectors (duplicates dropped), or None if any is unknown."""
    items = reader.string_list(node, f"{where} sectors")
    if items is None:
        return None
    out: list[str] = []
    ok = True
    for sector, item in items:
        if sector not in SECTORS:
            reader.problem(
                item,
                "unknown_sector",
                f"{where}: unknown sector {sector!r}",
                did_you_mean(sector, SECTORS),
            )
            ok = False
        elif sector not in out:
            out.append(sector)
    return out if ok else None


def check_event_name(reader: Reader, node: Node, where: str) -> str | None:
    """The event name of a notify action, or None with a problem if it is not usable."""
    event = reader.text(node, "event")
    if event is not None and not _EVENT.match(event):
        reader.problem(
            node,
            "schema",
            f"{where}: event {event!r} is not a name",
            "lower case letters, digits, '_' and '.'",
        )
        return None
    if event is not None and (typo := event_problem(event)):
        reader.problem(node, "unknown_event", f"{where}: {typo[0]}", typo[1])
        return None
    return event


def _label(reader: Reader, src: ActionSource, key: str, hint: str) -> Label | None:
    node = src.required(reader, key, hint)
    return reader.label(node, f"{src.where} {key}") if node is not None else None


def _audience(reader: Reader, src: ActionSource) -> str | None:
    node = src.required(reader, "to", "add `to: chair` (or lead, ...)")
    if node is None:
        return None
    to = reader.text(node, "to")
    if to is not None and (found := audience_problem(to)):
        reader.problem(node, "unknown_audience", f"{src.where}: {found[0]}", found[1])
        return None
    return to


def _guard(reader: Reader, src: ActionSource) -> Guard | None:
    if src.triggers and not set(src.triggers) <= set(COMMANDS):
        reader.problem(
            src.node,
            "schema",
            f"{src.where}: a guard can only refuse a command",
            "use a command trigger (" + ", ".join(COMMANDS) + ") or a flag",
        )
    message = _label(reader, src, "message", "add message: {en: ..., vi: ...} saying what to fix")
    return Guard(message=message) if message else None


def _notify(reader: Reader, src: ActionSource) -> Notify | None:
    to = _audience(reader, src)
    event = None
    if (node := src.required(reader, "event", "add `event: <event_name>`")) is not None:
        event = check_event_name(reader, node, src.where)
    return Notify(to=to, event=event) if to and event else None


def _escalate(reader: Reader, src: ActionSource) -> Escalate | None:
    to = _audience(reader, src)
    message = _label(reader, src, "message", "add message: {en: ..., vi: ...}")
    return Escalate(to=to, message=message) if to and message else None


def _suggest(reader: Reader, src: ActionSource) -> Suggest | None:
    node = src.required(reader, "sectors", "add `sectors: [health, ...]`")
    sectors = read_sectors(reader, node, src.where) if node is not None else None
    return Suggest(sectors=tuple(sectors)) if sectors else None


def _flag(reader: Reader, src: ActionSource) -> Flag | None:
    code = None
    if (node := src.required(reader, "code", "add `code: <flag_code>`")) is not None:
        code = reader.slug(node, "flag code")
    label = _label(reader, src, "label", "add label: {en: ..., vi: ...}")
    return Flag(code=code, label=label) if code and label else None


def _deadline(reader: Reader, src: ActionSource) -> Deadline | None:
    kind = None
    if (node := src.required(reader, "kind", "add `kind: first_contact`")) is not None:
        kind = reader.slug(node, "deadline kind")
    ok, business_days, hours = _duration(reader, src)
    from_ = "trigger"
    if "from" in src.raw:
        f_node = src.raw["from"][1]
        text = reader.text(f_node, "from")
        if text not in ("now", "trigger"):
            reader.problem(
                f_node,
                "schema",
                f"{src.where}: `from` must be now or trigger",
                "trigger (default) counts from the event; now from the evaluation",
            )
            ok = False
        else:
            from_ = text
    if not ok or kind is None:
        return None
    return Deadline(kind=kind, business_days=business_days, hours=hours, from_=from_)


def _duration(reader: Reader, src: ActionSource) -> tuple[bool, int | None, float | None]:
    """(ok, business_days, hours): exactly one of the two, in range."""
    raw, where = src.raw, src.where
    ok = True
    if "business_days" in raw and "hours" in raw:
        reader.problem(
            raw["hours"][0],
            "bad_duration",
            f"{where}: give business_days or hours, not both",
            "business days skip weekends and holidays; hours run on the clock",
        )
        ok = False
    elif "business_days" not in raw and "hours" not in raw:
        reader.problem(
            src.node,
            "bad_duration",
            f"{where}: no duration",
            "add `business_days: 2` or `hours: 12`",
        )
        ok = False
    business_days = hours = None
    if "business_days" in raw:
        business_days = _business_days(reader, raw["business_days"][1], where)
        ok = ok and business_days is not None
    if "hours" in raw:
        hours = _hours(reader, raw["hours"][1], where)
        ok = ok and hours is not None
    return ok, business_days, hours


def _business_days(reader: Reader, node: Node, where: str) -> int | None:
    value = reader.value(node)
    if isinstance(value, bool) or not isinstance(value, int):
        reader.problem(
            node,
            "bad_duration",
            f"{where}: business_days must be a whole number, not {getattr(node, 'value', '?')!r}",
            "e.g. business_days: 2",
        )
        return None
    if not 0 < value <= MAX_BUSINESS_DAYS:
        reader.problem(
            node,
            "bad_duration",
            f"{where}: business_days must be between 1 and {MAX_BUSINESS_DAYS}",
            "a deadline is in the future: use a positive number",
        )
        return None
    return value


def _hours(reader: Reader, node: Node, where: str) -> float | None:
    value = reader.value(node)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        reader.problem(
            node,
            "bad_duration",
            f"{where}: hours must be a number, not {getattr(node, 'value', '?')!r}",
            "e.g. hours: 12",
        )
        return None
    if not 0 < value <= MAX_HOURS:
        reader.problem(
            node,
            "bad_duration",
            f"{where}: hours must be above 0 and at most {MAX_HOURS}",
            "a deadline is in the future: use a positive number",
        )
        return None
    return float(value)


#: action type -> its keys and reader; the keys of a type are exactly what its reader reads
ACTION_TABLE: dict[str, ActionType] = {
    "guard": ActionType(("type", "message"), _guard),
    "deadline": ActionType(("type", "kind", "business_days", "hours", "from"), _deadline),
    "notify": ActionType(("type", "to", "event"), _notify),
    "suggest": ActionType(("type", "sectors"), _suggest),
    "flag": ActionType(("type", "code", "label"), _flag),
    "escalate": ActionType(("type", "to", "message"), _escalate),
}
