"""The outbox: every send is written to the journal before it leaves, and finished after.

An entry is ``queued`` (committed with its idempotency key and client reference before any
request), then ``sending`` (committed before the request), then ``accepted``, ``rejected``,
``unknown`` or ``cancelled``. Accepted sends become journal messages, one per recipient, with
the provider's id and a first ``queued``/``scheduled`` event, in the same transaction that marks
the entry accepted, so the Timeline and the poller see exactly what was accepted.

After a restart :meth:`Outbox.resume` finishes what a crash interrupted, the way
:mod:`mailconsole.services.retry` allows: EmailMassivo is sent again with the same idempotency
key, MailingAPI and eMsgNow are looked up by reference first, SMS.BY is marked ``unknown``.

A send-later for a provider with no scheduling (EmailMassivo) stays ``queued`` with its
``send_at`` in the future; :meth:`Outbox.send_due` sends it when due (the console must run).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mailconsole.core.capabilities import Scheduling, capabilities_for
from mailconsole.core.errors import (
    ProviderError,
    RateLimited,
    RecipientRejected,
    Unavailable,
    UnknownOutcome,
)
from mailconsole.core.events import FINAL_STATES, Event, EventType
from mailconsole.core.message import (
    Message,
    OutcomeStatus,
    ProviderMessage,
    RecipientOutcome,
    SendResult,
)
from mailconsole.providers.base import ProviderClient
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.retry import (
    IDEMPOTENCY_WINDOW,
    LookupVerdict,
    Resolution,
    RetriesExhausted,
    RetryPolicy,
    Sleep,
    look_up,
    resolution_for,
)
from mailconsole.services.suppressions import SuppressionService
from mailconsole.store.codec import opt_micros, to_micros
from mailconsole.store.journal import (
    Journal,
    MessageRecord,
    OutboxEntry,
    OutboxItem,
    OutboxState,
    OutboxStateError,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
OutboxListener = Callable[[OutboxEntry], None]

#: The poller's first look at a new message, and its starting interval (seconds).
FIRST_POLL_AFTER = 5.0

#: RecipientRejected reasons that suppress the address (temporary ones do not).
SUPPRESSING_REASONS = frozenset({"unsubscribed", "complained", "nonexistent"})

ASK_USER_TEXT = (
    "{provider} may or may not have received this send (no answer came back), and it offers "
    "no way to check. Send it again or cancel it."
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def message_id_for(entry_id: str, index: int) -> str:
    """The journal message id of recipient ``index`` of an outbox entry (stable on replay)."""
    return entry_id if index == 0 else f"{entry_id}.{index}"


def _after_lost(lost: UnknownOutcome, error: ProviderError) -> str:
    """Why an entry whose answer was lost once stays unknown after a later failure."""
    return f"{lost.message}; then: {error.message}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one outbox entry: its entry, the provider's answer, the journal messages.

    ``error`` holds the provider's error when the entry was rejected or is unknown;
    ``held_locally`` is True for a send-later the console will send when due.
    """

    entry: OutboxEntry
    result: SendResult | None = None
    message_ids: Sequence[str] = ()
    error: ProviderError | None = None
    held_locally: bool = False

    @property
    def state(self) -> OutboxState:
        return self.entry.state


@dataclass(frozen=True, slots=True)
class Settlement:
    """A finished entry to write: its new state, provider id, error and recipient messages."""

    entry: OutboxEntry
    state: OutboxState
    provider_message_id: str | None = None
    error: str | None = None
    records: Sequence[tuple[MessageRecord, Event]] = ()


# -- journal helpers (batch transitions the journal has no method for) ------------------------

_INSERT_MESSAGE = (
    "INSERT INTO messages (id, outbox_id, account_id, provider, provider_message_id, recipient, "
    "subject, sender, state, last_event, created_at, last_event_at, scheduled_at, final, "
    "next_poll_at, poll_interval) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO NOTHING"
)

