"""Bulk sends: a CSV of recipients turned into personalised messages, queued in the outbox in
one transaction, then sent with the provider's native batch where it has one.

Rows are checked before anything is queued: a bad address or a template variable with no value
makes that row ``invalid`` (named by its line), a suppressed address makes it ``suppressed``, and
the other rows go on. Valid rows become outbox entries of the bulk send (``bulk_id``, ``line``) in
ONE transaction, so a crash leaves all of them or none. Sending then uses MailingAPI's batch
(``send_batch_messages``, each item carrying its own ``metadata.mailconsole_id``) and SMS.BY's
``sendBulkEmail`` ``personal``; EmailMassivo and eMsgNow are sent one by one under the account's
pacer. A :class:`BulkJob` reports :class:`BulkProgress` through a plain callback, pauses, resumes
and cancels, and picks up after a restart from the journal alone.

Skipped rows (invalid, suppressed) are never queued; they are kept with the bulk record (in its
``column_mapping`` JSON under ``"skipped"``) so a resumed job reports them too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mailconsole.core.capabilities import capabilities_for
from mailconsole.core.errors import ProviderError, UnknownOutcome
from mailconsole.core.message import Address, Message, RecipientOutcome, SendResult
from mailconsole.core.templates import TemplateError, render_message, template_variables
from mailconsole.core.validation import FieldError, has_line_break, validate_address
from mailconsole.providers import mailingapi as mailingapi_wire
from mailconsole.providers import smsby as smsby_wire
from mailconsole.services.csv_import import row_variables
from mailconsole.services.facade_types import (
    BulkProgress,
    BulkRowResult,
    ColumnMapping,
    CsvTable,
    RowStatus,
)
from mailconsole.services.outbox import ASK_USER_TEXT, Outbox, wire_message
from mailconsole.services.retry import with_retries
from mailconsole.services.suppressions import SuppressionService, normalize_email
from mailconsole.store.journal import (
    BulkSendRecord,
    BulkState,
    Journal,
    OutboxEntry,
    OutboxItem,
    OutboxState,
    OutboxStateError,
)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[BulkProgress], None]

#: Outbox state → the row status the window shows.
ROW_STATUS: dict[OutboxState, RowStatus] = {
    OutboxState.QUEUED: RowStatus.PENDING,
    OutboxState.SENDING: RowStatus.PENDING,
    OutboxState.ACCEPTED: RowStatus.SENT,
    OutboxState.REJECTED: RowStatus.REJECTED,
    OutboxState.UNKNOWN: RowStatus.UNKNOWN,
    OutboxState.CANCELLED: RowStatus.CANCELLED,
}

#: Rows between two explicit hand-overs of the GIL while rows are prepared in a worker thread.
#: Without them the GUI thread, which needs the GIL for every Qt-to-Python call, waited behind
#: this loop for up to 300 ms at a time during a 10,000-row send (measured: worst heartbeat
#: lateness 290 ms without, 61 ms with).
YIELD_EVERY = 50

#: A bulk row whose batch answer was lost this many times is left ``unknown`` instead of being
#: looked up and queued again (a partial outage must not make the console hammer the provider).
MAX_LOST_BATCH_ATTEMPTS = 6

#: Providers whose native batch the bulk send uses.
BATCH_PROVIDERS = frozenset({"mailingapi", "smsby"})


@dataclass(frozen=True, slots=True)
class PreparedRows:
    """Rows ready to queue (line, message) and the rows skipped as invalid."""

    messages: Sequence[tuple[int, Message]]
    invalid: Sequence[BulkRowResult]


#: An unquoted ASCII local part (RFC 5322 dot-atom): a subset of what email-validator accepts.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@functools.lru_cache(maxsize=4096)
def _domain_is_valid(domain: str) -> bool:
    return validate_address(Address(f"postmaster@{domain}"), field="to") is None


def address_problem(address: Address) -> FieldError | None:
    """:func:`~mailconsole.core.validation.validate_address` for a bulk row, fast for the
    common case: a plain ASCII local part at a domain already found valid takes no full check
    (a list of 10,000 rows usually has a handful of domains); anything else is fully checked."""
    local, at, domain = address.email.rpartition("@")
    if (
        at
        and len(local) <= 64
        and len(address.email) <= 254
        and _DOT_ATOM.fullmatch(local)
        and not has_line_break(address.name)
        and _domain_is_valid(domain.lower())
    ):
        return None
    return validate_address(address, field="to")


def prepare_rows(template: Message, table: CsvTable, mapping: ColumnMapping) -> PreparedRows:
    """Personalise the template for every row (blocking; run it in a worker thread).

    A row whose address is malformed, or whose variables leave a placeholder empty, is invalid
    with a message naming its line; the CSV's own unreadable lines are invalid too.
    """
    invalid = [
        BulkRowResult(line=line, email="", status=RowStatus.INVALID, detail=text)
        for line, text in table.problems
        if line > 1 or not table.rows
    ]
    invalid += [
        BulkRowResult(line=line, email="", status=RowStatus.INVALID, detail=text)
        for line, text in table.problems
        if line == 1 and table.rows
    ]
    templated = bool(
        template_variables(template.subject, template.preview_title, template.html, template.text)
    )
    base = dataclasses.replace(template, idempotency_key=None)
    messages: list[tuple[int, Message]] = []
    for index, (row, line) in enumerate(zip(table.rows, table.line_numbers, strict=True)):
        if index % YIELD_EVERY == 0:
            time.sleep(0)  # hand the GIL to the GUI thread (see YIELD_EVERY)
        email = row.get(mapping.email, "").strip()
        name = row.get(mapping.name, "").strip() if mapping.name else ""
        to = Address(email, name)
        problem = address_problem(to)
        if problem is not None:
            detail = f"Line {line}: {problem.message}"
            invalid.append(BulkRowResult(line, email, RowStatus.INVALID, detail=detail))
            continue
        personal = base
        if templated:
            try:
                personal = render_message(base, row_variables(row, mapping), strict=True)
            except TemplateError as error:
                detail = f"Line {line}: {error.message}"
                invalid.append(BulkRowResult(line, email, RowStatus.INVALID, detail=detail))
                continue
        messages.append(
            (
                line,
                dataclasses.replace(personal, to=(to,), client_reference=uuid.uuid4().hex),
            )
        )
    return PreparedRows(messages, invalid)


def row_result(entry: OutboxEntry) -> BulkRowResult:
    """The row of a bulk send as the window shows it, from its outbox entry."""
    return BulkRowResult(
        line=entry.line or 0,
        email=entry.message.to[0].email if entry.message.to else "",
        status=ROW_STATUS[entry.state],
        provider_message_id=entry.provider_message_id,
        detail=entry.last_error or "",
    )


def _skipped_json(rows: Sequence[BulkRowResult]) -> list[list[Any]]:
    return [[r.line, r.email, r.status.value, r.detail] for r in rows]


def _skipped_rows(record: BulkSendRecord) -> list[BulkRowResult]:
    raw = record.column_mapping.get("skipped", [])
    return [BulkRowResult(int(r[0]), str(r[1]), RowStatus(r[2]), detail=str(r[3])) for r in raw]


def entry_ids_of_bulk(
    journal: Journal, bulk_id: str, states: Sequence[OutboxState], limit: int = -1
) -> list[str]:
    """Ids of a bulk send's entries in ``states``, in CSV line order."""
    marks = ", ".join("?" for _ in states)
    with journal.transaction() as conn:
        rows = conn.execute(
            f"SELECT id FROM outbox WHERE bulk_id = ? AND state IN ({marks}) "
            "ORDER BY line, rowid LIMIT ?",
            (bulk_id, *[s.value for s in states], limit),
        ).fetchall()
    return [r[0] for r in rows]


