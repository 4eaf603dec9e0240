"""Read a rule pack from YAML, check everything, and say exactly where and how to fix it.

Nothing in a pack is ever executed: YAML is composed with the safe loader (no tags, no
objects), conditions are parsed by rule-engine with a typed context. `check_pack` collects
every problem (file, line, message, hint) so an administrator fixes a pack in one pass;
`load_pack` returns a RulePack or raises RulePackError with those problems.

This module is the public entry and puts the sections together; each section has its reader:
pack_reader (YAML, line numbers, problems), pack_header (name, version, country, settings),
rule_reader (rules and the suggest table), action_reader (actions), screening_reader.

Problem codes: io, yaml_error, schema, unknown_key, duplicate_key, missing, missing_label,
unknown_fact, type_error, syntax_error, forbidden, unknown_code, unknown_trigger,
unknown_stage, unknown_sector, unknown_category, unknown_action, unknown_audience,
unknown_deadline_kind, duplicate_id, bad_duration, bad_setting, bad_country, bad_screening.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

from yaml.nodes import Node

from rules.facts import FACT_TYPES, make_context, type_of_value
from rules.legal_basis_reader import read_legal_bases
from rules.model import Problem, Rule, RulePack, Screening
from rules.pack_header import read_country, read_header, read_settings
from rules.pack_reader import Fields, Reader, RulePackError, compose
from rules.rule_reader import RuleScope, check_deadline_kinds, read_rules, read_suggest
from rules.screening_reader import read_screening

__all__ = [
    "PACKS_DIR",
    "RulePackError",
    "check_pack",
    "load_pack",
    "load_shipped_pack",
    "parse_pack",
    "shipped_pack_names",
]

PACKS_DIR = Path(__file__).resolve().parent / "packs"

_TOP_KEYS = (
    "name",
    "version",
    "labels",
    "country",
    "subdivision",
    "settings",
    "screening",
    "suggest",
    "legal_bases",
    "rules",
)


def _read_pack(reader: Reader, root: Node, text: str) -> RulePack | None:
    """The pack, section by section in file order; None if anything has a problem."""
    top = reader.mapping(root, "a rule pack", _TOP_KEYS)
    if top is None:
        return None
    header = read_header(reader, top, root)
    country, subdivision = read_country(reader, top)
    settings = read_settings(reader, top["settings"][1]) if "settings" in top else {}
    screening = read_screening(reader, top["screening"][1]) if "screening" in top else None
    scope = _rule_scope(reader, top, settings, screening)
    rules: list[Rule] = []
    if node := reader.required(top, "rules", root, "the pack", "add `rules:` with a list"):
        rules = read_rules(reader, node, scope)
    suggest_table: dict[str, tuple[str, ...]] = {}
    if "suggest" in top:
        suggest_rules, suggest_table = read_suggest(reader, top["suggest"][1], scope)
        rules.extend(suggest_rules)
    check_deadline_kinds(reader, rules, scope)
    bases = read_legal_bases(reader, top["legal_bases"][1]) if "legal_bases" in top else ()
    name, version, labels = header.name, header.version, header.labels
    if reader.problems or name is None or version is None or labels is None:
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
        legal_bases=bases,
        source_name=reader.source,
        source_text=text,
    )


def _rule_scope(
    reader: Reader, top: Fields, settings: dict[str, Any], screening: Screening | None
) -> RuleScope:
    """What conditions may name: the facts, the settings and the screening threshold."""
    if screening is not None and "screening_threshold" in settings:
        reader.problem(
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
    return RuleScope(context=make_context(extra), known=known)


def parse_pack(text: str, source_name: str = "<text>") -> tuple[RulePack | None, list[Problem]]:
    """Parse and check pack text: (pack, []) or (None, every problem). Never raises."""
    reader = Reader(source_name)
    root = compose(reader, text)
    if root is None:
        return None, reader.problems
    try:
        pack = _read_pack(reader, root, text)
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
