"""The provider-neutral message, its send result, templates and suppressions.

These are plain frozen dataclasses: the window builds a :class:`Message`, a provider client
turns it into its own wire format, and answers come back as :class:`SendResult`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses
from enum import StrEnum
from typing import Any

from mailconsole.core.events import EventType

#: Characters that make a display name need quoting (RFC 5322 "specials", as email.utils).
_NAME_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def _semicolons_to_commas(text: str) -> str:
    """Turn ``;`` separators into ``,`` except inside a quoted display name."""
    out: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            char = ","
        out.append(char)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Address:
    """An email address with an optional display name."""

    email: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse ``"Jane <jane@x.com>"`` or ``"jane@x.com"`` (no validation here).

        Text that is not one address is kept whole as the email, so validation reports what
        the user typed rather than a fragment of it.
        """
        stripped = text.strip()
        parsed = getaddresses([stripped])
        if len(parsed) == 1 and parsed[0][1]:
            name, email = parsed[0]
            if name.strip() or "<" in stripped or email.strip() == stripped:
                return cls(email=email.strip(), name=name.strip())
        return cls(email=stripped)

    @classmethod
    def parse_list(cls, text: str) -> list[Address]:
        """Parse a comma- or semicolon-separated list of addresses; empty parts are dropped.

        Separators inside a quoted display name (``"Doe; Jane" <j@x.com>``) are kept.
        """
        parts = getaddresses([_semicolons_to_commas(text)])
        return [cls(email=e.strip(), name=n.strip()) for n, e in parts if e.strip()]

    def formatted(self) -> str:
        """``Jane <jane@x.com>``, quoting the name where RFC 5322 needs it.

        Non-ASCII names stay readable (``Jöhn <j@x.com>``): the JSON APIs take UTF-8, and MIME
        encoding is the provider's job.
        """
        if not self.name:
            return self.email
        name = self.name
        if _NAME_SPECIALS.search(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.email}>"

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()

    def __str__(self) -> str:
        return self.formatted()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with the message; ``content_id`` makes it an inline image (``cid:``)."""

    filename: str
    content: bytes = field(repr=False)
    content_type: str = "application/octet-stream"
    content_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """A template to send by: its provider (or local) id and the variables to fill it with."""

    template_id: str
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """One email to send, independent of any provider.

    ``send_at`` and ``expire_at`` are aware datetimes; ``client_reference`` is the console's own
    id, sent as MailingAPI ``metadata.mailconsole_id`` and eMsgNow ``clientId`` so a lost answer
    can be recovered; ``idempotency_key`` is EmailMassivo's ``idempotencyKey``.
    """

    sender: Address
    to: Sequence[Address]
    subject: str = ""
    html: str = ""
    text: str = ""
    cc: Sequence[Address] = ()
    bcc: Sequence[Address] = ()
    preview_title: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: Sequence[Attachment] = ()
    tags: Sequence[str] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    track_opens: bool | None = None
    track_clicks: bool | None = None
    send_at: datetime | None = None
    expire_at: datetime | None = None
    template: TemplateRef | None = None
    client_reference: str = field(default_factory=lambda: uuid.uuid4().hex)
    idempotency_key: str | None = None
    callback_url: str | None = None

    @property
    def recipients(self) -> list[Address]:
        """Every recipient: to, then cc, then bcc."""
        return [*self.to, *self.cc, *self.bcc]


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One recipient of a personalised bulk send, with its variables."""

    to: Address
    variables: Mapping[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True, slots=True)
class BulkSend:
    """A personalised bulk send: one template message and rows of per-recipient variables.

    The template message's ``to`` is ignored; its subject, html and text hold ``{{var}}``
    placeholders filled from each row.
    """

    template: Message
    rows: Sequence[BulkRow]


class OutcomeStatus(StrEnum):
    """How the provider answered for one recipient."""

    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class RecipientOutcome:
    """The answer for one recipient: the provider's message id, a status and any error."""

    recipient: str
    status: OutcomeStatus
    provider_message_id: str | None = None
    event: EventType = EventType.QUEUED
    error: str | None = None
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send request.

    ``provider_message_id`` is the id of the whole request where the provider gives one (SMS.BY
    bulk ``uuid``, EmailMassivo's first ``uuid``); ``duplicate`` is True when the provider said
    it had already accepted the same mail (EmailMassivo's 200).
    """

    provider: str
    outcomes: Sequence[RecipientOutcome]
    provider_message_id: str | None = None
    duplicate: bool = False
    warning: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def accepted(self) -> bool:
        """True when at least one recipient was accepted or scheduled."""
        return any(
            o.status in (OutcomeStatus.ACCEPTED, OutcomeStatus.SCHEDULED) for o in self.outcomes
        )


@dataclass(frozen=True, slots=True)
class Template:
    """A template offered by a provider or kept by the console.

    ``variables`` lists the placeholder names; ``read_only`` templates (SMS.BY) cannot be sent
    by id and are shown for reference.
    """

    id: str
    name: str
    source: str
    subject: str = ""
    html: str = ""
    text: str = ""
    variables: Sequence[str] = ()
    read_only: bool = False


class SuppressionSource(StrEnum):
    """Why an address came to be suppressed."""

    MANUAL = "manual"
    UNSUBSCRIBED = "unsubscribed"
    COMPLAINED = "complained"
    BOUNCED = "bounced"
    PROVIDER_REFUSAL = "provider_refusal"


@dataclass(frozen=True, slots=True)
class Suppression:
    """An address the console will not send to.

    ``account_id`` None means every account; ``list_ids`` narrows an SMS.BY suppression to
    those mailing lists.
    """

    email: str
    source: SuppressionSource
    reason: str = ""
    account_id: str | None = None
    list_ids: Sequence[str] = ()
    created_at: datetime | None = None
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderMessage:
    """A message as a provider reports it back (lookup, listing, scheduled list)."""

    provider: str
    provider_message_id: str
    status: EventType
    raw_status: str = ""
    to: Sequence[str] = ()
    subject: str = ""
    sender: str = ""
    created_at: datetime | None = None
    scheduled_at: datetime | None = None
    expire_at: datetime | None = None
    client_reference: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    events: Sequence[Any] = ()
    raw: Any = field(default=None, compare=False, repr=False)
