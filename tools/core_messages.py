"""The messages of the core's errors and the words of its reports, for the web UI's
translation catalogs.

The core raises errors with an English template and named parameters (workflow/errors.py),
and words its reports as Phrases, English templates with named parameters too
(workflow/reports/phrase.py); webui translates the template at run time. pybabel cannot find
those templates (they are not in `_()` calls), so this script walks the core's source (AST),
collects the first argument of every DomainError raised (and of their subclasses' own
super().__init__) and of every Phrase made, and writes them as `_l(...)` entries to
webui/translations/core_messages.py, which pybabel then extracts.

    .venv/bin/python tools/core_messages.py          # write the file, list problems
    .venv/bin/python tools/core_messages.py --check  # exit 1 if the file is stale or a
                                                     # message is not a literal template

A message must be a string literal (or a conditional between literals, or an entry of a
module-level dict of literals): an f-string cannot be translated, use named parameters.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("workflow",)
OUTPUT = ROOT / "webui" / "translations" / "core_messages.py"
BASE = "DomainError"
#: Errors whose message no web page shows: a rule pack's refusal carries the pack's own text
#: (already in the table's language), and a NotFound always reads "nothing here that you may
#: see" (a hidden record and a missing one look the same on purpose).
EXEMPT = {"RuleRefusal", "NotFound"}
#: The report's words (workflow/reports/phrase.py): every Phrase(...) made is a msgid too.
PHRASE = "Phrase"


@dataclass
class Found:
    templates: dict[str, list[str]] = field(default_factory=dict)  # template -> places
    problems: list[str] = field(default_factory=list)


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """DomainError and every class that derives from it, anywhere in the sources."""
    names = {BASE}
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        isinstance(b, ast.Name) and b.id in names for b in node.bases):
                    names.add(node.name)
                    changed = True
    return names


def _custom_init(trees: dict[Path, ast.Module], classes: set[str]) -> set[str]:
    """Error classes whose constructor takes something else than the message first."""
    custom = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if (isinstance(node, ast.ClassDef) and node.name in classes
                    and node.name != BASE and any(
                        isinstance(b, ast.FunctionDef) and b.name == "__init__"
                        for b in node.body)):
                custom.add(node.name)
    return custom


def _literal_dicts(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level NAME = "literal" and NAME = {key: "literal", ...}: a message may be one."""
    found = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 \
            else node.target if isinstance(node, ast.AnnAssign) else None
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if (isinstance(target, ast.Name) and isinstance(value, ast.Constant)
                and isinstance(value.value, str)):
            found[target.id] = [value.value]
        if isinstance(target, ast.Name) and isinstance(value, ast.Dict) and value.values and all(
                isinstance(v, ast.Constant) and isinstance(v.value, str) for v in value.values):
            found[target.id] = [v.value for v in value.values]  # type: ignore[union-attr]
    return found


def _templates(arg: ast.expr, dicts: dict[str, list[str]]) -> list[str] | None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        body, orelse = _templates(arg.body, dicts), _templates(arg.orelse, dicts)
        return body + orelse if body is not None and orelse is not None else None
    if isinstance(arg, ast.Name):
        return dicts.get(arg.id)
    if isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name):
        return dicts.get(arg.value.id)
    if (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
            and arg.func.attr == "get" and isinstance(arg.func.value, ast.Name)):
        values = dicts.get(arg.func.value.id)
        default = _templates(arg.args[1], dicts) if len(arg.args) > 1 else []
        return values + default if values is not None and default is not None else None
    return None


def collect(root: Path = ROOT) -> Found:
    trees = {p: ast.parse(p.read_text(encoding="utf-8"), str(p))
             for folder in SOURCES for p in sorted((root / folder).rglob("*.py"))}
    classes = _error_classes(trees)
    custom = _custom_init(trees, classes)
    found = Found()
    for path, tree in trees.items():
        dicts = _literal_dicts(tree)
        rel = path.relative_to(root)
        inside: str | None = None
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            if cls.name in custom and cls.name not in EXEMPT:
                for node in ast.walk(cls):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                            and node.func.attr == "__init__" and node.args):
                        _add(found, node.args[0], dicts, f"{rel}:{node.lineno}", cls.name)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == PHRASE):
                if node.args:
                    _add(found, node.args[0], dicts, f"{rel}:{node.lineno}", PHRASE)
                else:
                    found.problems.append(f"{rel}:{node.lineno}: Phrase() has no template")
                continue
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in classes and node.func.id not in custom | EXEMPT):
                continue
            if not node.args:
                found.problems.append(f"{rel}:{node.lineno}: {node.func.id}() has no message")
                continue
            _add(found, node.args[0], dicts, f"{rel}:{node.lineno}", inside or node.func.id)
    return found


def _add(found: Found, arg: ast.expr, dicts: dict[str, list[str]], place: str,
         name: str) -> None:
    templates = _templates(arg, dicts)
    if templates is None:
        kind = "an f-string" if isinstance(arg, ast.JoinedStr) else "not a literal"
        found.problems.append(f"{place}: the message of {name} is {kind}: use a literal "
                              "template with named parameters")
        return
    for template in templates:
        found.templates.setdefault(template, []).append(place)


def render(found: Found) -> str:
    lines = ["# ruff: noqa: E501",
             '"""Msgids of the core\'s error messages and report phrases, for extraction',
             '(generated by tools/core_messages.py: do not edit; run it again when a message',
             'or a phrase changes)."""',
             "", "from flask_babel import lazy_gettext as _l", "", "MESSAGES = ("]
    for template in sorted(found.templates):
        lines.append(f"    _l({template!r}),")
    lines.append(")")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    found = collect()
    text = render(found)
    for problem in found.problems:
        print(problem, file=sys.stderr)
    if "--check" in argv:
        stale = not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text
        if stale:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run tools/core_messages.py",
                  file=sys.stderr)
        return 1 if stale or found.problems else 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"{len(found.templates)} messages written to {OUTPUT.relative_to(ROOT)}; "
          f"{len(found.problems)} problem(s)")
    return 1 if found.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
