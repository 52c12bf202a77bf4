"""Time, injected everywhere it matters, so tests and the sandbox can move it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that says what time it is (always timezone-aware UTC)."""

    def now(self) -> datetime:
        """Return the current time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the wall-clock time in UTC."""
        return datetime.now(UTC)


class OffsetClock:
    """The real clock plus an offset that the sandbox can advance."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return wall-clock time plus the accumulated offset."""
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move time forward by ``seconds`` and return the new now."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()


class FrozenClock:
    """A clock that only moves when told to (unit tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 8, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move time forward by ``seconds`` and return the new now."""
        self._now += timedelta(seconds=seconds)
        return self._now


def as_utc(value: datetime) -> datetime:
    """Give naive datetimes (as SQLite returns them) the UTC zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
