"""Read YAML nodes safely and report each problem with its line and a hint.

`compose` turns pack text into YAML nodes without building any object (safe loader, no tags,
no aliases, bounded depth); `Reader` reads typed values out of those nodes and collects every
problem so that an administrator fixes a pack in one pass. The section readers
(pack_header, rule_reader, action_reader, screening_reader) all write through one Reader.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from rules.model import Label, Problem
from rules.vocabulary import SLUG, did_you_mean

MAX_PACK_CHARS = 1_000_000
MAX_YAML_DEPTH = 40
#: libyaml's safe loader when available (several times faster), else the pure Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NULL_TAG = "tag:yaml.org,2002:null"

#: key -> (key node, value node) of a YAML mapping, as Reader.mapping returns it
Fields = dict[str, tuple[Node, Node]]


class RulePackError(Exception):
    """The pack cannot be used; `problems` says every reason, with file, line and hint."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid rule pack"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problem(s))" if more > 0 else ""))


def line_of(node: Node | None) -> int:
    """The 1-based line where `node` starts (0 when unknown)."""
    return node.start_mark.line + 1 if node is not None and node.start_mark else 0


def is_null(node: Node) -> bool:
    """True for an empty value or an explicit null (`key:` or `key: ~`)."""
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


class Reader:
    """Reads typed values from YAML nodes; every failure becomes a Problem, never an exception."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, node: Node | int | None, code: str, message: str, hint: str = "") -> None:
        line = node if isinstance(node, int) else line_of(node)
        self.problems.append(Problem(self.source, line, message, hint, code))

    def mapping(
        self,
        node: Node,
        what: str,
        allowed: tuple[str, ...] | None = None,
        *,
        quiet: bool = False,
    ) -> Fields | None:
        """The key -> (key node, value node) of a mapping; `quiet` reports no problem."""
        if not isinstance(node, MappingNode):
            if not quiet:
                self.problem(node, "schema", f"{what} must be a mapping (key: value lines)")
            return None
        out: Fields = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == NULL_TAG:
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
                    f"keep one (first on line {line_of(out[key][0])})",
                )
                continue
            out[key] = (key_node, value_node)
            if allowed is not None and key not in allowed:
                self.unknown_key(key_node, key, f"in {what}", allowed)
        return out

    def unknown_key(self, node: Node, key: str, where: str, allowed: tuple[str, ...]) -> None:
        self.problem(
            node,
            "unknown_key",
            f"unknown key {key!r} {where}",
            did_you_mean(key, allowed, listing="allowed keys: " + ", ".join(allowed)),
        )

    def text(self, node: Node, what: str) -> str | None:
        """A non-empty string scalar (its text as written), or None with a problem."""
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG:
            self.problem(node, "schema", f"{what} must be a text value")
            return None
        if not node.value.strip():
            self.problem(node, "schema", f"{what} must not be empty")
            return None
        return str(node.value)

    def value(self, node: Node) -> Any:
        """The YAML value of a scalar (int, float, bool, str...), or None if not buildable."""
        if not isinstance(node, ScalarNode):
            return None
        try:
            return yaml.constructor.SafeConstructor().construct_document(node)
        except Exception:  # e.g. an impossible date such as 2026-13-45
            return None

    def required(self, fields: Fields, key: str, parent: Node, what: str, hint: str) -> Node | None:
        """The value node of `key`, or None with a `missing` (or `missing_label`) problem."""
        if key not in fields:
            code = "missing_label" if key in ("labels", "message", "label") else "missing"
            self.problem(parent, code, f"{what} has no {key!r}", hint)
            return None
        return fields[key][1]

    def label(self, node: Node, what: str, *, extra_keys: tuple[str, ...] = ()) -> Label | None:
        """An {en, vi} text pair; both languages are required and must not be empty."""
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
        """A code: lower case letters, digits and '_', at most 60 characters."""
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
        """A text or a non-empty list of texts, each with its node (for line numbers)."""
        if isinstance(node, ScalarNode) and node.tag != NULL_TAG:
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


def _too_deep(text: str) -> int | None:
    """The line where nesting passes MAX_YAML_DEPTH, found with the (iterative) event parser.

    PyYAML composes recursively: a deeply nested document would take seconds to fail.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_SAFE_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return event.start_mark.line + 1 if event.start_mark else 0
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


def _compose_checked(reader: Reader, text: str) -> Node | None:
    """yaml.compose with the depth check first; a YAML failure becomes a problem."""
    try:
        deep = _too_deep(text)
        if deep is not None:
            reader.problem(
                deep,
                "yaml_error",
                f"YAML nested more than {MAX_YAML_DEPTH} levels",
                "a pack is a few levels deep: check the indentation and brackets",
            )
            return None
        root: Node | None = yaml.compose(text, Loader=_SAFE_LOADER)
        return root
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
    except RecursionError:
        reader.problem(0, "yaml_error", "YAML nested too deeply", "a pack is a few levels deep")
    except Exception as error:  # a YAML library edge case must still be a problem
        reader.problem(0, "yaml_error", f"not valid YAML: {type(error).__name__}: {error}")
    return None


def compose(reader: Reader, text: str) -> Node | None:
    """The root node of pack text, or None with the reason in `reader.problems`."""
    if not isinstance(text, str):
        reader.problem(0, "io", "a pack must be text")
        return None
    if len(text) > MAX_PACK_CHARS:
        reader.problem(0, "io", f"pack larger than {MAX_PACK_CHARS} characters")
        return None
    root = _compose_checked(reader, text)
    if root is None:
        if not reader.problems:
            reader.problem(
                0, "schema", "the pack is empty", "start with name, version, labels, rules"
            )
        return None
    if (alias := _find_aliases(root)) is not None:
        reader.problem(
            alias,
            "schema",
            "YAML anchors and aliases (&name, *name) are not allowed",
            "write the value out in full",
        )
        return None
    return root
