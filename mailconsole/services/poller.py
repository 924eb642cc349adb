"""The event poller: asks providers what happened to the journal's messages until each reaches a
final state.

Each message not yet final carries ``next_poll_at`` and ``poll_interval`` in the journal. A poll
that brings new events starts the interval again at ``initial`` (5 s); one that brings nothing
doubles it, up to ``maximum`` (30 min). A message stops being polled at a final state
(``mailconsole.core.events.FINAL_STATES``, the journal clears ``next_poll_at``) or ``give_up_after``
(7 days) after it was created. Every request goes through the account's one client, so polls and
sends share the account's pacer, the provider's budget.

- EmailMassivo has no events: its messages are never polled (the journal is their history).
- SMS.BY ``bulk:<uuid>:<email>`` messages of one mailing are read with ONE ``statusBulkEmail``
  call for the whole mailing, and its statuses are shared out by recipient.
- New events are appended through the journal (de-duplicated; state follows CONTRACT.md's
  precedence) and bounced/complained/unsubscribed ones are passed to the suppression service.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mailconsole.core.capabilities import capabilities_for
from mailconsole.core.errors import AuthError, ProviderError
from mailconsole.core.events import Event
from mailconsole.providers.smsby import parse_message_id, same_address
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.suppressions import SuppressionService
from mailconsole.store.journal import Journal, MessageRecord

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
EventsListener = Callable[[MessageRecord, Sequence[Event]], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one round did: messages asked about, new events, messages retired, errors."""

    polled: int = 0
    new_events: int = 0
    retired: int = 0
    errors: int = 0


class EventPoller:
    """Polls provider events for journal messages; a cancellable task (:meth:`start`/:meth:`stop`).

    ``listener`` is called with each message that got new events (the facade turns it into a
    notice for the Timeline).
    """

    def __init__(
        self,
        journal: Journal,
        clients: ClientRegistry,
        *,
        suppressions: SuppressionService | None = None,
        clock: Clock = _utcnow,
        initial: float = 5.0,
        maximum: float = 30 * 60.0,
        give_up_after: timedelta = timedelta(days=7),
        batch: int = 100,
        tick: float = 1.0,
        listener: EventsListener | None = None,
    ) -> None:
        self.journal = journal
        self.clients = clients
        self.suppressions = suppressions
        self.clock = clock
        self.initial = initial
        self.maximum = maximum
        self.give_up_after = give_up_after
        self.batch = batch
        self.tick = tick
        self.listener = listener
        self._task: asyncio.Task[None] | None = None

    # -- the task ----------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Start polling in a named task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="event-poller")
        return self._task

    async def stop(self) -> None:
        """Cancel the task and wait for it to end."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while True:
            try:
                report = await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep polling; the next round may work
                log.exception("event poll failed")
                report = PollReport()
            if report.polled < self.batch:
                await asyncio.sleep(self.tick)

    # -- one round ---------------------------------------------------------------------------

    async def poll_once(self, now: datetime | None = None) -> PollReport:
        """Poll every message whose next poll is due at ``now`` (default: the clock)."""
        moment = now or self.clock()
        due: list[MessageRecord] = await asyncio.to_thread(
            self.journal.messages_to_poll, moment, self.batch
        )
        polled = new_total = retired = errors = 0
        mailings: dict[tuple[str, str], list[MessageRecord]] = defaultdict(list)
        singles: list[MessageRecord] = []
        for record in due:
            if (
                not record.provider_message_id
                or not capabilities_for(record.provider).events
                or moment - record.created_at > self.give_up_after
            ):
                await asyncio.to_thread(self.journal.set_poll, record.id, None, None)
                retired += 1
                continue
            if record.provider == "smsby":
                kind, scope, _ = parse_message_id(record.provider_message_id)
                if kind == "bulk":
                    mailings[(record.account_id, scope)].append(record)
                    continue
            singles.append(record)
        for record in singles:
            polled += 1
            try:
                client = await self.clients.client(record.account_id)
                events = await client.events(record.provider_message_id or "")
            except ProviderError as error:
                errors += 1
                await self._failed(record, moment, error)
                continue
            new_total += await self._apply(record, events, moment)
        for (account_id, scope), records in mailings.items():
            polled += len(records)
            try:
                client = await self.clients.client(account_id)
                events = await client.events(f"bulk:{scope}")
            except ProviderError as error:
                errors += len(records)
                for record in records:
                    await self._failed(record, moment, error)
                continue
            for record in records:
                mine = [e for e in events if same_address(e.recipient, record.recipient)]
                new_total += await self._apply(record, mine, moment)
        return PollReport(polled=polled, new_events=new_total, retired=retired, errors=errors)

    async def _apply(self, record: MessageRecord, events: Sequence[Event], now: datetime) -> int:
        """Append the events, feed suppressions, and set the next poll (backing off if idle)."""
        new: list[Event] = await asyncio.to_thread(self.journal.append_events, record.id, events)
        if new:
            if self.suppressions is not None:
                await self.suppressions.on_events(record, new)
            if self.listener is not None:
                try:
                    self.listener(record, new)
                except Exception:
                    log.exception("poller listener failed")
            interval = self.initial
        else:
            interval = self._backed_off(record)
        fresh = await asyncio.to_thread(self.journal.get_message, record.id)
        if not fresh.final:
            await asyncio.to_thread(
                self.journal.set_poll, record.id, now + timedelta(seconds=interval), interval
            )
        return len(new)

    def _backed_off(self, record: MessageRecord) -> float:
        return min(self.maximum, max(record.poll_interval or self.initial, self.initial) * 2)

    async def _failed(self, record: MessageRecord, now: datetime, error: ProviderError) -> None:
        """A failed poll backs off like an idle one (a bad key: straight to the maximum)."""
        log.info("polling %s failed: %s", record.id, error)
        interval = self.maximum if isinstance(error, AuthError) else self._backed_off(record)
        await asyncio.to_thread(
            self.journal.set_poll, record.id, now + timedelta(seconds=interval), interval
        )