_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (message_id, type, timestamp, provider_event_id, dedup_key, "
    "recipient, raw_type, raw, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _message_row(r: MessageRecord) -> tuple[Any, ...]:
    created = to_micros(r.created_at)
    return (
        r.id,
        r.outbox_id,
        r.account_id,
        r.provider,
        r.provider_message_id,
        r.recipient,
        r.subject,
        r.sender,
        r.state.value,
        None if r.last_event is None else r.last_event.value,
        created,
        opt_micros(r.last_event_at) or created,
        opt_micros(r.scheduled_at),
        int(r.state in FINAL_STATES),
        opt_micros(r.next_poll_at),
        r.poll_interval,
    )


def _event_row(message_id: str, e: Event, recorded: int) -> tuple[Any, ...]:
    raw = None if e.raw is None else json.dumps(e.raw, default=str, ensure_ascii=False)
    return (
        message_id,
        e.type.value,
        to_micros(e.timestamp),
        e.provider_event_id,
        e.dedup_key,
        e.recipient,
        e.raw_type,
        raw,
        recorded,
    )


def settle_many(journal: Journal, settlements: Sequence[Settlement], now: datetime) -> list[str]:
    """Write finished entries and their messages in ONE transaction; returns the entry ids
    that changed (an entry no longer ``sending``/``unknown`` was settled by someone else)."""
    stamp = to_micros(now)
    changed: list[str] = []
    with journal.transaction() as conn:
        for s in settlements:
            cursor = conn.execute(
                "UPDATE outbox SET state = ?, updated_at = ?, "
                "provider_message_id = coalesce(?, provider_message_id), last_error = ? "
                "WHERE id = ? AND state IN ('sending', 'unknown')",
                (s.state.value, stamp, s.provider_message_id, s.error, s.entry.id),
            )
            if cursor.rowcount == 0:
                continue
            changed.append(s.entry.id)
            for record, event in s.records:
                inserted = conn.execute(_INSERT_MESSAGE, _message_row(record)).rowcount
                if inserted:
                    conn.execute(_INSERT_EVENT, _event_row(record.id, event, stamp))
    return changed


def claim_many(journal: Journal, entry_ids: Sequence[str], now: datetime) -> list[str]:
    """queued → sending for many entries in one transaction (attempts + 1); returns those
    that were still queued."""
    stamp = to_micros(now)
    claimed: list[str] = []
    with journal.transaction() as conn:
        for entry_id in entry_ids:
            cursor = conn.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND state = 'queued'",
                (stamp, entry_id),
            )
            if cursor.rowcount:
                claimed.append(entry_id)
    return claimed


def requeue_many(journal: Journal, entry_ids: Sequence[str], now: datetime, error: str) -> None:
    """sending/unknown → queued, due now (a lookup proved they were never accepted)."""
    stamp = to_micros(now)
    with journal.transaction() as conn:
        conn.executemany(
            "UPDATE outbox SET state = 'queued', next_attempt_at = ?, updated_at = ?, "
            "last_error = ? WHERE id = ? AND state IN ('sending', 'unknown')",
            [(stamp, stamp, error, i) for i in entry_ids],
        )


def mark_unknown_many(
    journal: Journal, entry_ids: Sequence[str], now: datetime, error: str
) -> None:
    """sending → unknown for many entries; an entry already unknown gets the new error."""
    stamp = to_micros(now)
    with journal.transaction() as conn:
        conn.executemany(
            "UPDATE outbox SET state = 'unknown', updated_at = ?, last_error = ? "
            "WHERE id = ? AND state IN ('sending', 'unknown')",
            [(stamp, error, i) for i in entry_ids],
        )


def cancel_accepted(journal: Journal, entry_id: str, now: datetime) -> bool:
    """accepted → cancelled: a scheduled send the provider cancelled (no journal method)."""
    with journal.transaction() as conn:
        cursor = conn.execute(
            "UPDATE outbox SET state = 'cancelled', updated_at = ? "
            "WHERE id = ? AND state = 'accepted'",
            (to_micros(now), entry_id),
        )
        return cursor.rowcount > 0


