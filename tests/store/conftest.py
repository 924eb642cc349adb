"""Fixtures for the journal tests: a real SQLite journal in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailconsole.store.journal import AccountRecord, Journal


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """An open journal with two accounts, ``acme`` (MailingAPI) and ``minsk`` (SMS.BY)."""
    with Journal.open(tmp_path / "journal.sqlite3") as j:
        j.add_account(AccountRecord(id="acme", name="Acme", provider="mailingapi"))
        j.add_account(AccountRecord(id="minsk", name="Minsk", provider="smsby"))
        yield j
