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
from mailconsole.core.message import Address, Message, Suppression, Template
from mailconsole.core.templates import template_variables
from mailconsole.core.validation import FieldError, validate_message
from mailconsole.providers import create
from mailconsole.providers.base import ProviderClient
from mailconsole.services.accounts import Account, AccountService, AccountSettings
from mailconsole.services.checks import console_checks
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
from mailconsole.services.request_preview import as_curl, capture_send_request
from mailconsole.services.secrets import SecretStore, SecretStoreUnavailable
from mailconsole.services.suppressions import SuppressionService
from mailconsole.store.journal import Journal, MessageFilter, MessageRecord

log = logging.getLogger(__name__)

Listener = Callable[[ConsoleNotice], None]
ProgressCallback = Callable[[BulkProgress], None]

VERIFIED_SANDBOX_DOMAINS = ("example.com", "yourdomain.com", "test.com")


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
        self.accounts_service = AccountService(journal, secrets)
        self.suppression_service = SuppressionService(journal, clock=clock)
        self.clock = clock
        self._listeners: list[Listener] = []
        self._accounts: dict[str, AccountView] = {}
        self._keyring = "not checked yet"
        self._clients: dict[str, ProviderClient] = {}
        self._status: dict[str, ProviderStatus] = {}

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

    async def close(self) -> None:
        """Close every client, then the journal."""
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)
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

    # -- accounts --------------------------------------------------------------------------

    async def _reload_accounts(self) -> None:
        self._accounts = {a.id: _view(a) for a in await self.accounts_service.list()}

    async def _check_keyring(self) -> None:
        try:
            self._keyring = await self.secrets.backend_name()
        except SecretStoreUnavailable as exc:
            self._keyring = f"none — {exc}"

    def accounts(self) -> list[AccountView]:
        return list(self._accounts.values())

    def account(self, account_id: str) -> AccountView:
        return self._accounts[account_id]

    def capabilities(self, account_id: str) -> Capabilities:
        return self._accounts[account_id].capabilities

    def keyring_backend(self) -> str:
        """The OS keyring in use, for the status bar ("Secret Service"), or why none works."""
        return self._keyring

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
        client = self._clients.get(account_id)
        budget = client.pacer.budget_text if client is not None else "no requests yet"
        if status is None:
            return ProviderStatus(account_id=account_id, budget=budget, health="ok")
        return ProviderStatus(account_id, budget, status.health, status.last_error)

    async def client(self, account_id: str) -> ProviderClient:
        """The account's one long-lived client (created on first use)."""
        client = self._clients.get(account_id)
        if client is None or client.closed:
            view = self._accounts[account_id]
            api_key = await self.accounts_service.api_key(account_id)
            client = create(
                view.provider,
                api_key=api_key,
                base_url=view.base_url or None,
                **_client_settings(view),
            )
            self._clients[account_id] = client
        return client

    async def _drop_client(self, account_id: str) -> None:
        client = self._clients.pop(account_id, None)
        if client is not None:
            await client.aclose()

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
        """Every problem, each naming its field (suppressions are checked by :meth:`send`)."""
        view = self._accounts[account_id]
        domains = VERIFIED_SANDBOX_DOMAINS if view.is_sandbox else None
        return validate_message(
            message, view.capabilities, now=self.clock(), verified_domains=domains
        )

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

        Raises ``MessageInvalid`` (fields), ``ProviderError`` subclasses (the provider's words).
        """
        raise NotImplementedError  # lands with the outbox

    async def save_draft(self, account_id: str, fields: dict[str, Any]) -> None:
        await asyncio.to_thread(self.journal.save_draft, account_id, fields)

    async def load_draft(self, account_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.journal.load_draft, account_id)

    # -- bulk ------------------------------------------------------------------------------

    async def read_csv(self, path: Path) -> CsvTable:
        raise NotImplementedError  # lands with the outbox

    async def start_bulk(
        self,
        account_id: str,
        template: Message,
        table: CsvTable,
        mapping: ColumnMapping,
        on_progress: ProgressCallback,
    ) -> str:
        """Queue every row in the outbox, then send; returns the bulk id."""
        raise NotImplementedError  # lands with the outbox

    def pause_bulk(self, bulk_id: str) -> None:
        raise NotImplementedError  # lands with the outbox

    def resume_bulk(self, bulk_id: str) -> None:
        raise NotImplementedError  # lands with the outbox

    async def cancel_bulk(self, bulk_id: str) -> BulkProgress:
        raise NotImplementedError  # lands with the outbox

    async def scheduled(self) -> list[ScheduledRow]:
        raise NotImplementedError  # lands with the outbox

    async def cancel_scheduled(self, row_id: str) -> None:
        raise NotImplementedError  # lands with the outbox

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

    @staticmethod
    def template_variables(template: Template) -> list[str]:
        return template_variables(template.subject, template.html, template.text)

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


def parse_addresses(text: str) -> list[Address]:
    """Addresses typed in a field (comma or semicolon separated)."""
    return Address.parse_list(text)
