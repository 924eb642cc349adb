"""The SMS.BY Email API v2 client: form-encoded ``POST /api/v2/<method>`` calls.

The ``token`` travels as a form field, except for ``getEmailTemplates``, ``createSubscriberList``
and ``importContacts``, whose documentation puts every parameter in the query string. Bodies are
``application/x-www-form-urlencoded``, or ``multipart/form-data`` when a file is attached.
Decisions where the contract is silent:

- SMS.BY has one ``message`` field: the client sends the html body when there is one, else text.
- ``d_schedule`` is the send time in the account's time zone (``time_zone``, default
  ``Europe/Minsk``), rounded *up* to the next minute so mail never leaves before the time asked.
  A naive datetime is taken as UTC.
- ``send`` must stay trackable, but ``sendEmail`` answers an ``email_id`` no method can look up.
  So a message without attachment goes through ``sendBulkEmail`` ``personal`` (one item per To)
  and each recipient's id is ``bulk:<uuid>:<email>``, followed with ``statusBulkEmail``. A
  message with an attachment goes through ``sendEmail`` per To (ids ``email:<email_id>``): those
  are trackable only as ``queued`` (``get_message`` answers queued, ``events`` an empty list).
  ``sendEmailByList`` mailings are ``list:<message_id>``, followed with ``getEmailDeliveryList``.
- SMS.BY reports a status, not a timeline: ``events`` gives one event per observed status, with
  the time it was read as its timestamp and ``<email_id>:<STATUS>`` as its id, so polling again
  adds nothing until the status changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from mailconsole.core.capabilities import SMSBY, Capabilities
from mailconsole.core.errors import (
    ProviderError,
    UnknownOutcome,
    UnsupportedFeature,
    ValidationError,
)
from mailconsole.core.events import Event, EventType, derive_state, normalize_status
from mailconsole.core.message import (
    Attachment,
    BulkSend,
    Message,
    OutcomeStatus,
    ProviderMessage,
    RecipientOutcome,
    SendResult,
    Template,
)
from mailconsole.core.templates import TemplateError, render_message
from mailconsole.providers.base import (
    ProviderClient,
    error_for_status,
    id_text,
    retry_after_seconds,
    scrub,
    scrub_raw,
)

API = "/api/v2/"

#: SMS.BY delivery statuses (CONTRACT.md); keys lower-case as ``normalize_status`` compares.
STATUS_MAP: dict[str, EventType] = {
    "new": EventType.QUEUED,
    "sent": EventType.SENT,
    "delivered": EventType.DELIVERED,
    "open": EventType.OPENED,
    "click": EventType.CLICKED,
    "undelivered": EventType.BOUNCED,
    "unsubscribed": EventType.UNSUBSCRIBED,
    "spam": EventType.COMPLAINED,
}

#: Methods whose every parameter travels in the query string.
QUERY_METHODS = frozenset({"getEmailTemplates", "createSubscriberList", "importContacts"})

#: ``importContacts`` takes at most this many contacts per call.
IMPORT_CHUNK = 500

#: Bytes of ``data[i][j]`` query string per ``importContacts`` call (request lines over 8 KB
#: are commonly refused).
IMPORT_QUERY_BUDGET = 6000

#: Words in an error text → our field names (checked in order).
FIELD_WORDS: tuple[tuple[str, str], ...] = (
    ("d_schedule", "send_at"),
    ("sender_email", "from"),
    ("sender_name", "from"),
    ("sender", "from"),
    ("attachment", "attachments"),
    ("subject", "subject"),
    ("message", "html"),
    ("delivery_list", "to"),
    ("email", "to"),
)


@dataclass(frozen=True, slots=True)
class Sending:
    """Who sends, when, and what to track: the parameters every send method shares."""

    sender_email: str
    sender_name: str | None = None
    send_at: datetime | None = None
    track_open: bool | None = None
    track_click: bool | None = None

    @classmethod
    def of(cls, message: Message) -> Sending:
        return cls(
            sender_email=message.sender.email,
            sender_name=message.sender.name or None,
            send_at=message.send_at,
            track_open=message.track_opens,
            track_click=message.track_clicks,
        )


@dataclass(frozen=True, slots=True)
class PersonalLetter:
    """One item of a ``personal`` ``sendBulkEmail``: its own address, subject and body."""

    email: str
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """One recipient's status in a mailing (``getEmailDeliveryList`` or ``statusBulkEmail``)."""

    email_id: str
    email: str
    status: str
    event: EventType
    error: str = ""
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RefusedAddress:
    """An address ``statusBulkEmail`` lists under ``errors`` (never sent)."""

    email: str
    error: str


