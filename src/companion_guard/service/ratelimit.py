"""Per-key rate limits: a token bucket per credential, answered with a clear 429 when empty.

Each key may make ``rate`` requests a second on average, in bursts of up to
``burst``. The provider's key (one key for all of the provider's users) has its own
limit, off by default; every other key (operators, auditors, guardians, users) has
``COMPANION_GUARD_RATE_LIMIT`` a second. Buckets are per process: with N replicas a
key may make N times the rate in all.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from companion_guard.exceptions import CompanionGuardError


class RateLimited(CompanionGuardError):
    """Too many requests with this key (429); ``retry_after`` says when to try again."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class KeyRateLimiter:
    """Token buckets by key id; a rate of 0 means no limit for that kind of key."""

    def __init__(
        self, *, provider_rate: float, other_rate: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = {"provider": provider_rate}
        self.other_rate = other_rate
        self._now = now
        self._buckets: dict[int, tuple[float, float]] = {}  # key id -> (tokens, at)
        self._lock = threading.Lock()

    def check(self, key_id: int, role: str) -> None:
        """Take one token for this key, or raise :class:`RateLimited`."""
        rate = self.rates.get(role, self.other_rate)
        if rate <= 0:
            return
        burst = max(10.0, 2 * rate)
        now = self._now()
        with self._lock:
            tokens, at = self._buckets.get(key_id, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[key_id] = (tokens, now)
                wait = (1 - tokens) / rate
                raise RateLimited(
                    f"rate limit: this key may make {rate:g} requests a second (bursts of {burst:g}); "
                    f"retry in {math.ceil(wait)} s",
                    retry_after=wait,
                )
            self._buckets[key_id] = (tokens - 1, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
