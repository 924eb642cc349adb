"""The journal: one SQLite file holding accounts (never their keys), drafts, the outbox, every
message the console knows with its append-only event log, suppressions, local templates and
bulk sends.

Threading: one connection per :class:`Journal`, opened with ``check_same_thread=False`` and
guarded by a lock, so any thread may call any method (the window runs them in an executor with
``asyncio.to_thread``); calls are serialized. SQLite serializes writers anyway, every page query
is one statement of a few milliseconds, and one connection means one place that opens, migrates
and closes the file. The connection is in autocommit mode; writes run in explicit
``BEGIN IMMEDIATE`` transactions, so a batch (an enqueue, a page of events) is all or nothing.

Times are stored as integer microseconds since the epoch (UTC) and come back as aware UTC
datetimes; naive datetimes are refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from mailconsole.core.events import FINAL_STATES, Event, EventType, derive_state
from mailconsole.core.message import Message, Suppression, SuppressionSource, Template
from mailconsole.store.codec import (
    decode_message,
    encode_message,
    from_micros,
    json_default,
    json_object_hook,
    opt_datetime,
    opt_micros,
    to_micros,
)
from mailconsole.store.migrations import migrate
from mailconsole.store.paths import journal_path

Clock = Callable[[], datetime]

#: Setting names refused in ``accounts.settings``: keys belong in the OS keyring only.
SECRET_SETTING_NAMES = frozenset({"api_key", "apikey", "key", "token", "password", "secret"})

#: Items between two hand-overs of the GIL while a large batch is encoded (callers run batches
#: in worker threads; the GUI thread must not wait behind them).
YIELD_EVERY = 200

#: A selective search (fewer candidates than this) is narrowed with the trigram index first.
SEARCH_INDEX_THRESHOLD = 2000


def _utcnow() -> datetime:
    return datetime.now(UTC)


class UnknownRecord(LookupError):
    """The account, message, outbox entry or bulk send asked for does not exist."""


class OutboxStateError(RuntimeError):
    """An outbox entry cannot make the asked transition from the state it is in."""


class OutboxState(StrEnum):
    """Where one outgoing request is."""

    QUEUED = "queued"
    SENDING = "sending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


#: States an outbox entry is not finished in (shown and resumed after a restart).
UNFINISHED_OUTBOX = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.UNKNOWN)


class BulkState(StrEnum):
    """Where a bulk send is."""

    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class MessageSort(StrEnum):
    """The columns the message list can be sorted by."""

    CREATED = "created_at"
    LAST_EVENT = "last_event_at"
    RECIPIENT = "recipient"
    SUBJECT = "subject"
    STATE = "state"


# -- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account as stored: only non-secret settings; the key lives in the OS keyring."""

    id: str
    name: str
    provider: str
    base_url: str = ""
    default_sender: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    is_sandbox: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One request to put in the outbox; its id is ``message.client_reference``."""

    account_id: str
    message: Message
    bulk_id: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outgoing request and where it is; ``send_at`` None means as soon as possible."""

    id: str
    account_id: str
    state: OutboxState
    message: Message
    bulk_id: str | None
    line: int | None
    idempotency_key: str | None
    send_at: datetime | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One recipient message the console knows; ``state`` is derived from its events."""

    id: str
    account_id: str
    provider: str
    recipient: str
    subject: str = ""
    sender: str = ""
    outbox_id: str | None = None
    provider_message_id: str | None = None
    state: EventType = EventType.QUEUED
    last_event: EventType | None = None
    created_at: datetime = field(default_factory=_utcnow)
    last_event_at: datetime | None = None
    scheduled_at: datetime | None = None
    final: bool = False
    next_poll_at: datetime | None = None
    poll_interval: float | None = None


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """What the message list shows; empty fields do not filter.

    ``recipient``, ``subject`` and ``text`` are case-insensitive substrings (``text`` looks at
    recipient, subject and sender); ``since`` is inclusive and ``until`` exclusive, on
    ``created_at``.
    """

    account_id: str | None = None
    states: frozenset[EventType] = frozenset()
    recipient: str = ""
    subject: str = ""
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None
    final: bool | None = None
    scheduled: bool | None = None
    outbox_id: str | None = None


@dataclass(frozen=True, slots=True)
class LocalTemplate:
    """A template kept by the console itself."""

    id: str
    name: str
    subject: str = ""
    html: str = ""
    text: str = ""
    variables: Sequence[str] = ()
    updated_at: datetime | None = None

    def to_template(self) -> Template:
        """The provider-neutral :class:`Template` (``source`` "local")."""
        return Template(
            id=self.id,
            name=self.name,
            source="local",
            subject=self.subject,
            html=self.html,
            text=self.text,
            variables=tuple(self.variables),
        )


@dataclass(frozen=True, slots=True)
class BulkSendRecord:
    """A bulk send; per-row outcomes are its outbox entries (see :meth:`Journal.bulk_counts`)."""

    id: str
    account_id: str
    csv_path: str = ""
    column_mapping: Mapping[str, Any] = field(default_factory=dict)
    total_rows: int = 0
    skipped_rows: int = 0
    state: BulkState = BulkState.RUNNING
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- helpers -----------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False, separators=(",", ":"))


def _raw_dumps(value: Any) -> str | None:
    """A provider payload as JSON; anything JSON cannot hold is kept as its ``str``."""
    if value is None:
        return None
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str) -> Any:
    return json.loads(text, object_hook=json_object_hook)


def _list_ids(ids: Iterable[str]) -> str:
    """``,1,2,`` for SMS.BY list ids (sorted, unique), ``''`` for all lists."""
    clean = sorted({str(i).strip() for i in ids if str(i).strip()})
    return f",{','.join(clean)}," if clean else ""


def _parse_list_ids(text: str) -> tuple[str, ...]:
    return tuple(i for i in text.split(",") if i)


def _like(column: str, needle: str) -> tuple[str, str]:
    """A case-insensitive substring condition (Unicode-aware for non-ASCII needles)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if needle.isascii():
        return f"{column} LIKE ? ESCAPE '\\'", f"%{escaped}%"
    return f"lower_text({column}) LIKE ? ESCAPE '\\'", f"%{escaped.lower()}%"


