"""The evaluator process: runs diagram code for the app, one request at a time, inside resource limits.

Started by app.engine.evaluator as ``python -I <this file> <memory MiB>``, never imported by the app. It
loads only the sandbox and the diagram functions (not the app's packages, not SpiffWorkflow), so it is ready
in a fraction of a second. Limits: address space (the memory budget over what the process needs to start),
no new files or processes, no core dumps; each evaluation has a CPU-time alarm (ITIMER_PROF) that stops
pure-Python loops. A single C-level operation cannot be interrupted from inside: the app kills this process
when its deadline passes and starts another.

Frames on stdin/stdout: a 4-byte big-endian length, then a pickle. Requests come from the app (trusted);
replies are read by the app with an unpickler that accepts plain data only.
"""
from __future__ import annotations

import os
import pickle
import resource
import signal
import sys
import time
import traceback
import types
from datetime import date
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]
_HEADER = 4
_MIB = 1024 * 1024


def _load_without_package_imports() -> None:
    """Import the sandbox's modules without the packages' ``__init__`` (Flask, SQLAlchemy, SpiffWorkflow)."""
    sys.path.insert(0, str(_ROOT))
    for name in ("app", "app.core", "app.engine"):
        package = types.ModuleType(name)
        package.__path__ = [str(_ROOT / name.replace(".", "/"))]
        sys.modules[name] = package


_load_without_package_imports()

from app.core.calendar import HubCalendar  # noqa: E402
from app.core.clock import clock  # noqa: E402
from app.engine.functions import at_risk_mode, diagram_functions  # noqa: E402
from app.engine.sandbox import RestrictedEnvironment  # noqa: E402


class OutOfTime(BaseException):
    """The evaluation used its CPU time."""


def _on_alarm(_signum: int, _frame: object) -> None:
    raise OutOfTime


def _read_exactly(count: int) -> bytes | None:
    chunks = []
    while count:
        chunk = os.read(0, min(count, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _write(reply: object) -> None:
    payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    data = len(payload).to_bytes(_HEADER, "big") + payload
    while data:
        written = os.write(1, data)
        data = data[written:]


def _limit(memory_mib: int) -> None:
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    ceiling = in_use + memory_mib * _MIB
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (8, 8))


def _error_line(error: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == "<string>":
            line = frame.lineno
    return line


class Evaluator:
    """One environment per definition version (its calendar and SLA policies), kept while the process lives."""

    def __init__(self) -> None:
        self.environments: dict[str, RestrictedEnvironment] = {}

    def serve(self, request: dict[str, Any]) -> tuple[Any, ...]:
        key = request["key"]
        environment = self.environments.get(key)
        if environment is None:
            environment = self.environments[key] = RestrictedEnvironment(diagram_functions(request["sla"]))
        external = dict(request["external"])
        if "now" in external:  # a timer evaluated as of when it was armed
            armed = external["now"]
            external["now"] = lambda: armed
        clock.freeze(request["now"])  # the app's clock (training moves it), as of this evaluation
        context = request["context"]
        signal.setitimer(signal.ITIMER_PROF, request["cpu"], 0.05)
        try:
            with at_risk_mode() if request["at_risk"] else _nothing():
                if request["kind"] == "eval":
                    return ("value", environment.evaluate(request["source"], context, external))
                environment.execute(request["source"], context, external)
                return ("context", context)
        except OutOfTime:
            return ("time",)
        except MemoryError:
            return ("memory",)
        except RecursionError as error:
            return ("error", "RecursionError", str(error), _error_line(error), None)
        except Exception as error:  # noqa: BLE001 - whatever the diagram raised goes back to the app as its fault
            return ("error", type(error).__name__, str(error.args[0]) if error.args else "", _error_line(error),
                    getattr(error, "name", None) if isinstance(error, NameError) else None)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)


class _nothing:  # noqa: N801
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_args: object) -> None:
        return None


def _warm() -> None:
    """Load the bank holidays of the years deadlines fall in now (the library imports its country data on
    first use, a fifth of a second no evaluation should be charged for)."""
    this_year = clock.now().year
    for year in range(this_year - 1, this_year + 3):
        HubCalendar().is_working_day(date(year, 1, 2))


def main() -> None:
    _warm()
    signal.signal(signal.SIGPROF, _on_alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the app's terminal is the app's to handle
    _limit(int(sys.argv[1]))
    evaluator = Evaluator()
    _write(("ready", os.getpid()))
    while True:
        header = _read_exactly(_HEADER)
        if header is None:
            return  # the app went away
        body = _read_exactly(int.from_bytes(header, "big"))
        if body is None:
            return
        began = time.process_time()
        reply = evaluator.serve(pickle.loads(body))  # noqa: S301 - from the app that started this process
        used = time.process_time() - began
        try:
            _write((reply, used))
        except MemoryError:
            _write((("memory",), used))
        except OutOfTime:
            _write((("time",), used))
        except Exception as error:  # noqa: BLE001 - a value pickle cannot carry: a function, a class
            _write((("error", "TypeError", f"the diagram made a value the case cannot keep ({type(error).__name__})",
                     None, None), used))
        if reply[0] == "memory":
            return  # start afresh rather than carry on in a process that ran out of memory


if __name__ == "__main__":
    main()
