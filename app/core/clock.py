"""One injectable clock: production reads the system time, tests and training move it."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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

    @contextmanager
    def set_to(self, at: datetime) -> Iterator[None]:
        """Frozen at ``at`` inside the block (it may be advanced there), then as it was before: frozen where it was,
        or running with its offset. Made-up history (the demo's, the volume's) is walked in the past this way
        without losing a clock a test or a bench has frozen."""
        with self._lock:
            saved = self._frozen, self._offset
        self.freeze(at)
        try:
            yield
        finally:
            with self._lock:
                self._frozen, self._offset = saved


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times must carry a timezone")
    return value.astimezone(UTC)


clock = Clock()


def now() -> datetime:
    return clock.now()
