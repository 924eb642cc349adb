"""Suppressions: scopes, automatic adds, the SMS.BY hook and CSV import/export."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailconsole.core.errors import RecipientRejected
from mailconsole.core.events import Event, EventType
from mailconsole.core.message import Suppression, SuppressionSource
from mailconsole.services.suppressions import (
    ImportReport,
    LineError,
    SuppressionService,
    SyncAction,
)
from mailconsole.store.journal import AccountRecord, Journal, MessageRecord

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def accounts(journal: Journal) -> Journal:
    journal.add_account(AccountRecord(id="acme", name="Acme", provider="mailingapi"))
    journal.add_account(AccountRecord(id="minsk", name="Minsk", provider="smsby"))
    return journal


@pytest.fixture
def service(accounts: Journal) -> SuppressionService:
    return SuppressionService(accounts, clock=lambda: T0)


async def test_add_normalizes_and_keeps_the_first(service: SuppressionService) -> None:
    added, answer = await service.add("Jane <JANE@Example.COM> ", reason="asked by phone")
    assert (added.email, added.account_id, added.source, answer) == (
        "jane@example.com",
        None,
        SuppressionSource.MANUAL,
        None,
    )
    again, _ = await service.add("jane@example.com", reason="other")
    assert again.reason == "asked by phone"
    assert len(await service.list()) == 1
    with pytest.raises(ValueError, match="not an email address"):
        await service.add("jane at example")
    with pytest.raises(ValueError, match="choose the account"):
        await service.add("a@example.com", list_ids=["1"])


async def test_scopes(service: SuppressionService) -> None:
    await service.add("all@example.com")
    await service.add("acme@example.com", account_id="acme")
    await service.add("list@example.com", account_id="minsk", list_ids=["7", "3"])
    assert await service.is_suppressed("ALL@example.com", "minsk") is not None
    assert await service.is_suppressed("acme@example.com", "acme") is not None
    assert await service.is_suppressed("acme@example.com", "minsk") is None
    assert await service.is_suppressed("list@example.com", "minsk") is None  # a direct send
    listed = await service.is_suppressed("list@example.com", "minsk", list_id="3")
    assert listed is not None and listed.list_ids == ("3", "7")
    assert await service.is_suppressed("list@example.com", "minsk", list_id="1") is None

    found = await service.check_recipients(
        ["nobody@example.com", "acme@example.com", "all@example.com", "acme@example.com"], "acme"
    )
    assert [s.email for s in found] == ["acme@example.com", "all@example.com"]

    assert [s.email for s in await service.search("ACME")] == ["acme@example.com"]
    assert (await service.remove("acme@example.com"))[0] is False  # not that scope
    assert (await service.remove("acme@example.com", account_id="acme"))[0] is True
    assert await service.is_suppressed("acme@example.com", "acme") is None


async def test_suppressions_from_events(service: SuppressionService) -> None:
    message = MessageRecord(
        id="m1", account_id="acme", provider="mailingapi", recipient="Bounce@example.com"
    )
    events = [
        Event(type=EventType.DELIVERED, timestamp=T0),
        Event(type=EventType.BOUNCED, timestamp=T0, raw_type="hard_bounce"),
        Event(type=EventType.COMPLAINED, timestamp=T0, recipient="complain@example.com"),
        Event(type=EventType.UNSUBSCRIBED, timestamp=T0, recipient="unsub@example.com"),
    ]
    added = await service.on_events(message, events)
    by_email = {s.email: s for s in added}
    assert by_email["bounce@example.com"].source is SuppressionSource.BOUNCED
    assert by_email["bounce@example.com"].account_id is None  # undeliverable everywhere
    assert by_email["bounce@example.com"].message_id == "m1"
    assert by_email["complain@example.com"].account_id == "acme"
    assert by_email["unsub@example.com"].source is SuppressionSource.UNSUBSCRIBED
    assert await service.on_events(message, events) == []  # already there


async def test_suppressions_from_provider_refusals(service: SuppressionService) -> None:
    refused = RecipientRejected(
        "Email receiver doesn't exist", reason="nonexistent", provider="emailmassivo"
    )
    stored = await service.on_rejection(
        refused, email="nobody@example.com", account_id="acme", message_id="m9"
    )
    assert stored is not None
    assert (stored.source, stored.reason, stored.account_id) == (
        SuppressionSource.PROVIDER_REFUSAL,
        "Email receiver doesn't exist",
        "acme",
    )
    busy = RecipientRejected("Email receiver unavailable", reason="unavailable")
    assert await service.on_rejection(busy, email="busy@example.com", account_id="acme") is None


async def test_smsby_changes_are_synced_first(accounts: Journal) -> None:
    calls: list[tuple[SyncAction, Suppression]] = []

    async def sync(action: SyncAction, suppression: Suppression) -> str | None:
        calls.append((action, suppression))
        if suppression.email.startswith("refused"):
            raise RuntimeError("SMS.BY: invalid email")
        return "OK"

    service = SuppressionService(accounts, sync=sync, clock=lambda: T0)
    _, answer = await service.add("a@example.com", account_id="minsk", list_ids=["1"])
    assert answer == "OK"
    assert calls[0][0] is SyncAction.UNSUBSCRIBE and calls[0][1].list_ids == ("1",)
    await service.add("b@example.com", account_id="acme")  # MailingAPI keeps no list here
    await service.add("c@example.com")  # every account: nothing to sync
    assert len(calls) == 1
    assert await service.remove("a@example.com", account_id="minsk", list_ids=["1"]) == (True, "OK")
    assert calls[1][0] is SyncAction.SUBSCRIBE
    with pytest.raises(RuntimeError, match="invalid email"):
        await service.add("refused@example.com", account_id="minsk")
    assert await service.is_suppressed("refused@example.com", "minsk") is None


CSV_IN = (
    "Email,Scope,Reason,Source,Created_At\n"
    "jane@example.com,all,asked,manual,2025-01-02T03:04:05+00:00\n"
    "\n"
    "not-an-address,all,,manual,\n"
    'acme@example.com,account:acme,"multi\nline reason",complained,2025-01-03T00:00:00Z\n'
    "x@example.com,account:ghost,,manual,\n"
    'list@example.com,"account:minsk:lists:1,2",,unsubscribed,\n'
    "y@example.com,all,,spam,\n"
    "z@example.com,all,,manual,yesterday\n"
    "jane@example.com,all,dup,manual,\n"
    "w@example.com,galaxy,,,\n"
    "v@example.com\n"
)


async def test_import_reports_bad_lines_by_number(service: SuppressionService) -> None:
    report = service.import_stream(io.StringIO(CSV_IN))
    assert (report.added, report.duplicates) == (4, 1)
    assert [e.line for e in report.errors] == [4, 7, 9, 10, 12]
    assert "not an email address" in report.errors[0].message
    assert "no account 'ghost'" in report.errors[1].message
    assert "unknown source 'spam'" in report.errors[2].message
    assert "ISO 8601" in report.errors[3].message
    assert "scope 'galaxy'" in report.errors[4].message
    listed = await service.is_suppressed("list@example.com", "minsk", list_id="2")
    assert listed is not None and listed.source is SuppressionSource.UNSUBSCRIBED
    acme = await service.is_suppressed("acme@example.com", "acme")
    assert acme is not None and acme.reason == "multi\nline reason"
    assert acme.created_at == datetime(2025, 1, 3, tzinfo=UTC)
    v = await service.is_suppressed("v@example.com", None)
    assert v is not None and v.created_at == T0


def test_import_without_email_column(service: SuppressionService) -> None:
    assert service.import_stream(io.StringIO("address,reason\na@x.com,r\n")) == ImportReport(
        errors=(LineError(1, "no 'email' column in the header"),)
    )
    assert service.import_stream(io.StringIO("")).errors == (LineError(1, "the file is empty"),)


async def test_export_import_round_trip(
    service: SuppressionService, accounts: Journal, tmp_path: Path
) -> None:
    service.import_stream(io.StringIO(CSV_IN))
    before = await service.list()
    path = tmp_path / "suppressions.csv"
    assert await service.export_csv(path) == len(before) == 4
    assert (
        path.read_text(encoding="utf-8").splitlines()[0] == "email,scope,reason,source,created_at"
    )

    with Journal.open(tmp_path / "other.sqlite3") as other:
        other.add_account(AccountRecord(id="acme", name="Acme", provider="mailingapi"))
        other.add_account(AccountRecord(id="minsk", name="Minsk", provider="smsby"))
        copy = SuppressionService(other, clock=lambda: T0)
        report = await copy.import_csv(path)
        assert (report.added, report.errors) == (4, ())
        assert sorted(await copy.list(), key=repr) == sorted(before, key=repr)
