"""Async clients of the four providers, behind one provider-neutral interface.

    from mailconsole.providers import create

    async with create("mailingapi", api_key="ob_live_...") as client:
        result = await client.send(message)

Each client speaks its provider's wire format exactly (CONTRACT.md) and reports every failure
as one of the normalized errors of :mod:`mailconsole.core.errors`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from mailconsole.core.capabilities import PROVIDER_IDS, capabilities_for
from mailconsole.providers.base import ProviderClient

_MODULES = {
    "emailmassivo": ("mailconsole.providers.emailmassivo", "EmailMassivoClient"),
    "smsby": ("mailconsole.providers.smsby", "SmsByClient"),
    "mailingapi": ("mailconsole.providers.mailingapi", "MailingApiClient"),
    "emsgnow": ("mailconsole.providers.emsgnow", "EMsgNowClient"),
}


def client_class(provider_id: str) -> type[ProviderClient]:
    """The client class of ``provider_id`` (KeyError naming the known ids otherwise)."""
    capabilities_for(provider_id)
    module_name, class_name = _MODULES[provider_id]
    cls: type[ProviderClient] = getattr(import_module(module_name), class_name)
    return cls


def create(
    provider_id: str, *, api_key: str, base_url: str | None = None, **settings: Any
) -> ProviderClient:
    """A new client for one account of ``provider_id``; use it as ``async with``.

    ``settings`` are provider-specific (``time_zone`` for SMS.BY) or shared (``timeout``,
    ``transport``, ``pacer``).
    """
    return client_class(provider_id)(api_key=api_key, base_url=base_url, **settings)


__all__ = ["PROVIDER_IDS", "ProviderClient", "client_class", "create"]
