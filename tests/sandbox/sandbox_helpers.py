"""Helpers shared by the sandbox tests: keys, headers, polling and JSON shape matching."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from mailconsole.sandbox import SANDBOX_KEYS

T = TypeVar("T")

EM_HEADERS = {"X-Api-Key": SANDBOX_KEYS["emailmassivo"]}
MA_HEADERS = {"Authorization": f"Bearer {SANDBOX_KEYS['mailingapi']}"}
EN_HEADERS = {"x-api-key": SANDBOX_KEYS["emsgnow"]}
SMS_TOKEN = SANDBOX_KEYS["smsby"]

EM_SEND = "/emailmassivo/api/v1/external-mails/send"
EM_TEMPLATE = "/emailmassivo/api/v1/external-mails/send-by-template"
MA = "/mailingapi/v1/messages"
SMS = "/smsby/api/v2"


def em_mail(**mail: Any) -> dict[str, Any]:
    """An EmailMassivo ``mail`` object with sensible defaults."""
    base: dict[str, Any] = {
        "to": {"email": "user@example.com", "name": "User"},
        "from": {"email": "sender@example.com", "name": "Sender"},
        "subject": "Hello",
        "html": "<p>Hello</p>",
    }
    base.update(mail)
    return base


def ma_message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "from": "hello@yourdomain.com",
        "to": "user@example.com",
        "subject": "Hello",
        "html": "<p>Hello</p>",
    }
    base.update(fields)
    return base


def en_message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "to": "recipient@example.com",
        "from": "sender@example.com",
        "subject": "Test Email",
        "message": "Hello, this is a test email message.",
    }
    base.update(fields)
    return base


async def wait_for(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    within: float = 10.0,
    interval: float = 0.01,
) -> T:
    """Call ``probe`` until ``done(result)``; fail with the last result after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {within} s; last: {result!r}")
        await asyncio.sleep(interval)


async def sent_messages(
    http: httpx.AsyncClient, provider: str | None = None
) -> list[dict[str, Any]]:
    params = {"provider": provider} if provider else {}
    answer = await http.get("/_sandbox/messages", params=params)
    assert answer.status_code == 200
    messages: list[dict[str, Any]] = answer.json()
    return messages


class Exact:
    """A shape that must equal the value exactly (a whole list, for instance)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Exact({self.value!r})"


def matches(actual: Any, shape: Any, path: str = "$") -> None:
    """Assert that ``actual`` has ``shape``: dict keys present and matching, every list item
    matching the one-item list shape (and the list non-empty), a type by ``isinstance``, a
    tuple as alternatives, :class:`Exact` and any other value by equality. Extra keys are
    allowed."""
    if isinstance(shape, Exact):
        assert actual == shape.value, f"{path}: expected {shape.value!r}, got {actual!r}"
    elif isinstance(shape, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, sub in shape.items():
            assert key in actual, f"{path}: missing {key!r} in {actual!r}"
            matches(actual[key], sub, f"{path}.{key}")
    elif isinstance(shape, list):
        assert isinstance(actual, list), f"{path}: expected an array, got {actual!r}"
        if shape:
            assert actual, f"{path}: expected a non-empty array"
            for index, item in enumerate(actual):
                matches(item, shape[0], f"{path}[{index}]")
    elif isinstance(shape, type):
        ok = isinstance(actual, shape) and not (shape is int and isinstance(actual, bool))
        assert ok, f"{path}: expected {shape.__name__}, got {actual!r}"
    elif isinstance(shape, tuple):
        assert any(_matches_one(actual, s) for s in shape), f"{path}: {actual!r} not in {shape}"
    else:
        assert actual == shape, f"{path}: expected {shape!r}, got {actual!r}"


def _matches_one(actual: Any, shape: Any) -> bool:
    try:
        matches(actual, shape)
    except AssertionError:
        return False
    return True
