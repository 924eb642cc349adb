"""Request pacing: keep each account under its provider's request budget.

One pacer per account is shared by every send and poll of that account. aiolimiter's leaky
bucket is not used for EmailMassivo because it allows a full burst and then a steady leak, which
puts 11 requests inside some one-second windows; the provider counts a *sliding* one-second
window, so :class:`SlidingWindowPacer` keeps the times of the last requests instead.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping


class Pacer:
    """No pacing: the base of every pacer, and the pacer of providers with no limit."""

    async def acquire(self) -> None:
        """Wait until one more request may leave."""

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's headers (only header-driven pacers use this)."""

    @property
    def budget_text(self) -> str:
        """A short description of the budget for the status bar."""
        return "no published rate limit"


class SlidingWindowPacer(Pacer):
    """At most ``limit`` requests in any ``window`` seconds, plus a small safety ``margin``."""

    def __init__(self, limit: int, window: float = 1.0, margin: float = 0.02) -> None:
        self.limit = limit
        self.window = window + margin
        self._sent: deque[float] = deque(maxlen=limit)
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            if len(self._sent) == self.limit:
                wait = self._sent[0] + self.window - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            self._sent.append(time.monotonic())

    @property
    def budget_text(self) -> str:
        now = time.monotonic()
        used = sum(1 for t in self._sent if now - t < self.window)
        return f"{self.limit - used}/{self.limit} requests left this second"


class HeaderPacer(Pacer):
    """Paces from ``X-RateLimit-Limit/Remaining/Reset`` headers (eMsgNow).

    Before the first answer it allows ``initial_limit`` per minute. Each request reserves one of
    the remaining requests; when none are left it waits until the window resets.
    """

    def __init__(self, initial_limit: int = 120) -> None:
        self.limit = initial_limit
        self.remaining = initial_limit
        self._reset_at: float | None = None
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._reset_at is not None and now >= self._reset_at:
                self.remaining = self.limit
                self._reset_at = None
            if self.remaining <= 0:
                wait = (self._reset_at or now + 1.0) - now
                await asyncio.sleep(max(wait, 0.0))
                self.remaining = self.limit
                self._reset_at = None
            self.remaining -= 1

    def observe(self, headers: Mapping[str, str]) -> None:
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
            reset = float(headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return
        self.limit = max(limit, 1)
        # Requests still in flight have already reserved theirs; never raise the count above
        # what the provider says is left.
        self.remaining = min(self.remaining, remaining) if self._reset_at else remaining
        self._reset_at = time.monotonic() + max(reset, 0.0)

    @property
    def budget_text(self) -> str:
        return f"{max(self.remaining, 0)}/{self.limit} requests left this minute"
