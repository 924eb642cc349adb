"""Scheduled messages: the journal's, the console's own send-laters, and MailingAPI's list.

- MailingAPI schedules (``scheduled_at``) and can cancel; its ``list_scheduled`` is merged with
  the journal, de-duplicated by provider id, so a message scheduled outside the console shows too.
- eMsgNow (``notBefore``/``notAfter``) and SMS.BY (``d_schedule``) schedule but cannot cancel:
  their rows say why Cancel is disabled.
- EmailMassivo cannot schedule: the console keeps a send-later in its outbox (``send_at`` in the
  future, ``held_by="console"``) and its due-checker task sends it when due, which only happens
  while the console runs; such a row is cancelled locally.

Row ids say where a row comes from: ``message:<journal id>``, ``outbox:<entry id>`` or
``provider:<account id>:<provider id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from mailconsole.core.capabilities import capabilities_for
from mailconsole.core.errors import ProviderError, UnsupportedFeature
from mailconsole.core.events import Event, EventType
from mailconsole.core.message import ProviderMessage
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.facade_types import ScheduledRow
from mailconsole.services.outbox import Delivery, Outbox, cancel_accepted, held_entries
from mailconsole.services.retry import with_retries
from mailconsole.store.journal import Journal, MessageFilter, MessageRecord, UnknownRecord

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

HELD_LOCALLY = (
    "Held by Mail Console: EmailMassivo cannot schedule, so the console sends it at that time "
    "— only while the console is running"
)

CANNOT_CANCEL: dict[str, str] = {
    "emsgnow": (
        "eMsgNow cannot cancel a scheduled message: it is sent between its notBefore and "
        "notAfter times, or expires"
    ),
    "smsby": "SMS.BY cannot cancel a send scheduled with d_schedule",
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def cancel_reason(provider: str) -> str:
    """Why a provider-held row cannot be cancelled ('' when it can)."""
    if capabilities_for(provider).cancel_scheduled:
        return ""
    name = capabilities_for(provider).display_name
    return CANNOT_CANCEL.get(provider, f"{name} cannot cancel a scheduled message")


class ScheduleService:
    """The Scheduled tab's rows and Cancel, plus the due-checker for local send-laters."""

    def __init__(
        self,
        journal: Journal,
        clients: ClientRegistry,
        outbox: Outbox,
        *,
        clock: Clock = _utcnow,
    ) -> None:
        self.journal = journal
        self.clients = clients
        self.outbox = outbox
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    # -- rows --------------------------------------------------------------------------------

    async def rows(self) -> list[ScheduledRow]:
        """Every scheduled message, soonest first (provider lists merged, de-duplicated)."""
        rows = await asyncio.to_thread(self._journal_rows)
        provider_ids = set(await asyncio.to_thread(self._provider_ids))
        accounts = await asyncio.to_thread(self.journal.list_accounts)
        for account in accounts:
            caps = capabilities_for(account.provider)
            if not (caps.message_listing and caps.cancel_scheduled):
                continue
            try:
                client = await self.clients.client(account.id)
                listed = await with_retries(client.list_scheduled, self.outbox.policy)
            except ProviderError as error:
                log.warning("listing %s's scheduled messages failed: %s", account.name, error)
                continue
            for item in listed:
                if (account.id, item.provider_message_id) in provider_ids:
                    continue
                rows.append(self._provider_row(account.id, item))
        rows.sort(key=lambda r: r.send_at)
        return rows

    def _provider_ids(self) -> list[tuple[str, str]]:
        """(account, provider id) of the journal's scheduled messages (blocking)."""
        return [
            (r.account_id, r.provider_message_id)
            for r in self._scheduled_records()
            if r.provider_message_id
        ]

    def _scheduled_records(self) -> list[MessageRecord]:
        flt = MessageFilter(scheduled=True, states=frozenset({EventType.SCHEDULED}))
        return self.journal.page_messages(flt, limit=100_000, descending=False)

    def _journal_rows(self) -> list[ScheduledRow]:
        """The journal's provider-held scheduled messages and the outbox's send-laters."""
        rows: list[ScheduledRow] = []
        for record in self._scheduled_records():
            expire_at = None
            if record.outbox_id:
                with contextlib.suppress(UnknownRecord):
                    expire_at = self.journal.get_outbox(record.outbox_id).message.expire_at
            reason = cancel_reason(record.provider)
            rows.append(
                ScheduledRow(
                    id=f"message:{record.id}",
                    account_id=record.account_id,
                    recipient=record.recipient,
                    subject=record.subject,
                    send_at=record.scheduled_at or record.created_at,
                    expire_at=expire_at,
                    held_by="provider",
                    state=record.state.value,
                    can_cancel=not reason,
                    cancel_reason=reason,
                )
            )
        for entry in held_entries(self.journal):
            message = entry.message
            rows.append(
                ScheduledRow(
                    id=f"outbox:{entry.id}",
                    account_id=entry.account_id,
                    recipient=", ".join(a.email for a in message.to),
                    subject=message.subject,
                    send_at=entry.send_at or entry.next_attempt_at,
                    expire_at=message.expire_at,
                    held_by="console",
                    state=HELD_LOCALLY,
                    can_cancel=True,
                )
            )
        return rows

    @staticmethod
    def _provider_row(account_id: str, item: ProviderMessage) -> ScheduledRow:
        return ScheduledRow(
            id=f"provider:{account_id}:{item.provider_message_id}",
            account_id=account_id,
            recipient=", ".join(item.to),
            subject=item.subject,
            send_at=item.scheduled_at or item.created_at or datetime.now(UTC),
            expire_at=item.expire_at,
            held_by="provider",
            state=item.raw_status or item.status.value,
            can_cancel=True,
        )

    # -- cancelling --------------------------------------------------------------------------

    async def cancel(self, row_id: str) -> None:
        """Cancel a row: at the provider where it can, locally for a send-later.

        Raises ``UnsupportedFeature`` with the reason where the provider cannot cancel, and the
        provider's error when it refuses.
        """
        kind, _, rest = row_id.partition(":")
        if kind == "outbox":
            await self.outbox.cancel(rest)
            return
        if kind == "message":
            record = await asyncio.to_thread(self.journal.get_message, rest)
            account_id, pmid = record.account_id, record.provider_message_id
        elif kind == "provider":
            account_id, _, pmid = rest.partition(":")
        else:
            raise ValueError(f"not a scheduled row id: {row_id!r}")
        provider = await self.clients.provider(account_id)
        reason = cancel_reason(provider)
        if reason:
            raise UnsupportedFeature(reason, provider=provider, code="unsupported")
        if not pmid:
            raise ValueError(f"row {row_id!r} has no provider message id")
        client = await self.clients.client(account_id)
        await with_retries(lambda: client.cancel_scheduled(pmid), self.outbox.policy)
        await asyncio.to_thread(self._record_cancel, account_id, pmid)

    def _record_cancel(self, account_id: str, pmid: str) -> None:
        """Append ``cancelled`` to the journal's messages of that id and cancel their outbox
        entry (blocking)."""
        now = self.clock()
        event = Event(
            type=EventType.CANCELLED,
            timestamp=now,
            provider_event_id=f"cancelled:{pmid}",
            raw_type="cancelled",
            raw={"source": "console", "action": "cancel_scheduled"},
        )
        for record in self.journal.find_by_provider_id(account_id, pmid):
            self.journal.append_events(record.id, [event])
            if record.outbox_id:
                cancel_accepted(self.journal, record.outbox_id, now)

    # -- the due-checker ---------------------------------------------------------------------

    async def send_due(self, now: datetime | None = None) -> list[Delivery]:
        """Send the local send-laters whose time has come."""
        return await self.outbox.send_due(now or self.clock())

    def start(self, interval: float = 5.0) -> asyncio.Task[None]:
        """Run the due-checker every ``interval`` seconds in a named task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(interval), name="send-later-due-checker")
        return self._task

    async def stop(self) -> None:
        """Cancel the due-checker and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})

    async def _run(self, interval: float) -> None:
        while True:
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sending due send-laters failed")
            await asyncio.sleep(interval)