class BulkService:
    """Creates bulk sends from CSV tables and runs them as :class:`BulkJob`s.

    ``batch_size`` caps the rows per native batch request (default: the provider's limit).
    """

    def __init__(
        self,
        journal: Journal,
        outbox: Outbox,
        *,
        suppressions: SuppressionService | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.journal = journal
        self.outbox = outbox
        self.suppressions = suppressions
        self.batch_size = batch_size
        self.jobs: dict[str, BulkJob] = {}

    async def create(
        self, account_id: str, template: Message, table: CsvTable, mapping: ColumnMapping
    ) -> tuple[str, list[BulkRowResult]]:
        """Check every row and queue the valid ones in one transaction; returns the bulk id and
        the skipped rows (invalid and suppressed, by line)."""

        # Everything here touches every row: it all runs in one worker thread, so a 10,000-row
        # send never stalls the window.
        def prepare_and_store() -> tuple[str, list[BulkRowResult], int]:
            prepared = prepare_rows(template, table, mapping)
            skipped = list(prepared.invalid)
            messages = list(prepared.messages)
            if self.suppressions is not None and messages:
                messages = self._drop_suppressed(account_id, messages, skipped)
            skipped.sort(key=lambda r: r.line)
            bulk_id = uuid.uuid4().hex
            record = BulkSendRecord(
                id=bulk_id,
                account_id=account_id,
                csv_path=str(table.path),
                column_mapping={
                    "email": mapping.email,
                    "name": mapping.name,
                    "variables": dict(mapping.variables),
                    "skipped": _skipped_json(skipped),
                },
                total_rows=len(messages) + len(skipped),
                skipped_rows=len(skipped),
                state=BulkState.RUNNING,
            )
            items = [
                OutboxItem(account_id=account_id, message=m, bulk_id=bulk_id, line=line)
                for line, m in messages
            ]
            with self.journal.transaction():
                self.journal.add_bulk(record)
                self.journal.enqueue(items)
            return bulk_id, skipped, len(items)

        bulk_id, skipped, queued = await asyncio.to_thread(prepare_and_store)
        log.info("bulk %s: %d rows queued, %d skipped", bulk_id, queued, len(skipped))
        return bulk_id, skipped

    def _drop_suppressed(
        self,
        account_id: str,
        messages: list[tuple[int, Message]],
        skipped: list[BulkRowResult],
    ) -> list[tuple[int, Message]]:
        """The rows whose address is not suppressed; the others go to ``skipped`` (blocking)."""
        assert self.suppressions is not None
        found = self.suppressions.find_suppressed([m.to[0].email for _, m in messages], account_id)
        blocked = {s.email: s for s in found}
        kept = []
        for line, message in messages:
            suppression = blocked.get(normalize_email(message.to[0].email))
            if suppression is None:
                kept.append((line, message))
                continue
            why = f" ({suppression.reason})" if suppression.reason else ""
            detail = (
                f"Line {line}: {message.to[0].email} is suppressed: {suppression.source.value}{why}"
            )
            skipped.append(
                BulkRowResult(line, message.to[0].email, RowStatus.SUPPRESSED, detail=detail)
            )
        return kept

    def job(self, bulk_id: str, on_progress: ProgressCallback | None = None) -> BulkJob:
        """The job of a bulk send (one per bulk id), e.g. to resume it after a restart."""
        job = self.jobs.get(bulk_id)
        if job is None:
            job = self.jobs[bulk_id] = BulkJob(self, bulk_id, on_progress)
        elif on_progress is not None:
            job.on_progress = on_progress
        return job

    async def start(
        self,
        account_id: str,
        template: Message,
        table: CsvTable,
        mapping: ColumnMapping,
        on_progress: ProgressCallback | None = None,
    ) -> BulkJob:
        """Create the bulk send and start sending it in a named task."""
        bulk_id, _ = await self.create(account_id, template, table, mapping)
        job = self.job(bulk_id, on_progress)
        job.start()
        return job

    async def unfinished(self) -> list[str]:
        """Bulk sends a restart should offer to resume (running or paused)."""
        records = await asyncio.to_thread(self.journal.list_bulks)
        return [r.id for r in records if r.state in (BulkState.RUNNING, BulkState.PAUSED)]


class BulkJob:
    """One bulk send being sent: progress through ``on_progress``, pause, resume, cancel."""

    def __init__(
        self, service: BulkService, bulk_id: str, on_progress: ProgressCallback | None = None
    ) -> None:
        self.service = service
        self.journal = service.journal
        self.outbox = service.outbox
        self.bulk_id = bulk_id
        self.on_progress = on_progress
        self.task: asyncio.Task[BulkProgress] | None = None
        self._running = asyncio.Event()
        self._running.set()
        self._cancelled = False
        self._pending_report: asyncio.Task[None] | None = None
        self._state_lock = asyncio.Lock()
        self._state_writes: set[asyncio.Task[None]] = set()

    # -- control -----------------------------------------------------------------------------

    def start(self) -> asyncio.Task[BulkProgress]:
        """Run the job in a named task (kept here, so it is never garbage collected)."""
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run(), name=f"bulk-send-{self.bulk_id}")
        return self.task

    def pause(self) -> None:
        """Stop after the request in flight; the journal remembers it across a restart."""
        self._running.clear()
        self._remember(BulkState.PAUSED)
        self._report_soon()

    def resume(self) -> None:
        """Carry on after :meth:`pause`."""
        self._remember(BulkState.RUNNING)
        self._running.set()
        self._report_soon()

    def _remember(self, state: BulkState) -> None:
        """Write the state in a worker thread, in the order asked (the journal may be busy
        with a long batch; the window must not wait for it)."""

        async def write() -> None:
            async with self._state_lock:
                await asyncio.to_thread(self.journal.set_bulk_state, self.bulk_id, state)

        task = asyncio.ensure_future(write())
        self._state_writes.add(task)
        task.add_done_callback(self._state_writes.discard)

    async def cancel(self) -> BulkProgress:
        """Cancel every row not yet sent; returns the final progress (what was sent)."""
        self._cancelled = True
        async with self._state_lock:  # after any pause or resume still being written
            await asyncio.to_thread(self.journal.set_bulk_state, self.bulk_id, BulkState.CANCELLED)
        self._running.set()
        if self.task is not None and not self.task.done():
            await asyncio.wait({self.task})
        ids = await asyncio.to_thread(
            entry_ids_of_bulk, self.journal, self.bulk_id, [OutboxState.CANCELLED]
        )
        entries = await self._entries(ids)
        progress = await self.progress([row_result(e) for e in entries])
        self._emit(progress)
        return progress

    async def wait(self) -> BulkProgress:
        """Wait for the job's task to end and return its final progress."""
        task = self.start() if self.task is None else self.task
        return await task

    # -- progress ----------------------------------------------------------------------------

    async def progress(self, results: Sequence[BulkRowResult] = ()) -> BulkProgress:
        """Counts from the journal, with the rows that changed."""

        def read() -> tuple[BulkSendRecord, dict[OutboxState, int]]:
            return self.journal.get_bulk(self.bulk_id), self.journal.bulk_counts(self.bulk_id)

        record, counts = await asyncio.to_thread(read)
        pending = counts[OutboxState.QUEUED] + counts[OutboxState.SENDING]
        return BulkProgress(
            bulk_id=self.bulk_id,
            total=record.total_rows,
            done=record.total_rows - pending,
            sent=counts[OutboxState.ACCEPTED],
            failed=counts[OutboxState.REJECTED] + counts[OutboxState.UNKNOWN],
            skipped=record.skipped_rows,
            paused=record.state is BulkState.PAUSED,
            finished=record.state is BulkState.FINISHED,
            cancelled=record.state is BulkState.CANCELLED,
            results=tuple(results),
        )

    def _emit(self, progress: BulkProgress) -> None:
        if self.on_progress is not None:
            try:
                self.on_progress(progress)
            except Exception:
                log.exception("bulk progress callback failed")

    async def _report(self, entries: Sequence[OutboxEntry] = ()) -> None:
        self._emit(await self.progress([row_result(e) for e in entries]))

    def _report_soon(self) -> None:
        if self.on_progress is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._pending_report = loop.create_task(self._report(), name="bulk-progress")

    async def _entries(self, ids: Sequence[str]) -> list[OutboxEntry]:
        return await asyncio.to_thread(lambda: [self.journal.get_outbox(i) for i in ids])

    # -- sending -----------------------------------------------------------------------------

    async def run(self) -> BulkProgress:
        """Send every queued row of the bulk send; safe to call again after a restart."""
        record = await asyncio.to_thread(self.journal.get_bulk, self.bulk_id)
        if record.state is BulkState.PAUSED:
            self._running.clear()
        skipped = _skipped_rows(record)
        self._emit(await self.progress(skipped))
        if record.state in (BulkState.FINISHED, BulkState.CANCELLED):
            return await self.progress()
        provider = await self.outbox.clients.provider(record.account_id)
        size = self._chunk_size(provider)
        # Rows a crash interrupted first; then the queue; then the lost answers of this run
        # (which may put rows proved never received back in the queue), at most twice.
        for _ in range(3):
            await self._resolve_interrupted()
            if not await self._send_queued(provider, record.account_id, size):
                break
        if not self._cancelled:
            current = await asyncio.to_thread(self.journal.get_bulk, self.bulk_id)
            if current.state is BulkState.RUNNING:
                await asyncio.to_thread(
                    self.journal.set_bulk_state, self.bulk_id, BulkState.FINISHED
                )
        final = await self.progress()
        self._emit(final)
        return final

    async def _send_queued(self, provider: str, account_id: str, size: int) -> bool:
        """Send queued rows until none is left; False when cancelled or nothing was queued."""
        sent_any = False
        while True:
            await self._running.wait()
            if self._cancelled:
                return False
            ids = await asyncio.to_thread(
                entry_ids_of_bulk, self.journal, self.bulk_id, [OutboxState.QUEUED], size
            )
            if not ids:
                return sent_any
            sent_any = True
            if provider in BATCH_PROVIDERS and size > 1:
                await self._send_batch(provider, account_id, ids)
            else:
                await self._send_each(ids)

    def _chunk_size(self, provider: str) -> int:
        caps = capabilities_for(provider)
        if provider not in BATCH_PROVIDERS:
            return 20
        limit = caps.batch_size
        return max(1, min(limit, self.service.batch_size or limit))

    async def _resolve_interrupted(self) -> None:
        """Finish rows a crash left ``sending`` (or resolvable ``unknown``): never re-sent
        blindly; rows proved never received go back to the queue."""
        ids = await asyncio.to_thread(
            entry_ids_of_bulk,
            self.journal,
            self.bulk_id,
            [OutboxState.SENDING, OutboxState.UNKNOWN],
        )
        changed: list[OutboxEntry] = []
        for entry in await self._entries(ids):
            delivery = await self.outbox.resolve(entry, send_absent=False)
            changed.append(delivery.entry)
        if changed:
            await self._report(changed)

    async def _send_each(self, ids: Sequence[str]) -> None:
        """One request per row, paced by the account's shared pacer."""
        for entry_id in ids:
            await self._running.wait()
            if self._cancelled:
                return
            try:
                delivery = await self.outbox.deliver(entry_id, resend_lost=False)
            except OutboxStateError:  # cancelled meanwhile
                continue
            await self._report([delivery.entry])

    async def _send_batch(self, provider: str, account_id: str, ids: Sequence[str]) -> None:
        """One native batch request for the rows (MailingAPI batch, SMS.BY sendBulkEmail)."""
        entries = await self.outbox.claim(ids)
        if not entries:
            return
        batchable = [e for e in entries if self._batchable(provider, e)]
        batched_ids = {e.id for e in batchable}
        singles = [e for e in entries if e.id not in batched_ids]
        for entry in singles:  # SMS.BY letters with attachments go one by one
            await self._report([(await self.outbox.send_claimed(entry)).entry])
        if not batchable:
            return
        client = await self.outbox.clients.client(account_id)
        messages = [wire_message(e, provider) for e in batchable]
        try:
            if provider == "mailingapi":
                batch_client: Any = client
                answer = await with_retries(
                    lambda: batch_client.send_batch_messages(messages),
                    self.outbox.policy,
                    sleep=self.outbox.sleep,
                )
                results = mailingapi_results(provider, batchable, answer)
            else:
                sms_client: Any = client
                sending = smsby_wire.Sending.of(messages[0])
                letters = [
                    smsby_wire.PersonalLetter(
                        m.to[0].email, m.subject, smsby_wire.letter_body(m.html, m.text)
                    )
                    for m in messages
                ]
                uuid_ = await with_retries(
                    lambda: sms_client.send_bulk_email(sending, delivery_list=letters),
                    self.outbox.policy,
                    sleep=self.outbox.sleep,
                )
                results = smsby_results(provider, batchable, str(uuid_))
        except UnknownOutcome:
            await self._after_lost_batch(provider, batchable)
            return
        except ProviderError as error:
            await self._report(await self.outbox.reject_many(batchable, error))
            return
        await self._report(await self.outbox.accept_many(provider, results))

    @staticmethod
    def _batchable(provider: str, entry: OutboxEntry) -> bool:
        message = entry.message
        if len(message.to) != 1 or message.cc or message.bcc:
            return False
        return provider != "smsby" or not message.attachments

    async def _after_lost_batch(self, provider: str, entries: Sequence[OutboxEntry]) -> None:
        """A batch's answer was lost: MailingAPI rows are looked up one by one (absent ones go
        back to the queue); SMS.BY rows become unknown (it cannot tell; never re-sent)."""
        if provider == "smsby":
            text = ASK_USER_TEXT.format(provider="SMS.BY")
            await self._report(await self.outbox.unknown_many(entries, text))
            return
        changed = []
        for entry in entries:
            fresh = await self.outbox.get(entry.id)
            if fresh.attempts >= MAX_LOST_BATCH_ATTEMPTS:
                # Answers keep getting lost: stop re-sending and let the user decide (a later
                # resume still looks each row up before anything is sent again).
                text = (
                    f"No answer came back {fresh.attempts} times; the message may have been "
                    "received. Send again or cancel."
                )
                changed += await self.outbox.unknown_many([fresh], text)
                continue
            changed.append((await self.outbox.resolve(fresh, send_absent=False)).entry)
        await self._report(changed)