def _fts_phrase(needle: str) -> str:
    return '"' + needle.replace('"', '""') + '"'


def _lower_text(value: object) -> str | None:
    return value.lower() if isinstance(value, str) else None


_ACCOUNT_COLUMNS = "id, name, provider, base_url, default_sender, settings, is_sandbox, created_at"

_OUTBOX_COLUMNS = (
    "id, account_id, state, request, bulk_id, line, idempotency_key, send_at, attempts, "
    "next_attempt_at, last_error, provider_message_id, created_at, updated_at"
)

_MESSAGE_COLUMNS = (
    "m.id, m.account_id, m.provider, m.recipient, m.subject, m.sender, m.outbox_id, "
    "m.provider_message_id, m.state, m.last_event, m.created_at, m.last_event_at, "
    "m.scheduled_at, m.final, m.next_poll_at, m.poll_interval"
)

_SUPPRESSION_COLUMNS = "email, source, reason, account_id, list_ids, created_at, message_id"

_BULK_COLUMNS = (
    "id, account_id, csv_path, column_mapping, total_rows, skipped_rows, state, created_at, "
    "updated_at"
)

_TEMPLATE_COLUMNS = "id, name, subject, html, text, variables, updated_at"


def _account(row: Sequence[Any]) -> AccountRecord:
    return AccountRecord(
        id=row[0],
        name=row[1],
        provider=row[2],
        base_url=row[3],
        default_sender=row[4],
        settings=_loads(row[5]),
        is_sandbox=bool(row[6]),
        created_at=from_micros(row[7]),
    )


def _message(row: Sequence[Any]) -> MessageRecord:
    return MessageRecord(
        id=row[0],
        account_id=row[1],
        provider=row[2],
        recipient=row[3],
        subject=row[4],
        sender=row[5],
        outbox_id=row[6],
        provider_message_id=row[7],
        state=EventType(row[8]),
        last_event=None if row[9] is None else EventType(row[9]),
        created_at=from_micros(row[10]),
        last_event_at=from_micros(row[11]),
        scheduled_at=opt_datetime(row[12]),
        final=bool(row[13]),
        next_poll_at=opt_datetime(row[14]),
        poll_interval=row[15],
    )


def _suppression(row: Sequence[Any]) -> Suppression:
    return Suppression(
        email=row[0],
        source=SuppressionSource(row[1]),
        reason=row[2],
        account_id=row[3],
        list_ids=_parse_list_ids(row[4]),
        created_at=from_micros(row[5]),
        message_id=row[6],
    )


def _bulk(row: Sequence[Any]) -> BulkSendRecord:
    return BulkSendRecord(
        id=row[0],
        account_id=row[1],
        csv_path=row[2],
        column_mapping=_loads(row[3]),
        total_rows=row[4],
        skipped_rows=row[5],
        state=BulkState(row[6]),
        created_at=from_micros(row[7]),
        updated_at=from_micros(row[8]),
    )


def _template(row: Sequence[Any]) -> LocalTemplate:
    return LocalTemplate(
        id=row[0],
        name=row[1],
        subject=row[2],
        html=row[3],
        text=row[4],
        variables=tuple(_loads(row[5])),
        updated_at=from_micros(row[6]),
    )


def _sort_value(record: MessageRecord, sort: MessageSort) -> Any:
    """The stored value of ``record``'s sort column (the keyset cursor)."""
    if sort is MessageSort.CREATED:
        return to_micros(record.created_at)
    if sort is MessageSort.LAST_EVENT:
        return to_micros(record.last_event_at or record.created_at)
    if sort is MessageSort.RECIPIENT:
        return record.recipient
    if sort is MessageSort.SUBJECT:
        return record.subject
    return record.state.value


