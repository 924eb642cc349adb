"""Shared helpers for the outbox, bulk, poller and schedule tests: a real sandbox on loopback,
a real journal file with one sandbox account per provider, and a client registry over them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailconsole.core.message import Address, Message
from mailconsole.sandbox import Sandbox
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.retry import RetryPolicy
from mailconsole.store.journal import AccountRecord, Journal

PROVIDERS = ("emailmassivo", "smsby", "mailingapi", "emsgnow")

#: Quick retries for tests: the same bounded algorithm, with millisecond waits.
FAST_POLICY = RetryPolicy(attempts=12, initial=0.005, maximum=0.05)

SENDER = Address("console@example.com", "Console")


def account_id(provider: str) -> str:
    """The id the tests give the sandbox account of ``provider``."""
    return f"sandbox-{provider}"


def add_sandbox_accounts(journal: Journal, urls: dict[str, str]) -> None:
    """One sandbox account per provider (provider id → base URL), as the console makes them."""
    for provider, url in urls.items():
        journal.add_account(
            AccountRecord(
                id=account_id(provider),
                name="Sandbox",
                provider=provider,
                base_url=url,
                default_sender=SENDER.email,
                is_sandbox=True,
            )
        )


#: eMsgNow's budget for tests that send 1,000 messages (the default, 120 a minute in real
#: time, would take over 8 minutes); the client still paces from the headers reporting it.
WIDE_EMSGNOW_RATE = 100_000


def plain_message(to: str, subject: str = "Hello", **fields: Any) -> Message:
    """A simple text message from the verified sandbox sender."""
    return Message(sender=SENDER, to=(Address(to),), subject=subject, text="Hi there.", **fields)


async def set_faults(box: Sandbox, **faults: Any) -> None:
    """``POST /_sandbox/faults`` for one provider (``provider=...``) over real HTTP."""
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{box.url}/_sandbox/faults", json=faults)
        answer.raise_for_status()


async def sandbox_messages(box: Sandbox, provider: str | None = None) -> list[dict[str, Any]]:
    """``GET /_sandbox/messages`` over real HTTP, after the lifecycle's first step has run."""
    await asyncio.sleep(0.05)
    params = {"provider": provider} if provider else {}
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{box.url}/_sandbox/messages", params=params)
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()
        return result


@dataclass
class World:
    """A sandbox, a journal with the four sandbox accounts, and a client registry."""

    box: Sandbox
    journal: Journal
    clients: ClientRegistry


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """A fresh sandbox (time scale 100), journal file and client registry; all closed after."""
    async with Sandbox(
        host="127.0.0.1", port=0, time_scale=100.0, emsgnow_rate_per_minute=WIDE_EMSGNOW_RATE
    ) as box:
        with Journal.open(tmp_path / "journal.sqlite3") as journal:
            add_sandbox_accounts(journal, {p: box.base_url(p) for p in PROVIDERS})
            clients = ClientRegistry(journal)
            try:
                yield World(box, journal, clients)
            finally:
                await clients.aclose()
