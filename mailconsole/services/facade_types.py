"""The plain data the window exchanges with :class:`~mailconsole.services.facade.ConsoleFacade`.

Everything here is a frozen dataclass or an enum: the window never sees SQLite rows, httpx or
keyring objects, and the services never see Qt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.events import Event, EventType
from mailconsole.core.message import SendResult
from mailconsole.store.journal import OutboxState


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account as the window shows it; the API key is never part of it."""

    id: str
    name: str
    provider: str
    base_url: str
    default_sender: str
    is_sandbox: bool
    capabilities: Capabilities
    time_zone: str = "Europe/Minsk"

    @property
    def label(self) -> str:
        """``Acme — MailingAPI``, or ``Sandbox — MailingAPI`` for sandbox accounts."""
        return f"{self.name} — {self.capabilities.display_name}"


@dataclass(frozen=True, slots=True)
class AccountDraft:
    """What the accounts dialog submits; ``api_key`` None keeps the stored key."""

    name: str
    provider: str
    base_url: str
    default_sender: str = ""
    time_zone: str = "Europe/Minsk"
    api_key: str | None = None


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """What Send shows in place: the journal's message ids and the provider's answer (None for
    a send-later the console holds until it is due)."""

    outbox_id: str
    message_ids: Sequence[str]
    result: SendResult | None
    held_locally: bool = False  #: a send-later the console itself will send when due


@dataclass(frozen=True, slots=True)
class Analysis:
    """Analyze's report: the provider's score where it has one, and the issues found."""

    source: str  #: "MailingAPI" or "Mail Console checks"
    score: int | None
    grade: str | None
    issues: Sequence[str]
    can_send: bool = True


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A CSV file read for a bulk send: its columns, rows, and the lines that could not be read.

    ``rows`` maps column name to value; ``line_numbers[i]`` is the file line of ``rows[i]``.
    """

    path: Path
    columns: Sequence[str]
    rows: Sequence[Mapping[str, str]]
    line_numbers: Sequence[int]
    delimiter: str
    problems: Sequence[tuple[int, str]] = ()


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which CSV column is the address, which the name, and which become variables."""

    email: str = "email"
    name: str | None = "name"
    variables: Mapping[str, str] = field(default_factory=dict)  #: variable -> column


class RowStatus(StrEnum):
    """One bulk row's outcome."""

    PENDING = "pending"
    SENT = "sent"
    REJECTED = "rejected"
    SUPPRESSED = "suppressed"
    INVALID = "invalid"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class BulkRowResult:
    """The result of one CSV row of a bulk send."""

    line: int
    email: str
    status: RowStatus
    provider_message_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """Progress of a bulk send; ``results`` holds the rows that changed since the last report."""

    bulk_id: str
    total: int
    done: int
    sent: int
    failed: int
    skipped: int
    paused: bool
    finished: bool
    cancelled: bool
    results: Sequence[BulkRowResult] = ()


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One row of the Timeline list."""

    id: str
    account_id: str
    account_name: str
    provider: str
    recipient: str
    subject: str
    state: EventType
    last_event: EventType | None
    created_at: datetime
    last_event_at: datetime | None
    provider_message_id: str | None


@dataclass(frozen=True, slots=True)
class ScheduledRow:
    """One row of the Scheduled tab."""

    id: str
    account_id: str
    recipient: str
    subject: str
    send_at: datetime
    expire_at: datetime | None
    held_by: str  #: "provider" or "console"
    state: str
    can_cancel: bool
    cancel_reason: str = ""  #: why Cancel is disabled, when it is


@dataclass(frozen=True, slots=True)
class ConsoleNotice:
    """A change the window may want to show: ``kind`` is one of ``account``, ``status``,
    ``message``, ``events``, ``bulk``, ``suppression``, ``scheduled``."""

    kind: str
    account_id: str | None = None
    payload: Any = None


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """The status bar's view of one account: budget text and the last request's health."""

    account_id: str
    budget: str
    health: str  #: "ok", "paced", "error"
    last_error: str = ""


__all__ = [
    "AccountDraft",
    "AccountView",
    "Analysis",
    "BulkProgress",
    "BulkRowResult",
    "ColumnMapping",
    "ConsoleNotice",
    "CsvTable",
    "Event",
    "MessageRow",
    "OutboxState",
    "ProviderStatus",
    "RowStatus",
    "ScheduledRow",
    "SendReceipt",
]
