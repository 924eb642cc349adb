"""API keys in the OS keyring, and nowhere else.

:class:`SecretStore` keeps one key per account (service ``mailconsole``, user name = the account
id) through the ``keyring`` library, running every keyring call in a worker thread so the event
loop never waits on D-Bus. Only the operating system's own keyrings are accepted (Secret
Service, KWallet, macOS Keychain, Windows Credential Manager); keyring's ``fail`` backend and
any third-party backend (which could be a plaintext file) raise
:class:`SecretStoreUnavailable` with what to install or unlock. There is no fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.core
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The keyring service name every API key is stored under.
SERVICE = "mailconsole"

#: Backends that are the operating system's own keyring, by module, with a name for the user.
OS_BACKENDS: dict[str, str] = {
    "keyring.backends.SecretService": "Secret Service",
    "keyring.backends.libsecret": "Secret Service (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Manager",
}

NO_KEYRING = (
    "No OS keyring is available. Install and unlock gnome-keyring (Debian: apt install "
    "gnome-keyring) or KWallet, then try again."
)


class SecretStoreUnavailable(RuntimeError):
    """No usable OS keyring: a real account's key cannot be stored or read.

    The message says what to install or unlock; it never contains a key.
    """


def _backend_module(backend: KeyringBackend) -> str:
    return type(backend).__module__


def _checked(backend: KeyringBackend) -> KeyringBackend:
    """``backend`` if it is an OS keyring (or a chain holding one), else the reason why not."""
    if isinstance(backend, ChainerBackend):
        usable: list[KeyringBackend] = [
            b for b in backend.backends if _backend_module(b) in OS_BACKENDS
        ]
        if not usable:
            raise SecretStoreUnavailable(NO_KEYRING)
        return usable[0]  # the chain is sorted by priority
    module = _backend_module(backend)
    if module in OS_BACKENDS:
        return backend
    if module in ("keyring.backends.fail", "keyring.backends.null"):
        raise SecretStoreUnavailable(NO_KEYRING)
    raise SecretStoreUnavailable(
        f"The keyring backend {type(backend).__name__} ({module}) is not an OS keyring, and "
        "Mail Console keeps API keys only in the OS keyring, never in a file. Remove the "
        "PYTHON_KEYRING_BACKEND setting (or the keyringrc.cfg entry) that selects it, or "
        "uninstall that package; then install and unlock gnome-keyring (Debian: apt install "
        "gnome-keyring) or KWallet."
    )


def _unavailable(error: Exception, backend_name: str) -> SecretStoreUnavailable:
    """The user-facing error for a keyring failure (the key is never part of it)."""
    if isinstance(error, NoKeyringError):
        return SecretStoreUnavailable(NO_KEYRING)
    if isinstance(error, KeyringLocked):
        return SecretStoreUnavailable(
            f"The OS keyring ({backend_name}) is locked. Unlock it (log in to the desktop "
            "session, or open Passwords and Keys / KWallet Manager), then try again."
        )
    if isinstance(error, InitError):
        return SecretStoreUnavailable(
            f"The OS keyring ({backend_name}) could not be opened ({error}). Make sure "
            "gnome-keyring or KWallet is running and unlocked, then try again."
        )
    return SecretStoreUnavailable(
        f"The OS keyring ({backend_name}) failed: {type(error).__name__}: {error}"
    )


class SecretStore:
    """API keys in the OS keyring; every method is a coroutine that runs off the event loop.

    ``backend`` pins a keyring backend (tests); by default keyring's own choice is used, and is
    re-detected after a failure so that unlocking or starting the keyring needs no restart.
    """

    def __init__(self, backend: KeyringBackend | None = None, service: str = SERVICE) -> None:
        self.service = service
        self._pinned = backend
        self._backend: KeyringBackend | None = None
        self._lock = threading.Lock()

    def _resolve(self) -> KeyringBackend:
        """The backend to use (blocking: keyring probes D-Bus on first use)."""
        with self._lock:
            if self._backend is None:
                candidate: KeyringBackend = (
                    self._pinned if self._pinned is not None else keyring.get_keyring()
                )
                try:
                    self._backend = _checked(candidate)
                except SecretStoreUnavailable:
                    if self._pinned is None:
                        keyring.core.init_backend()  # look again next time
                    raise
                log.info("API keys are kept in %s", self._name(self._backend))
            return self._backend

    @staticmethod
    def _name(backend: KeyringBackend) -> str:
        return OS_BACKENDS.get(_backend_module(backend), str(backend.name))

    def _call(self, action: Callable[[KeyringBackend], T]) -> T:
        backend = self._resolve()
        try:
            return action(backend)
        except (KeyringError, OSError) as exc:
            with self._lock:
                self._backend = None
            raise _unavailable(exc, self._name(backend)) from None

    def _backend_name(self) -> str:
        return self._name(self._resolve())

    async def backend_name(self) -> str:
        """The keyring in use, for the user ("Secret Service"); raises if there is none."""
        return await asyncio.to_thread(self._backend_name)

    async def check(self) -> None:
        """Raise :class:`SecretStoreUnavailable` unless a key could be stored now."""
        await asyncio.to_thread(self._call, lambda b: b.get_password(self.service, "__check__"))

    async def get(self, account_id: str) -> str | None:
        """The account's API key, or None if none is stored."""
        return await asyncio.to_thread(
            self._call, lambda b: b.get_password(self.service, account_id)
        )

    async def set(self, account_id: str, api_key: str) -> None:
        """Store (or replace) the account's API key."""
        if not api_key.strip():
            raise ValueError("the API key is empty")
        await asyncio.to_thread(
            self._call, lambda b: b.set_password(self.service, account_id, api_key)
        )

    async def delete(self, account_id: str) -> None:
        """Forget the account's API key; nothing happens if none is stored."""

        def delete(backend: KeyringBackend) -> None:
            with contextlib.suppress(PasswordDeleteError):  # no such key
                backend.delete_password(self.service, account_id)

        await asyncio.to_thread(self._call, delete)
