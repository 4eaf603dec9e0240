"""A pack's legal bases for disclosure: consent, or an authority the law gives the table.

Why data in the pack: the provisions differ by country and province (Ontario's health,
municipal and child-welfare privacy statutes; Vietnam's child-protection, domestic-violence and
personal-data rules), and a privacy reviewer reads them where the table's rules are.
"""

from __future__ import annotations

from yaml.nodes import Node, SequenceNode

from rules.model import LegalBasis
from rules.pack_reader import Reader, line_of

KINDS = ("consent", "authority")


def read_legal_bases(reader: Reader, node: Node) -> tuple[LegalBasis, ...]:
    """Each {code, kind, en, vi} item; codes unique; exactly one basis of kind consent."""
    if not isinstance(node, SequenceNode) or not node.value:
        reader.problem(node, "bad_legal_basis", "legal_bases must be a non-empty list",
                       "add items {code, kind: consent|authority, en, vi}")
        return ()
    found: list[LegalBasis] = []
    seen: dict[str, int] = {}
    for item in node.value:
        fields = reader.mapping(item, "a legal basis", ("code", "kind", "en", "vi"))
        if fields is None:
            continue
        code = kind = None
        if c_node := reader.required(fields, "code", item, "a legal basis", "add `code: <code>`"):
            code = reader.slug(c_node, "legal basis code")
            if code is not None and code in seen:
                reader.problem(c_node, "duplicate_id", f"legal basis {code!r} appears twice",
                               f"first on line {seen[code]}")
                code = None
            elif code is not None:
                seen[code] = line_of(c_node)
        if k_node := reader.required(fields, "kind", item, "a legal basis",
                                     "add `kind: consent` or `kind: authority`"):
            kind = reader.text(k_node, "kind")
            if kind not in KINDS:
                reader.problem(k_node, "bad_legal_basis", f"unknown kind {kind!r}",
                               "kind is consent or authority")
                kind = None
        label = reader.label(item, f"legal basis {code or '?'}", extra_keys=("code", "kind"))
        if code and kind and label:
            found.append(LegalBasis(code=code, kind=kind, label=label))
    if found and sum(1 for b in found if b.kind == "consent") != 1:
        reader.problem(node, "bad_legal_basis", "exactly one legal basis has kind consent",
                       "the person's consent is one basis; the others are authorities")
    return tuple(found)
