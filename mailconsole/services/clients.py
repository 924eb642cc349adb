"""The client registry: one provider client, and so one pacer, per account.

Every send, lookup and poll of an account goes through the same client, so the account's request
budget (the client's ``pacer``) is shared by all of them, as the providers count it. Clients are
created on first use and closed in the order they were created during the orderly shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mailconsole.providers import create
from mailconsole.providers.base import ProviderClient
from mailconsole.providers.pacing import Pacer
from mailconsole.services.accounts import MissingApiKey, sandbox_key
from mailconsole.store.journal import AccountRecord, Journal

log = logging.getLogger(__name__)

#: Where an account's API key comes from (the facade passes ``AccountService.api_key``).
KeySource = Callable[[AccountRecord], Awaitable[str]]

#: How a client is built (tests and the facade may pass their own).
ClientFactory = Callable[..., ProviderClient]


async def sandbox_keys_only(account: AccountRecord) -> str:
    """The default key source: the sandbox's public key; real accounts need a keyring."""
    if account.is_sandbox:
        return sandbox_key(account.provider)
    raise MissingApiKey(f"No API key source was given for account {account.name!r}")


class ClientRegistry:
    """One long-lived provider client per account, created on first use, closed in order.

    ``settings`` (``timeout``, ``transport``) are passed to every client; SMS.BY accounts also get
    their ``time_zone`` from the account settings.
    """

    def __init__(
        self,
        journal: Journal,
        *,
        key_source: KeySource = sandbox_keys_only,
        factory: ClientFactory = create,
        **settings: Any,
    ) -> None:
        self.journal = journal
        self.key_source = key_source
        self.factory = factory
        self.settings = settings
        self._clients: dict[str, ProviderClient] = {}
        self._providers: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._closed = False

    async def client(self, account_id: str) -> ProviderClient:
        """The account's client, created on first use (``UnknownRecord`` for no account)."""
        existing = self._clients.get(account_id)
        if existing is not None:
            return existing
        async with self._lock:
            existing = self._clients.get(account_id)
            if existing is not None:
                return existing
            if self._closed:
                raise RuntimeError("the client registry is closed")
            account = await asyncio.to_thread(self.journal.get_account, account_id)
            api_key = await self.key_source(account)
            extra: dict[str, Any] = dict(self.settings)
            if account.provider == "smsby":
                extra["time_zone"] = str(account.settings.get("time_zone", "Europe/Minsk"))
            client = self.factory(
                account.provider, api_key=api_key, base_url=account.base_url or None, **extra
            )
            self._clients[account_id] = client
            self._providers[account_id] = account.provider
            log.info("opened a %s client for account %s", account.provider, account_id)
            return client

    async def provider(self, account_id: str) -> str:
        """The provider id of an account (read from the journal once)."""
        known = self._providers.get(account_id)
        if known is not None:
            return known
        account = await asyncio.to_thread(self.journal.get_account, account_id)
        self._providers[account_id] = account.provider
        return account.provider

    def pacer(self, account_id: str) -> Pacer | None:
        """The account's shared pacer, once its client exists."""
        client = self._clients.get(account_id)
        return None if client is None else client.pacer

    def open_accounts(self) -> list[str]:
        """The accounts whose client is open, in the order they were opened."""
        return list(self._clients)

    async def forget(self, account_id: str) -> None:
        """Close and drop one account's client (its settings or key changed, or it was removed)."""
        async with self._lock:
            client = self._clients.pop(account_id, None)
            self._providers.pop(account_id, None)
        if client is not None:
            await client.aclose()

    async def aclose(self) -> None:
        """Close every client, in the order they were created; later uses raise."""
        async with self._lock:
            self._closed = True
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            try:
                await client.aclose()
            except Exception:  # pragma: no cover - closing must go on for the others
                log.exception("closing a %s client failed", client.provider_id)
