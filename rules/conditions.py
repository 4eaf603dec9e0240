"""Compile a rule's `when` text once, with the typed context, and inspect what it uses.

rule-engine parses the text into its own AST (nothing is ever `eval`-ed); the typed context
refuses unknown names and type mismatches at parse time. On top of that this module refuses
rule-engine built-ins (`$now`, `$random`...: conditions see facts only, so they are
deterministic and explainable), requires a true/false result, lists the facts a condition
reads (for explanations) and checks string codes compared with coded facts, so that
`"mental-health" in risk_categories` is a load error rather than a rule that never fires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import rule_engine
from rule_engine import DataType
from rule_engine import ast as re_ast
from rule_engine import errors as re_errors

from rules.facts import FACT_DESCRIPTIONS, FACT_TYPES, type_name
from rules.fast_conditions import fast_closure
from rules.vocabulary import (
    CONCLUSION_OUTCOMES,
    FACTOR_CODE,
    NAME_CUTOFF,
    RISK_CATEGORIES,
    SECTORS,
    STAGES,
    TRIGGERS,
    did_you_mean,
)

MAX_CONDITION_LENGTH = 4000
_BUILTIN_SCOPE = "built-in"


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a condition: a problem code, a message and a fix hint."""

    code: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class CompiledCondition:
    """A parsed, type-checked condition, ready to evaluate many times.

    `fast` is set when every node of the condition is one of the simple shapes packs use
    (facts, literals, and / or / not, comparisons, `in`, `.length`): the same semantics as
    rule-engine, as plain Python closures built from rule-engine's AST (no eval), several
    times faster. Otherwise rule-engine evaluates it. Values must come from normalize_facts
    (numbers as Decimal, arrays as tuples), as rule-engine would coerce them.
    """

    text: str
    names: tuple[str, ...]  # facts and settings it reads, in order of first use
    rule: rule_engine.Rule = field(compare=False, repr=False)
    fast: Callable[[Mapping[str, Any]], Any] | None = field(default=None, compare=False, repr=False)

    def evaluate(self, facts: Mapping[str, Any]) -> bool:
        """True if the condition holds for `facts` (raises on a runtime error)."""
        if self.fast is not None:
            return bool(self.fast(facts))
        return bool(self.rule.evaluate(facts))

    def evaluate_with_rule_engine(self, facts: Mapping[str, Any]) -> bool:
        """Always through rule-engine (the reference the fast path is tested against)."""
        return bool(self.rule.evaluate(facts))


def _children(node: Any) -> Iterator[Any]:
    attrs: dict[str, Any] = {}
    for cls in type(node).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot != "context" and hasattr(node, slot):
                attrs[slot] = getattr(node, slot)
    for key, value in getattr(node, "__dict__", {}).items():
        if key != "context":
            attrs[key] = value
    for value in attrs.values():
        if isinstance(value, re_ast.ASTNodeBase):
            yield value
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, re_ast.ASTNodeBase):
                    yield item


def _walk(root: Any) -> Iterator[Any]:
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(reversed(list(_children(node))))


def _code_check(valid: tuple[str, ...]) -> Callable[[str], tuple[str, str] | None]:
    def check(value: str) -> tuple[str, str] | None:
        if value in valid:
            return None
        return f"unknown code {value!r}", did_you_mean(value, valid)

    return check


def _factor_check(value: str) -> tuple[str, str] | None:
    match = FACTOR_CODE.match(value)
    if not match:
        return (
            f"malformed risk factor code {value!r}",
            "a factor code is <category>.<slug>, e.g. physical_violence.person_victim",
        )
    if match.group(1) not in RISK_CATEGORIES:
        return (
            f"unknown risk category {match.group(1)!r} in factor code {value!r}",
            did_you_mean(match.group(1), RISK_CATEGORIES),
        )
    return None


_SECTOR_OR_NONE = ("", *SECTORS)

#: facts whose values are codes, and how to check a literal compared with them
_CODE_CHECKS: dict[str, Callable[[str], tuple[str, str] | None]] = {
    "stage": _code_check(STAGES),
    "trigger": _code_check(TRIGGERS),
    "originating_sector": _code_check(SECTORS),
    "lead_sector": _code_check(_SECTOR_OR_NONE),
    "sectors_present": _code_check(SECTORS),
    "assisting_sectors": _code_check(SECTORS),
    "granted_sectors": _code_check(SECTORS),
    "risk_categories": _code_check(RISK_CATEGORIES),
    "risk_factors": _factor_check,
    "aer_reasons": _factor_check,
    "conclusion_outcome": _code_check(CONCLUSION_OUTCOMES),
}


def _fact_symbol(node: Any) -> str | None:
    if isinstance(node, re_ast.SymbolExpression) and node.scope is None:
        return str(node.name)
    return None


def _string_literals(node: Any) -> list[str] | None:
    """The strings of a string literal or of a literal array/set of strings."""
    if isinstance(node, re_ast.StringExpression):
        return [node.value]
    if isinstance(node, re_ast.ArrayExpression | re_ast.SetExpression):
        values = []
        for member in node.value:
            if isinstance(member, re_ast.StringExpression):
                values.append(member.value)
            elif isinstance(member, str):
                values.append(member)
        return values
    return None


