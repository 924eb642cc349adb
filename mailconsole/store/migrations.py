"""The journal's schema as an ordered list of migrations; ``PRAGMA user_version`` records how
many have been applied.

Migration ``n`` (1-based) takes a file from version ``n - 1`` to ``n``. Each runs in its own
transaction together with the version bump, so a failed migration leaves the file as it was.
Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

Migration = Callable[[sqlite3.Connection], None]


class JournalTooNew(RuntimeError):
    """The file was written by a newer Mail Console whose schema this version does not know."""


def _statements(*sql: str) -> Migration:
    """A migration that runs the given SQL statements in order."""

    def run(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return run


_V1_TABLES = _statements(
    """
    CREATE TABLE accounts (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        provider        TEXT NOT NULL,
        base_url        TEXT NOT NULL DEFAULT '',
        default_sender  TEXT NOT NULL DEFAULT '',
        settings        TEXT NOT NULL DEFAULT '{}',   -- JSON, non-secret settings only
        is_sandbox      INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL              -- microseconds since the epoch, UTC
    )
    """,
    """
    CREATE TABLE drafts (
        account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name        TEXT NOT NULL DEFAULT '',         -- '' is the autosaved draft
        fields      TEXT NOT NULL,                    -- JSON of the compose fields
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (account_id, name)
    )
    """,
    """
    CREATE TABLE bulk_sends (
        id              TEXT PRIMARY KEY,
        account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        csv_path        TEXT NOT NULL DEFAULT '',
        column_mapping  TEXT NOT NULL DEFAULT '{}',   -- JSON
        total_rows      INTEGER NOT NULL DEFAULT 0,
        skipped_rows    INTEGER NOT NULL DEFAULT 0,   -- invalid or suppressed, never queued
        state           TEXT NOT NULL DEFAULT 'running',
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE blobs (
        sha256   TEXT PRIMARY KEY,
        content  BLOB NOT NULL
    )
    """,
    """
    CREATE TABLE outbox (
        id                   TEXT PRIMARY KEY,        -- the console message id (client reference)
        account_id           TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        bulk_id              TEXT REFERENCES bulk_sends(id) ON DELETE CASCADE,
        line                 INTEGER,
        state                TEXT NOT NULL CHECK (state IN
                                 ('queued', 'sending', 'accepted', 'rejected', 'unknown',
                                  'cancelled')),
        idempotency_key      TEXT,
        request              TEXT NOT NULL,           -- JSON of the Message; attachments by hash
        send_at              INTEGER,
        attempts             INTEGER NOT NULL DEFAULT 0,
        next_attempt_at      INTEGER NOT NULL,
        last_error           TEXT,
        provider_message_id  TEXT,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL
    )
    """,
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
    "CREATE INDEX outbox_bulk ON outbox (bulk_id, line)",
    """
    CREATE TABLE messages (
        id                   TEXT PRIMARY KEY,
        outbox_id            TEXT REFERENCES outbox(id) ON DELETE SET NULL,
        account_id           TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider             TEXT NOT NULL,
        provider_message_id  TEXT,
        recipient            TEXT NOT NULL,
        subject              TEXT NOT NULL DEFAULT '',
        sender               TEXT NOT NULL DEFAULT '',
        state                TEXT NOT NULL,           -- derived from events (derive_state)
        last_event           TEXT,                    -- type of the latest event by time
        created_at           INTEGER NOT NULL,
        last_event_at        INTEGER NOT NULL,        -- created_at until an event arrives
        scheduled_at         INTEGER,
        final                INTEGER NOT NULL DEFAULT 0,
        next_poll_at         INTEGER,
        poll_interval        REAL
    )
    """,
    "CREATE INDEX messages_created ON messages (created_at, id)",
    "CREATE INDEX messages_last_event ON messages (last_event_at, id)",
    "CREATE INDEX messages_account ON messages (account_id, created_at, id)",
    "CREATE INDEX messages_state ON messages (state, created_at, id)",
    "CREATE INDEX messages_outbox ON messages (outbox_id)",
    "CREATE INDEX messages_provider_id ON messages (account_id, provider_message_id)",
    """
    CREATE INDEX messages_poll ON messages (next_poll_at)
        WHERE final = 0 AND next_poll_at IS NOT NULL
    """,
    """
    CREATE TABLE events (
        id                 INTEGER PRIMARY KEY,
        message_id         TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        type               TEXT NOT NULL,
        timestamp          INTEGER NOT NULL,
        provider_event_id  TEXT,
        dedup_key          TEXT NOT NULL,
        recipient          TEXT NOT NULL DEFAULT '',
        raw_type           TEXT NOT NULL DEFAULT '',
        raw                TEXT,                      -- JSON of the provider's payload
        recorded_at        INTEGER NOT NULL,
        UNIQUE (message_id, dedup_key)
    )
    """,
    """
    CREATE TABLE suppressions (
        id          INTEGER PRIMARY KEY,
        email       TEXT NOT NULL,                    -- normalized lower-case
        account_id  TEXT REFERENCES accounts(id) ON DELETE CASCADE,  -- NULL: every account
        list_ids    TEXT NOT NULL DEFAULT '',         -- ',1,2,' SMS.BY lists; '': all lists
        reason      TEXT NOT NULL DEFAULT '',
        source      TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        message_id  TEXT
    )
    """,
    """
    CREATE UNIQUE INDEX suppressions_scope
        ON suppressions (email, ifnull(account_id, ''), list_ids)
    """,
    """
    CREATE TABLE templates (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        subject     TEXT NOT NULL DEFAULT '',
        html        TEXT NOT NULL DEFAULT '',
        text        TEXT NOT NULL DEFAULT '',
        variables   TEXT NOT NULL DEFAULT '[]',       -- JSON list of names
        updated_at  INTEGER NOT NULL
    )
    """,
)

_V2_SEARCH_INDEX = _statements(
    # A trigram index over what the Timeline's free-text search looks at. It only narrows the
    # candidates for selective searches; the LIKE conditions still decide (see journal.py).
    """
    CREATE VIRTUAL TABLE messages_search USING fts5 (
        recipient, subject, sender,
        content='messages', content_rowid='rowid', tokenize='trigram'
    )
    """,
    """
    CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_search (rowid, recipient, subject, sender)
        VALUES (new.rowid, new.recipient, new.subject, new.sender);
    END
    """,
    """
    CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_search (messages_search, rowid, recipient, subject, sender)
        VALUES ('delete', old.rowid, old.recipient, old.subject, old.sender);
    END
    """,
    """
    CREATE TRIGGER messages_search_update AFTER UPDATE OF recipient, subject, sender
    ON messages BEGIN
        INSERT INTO messages_search (messages_search, rowid, recipient, subject, sender)
        VALUES ('delete', old.rowid, old.recipient, old.subject, old.sender);
        INSERT INTO messages_search (rowid, recipient, subject, sender)
        VALUES (new.rowid, new.recipient, new.subject, new.sender);
    END
    """,
    "INSERT INTO messages_search (messages_search) VALUES ('rebuild')",
)

#: Every migration, oldest first; the schema version is ``len(MIGRATIONS)``.
MIGRATIONS: Sequence[Migration] = (_V1_TABLES, _V2_SEARCH_INDEX)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's ``user_version``: how many migrations it has had."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS
) -> tuple[int, int]:
    """Apply the missing migrations; returns (version before, version after).

    ``conn`` must be in autocommit mode (``isolation_level=None``). Raises
    :class:`JournalTooNew` for a file from a newer schema, which is left untouched.
    """
    before = schema_version(conn)
    target = len(migrations)
    while True:
        conn.execute("BEGIN IMMEDIATE")  # re-read under the write lock: another process may
        try:  # have migrated the file meanwhile
            version = schema_version(conn)
            if version > target:
                raise JournalTooNew(
                    f"This journal has schema version {version}, but this Mail Console knows "
                    f"only up to {target}. Use a newer Mail Console, or choose another data "
                    "directory."
                )
            if version == target:
                conn.execute("COMMIT")
                return before, target
            migrations[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
