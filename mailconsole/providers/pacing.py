"""Request pacing: keep each account under its provider's request budget.

One pacer per account is shared by every send and poll of that account. aiolimiter's leaky
bucket is not used for EmailMassivo because it allows a full burst and then a steady leak, which
puts 11 requests inside some one-second windows; the provider counts a *sliding* one-second
window, so :class:`SlidingWindowPacer` counts the requests in flight and the times the last
ones ended instead.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Mapping

#: The longest wait a ``X-RateLimit-Reset`` header can impose (the documented window is a minute).
MAX_RESET_SECONDS = 60.0


class Pacer:
    """No pacing: the base of every pacer, and the pacer of providers with no limit."""

    async def acquire(self) -> None:
        """Wait until one more request may leave."""

    def release(self) -> None:
        """The request that last acquired has ended: answered, failed or cancelled."""

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's headers (only header-driven pacers use this)."""

    @property
    def budget_text(self) -> str:
        """A short description of the budget for the status bar."""
        return "no published rate limit"


class SlidingWindowPacer(Pacer):
    """At most ``limit`` requests in any ``window`` seconds, plus a small safety ``margin``.

    The provider counts a request when it *arrives*, which is some time between leaving and
    its answer coming back; a request therefore holds its place in the window from the moment
    it leaves until ``window`` seconds after it ended (:meth:`release`). Stamping only the
    departure would let a slow first burst (new connections, a TLS handshake) arrive within the
    same provider second as a later request that reuses a warm connection, and draw a 429.
    """

    def __init__(self, limit: int, window: float = 1.0, margin: float = 0.02) -> None:
        self.limit = limit
        self.window = window + margin
        self._in_flight = 0
        self._ended: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _forget_old(self, now: float) -> None:
        while self._ended and self._ended[0] <= now - self.window:
            self._ended.popleft()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._forget_old(now)
                if self._in_flight + len(self._ended) < self.limit:
                    break
                # Either the oldest ended request leaves the window, or (all in flight) one
                # of them ends: poll briefly for that.
                wait = self._ended[0] + self.window - now if self._ended else 0.01
                await asyncio.sleep(max(wait, 0.001))
            self._in_flight += 1

    def release(self) -> None:
        self._in_flight = max(self._in_flight - 1, 0)
        self._ended.append(time.monotonic())

    @property
    def budget_text(self) -> str:
        self._forget_old(time.monotonic())
        used = min(self._in_flight + len(self._ended), self.limit)
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
        if not math.isfinite(reset):
            return
        # The window is a minute: a larger (or garbled) reset must not stall the account.
        reset = min(max(reset, 0.0), MAX_RESET_SECONDS)
        self.limit = max(limit, 1)
        # Requests still in flight have already reserved theirs; never raise the count above
        # what the provider says is left.
        self.remaining = min(self.remaining, remaining) if self._reset_at else remaining
        self._reset_at = time.monotonic() + reset

    @property
    def budget_text(self) -> str:
        return f"{max(self.remaining, 0)}/{self.limit} requests left this minute"