def _code_issues(root: Any) -> list[Issue]:
    issues: list[Issue] = []

    def check(name: str | None, literals: list[str] | None) -> None:
        if name is None or literals is None or name not in _CODE_CHECKS:
            return
        for literal in literals:
            found = _CODE_CHECKS[name](literal)
            if found:
                message, hint = found
                issues.append(Issue("unknown_code", f"{message} compared with {name!r}", hint))

    for node in _walk(root):
        if type(node) is re_ast.ComparisonExpression:
            check(_fact_symbol(node.left), _string_literals(node.right))
            check(_fact_symbol(node.right), _string_literals(node.left))
        elif isinstance(node, re_ast.ContainsExpression):
            container, member = node.container, node.member
            if _fact_symbol(container) and isinstance(member, re_ast.StringExpression):
                check(_fact_symbol(container), [member.value])
            elif _fact_symbol(member):
                check(_fact_symbol(member), _string_literals(container))
    return issues


def _types_hint(text: str, known: Mapping[str, Any]) -> str:
    used = [name for name in known if name in text]
    if not used:
        return 'compare numbers with numbers, strings with quoted strings, use `"x" in list`'
    described = ", ".join(f"{name} is {type_name(known[name])}" for name in used[:6])
    return described + '; numbers are compared with numbers, strings with "quoted" strings'


def compile_condition(
    text: str,
    context: rule_engine.Context,
    known_types: Mapping[str, Any] | None = None,
) -> tuple[CompiledCondition | None, list[Issue]]:
    """Parse and check `text`; return the compiled condition (None if unusable) and issues.

    `known_types` maps every name the condition may use (facts and the pack's settings) to
    its type; it defaults to the facts alone.
    """
    known = dict(known_types) if known_types is not None else dict(FACT_TYPES)
    if not isinstance(text, str) or not text.strip():
        return None, [Issue("syntax_error", "empty condition", "write a condition or drop `when`")]
    if len(text) > MAX_CONDITION_LENGTH:
        return None, [
            Issue(
                "syntax_error",
                f"condition longer than {MAX_CONDITION_LENGTH} characters",
                "split it into several rules",
            )
        ]
    parsed = _parse(text, context, known)
    if isinstance(parsed, Issue):
        return None, [parsed]
    return _checked(text, parsed, known)


def _parse(
    text: str, context: rule_engine.Context, known: dict[str, Any]
) -> rule_engine.Rule | Issue:
    """rule-engine's parse and type check, each of its errors turned into one Issue."""
    try:
        return rule_engine.Rule(text, context=context)
    except re_errors.SymbolResolutionError as error:
        name = error.symbol_name
        if error.symbol_scope == _BUILTIN_SCOPE:
            return _builtin_issue(name)
        return Issue(
            "unknown_fact",
            f"unknown fact or setting {name!r} in condition",
            did_you_mean(name, known, listing=_fact_listing(known), cutoff=NAME_CUTOFF),
        )
    except re_errors.AttributeResolutionError as error:
        return Issue(
            "type_error",
            f"attribute {error.attribute_name!r} cannot be used here",
            "only rule-engine attributes such as `.length` are available "
            "(e.g. `risk_factors.length > 2`)",
        )
    except re_errors.RegexSyntaxError as error:
        return Issue("syntax_error", f"bad regular expression: {error.message}", "")
    except (re_errors.SyntaxError, re_errors.RuleSyntaxError) as error:
        return Issue(
            "syntax_error",
            f"syntax error in condition: {error.message}",
            'use and / or / not, == != < <= > >=, `"code" in list`, '
            "strings in double quotes, parentheses balanced",
        )
    except re_errors.EngineError as error:
        return Issue(
            "type_error",
            f"type error in condition: {error.message}",
            _types_hint(text, known),
        )
    except RecursionError:
        return Issue("syntax_error", "condition nested too deeply", "simplify it")
    except Exception as error:  # rule_engine's parser may raise plain errors on odd input
        return Issue(
            "syntax_error",
            f"condition could not be parsed: {type(error).__name__}: {error}",
            "check the condition syntax",
        )


def _checked(
    text: str, parsed: rule_engine.Rule, known: dict[str, Any]
) -> tuple[CompiledCondition | None, list[Issue]]:
    """Issues rule-engine does not see (built-ins, codes, a non-boolean result), then compile."""
    issues: list[Issue] = []
    names: list[str] = []
    for node in _walk(parsed.statement):
        if isinstance(node, re_ast.SymbolExpression):
            if node.scope == _BUILTIN_SCOPE:
                issues.append(_builtin_issue(node.name))
            elif node.scope is None and node.name in known and node.name not in names:
                names.append(node.name)
    result_type = parsed.statement.expression.result_type
    if result_type != DataType.BOOLEAN:
        issues.append(
            Issue(
                "type_error",
                f"the condition gives {type_name(result_type)}, not true/false",
                'compare it, e.g. `risk_factor_count >= 2` or `"housing" in risk_categories`',
            )
        )
    issues.extend(_code_issues(parsed.statement))
    if any(issue.code in ("forbidden", "type_error") for issue in issues):
        return None, issues
    fast = fast_closure(parsed.statement, known)
    return CompiledCondition(text=text, names=tuple(names), rule=parsed, fast=fast), issues


def _builtin_issue(name: str) -> Issue:
    return Issue(
        "forbidden",
        f"rule-engine built-in ${name} is not allowed in a condition",
        "conditions may use only facts and the pack's settings; "
        "timing comes from timer triggers and deadlines",
    )


def _fact_listing(known: Mapping[str, Any]) -> str:
    """Nothing alike: say which settings the pack defines (a removed or misspelt setting is the
    usual cause), then the facts."""
    facts = [name for name in known if name in FACT_DESCRIPTIONS]
    settings = [name for name in known if name not in FACT_DESCRIPTIONS]
    defined = ", ".join(settings) if settings else "none"
    return (f"define it under `settings:` or use another name; the pack's settings: {defined}; "
            "facts: " + ", ".join(facts))
