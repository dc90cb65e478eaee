"""Conditions whose syntax alone bounds their cost, evaluated in the app's process instead of the evaluator's.

Most of a diagram's code is gateway conditions and decision-table cells like ``rag == "red"``,
``"police" in agencies`` or ``dmninputexpr >= 14``: a pipe round trip to the evaluator process for each costs far
more than the comparison. An expression made only of names, literals, comparisons, ``and``/``or``/``not``,
unary signs and ``x if c else y`` cannot loop, call anything, reach an attribute or build a large value (no
arithmetic, no calls, no subscripts, no comprehensions): its cost is bounded by the size of the case data it
compares, which the app already holds. Everything else, and any plain expression that raises (a missing name,
comparing a number with text), goes to the evaluator, which reports it exactly as before.
"""
from __future__ import annotations

import ast
import copy
import threading
from types import CodeType
from typing import Any

_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Compare, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp,
    ast.Not, ast.USub, ast.UAdd, ast.IfExp, ast.Tuple, ast.List, ast.Set,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
)
#: Expressions seen, plain (their code) or not (None); a deployed diagram has a few hundred.
_CACHE_SIZE = 4096
_cache: dict[str, CodeType | None] = {}
_lock = threading.Lock()
_NO_BUILTINS: dict[str, Any] = {"__builtins__": {}}


def plain_code(expression: str) -> CodeType | None:
    """The compiled expression if it is plain (see the module's docstring), else None."""
    with _lock:
        if expression in _cache:
            return _cache[expression]
    code = _compile_if_plain(expression)
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[expression] = code
    return code


def _compile_if_plain(expression: str) -> CodeType | None:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None  # the evaluator reports it as the diagram's error
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            return None
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return None  # the sandbox refuses such names: let it say so
        if isinstance(node, ast.Constant) and not isinstance(node.value, str | int | float | bool | type(None)):
            return None
    return compile(tree, "<condition>", "eval")


def evaluate_plain(code: CodeType, context: dict[str, Any], external: dict[str, Any]) -> Any:
    """The value of a plain expression over the case data (which wins over the engine's own names, as in the
    evaluator). Raises whatever the expression raises; the caller then asks the evaluator. A list or dict it
    answers is a copy, as a value from the evaluator is: the case data is never shared between two names."""
    value = eval(code, _NO_BUILTINS, {**external, **context})  # noqa: S307 - plain expressions only (see above)
    return copy.deepcopy(value) if isinstance(value, list | dict | set | tuple) else value
