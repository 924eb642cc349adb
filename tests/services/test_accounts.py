"""AccountService with the real OS keyring: keys in the keyring only, never in the journal."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from keyring.compat.properties import classproperty

from mailconsole.core.events import Event, EventType
from mailconsole.core.message import Address, Message
from mailconsole.services.accounts import (
    SETTING_FIELDS,
    AccountInvalid,
    AccountService,
    AccountSettings,
    MissingApiKey,
)
from mailconsole.services.secrets import SecretStore
from mailconsole.store.journal import Journal, MessageFilter, MessageRecord, OutboxItem

SANDBOX_URLS = {
    p: f"http://127.0.0.1:8025/{p}" for p in ("emailmassivo", "smsby", "mailingapi", "emsgnow")
}


def test_settings_are_declared_once_with_type_default_and_label() -> None:
    by_name = {f.name: f for f in SETTING_FIELDS}
    assert list(by_name) == [
        "name",
        "provider",
        "base_url",
        "default_sender",
        "time_zone",
        "is_sandbox",
    ]
    assert by_name["time_zone"].default == "Europe/Minsk"
    assert by_name["time_zone"].providers == ("smsby",)
    assert by_name["is_sandbox"].type is bool
    assert all(f.label for f in SETTING_FIELDS)


def test_production_url_prefilled_except_emsgnow() -> None:
    assert AccountSettings.for_provider("mailingapi").base_url == "https://api.mailingapi.com"
    emsgnow = AccountSettings.for_provider("emsgnow", name="E")
    assert emsgnow.base_url == ""
    assert ("base_url", "Enter the base URL of eMsgNow.") in emsgnow.problems()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"provider": "sendgrid"}, "provider"),
        ({"base_url": "ftp://x.example"}, "base_url"),
        ({"base_url": "http://api.mailingapi.com"}, "base_url"),  # the key would travel in clear
        ({"is_sandbox": True}, "base_url"),  # a sandbox account on a real server
        ({"default_sender": "not an address"}, "default_sender"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_problems_name_their_field(changes: dict[str, Any], field: str) -> None:
    settings = replace(AccountSettings.for_provider("mailingapi", name="A"), **changes)
    assert field in [f for f, _ in settings.problems()]


def test_valid_settings_have_no_problems() -> None:
    settings = AccountSettings.for_provider(
        "smsby", name="Minsk", default_sender="Shop <shop@example.by>", time_zone="Europe/Minsk"
    )
    assert settings.problems() == []


async def test_add_update_remove_real_account(journal: Journal, secret_store: SecretStore) -> None:
    service = AccountService(journal, secret_store)
    settings = AccountSettings.for_provider("smsby", name="Minsk", time_zone="Europe/Warsaw")
    account = await service.add(settings, "live-key-1")
    try:
        assert await secret_store.get(account.id) == "live-key-1"
        assert await service.api_key(account) == "live-key-1"
        assert (await service.get(account.id)).settings == settings
        assert account.label == "Minsk — SMS.BY"

        changed = AccountSettings.for_provider("smsby", name="Minsk 2")
        await service.update(account.id, changed)  # no key given: the stored one stays
        assert await service.api_key(account.id) == "live-key-1"
        await service.update(account.id, changed, api_key="live-key-2")
        assert await secret_store.get(account.id) == "live-key-2"
        assert [a.name for a in await service.list()] == ["Minsk 2"]
    finally:
        await service.remove(account.id)
    assert await secret_store.get(account.id) is None
    assert await service.list() == []


async def test_real_account_needs_a_key(journal: Journal, secret_store: SecretStore) -> None:
    service = AccountService(journal, secret_store)
    with pytest.raises(AccountInvalid) as info:
        await service.add(AccountSettings.for_provider("mailingapi", name="A"), " ")
    assert info.value.problems == [("api_key", "Enter the API key.")]
    with pytest.raises(AccountInvalid):
        await service.add(AccountSettings.for_provider("emsgnow", name="E"), "k")
    assert await service.list() == []


async def test_key_removed_outside_the_console(journal: Journal, secret_store: SecretStore) -> None:
    service = AccountService(journal, secret_store)
    account = await service.add(AccountSettings.for_provider("mailingapi", name="A"), "k")
    await secret_store.delete(account.id)
    with pytest.raises(MissingApiKey, match="enter it in Accounts"):
        await service.api_key(account)
    await service.remove(account.id)


class _NoKeyring(KeyringBackend):
    """A backend that fails the test if anything touches it."""

    @classproperty
    def priority(cls) -> float:
        raise RuntimeError("a test double: keyring must never choose it by itself")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("the keyring was used")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("the keyring was used")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("the keyring was used")


_NoKeyring.__module__ = "keyring.backends.SecretService"


async def test_sandbox_accounts_need_no_keyring(journal: Journal) -> None:
    service = AccountService(journal, SecretStore(backend=_NoKeyring()))
    first = await service.sandbox_accounts(SANDBOX_URLS)
    assert [a.id for a in first] == [f"sandbox-{p}" for p in SANDBOX_URLS]
    assert all(a.is_sandbox and a.name == "Sandbox" for a in first)
    moved = {p: u.replace("8025", "9000") for p, u in SANDBOX_URLS.items()}
    again = await service.sandbox_accounts(moved)  # idempotent: updated, not duplicated
    assert len(await service.list()) == 4
    assert again[0].settings.base_url == "http://127.0.0.1:9000/emailmassivo"
    assert await service.api_key("sandbox-mailingapi") == "sandbox-mailingapi"
    assert first[2].label == "Sandbox — MailingAPI"
    await service.remove("sandbox-emsgnow")
    assert len(await service.list()) == 3


def _scan(path: Path, secret: bytes) -> list[str]:
    """The files of the journal (main, -wal, -shm) that contain ``secret``."""
    found = []
    for candidate in path.parent.iterdir():
        if candidate.name.startswith(path.name) and secret in candidate.read_bytes():
            found.append(candidate.name)
    return found


async def test_no_key_in_journal_files_or_logs(
    tmp_path: Path, secret_store: SecretStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = f"live-{uuid.uuid4().hex}"
    path = tmp_path / "journal.sqlite3"
    journal = Journal.open(path)
    service = AccountService(journal, secret_store)
    account = await service.add(
        AccountSettings.for_provider("mailingapi", name="Acme", default_sender="a@example.com"),
        key,
    )
    try:
        used = await service.api_key(account)
        assert used == key
        await service.update(
            account.id, AccountSettings.for_provider("mailingapi", name="Acme 2"), api_key=key
        )
        message = Message(
            sender=Address("a@example.com"), to=(Address("b@example.com"),), subject="s", text="t"
        )
        journal.enqueue([OutboxItem(account.id, message)])
        journal.record_message(
            MessageRecord(
                id="m1", account_id=account.id, provider="mailingapi", recipient="b@example.com"
            ),
            [Event(type=EventType.QUEUED, timestamp=message.send_at or journal.clock())],
        )
        journal.save_draft(account.id, {"to": "b@example.com"})
        journal.page_messages(MessageFilter(text="example"))
        assert (tmp_path / "journal.sqlite3-wal").exists()
        assert _scan(path, key.encode()) == []
        assert _scan(path, key.encode("utf-16-le")) == []
    finally:
        await service.remove(account.id)
        journal.close()
    assert _scan(path, key.encode()) == []
    assert key not in caplog.text
    assert caplog.records  # the session did log something
