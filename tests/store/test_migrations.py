"""The journal's file: creation, pragmas, paths and migrations from older versions."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailconsole.store import paths
from mailconsole.store.journal import Journal, MessageFilter
from mailconsole.store.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    JournalTooNew,
    migrate,
    schema_version,
)

TABLES = {
    "accounts",
    "drafts",
    "outbox",
    "messages",
    "events",
    "suppressions",
    "templates",
    "bulk_sends",
    "blobs",
    "messages_search",
}


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def test_new_file_has_schema_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal.open(path) as journal:
        conn = journal._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    assert _tables(path) >= TABLES
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_data_dir_override_env_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "env"))
    assert paths.data_dir() == tmp_path / "env"
    assert paths.data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert paths.journal_path() == tmp_path / "env" / paths.JOURNAL_FILE
    assert (tmp_path / "env").is_dir()
    monkeypatch.delenv(paths.DATA_DIR_ENV)
    assert paths.data_dir().name == "mailconsole"


def test_open_with_env_and_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "data"))
    with Journal.open() as journal:
        assert journal.path == tmp_path / "data" / paths.JOURNAL_FILE
    with Journal.open(tmp_path / "data") as journal:
        assert journal.path == tmp_path / "data" / paths.JOURNAL_FILE
    with Journal.open(tmp_path / "fresh" / "dir") as journal:  # a directory not yet made
        assert journal.path == tmp_path / "fresh" / "dir" / paths.JOURNAL_FILE


def test_migrates_version_0_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()  # an empty database: user_version 0
    with Journal.open(path) as journal:
        assert schema_version(journal._conn) == SCHEMA_VERSION
    assert _tables(path) >= TABLES


def test_migrates_version_1_file_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == (0, 1)
    conn.execute(
        "INSERT INTO accounts (id, name, provider, created_at) VALUES ('a', 'A', 'mailingapi', 0)"
    )
    conn.execute(
        "INSERT INTO messages (id, account_id, provider, recipient, subject, state, created_at, "
        "last_event_at) VALUES ('m1', 'a', 'mailingapi', 'jane@example.com', 'Invoice 42', "
        "'delivered', 0, 0)"
    )
    conn.close()
    assert "messages_search" not in _tables(path)

    with Journal.open(path) as journal:
        assert schema_version(journal._conn) == SCHEMA_VERSION
        assert [a.id for a in journal.list_accounts()] == ["a"]
        # the search index added by version 2 covers rows written before it
        found = journal.page_messages(MessageFilter(text="invoice 42"))
        assert [m.id for m in found] == ["m1"]
        assert found[0].created_at == datetime(1970, 1, 1, tzinfo=UTC)


def test_failed_migration_leaves_file_as_it_was(tmp_path: Path) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    conn = sqlite3.connect(tmp_path / "f.sqlite3", isolation_level=None)
    try:
        migrate(conn, MIGRATIONS[:1])
        with pytest.raises(RuntimeError, match="boom"):
            migrate(conn, (*MIGRATIONS[:1], broken))
        assert schema_version(conn) == 1
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in names
    finally:
        conn.close()


def test_refuses_file_from_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(JournalTooNew, match="newer Mail Console"):
        Journal.open(path)
    conn = sqlite3.connect(path)
    try:
        assert schema_version(conn) == SCHEMA_VERSION + 1
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    finally:
        conn.close()