# -- the journal -------------------------------------------------------------------------------


class Journal:
    """The console's SQLite journal; open with :meth:`open`, use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Clock = _utcnow) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._depth = 0
        self.path = path
        self.clock = clock

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, clock: Clock = _utcnow) -> Self:
        """Open (creating and migrating as needed) the journal at ``path``.

        ``path`` is the file, or a directory to keep ``journal.sqlite3`` in (an existing
        directory, or a path without a suffix); it defaults to the data directory
        (``MAILCONSOLE_DATA_DIR`` or the platform's user data directory).
        """
        if path is None:
            file = journal_path()
        else:
            file = Path(path)
            if file.is_dir() or (not file.exists() and not file.suffix):
                file = journal_path(file)
            else:
                file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = not file.exists()
        conn = sqlite3.connect(file, check_same_thread=False, isolation_level=None)
        try:
            if created:
                os.chmod(file, 0o600)  # addresses and subjects are personal data
            conn.execute("PRAGMA busy_timeout = 5000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot put {file} in WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.create_function("lower_text", 1, _lower_text, deterministic=True)
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, file, clock)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL into the main file)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one write transaction (for batch loaders).

        Transactions nest: an inner block joins the outer one, so several journal methods can
        be made all-or-nothing together (a bulk send's record and its rows).
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _now(self) -> int:
        return to_micros(self.clock())

    # -- accounts ----------------------------------------------------------------------------

    @staticmethod
    def _check_settings(settings: Mapping[str, Any]) -> str:
        secret = sorted(k for k in settings if k.lower().replace("-", "_") in SECRET_SETTING_NAMES)
        if secret:
            raise ValueError(f"account settings may not hold secrets ({', '.join(secret)})")
        return _dumps(dict(settings))

    def add_account(self, account: AccountRecord) -> AccountRecord:
        """Store a new account; returns it with ``created_at`` set."""
        stored = replace(account, created_at=account.created_at or self.clock())
        settings = self._check_settings(stored.settings)
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO accounts ({_ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored.id,
                    stored.name,
                    stored.provider,
                    stored.base_url,
                    stored.default_sender,
                    settings,
                    int(stored.is_sandbox),
                    to_micros(stored.created_at or self.clock()),
                ),
            )
        return stored

    def update_account(self, account: AccountRecord) -> AccountRecord:
        """Replace an account's settings (its id and creation time stay)."""
        settings = self._check_settings(account.settings)
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE accounts SET name = ?, provider = ?, base_url = ?, default_sender = ?, "
                "settings = ?, is_sandbox = ? WHERE id = ?",
                (
                    account.name,
                    account.provider,
                    account.base_url,
                    account.default_sender,
                    settings,
                    int(account.is_sandbox),
                    account.id,
                ),
            )
            if cursor.rowcount == 0:
                raise UnknownRecord(f"no account {account.id!r}")
        return self.get_account(account.id)

    def get_account(self, account_id: str) -> AccountRecord:
        """One account; :class:`UnknownRecord` if there is none."""
        rows = self._query(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE id = ?", (account_id,))
        if not rows:
            raise UnknownRecord(f"no account {account_id!r}")
        return _account(rows[0])

    def list_accounts(self) -> list[AccountRecord]:
        """Every account, sandbox accounts last, then by name."""
        rows = self._query(
            f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY is_sandbox, name COLLATE NOCASE, id"
        )
        return [_account(r) for r in rows]

    def delete_account(self, account_id: str) -> bool:
        """Delete an account and everything recorded for it; False if there was none."""
        with self.transaction() as conn:
            cursor = conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
            deleted = cursor.rowcount > 0
        if deleted:
            self.prune_blobs()
        return deleted

    # -- drafts ------------------------------------------------------------------------------

    def save_draft(self, account_id: str, fields: Mapping[str, Any], name: str = "") -> None:
        """Save a compose form (``name`` '' is the autosaved one); bytes values are kept."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (account_id, name, fields, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account_id, name) DO UPDATE SET fields = excluded.fields, "
                "updated_at = excluded.updated_at",
                (account_id, name, _dumps(dict(fields)), self._now()),
            )

    def load_draft(self, account_id: str, name: str = "") -> dict[str, Any] | None:
        """A saved compose form, or None."""
        rows = self._query(
            "SELECT fields FROM drafts WHERE account_id = ? AND name = ?", (account_id, name)
        )
        return dict(_loads(rows[0][0])) if rows else None

    def list_drafts(self, account_id: str) -> list[str]:
        """The names of an account's saved drafts ('' is the autosaved one)."""
        rows = self._query(
            "SELECT name FROM drafts WHERE account_id = ? ORDER BY updated_at DESC", (account_id,)
        )
        return [r[0] for r in rows]

    def delete_draft(self, account_id: str, name: str = "") -> None:
        """Forget a draft (after it was sent, or discarded)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM drafts WHERE account_id = ? AND name = ?", (account_id, name))

    # -- blobs -------------------------------------------------------------------------------

    def _blob(self, digest: str) -> bytes:
        rows = self._conn.execute("SELECT content FROM blobs WHERE sha256 = ?", (digest,))
        row = rows.fetchone()
        if row is None:
            raise UnknownRecord(f"attachment content {digest} is missing from the journal")
        return bytes(row[0])

    def prune_blobs(self) -> int:
        """Delete attachment contents no outbox entry refers to; returns how many."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM blobs WHERE sha256 NOT IN ("
                "SELECT json_extract(a.value, '$.sha256') FROM outbox, "
                "json_each(outbox.request, '$.attachments') AS a)"
            )
            return cursor.rowcount

    # -- outbox ------------------------------------------------------------------------------

    def _outbox(self, row: Sequence[Any]) -> OutboxEntry:
        return OutboxEntry(
            id=row[0],
            account_id=row[1],
            state=OutboxState(row[2]),
            message=decode_message(_loads(row[3]), self._blob),
            bulk_id=row[4],
            line=row[5],
            idempotency_key=row[6],
            send_at=opt_datetime(row[7]),
            attempts=row[8],
            next_attempt_at=from_micros(row[9]),
            last_error=row[10],
            provider_message_id=row[11],
            created_at=from_micros(row[12]),
            updated_at=from_micros(row[13]),
        )

    def enqueue(self, items: Iterable[OutboxItem]) -> list[str]:
        """Queue requests in one transaction; returns their ids in order."""
        now = self._now()
        rows: list[tuple[Any, ...]] = []
        blobs: dict[str, bytes] = {}
        for index, item in enumerate(items):
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                time.sleep(0)  # a long batch hands the GIL to the GUI thread now and then
            data, contents = encode_message(item.message)
            blobs.update(contents)
            send_at = opt_micros(item.message.send_at)
            rows.append(
                (
                    item.message.client_reference,
                    item.account_id,
                    item.bulk_id,
                    item.line,
                    item.message.idempotency_key,
                    _dumps(data),
                    send_at,
                    send_at if send_at is not None and send_at > now else now,
                    now,
                    now,
                )
            )
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO blobs (sha256, content) VALUES (?, ?)", blobs.items()
            )
            conn.executemany(
                "INSERT INTO outbox (id, account_id, bulk_id, line, state, idempotency_key, "
                "request, send_at, next_attempt_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return [r[0] for r in rows]

    def get_outbox(self, entry_id: str) -> OutboxEntry:
        """One outbox entry; :class:`UnknownRecord` if there is none."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (entry_id,)
            ).fetchone()
            if row is None:
                raise UnknownRecord(f"no outbox entry {entry_id!r}")
            return self._outbox(row)

    def claim_next_due(self, now: datetime, account_id: str | None = None) -> OutboxEntry | None:
        """Atomically take the oldest due queued entry and mark it sending (attempts + 1).

        Entries of a bulk send that is not running (paused, cancelled) are left alone.
        """
        sql = (
            "SELECT o.id FROM outbox AS o LEFT JOIN bulk_sends AS b ON b.id = o.bulk_id "
            "WHERE o.state = 'queued' AND o.next_attempt_at <= ? "
            "AND (o.bulk_id IS NULL OR b.state = 'running')"
        )
        params: list[Any] = [to_micros(now)]
        if account_id is not None:
            sql += " AND o.account_id = ?"
            params.append(account_id)
        sql += " ORDER BY o.next_attempt_at, o.rowid LIMIT 1"
        with self.transaction() as conn:
            row = conn.execute(sql, params).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?",
                (self._now(), row[0]),
            )
            return self._outbox(
                conn.execute(
                    f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (row[0],)
                ).fetchone()
            )

    def _transition(
        self,
        entry_id: str,
        to: OutboxState,
        allowed_from: Sequence[OutboxState],
        **columns: Any,
    ) -> OutboxEntry:
        sets = ", ".join(f"{name} = ?" for name in columns)
        sets = f"state = ?, updated_at = ?{', ' if sets else ''}{sets}"
        marks = ", ".join("?" for _ in allowed_from)
        with self.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE outbox SET {sets} WHERE id = ? AND state IN ({marks})",
                (to.value, self._now(), *columns.values(), entry_id, *allowed_from),
            )
            if cursor.rowcount == 0:
                row = conn.execute("SELECT state FROM outbox WHERE id = ?", (entry_id,)).fetchone()
                if row is None:
                    raise UnknownRecord(f"no outbox entry {entry_id!r}")
                raise OutboxStateError(
                    f"outbox entry {entry_id} is {row[0]}; it cannot become {to.value}"
                )
            return self._outbox(
                conn.execute(
                    f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (entry_id,)
                ).fetchone()
            )

    def mark_sending(self, entry_id: str) -> OutboxEntry:
        """queued → sending (attempts are counted by :meth:`claim_next_due` only)."""
        return self._transition(entry_id, OutboxState.SENDING, (OutboxState.QUEUED,))

    def mark_accepted(self, entry_id: str, provider_message_id: str | None) -> OutboxEntry:
        """sending/unknown → accepted, with the provider's id for the request."""
        return self._transition(
            entry_id,
            OutboxState.ACCEPTED,
            (OutboxState.SENDING, OutboxState.UNKNOWN),
            provider_message_id=provider_message_id,
            last_error=None,
        )

    def mark_rejected(self, entry_id: str, error: str) -> OutboxEntry:
        """sending/unknown → rejected, with the provider's words."""
        return self._transition(
            entry_id,
            OutboxState.REJECTED,
            (OutboxState.SENDING, OutboxState.UNKNOWN),
            last_error=error,
        )

    def mark_unknown(self, entry_id: str, error: str) -> OutboxEntry:
        """sending → unknown: the request may have reached the provider; the user decides."""
        return self._transition(
            entry_id, OutboxState.UNKNOWN, (OutboxState.SENDING,), last_error=error
        )

    def mark_cancelled(self, entry_id: str) -> OutboxEntry:
        """queued/unknown → cancelled (never sent, or the user gave up on an unknown one)."""
        return self._transition(
            entry_id, OutboxState.CANCELLED, (OutboxState.QUEUED, OutboxState.UNKNOWN)
        )

    def retry_at(self, entry_id: str, when: datetime, error: str | None = None) -> OutboxEntry:
        """sending/unknown → queued again, due at ``when`` (a retryable failure, or the user
        chose to retry an unknown outcome)."""
        return self._transition(
            entry_id,
            OutboxState.QUEUED,
            (OutboxState.SENDING, OutboxState.UNKNOWN),
            next_attempt_at=to_micros(when),
            last_error=error,
        )

    def unfinished(self, account_id: str | None = None) -> list[OutboxEntry]:
        """Entries that are queued, sending or unknown, oldest first (resumed after a restart)."""
        sql = f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE state IN (?, ?, ?)"
        params: list[Any] = list(UNFINISHED_OUTBOX)
        if account_id is not None:
            sql += " AND account_id = ?"
            params.append(account_id)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY rowid", params).fetchall()
            return [self._outbox(r) for r in rows]

    # -- bulk sends --------------------------------------------------------------------------

    def add_bulk(self, bulk: BulkSendRecord) -> BulkSendRecord:
        """Store a new bulk send (enqueue its rows with ``bulk_id`` afterwards)."""
        now = self._now()
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO bulk_sends ({_BULK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    bulk.id,
                    bulk.account_id,
                    bulk.csv_path,
                    _dumps(dict(bulk.column_mapping)),
                    bulk.total_rows,
                    bulk.skipped_rows,
                    bulk.state.value,
                    opt_micros(bulk.created_at) or now,
                    now,
                ),
            )
        return self.get_bulk(bulk.id)

    def get_bulk(self, bulk_id: str) -> BulkSendRecord:
        """One bulk send; :class:`UnknownRecord` if there is none."""
        rows = self._query(f"SELECT {_BULK_COLUMNS} FROM bulk_sends WHERE id = ?", (bulk_id,))
        if not rows:
            raise UnknownRecord(f"no bulk send {bulk_id!r}")
        return _bulk(rows[0])

    def list_bulks(self, account_id: str | None = None) -> list[BulkSendRecord]:
        """Bulk sends, newest first."""
        sql = f"SELECT {_BULK_COLUMNS} FROM bulk_sends"
        params: tuple[Any, ...] = ()
        if account_id is not None:
            sql += " WHERE account_id = ?"
            params = (account_id,)
        return [_bulk(r) for r in self._query(sql + " ORDER BY created_at DESC", params)]

    def set_bulk_state(self, bulk_id: str, state: BulkState) -> None:
        """Pause, resume, finish or cancel a bulk send; cancelling cancels its queued rows."""
        now = self._now()
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE bulk_sends SET state = ?, updated_at = ? WHERE id = ?",
                (state.value, now, bulk_id),
            )
            if cursor.rowcount == 0:
                raise UnknownRecord(f"no bulk send {bulk_id!r}")
            if state is BulkState.CANCELLED:
                conn.execute(
                    "UPDATE outbox SET state = 'cancelled', updated_at = ? "
                    "WHERE bulk_id = ? AND state = 'queued'",
                    (now, bulk_id),
                )

    def bulk_counts(self, bulk_id: str) -> dict[OutboxState, int]:
        """How many of a bulk send's queued rows are in each outbox state."""
        rows = self._query(
            "SELECT state, count(*) FROM outbox WHERE bulk_id = ? GROUP BY state", (bulk_id,)
        )
        counts = dict.fromkeys(OutboxState, 0)
        counts.update({OutboxState(s): n for s, n in rows})
        return counts

    # -- messages and events -----------------------------------------------------------------

    @staticmethod
    def _message_params(record: MessageRecord) -> tuple[Any, ...]:
        created = to_micros(record.created_at)
        return (
            record.id,
            record.outbox_id,
            record.account_id,
            record.provider,
            record.provider_message_id,
            record.recipient,
            record.subject,
            record.sender,
            record.state.value,
            None if record.last_event is None else record.last_event.value,
            created,
            opt_micros(record.last_event_at) or created,
            opt_micros(record.scheduled_at),
            int(record.final or record.state in FINAL_STATES),
            opt_micros(record.next_poll_at),
            record.poll_interval,
        )

    _INSERT_MESSAGE = (
        "INSERT INTO messages (id, outbox_id, account_id, provider, provider_message_id, "
        "recipient, subject, sender, state, last_event, created_at, last_event_at, "
        "scheduled_at, final, next_poll_at, poll_interval) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def record_message(self, record: MessageRecord, events: Iterable[Event] = ()) -> MessageRecord:
        """Record one recipient message with its first events, in one transaction.

        Recording an id again updates its provider id, schedule and poll bookkeeping (the
        answer to a send that was first recorded as unknown) and keeps its events.
        """
        with self.transaction() as conn:
            conn.execute(
                self._INSERT_MESSAGE + " ON CONFLICT (id) DO UPDATE SET "
                "provider_message_id = coalesce(excluded.provider_message_id, "
                "provider_message_id), scheduled_at = coalesce(excluded.scheduled_at, "
                "scheduled_at), next_poll_at = excluded.next_poll_at, "
                "poll_interval = excluded.poll_interval",
                self._message_params(record),
            )
            self._append(conn, record.id, events)
        return self.get_message(record.id)

    def record_messages(self, records: Iterable[MessageRecord]) -> int:
        """Insert many new messages in one transaction (a bulk send's answers); returns count."""
        params = [self._message_params(r) for r in records]
        with self.transaction() as conn:
            conn.executemany(self._INSERT_MESSAGE, params)
        return len(params)

    def get_message(self, message_id: str) -> MessageRecord:
        """One message; :class:`UnknownRecord` if there is none."""
        rows = self._query(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages AS m WHERE m.id = ?", (message_id,)
        )
        if not rows:
            raise UnknownRecord(f"no message {message_id!r}")
        return _message(rows[0])

    def find_by_provider_id(self, account_id: str, provider_message_id: str) -> list[MessageRecord]:
        """The messages a provider id belongs to (several for an SMS.BY bulk ``uuid``)."""
        rows = self._query(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages AS m "
            "WHERE m.account_id = ? AND m.provider_message_id = ?",
            (account_id, provider_message_id),
        )
        return [_message(r) for r in rows]

    def append_events(self, message_id: str, events: Iterable[Event]) -> list[Event]:
        """Append events (de-duplicated by their dedup key) and re-derive the message's state.

        Returns the events that were new, in the order given.
        """
        with self.transaction() as conn:
            return self._append(conn, message_id, events)

    def _append(
        self, conn: sqlite3.Connection, message_id: str, events: Iterable[Event]
    ) -> list[Event]:
        if conn.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone() is None:
            raise UnknownRecord(f"no message {message_id!r}")
        recorded = self._now()
        new: list[Event] = []
        for event in events:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO events (message_id, type, timestamp, provider_event_id, "
                "dedup_key, recipient, raw_type, raw, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    event.type.value,
                    to_micros(event.timestamp),
                    event.provider_event_id,
                    event.dedup_key,
                    event.recipient,
                    event.raw_type,
                    _raw_dumps(event.raw),
                    recorded,
                ),
            )
            if cursor.rowcount == 1:
                new.append(event)
        if new:
            self._derive(conn, message_id)
        return new

    def _derive(self, conn: sqlite3.Connection, message_id: str) -> None:
        rows = conn.execute(
            "SELECT type, timestamp FROM events WHERE message_id = ? ORDER BY timestamp, id",
            (message_id,),
        ).fetchall()
        log = [Event(type=EventType(t), timestamp=from_micros(ts)) for t, ts in rows]
        state = derive_state(log)
        latest_type, latest_at = rows[-1]
        final = state in FINAL_STATES
        conn.execute(
            "UPDATE messages SET state = ?, last_event = ?, last_event_at = ?, final = ?, "
            "next_poll_at = CASE WHEN ? THEN NULL ELSE next_poll_at END WHERE id = ?",
            (state.value, latest_type, latest_at, int(final), int(final), message_id),
        )

    def timeline(self, message_id: str) -> list[Event]:
        """A message's events, oldest first, with their raw payloads."""
        rows = self._query(
            "SELECT type, timestamp, provider_event_id, recipient, raw_type, raw FROM events "
            "WHERE message_id = ? ORDER BY timestamp, id",
            (message_id,),
        )
        return [
            Event(
                type=EventType(t),
                timestamp=from_micros(ts),
                provider_event_id=pid,
                recipient=recipient,
                raw_type=raw_type,
                raw=None if raw is None else json.loads(raw),
            )
            for t, ts, pid, recipient, raw_type, raw in rows
        ]

    def set_poll(
        self, message_id: str, next_poll_at: datetime | None, interval: float | None
    ) -> None:
        """Set when the poller next asks the provider about a message (None: never)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE messages SET next_poll_at = ?, poll_interval = ? WHERE id = ?",
                (opt_micros(next_poll_at), interval, message_id),
            )

    def messages_to_poll(self, now: datetime, limit: int = 100) -> list[MessageRecord]:
        """Messages not final whose next poll is due, most overdue first."""
        rows = self._query(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages AS m "
            "WHERE m.final = 0 AND m.next_poll_at IS NOT NULL AND m.next_poll_at <= ? "
            "ORDER BY m.next_poll_at LIMIT ?",
            (to_micros(now), limit),
        )
        return [_message(r) for r in rows]

    def _where(self, flt: MessageFilter) -> tuple[list[str], list[Any]]:
        """SQL conditions for ``flt``; selective text searches are narrowed by the index."""
        conds: list[str] = []
        params: list[Any] = []
        if flt.account_id is not None:
            conds.append("m.account_id = ?")
            params.append(flt.account_id)
        if flt.states:
            conds.append(f"m.state IN ({', '.join('?' for _ in flt.states)})")
            params.extend(sorted(s.value for s in flt.states))
        if flt.since is not None:
            conds.append("m.created_at >= ?")
            params.append(to_micros(flt.since))
        if flt.until is not None:
            conds.append("m.created_at < ?")
            params.append(to_micros(flt.until))
        if flt.final is not None:
            conds.append("m.final = ?")
            params.append(int(flt.final))
        if flt.scheduled is not None:
            conds.append(f"m.scheduled_at IS {'NOT ' if flt.scheduled else ''}NULL")
        if flt.outbox_id is not None:
            conds.append("m.outbox_id = ?")
            params.append(flt.outbox_id)
        terms: list[str] = []
        for column, needle in (("recipient", flt.recipient), ("subject", flt.subject)):
            if needle:
                cond, param = _like(f"m.{column}", needle)
                conds.append(cond)
                params.append(param)
                if len(needle) >= 3:
                    terms.append(f"{column} : {_fts_phrase(needle)}")
        if flt.text:
            parts = [_like(f"m.{c}", flt.text) for c in ("recipient", "subject", "sender")]
            conds.append("(" + " OR ".join(c for c, _ in parts) + ")")
            params.extend(p for _, p in parts)
            if len(flt.text) >= 3:
                terms.append(_fts_phrase(flt.text))
        if terms:
            match = " AND ".join(terms)
            # The trigram index finds rare strings at once but is slow for common ones (every
            # row matches), where scanning in sort order stops after one page: probe first.
            probe = self._conn.execute(
                "SELECT count(*) FROM (SELECT rowid FROM messages_search "
                "WHERE messages_search MATCH ? LIMIT ?)",
                (match, SEARCH_INDEX_THRESHOLD + 1),
            ).fetchone()[0]
            if probe <= SEARCH_INDEX_THRESHOLD:
                conds.append(
                    "m.rowid IN (SELECT rowid FROM messages_search WHERE messages_search MATCH ?)"
                )
                params.append(match)
        return conds, params

    def page_messages(
        self,
        flt: MessageFilter | None = None,
        *,
        sort: MessageSort = MessageSort.CREATED,
        descending: bool = True,
        limit: int = 200,
        offset: int = 0,
        after: MessageRecord | None = None,
    ) -> list[MessageRecord]:
        """One page of messages matching ``flt``, sorted in SQL.

        Pass the last row of the previous page as ``after`` (keyset paging, fast at any depth)
        or use ``offset``; ties are broken by id.
        """
        with self._lock:
            conds, params = self._where(flt or MessageFilter())
            column = f"m.{sort.value}"
            direction = "DESC" if descending else "ASC"
            if after is not None:
                conds.append(f"({column}, m.id) {'<' if descending else '>'} (?, ?)")
                params.extend((_sort_value(after, sort), after.id))
            where = f" WHERE {' AND '.join(conds)}" if conds else ""
            sql = (
                f"SELECT {_MESSAGE_COLUMNS} FROM messages AS m{where} "
                f"ORDER BY {column} {direction}, m.id {direction} LIMIT ? OFFSET ?"
            )
            rows = self._conn.execute(sql, (*params, limit, offset)).fetchall()
        return [_message(r) for r in rows]

    def count_messages(self, flt: MessageFilter | None = None) -> int:
        """How many messages match ``flt``."""
        with self._lock:
            conds, params = self._where(flt or MessageFilter())
            where = f" WHERE {' AND '.join(conds)}" if conds else ""
            row = self._conn.execute(
                f"SELECT count(*) FROM messages AS m{where}", params
            ).fetchone()
        return int(row[0])

    # -- suppressions ------------------------------------------------------------------------

    def add_suppression(self, suppression: Suppression) -> tuple[Suppression, bool]:
        """Store a suppression (``email`` already normalized); returns it and whether it was
        new (an existing one for the same address and scope is kept as it was)."""
        created = suppression.created_at or self.clock()
        lists = _list_ids(suppression.list_ids)
        with self.transaction() as conn:
            cursor = conn.execute(
                f"INSERT OR IGNORE INTO suppressions ({_SUPPRESSION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    suppression.email,
                    suppression.source.value,
                    suppression.reason,
                    suppression.account_id,
                    lists,
                    to_micros(created),
                    suppression.message_id,
                ),
            )
            row = conn.execute(
                f"SELECT {_SUPPRESSION_COLUMNS} FROM suppressions "
                "WHERE email = ? AND ifnull(account_id, '') = ? AND list_ids = ?",
                (suppression.email, suppression.account_id or "", lists),
            ).fetchone()
        return _suppression(row), cursor.rowcount == 1

    def remove_suppression(
        self, email: str, account_id: str | None, list_ids: Sequence[str] = ()
    ) -> bool:
        """Remove the suppression of exactly that address and scope; False if there was none."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM suppressions WHERE email = ? AND ifnull(account_id, '') = ? "
                "AND list_ids = ?",
                (email, account_id or "", _list_ids(list_ids)),
            )
            return cursor.rowcount > 0

    def list_suppressions(
        self, search: str = "", *, limit: int = 1000, offset: int = 0
    ) -> list[Suppression]:
        """Suppressions whose address or reason contains ``search``, newest first."""
        sql = f"SELECT {_SUPPRESSION_COLUMNS} FROM suppressions"
        params: list[Any] = []
        if search:
            email_cond, email_param = _like("email", search)
            reason_cond, reason_param = _like("reason", search)
            sql += f" WHERE {email_cond} OR {reason_cond}"
            params += [email_param, reason_param]
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        return [_suppression(r) for r in self._query(sql, [*params, limit, offset])]

    def matching_suppressions(
        self, emails: Iterable[str], account_id: str | None, list_id: str | None = None
    ) -> list[Suppression]:
        """Suppressions that stop mail to any of ``emails`` (normalized) from ``account_id``.

        A suppression for every account or for this one applies; one narrowed to SMS.BY lists
        applies only to a send to one of those lists (``list_id``).
        """
        unique = sorted(set(emails))
        found: list[Suppression] = []
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            sql = (
                f"SELECT {_SUPPRESSION_COLUMNS} FROM suppressions WHERE email IN "
                f"({', '.join('?' for _ in chunk)}) AND (account_id IS NULL OR account_id = ?) "
            )
            params: list[Any] = [*chunk, account_id]
            if list_id is None:
                sql += "AND list_ids = ''"
            else:
                sql += "AND (list_ids = '' OR instr(list_ids, ?) > 0)"
                params.append(f",{list_id},")
            found += [_suppression(r) for r in self._query(sql + " ORDER BY created_at", params)]
        return found

    # -- local templates ---------------------------------------------------------------------

    def save_template(self, template: LocalTemplate) -> LocalTemplate:
        """Create or replace a local template; returns it with ``updated_at`` set."""
        with self.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO templates ({_TEMPLATE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    template.id,
                    template.name,
                    template.subject,
                    template.html,
                    template.text,
                    _dumps(list(template.variables)),
                    self._now(),
                ),
            )
        return self.get_template(template.id)

    def get_template(self, template_id: str) -> LocalTemplate:
        """One local template; :class:`UnknownRecord` if there is none."""
        rows = self._query(
            f"SELECT {_TEMPLATE_COLUMNS} FROM templates WHERE id = ?", (template_id,)
        )
        if not rows:
            raise UnknownRecord(f"no template {template_id!r}")
        return _template(rows[0])

    def list_templates(self) -> list[LocalTemplate]:
        """Every local template, by name."""
        rows = self._query(
            f"SELECT {_TEMPLATE_COLUMNS} FROM templates ORDER BY name COLLATE NOCASE"
        )
        return [_template(r) for r in rows]

    def delete_template(self, template_id: str) -> bool:
        """Delete a local template; False if there was none."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM templates WHERE id = ?", (template_id,)).rowcount > 0
