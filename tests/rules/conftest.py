"""Helpers for the rule engine tests: small packs written inline."""

from __future__ import annotations

import textwrap

import pytest

from rules import load_pack

HEADER = """\
name: test-pack
version: "0.1"
labels: {en: Test pack, vi: Gói kiểm thử}
"""


def pack_text(rules_yaml: str, extra: str = "") -> str:
    """A whole pack: the header, optional top-level YAML, then `rules:` with `rules_yaml`."""
    body = textwrap.indent(textwrap.dedent(rules_yaml).strip("\n"), "  ")
    return HEADER + textwrap.dedent(extra) + "rules:\n" + body + "\n"


@pytest.fixture
def make_pack():
    """make_pack(rules_yaml, extra="") -> RulePack (raises RulePackError if invalid)."""

    def build(rules_yaml: str, extra: str = ""):
        return load_pack(pack_text(rules_yaml, extra), source_name="inline.yaml")

    return build


@pytest.fixture
def text_of():
    return pack_text
