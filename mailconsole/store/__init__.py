"""Persistence: the SQLite journal, its migrations and where its file lives (Qt-free)."""

from mailconsole.store.journal import (
    AccountRecord,
    BulkSendRecord,
    BulkState,
    Journal,
    LocalTemplate,
    MessageFilter,
    MessageRecord,
    MessageSort,
    OutboxEntry,
    OutboxItem,
    OutboxState,
    OutboxStateError,
    UnknownRecord,
)
from mailconsole.store.migrations import SCHEMA_VERSION, JournalTooNew
from mailconsole.store.paths import DATA_DIR_ENV, data_dir, journal_path

__all__ = [
    "DATA_DIR_ENV",
    "SCHEMA_VERSION",
    "AccountRecord",
    "BulkSendRecord",
    "BulkState",
    "Journal",
    "JournalTooNew",
    "LocalTemplate",
    "MessageFilter",
    "MessageRecord",
    "MessageSort",
    "OutboxEntry",
    "OutboxItem",
    "OutboxState",
    "OutboxStateError",
    "UnknownRecord",
    "data_dir",
    "journal_path",
]
