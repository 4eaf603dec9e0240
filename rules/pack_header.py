"""A pack's header: name, version, labels, country (for holidays) and settings.

Settings are named constants a pack's conditions may use (e.g. `quorum_sectors`); the workflow
core reads a few of them, which must then be positive numbers.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from yaml.nodes import Node

from rules.facts import FACT_TYPES, RESERVED_WORDS, type_of_value
from rules.model import Label
from rules.pack_reader import Fields, Reader
from rules.vocabulary import did_you_mean

#: settings the workflow core reads; each must be a positive number
POSITIVE_SETTINGS = ("quorum_sectors", "open_meetings_limit", "re_presentation_window_days",
                     "round_hours", "urgent_round_hours", "round_agreement", "follow_up_days",
                     "follow_up_reminder_days")
#: settings that are shares: above 0 and at most 1
SHARE_SETTINGS = ("round_agreement",)
_PACK_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
_SETTING_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,59}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Header:
    """What identifies a pack; a None field was missing or wrong (a problem says which)."""

    name: str | None
    version: str | None
    labels: Label | None


def read_header(reader: Reader, top: Fields, root: Node) -> Header:
    """The pack's name, version and labels, in that order (problems follow file order)."""
    hint = "a pack starts with name, version, labels {en, vi} and rules"
    name = version = None
    if (node := reader.required(top, "name", root, "the pack", hint)) is not None:
        name = reader.text(node, "name")
        if name is not None and not _PACK_NAME.match(name):
            reader.problem(
                node,
                "schema",
                f"pack name {name!r} is not a code",
                "use lower case letters, digits, '-', '_' and '.'",
            )
            name = None
    if (node := reader.required(top, "version", root, "the pack", hint)) is not None:
        version = reader.text(node, "version")
        if version is not None and len(version) > 40:
            reader.problem(node, "schema", "version longer than 40 characters")
            version = None
    labels = None
    node = reader.required(top, "labels", root, "the pack", "add labels: {en: ..., vi: ...}")
    if node is not None:
        labels = reader.label(node, "the pack's labels")
    return Header(name, version, labels)


@functools.lru_cache(maxsize=1)
def supported_countries() -> dict[str, tuple[str, ...]]:
    """Country code -> its subdivision codes, as the holidays library knows them."""
    try:
        import holidays  # only to check codes; the arithmetic is in workflow/deadlines.py

        return {k: tuple(v) for k, v in holidays.list_supported_countries().items()}
    except Exception:  # pragma: no cover - holidays missing: check the format only
        return {}


def read_country(reader: Reader, top: Fields) -> tuple[str | None, str | None]:
    """(country, subdivision): ISO codes the holidays library knows, or None."""
    country = subdivision = None
    if "country" in top:
        node = top["country"][1]
        country = reader.text(node, "country")
        if country is not None:
            supported = supported_countries()
            if not _COUNTRY.match(country) or (supported and country not in supported):
                reader.problem(
                    node,
                    "bad_country",
                    f"unknown country {country!r}",
                    "use an ISO 3166 code known to the holidays library, e.g. CA, VN",
                )
                country = None
    if "subdivision" in top:
        node = top["subdivision"][1]
        subdivision = reader.text(node, "subdivision")
        if subdivision is not None:
            if "country" not in top:
                reader.problem(
                    node,
                    "bad_country",
                    "subdivision without country",
                    "add `country:` (e.g. CA for ON)",
                )
            elif country is not None and not _known_subdivision(reader, node, country, subdivision):
                subdivision = None
    return country, subdivision


def _known_subdivision(reader: Reader, node: Node, country: str, subdivision: str) -> bool:
    subdivs = supported_countries().get(country)
    if subdivs is None or subdivision in subdivs:
        return True
    reader.problem(
        node,
        "bad_country",
        f"unknown subdivision {subdivision!r} of {country}",
        did_you_mean(
            subdivision,
            subdivs,
            listing="known: " + ", ".join(subdivs) if subdivs else f"{country} has none",
        ),
    )
    return False


def read_settings(reader: Reader, node: Node) -> dict[str, Any]:
    """Named constants: numbers, true/false or texts, named apart from every fact."""
    fields = reader.mapping(node, "settings")
    out: dict[str, Any] = {}
    if fields is None:
        return out
    for key, (key_node, value_node) in fields.items():
        if not _SETTING_NAME.match(key) or key in RESERVED_WORDS:
            reader.problem(
                key_node,
                "bad_setting",
                f"setting name {key!r} is not usable",
                "use lower case letters, digits and '_'",
            )
            continue
        if key in FACT_TYPES:
            reader.problem(
                key_node,
                "bad_setting",
                f"setting {key!r} has the name of a fact",
                "rename the setting",
            )
            continue
        value = reader.value(value_node)
        if value is None or type_of_value(value) is None:
            reader.problem(
                value_node,
                "bad_setting",
                f"setting {key!r} must be a number, true/false or a text",
            )
            continue
        if key in POSITIVE_SETTINGS and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            reader.problem(
                value_node,
                "bad_setting",
                f"setting {key!r} must be a positive number",
                f"e.g. {key}: 3",
            )
            continue
        if key in SHARE_SETTINGS and value > 1:
            reader.problem(value_node, "bad_setting", f"setting {key!r} is a share: at most 1",
                           f"e.g. {key}: 0.75")
            continue
        out[key] = value
    return out