@dataclass(frozen=True, slots=True)
class BulkMailingStatus:
    """One mailing of a ``statusBulkEmail`` answer."""

    message_id: str
    name: str
    sender_email: str
    sender_name: str
    success: Sequence[DeliveryStatus]
    errors: Sequence[RefusedAddress]


@dataclass(frozen=True, slots=True)
class ListMailing:
    """The answer to ``sendEmailByList``: the mailing id and how many addresses it has."""

    message_id: str
    count_emails: int


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Totals of ``importContacts`` over every chunk; log indexes refer to the whole ``rows``."""

    inserted: int
    updated: int
    invalid: int
    log: Sequence[tuple[int, str]] = ()


def as_count(value: Any) -> int:
    """A count that may arrive as a number or a numeric string."""
    if isinstance(value, bool):
        raise TypeError("count is a boolean")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, int | str):
        return int(value)
    raise TypeError(f"not a count: {value!r}")


def as_text(value: Any) -> str:
    """A free-text field; null and absent become empty."""
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"not text: {value!r}")


def error_text(body: Any) -> str:
    """The ``error`` of ``{"status":"ERROR","error":...}`` or of a bare ``{"error":...}``."""
    if isinstance(body, dict):
        value = body.get("error")
        if isinstance(value, str):
            return value
        if isinstance(value, list | dict) and value:
            return str(value)
    return ""


def field_from_text(text: str) -> str | None:
    lowered = text.lower()
    for word, field_name in FIELD_WORDS:
        if re.search(rf"\b{re.escape(word)}\b", lowered):
            return field_name
    return None


def letter_body(html: str, text: str) -> str:
    """SMS.BY's single ``message`` field: the html body when there is one, else the text."""
    return html or text


