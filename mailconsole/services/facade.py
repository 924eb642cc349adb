"""The one object the window calls: accounts, compose, send, bulk, schedules, timeline and
suppressions, over the journal, the outbox and the provider clients.

It reports changes as plain callbacks (:meth:`ConsoleFacade.add_listener` receives
:class:`~mailconsole.services.facade_types.ConsoleNotice` objects); the window adapts them to Qt
signals. Methods that touch the network, the keyring or SQLite are coroutines and run their
blocking parts in worker threads; the synchronous ones answer from memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailconsole.core.capabilities import Capabilities, capabilities_for
from mailconsole.core.errors import ProviderError
from mailconsole.core.events import Event
from mailconsole.core.message import Message, Suppression, Template
from mailconsole.core.validation import FieldError, MessageInvalid, validate_message
from mailconsole.providers import create
from mailconsole.providers.base import ProviderClient, shared_tls_context
from mailconsole.services import csv_import
from mailconsole.services.accounts import Account, AccountService, AccountSettings
from mailconsole.services.bulk import BulkJob, BulkService
from mailconsole.services.checks import console_checks
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.facade_types import (
    AccountDraft,
    AccountView,
    Analysis,
    BulkProgress,
    ColumnMapping,
    ConsoleNotice,
    CsvTable,
    MessageRow,
    ProviderStatus,
    ScheduledRow,
    SendReceipt,
)
from mailconsole.services.outbox import Outbox
from mailconsole.services.poller import EventPoller
from mailconsole.services.request_preview import as_curl, capture_send_request
from mailconsole.services.schedules import ScheduleService
from mailconsole.services.secrets import SecretStore, SecretStoreUnavailable
from mailconsole.services.suppressions import SuppressionService, SyncAction
from mailconsole.store.journal import (
    AccountRecord,
    Journal,
    MessageFilter,
    MessageRecord,
    OutboxEntry,
)

log = logging.getLogger(__name__)

#: Rows per native batch request of a bulk send started from the window.
BULK_BATCH = 100

Listener = Callable[[ConsoleNotice], None]
ProgressCallback = Callable[[BulkProgress], None]


def _view(account: Account) -> AccountView:
    s = account.settings
    return AccountView(
        id=account.id,
        name=s.name,
        provider=s.provider,
        base_url=s.base_url,
        default_sender=s.default_sender,
        is_sandbox=s.is_sandbox,
        capabilities=capabilities_for(s.provider),
        time_zone=s.time_zone,
    )


def _settings(draft: AccountDraft, *, is_sandbox: bool = False) -> AccountSettings:
    return AccountSettings(
        name=draft.name,
        provider=draft.provider,
        base_url=draft.base_url,
        default_sender=draft.default_sender,
        time_zone=draft.time_zone,
        is_sandbox=is_sandbox,
    )


def _client_settings(view: AccountView) -> dict[str, Any]:
    """Provider-specific client settings taken from the account."""
    return {"time_zone": view.time_zone} if view.provider == "smsby" else {}


class ConsoleFacade:
    """What the window calls (issue #4, item 9). Open with :meth:`open`, end with :meth:`close`."""

    def __init__(
        self,
        journal: Journal,
        secrets: SecretStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.journal = journal
        self.secrets = secrets
        self.clock = clock
        self.accounts_service = AccountService(journal, secrets)
        self.clients = ClientRegistry(journal, key_source=self._api_key)
        self.suppression_service = SuppressionService(
            journal, sync=self._sync_suppression, clock=clock
        )
        self.outbox = Outbox(
            journal,
            self.clients,
            suppressions=self.suppression_service,
            clock=clock,
            listener=self._on_outbox,
        )
        # Batches of 100 rather than MailingAPI's 1,000: each batch's request is built and its
        # answer read on the event loop, and smaller steps keep the window responsive (a
        # 10,000-row send: worst stall 41-49 ms at 100, 48-65 ms at 250; ~950 rows/s).
        self.bulk = BulkService(
            journal, self.outbox, suppressions=self.suppression_service, batch_size=BULK_BATCH
        )
        self.poller = EventPoller(
            journal,
            self.clients,
            suppressions=self.suppression_service,
            clock=clock,
            listener=self._on_events,
        )
        self.schedules = ScheduleService(journal, self.clients, self.outbox, clock=clock)
        self._listeners: list[Listener] = []
        self._accounts: dict[str, AccountView] = {}
        self._keyring = "not checked yet"
        self._keyring_problem = ""
        self._status: dict[str, ProviderStatus] = {}
        self._background: set[asyncio.Task[Any]] = set()

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        *,
        data_dir: Path | None = None,
        sandbox_urls: Mapping[str, str] | None = None,
        secrets: SecretStore | None = None,
    ) -> ConsoleFacade:
        """Open the journal, the accounts and (with ``sandbox_urls``) the sandbox accounts."""
        journal = await asyncio.to_thread(Journal.open, data_dir)
        # Clients share one TLS context; building it reads the CA bundle, so do it here.
        await asyncio.to_thread(shared_tls_context)
        facade = cls(journal, secrets if secrets is not None else SecretStore())
        try:
            if sandbox_urls:
                await facade.accounts_service.sandbox_accounts(sandbox_urls)
            await facade._reload_accounts()
            await facade._check_keyring()
        except BaseException:
            await asyncio.to_thread(journal.close)
            raise
        return facade

    def start_background(self) -> None:
        """Finish what a crash interrupted, then poll events and send due send-laters.

        Separate from :meth:`open` so the window shows first; the work runs in tasks kept here.
        """
        task = asyncio.create_task(self._resume(), name="outbox-resume")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        self.poller.start()
        self.schedules.start()

    async def _resume(self) -> None:
        try:
            deliveries = await self.outbox.resume()
        except Exception:
            log.exception("resuming the outbox failed")
            return
        if deliveries:
            log.info("resumed %d interrupted send(s)", len(deliveries))

    async def close(self) -> None:
        """Stop the background work and bulk sends, close every client, then the journal."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.poller.stop()
        await self.schedules.stop()
        for job in list(self.bulk.jobs.values()):
            if job.task is not None and not job.task.done():
                job.task.cancel()
                await asyncio.gather(job.task, return_exceptions=True)
        await self.clients.aclose()
        await asyncio.to_thread(self.journal.close)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, kind: str, account_id: str | None = None, payload: Any = None) -> None:
        notice = ConsoleNotice(kind=kind, account_id=account_id, payload=payload)
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("a listener failed on %s", kind)

    def _on_outbox(self, entry: OutboxEntry) -> None:
        self._notify("message", entry.account_id, entry)

    def _on_events(self, record: MessageRecord, events: Sequence[Event]) -> None:
        self._notify("events", record.account_id, record)

    async def _api_key(self, record: AccountRecord) -> str:
        return await self.accounts_service.api_key(record.id)

    async def _sync_suppression(self, action: SyncAction, suppression: Suppression) -> str | None:
        """Mirror a manual (un)suppression at SMS.BY, which keeps its own unsubscribe list."""
        if suppression.account_id is None:
            return None
        client = await self.clients.client(suppression.account_id)
        list_ids = list(suppression.list_ids) or None
        if action is SyncAction.UNSUBSCRIBE:
            await client.unsubscribe_email(  # type: ignore[attr-defined]
                suppression.email, list_ids, suppression.reason or None
            )
            return "SMS.BY unsubscribed the address"
        await client.subscribe_email(suppression.email, list_ids)  # type: ignore[attr-defined]
        return "SMS.BY subscribed the address again"

    # -- accounts --------------------------------------------------------------------------

    async def _reload_accounts(self) -> None:
        self._accounts = {a.id: _view(a) for a in await self.accounts_service.list()}

    async def _check_keyring(self) -> None:
        try:
            self._keyring = await self.secrets.backend_name()
            self._keyring_problem = ""
        except SecretStoreUnavailable as exc:
            self._keyring = "none"
            self._keyring_problem = str(exc)

    def accounts(self) -> list[AccountView]:
        return list(self._accounts.values())

    def capabilities(self, account_id: str) -> Capabilities:
        return self._accounts[account_id].capabilities

    def keyring_backend(self) -> str:
        """The OS keyring in use, for the status bar ("Secret Service"), or "none"."""
        return self._keyring

    def keyring_problem(self) -> str:
        """Why no OS keyring works, and what to install or unlock; empty when one works."""
        return self._keyring_problem

    async def add_account(self, draft: AccountDraft) -> AccountView:
        """Store the key in the OS keyring, then the settings; ``SecretStoreUnavailable`` when
        no keyring works (the account is then not saved)."""
        account = await self.accounts_service.add(_settings(draft), draft.api_key)
        await self._reload_accounts()
        await self._check_keyring()
        self._notify("account", account.id)
        return self._accounts[account.id]

    async def update_account(self, account_id: str, draft: AccountDraft) -> AccountView:
        current = self._accounts[account_id]
        await self.accounts_service.update(
            account_id, _settings(draft, is_sandbox=current.is_sandbox), draft.api_key
        )
        await self._drop_client(account_id)
        await self._reload_accounts()
        self._notify("account", account_id)
        return self._accounts[account_id]

    async def remove_account(self, account_id: str) -> None:
        await self._drop_client(account_id)
        await self.accounts_service.remove(account_id)
        await self._reload_accounts()
        self._notify("account", account_id)

    async def test_connection(self, draft: AccountDraft, account_id: str | None = None) -> str:
        """An authenticated call that sends nothing; returns what was checked.

        Uses the key typed in the dialog, or the stored one when it was left empty.
        """
        api_key = draft.api_key
        if not api_key and account_id is not None:
            api_key = await self.accounts_service.api_key(account_id)
        if not api_key:
            raise ValueError("Enter the API key first.")
        settings = {"time_zone": draft.time_zone} if draft.provider == "smsby" else {}
        async with create(
            draft.provider, api_key=api_key, base_url=draft.base_url or None, **settings
        ) as client:
            return await client.check_connection()

    def provider_status(self, account_id: str) -> ProviderStatus:
        status = self._status.get(account_id)
        pacer = self.clients.pacer(account_id)
        budget = pacer.budget_text if pacer is not None else "no requests yet"
        if status is None:
            return ProviderStatus(account_id=account_id, budget=budget, health="ok")
        return ProviderStatus(account_id, budget, status.health, status.last_error)

    async def client(self, account_id: str) -> ProviderClient:
        """The account's one long-lived client, shared by sends and polls (one pacer)."""
        return await self.clients.client(account_id)

    async def _drop_client(self, account_id: str) -> None:
        await self.clients.forget(account_id)

    def _record_health(self, account_id: str, error: BaseException | None) -> None:
        if error is None:
            health, text = "ok", ""
        elif isinstance(error, ProviderError) and error.retryable:
            health, text = "paced", str(error)
        else:
            health, text = "error", str(error)
        self._status[account_id] = ProviderStatus(account_id, "", health, text)
        self._notify("status", account_id)

    # -- compose ---------------------------------------------------------------------------

    def validate(self, account_id: str, message: Message) -> list[FieldError]:
        """Every problem the console can see before sending, each naming its field.

        Sender domains are left to the provider: only it knows which are verified, and its
        refusal comes back on the From field.
        """
        return validate_message(message, self.capabilities(account_id), now=self.clock())

    async def show_request(self, account_id: str, message: Message) -> str:
        """The exact HTTP request Send would make, as curl, with the key redacted."""
        view = self._accounts[account_id]
        api_key = await self.accounts_service.api_key(account_id)
        request = await capture_send_request(
            view.provider,
            message,
            api_key=api_key,
            base_url=view.base_url,
            **_client_settings(view),
        )
        if request is None:
            return "# The client refused this message before building a request."
        text = as_curl(request, api_key)
        extra = len(message.to) - 1 if view.capabilities.max_to == 1 else 0
        if extra > 0:
            text += f"\n# …and {extra} more request(s) like it, one per To address."
        return text

    async def analyze(self, account_id: str, message: Message) -> Analysis:
        """MailingAPI's own analysis for its accounts; the console's checks for the others."""
        view = self._accounts[account_id]
        issues = console_checks(message)
        if view.capabilities.analysis:
            client = await self.client(account_id)
            report = await client.analyze(message)  # type: ignore[attr-defined]
            return Analysis(
                source=view.capabilities.display_name,
                score=report.score,
                grade=report.grade,
                issues=[
                    *report.recommendations,
                    *(i for i in issues if i not in report.recommendations),
                ],
                can_send=report.can_send,
            )
        return Analysis(source="Mail Console checks", score=None, grade=None, issues=issues)

    async def send(self, account_id: str, message: Message) -> SendReceipt:
        """Validate, check suppressions, write the outbox entry, then send.

        Raises ``MessageInvalid`` (each problem on its field, suppressed recipients on the field
        that holds them) or the provider's normalized error; the outbox keeps the entry either
        way, so nothing is lost.
        """
        problems = self.validate(account_id, message)
        problems += await self._suppression_problems(account_id, message)
        if problems:
            raise MessageInvalid(problems)
        delivery = await self.outbox.send(account_id, message)
        self._record_health(account_id, delivery.error)
        if delivery.error is not None:
            raise delivery.error
        return SendReceipt(
            outbox_id=delivery.entry.id,
            message_ids=list(delivery.message_ids),
            result=delivery.result,
            held_locally=delivery.held_locally,
        )

    async def _suppression_problems(self, account_id: str, message: Message) -> list[FieldError]:
        found = {s.email: s for s in await self.suppressed_recipients(account_id, message)}
        problems = []
        for field_name, addresses in (("to", message.to), ("cc", message.cc), ("bcc", message.bcc)):
            for address in addresses:
                suppression = found.get(address.email.strip().lower())
                if suppression is None:
                    continue
                why = f": {suppression.reason}" if suppression.reason else ""
                problems.append(
                    FieldError(
                        field_name,
                        f"{address.email} is suppressed ({suppression.source.value}{why}) — "
                        "remove it, or lift the suppression in the Suppressions tab.",
                    )
                )
        return problems

    async def save_draft(self, account_id: str, fields: dict[str, Any]) -> None:
        await asyncio.to_thread(self.journal.save_draft, account_id, fields)

    async def load_draft(self, account_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.journal.load_draft, account_id)

    # -- bulk ------------------------------------------------------------------------------

    async def read_csv(self, path: Path) -> CsvTable:
        """Read a recipients CSV in a worker thread (problems are reported by line)."""
        return await asyncio.to_thread(csv_import.read_csv, path)

    @staticmethod
    def default_mapping(table: CsvTable) -> ColumnMapping:
        """The column mapping a CSV suggests: ``email``, ``name``, the rest as variables."""
        return csv_import.default_mapping(table)

    async def start_bulk(
        self,
        account_id: str,
        template: Message,
        table: CsvTable,
        mapping: ColumnMapping,
        on_progress: ProgressCallback,
    ) -> str:
        """Check every row, queue the valid ones in the outbox in one transaction, then send in
        the background; returns the bulk id. Progress (skipped rows first) goes to
        ``on_progress``."""
        job = await self.bulk.start(account_id, template, table, mapping, on_progress)
        return job.bulk_id

    def _job(self, bulk_id: str) -> BulkJob:
        return self.bulk.job(bulk_id)

    def pause_bulk(self, bulk_id: str) -> None:
        self._job(bulk_id).pause()

    def resume_bulk(self, bulk_id: str) -> None:
        self._job(bulk_id).resume()

    async def cancel_bulk(self, bulk_id: str) -> BulkProgress:
        """Cancel every row not yet sent; returns the final progress (what was sent)."""
        return await self._job(bulk_id).cancel()

    async def scheduled(self) -> list[ScheduledRow]:
        """Scheduled messages of every account, soonest first."""
        return await self.schedules.rows()

    async def cancel_scheduled(self, row_id: str) -> None:
        await self.schedules.cancel(row_id)
        self._notify("scheduled")

    # -- templates -------------------------------------------------------------------------

    async def templates(self, account_id: str) -> list[Template]:
        """The console's own templates, then the provider's (read-only where it cannot send
        by template)."""
        local = [t.to_template() for t in await asyncio.to_thread(self.journal.list_templates)]
        view = self._accounts[account_id]
        remote: list[Template] = []
        if view.capabilities.template_listing:
            client = await self.client(account_id)
            try:
                remote = await client.list_templates()
                self._record_health(account_id, None)
            except ProviderError as exc:
                self._record_health(account_id, exc)
                raise
        return [*local, *remote]

    # -- timeline --------------------------------------------------------------------------

    async def messages_page(
        self, *, query: str = "", account_id: str | None = None, offset: int = 0, limit: int = 200
    ) -> list[MessageRow]:
        flt = MessageFilter(account_id=account_id, text=query.strip())
        records = await asyncio.to_thread(
            self.journal.page_messages, flt, limit=limit, offset=offset
        )
        return [self._row(r) for r in records]

    def _row(self, r: MessageRecord) -> MessageRow:
        view = self._accounts.get(r.account_id)
        return MessageRow(
            id=r.id,
            account_id=r.account_id,
            account_name=view.name if view else r.account_id,
            provider=r.provider,
            recipient=r.recipient,
            subject=r.subject,
            state=r.state,
            last_event=r.last_event,
            created_at=r.created_at,
            last_event_at=r.last_event_at,
            provider_message_id=r.provider_message_id,
        )

    async def timeline(self, message_id: str) -> list[Event]:
        return await asyncio.to_thread(self.journal.timeline, message_id)

    # -- suppressions ----------------------------------------------------------------------

    async def suppressions(self, query: str = "") -> list[Suppression]:
        return await self.suppression_service.search(query)

    async def suppress(
        self, email: str, *, account_id: str | None, reason: str, list_ids: Sequence[str] = ()
    ) -> Suppression:
        stored, _answer = await self.suppression_service.add(
            email, account_id=account_id, reason=reason, list_ids=list_ids
        )
        self._notify("suppression", account_id)
        return stored

    async def unsuppress(self, email: str, *, account_id: str | None) -> None:
        await self.suppression_service.remove(email, account_id=account_id)
        self._notify("suppression", account_id)

    async def suppressed_recipients(self, account_id: str, message: Message) -> list[Suppression]:
        """The suppressions that stop any recipient of ``message`` from this account."""
        emails = [a.email for a in message.recipients]
        return await self.suppression_service.check_recipients(emails, account_id)

    def now(self) -> datetime:
        """The console's clock (aware UTC)."""
        return self.clock()
