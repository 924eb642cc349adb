"""Suppressions: addresses the console will not send to, and why.

A suppression applies to every account (``account_id`` None) or to one, and for SMS.BY may be
narrowed to mailing lists. They are added by hand, from provider events (a bounce suppresses the
address everywhere; a complaint or an unsubscribe only for the account it came through) and from
a provider's refusal of a recipient. For SMS.BY accounts, manual changes are mirrored at the
provider through the ``sync`` hook (its ``unsubscribeEmail``/``subscribeEmail``).

CSV columns: ``email, scope, reason, source, created_at``; ``scope`` is ``all``,
``account:<id>`` or ``account:<id>:lists:<id>,<id>``.
"""

from __future__ import annotations

import asyncio
import builtins
import csv
import io
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from mailconsole.core.capabilities import capabilities_for
from mailconsole.core.errors import RecipientRejected
from mailconsole.core.events import Event, EventType
from mailconsole.core.message import Address, Suppression, SuppressionSource
from mailconsole.store.journal import Journal, MessageRecord

log = logging.getLogger(__name__)

CSV_COLUMNS = ("email", "scope", "reason", "source", "created_at")

#: Which events suppress an address, with what source, and whether for every account.
EVENT_SOURCES: dict[EventType, tuple[SuppressionSource, bool]] = {
    EventType.BOUNCED: (SuppressionSource.BOUNCED, True),
    EventType.COMPLAINED: (SuppressionSource.COMPLAINED, False),
    EventType.UNSUBSCRIBED: (SuppressionSource.UNSUBSCRIBED, False),
}

#: RecipientRejected reasons that are temporary ("Email receiver unavailable") suppress nothing.
TEMPORARY_REJECTIONS = frozenset({"unavailable"})

_SCOPE = re.compile(r"^account:(?P<account>[^:]+)(?::lists:(?P<lists>[^:]*))?$")


class SyncAction(StrEnum):
    """What the provider is asked to do with an address."""

    UNSUBSCRIBE = "unsubscribe"
    SUBSCRIBE = "subscribe"


#: The SMS.BY hook: (action, suppression) -> the provider's answer to show, if any.
SuppressionSync = Callable[[SyncAction, Suppression], Awaitable[str | None]]


def normalize_email(text: str) -> str:
    """The address of ``text`` (display name dropped), stripped and lower-cased."""
    return Address.parse(text).email.strip().lower()


def _is_address(email: str) -> bool:
    local, at, domain = email.rpartition("@")
    return bool(at and local and domain and not any(c.isspace() or c in "<>," for c in email))


def format_scope(suppression: Suppression) -> str:
    """The CSV form of a suppression's scope."""
    if suppression.account_id is None:
        return "all"
    scope = f"account:{suppression.account_id}"
    if suppression.list_ids:
        scope += ":lists:" + ",".join(suppression.list_ids)
    return scope


def parse_scope(text: str) -> tuple[str | None, tuple[str, ...]]:
    """(account id or None, list ids) from :func:`format_scope`'s form; ValueError if bad."""
    text = text.strip()
    if text in ("", "all"):
        return None, ()
    match = _SCOPE.match(text)
    if match is None:
        raise ValueError(f"scope {text!r} is not 'all', 'account:<id>' or 'account:<id>:lists:…'")
    lists = tuple(i.strip() for i in (match["lists"] or "").split(",") if i.strip())
    return match["account"], lists


@dataclass(frozen=True, slots=True)
class LineError:
    """A CSV line that could not be imported."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: added, already present, and the lines refused (by line number)."""

    added: int = 0
    duplicates: int = 0
    errors: Sequence[LineError] = field(default_factory=tuple)


