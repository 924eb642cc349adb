"""The sandbox's own endpoints (``/_sandbox/...``) and fault injection.

- ``GET /_sandbox/messages[?provider=]``: every message that reached ``sent``, newest first
  (by ``sent_at``), with the normalized status; extras: ``headers``, ``tags``, ``metadata``,
  ``idempotency_key``, ``client_id``, ``template_id`` where the provider has them.
- ``POST /_sandbox/faults``: ``{"provider", "latency_ms", "error_rate", "status",
  "drop_after_accept", "rate_limit"}``; only ``provider`` clears that provider's faults; an
  unknown field or a bad value is 400. ``GET /_sandbox/faults`` shows what is set.
- ``POST /_sandbox/reset``: forget every message, record and fault, and re-seed.

Faults apply to every endpoint of the provider, in this order: ``rate_limit`` (a sliding
one-second window over all the provider's requests; 429 with ``Retry-After: 1``), then
``latency_ms``, then ``error_rate`` (answered with ``status``, default 503, in the provider's
error shape, before anything is accepted). ``drop_after_accept`` applies only to the endpoints
that accept messages: the message is stored, then the connection is closed without an answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from mailconsole.sandbox.common import PROVIDERS, ApiError, DropConnection, Handler, iso
from mailconsole.sandbox.limits import SlidingWindowLimiter
from mailconsole.sandbox.state import MessageStore

if TYPE_CHECKING:
    from mailconsole.sandbox.common import ProviderApi

#: Message fields passed through to ``/_sandbox/messages`` when the provider has them.
EXTRA_FIELDS: tuple[str, ...] = (
    "headers",
    "tags",
    "metadata",
    "idempotency_key",
    "client_id",
    "template_id",
)

FAULT_FIELDS = frozenset(
    {"provider", "latency_ms", "error_rate", "status", "drop_after_accept", "rate_limit"}
)


@dataclass(slots=True)
class FaultSettings:
    """The faults set for one provider."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    status: int = 503
    drop_after_accept: bool = False
    rate_limit: int | None = None
    limiter: SlidingWindowLimiter | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "status": self.status,
            "drop_after_accept": self.drop_after_accept,
            "rate_limit": self.rate_limit,
        }


class FaultBook:
    """Faults per provider, applied around every request of that provider."""

    def __init__(self, rng: Callable[[], float] | None = None) -> None:
        import random

        self._random = rng or random.random
        self.settings: dict[str, FaultSettings] = {}

    def set(self, provider: str, settings: FaultSettings | None) -> None:
        if settings is None:
            self.settings.pop(provider, None)
        else:
            self.settings[provider] = settings

    def clear(self) -> None:
        self.settings.clear()

    async def run(
        self, api: ProviderApi, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        faults = self.settings.get(api.name)
        if faults is None:
            return await handler(request)
        if faults.limiter is not None and not faults.limiter.allow(api.name):
            raise ApiError(429, None, headers={"Retry-After": "1"})
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.error_rate > 0 and self._random() < faults.error_rate:
            raise ApiError(faults.status, None)
        response = await handler(request)
        if faults.drop_after_accept and response.status < 300 and api.accepts(request):
            raise DropConnection(response)
        return response


def parse_faults(body: Any) -> tuple[str, FaultSettings | None]:
    """Validate a ``/_sandbox/faults`` body; ``ValueError`` says what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    unknown = sorted(set(body) - FAULT_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    provider = body.get("provider")
    if provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}")
    if set(body) == {"provider"}:
        return provider, None
    settings = FaultSettings()
    latency = body.get("latency_ms", 0)
    if (
        isinstance(latency, bool)
        or not isinstance(latency, (int, float))
        or not (0 <= latency <= 120_000)
    ):
        raise ValueError("latency_ms must be a number from 0 to 120000")
    settings.latency_ms = float(latency)
    rate = body.get("error_rate", 0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError("error_rate must be a number from 0 to 1")
    settings.error_rate = float(rate)
    status = body.get("status", 503)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError("status must be an HTTP error status (400-599)")
    settings.status = status
    drop = body.get("drop_after_accept", False)
    if not isinstance(drop, bool):
        raise ValueError("drop_after_accept must be true or false")
    settings.drop_after_accept = drop
    limit = body.get("rate_limit")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("rate_limit must be a positive integer (requests per second)")
        settings.rate_limit = limit
        settings.limiter = SlidingWindowLimiter(limit, 1.0)
    return provider, settings


def sandbox_messages(
    store: MessageStore, now: float, provider: str | None = None
) -> list[dict[str, Any]]:
    """Every message that has reached ``sent`` by ``now``, newest first."""
    rows: list[tuple[float, float, dict[str, Any]]] = []
    providers = [provider] if provider is not None else list(store.by_provider)
    for name in providers:
        for message in store.of(name).values():
            sent_at = message.time_of("sent", now)
            if sent_at is None:
                continue
            item: dict[str, Any] = {
                "provider": message.provider,
                "id": message.id,
                "from": message.sender,
                "to": list(message.to),
                "cc": list(message.cc),
                "bcc": list(message.bcc),
                "subject": message.subject,
                "html": message.html,
                "text": message.text,
                "attachments": [{"name": n, "size": s} for n, s in message.attachments],
                "status": message.code(now),
                "sent_at": iso(sent_at, millis=True),
            }
            if message.extra:
                for key in EXTRA_FIELDS:
                    if key in message.extra:
                        item[key] = message.extra[key]
            rows.append((sent_at, message.accepted_at, item))
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [row[2] for row in rows]


class SandboxControl(Protocol):
    """What the admin endpoints need from the sandbox."""

    faults: FaultBook

    def messages(self, provider: str | None = None) -> list[dict[str, Any]]: ...

    def reset(self) -> None: ...


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def build_admin_app(control: SandboxControl) -> web.Application:
    """The ``/_sandbox`` sub-application."""

    async def list_messages(request: web.Request) -> web.Response:
        provider = request.query.get("provider")
        if provider is not None and provider not in PROVIDERS:
            return _error(400, f"provider must be one of {', '.join(PROVIDERS)}")
        return web.json_response(control.messages(provider))

    async def set_faults(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"null")
            provider, settings = parse_faults(body)
        except RecursionError:
            return _error(400, "the body is nested too deeply")
        except ValueError as exc:
            return _error(400, str(exc))
        control.faults.set(provider, settings)
        return web.json_response(
            {"provider": provider, "faults": None if settings is None else settings.as_json()}
        )

    async def get_faults(request: web.Request) -> web.Response:
        return web.json_response(
            {name: settings.as_json() for name, settings in control.faults.settings.items()}
        )

    async def reset(request: web.Request) -> web.Response:
        control.reset()
        return web.json_response({"status": "ok"})

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            return _error(exc.status, exc.reason)

    app = web.Application(middlewares=[errors])
    app.router.add_get("/messages", list_messages)
    app.router.add_post("/faults", set_faults)
    app.router.add_get("/faults", get_faults)
    app.router.add_post("/reset", reset)
    return app
