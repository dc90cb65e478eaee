"""What a diagram's expressions and scripts reach for, checked at deploy before any case runs them.

The sandbox stops an escape when it is tried, on a live case, as an incident. A process owner should
hear about it when they deploy: so every name an expression or script uses is resolved here (ast
analysis) against what the sandbox offers a diagram, and refused with its line when it is

- an import (the sandbox offers no modules),
- a Python builtin the sandbox does not offer (``open``, ``getattr``, ``type``, ``eval`` ...),
- an attribute or name starting with ``_`` (the way out of every Python sandbox is ``x.__class__``),
- a ``format``/``format_map`` call (``'{0.__class__}'.format(x)`` walks attributes inside a string),
- a diagram function called with the wrong arguments, or a literal argument out of its range
  (``add_working_days(now(), 1900000)``), by the same rule the function applies when it runs.

A name that is none of those and that nothing in the bundle sets (a form, a script, the contact) is a
warning, not an error: an integration may put it in the case data.
"""
from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from typing import Any

from app.engine.functions import ArgumentError, check_literal_arguments
from app.engine.sandbox import allowed_builtin_names

#: Builtins the sandbox offers that a diagram has no business with: they change or inspect objects.
_REFUSED_BUILTINS = frozenset({"setattr", "delattr", "__build_class__", "id", "hash", "issubclass"})

#: What a diagram may call or read without setting it: the sandbox's builtins (one list, kept in the sandbox).
ALLOWED_BUILTINS: frozenset[str] = frozenset(
    name for name in allowed_builtin_names() if not name.startswith("_")) - _REFUSED_BUILTINS

_PYTHON_BUILTINS = frozenset(dir(builtins))
_FORMAT_METHODS = frozenset({"format", "format_map"})


@dataclass(frozen=True)
class NameFinding:
    """One thing wrong with a source: ``line`` counts from 1 within the source; a warning does not refuse."""

    line: int
    message: str
    warning: bool = False
    #: The case data name a warning is about.
    name: str | None = None


def assigned_names(source: str) -> set[str]:
    """The case data names a script sets (top-level assignments): what later steps may read."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for statement in tree.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
            if isinstance(node, (ast.FunctionDef, ast.Lambda, ast.ClassDef, ast.AsyncFunctionDef)):
                break
    return found


def check_source(source: str, mode: str, known: Set[str],
                 functions: Mapping[str, Callable[..., Any]]) -> list[NameFinding]:
    """Every finding in one expression (``mode`` "eval") or script ("exec"), in line order.

    ``known`` holds the case data names that something in the bundle sets; ``functions`` the diagram
    functions. A source that does not parse gives no findings here: the sandbox's compile reports it."""
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except (SyntaxError, ValueError):
        return []
    local = _bound_here(tree)
    findings: list[NameFinding] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 1)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            findings.append(NameFinding(line, "imports are not allowed: a diagram has no modules, only the case data "
                                              f"and the diagram functions ({', '.join(sorted(functions))})"))
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                findings.append(NameFinding(line, f"the attribute '{node.attr}' is not allowed: "
                                                  "names starting with '_' reach outside the case data"))
            elif node.attr in _FORMAT_METHODS:
                findings.append(NameFinding(line, f"'.{node.attr}()' is not allowed: format strings can read "
                                                  "attributes ('{0.__class__}'); join text with + or an f-string "
                                                  "instead"))
        elif isinstance(node, ast.Call):
            findings += _check_call(node, functions)
        elif isinstance(node, ast.Name):
            findings += _check_name(node, known | local, functions)
    return sorted(set(findings), key=lambda f: (f.line, f.warning, f.message))


def _bound_here(tree: ast.AST) -> set[str]:
    """Names the source itself binds (assignments, loop and comprehension variables, arguments)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)) and node.name:
            bound.add(node.name)
    return bound


def _check_name(node: ast.Name, known: Set[str], functions: Mapping[str, Callable[..., Any]]) -> list[NameFinding]:
    name, line = node.id, node.lineno
    if name.startswith("_"):
        return [NameFinding(line, f"the name '{name}' is not allowed: names starting with '_' reach outside "
                                  "the case data")]
    if not isinstance(node.ctx, ast.Load):
        if name in functions:
            return [NameFinding(line, f"'{name}' is a diagram function: a script cannot set it (choose another name)")]
        return []
    if name in functions or name in ALLOWED_BUILTINS or name in known:
        return []
    if name in _PYTHON_BUILTINS or name in _REFUSED_BUILTINS:
        return [NameFinding(line, f"'{name}' is not available in a diagram: the sandbox offers only the case data, "
                                  f"the diagram functions and plain builtins such as len, min, max, sorted")]
    return [NameFinding(line, f"nothing in this process sets '{name}' (no form, script or the contact): "
                              "a case reaching here fails unless an integration sets it", warning=True, name=name)]


def _check_call(node: ast.Call, functions: Mapping[str, Callable[..., Any]]) -> list[NameFinding]:
    line = node.lineno
    if not isinstance(node.func, ast.Name) or node.func.id not in functions:
        return []
    name = node.func.id
    if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords):
        return []
    try:
        bound = inspect.signature(functions[name]).bind(*node.args, **{k.arg: k.value for k in node.keywords
                                                                         if k.arg is not None})
    except TypeError as error:
        return [NameFinding(line, f"{name}(): {error}")]
    literals = {param: value for param, arg in bound.arguments.items() if (value := _literal(arg)) is not None}
    try:
        check_literal_arguments(name, literals)
    except ArgumentError as error:
        return [NameFinding(line, str(error))]
    return []


def _literal(node: ast.AST) -> Any:
    """A number or text written in the source (``-5`` included), or None for anything computed."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, (int, float, str)) else None
