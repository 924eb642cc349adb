"""Fixtures for the sandbox tests: a real sandbox on an ephemeral loopback port and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mailconsole.sandbox import Sandbox

#: Lifecycles run fifty times faster: sent after 20 ms, delivered 40 ms later, and so on.
TIME_SCALE = 50.0


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A fresh in-process sandbox (nothing persisted), started and stopped around the test."""
    async with Sandbox(host="127.0.0.1", port=0, time_scale=TIME_SCALE) as box:
        yield box


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose base URL is the sandbox."""
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=30.0) as client:
        yield client
