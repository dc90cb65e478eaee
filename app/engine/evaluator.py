"""Diagram code runs in an evaluator process with a time and memory budget, never in the app's own process.

Why a process: on Python 3.11 a tracing or signal-based limit inside the app stops pure-Python loops but not
one long C-level operation (``'a' * 10**9``, ``10 ** 10 ** 7``), and nothing in-process bounds memory. A
separate process can have an address-space limit, a CPU alarm for loops, and, for everything else, a
deadline after which the app kills it and carries on. Each worker thread borrows an already-started
evaluator from a small pool for one evaluation (a pipe round trip with the task's data pickled both ways),
and a spare is started whenever the pool runs dry, so nobody waits for a start-up. A budget that runs out
raises ``BudgetExceeded``; SpiffWorkflow reports it against the element, and the case gets an incident.

Replies come from a process that runs untrusted code: they are unpickled with a loader that accepts plain
data only (no classes beyond dates, times, decimals and UUIDs), so an escape from the sandbox there could
not run code here.
"""
from __future__ import annotations

import atexit
import builtins
import contextlib
import functools
import io
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.core.clock import now as clock_now
from app.core.config import EvaluationBudget, evaluation_budget
from app.core.sla import SlaConfig
from app.engine import functions as _functions
from app.engine.plain_expressions import evaluate_plain, execute_plain, plain_code, plain_script

_CHILD = Path(__file__).with_name("evaluator_child.py")
_HEADER = 4
#: How long a new evaluator may take to start (not part of any budget: the pool starts them ahead).
_START_SECONDS = 30.0
#: Idle evaluators kept per app process beyond the one spare.
_IDLE_KEPT = 4
#: CPU time an evaluation gets beyond its budget before it is killed from outside (the evaluator's own alarm
#: stops Python code at the budget; a single C-level operation cannot be interrupted from inside).
_GRACE_SECONDS = 0.25
#: How often the app looks at a slow evaluation's CPU time.
_SLICE_SECONDS = 0.05
_TICKS = os.sysconf("SC_CLK_TCK")


class BudgetExceeded(Exception):
    """Diagram code went over its time or memory budget and was stopped."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class EvaluatorFailed(Exception):
    """The evaluator process could not be started or stopped answering for a reason that is not the budget."""


# ----------------------------------------------------------------------------- the budget in force
_budget: EvaluationBudget | None = None


def budget() -> EvaluationBudget:
    """The budget from the settings (read once), or the one a test set."""
    global _budget
    if _budget is None:
        _budget = evaluation_budget()
    return _budget


@contextlib.contextmanager
def budget_of(**changes: Any) -> Iterator[EvaluationBudget]:
    """Run with another budget (tests and the bench)."""
    global _budget
    was = budget()
    _budget = replace(was, **changes)
    try:
        yield _budget
    finally:
        _budget = was


# ----------------------------------------------------------------------------- replies: plain data only
_ALLOWED_CLASSES = {
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"), ("builtins", "bytearray"),
    ("builtins", "range"), ("builtins", "slice"),
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("decimal", "Decimal"), ("uuid", "UUID"), ("collections", "OrderedDict"),
}


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_CLASSES:
            raise pickle.UnpicklingError(f"the evaluator sent a {module}.{name}, which is not plain data")
        return super().find_class(module, name)


def _plain_data(payload: bytes) -> Any:
    return _PlainDataUnpickler(io.BytesIO(payload)).load()


# ----------------------------------------------------------------------------- one evaluator process
class _Evaluator:
    """One evaluator process and its pipes. Used by one thread at a time (the pool hands it out)."""

    def __init__(self, memory_mib: int) -> None:
        self.memory_mib = memory_mib
        self.known: set[str] = set()
        self.ready = False
        self.cpu_spent = False
        self.demoted = False
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and file
            [sys.executable, "-I", str(_CHILD), str(memory_mib)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, cwd="/")
        if self.process.stdin is None or self.process.stdout is None:  # pragma: no cover - PIPE always gives them
            raise EvaluatorFailed("the evaluator process has no pipes")
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]

    def cpu_seconds(self) -> float:
        """CPU time the process has used (user and system), from /proc."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def _read(self, count: int, deadline: float, over: Callable[[], bool] | None = None) -> bytes | None:
        """``count`` bytes, or None when the deadline passes or ``over()`` says the budget is spent; EOF raises."""
        chunks = []
        poller = select.poll()
        poller.register(self._out, select.POLLIN | select.POLLHUP | select.POLLERR)
        while count:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not poller.poll(min(left, _SLICE_SECONDS) * 1000):
                if over is not None and over():
                    return None
                continue
            chunk = os.read(self._out, min(count, 1 << 20))
            if not chunk:
                raise EvaluatorFailed("the evaluator process stopped")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _frame(self, deadline: float, over: Callable[[], bool] | None = None) -> Any:
        header = self._read(_HEADER, deadline, over)
        if header is None:
            return None
        body = self._read(int.from_bytes(header, "big"), deadline + 5)  # the rest of a reply already begun
        if body is None:
            return None
        try:
            return _plain_data(body)
        except pickle.UnpicklingError as error:
            return (("error", "TypeError", f"the diagram made a value the case cannot keep ({error})", None, None),
                    0.0)

    def wait_ready(self) -> None:
        if self.ready:
            return
        reply = self._frame(time.monotonic() + _START_SECONDS)
        if not (isinstance(reply, tuple) and reply and reply[0] == "ready"):
            raise EvaluatorFailed("the evaluator process did not start")
        self.ready = True

    def ask(self, request: dict[str, Any], deadline: float, cpu_limit: float) -> Any:
        """Send one evaluation and wait for its reply until ``deadline`` (wall clock) or until it has used
        ``cpu_limit`` seconds of CPU (a single C-level operation the evaluator's own alarm cannot stop); None
        when no reply came in time. A starved evaluator on a busy machine is not charged for waiting."""
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        data = len(payload).to_bytes(_HEADER, "big") + payload
        sent = time.monotonic()
        try:
            while data:
                data = data[os.write(self._in, data):]
        except OSError as error:
            raise EvaluatorFailed("the evaluator process stopped") from error
        baseline: list[float] = []

        def over() -> bool:
            if not self.demoted:
                # Past a slice it is no quick condition: people's requests come first.
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, self.process.pid, 10)
                self.demoted = True
            used = self.cpu_seconds()
            if not baseline:  # read only for slow evaluations: charge it all the time since it was sent
                baseline.append(used - (time.monotonic() - sent))
            self.cpu_spent = used - baseline[0] >= cpu_limit
            return self.cpu_spent

        self.cpu_spent = False
        return self._frame(deadline, over)


