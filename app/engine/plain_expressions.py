"""Conditions and scripts whose syntax alone bounds their cost, run in the app's process instead of the evaluator's.

Most of a diagram's code is gateway conditions and decision-table cells like ``rag == "red"``,
``"police" in agencies`` or ``dmninputexpr >= 14``, timer expressions like ``rag_deadline(rag, now())`` and
bookkeeping scripts like ``returned_checks = returned_checks + ["police"]``: a pipe round trip to the evaluator
process for each costs far more than the work (on the referral walk, a third of the engine's time).

An expression made only of names, literals, comparisons, ``and``/``or``/``not``, unary signs, ``x if c else y``,
``+``, at most ``MAX_CALLS`` calls of the hub's own bounded functions (``CALLABLE``: the deadline functions, whose
arguments are range-checked, ``len``, ``any`` and ``all``) and flat comprehensions cannot reach an attribute, loop
inside a loop or build a large value (no ``*`` or ``**``, no subscripts): its cost is bounded by the size of the case
data, which the app already holds. A flat comprehension has one ``for`` and no call, ``+`` or comprehension inside;
over a literal (a decision table's ``any(code in presenting_factors for code in ("1B", "2B"))``) it may compare
anything, over case data (a script's ``[r for r in referrals if r != outcome]``) each comparison is of its own item
with one value, without ``in``, so no item is compared with the whole of the data again. A generator is plain only as
the one argument of ``any`` or ``all``. A plain script is a sequence of ``name = <plain expression>``. Everything
else, and anything plain that raises (a missing name, comparing a number with text, a function's refused argument,
case data named like a function), goes to the evaluator, which reports it exactly as before.
"""
from __future__ import annotations

import ast
import copy
import threading
from types import CodeType
from typing import Any, Literal, cast

_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Compare, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp,
    ast.Not, ast.USub, ast.UAdd, ast.IfExp, ast.Tuple, ast.List, ast.Set,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
    ast.BinOp, ast.Add, ast.Call, ast.keyword, ast.GeneratorExp, ast.ListComp, ast.comprehension, ast.Store,
)
#: The calls that take a generator.
_OVER_GENERATOR = frozenset({"any", "all"})
_SCRIPT_NODES = (ast.Module, ast.Assign, ast.Store)
#: Functions a plain expression may call: the deadline functions of app/engine/functions.py (each checks its
#: arguments' ranges) and len. Schools and MARAC meetings read rule files: those calls go to the evaluator.
CALLABLE = frozenset({"now", "add_hours", "add_working_days", "add_working_hours", "rag_deadline", "decision_due",
                      "timescale", "hub_open", "next_opening", "uk_time", "len", *_OVER_GENERATOR})
#: At most this many calls in one plain expression or script (a deadline function may take tens of ms).
MAX_CALLS = 4
#: Expressions seen, plain (their code) or not (None); a deployed diagram has a few hundred.
_CACHE_SIZE = 4096
_cache: dict[tuple[str, str], CodeType | None] = {}
_lock = threading.Lock()


def plain_code(expression: str) -> CodeType | None:
    """The compiled expression if it is plain (see the module's docstring), else None."""
    return _cached(expression, "eval")


def plain_script(script: str) -> CodeType | None:
    """The compiled script if it is plain (assignments of plain expressions to names), else None."""
    return _cached(script, "exec")


def _cached(source: str, mode: Literal["eval", "exec"]) -> CodeType | None:
    key = (mode, source)
    with _lock:
        if key in _cache:
            return _cache[key]
    code = _compile_if_plain(source, mode)
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = code
    return code


def _compile_if_plain(source: str, mode: Literal["eval", "exec"]) -> CodeType | None:
    try:
        tree = ast.parse(source.strip(), mode=mode)
    except (SyntaxError, ValueError):
        return None  # the evaluator reports it as the diagram's error
    calls = 0
    if not _flat_comprehensions(tree):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES + (_SCRIPT_NODES if mode == "exec" else ())):
            return None
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return None  # the sandbox refuses such names: let it say so
        if isinstance(node, ast.Constant) and not isinstance(node.value, str | int | float | bool | type(None)):
            return None
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add):
            return None
        if isinstance(node, ast.Assign) and not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            return None
        if isinstance(node, ast.Call):
            calls += 1
            if not (isinstance(node.func, ast.Name) and node.func.id in CALLABLE) or calls > MAX_CALLS:
                return None
        if isinstance(node, ast.keyword) and node.arg is None:
            return None  # **mapping
    code: CodeType = compile(cast(ast.Module | ast.Expression, tree), f"<{mode}>", mode)
    return code


