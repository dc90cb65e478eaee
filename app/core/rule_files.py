"""The hub's rule files, kept next to the diagrams: where they are, and reading one again only when it changes.

A process owner edits these files while the service runs. A reader (a contact's flags, a report) must not stop
safeguarding work because one was mistyped, so it keeps the last good version and the error is logged; a loader
that checks (start-up, deploy, a form's own list) asks for no such fallback and is refused with the lines at fault.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from app.core.config import PROJECT_ROOT

T = TypeVar("T")
logger = logging.getLogger(__name__)


def processes_folder() -> Path:
    """Where the hub's diagrams and rule files are (``MASH_PROCESSES_DIR``, else the shipped ``processes/``)."""
    return Path(os.environ.get("MASH_PROCESSES_DIR") or PROJECT_ROOT / "processes")


def display_name(path: Path) -> str:
    """How a message names the file: its folder and name, never the whole server path."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


class RuleFile(Generic[T]):
    """One kind of rule file: ``parse(text, display_name)`` reads it or raises ``refused``; an unreadable file
    becomes ``unreadable(display_name, error)``. ``what`` names the rules in the log ("the repeat-concern rules")."""

    def __init__(self, parse: Callable[[str, str], T], refused: type[Exception],
                 unreadable: Callable[[str, OSError], Exception], what: str) -> None:
        self._parse, self._refused, self._unreadable, self._what = parse, refused, unreadable, what
        self._cache: dict[Path, tuple[tuple[int, int], T]] = {}
        self._lock = threading.Lock()

    def load(self, path: Path, *, keep_last_good: bool) -> T:
        """The file's rules, parsed again only when its modification time or size changed."""
        path = Path(path)
        with self._lock:
            cached = self._cache.get(path)
        display = display_name(path)
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if cached and cached[0] == stamp:
                return cached[1]
            parsed = self._parse(path.read_text(encoding="utf-8"), display)
        except OSError as error:
            problem: Exception = self._unreadable(display, error)
            return self._fallback(problem, cached, keep_last_good)
        except self._refused as error:
            return self._fallback(error, cached, keep_last_good)
        with self._lock:
            self._cache[path] = (stamp, parsed)
        return parsed

    def _fallback(self, problem: Exception, cached: tuple[tuple[int, int], T] | None, keep_last_good: bool) -> T:
        if cached is None or not keep_last_good:
            raise problem from None
        logger.error("%s; the last good %s stay in use", problem, self._what)
        return cached[1]
