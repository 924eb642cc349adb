"""Accounts: their typed settings, declared once, and the service that stores them.

The settings live in the journal; the API key lives only in the OS keyring
(:class:`~mailconsole.services.secrets.SecretStore`). A real account is never saved without
its key stored first; sandbox accounts use the sandbox's public keys and need no keyring.
"""

from __future__ import annotations

import asyncio
import builtins
import ipaddress
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailconsole.core.capabilities import CAPABILITIES, capabilities_for
from mailconsole.core.message import Address
from mailconsole.services.secrets import SecretStore, SecretStoreUnavailable
from mailconsole.store.journal import AccountRecord, Journal

log = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "Europe/Minsk"

SANDBOX_NAME = "Sandbox"


def _setting(
    default: Any, label: str, help: str = "", providers: tuple[str, ...] | None = None
) -> Any:
    """A settings field with its label, help text and the providers it applies to."""
    return field(default=default, metadata={"label": label, "help": help, "providers": providers})


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """Every setting of an account, with its type, default and label (never the API key)."""

    name: str = _setting("", "Name", "Shown in the account selector")
    provider: str = _setting("mailingapi", "Provider")
    base_url: str = _setting(
        "", "Base URL", "The API's address; prefilled with the production URL where known"
    )
    default_sender: str = _setting("", "Default sender", "From address prefilled in Compose")
    time_zone: str = _setting(
        DEFAULT_TIME_ZONE,
        "Time zone",
        "The account's time zone at SMS.BY; scheduled times are sent in it",
        providers=("smsby",),
    )
    is_sandbox: bool = _setting(False, "Sandbox", "Sends to the built-in sandbox only")

    @classmethod
    def for_provider(cls, provider: str, **values: Any) -> AccountSettings:
        """Defaults for ``provider``: its production URL prefilled (eMsgNow has none)."""
        url = capabilities_for(provider).production_url or ""
        return cls(provider=provider, **{"base_url": url, **values})

    def problems(self) -> list[tuple[str, str]]:
        """Every problem as (field, message); empty when the settings can be saved."""
        found: list[tuple[str, str]] = []
        if not self.name.strip():
            found.append(("name", "Enter a name for the account."))
        elif len(self.name) > 100:
            found.append(("name", "The name is longer than 100 characters."))
        if self.provider not in CAPABILITIES:
            known = ", ".join(c.display_name for c in CAPABILITIES.values())
            found.append(("provider", f"Choose a provider ({known})."))
        found += _url_problems(self.base_url, self.provider, self.is_sandbox)
        if self.default_sender.strip() and not _looks_like_address(self.default_sender):
            found.append(("default_sender", "The default sender is not an email address."))
        if self.time_zone:
            try:
                ZoneInfo(self.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                found.append(("time_zone", f"Unknown time zone {self.time_zone!r}."))
        return found


@dataclass(frozen=True, slots=True)
class SettingField:
    """One declared setting, for building the accounts dialog."""

    name: str
    type: type
    default: Any
    label: str
    help: str
    providers: tuple[str, ...] | None  #: None: every provider


def _declared_fields() -> tuple[SettingField, ...]:
    hints = get_type_hints(AccountSettings)
    return tuple(
        SettingField(
            name=f.name,
            type=hints[f.name],
            default=f.default,
            label=f.metadata["label"],
            help=f.metadata["help"],
            providers=f.metadata["providers"],
        )
        for f in fields(AccountSettings)
    )


#: The settings in dialog order.
SETTING_FIELDS: tuple[SettingField, ...] = _declared_fields()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problems(url: str, provider: str, is_sandbox: bool) -> list[tuple[str, str]]:
    if not url.strip():
        name = CAPABILITIES[provider].display_name if provider in CAPABILITIES else "This API"
        return [("base_url", f"Enter the base URL of {name}.")]
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [("base_url", "The base URL must start with https:// and name a host.")]
    loopback = _is_loopback(parts.hostname)
    if parts.scheme == "http" and not loopback:
        return [("base_url", "Use https://: over http:// the API key would travel in clear.")]
    if is_sandbox and not loopback:
        return [("base_url", "A sandbox account must point at the local sandbox.")]
    return []


def _looks_like_address(text: str) -> bool:
    email = Address.parse(text).email
    local, at, domain = email.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in email))


def sandbox_key(provider: str) -> str:
    """The sandbox's public key for ``provider`` (CONTRACT.md, "The sandbox")."""
    return f"sandbox-{provider}"


