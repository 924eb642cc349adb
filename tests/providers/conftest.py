"""Fixtures for the provider-client tests: a real sandbox on loopback and a wire recorder.

``wire`` records every request a real client sends over the real network to the sandbox (it is
an ordinary httpx transport that keeps a copy of each request before sending it), so tests can
check the exact wire form without mocking anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mailconsole.sandbox import SANDBOX_KEYS, Sandbox


class RecordingTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that keeps every request (with its body) it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await super().handle_async_request(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A fresh sandbox on an ephemeral loopback port; lifecycles run 100 times faster."""
    async with Sandbox(host="127.0.0.1", port=0, time_scale=100.0) as box:
        yield box


@pytest.fixture
def wire() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def keys() -> dict[str, str]:
    return dict(SANDBOX_KEYS)
