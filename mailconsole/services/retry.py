"""Retries that cannot duplicate mail, and the lookup that resolves a lost answer.

CONTRACT.md allows retrying a send only where it cannot duplicate mail. ``Unavailable`` and
``RateLimited`` are refused before anything is accepted, so they are retried with exponential
backoff and full jitter, honouring ``retry_after``. ``UnknownOutcome`` (the request may have been
accepted) is resolved per provider by :func:`resolution_for` and :func:`look_up`:

- EmailMassivo: send again with the same ``idempotencyKey`` (the provider answers 200 with the
  first uuid) while the provider's one-hour duplicate window surely holds;
- MailingAPI and eMsgNow: look the message up by the console's reference (``metadata`` /
  ``clientId``); found means accepted with that id, absent means it may be sent again;
- SMS.BY: no idempotency, no lookup: the outcome stays unknown and the user decides.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from mailconsole.core.capabilities import capabilities_for
from mailconsole.core.errors import ProviderError, RateLimited, Unavailable
from mailconsole.core.message import Message, ProviderMessage
from mailconsole.providers.base import ProviderClient

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]

#: How long after a send EmailMassivo surely still recognises its idempotency key (the window
#: is one hour; the margin covers clock differences and a slow first attempt).
IDEMPOTENCY_WINDOW = timedelta(minutes=50)


def is_retryable(error: BaseException) -> bool:
    """True for errors that were refused before anything was accepted (safe to repeat)."""
    return isinstance(error, Unavailable | RateLimited)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter.

    Attempt *n* (from 1) waits a random time up to ``min(maximum, initial * 2**(n-1))``; a
    ``RateLimited`` error waits at least its ``retry_after`` (capped at ``max_retry_after``).
    """

    attempts: int = 6
    initial: float = 0.5
    maximum: float = 30.0
    max_retry_after: float = 120.0
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.maximum, self.initial * 2.0 ** max(attempt - 1, 0))
        wait = ceiling * self.rng()
        if isinstance(error, RateLimited) and error.retry_after is not None:
            wait = max(wait, min(error.retry_after, self.max_retry_after))
        return wait


class RetriesExhausted(ProviderError):
    """Every attempt failed with a retryable error; ``last`` is the final one."""

    def __init__(self, last: ProviderError, attempts: int) -> None:
        super().__init__(
            f"Gave up after {attempts} attempts: {last.message}",
            provider=last.provider,
            code=last.code,
            status=last.status,
            field=last.field,
            raw=last.raw,
        )
        self.last = last
        self.attempts = attempts


async def with_retries(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    on_retry: Callable[[int, ProviderError, float], None] | None = None,
) -> T:
    """Run ``operation``, retrying ``Unavailable``/``RateLimited`` under ``policy``.

    Other errors propagate at once; after the last attempt :class:`RetriesExhausted` is raised.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await operation()
        except (Unavailable, RateLimited) as error:
            if attempt >= policy.attempts:
                raise RetriesExhausted(error, attempt) from error
            wait = policy.delay(attempt, error)
            if on_retry is not None:
                on_retry(attempt, error, wait)
            await sleep(wait)


class Resolution(StrEnum):
    """How an unknown outcome of a provider is resolved."""

    RESEND_SAME_KEY = "resend_same_key"  #: EmailMassivo: the idempotency key makes it safe
    LOOK_UP = "look_up"  #: MailingAPI, eMsgNow: find it by the console's reference
    ASK_USER = "ask_user"  #: SMS.BY: nothing can tell; never re-sent automatically


def resolution_for(provider: str) -> Resolution:
    """How an unknown outcome of ``provider`` is resolved (from its capabilities)."""
    caps = capabilities_for(provider)
    if caps.idempotency:
        return Resolution.RESEND_SAME_KEY
    if caps.client_reference and caps.message_lookup:
        return Resolution.LOOK_UP
    return Resolution.ASK_USER


class LookupVerdict(StrEnum):
    """What a lookup by reference found."""

    FOUND = "found"  #: every recipient's message exists: accepted
    ABSENT = "absent"  #: none exists: safe to send again
    PARTIAL = "partial"  #: some exist: sending again would duplicate those; the user decides


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The verdict and the provider's messages found, one per recipient looked up."""

    verdict: LookupVerdict
    found: Sequence[tuple[str, ProviderMessage]] = ()


def lookup_recipients(provider: str, message: Message) -> list[str]:
    """The recipients whose messages a lookup must find (MailingAPI: one message for all)."""
    if provider == "mailingapi":
        return [message.to[0].email] if message.to else []
    return [a.email for a in message.to]


async def look_up(
    client: ProviderClient,
    message: Message,
    since: datetime,
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
) -> LookupResult:
    """Look ``message`` up by its client reference, for every recipient that needs it.

    Lookups are retried under ``policy``; a lookup that keeps failing raises.
    """
    found: list[tuple[str, ProviderMessage]] = []
    recipients = lookup_recipients(client.provider_id, message)
    for recipient in recipients:

        async def one(recipient: str = recipient) -> ProviderMessage | None:
            return await client.find_by_client_reference(
                message.client_reference, recipient=recipient, since=since
            )

        hit = await with_retries(one, policy, sleep=sleep)
        if hit is not None:
            found.append((recipient, hit))
    if not found:
        return LookupResult(LookupVerdict.ABSENT)
    if len(found) == len(recipients):
        return LookupResult(LookupVerdict.FOUND, found)
    return LookupResult(LookupVerdict.PARTIAL, found)