def due_local_entries(journal: Journal, now: datetime, limit: int = 100) -> list[str]:
    """Ids of queued entries outside any bulk send whose time has come, oldest first."""
    with journal.transaction() as conn:
        rows = conn.execute(
            "SELECT id FROM outbox WHERE state = 'queued' AND bulk_id IS NULL "
            "AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT ?",
            (to_micros(now), limit),
        ).fetchall()
    return [r[0] for r in rows]


def held_entries(journal: Journal) -> list[OutboxEntry]:
    """Queued entries outside any bulk send that carry a ``send_at`` (local send-laters)."""
    with journal.transaction() as conn:
        rows = conn.execute(
            "SELECT id FROM outbox WHERE state = 'queued' AND bulk_id IS NULL "
            "AND send_at IS NOT NULL ORDER BY send_at, rowid"
        ).fetchall()
    return [journal.get_outbox(r[0]) for r in rows]


# -- building journal messages ----------------------------------------------------------------


def _first_poll(
    provider: str, event: EventType, now: datetime, send_at: datetime | None
) -> tuple[datetime | None, float | None]:
    """When the poller first asks about a new message (None: never, e.g. EmailMassivo)."""
    if not capabilities_for(provider).events or event in FINAL_STATES:
        return None, None
    first = now + timedelta(seconds=FIRST_POLL_AFTER)
    if event is EventType.SCHEDULED and send_at is not None and send_at > first:
        first = send_at
    return first, FIRST_POLL_AFTER


def records_for(
    entry: OutboxEntry,
    provider: str,
    outcomes: Sequence[RecipientOutcome],
    now: datetime,
) -> list[tuple[MessageRecord, Event]]:
    """One journal message per recipient outcome, each with its first event."""
    message = entry.message
    records: list[tuple[MessageRecord, Event]] = []
    for index, outcome in enumerate(outcomes):
        kind = outcome.event
        if outcome.status is OutcomeStatus.SCHEDULED:
            kind = EventType.SCHEDULED
        elif outcome.status is OutcomeStatus.ACCEPTED and kind not in (
            EventType.QUEUED,
            EventType.SENT,
        ):
            kind = EventType.QUEUED
        scheduled_at = message.send_at if kind is EventType.SCHEDULED else None
        next_poll, interval = _first_poll(provider, kind, now, scheduled_at)
        if outcome.provider_message_id is None:
            next_poll, interval = None, None
        raw: dict[str, Any] = {"source": "console", "outcome": outcome.status.value}
        if outcome.error:
            raw["error"] = outcome.error
        if outcome.error_code:
            raw["code"] = outcome.error_code
        record = MessageRecord(
            id=message_id_for(entry.id, index),
            account_id=entry.account_id,
            provider=provider,
            recipient=outcome.recipient,
            subject=message.subject,
            sender=message.sender.email,
            outbox_id=entry.id,
            provider_message_id=outcome.provider_message_id,
            state=kind,
            last_event=kind,
            created_at=now,
            last_event_at=now,
            scheduled_at=scheduled_at,
            next_poll_at=next_poll,
            poll_interval=interval,
        )
        event = Event(
            type=kind,
            timestamp=now,
            recipient=outcome.recipient,
            raw_type=outcome.status.value,
            raw=raw,
        )
        records.append((record, event))
    return records


def outcomes_from_lookup(
    provider: str, found: Sequence[tuple[str, ProviderMessage]], message: Message
) -> list[RecipientOutcome]:
    """Accepted outcomes for messages a lookup found (MailingAPI: one id for all recipients)."""
    by_recipient = {r.lower(): m for r, m in found}
    first = found[0][1]
    outcomes = []
    recipients = (
        [a.email for a in message.recipients]
        if provider == "mailingapi"
        else [a.email for a in message.to]
    )
    for email in recipients:
        hit = by_recipient.get(email.lower(), first)
        scheduled = hit.status is EventType.SCHEDULED or (
            message.send_at is not None and hit.status in (EventType.SCHEDULED, EventType.UNKNOWN)
        )
        outcomes.append(
            RecipientOutcome(
                recipient=email,
                status=OutcomeStatus.SCHEDULED if scheduled else OutcomeStatus.ACCEPTED,
                provider_message_id=hit.provider_message_id,
                event=EventType.SCHEDULED if scheduled else EventType.QUEUED,
            )
        )
    return outcomes


