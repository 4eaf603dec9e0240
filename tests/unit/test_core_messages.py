"""Every error the core raises reaches a Vietnamese reader in Vietnamese: its message is a
literal template (no f-string), listed for extraction, and translated in the vi catalog with
the same named parameters."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import core_messages  # noqa: E402

PARAM = re.compile(r"%\((\w+)\)")


def _vietnamese() -> dict[str, str]:
    with open(ROOT / "webui/translations/vi/LC_MESSAGES/messages.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if isinstance(m.id, str) and m.id}


def test_every_core_message_is_a_literal_template_listed_for_extraction():
    found = core_messages.collect()
    assert found.problems == []
    assert core_messages.OUTPUT.read_text(encoding="utf-8") == core_messages.render(found), (
        "run tools/core_messages.py, then extract and update the catalogs")


def test_every_core_message_has_a_vietnamese_translation_with_its_parameters():
    vi = _vietnamese()
    missing = [t for t in core_messages.collect().templates if not vi.get(t)]
    assert missing == []
    wrong = [t for t in core_messages.collect().templates
             if set(PARAM.findall(t)) != set(PARAM.findall(vi[t]))]
    assert wrong == []


def test_the_walk_finds_a_message_that_is_an_f_string(tmp_path):
    (tmp_path / "workflow").mkdir()
    (tmp_path / "workflow" / "m.py").write_text(
        "class DomainError(Exception): ...\n"
        "class ValidationError(DomainError): ...\n"
        "def f(x):\n"
        "    raise ValidationError(f'bad {x}', field='x')\n"
        "def g():\n"
        "    raise ValidationError('choose %(what)s', what='a reason')\n")
    found = core_messages.collect(tmp_path)
    assert list(found.templates) == ["choose %(what)s"]
    assert len(found.problems) == 1 and "f-string" in found.problems[0]
