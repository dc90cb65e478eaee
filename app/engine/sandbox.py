"""Diagram expressions and scripts run here: RestrictedPython, no imports, no dunder escapes.

SpiffWorkflow's default environment is plain eval/exec with full builtins; a gateway condition
could run a shell command. Everything a diagram evaluates goes through this module instead, inside the
evaluator process (app.engine.evaluator) that bounds its time and memory. This module imports neither
SpiffWorkflow nor the app's packages: the evaluator process loads it alone, so it starts in a blink.
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr

_EXTRA_BUILTINS = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in ("all", "any", "dict", "enumerate", "list", "max", "min", "set", "sorted", "sum", "reversed", "map",
                 "filter", "frozenset")
}

_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod,
}


#: Compiled expressions and scripts kept per environment (a long-lived evaluator serves every version).
_CODE_CACHE_SIZE = 2000


def allowed_builtin_names() -> frozenset[str]:
    """The builtins a diagram may use, for the deploy validator."""
    return frozenset(safe_builtins) | frozenset(_EXTRA_BUILTINS)


class SandboxError(Exception):
    """An expression or script that the sandbox refused to compile (with the line at fault)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _write_guard(obj: Any) -> Any:
    if isinstance(obj, (dict, list)):
        return obj
    raise TypeError(f"cannot change an object of type {type(obj).__name__} in a diagram script")


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op not in _INPLACE:
        raise TypeError(f"operator {op} is not allowed in a diagram script")
    return _INPLACE[op](x, y)


def _restricted_globals(functions: Mapping[str, Callable[..., Any]]) -> dict[str, Any]:
    builtins = dict(safe_builtins)
    builtins.update(_EXTRA_BUILTINS)
    return {
        "__builtins__": builtins,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_guard,
        "_inplacevar_": _inplacevar,
        **functions,
    }


def _first_error_line(errors: Sequence[str]) -> int | None:
    for error in errors:
        # RestrictedPython messages look like 'Line 2: ...'
        if error.startswith("Line "):
            try:
                return int(error.split(":", 1)[0].removeprefix("Line "))
            except ValueError:
                return None
    return None


def compile_expression(expression: str) -> CodeType:
    result = compile_restricted_eval(expression.strip())
    if result.errors or result.code is None:  # RestrictedPython gives no code exactly when it gives errors
        raise SandboxError("; ".join(result.errors), _first_error_line(result.errors))
    return result.code


def compile_script(script: str) -> CodeType:
    result = compile_restricted_exec(script)
    if result.errors or result.code is None:
        raise SandboxError("; ".join(result.errors), _first_error_line(result.errors))
    return result.code


class RestrictedEnvironment:
    """A SpiffWorkflow script environment (``evaluate``/``execute``, as SpiffWorkflow calls them) that runs
    with RestrictedPython in this process. The evaluator process runs every diagram's code through one; the
    app itself uses app.engine.evaluator.IsolatedEnvironment, which sends the work there."""

    globals: dict[str, Callable[..., Any]]

    def __init__(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        self.globals = dict(functions)
        self._code_cache: dict[tuple[str, str], CodeType] = {}

    def _code(self, kind: str, source: str) -> CodeType:
        key = (kind, source)
        code = self._code_cache.get(key)
        if code is None:
            try:
                code = compile_expression(source) if kind == "eval" else compile_script(source)
            except SandboxError as error:
                # SpiffWorkflow's error formatter cannot handle SyntaxError(lineno=None).
                raise ValueError(str(error)) from None
            if len(self._code_cache) >= _CODE_CACHE_SIZE:
                self._code_cache.clear()
            self._code_cache[key] = code
        return code

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ValueError("service tasks are not available to diagrams")

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        scope = _restricted_globals(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(self._code("eval", expression), scope)  # noqa: S307 - restricted bytecode

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        clashes = (set(self.globals) | set(external_context or {})) & set(context)
        if clashes:
            raise ValueError(f"case data {', '.join(sorted(clashes))} has the name of a diagram function: "
                             "rename the field")
        base = _restricted_globals(self.globals)
        base.update(external_context or {})
        scope = dict(base)
        scope.update(context)
        exec(self._code("exec", script), scope)  # noqa: S102 - restricted bytecode
        for key in list(context):
            if key not in scope:
                del context[key]
        for key, value in scope.items():
            if key in base or key.startswith("_") or callable(value):
                continue
            context[key] = value
        return True
