"""The sandbox's memory: stored messages (in memory) and optional SQLite persistence.

Messages are kept as small ``__slots__`` objects holding their event plan (see
:mod:`mailconsole.sandbox.lifecycle`), never as tasks. With ``--state FILE`` every accepted
message and every other piece of provider state (idempotency keys, lists, suppressions,
counters) is written through to SQLite (WAL, ``synchronous=NORMAL``) and read back on start.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mailconsole.sandbox.lifecycle import Event as LifecycleEvent
from mailconsole.sandbox.lifecycle import Plan, current_code, events_at, plan_from_record, time_of


class StoredMessage:
    """One accepted message and its plan; ``extra`` holds provider-specific fields."""

    __slots__ = (
        "accepted_at",
        "attachments",
        "bcc",
        "cancelled_at",
        "cc",
        "extra",
        "html",
        "id",
        "plan",
        "provider",
        "sender",
        "subject",
        "text",
        "to",
    )

    def __init__(
        self,
        *,
        provider: str,
        id: str,
        sender: str,
        to: tuple[str, ...],
        subject: str,
        html: str | None,
        text: str | None,
        accepted_at: float,
        plan: Plan,
        cc: tuple[str, ...] = (),
        bcc: tuple[str, ...] = (),
        attachments: tuple[tuple[str, int], ...] = (),
        extra: dict[str, Any] | None = None,
        cancelled_at: float | None = None,
    ) -> None:
        self.provider = provider
        self.id = id
        self.sender = sender
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.subject = subject
        self.html = html
        self.text = text
        self.attachments = attachments
        self.accepted_at = accepted_at
        self.plan = plan
        self.extra = extra
        self.cancelled_at = cancelled_at

    def get(self, key: str, default: Any = None) -> Any:
        """A provider-specific field."""
        return default if self.extra is None else self.extra.get(key, default)

    def code(self, now: float) -> str:
        """The normalized status at ``now``."""
        return current_code(self.accepted_at, self.plan, now, self.cancelled_at)

    def events(self, now: float) -> list[LifecycleEvent]:
        """The events that have happened by ``now``, oldest first."""
        return events_at(self.accepted_at, self.plan, now, self.cancelled_at)

    def time_of(self, code: str, now: float) -> float | None:
        """When ``code`` happened, if it has by ``now``."""
        if self.cancelled_at is not None:
            now = min(now, self.cancelled_at)
        return time_of(self.accepted_at, self.plan, code, now)

    def send_time(self) -> float | None:
        """When the message is (or was) planned to reach ``sent``, ignoring the clock."""
        if self.cancelled_at is not None:
            return None
        for offset, code in self.plan:
            if code == "sent":
                return self.accepted_at + offset
        return None

    def to_record(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "id": self.id,
            "from": self.sender,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "subject": self.subject,
            "html": self.html,
            "text": self.text,
            "attachments": [list(item) for item in self.attachments],
            "accepted_at": self.accepted_at,
            "plan": [list(step) for step in self.plan],
            "extra": self.extra,
            "cancelled_at": self.cancelled_at,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> StoredMessage:
        return cls(
            provider=record["provider"],
            id=record["id"],
            sender=record["from"],
            to=tuple(record["to"]),
            cc=tuple(record["cc"]),
            bcc=tuple(record["bcc"]),
            subject=record["subject"],
            html=record["html"],
            text=record["text"],
            attachments=tuple((str(a[0]), int(a[1])) for a in record["attachments"]),
            accepted_at=float(record["accepted_at"]),
            plan=plan_from_record(record["plan"]),
            extra=record["extra"],
            cancelled_at=record["cancelled_at"],
        )


class Persistence:
    """Write-through SQLite storage of messages and keyed provider records."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS messages ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, id TEXT NOT NULL,"
            " data TEXT NOT NULL, UNIQUE(provider, id))"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records ("
            " kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY(kind, id))"
        )

    def close(self) -> None:
        self._db.close()

    def save_messages(self, messages: Iterable[StoredMessage]) -> None:
        rows = [(m.provider, m.id, json.dumps(m.to_record())) for m in messages]
        if not rows:
            return
        with self._transaction():
            self._db.executemany(
                "INSERT INTO messages(provider, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT(provider, id) DO UPDATE SET data = excluded.data",
                rows,
            )

    def load_messages(self) -> Iterator[StoredMessage]:
        for (data,) in self._db.execute("SELECT data FROM messages ORDER BY seq"):
            yield StoredMessage.from_record(json.loads(data))

    def put(self, kind: str, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO records(kind, id, data) VALUES (?, ?, ?)",
            (kind, key, json.dumps(value)),
        )

    def delete(self, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, key))

    def load(self, kind: str) -> dict[str, Any]:
        rows = self._db.execute("SELECT id, data FROM records WHERE kind = ?", (kind,))
        return {key: json.loads(data) for key, data in rows}

    def clear(self) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM messages")
            self._db.execute("DELETE FROM records")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


class MessageStore:
    """Every accepted message of every provider, in acceptance order, plus persistence."""

    def __init__(self, persistence: Persistence | None = None) -> None:
        self.persistence = persistence
        self.by_provider: dict[str, dict[str, StoredMessage]] = {}

    def clear(self) -> None:
        self.by_provider.clear()

    def load(self) -> None:
        """Read the messages back from persistence (after a restart)."""
        if self.persistence is None:
            return
        for message in self.persistence.load_messages():
            self.by_provider.setdefault(message.provider, {})[message.id] = message

    def add(self, message: StoredMessage) -> None:
        self.by_provider.setdefault(message.provider, {})[message.id] = message
        if self.persistence is not None:
            self.persistence.save_messages((message,))

    def add_many(self, messages: list[StoredMessage]) -> None:
        for message in messages:
            self.by_provider.setdefault(message.provider, {})[message.id] = message
        if self.persistence is not None:
            self.persistence.save_messages(messages)

    def update(self, message: StoredMessage) -> None:
        """Persist a changed message (a cancel)."""
        if self.persistence is not None:
            self.persistence.save_messages((message,))

    def get(self, provider: str, message_id: str) -> StoredMessage | None:
        return self.by_provider.get(provider, {}).get(message_id)

    def of(self, provider: str) -> dict[str, StoredMessage]:
        """The provider's messages by id, in acceptance order."""
        return self.by_provider.setdefault(provider, {})

    def all(self) -> Iterator[StoredMessage]:
        for messages in self.by_provider.values():
            yield from messages.values()

    def count(self) -> int:
        return sum(len(messages) for messages in self.by_provider.values())