class SmsByClient(ProviderClient):
    """SMS.BY Email API v2; ``time_zone`` is the account's zone for ``d_schedule``."""

    provider_id: ClassVar[str] = "smsby"
    capabilities: ClassVar[Capabilities] = SMSBY

    def __init__(self, *, time_zone: str = "Europe/Minsk", **settings: Any) -> None:
        try:
            self.time_zone = ZoneInfo(time_zone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"unknown time zone {time_zone!r}") from None
        super().__init__(**settings)

    # -- transport --------------------------------------------------------------------------

    def error_from_response(self, response: httpx.Response, body: Any) -> ProviderError:
        """``{"status":"ERROR","error":"..."}`` (or a bare ``{"error":...}``) by HTTP status."""
        status = response.status_code
        text = scrub(error_text(body), self.api_key)
        shown = text or f"HTTP {status} {response.reason_phrase}".strip()
        raw = (
            scrub_raw(body, self.api_key)
            if isinstance(body, dict)
            else scrub(response.text[:500], self.api_key)
        )
        retry = retry_after_seconds(response) if status == 429 else None
        field_name = field_from_text(text) if 400 <= status < 500 and status != 429 else None
        return error_for_status(
            status,
            shown,
            provider=self.provider_id,
            code=text or str(status),
            field=field_name,
            raw=raw,
            retry_after=retry,
        )

    async def call(
        self,
        method: str,
        params: Mapping[str, str],
        *,
        attachment: Attachment | None = None,
        sends_mail: bool = False,
    ) -> Any:
        """POST one API method with ``token`` added; returns ``result`` (None when absent)."""
        fields = {"token": self.api_key, **params}
        in_query = method in QUERY_METHODS
        files = None
        if attachment is not None:
            files = {
                "attachment": (attachment.filename, attachment.content, attachment.content_type)
            }
        body = await self.request(
            "POST",
            API + method,
            params=fields if in_query else None,
            data=None if in_query else fields,
            files=files,
            sends_mail=sends_mail,
        )
        return self._result(method, body, sends_mail=sends_mail)

    def _result(self, method: str, body: Any, *, sends_mail: bool) -> Any:
        """``result`` of an OK body; a 200 that carries an error is still an error."""
        if not isinstance(body, dict):
            what = f"answered {method} with {type(body).__name__}, not an object"
            raise self.malformed(what, sends_mail=sends_mail, raw=body)
        status = body.get("status")
        if status == "ERROR" or (status != "OK" and "error" in body):
            text = scrub(error_text(body), self.api_key) or "unknown error"
            field_name = field_from_text(text)
            raise ValidationError(
                text,
                provider=self.provider_id,
                code=text,
                status=200,
                field=field_name,
                raw=scrub_raw(body, self.api_key),
            )
        if status != "OK":
            what = f"answered {method} without status OK"
            raise self.malformed(what, sends_mail=sends_mail, raw=body)
        return body.get("result")

    def schedule_text(self, send_at: datetime) -> str:
        """``YYYY-MM-DD HH:MM`` in the account's zone, rounded up to the next whole minute."""
        when = send_at if send_at.tzinfo is not None else send_at.replace(tzinfo=UTC)
        if when.second or when.microsecond:
            when = when.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return when.astimezone(self.time_zone).strftime("%Y-%m-%d %H:%M")

    def sending_fields(self, sending: Sending) -> dict[str, str]:
        """The parameters every send method shares."""
        params = {"sender_email": sending.sender_email}
        if sending.sender_name:
            params["sender_name"] = sending.sender_name
        if sending.send_at is not None:
            params["d_schedule"] = self.schedule_text(sending.send_at)
        if sending.track_open is not None:
            params["track_open"] = "1" if sending.track_open else "0"
        if sending.track_click is not None:
            params["track_click"] = "1" if sending.track_click else "0"
        return params

    # -- endpoints --------------------------------------------------------------------------

    async def send_email(
        self,
        sending: Sending,
        *,
        email: str,
        subject: str,
        message: str,
        attachment: Attachment | None = None,
    ) -> str:
        """``sendEmail``: one letter to one address; returns its ``email_id``."""
        params = self.sending_fields(sending) | {
            "email": email,
            "subject": subject,
            "message": message,
        }
        result = await self.call("sendEmail", params, attachment=attachment, sends_mail=True)
        with self.reading("sendEmail", sends_mail=True, raw=result):
            return id_text(result["email_id"])
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_email_by_list(
        self,
        sending: Sending,
        *,
        list_id: str,
        subject: str,
        message: str,
        name: str | None = None,
        attachment: Attachment | None = None,
    ) -> ListMailing:
        """``sendEmailByList``: one letter to every address of a mailing list."""
        params = self.sending_fields(sending) | {
            "list_id": str(list_id),
            "subject": subject,
            "message": message,
        }
        if name:
            params["name"] = name
        result = await self.call("sendEmailByList", params, attachment=attachment, sends_mail=True)
        with self.reading("sendEmailByList", sends_mail=True, raw=result):
            return ListMailing(
                message_id=id_text(result["message_id"]),
                count_emails=as_count(result.get("count_emails", 0)),
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_email_delivery_list(self, message_id: str) -> list[DeliveryStatus]:
        """``getEmailDeliveryList``: every recipient of a list mailing with its status."""
        result = await self.call("getEmailDeliveryList", {"message_id": str(message_id)})
        with self.reading("getEmailDeliveryList", raw=result):
            return [read_delivery(item, "email") for item in as_list(result)]
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_bulk_email(
        self,
        sending: Sending,
        *,
        delivery_list: Sequence[str | PersonalLetter],
        subject: str | None = None,
        message: str | None = None,
        name: str | None = None,
    ) -> str:
        """``sendBulkEmail``: ``bulk`` for a list of addresses, ``personal`` for letters.

        Returns the mailing ``uuid`` that ``statusBulkEmail`` follows.
        """
        personal = any(isinstance(item, PersonalLetter) for item in delivery_list)
        params = self.sending_fields(sending)
        params["message_type"] = "personal" if personal else "bulk"
        optional = {"name": name, "subject": subject, "message": message}
        params.update({k: v for k, v in optional.items() if v is not None})
        params.update(delivery_list_fields(delivery_list))
        result = await self.call("sendBulkEmail", params, sends_mail=True)
        with self.reading("sendBulkEmail", sends_mail=True, raw=result):
            return id_text(result["uuid"])
        raise AssertionError("unreachable")  # pragma: no cover

    async def status_bulk_email(self, uuid: str) -> list[BulkMailingStatus]:
        """``statusBulkEmail``: each mailing of a bulk send with per-recipient statuses."""
        result = await self.call("statusBulkEmail", {"uuid": uuid})
        with self.reading("statusBulkEmail", raw=result):
            return [read_mailing(item) for item in as_list(result)]
        raise AssertionError("unreachable")  # pragma: no cover

    async def unsubscribe_email(
        self, email: str, list_ids: Sequence[str] | None = None, reason: str | None = None
    ) -> None:
        """``unsubscribeEmail``: from the given lists, or from all when ``list_ids`` is None."""
        params = subscription_fields(email, list_ids)
        if reason:
            params["reason"] = reason
        await self.call("unsubscribeEmail", params)

    async def subscribe_email(self, email: str, list_ids: Sequence[str] | None = None) -> None:
        """``subscribeEmail``: lift an unsubscription (from the given lists, or all)."""
        await self.call("subscribeEmail", subscription_fields(email, list_ids))

    async def get_email_templates(self) -> list[Template]:
        """``getEmailTemplates``: ``{id, title}`` items, read-only (no send takes an id)."""
        result = await self.call("getEmailTemplates", {})
        with self.reading("getEmailTemplates", raw=result):
            return [
                Template(
                    id=id_text(item["id"]),
                    name=as_text(item.get("title")),
                    source=self.provider_id,
                    read_only=True,
                )
                for item in as_list(result)
            ]
        raise AssertionError("unreachable")  # pragma: no cover

    async def create_subscriber_list(self, name: str) -> str:
        """``createSubscriberList``: a new mailing list; returns its ``list_id``."""
        result = await self.call("createSubscriberList", {"name": name})
        with self.reading("createSubscriberList", raw=result):
            return id_text(result["list_id"])
        raise AssertionError("unreachable")  # pragma: no cover

    async def import_contacts(
        self, list_id: str, field_names: Sequence[str], rows: Sequence[Sequence[str]]
    ) -> ImportResult:
        """``importContacts`` in as many calls as needed; totals and log are merged.

        A call carries at most 500 contacts (the documented limit), and fewer when its query
        string would pass ``IMPORT_QUERY_BUDGET`` bytes: servers commonly refuse request lines
        over 8 KB, and this method's documentation puts every parameter in the query string.
        """
        inserted = updated = invalid = 0
        log: list[tuple[int, str]] = []
        header = {"list_id": str(list_id)}
        header.update({f"field_names[{i}]": name for i, name in enumerate(field_names)})
        for start, data in import_batches(rows):
            result = await self.call("importContacts", header | data)
            with self.reading("importContacts", raw=result):
                inserted += as_count(result.get("inserted", 0))
                updated += as_count(result.get("updated", 0))
                invalid += as_count(result.get("invalid", 0))
                for entry in as_list(result.get("log") or []):
                    index = start + as_count(entry["index"])
                    log.append((index, as_text(entry.get("error_message"))))
        return ImportResult(inserted=inserted, updated=updated, invalid=invalid, log=log)

    # -- neutral operations -----------------------------------------------------------------

    def _check_sendable(self, message: Message, recipients: int) -> None:
        """Refuse what SMS.BY cannot carry before anything is sent."""
        problem: tuple[str, str] | None = None
        if not recipients:
            raise ValidationError(
                "No To address", provider=self.provider_id, code="no_recipient", field="to"
            )
        if message.template is not None:
            problem = ("sending by template id", "template")
        elif message.cc or message.bcc:
            problem = ("Cc or Bcc", "cc" if message.cc else "bcc")
        elif len(message.attachments) > 1:
            problem = ("more than one attachment", "attachments")
        if problem is not None:
            raise UnsupportedFeature(
                self.capabilities.lacks(problem[0]),
                provider=self.provider_id,
                code="unsupported",
                field=problem[1],
            )

    async def send(self, message: Message) -> SendResult:
        """``sendBulkEmail`` personal (trackable), or ``sendEmail`` per To with an attachment."""
        self._check_sendable(message, len(message.to))
        body = letter_body(message.html, message.text)
        if message.attachments:
            return await self._send_each(message, body)
        letters = [PersonalLetter(a.email, message.subject, body) for a in message.to]
        sending = Sending.of(message)
        uuid = await self.send_bulk_email(sending, delivery_list=letters, subject=message.subject)
        return self._bulk_result(uuid, [a.email for a in message.to], message.send_at)

    async def _send_each(self, message: Message, body: str) -> SendResult:
        """``sendEmail`` per To; an error on the first raises, a later one is its outcome."""
        outcomes: list[RecipientOutcome] = []
        sending = Sending.of(message)
        for index, to in enumerate(message.to):
            try:
                email_id = await self.send_email(
                    sending,
                    email=to.email,
                    subject=message.subject,
                    message=body,
                    attachment=message.attachments[0],
                )
            except ProviderError as error:
                if index == 0:
                    raise
                outcomes.append(failed_outcome(to.email, error))
                continue
            outcomes.append(accepted_outcome(to.email, f"email:{email_id}", message.send_at))
        first = outcomes[0].provider_message_id if outcomes else None
        return SendResult(provider=self.provider_id, outcomes=outcomes, provider_message_id=first)

    def _bulk_result(
        self, uuid: str, emails: Sequence[str], send_at: datetime | None
    ) -> SendResult:
        outcomes = [accepted_outcome(e, f"bulk:{uuid}:{e}", send_at) for e in emails]
        return SendResult(
            provider=self.provider_id, outcomes=outcomes, provider_message_id=f"bulk:{uuid}"
        )

    async def send_bulk(self, bulk: BulkSend) -> SendResult:
        """``sendBulkEmail`` personal, each row rendered; at most ``batch_size`` per call."""
        template = bulk.template
        self._check_sendable(template, len(bulk.rows))
        if template.attachments:
            raise UnsupportedFeature(
                self.capabilities.lacks("attachments in batch sends"),
                provider=self.provider_id,
                code="unsupported",
                field="attachments",
            )
        outcomes: list[RecipientOutcome] = []
        letters: list[PersonalLetter] = []
        for row in bulk.rows:
            try:
                rendered = render_message(template, row.variables, strict=True)
            except TemplateError as error:
                outcomes.append(
                    RecipientOutcome(
                        recipient=row.to.email,
                        status=OutcomeStatus.REJECTED,
                        event=EventType.REJECTED,
                        error=f"line {row.line}: {error.message}",
                        error_code="template_variables",
                    )
                )
                continue
            body = letter_body(rendered.html, rendered.text)
            letters.append(PersonalLetter(row.to.email, rendered.subject, body))
        first_uuid: str | None = None
        size = self.capabilities.batch_size
        sending = Sending.of(template)
        for start in range(0, len(letters), size):
            chunk = letters[start : start + size]
            try:
                uuid = await self.send_bulk_email(sending, delivery_list=chunk)
            except ProviderError as error:
                if first_uuid is None:
                    raise
                outcomes.extend(failed_outcome(letter.email, error) for letter in chunk)
                continue
            first_uuid = first_uuid or uuid
            emails = [c.email for c in chunk]
            outcomes.extend(self._bulk_result(uuid, emails, template.send_at).outcomes)
        return SendResult(
            provider=self.provider_id,
            outcomes=outcomes,
            provider_message_id=f"bulk:{first_uuid}" if first_uuid else None,
        )

    async def events(self, provider_message_id: str) -> list[Event]:
        """One event per observed status (see the module docstring)."""
        kind, scope, email = parse_message_id(provider_message_id)
        if kind == "email":
            return []
        statuses, refused = await self._statuses(kind, scope)
        now = datetime.now(UTC)
        found = [
            status_event(s, scope, now)
            for s in statuses
            if email is None or same_address(s.email, email)
        ]
        found.extend(
            refused_event(r, scope, now)
            for r in refused
            if email is None or same_address(r.email, email)
        )
        return found

    async def _statuses(
        self, kind: str, scope: str
    ) -> tuple[list[DeliveryStatus], list[RefusedAddress]]:
        if kind == "list":
            return await self.get_email_delivery_list(scope), []
        mailings = await self.status_bulk_email(scope)
        return (
            [s for m in mailings for s in m.success],
            [r for m in mailings for r in m.errors],
        )

    async def get_message(self, provider_message_id: str) -> ProviderMessage:
        """The current status; a recipient not yet listed is ``queued``."""
        kind, _, email = parse_message_id(provider_message_id)
        events = await self.events(provider_message_id)
        state = derive_state(events) if events else EventType.QUEUED
        raw_status = events[-1].raw_type if events else ""
        to = [email] if email else sorted({e.recipient for e in events})
        return ProviderMessage(
            provider=self.provider_id,
            provider_message_id=provider_message_id,
            status=state,
            raw_status=raw_status if kind != "email" else "",
            to=to,
            events=events,
            raw=[e.raw for e in events],
        )

    async def list_templates(self) -> list[Template]:
        return await self.get_email_templates()

    async def check_connection(self) -> str:
        """``getEmailTemplates``: an authenticated read that sends nothing."""
        templates = await self.get_email_templates()
        return f"Token accepted: getEmailTemplates listed {len(templates)} email templates."


def read_delivery(item: Any, address_key: str) -> DeliveryStatus:
    """One recipient's status; ``address_key`` is ``email`` or ``recipient`` by method."""
    raw_status = as_text(item["status"])
    return DeliveryStatus(
        email_id=as_text(item.get("email_id")),
        email=as_text(item[address_key]).strip(),
        status=raw_status,
        event=normalize_status(raw_status, STATUS_MAP),
        error=as_text(item.get("error")),
        raw=item,
    )


def read_mailing(item: Any) -> BulkMailingStatus:
    """One mailing of ``statusBulkEmail``: its accepted recipients and refused addresses."""
    return BulkMailingStatus(
        message_id=as_text(item.get("message_id")),
        name=as_text(item.get("name")),
        sender_email=as_text(item.get("sender_email")),
        sender_name=as_text(item.get("sender_name")),
        success=[read_delivery(s, "recipient") for s in as_list(item.get("success") or [])],
        errors=[
            RefusedAddress(email=as_text(e["email"]).strip(), error=as_text(e.get("error")))
            for e in as_list(item.get("errors") or [])
        ],
    )


def subscription_fields(email: str, list_ids: Sequence[str] | None) -> dict[str, str]:
    """``email`` and the comma-separated ``list_ids`` (absent: every list)."""
    params = {"email": email}
    if list_ids:
        params["list_ids"] = ",".join(str(i) for i in list_ids)
    return params


def import_batches(rows: Sequence[Sequence[str]]) -> list[tuple[int, dict[str, str]]]:
    """``data[i][j]`` fields of each ``importContacts`` call, with the index of its first row."""
    batches: list[tuple[int, dict[str, str]]] = []
    start, data, size = 0, dict[str, str](), 0
    for index, row in enumerate(rows):
        fields = {f"data[{index - start}][{j}]": str(v) for j, v in enumerate(row)}
        row_size = len(urlencode(fields)) + 1
        full = index - start >= IMPORT_CHUNK or size + row_size > IMPORT_QUERY_BUDGET
        if data and full:
            batches.append((start, data))
            start, size = index, 0
            fields = {f"data[0][{j}]": str(v) for j, v in enumerate(row)}
            data = {}
        data.update(fields)
        size += row_size
    if data:
        batches.append((start, data))
    return batches


def as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def delivery_list_fields(items: Sequence[str | PersonalLetter]) -> dict[str, str]:
    """``delivery_list[i]=addr`` (bulk) or ``delivery_list[i][email|subject|message]``."""
    fields: dict[str, str] = {}
    for i, item in enumerate(items):
        if isinstance(item, PersonalLetter):
            fields[f"delivery_list[{i}][email]"] = item.email
            fields[f"delivery_list[{i}][subject]"] = item.subject
            fields[f"delivery_list[{i}][message]"] = item.message
        else:
            fields[f"delivery_list[{i}]"] = item
    return fields


def parse_message_id(provider_message_id: str) -> tuple[str, str, str | None]:
    """``bulk:<uuid>[:<email>]``, ``list:<message_id>[:<email>]``, ``email:<email_id>``.

    A bare id is read as a bulk uuid when it has a dash, else as a list mailing id.
    """
    kind, sep, rest = provider_message_id.partition(":")
    if not sep or kind not in ("bulk", "list", "email"):
        bare = provider_message_id.strip()
        return ("bulk" if "-" in bare else "list", bare, None)
    scope, _, email = rest.partition(":")
    return kind, scope, email or None


def status_event(status: DeliveryStatus, scope: str, read_at: datetime) -> Event:
    """An event for one observed status, stamped with the time it was read."""
    identity = status.email_id or f"{scope}:{status.email}"
    return Event(
        type=status.event,
        timestamp=read_at,
        provider_event_id=f"{identity}:{status.status.upper()}",
        recipient=status.email,
        raw_type=status.status,
        raw=status.raw,
    )


def refused_event(refused: RefusedAddress, scope: str, read_at: datetime) -> Event:
    """An address the mailing refused (``errors`` of ``statusBulkEmail``): ``rejected``."""
    return Event(
        type=EventType.REJECTED,
        timestamp=read_at,
        provider_event_id=f"{scope}:{refused.email}:ERROR",
        recipient=refused.email,
        raw_type="ERROR",
        raw={"email": refused.email, "error": refused.error},
    )


def accepted_outcome(email: str, message_id: str, send_at: datetime | None) -> RecipientOutcome:
    scheduled = send_at is not None
    return RecipientOutcome(
        recipient=email,
        status=OutcomeStatus.SCHEDULED if scheduled else OutcomeStatus.ACCEPTED,
        provider_message_id=message_id,
        event=EventType.SCHEDULED if scheduled else EventType.QUEUED,
    )


def failed_outcome(email: str, error: ProviderError) -> RecipientOutcome:
    """A later request failed: UnknownOutcome stays unknown, anything else is refused."""
    unknown = isinstance(error, UnknownOutcome)
    return RecipientOutcome(
        recipient=email,
        status=OutcomeStatus.UNKNOWN if unknown else OutcomeStatus.REJECTED,
        event=EventType.UNKNOWN if unknown else EventType.FAILED,
        error=error.message,
        error_code=error.code,
    )