def _flat_comprehensions(tree: ast.AST) -> bool:
    """Every comprehension has one ``for`` whose target is a name, no call and no comprehension inside; a
    generator is the one argument of ``any`` or ``all``; a name is stored only by a comprehension or a script's
    assignment."""
    generators_allowed = {id(node.args[0]) for node in ast.walk(tree)
                          if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                          and node.func.id in _OVER_GENERATOR and len(node.args) == 1 and not node.keywords}
    stores = {id(target) for node in ast.walk(tree) if isinstance(node, ast.Assign) for target in node.targets}
    for node in ast.walk(tree):
        if isinstance(node, ast.GeneratorExp) and id(node) not in generators_allowed:
            return False
        if isinstance(node, ast.GeneratorExp | ast.ListComp):
            if len(node.generators) != 1:
                return False
            [loop] = node.generators
            if loop.is_async or not isinstance(loop.target, ast.Name) or loop.target.id.startswith("_"):
                return False
            stores.add(id(loop.target))
            inner = [child for part in (node.elt, loop.iter, *loop.ifs) for child in ast.walk(part)]
            if any(isinstance(child, ast.Call | ast.GeneratorExp | ast.ListComp | ast.BinOp) for child in inner):
                return False
            if not _literal(loop.iter) and not _item_compared(loop.target.id, [node.elt, *loop.ifs]):
                return False
    return all(id(node) in stores for node in ast.walk(tree)
               if isinstance(getattr(node, "ctx", None), ast.Store))


def _literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Tuple | ast.List | ast.Set) and all(isinstance(e, ast.Constant) for e in node.elts)


def _item_compared(item: str, parts: list[ast.AST]) -> bool:
    """Each comparison in ``parts`` is of ``item`` with one other value, and none is ``in``: over case data, each
    item costs at most its own size to compare, so the loop's cost stays the data's size."""
    for part in parts:
        for node in ast.walk(part):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            if len(operands) != 2 or any(isinstance(op, ast.In | ast.NotIn) for op in node.ops) or not any(
                    isinstance(operand, ast.Name) and operand.id == item for operand in operands):
                return False
    return True


def _scope(functions: dict[str, Any], external: dict[str, Any]) -> dict[str, Any]:
    scope = {"len": len, "any": any, "all": all, **functions, **external}
    if "now" in external:  # a timer evaluated as of when it was armed, as in the evaluator
        armed = external["now"]
        scope["now"] = lambda: armed
    return scope


def evaluate_plain(code: CodeType, context: dict[str, Any], external: dict[str, Any],
                   functions: dict[str, Any]) -> Any:
    """The value of a plain expression over the case data (which wins over the engine's own names and the
    functions, as in the evaluator). Raises whatever the expression raises; the caller then asks the evaluator.
    A list or dict it answers is a copy, as a value from the evaluator is: the case data is never shared between
    two names."""
    # One namespace, the globals: a comprehension's own scope reads the case data from there.
    scope = {**_scope(functions, external), **context, "__builtins__": {}}
    value = eval(code, scope)  # noqa: S307 - plain expressions only (see above)
    return copy.deepcopy(value) if isinstance(value, list | dict | set | tuple) else value


def execute_plain(code: CodeType, context: dict[str, Any], external: dict[str, Any],
                  functions: dict[str, Any]) -> dict[str, Any]:
    """The case data after a plain script, as the evaluator would send it back (app/engine/sandbox.py
    ``RestrictedEnvironment.execute``): every value a copy, nothing named like a function or the engine's names.
    Raises ValueError where the evaluator would refuse case data named like a function, and whatever the script
    raises; the caller then asks the evaluator, and ``context`` is untouched."""
    engine_names = set(functions) | set(external)  # the evaluator's globals (len is a builtin there)
    if engine_names & set(context):
        raise ValueError("case data has the name of a diagram function")
    scope = {name: value for name, value in _scope(functions, external).items() if name not in context}
    scope.update(context)  # in the case data's own order, as the evaluator sends it back
    scope["__builtins__"] = {}  # one namespace, the globals: a comprehension's own scope reads the case data there
    exec(code, scope)  # noqa: S102 - plain scripts only (see above)
    return {key: copy.deepcopy(value) for key, value in scope.items()
            if key not in engine_names and not key.startswith("_") and not callable(value)}