def mailingapi_results(
    provider: str, entries: Sequence[OutboxEntry], answer: mailingapi_wire.BatchResult
) -> list[tuple[OutboxEntry, SendResult]]:
    """Each row's result from a MailingAPI batch answer (items matched by index)."""
    by_index = {item.index: item for item in answer.items}
    results = []
    for index, entry in enumerate(entries):
        outcome: RecipientOutcome = mailingapi_wire.batch_outcome(
            entry.message.to[0].email,
            by_index.get(index),
            scheduled=entry.message.send_at is not None,
        )
        results.append(
            (
                entry,
                SendResult(
                    provider=provider,
                    outcomes=[outcome],
                    provider_message_id=outcome.provider_message_id,
                ),
            )
        )
    return results


def smsby_results(
    provider: str, entries: Sequence[OutboxEntry], uuid_: str
) -> list[tuple[OutboxEntry, SendResult]]:
    """Each row's result from an SMS.BY ``sendBulkEmail`` (ids ``bulk:<uuid>:<email>``)."""
    results = []
    for entry in entries:
        email = entry.message.to[0].email
        outcome = smsby_wire.accepted_outcome(email, f"bulk:{uuid_}:{email}", entry.message.send_at)
        results.append(
            (
                entry,
                SendResult(
                    provider=provider,
                    outcomes=[outcome],
                    provider_message_id=outcome.provider_message_id,
                ),
            )
        )
    return results
