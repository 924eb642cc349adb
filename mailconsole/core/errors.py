"""Normalized provider errors (CONTRACT.md, "Common rules").

Every failure a provider client reports is one of these; each carries the provider's own code
and message so the user sees the provider's words, and ``retryable`` says whether trying again
cannot duplicate mail by itself (the caller still decides).
"""

from __future__ import annotations

from typing import Any


class ProviderError(Exception):
    """Base of every normalized error.

    ``provider`` is the provider id, ``code`` the provider's own error code or HTTP status,
    ``message`` its text, ``status`` the HTTP status (None when no answer came), ``field`` the
    request field the error concerns when known, ``raw`` the decoded error body.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        raw: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.code = code
        self.status = status
        self.field = field
        self.raw = raw

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        who = f"{self.provider}: " if self.provider else ""
        return f"{who}{self.message}{where}"


class AuthError(ProviderError):
    """The API key is missing, wrong or inactive."""


class PaymentRequired(ProviderError):
    """The account has no balance left."""


class ValidationError(ProviderError):
    """The request was refused as invalid; ``field`` names the field when known."""


class RecipientRejected(ProviderError):
    """The recipient is suppressed, complained, does not exist or is unavailable."""

    def __init__(self, message: str, *, reason: str = "rejected", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        #: one of: unsubscribed, complained, nonexistent, unavailable, rejected
        self.reason = reason


class NotFound(ProviderError):
    """The message, template, list or event does not exist."""


class RateLimited(ProviderError):
    """Too many requests; ``retry_after`` is the wait in seconds the provider asked for."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    """The provider is down or unreachable (5xx, connect errors); retrying is safe."""

    retryable = True


class UnknownOutcome(ProviderError):
    """The request may have reached the provider, but no answer came back.

    Retrying could send the mail twice unless the provider offers idempotency or a lookup.
    """


class UnsupportedFeature(ProviderError):
    """The provider does not offer what was asked (scheduling, cc, events, ...)."""


__all__ = [
    "AuthError",
    "NotFound",
    "PaymentRequired",
    "ProviderError",
    "RateLimited",
    "RecipientRejected",
    "Unavailable",
    "UnknownOutcome",
    "UnsupportedFeature",
    "ValidationError",
]
