"""SecretStore against the real OS keyring, and its refusals when there is none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend
from keyring.compat.properties import classproperty
from keyring.errors import InitError, KeyringLocked

from mailconsole.services import secrets
from mailconsole.services.secrets import SecretStore, SecretStoreUnavailable


async def test_keys_round_trip_through_the_os_keyring(secret_store: SecretStore) -> None:
    assert await secret_store.backend_name() in secrets.OS_BACKENDS.values()
    account = uuid.uuid4().hex
    assert await secret_store.get(account) is None
    await secret_store.set(account, "live-ключ-1")
    assert await secret_store.get(account) == "live-ключ-1"
    await secret_store.set(account, "live-key-2")
    assert await secret_store.get(account) == "live-key-2"
    await secret_store.delete(account)
    assert await secret_store.get(account) is None
    await secret_store.delete(account)  # deleting what is not there is fine


async def test_a_second_store_reads_the_same_key(secret_store: SecretStore) -> None:
    account = uuid.uuid4().hex
    await secret_store.set(account, "shared-key")
    try:
        assert await SecretStore(service=secret_store.service).get(account) == "shared-key"
    finally:
        await secret_store.delete(account)


def test_default_service_name() -> None:
    assert SecretStore().service == "mailconsole"


async def test_refuses_empty_key(secret_store: SecretStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        await secret_store.set(uuid.uuid4().hex, "  ")


class _FileKeyring(KeyringBackend):
    """Stands in for a plaintext third-party backend (it keeps what it is given)."""

    @classproperty
    def priority(cls) -> float:
        raise RuntimeError("a test double: keyring must never choose it by itself")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


async def test_refuses_a_backend_that_is_not_an_os_keyring() -> None:
    plaintext = _FileKeyring()
    type(plaintext).__module__ = "keyrings.alt.file"
    store = SecretStore(backend=plaintext)
    with pytest.raises(SecretStoreUnavailable, match="not an OS keyring"):
        await store.set("acct", "live-key")
    with pytest.raises(SecretStoreUnavailable):
        await store.backend_name()
    assert plaintext.stored == {}


class _FailingSecretService(_FileKeyring):
    """A Secret Service whose every call fails the way a locked or broken one does."""

    error: Exception = KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error


_FailingSecretService.__module__ = "keyring.backends.SecretService"


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (KeyringLocked("Failed to unlock the collection!"), "is locked. Unlock it"),
        (InitError("Prompt dismissed"), "could not be opened"),
    ],
)
async def test_locked_or_broken_keyring_is_explained(error: Exception, text: str) -> None:
    backend = _FailingSecretService()
    backend.error = error
    with pytest.raises(SecretStoreUnavailable, match=text) as info:
        await SecretStore(backend=backend).get("acct")
    assert "Secret Service" in str(info.value)


NO_KEYRING_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from mailconsole.services.accounts import AccountService, AccountSettings
    from mailconsole.services.secrets import SecretStore, SecretStoreUnavailable
    from mailconsole.store.journal import Journal

    async def main() -> dict:
        out = {}
        store = SecretStore()
        for name, call in (("get", store.get("a")), ("name", store.backend_name())):
            try:
                await call
                out[name] = "no error"
            except SecretStoreUnavailable as exc:
                out[name] = str(exc)
        with Journal.open(sys.argv[1]) as journal:
            service = AccountService(journal, store)
            settings = AccountSettings.for_provider("mailingapi", name="Live")
            try:
                await service.add(settings, "live-secret-key")
                out["add"] = "saved"
            except SecretStoreUnavailable as exc:
                out["add"] = str(exc)
            sandbox = AccountSettings.for_provider(
                "emsgnow", name="S", base_url="http://127.0.0.1:8025/emsgnow", is_sandbox=True
            )
            await service.add(sandbox, None)
            out["accounts"] = [a.name for a in await service.list()]
        return out

    print(json.dumps(asyncio.run(main())))
    """
)


def run_without_keyring(tmp_path: Path) -> dict[str, Any]:
    """Run the no-keyring script with D-Bus pointing nowhere and no backend forced."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON_KEYRING")}
    env.update(
        DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent",
        HOME=str(tmp_path),  # no keyringrc.cfg choosing a backend
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    result = subprocess.run(
        [sys.executable, "-c", NO_KEYRING_SCRIPT, str(tmp_path / "j.sqlite3")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_without_any_keyring_the_error_says_what_to_do(tmp_path: Path) -> None:
    out = run_without_keyring(tmp_path)
    for key in ("get", "name", "add"):
        assert out[key] == secrets.NO_KEYRING
    assert "apt install gnome-keyring" in out["get"]
    assert "keyrings.alt" not in out["get"]  # keyring's own hint must not reach the user
    assert out["accounts"] == ["S"]  # the real account was refused; the sandbox one needs none
