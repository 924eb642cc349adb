"""The public entry point ``mailconsole.providers.create``: one client class per provider id."""

from __future__ import annotations

import pytest

from mailconsole.core.capabilities import PROVIDER_IDS
from mailconsole.providers import ProviderClient, create
from mailconsole.providers.emailmassivo import EmailMassivoClient
from mailconsole.providers.emsgnow import EMsgNowClient
from mailconsole.providers.mailingapi import MailingApiClient
from mailconsole.providers.pacing import HeaderPacer, Pacer
from mailconsole.providers.smsby import SmsByClient
from mailconsole.sandbox import Sandbox

EXPECTED: dict[str, type[ProviderClient]] = {
    "emailmassivo": EmailMassivoClient,
    "smsby": SmsByClient,
    "mailingapi": MailingApiClient,
    "emsgnow": EMsgNowClient,
}


def test_every_provider_id_has_a_client() -> None:
    assert set(EXPECTED) == set(PROVIDER_IDS)


@pytest.mark.parametrize("provider_id", sorted(EXPECTED))
async def test_create_gives_the_right_client_usable_as_async_with(
    sandbox: Sandbox, keys: dict[str, str], provider_id: str
) -> None:
    client = create(provider_id, api_key=keys[provider_id], base_url=sandbox.base_url(provider_id))
    async with client as entered:
        assert entered is client
        assert type(client) is EXPECTED[provider_id]
        assert client.provider_id == provider_id
        assert client.capabilities.provider == provider_id
        assert client.base_url == sandbox.base_url(provider_id)
        assert not client.closed
        assert isinstance(await client.check_connection(), str)
    assert client.closed


@pytest.mark.parametrize("provider_id", ["emailmassivo", "smsby", "mailingapi"])
async def test_production_url_is_the_default(provider_id: str) -> None:
    async with create(provider_id, api_key="k") as client:
        assert client.base_url == client.capabilities.production_url


def test_unknown_id_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError) as caught:
        create("sendgrid", api_key="k")
    text = str(caught.value)
    assert "sendgrid" in text
    assert all(provider_id in text for provider_id in PROVIDER_IDS)


@pytest.mark.parametrize("base_url", [None, ""])
def test_emsgnow_without_base_url_is_a_clear_value_error(base_url: str | None) -> None:
    with pytest.raises(ValueError, match="eMsgNow publishes no production URL"):
        create("emsgnow", api_key="k", base_url=base_url)


async def test_settings_reach_the_client() -> None:
    pacer = Pacer()
    async with create(
        "emsgnow", api_key="k", base_url="http://127.0.0.1:9/", pacer=pacer, timeout=3.0
    ) as client:
        assert client.pacer is pacer
        assert client.base_url == "http://127.0.0.1:9"
    async with create("emsgnow", api_key="k", base_url="http://127.0.0.1:9") as client:
        assert isinstance(client.pacer, HeaderPacer)