class _Pool:
    """Started evaluators of this app process, handed to one thread at a time; refilled ahead of need."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Evaluator] = []
        self._pid = os.getpid()

    def _forked(self) -> None:
        # A worker forked after the pool started (gunicorn --preload) must not share its parent's pipes.
        if self._pid != os.getpid():
            self._idle = []
            self._pid = os.getpid()

    def take(self, memory_mib: int) -> _Evaluator:
        with self._lock:
            self._forked()
            evaluator = None
            while self._idle:
                candidate = self._idle.pop()
                if candidate.memory_mib == memory_mib and candidate.alive():
                    evaluator = candidate
                    break
                candidate.kill()
            if not self._idle:
                self._idle.append(_Evaluator(memory_mib))  # the spare: starting while this one works
        return evaluator if evaluator is not None else _Evaluator(memory_mib)

    def give_back(self, evaluator: _Evaluator) -> None:
        with self._lock:
            self._forked()
            if len(self._idle) <= _IDLE_KEPT and evaluator.alive():
                self._idle.append(evaluator)
                return
        evaluator.kill()

    def warm(self, memory_mib: int) -> _Evaluator:
        """Start one evaluator ahead of the first evaluation (at app start), or find the one waiting."""
        with self._lock:
            self._forked()
            if not self._idle:
                self._idle.append(_Evaluator(memory_mib))
            return self._idle[-1]

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for evaluator in idle:
            evaluator.kill()


_POOL = _Pool()
atexit.register(_POOL.close)


def warm_up(*, wait: bool = False) -> None:
    """Start an evaluator now, so the first contact does not wait for one (``wait``: until it is ready)."""
    evaluator = _POOL.warm(budget().memory_mib)
    if wait:
        evaluator.wait_ready()


def shut_down() -> None:
    """Stop every idle evaluator of this process (tests, and the app's exit)."""
    _POOL.close()


# ----------------------------------------------------------------------------- errors as the diagram made them
def _raise_as_diagram_error(name: str, message: str, line: int | None, missing: str | None) -> None:
    kind = getattr(builtins, name, None)
    error: Exception
    if isinstance(kind, type) and issubclass(kind, Exception) and kind is not BudgetExceeded:
        try:
            error = kind(message, name=missing) if kind is NameError else kind(message)
        except Exception:  # noqa: BLE001 - an exception class that wants other arguments: keep its words
            error = RuntimeError(f"{name}: {message}")
    else:
        error = RuntimeError(f"{name}: {message}")
    if line:
        # SpiffWorkflow finds a script's failing line in the traceback frame named '<string>'.
        exec(compile("\n" * (line - 1) + "raise error", "<string>", "exec"), {"error": error})  # noqa: S102
    raise error


# ----------------------------------------------------------------------------- the SpiffWorkflow environment
class IsolatedEnvironment:
    """A SpiffWorkflow script environment whose ``evaluate`` and ``execute`` run in an evaluator process.

    Each evaluation may use ``eval_cpu_seconds`` of CPU, and all the evaluations between ``begin_step`` and
    ``end_step`` together ``step_seconds`` of CPU. The wall clock is the backstop that frees the worker even
    on a starved machine: the time a step spends waiting for its evaluations may not pass ``WALL_FACTOR``
    times ``step_seconds`` either. The app's own engine work and evaluator start-ups count for neither, so
    a busy hub does not turn a quick diagram into an incident."""

    def __init__(self, key: str, sla: SlaConfig, function_names: frozenset[str]) -> None:
        self.key = key
        self.sla = sla
        # SpiffWorkflow and the validator read the names of the functions diagrams may call.
        self.globals: dict[str, Callable[..., Any]] = dict.fromkeys(function_names, _remote_only)
        self._step_cpu_left: float | None = None
        self._step_wall_left: float | None = None

    @functools.cached_property
    def _functions(self) -> dict[str, Callable[..., Any]]:
        """The diagram functions run here for plain expressions (app/engine/plain_expressions.py)."""
        return _functions.diagram_functions(self.sla)

    def begin_step(self) -> None:
        limits = budget()
        self._step_cpu_left = limits.step_seconds
        self._step_wall_left = WALL_FACTOR * limits.step_seconds

    def end_step(self) -> None:
        self._step_cpu_left = self._step_wall_left = None

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        return self._run("eval", expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        updated = self._run("exec", script, context, external_context)
        context.clear()
        context.update(updated)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ValueError("service tasks are not available to diagrams")

    def _run(self, kind: str, source: str, context: dict[str, Any], external: dict[str, Any] | None) -> Any:
        limits = budget()
        outside: dict[str, Any] = {}
        for name, value in (external or {}).items():
            # The engine passes a timer's "as armed" clock as a function; the evaluator receives its answer.
            outside[name] = value() if name == "now" and callable(value) else value
        in_step = self._step_cpu_left is not None
        cpu = min(limits.eval_cpu_seconds, self._step_cpu_left) if self._step_cpu_left is not None \
            else limits.eval_cpu_seconds
        step_limited = in_step and cpu < limits.eval_cpu_seconds
        if cpu <= 0 or (self._step_wall_left is not None and self._step_wall_left <= 0):
            raise BudgetExceeded("time", _step_message(limits))
        plain = plain_code(source) if kind == "eval" else plain_script(source)
        if plain is not None:
            try:
                if kind == "eval":
                    return evaluate_plain(plain, context, outside, self._functions)
                return execute_plain(plain, context, outside, self._functions)
            except Exception:  # noqa: BLE001, S110 - the evaluator reports the diagram's error as it always has
                pass
        evaluator = _POOL.take(limits.memory_mib)
        try:
            evaluator.wait_ready()  # a start-up is not the diagram's time
            started = time.monotonic()
            request = {"kind": kind, "source": source, "context": context, "external": outside, "key": self.key,
                       "sla": None if self.key in evaluator.known else self.sla, "now": clock_now(),
                       "at_risk": _functions._AT_RISK.get(), "cpu": cpu}
            wall = self._step_wall_left if self._step_wall_left is not None \
                else WALL_FACTOR * limits.step_seconds
            answer = evaluator.ask(request, started + wall, cpu + _GRACE_SECONDS)
            evaluator.known.add(self.key)
            if self._step_wall_left is not None:
                self._step_wall_left -= time.monotonic() - started
        except BaseException:
            evaluator.kill()
            raise
        if answer is None:  # killed from outside: a C-level operation, or a machine too busy to finish in time
            evaluator.kill()
            if self._step_cpu_left is not None:
                self._step_cpu_left = self._step_wall_left = 0.0
            raise BudgetExceeded("time", _eval_message(limits) if evaluator.cpu_spent and not step_limited
                                 else _step_message(limits))
        reply, used = answer
        if self._step_cpu_left is not None:
            self._step_cpu_left -= used
        if reply[0] == "memory":
            evaluator.kill()
            raise BudgetExceeded("memory", f"stopped at {limits.memory_mib} MiB: the memory budget of one evaluation")
        if evaluator.demoted:
            evaluator.kill()  # it ran long enough to be given a lower priority: a fresh one serves the next
        else:
            _POOL.give_back(evaluator)
        if reply[0] == "time":
            raise BudgetExceeded("time", _step_message(limits) if step_limited else _eval_message(limits))
        if reply[0] == "error":
            _raise_as_diagram_error(*reply[1:])
        return reply[1]


#: A step's wall-clock backstop, as a multiple of its CPU budget (the worker is freed after this whatever).
WALL_FACTOR = 1.0


def _eval_message(limits: EvaluationBudget) -> str:
    return f"stopped after {limits.eval_cpu_seconds:g} s of CPU: the time budget of one evaluation"


def _step_message(limits: EvaluationBudget) -> str:
    return f"stopped after {limits.step_seconds:g} s: the time budget of one step of the process"


def _remote_only(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("diagram functions run in the evaluator process")