class SuppressionService:
    """Adds, removes, checks, imports and exports suppressions; coroutines over the journal.

    ``sync`` mirrors manual changes for accounts whose provider keeps its own list (SMS.BY).
    """

    def __init__(
        self,
        journal: Journal,
        sync: SuppressionSync | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.journal = journal
        self.sync = sync
        self.clock = clock

    # -- manual ------------------------------------------------------------------------------

    async def _synced(self, account_id: str | None) -> bool:
        if self.sync is None or account_id is None:
            return False
        account = await asyncio.to_thread(self.journal.get_account, account_id)
        return capabilities_for(account.provider).suppression_sync

    async def add(
        self,
        email: str,
        *,
        account_id: str | None = None,
        list_ids: Sequence[str] = (),
        reason: str = "",
        source: SuppressionSource = SuppressionSource.MANUAL,
        message_id: str | None = None,
    ) -> tuple[Suppression, str | None]:
        """Suppress an address; returns the suppression and the provider's answer, if synced.

        For an SMS.BY account the provider is asked first, so a refusal there (raised by the
        hook) leaves nothing half-done.
        """
        address = normalize_email(email)
        if not _is_address(address):
            raise ValueError(f"{email!r} is not an email address")
        if list_ids and account_id is None:
            raise ValueError("mailing lists belong to one account; choose the account")
        suppression = Suppression(
            email=address,
            source=source,
            reason=reason.strip(),
            account_id=account_id,
            list_ids=tuple(list_ids),
            created_at=self.clock(),
            message_id=message_id,
        )
        answer = None
        if (
            self.sync is not None
            and source is SuppressionSource.MANUAL
            and await self._synced(account_id)
        ):
            answer = await self.sync(SyncAction.UNSUBSCRIBE, suppression)
        stored, created = await asyncio.to_thread(self.journal.add_suppression, suppression)
        if created:
            log.info("suppressed %s (%s)", address, source.value)
        return stored, answer

    async def remove(
        self, email: str, *, account_id: str | None = None, list_ids: Sequence[str] = ()
    ) -> tuple[bool, str | None]:
        """Lift the suppression of exactly that scope; returns (removed, provider's answer)."""
        address = normalize_email(email)
        answer = None
        if self.sync is not None and await self._synced(account_id):
            target = Suppression(
                email=address,
                source=SuppressionSource.MANUAL,
                account_id=account_id,
                list_ids=tuple(list_ids),
            )
            answer = await self.sync(SyncAction.SUBSCRIBE, target)
        removed = await asyncio.to_thread(
            self.journal.remove_suppression, address, account_id, list_ids
        )
        return removed, answer

    async def list(self, *, limit: int = 1000, offset: int = 0) -> list[Suppression]:
        """Every suppression, newest first."""
        return await self.search("", limit=limit, offset=offset)

    async def search(
        self, text: str, *, limit: int = 1000, offset: int = 0
    ) -> builtins.list[Suppression]:
        """Suppressions whose address or reason contains ``text``, newest first."""
        return await asyncio.to_thread(
            self.journal.list_suppressions, text.strip(), limit=limit, offset=offset
        )

    # -- checks ------------------------------------------------------------------------------

    async def is_suppressed(
        self, email: str, account_id: str | None, list_id: str | None = None
    ) -> Suppression | None:
        """The suppression that stops mail to ``email`` from ``account_id``, if any."""
        found = await self.check_recipients([email], account_id, list_id)
        return found[0] if found else None

    async def check_recipients(
        self, addresses: Iterable[str], account_id: str | None, list_id: str | None = None
    ) -> builtins.list[Suppression]:
        """The suppressions that stop any of ``addresses`` (one per suppressed address)."""
        return await asyncio.to_thread(self.find_suppressed, list(addresses), account_id, list_id)

    def find_suppressed(
        self, addresses: Iterable[str], account_id: str | None, list_id: str | None = None
    ) -> builtins.list[Suppression]:
        """:meth:`check_recipients`, blocking: for callers already in a worker thread (a bulk
        send checks 10,000 addresses at once)."""
        wanted = [normalize_email(a) for a in addresses]
        found = self.journal.matching_suppressions(wanted, account_id, list_id)
        first: dict[str, Suppression] = {}
        for s in found:
            first.setdefault(s.email, s)
        return [first[e] for e in dict.fromkeys(wanted) if e in first]

    # -- automatic ---------------------------------------------------------------------------

    async def on_events(
        self, message: MessageRecord, events: Iterable[Event]
    ) -> builtins.list[Suppression]:
        """Suppress the recipient of bounced, complained or unsubscribed events; returns the
        suppressions that are new."""
        added = []
        for event in events:
            rule = EVENT_SOURCES.get(event.type)
            if rule is None:
                continue
            source, everywhere = rule
            stored, created = await asyncio.to_thread(
                self.journal.add_suppression,
                Suppression(
                    email=normalize_email(event.recipient or message.recipient),
                    source=source,
                    reason=f"{event.raw_type or event.type.value} reported by {message.provider}",
                    account_id=None if everywhere else message.account_id,
                    created_at=event.timestamp,
                    message_id=message.id,
                ),
            )
            if created:
                added.append(stored)
        return added

    async def on_rejection(
        self,
        error: RecipientRejected,
        *,
        email: str,
        account_id: str,
        message_id: str | None = None,
    ) -> Suppression | None:
        """Suppress an address the provider refused (not for temporary refusals)."""
        if error.reason in TEMPORARY_REJECTIONS:
            return None
        stored, _ = await asyncio.to_thread(
            self.journal.add_suppression,
            Suppression(
                email=normalize_email(email),
                source=SuppressionSource.PROVIDER_REFUSAL,
                reason=error.message,
                account_id=account_id,
                created_at=self.clock(),
                message_id=message_id,
            ),
        )
        return stored

    # -- CSV ---------------------------------------------------------------------------------

    async def import_csv(self, path: Path) -> ImportReport:
        """Import suppressions from a CSV file (see the module docstring); bad lines are
        reported by line number and skipped. Nothing is synced to providers."""

        def run() -> ImportReport:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                return self.import_stream(stream)

        return await asyncio.to_thread(run)

    def import_stream(self, stream: TextIO) -> ImportReport:
        """:meth:`import_csv` on an open text stream (blocking)."""
        reader = csv.reader(stream)
        errors: builtins.list[LineError] = []
        added = duplicates = 0
        try:
            header = next(reader)
        except StopIteration:
            return ImportReport(errors=(LineError(1, "the file is empty"),))
        except csv.Error as exc:
            return ImportReport(errors=(LineError(1, f"unreadable CSV: {exc}"),))
        columns = {name.strip().lower(): i for i, name in enumerate(header)}
        if "email" not in columns:
            return ImportReport(errors=(LineError(1, "no 'email' column in the header"),))
        accounts = {a.id for a in self.journal.list_accounts()}
        line = reader.line_num + 1
        while True:
            start = line
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                errors.append(LineError(start, f"unreadable CSV: {exc}"))
                line = reader.line_num + 1
                continue
            line = reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue

            def cell(name: str, row: builtins.list[str] = row) -> str:
                index = columns.get(name)
                return row[index].strip() if index is not None and index < len(row) else ""

            try:
                suppression = self._from_csv(cell, accounts)
            except ValueError as exc:
                errors.append(LineError(start, str(exc)))
                continue
            _, created = self.journal.add_suppression(suppression)
            if created:
                added += 1
            else:
                duplicates += 1
        return ImportReport(added=added, duplicates=duplicates, errors=tuple(errors))

    def _from_csv(self, cell: Callable[[str], str], accounts: set[str]) -> Suppression:
        email = normalize_email(cell("email"))
        if not _is_address(email):
            raise ValueError(f"{cell('email')!r} is not an email address")
        account_id, lists = parse_scope(cell("scope"))
        if account_id is not None and account_id not in accounts:
            raise ValueError(f"no account {account_id!r}")
        source_text = cell("source").lower() or SuppressionSource.MANUAL.value
        try:
            source = SuppressionSource(source_text)
        except ValueError:
            known = ", ".join(s.value for s in SuppressionSource)
            raise ValueError(f"unknown source {source_text!r} (one of {known})") from None
        created_text = cell("created_at")
        created = self.clock()
        if created_text:
            try:
                created = datetime.fromisoformat(created_text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"created_at {created_text!r} is not an ISO 8601 time") from None
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
        return Suppression(
            email=email,
            source=source,
            reason=cell("reason"),
            account_id=account_id,
            list_ids=lists,
            created_at=created,
        )

    async def export_csv(self, path: Path) -> int:
        """Write every suppression to a CSV file; returns how many."""

        def run() -> int:
            buffer = io.StringIO()
            count = self.export_stream(buffer)
            path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
            return count

        return await asyncio.to_thread(run)

    def export_stream(self, stream: TextIO) -> int:
        """:meth:`export_csv` to an open text stream (blocking)."""
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        count = offset = 0
        while True:
            page = self.journal.list_suppressions(limit=5000, offset=offset)
            for s in page:
                created = (s.created_at or self.clock()).astimezone(UTC).isoformat()
                writer.writerow((s.email, format_scope(s), s.reason, s.source.value, created))
            count += len(page)
            offset += len(page)
            if len(page) < 5000:
                return count