def state_of(result: SendResult) -> OutboxState:
    """accepted when anything was accepted; unknown when something may have been; else
    rejected."""
    if result.accepted:
        return OutboxState.ACCEPTED
    if any(o.status is OutcomeStatus.UNKNOWN for o in result.outcomes):
        return OutboxState.UNKNOWN
    return OutboxState.REJECTED


def result_error(result: SendResult) -> str | None:
    """The provider's words for the recipients that were not accepted, if any."""
    errors = [
        f"{o.recipient}: {o.error}"
        for o in result.outcomes
        if o.status in (OutcomeStatus.REJECTED, OutcomeStatus.UNKNOWN) and o.error
    ]
    return "; ".join(errors) or None


def wire_message(entry: OutboxEntry, provider: str) -> Message:
    """The message to send: a local send-later goes out without its ``send_at``."""
    message = entry.message
    if message.send_at is not None and capabilities_for(provider).scheduling is Scheduling.NONE:
        return dataclasses.replace(message, send_at=None)
    return message


# -- the outbox -------------------------------------------------------------------------------


class Outbox:
    """Writes every send to the journal before it leaves, sends it with safe retries, and
    finishes what a crash interrupted.

    ``listener`` is called (in the event loop) with each entry whose state changed.
    """

    def __init__(
        self,
        journal: Journal,
        clients: ClientRegistry,
        *,
        policy: RetryPolicy | None = None,
        suppressions: SuppressionService | None = None,
        clock: Clock = _utcnow,
        sleep: Sleep = asyncio.sleep,
        listener: OutboxListener | None = None,
        idempotency_window: timedelta = IDEMPOTENCY_WINDOW,
    ) -> None:
        self.journal = journal
        self.clients = clients
        self.policy = policy or RetryPolicy()
        self.suppressions = suppressions
        self.clock = clock
        self.sleep = sleep
        self.listener = listener
        self.idempotency_window = idempotency_window
        #: Entries a :meth:`send` of this process is delivering right now.
        self._in_flight: set[str] = set()

    # -- small helpers -----------------------------------------------------------------------

    def _notify(self, entry: OutboxEntry) -> None:
        if self.listener is not None:
            try:
                self.listener(entry)
            except Exception:  # a broken listener must not break sending
                log.exception("outbox listener failed")

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    async def get(self, entry_id: str) -> OutboxEntry:
        """One entry, read fresh from the journal."""
        entry: OutboxEntry = await self._db(self.journal.get_outbox, entry_id)
        return entry

    # -- queueing ----------------------------------------------------------------------------

    async def enqueue(
        self,
        account_id: str,
        message: Message,
        *,
        bulk_id: str | None = None,
        line: int | None = None,
    ) -> OutboxEntry:
        """Write one request to the outbox (state queued); nothing is sent."""
        item = OutboxItem(account_id=account_id, message=message, bulk_id=bulk_id, line=line)
        ids: list[str] = await self._db(self.journal.enqueue, [item])
        entry = await self.get(ids[0])
        self._notify(entry)
        return entry

    def is_held_locally(self, provider: str, message: Message) -> bool:
        """True for a send-later the provider cannot schedule (the console keeps it)."""
        return (
            message.send_at is not None
            and capabilities_for(provider).scheduling is Scheduling.NONE
            and message.send_at > self.clock()
        )

    async def send(self, account_id: str, message: Message) -> Delivery:
        """Queue, then send now (or hold a local send-later); never raises a provider error:
        a refusal comes back as ``Delivery.error`` with the entry ``rejected``."""
        provider = await self.clients.provider(account_id)
        if self.is_held_locally(provider, message):
            return Delivery(entry=await self.enqueue(account_id, message), held_locally=True)
        # Between queueing and ``sending`` the entry looks due to the background due-checker;
        # it is marked as this call's own (its id is the message's reference) before it is even
        # written, so the checker and a resume leave it alone.
        entry_id = message.client_reference
        self._in_flight.add(entry_id)
        try:
            entry = await self.enqueue(account_id, message)
            return await self.deliver(entry.id)
        finally:
            self._in_flight.discard(entry_id)

    # -- sending -----------------------------------------------------------------------------

    async def deliver(self, entry_id: str, *, resend_lost: bool = True) -> Delivery:
        """Send one queued entry now: ``sending`` is committed before the request leaves.

        ``resend_lost`` False marks a lost EmailMassivo answer ``unknown`` at once instead of
        sending again with the same key now (a bulk send resolves those at its end).
        """
        # The client first: a missing key or a closed registry must fail before the entry is
        # marked ``sending``, or it would later read as "may have been received".
        account_id: str = (await self.get(entry_id)).account_id
        await self.clients.client(account_id)
        entry: OutboxEntry = await self._db(self.journal.mark_sending, entry_id)
        self._notify(entry)
        return await self._attempt(entry, resend_lost=resend_lost)

    async def send_claimed(self, entry: OutboxEntry) -> Delivery:
        """Send an entry already marked ``sending`` (claimed with :meth:`claim`)."""
        return await self._attempt(entry)

    async def _attempt(self, entry: OutboxEntry, *, resend_lost: bool = True) -> Delivery:
        """Send a ``sending`` entry with bounded retries; resolve lost answers safely."""
        provider = await self.clients.provider(entry.account_id)
        client = await self.clients.client(entry.account_id)
        message = wire_message(entry, provider)
        last: ProviderError | None = None
        # Once an answer was lost the mail may have been accepted: whatever fails afterwards,
        # the entry ends ``unknown``, never ``rejected`` (which would invite a duplicate).
        lost: UnknownOutcome | None = None
        for attempt in range(1, self.policy.attempts + 1):
            try:
                result = await client.send(message)
            except (Unavailable, RateLimited) as error:
                last = error
            except UnknownOutcome as error:
                last = lost = error
                settled = await self._after_unknown(entry, client, provider, error, resend_lost)
                if settled is not None:
                    return settled
            except ProviderError as error:
                if lost is not None:
                    return await self._unknown(entry, error, _after_lost(lost, error))
                return await self._reject(entry, provider, error)
            else:
                return await self._accept(entry, provider, result)
            if attempt < self.policy.attempts:
                await self.sleep(self.policy.delay(attempt, last))
        assert last is not None
        if lost is not None:
            text = f"{_after_lost(lost, last)} (after {attempt} attempts)"
            return await self._unknown(entry, last, text)
        return await self._reject(entry, provider, RetriesExhausted(last, attempt))

    async def _after_unknown(
        self,
        entry: OutboxEntry,
        client: ProviderClient,
        provider: str,
        error: UnknownOutcome,
        resend_lost: bool,
    ) -> Delivery | None:
        """Resolve a lost answer: a Delivery when settled, None when it is safe to send again."""
        how = resolution_for(provider)
        if how is Resolution.RESEND_SAME_KEY:
            # The provider's hour starts at the first request with the key, which is after the
            # entry was created: measuring from ``created_at`` never overstays it.
            if resend_lost and self.clock() - entry.created_at < self.idempotency_window:
                return None
            text = f"{error.message}; sending again with the same idempotency key is safe"
            return await self._unknown(entry, error, text)
        if how is Resolution.LOOK_UP:
            return await self._look_up(entry, client, provider, error)
        text = ASK_USER_TEXT.format(provider=client.capabilities.display_name)
        return await self._unknown(entry, error, text)

    async def _look_up(
        self,
        entry: OutboxEntry,
        client: ProviderClient,
        provider: str,
        error: ProviderError | None,
        *,
        send_absent: bool = True,
    ) -> Delivery | None:
        # From before the first request (``created_at``), never from the last state change,
        # which moves forward with every attempt and could slide past the message.
        since = entry.created_at - timedelta(minutes=1)
        try:
            found = await look_up(client, entry.message, since, self.policy, sleep=self.sleep)
        except ProviderError as lookup_error:
            text = f"The send may have been received, and looking it up failed: {lookup_error}"
            return await self._unknown(entry, lookup_error, text)
        if found.verdict is LookupVerdict.FOUND:
            outcomes = outcomes_from_lookup(provider, found.found, entry.message)
            result = SendResult(
                provider=provider,
                outcomes=outcomes,
                provider_message_id=found.found[0][1].provider_message_id,
                duplicate=True,
            )
            return await self._accept(entry, provider, result)
        if found.verdict is LookupVerdict.PARTIAL:
            names = ", ".join(r for r, _ in found.found)
            text = (
                f"Only some recipients' messages were found ({names}); sending again would "
                "duplicate those. Send again or cancel."
            )
            return await self._unknown(entry, error, text)
        if not send_absent:
            now = self.clock()
            await self._db(requeue_many, self.journal, [entry.id], now, "not received; queued")
            requeued = await self.get(entry.id)
            self._notify(requeued)
            return Delivery(entry=requeued)
        return None

    # -- settling ----------------------------------------------------------------------------

    async def _settle(self, settlement: Settlement) -> OutboxEntry:
        now = self.clock()
        await self._db(settle_many, self.journal, [settlement], now)
        entry = await self.get(settlement.entry.id)
        self._notify(entry)
        return entry

    async def _accept(self, entry: OutboxEntry, provider: str, result: SendResult) -> Delivery:
        """Record the answer: the entry's state and one journal message per recipient."""
        now = self.clock()
        records = records_for(entry, provider, result.outcomes, now)
        state = state_of(result)
        pmid = result.provider_message_id or next(
            (o.provider_message_id for o in result.outcomes if o.provider_message_id), None
        )
        settled = await self._settle(Settlement(entry, state, pmid, result_error(result), records))
        await self._suppress_refused(entry, result.outcomes)
        return Delivery(entry=settled, result=result, message_ids=[r.id for r, _ in records])

    async def _reject(self, entry: OutboxEntry, provider: str, error: ProviderError) -> Delivery:
        """A refusal: the provider's words are kept; recipients refused get journal messages."""
        records: list[tuple[MessageRecord, Event]] = []
        if isinstance(error, RecipientRejected):
            outcomes = [
                RecipientOutcome(
                    recipient=a.email,
                    status=OutcomeStatus.REJECTED,
                    event=EventType.REJECTED,
                    error=error.message,
                    error_code=error.reason,
                )
                for a in entry.message.to
            ]
            records = records_for(entry, provider, outcomes, self.clock())
            await self._suppress_refused(entry, outcomes)
        settled = await self._settle(
            Settlement(entry, OutboxState.REJECTED, None, str(error), records)
        )
        return Delivery(entry=settled, error=error, message_ids=[r.id for r, _ in records])

    async def _unknown(
        self, entry: OutboxEntry, error: ProviderError | None, text: str
    ) -> Delivery:
        """The request may have reached the provider and nothing can tell: the user decides."""
        await self._db(mark_unknown_many, self.journal, [entry.id], self.clock(), text)
        settled = await self.get(entry.id)
        self._notify(settled)
        return Delivery(entry=settled, error=error)

    async def _suppress_refused(
        self, entry: OutboxEntry, outcomes: Iterable[RecipientOutcome]
    ) -> None:
        if self.suppressions is None:
            return
        for outcome in outcomes:
            if outcome.status is OutcomeStatus.REJECTED and outcome.error_code in (
                SUPPRESSING_REASONS
            ):
                refusal = RecipientRejected(
                    outcome.error or "refused", reason=outcome.error_code or "rejected"
                )
                await self.suppressions.on_rejection(
                    refusal,
                    email=outcome.recipient,
                    account_id=entry.account_id,
                    message_id=entry.id,
                )

    # -- batch settling (bulk sends) ---------------------------------------------------------

    async def claim(self, entry_ids: Sequence[str]) -> list[OutboxEntry]:
        """queued → sending for many entries in one transaction; returns the claimed ones."""
        claimed: list[str] = await self._db(claim_many, self.journal, entry_ids, self.clock())
        entries = [await self.get(i) for i in claimed]
        for entry in entries:
            self._notify(entry)
        return entries

    async def accept_many(
        self, provider: str, answers: Sequence[tuple[OutboxEntry, SendResult]]
    ) -> list[OutboxEntry]:
        """Settle many answered entries (a batch) in one transaction."""
        now = self.clock()
        settlements = []
        for entry, result in answers:
            records = records_for(entry, provider, result.outcomes, now)
            pmid = result.provider_message_id or next(
                (o.provider_message_id for o in result.outcomes if o.provider_message_id), None
            )
            settlements.append(
                Settlement(entry, state_of(result), pmid, result_error(result), records)
            )
        await self._db(settle_many, self.journal, settlements, now)
        entries = [await self.get(entry.id) for entry, _ in answers]
        for (entry, result), fresh in zip(answers, entries, strict=True):
            self._notify(fresh)
            await self._suppress_refused(entry, result.outcomes)
        return entries

    async def reject_many(
        self, entries: Sequence[OutboxEntry], error: ProviderError
    ) -> list[OutboxEntry]:
        """Settle many entries refused by one error (a batch request refused as a whole)."""
        now = self.clock()
        settlements = [Settlement(e, OutboxState.REJECTED, None, str(error)) for e in entries]
        await self._db(settle_many, self.journal, settlements, now)
        fresh = [await self.get(e.id) for e in entries]
        for entry in fresh:
            self._notify(entry)
        return fresh

    async def unknown_many(self, entries: Sequence[OutboxEntry], text: str) -> list[OutboxEntry]:
        """Mark many entries unknown (a batch whose answer was lost, where nothing can tell)."""
        await self._db(mark_unknown_many, self.journal, [e.id for e in entries], self.clock(), text)
        fresh = [await self.get(e.id) for e in entries]
        for entry in fresh:
            self._notify(entry)
        return fresh

    # -- resuming and the user's decisions ---------------------------------------------------

    async def resolve(self, entry: OutboxEntry, *, send_absent: bool = True) -> Delivery:
        """Finish a ``sending`` (or auto-resolvable ``unknown``) entry a crash interrupted.

        With ``send_absent`` False an entry proved never received is queued again instead of
        sent (a bulk send then sends it in order). An entry that changed since ``entry`` was
        read, or that another task of this process is sending or resolving, is left alone.
        """
        if entry.id in self._in_flight:
            return Delivery(entry=entry)
        fresh = await self.get(entry.id)
        if entry.id in self._in_flight or (fresh.state, fresh.updated_at) != (
            entry.state,
            entry.updated_at,
        ):
            return Delivery(entry=fresh)
        self._in_flight.add(entry.id)
        try:
            return await self._resolve(fresh, send_absent=send_absent)
        finally:
            self._in_flight.discard(entry.id)

    async def _resolve(self, entry: OutboxEntry, *, send_absent: bool) -> Delivery:
        provider = await self.clients.provider(entry.account_id)
        how = resolution_for(provider)
        if entry.state not in (OutboxState.SENDING, OutboxState.UNKNOWN):
            return Delivery(entry=entry)
        if how is Resolution.ASK_USER:
            if entry.state is OutboxState.UNKNOWN:
                return Delivery(entry=entry)
            client = await self.clients.client(entry.account_id)
            text = ASK_USER_TEXT.format(provider=client.capabilities.display_name)
            return await self._unknown(entry, None, text)
        if how is Resolution.RESEND_SAME_KEY:
            if self.clock() - entry.created_at >= self.idempotency_window:
                if entry.state is OutboxState.UNKNOWN:
                    return Delivery(entry=entry)
                text = (
                    "The send may have been received, and too long has passed for "
                    "EmailMassivo's idempotency key to recognise it. Send again or cancel."
                )
                return await self._unknown(entry, None, text)
            if not send_absent:
                await self._db(requeue_many, self.journal, [entry.id], self.clock(), "resuming")
                requeued = await self.get(entry.id)
                self._notify(requeued)
                return Delivery(entry=requeued)
            return await self._attempt(await self._to_sending(entry), resend_lost=False)
        client = await self.clients.client(entry.account_id)
        settled = await self._look_up(entry, client, provider, None, send_absent=send_absent)
        if settled is not None:
            return settled
        return await self._attempt(await self._to_sending(entry))

    async def _to_sending(self, entry: OutboxEntry) -> OutboxEntry:
        """Make an entry ``sending`` again (keeping ``updated_at`` honest for the key window)."""
        if entry.state is OutboxState.SENDING:
            return entry
        now = self.clock()
        await self._db(requeue_many, self.journal, [entry.id], now, entry.last_error or "")
        claimed: list[str] = await self._db(claim_many, self.journal, [entry.id], now)
        if not claimed:
            raise OutboxStateError(f"outbox entry {entry.id} changed while being resumed")
        fresh = await self.get(entry.id)
        self._notify(fresh)
        return fresh

    async def resume(self, *, include_bulk: bool = False) -> list[Delivery]:
        """On start: resolve every interrupted entry, then send the queued ones that are due.

        Entries of bulk sends are resolved (never re-sent here) unless ``include_bulk``; their
        queued rows are left for :class:`~mailconsole.services.bulk.BulkJob`.
        """
        entries: list[OutboxEntry] = await self._db(self.journal.unfinished)
        done: list[Delivery] = []
        for entry in entries:
            if entry.state is OutboxState.QUEUED or entry.id in self._in_flight:
                continue
            in_bulk = entry.bulk_id is not None and not include_bulk
            try:
                done.append(await self.resolve(entry, send_absent=not in_bulk))
            except (LookupError, RuntimeError, OutboxStateError) as error:
                # One account's missing key (or a race) must not strand every other entry.
                log.warning("could not resume outbox entry %s: %s", entry.id, error)
        done += await self.send_due()
        return done

    async def send_due(self, now: datetime | None = None) -> list[Delivery]:
        """Send every queued entry outside a bulk send whose time has come (send-laters,
        entries queued before a crash)."""
        moment = now or self.clock()
        done: list[Delivery] = []
        while True:
            due: list[str] = await self._db(due_local_entries, self.journal, moment, 50)
            if not due:
                return done
            due = [entry_id for entry_id in due if entry_id not in self._in_flight]
            if not due:
                return done
            for entry_id in due:
                try:
                    done.append(await self.deliver(entry_id))
                except OutboxStateError:
                    continue  # cancelled or taken meanwhile

    async def send_again(self, entry_id: str) -> Delivery:
        """The user chose to send an ``unknown`` entry again (it may then arrive twice)."""
        entry = await self.get(entry_id)
        if entry.state is not OutboxState.UNKNOWN or entry_id in self._in_flight:
            state = "being resolved" if entry_id in self._in_flight else entry.state.value
            raise OutboxStateError(f"outbox entry {entry_id} is {state}, not unknown")
        self._in_flight.add(entry_id)
        try:
            return await self._attempt(await self._to_sending(entry))
        finally:
            self._in_flight.discard(entry_id)

    async def cancel(self, entry_id: str) -> OutboxEntry:
        """Cancel a queued entry (never sent) or give up on an unknown one."""
        entry: OutboxEntry = await self._db(self.journal.mark_cancelled, entry_id)
        self._notify(entry)
        return entry
