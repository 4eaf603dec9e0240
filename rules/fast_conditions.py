"""Conditions of the simple shapes packs use, as plain Python closures (several times faster).

Built from rule-engine's parsed AST (nothing is ever eval'd): facts, literals, and / or / not,
comparisons, `in` and `.length`, with rule-engine's semantics. Any other shape gives None and
rule-engine evaluates the condition itself; tests/rules checks both agree.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Mapping
from typing import Any

from rule_engine import DataType
from rule_engine import ast as re_ast

Fn = Callable[[Mapping[str, Any]], Any]


def fast_closure(node: Any, known: Mapping[str, Any]) -> Fn | None:
    """A closure computing `node` like rule-engine does, or None if the shape is not simple."""
    if isinstance(node, re_ast.Statement):
        return fast_closure(node.expression, known)
    if isinstance(node, re_ast.SymbolExpression):
        if node.scope is not None or node.name not in known:
            return None
        name = node.name
        return lambda values: values[name]
    if isinstance(
        node, re_ast.BooleanExpression | re_ast.FloatExpression | re_ast.StringExpression
    ):
        constant = node.value
        return lambda values: constant
    if isinstance(node, re_ast.ArrayExpression):
        if not all(isinstance(m, re_ast.StringExpression) for m in node.value):
            return None
        constant_tuple = tuple(m.value for m in node.value)
        return lambda values: constant_tuple
    if isinstance(node, re_ast.UnaryExpression) and node.type == "not":
        right = fast_closure(node.right, known)
        return None if right is None else (lambda values: not right(values))
    if isinstance(node, re_ast.LogicExpression):
        return _fast_logic(node, known)
    if isinstance(node, re_ast.ContainsExpression):
        return _fast_contains(node, known)
    if isinstance(node, re_ast.GetAttributeExpression):
        return _fast_length(node, known)
    if type(node) is re_ast.ComparisonExpression and node.type in ("eq", "ne"):
        return _fast_equality(node, known)
    if type(node) is re_ast.ArithmeticComparisonExpression and node.type in _ORDER:
        return _fast_order(node, known)
    return None


def _fast_logic(node: Any, known: Mapping[str, Any]) -> Fn | None:
    left, right = fast_closure(node.left, known), fast_closure(node.right, known)
    if left is None or right is None:
        return None
    if node.type == "and":
        return lambda values: bool(left(values) and right(values))
    if node.type == "or":
        return lambda values: bool(left(values) or right(values))
    return None


def _fast_contains(node: Any, known: Mapping[str, Any]) -> Fn | None:
    container, member = fast_closure(node.container, known), fast_closure(node.member, known)
    if container is None or member is None:
        return None
    return lambda values: member(values) in container(values)


def _fast_length(node: Any, known: Mapping[str, Any]) -> Fn | None:
    """`x.length` of a string or an array (rule-engine gives it as a FLOAT, a Decimal)."""
    obj = fast_closure(node.object, known)
    object_type = node.object.result_type
    if (
        obj is None
        or node.name != "length"
        or not (object_type == DataType.STRING or DataType.is_type(object_type, DataType.ARRAY))
    ):
        return None
    return lambda values: decimal.Decimal(len(obj(values)))


def _fast_equality(node: Any, known: Mapping[str, Any]) -> Fn | None:
    """== and != as rule-engine has them: values of different types are never equal."""
    left, right = fast_closure(node.left, known), fast_closure(node.right, known)
    if left is None or right is None:
        return None
    if node.type == "eq":

        def equal(values: Mapping[str, Any]) -> bool:
            a, b = left(values), right(values)
            return type(a) is type(b) and a == b

        return equal

    def not_equal(values: Mapping[str, Any]) -> bool:
        a, b = left(values), right(values)
        return type(a) is not type(b) or a != b

    return not_equal


def _fast_order(node: Any, known: Mapping[str, Any]) -> Fn | None:
    """< <= > >= between two numbers or two strings (other types go to rule-engine)."""
    scalar = (DataType.FLOAT, DataType.STRING)
    if node.left.result_type not in scalar or node.left.result_type != node.right.result_type:
        return None
    left, right = fast_closure(node.left, known), fast_closure(node.right, known)
    if left is None or right is None:
        return None
    op = _ORDER[node.type]
    return lambda values: op(left(values), right(values))


_ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