class AccountInvalid(ValueError):
    """The settings cannot be saved; ``problems`` lists (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


class MissingApiKey(LookupError):
    """A real account has no key in the OS keyring (it was removed outside the console)."""


@dataclass(frozen=True, slots=True)
class Account:
    """A stored account: its id, settings and creation time."""

    id: str
    settings: AccountSettings
    created_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def provider(self) -> str:
        return self.settings.provider

    @property
    def is_sandbox(self) -> bool:
        return self.settings.is_sandbox

    @property
    def label(self) -> str:
        """``Acme — MailingAPI`` (``Sandbox — MailingAPI`` for a sandbox account)."""
        return f"{self.name} — {capabilities_for(self.provider).display_name}"


def _to_record(account_id: str, s: AccountSettings) -> AccountRecord:
    return AccountRecord(
        id=account_id,
        name=s.name.strip(),
        provider=s.provider,
        base_url=s.base_url.strip().rstrip("/"),
        default_sender=s.default_sender.strip(),
        settings={"time_zone": s.time_zone},
        is_sandbox=s.is_sandbox,
    )


def _from_record(r: AccountRecord) -> Account:
    settings = AccountSettings(
        name=r.name,
        provider=r.provider,
        base_url=r.base_url,
        default_sender=r.default_sender,
        time_zone=str(r.settings.get("time_zone", DEFAULT_TIME_ZONE)),
        is_sandbox=r.is_sandbox,
    )
    return Account(id=r.id, settings=settings, created_at=r.created_at)


class AccountService:
    """Adds, changes and removes accounts: settings in the journal, keys in the keyring.

    Every method is a coroutine; journal and keyring calls run in worker threads.
    """

    def __init__(self, journal: Journal, secrets: SecretStore) -> None:
        self.journal = journal
        self.secrets = secrets

    @staticmethod
    def _validate(settings: AccountSettings) -> None:
        problems = settings.problems()
        if problems:
            raise AccountInvalid(problems)

    async def add(self, settings: AccountSettings, api_key: str | None) -> Account:
        """Validate, store the key in the OS keyring, then the settings.

        A real account needs a key and a working keyring (else ``SecretStoreUnavailable``, and
        nothing is saved); a sandbox account needs neither.
        """
        self._validate(settings)
        account_id = uuid.uuid4().hex
        if not settings.is_sandbox:
            if not api_key or not api_key.strip():
                raise AccountInvalid([("api_key", "Enter the API key.")])
            await self.secrets.set(account_id, api_key.strip())
        try:
            record = await asyncio.to_thread(
                self.journal.add_account, _to_record(account_id, settings)
            )
        except BaseException:
            if not settings.is_sandbox:
                await self._forget_key(account_id)
            raise
        log.info("added account %s (%s)", account_id, settings.provider)
        return _from_record(record)

    async def _forget_key(self, account_id: str) -> None:
        try:
            await self.secrets.delete(account_id)
        except SecretStoreUnavailable:
            log.warning("could not remove the key of unsaved account %s", account_id)

    async def update(
        self, account_id: str, settings: AccountSettings, api_key: str | None = None
    ) -> Account:
        """Change an account's settings; a new ``api_key`` replaces the stored one first."""
        self._validate(settings)
        current = await self.get(account_id)
        if not settings.is_sandbox:
            if api_key and api_key.strip():
                await self.secrets.set(account_id, api_key.strip())
            elif current.is_sandbox or await self.secrets.get(account_id) is None:
                raise AccountInvalid([("api_key", "Enter the API key.")])
        record = await asyncio.to_thread(
            self.journal.update_account, _to_record(account_id, settings)
        )
        if settings.is_sandbox and not current.is_sandbox:
            await self.secrets.delete(account_id)
        log.info("updated account %s", account_id)
        return _from_record(record)

    async def remove(self, account_id: str) -> None:
        """Delete the account's key from the keyring, then the account and its history."""
        account = await self.get(account_id)
        if not account.is_sandbox:
            await self.secrets.delete(account_id)
        await asyncio.to_thread(self.journal.delete_account, account_id)
        log.info("removed account %s", account_id)

    async def get(self, account_id: str) -> Account:
        """One account (``UnknownRecord`` if there is none)."""
        return _from_record(await asyncio.to_thread(self.journal.get_account, account_id))

    async def list(self) -> list[Account]:
        """Every account, sandbox accounts last."""
        records = await asyncio.to_thread(self.journal.list_accounts)
        return [_from_record(r) for r in records]

    async def api_key(self, account: Account | str) -> str:
        """The key to send with: the sandbox's public key, or the one in the OS keyring."""
        if isinstance(account, str):
            account = await self.get(account)
        if account.is_sandbox:
            return sandbox_key(account.provider)
        key = await self.secrets.get(account.id)
        if key is None:
            raise MissingApiKey(
                f"No API key for {account.label} is in the OS keyring; enter it in Accounts."
            )
        return key

    async def sandbox_accounts(
        self, sandbox_base_urls: Mapping[str, str]
    ) -> builtins.list[Account]:
        """Create or update one "Sandbox" account per provider pointing at the sandbox.

        ``sandbox_base_urls`` maps provider id to the sandbox URL of that provider (e.g.
        ``http://127.0.0.1:8025/mailingapi``); the accounts have fixed ids ``sandbox-<id>``.
        """
        accounts = []
        for provider, url in sandbox_base_urls.items():
            account_id = f"sandbox-{provider}"
            settings = AccountSettings.for_provider(
                provider,
                name=SANDBOX_NAME,
                base_url=url,
                default_sender="console@example.com",
                is_sandbox=True,
            )
            self._validate(settings)
            record = _to_record(account_id, settings)

            def upsert(record: AccountRecord = record) -> AccountRecord:
                try:
                    current = self.journal.get_account(record.id)
                except LookupError:
                    return self.journal.add_account(record)
                return self.journal.update_account(
                    replace(record, default_sender=current.default_sender or record.default_sender)
                )

            accounts.append(_from_record(await asyncio.to_thread(upsert)))
        return accounts
