"""Rate limiters in real (never scaled) time: a sliding window and a fixed window per key."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class SlidingWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds per key; refused ones do not count."""

    def __init__(
        self, limit: int, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count a request for ``key`` and say whether it is allowed."""
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        cutoff = now - self.window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:
            self._forget_idle(cutoff)
        return True

    def _forget_idle(self, cutoff: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= cutoff]:
            del self._hits[key]

    def reset(self) -> None:
        self._hits.clear()


@dataclass(frozen=True, slots=True)
class WindowState:
    """What the ``X-RateLimit-*`` headers report: limit, remaining, seconds until reset."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class FixedWindowLimiter:
    """``limit`` requests per ``window`` seconds per key; a window starts at its first request."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> WindowState:
        """Count a request for ``key``; refused requests do not use up anything."""
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        allowed = count < self.limit
        if allowed:
            count += 1
        self._windows[key] = (start, count)
        return self._state(allowed, start, count, now)

    def peek(self, key: str) -> WindowState:
        """The window of ``key`` without counting a request."""
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        return self._state(True, start, count, now)

    def _state(self, allowed: bool, start: float, count: int, now: float) -> WindowState:
        reset = max(0, math.ceil(start + self.window - now))
        return WindowState(allowed, self.limit, max(0, self.limit - count), reset)

    def reset(self) -> None:
        self._windows.clear()
