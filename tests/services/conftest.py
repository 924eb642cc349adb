"""Fixtures for the service tests: a real journal, and the real OS keyring over D-Bus.

The keyring tests need a Secret Service (gnome-keyring in a ``dbus-run-session``, see the
README). Without one they skip and say why; with ``CI`` set they fail instead, so CI cannot
pass by silently skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mailconsole.services.secrets import SecretStore, SecretStoreUnavailable
from mailconsole.store.journal import Journal


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """An open journal in a temporary directory."""
    with Journal.open(tmp_path / "journal.sqlite3") as j:
        yield j


@pytest.fixture
async def secret_store() -> AsyncIterator[SecretStore]:
    """A SecretStore over the real OS keyring, under a service name of its own."""
    store = SecretStore(service=f"mailconsole-test-{uuid.uuid4().hex[:12]}")
    try:
        await store.check()
    except SecretStoreUnavailable as exc:
        reason = (
            f"No Secret Service is reachable ({exc}). Run the tests inside "
            "`dbus-run-session` with gnome-keyring unlocked (see README.md)."
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the keyring tests may not skip: {reason}")
        pytest.skip(reason)
    yield store
