"""The one object the window calls: accounts, compose, send, bulk, schedules, timeline and
suppressions, over the journal, the outbox and the provider clients.

It reports changes as plain callbacks (:meth:`ConsoleFacade.add_listener` receives
:class:`~mailconsole.services.facade_types.ConsoleNotice` objects); the window adapts them to Qt
signals. Methods that touch the network, the keyring or SQLite are coroutines and never block
the event loop.

INTERFACE FIRST: the method signatures below are the contract between the window (issue #5)
and the services (issue #4); bodies are filled in as the services land.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.events import Event
from mailconsole.core.message import Message, Suppression, Template
from mailconsole.core.validation import FieldError
from mailconsole.services.facade_types import (
    AccountDraft,
    AccountView,
    Analysis,
    BulkProgress,
    ColumnMapping,
    ConsoleNotice,
    CsvTable,
    MessageRow,
    ProviderStatus,
    ScheduledRow,
    SendReceipt,
)

Listener = Callable[[ConsoleNotice], None]
ProgressCallback = Callable[[BulkProgress], None]


class ConsoleFacade:
    """What the window calls (issue #4, item 9)."""

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls, *, data_dir: Path | None = None, sandbox_urls: dict[str, str] | None = None
    ) -> ConsoleFacade:
        """Open the journal, the accounts and (with ``sandbox_urls``) the sandbox accounts,
        and resume the outbox's unfinished entries."""
        raise NotImplementedError

    async def close(self) -> None:
        """Stop the poller and the outbox, close every client, then the journal."""
        raise NotImplementedError

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change; returns a function that removes it."""
        raise NotImplementedError

    # -- accounts --------------------------------------------------------------------------

    def accounts(self) -> list[AccountView]:
        raise NotImplementedError

    def capabilities(self, account_id: str) -> Capabilities:
        raise NotImplementedError

    def keyring_backend(self) -> str:
        """The OS keyring in use, for the status bar ("Secret Service"), or why none works."""
        raise NotImplementedError

    async def add_account(self, draft: AccountDraft) -> AccountView:
        """Store the key in the OS keyring, then the settings; SecretStoreUnavailable when no
        keyring works (a real account is then not saved)."""
        raise NotImplementedError

    async def update_account(self, account_id: str, draft: AccountDraft) -> AccountView:
        raise NotImplementedError

    async def remove_account(self, account_id: str) -> None:
        raise NotImplementedError

    async def test_connection(self, draft: AccountDraft, account_id: str | None = None) -> str:
        """An authenticated call that sends nothing; returns what was checked."""
        raise NotImplementedError

    def provider_status(self, account_id: str) -> ProviderStatus:
        raise NotImplementedError

    # -- compose ---------------------------------------------------------------------------

    def validate(self, account_id: str, message: Message) -> list[FieldError]:
        """Every problem, each naming its field, including suppressed recipients."""
        raise NotImplementedError

    def show_request(self, account_id: str, message: Message) -> str:
        """The exact HTTP request(s) Send would make, as curl, with the key redacted."""
        raise NotImplementedError

    async def analyze(self, account_id: str, message: Message) -> Analysis:
        raise NotImplementedError

    async def send(self, account_id: str, message: Message) -> SendReceipt:
        """Validate, check suppressions, write the outbox entry, then send.

        Raises ``MessageInvalid`` (fields), ``ProviderError`` subclasses (the provider's words).
        """
        raise NotImplementedError

    async def save_draft(self, account_id: str, fields: dict[str, Any]) -> None:
        raise NotImplementedError

    async def load_draft(self, account_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    # -- bulk ------------------------------------------------------------------------------

    async def read_csv(self, path: Path) -> CsvTable:
        raise NotImplementedError

    async def start_bulk(
        self,
        account_id: str,
        template: Message,
        table: CsvTable,
        mapping: ColumnMapping,
        on_progress: ProgressCallback,
    ) -> str:
        """Queue every row in the outbox, then send; returns the bulk id."""
        raise NotImplementedError

    def pause_bulk(self, bulk_id: str) -> None:
        raise NotImplementedError

    def resume_bulk(self, bulk_id: str) -> None:
        raise NotImplementedError

    async def cancel_bulk(self, bulk_id: str) -> BulkProgress:
        raise NotImplementedError

    # -- templates, schedules, timeline, suppressions ---------------------------------------

    async def templates(self, account_id: str) -> list[Template]:
        raise NotImplementedError

    async def scheduled(self) -> list[ScheduledRow]:
        raise NotImplementedError

    async def cancel_scheduled(self, row_id: str) -> None:
        raise NotImplementedError

    async def messages_page(
        self, *, query: str = "", account_id: str | None = None, offset: int = 0, limit: int = 200
    ) -> list[MessageRow]:
        raise NotImplementedError

    async def timeline(self, message_id: str) -> list[Event]:
        raise NotImplementedError

    async def suppressions(self, query: str = "") -> list[Suppression]:
        raise NotImplementedError

    async def suppress(
        self, email: str, *, account_id: str | None, reason: str, list_ids: Sequence[str] = ()
    ) -> Suppression:
        raise NotImplementedError

    async def unsuppress(self, email: str, *, account_id: str | None) -> None:
        raise NotImplementedError

    def now(self) -> datetime:
        """The console's clock (aware UTC); tests may replace it."""
        from datetime import UTC

        return datetime.now(UTC)
