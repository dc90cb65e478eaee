"""One injectable clock: production reads the system time, tests and training move it."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """UTC clock with an optional fixed offset or frozen instant (for tests and the training sandbox)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime) -> None:
        with self._lock:
            self._frozen = _aware(at)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times must carry a timezone")
    return value.astimezone(UTC)


clock = Clock()


def now() -> datetime:
    return clock.now()
