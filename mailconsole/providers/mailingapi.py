"""The MailingAPI (Outboxa) client: JSON under ``{base}/v1/``, key as ``Authorization: Bearer``.

Every success body is ``{"data": ...}`` (lists add ``"meta"``); every error body is
``{"error": {"code", "message"}}`` (CONTRACT.md). Decisions where the contract is silent:

- ``403 domain_not_verified`` is a :class:`ValidationError` on ``"from"``, not an
  :class:`AuthError`: the key works, but it may not send from that domain (each key is bound to
  one sending domain), so the user fixes the sender, not the key.
- ``missing_body`` points at ``"html"`` (the window's main body field); ``invalid_request``
  guesses the field from the message text where it names one.
- Every message carries ``metadata.mailconsole_id`` = ``message.client_reference`` (merged over
  the user's metadata: the console's id wins). Item *i* of a :meth:`send_bulk` carries
  ``<client_reference>.<i>`` (:func:`bulk_item_reference`), *i* counting rows from 0.
- ``tracking`` is sent only with the switches the user set explicitly; the provider's defaults
  (both on) apply otherwise.
- A message is one provider id for all its recipients, so every recipient's outcome carries the
  same id. Events carry no recipient: ``Event.recipient`` is empty unless the event names one.
- :meth:`send_bulk` sends chunks of at most 1,000 items (the documented maximum). A failure of
  the first chunk raises (nothing was sent); a failure of a later chunk becomes the outcome of
  each of its rows (``unknown`` when the chunk may have been accepted), so the rows already sent
  are never lost.
- :meth:`find_by_client_reference` lists from one minute before ``since`` (clock skew between
  the console and the provider) and reads each candidate's metadata, fetching the message when
  the list item has none.
- An event whose timestamp cannot be read makes the whole answer malformed (never a guessed time).
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

import httpx

from mailconsole.core.capabilities import MAILINGAPI, Capabilities
from mailconsole.core.errors import (
    AuthError,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
    ValidationError,
)
from mailconsole.core.events import Event, EventType, normalize_status
from mailconsole.core.message import (
    Address,
    Attachment,
    BulkSend,
    Message,
    OutcomeStatus,
    ProviderMessage,
    RecipientOutcome,
    SendResult,
)
from mailconsole.providers.base import (
    ProviderClient,
    error_for_status,
    failed_outcome,
    format_utc,
    id_text,
    parse_time,
    path_segment,
    retry_after_seconds,
    scrub,
    scrub_raw,
    text_or_empty,
)

T = TypeVar("T")

#: The documented maximum of messages in one batch request.
BATCH_LIMIT = 1000

#: The documented maximum page size of ``GET /v1/messages``.
PAGE_LIMIT = 100

#: How far before the attempt :meth:`MailingApiClient.find_by_client_reference` looks.
CLOCK_SKEW = timedelta(minutes=1)

#: The metadata key that carries the console's own id.
REFERENCE_KEY = "mailconsole_id"

#: Message statuses and event types (CONTRACT.md; docs) → the normalized vocabulary.
STATUS_MAP: dict[str, EventType] = {
    "pending": EventType.QUEUED,
    "queued": EventType.QUEUED,
    "sent": EventType.SENT,
    "delivered": EventType.DELIVERED,
    "bounced": EventType.BOUNCED,
    "failed": EventType.FAILED,
    "scheduled": EventType.SCHEDULED,
    "cancelled": EventType.CANCELLED,
    "canceled": EventType.CANCELLED,
    "opened": EventType.OPENED,
    "clicked": EventType.CLICKED,
    "complained": EventType.COMPLAINED,
    "unsubscribed": EventType.UNSUBSCRIBED,
    "rejected": EventType.REJECTED,
    "deferred": EventType.DEFERRED,
}

#: Documented error codes → (error class, field).
ERROR_CODES: dict[str, tuple[type[ProviderError], str | None]] = {
    "unauthorized": (AuthError, None),
    "domain_not_verified": (ValidationError, "from"),
    "invalid_from_address": (ValidationError, "from"),
    "invalid_to_address": (ValidationError, "to"),
    "missing_subject": (ValidationError, "subject"),
    "missing_body": (ValidationError, "html"),
    "attachment_too_large": (ValidationError, "attachments"),
    "too_many_attachments": (ValidationError, "attachments"),
    "invalid_template": (ValidationError, "template"),
    "invalid_scheduled_at": (ValidationError, "send_at"),
    "not_found": (NotFound, None),
    "rate_limit_exceeded": (RateLimited, None),
    "invalid_request": (ValidationError, None),
    "request_too_large": (ValidationError, "attachments"),
}

#: Wire field names in an ``invalid_request`` message → our field names (first match wins).
FIELD_WORDS: tuple[tuple[str, str], ...] = (
    ("scheduled_at", "send_at"),
    ("template_id", "template"),
    ("template_data", "template"),
    ("attachments", "attachments"),
    ("subject", "subject"),
    ("from", "from"),
    ("html", "html"),
    ("text", "text"),
    ("bcc", "bcc"),
    ("cc", "cc"),
    ("tags", "tags"),
    ("metadata", "metadata"),
    ("headers", "headers"),
    ("to", "to"),
)


@dataclass(frozen=True, slots=True)
class ListMeta:
    """The ``meta`` of a message listing: this page's size and where the listing stands."""

    count: int
    total: int | None
    limit: int
    offset: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class AnalysisIssue:
    """One problem ``analyze`` found: its kind, severity, text and score penalty."""

    type: str
    subtype: str
    severity: str
    detail: str
    penalty: float


@dataclass(frozen=True, slots=True)
class Analysis:
    """``POST /v1/messages/analyze``: a spam score (0-100), a grade and what to improve."""

    score: float
    grade: str
    can_send: bool
    recommendations: Sequence[str] = ()
    issues: Sequence[AnalysisIssue] = ()
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One item of a batch answer: its index, status, id when queued, error when failed."""

    index: int
    status: str
    to: str
    id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A batch answer: totals and one item per message of the request."""

    total: int
    queued: int
    errors: int
    items: Sequence[BatchItem]
    raw: Any = field(default=None, compare=False, repr=False)


def bulk_item_reference(client_reference: str, index: int) -> str:
    """The ``metadata.mailconsole_id`` of row ``index`` of a bulk send."""
    return f"{client_reference}.{index}"


def address_list(addresses: Sequence[Address]) -> list[str]:
    return [a.formatted() for a in addresses]


def encode_attachment(attachment: Attachment) -> dict[str, str]:
    """``{filename, content (base64), content_type, content_id?}``."""
    item = {
        "filename": attachment.filename,
        "content": base64.b64encode(attachment.content).decode("ascii"),
        "content_type": attachment.content_type,
    }
    if attachment.content_id:
        item["content_id"] = attachment.content_id
    return item


def message_body(
    message: Message,
    *,
    to: Sequence[Address] | None = None,
    reference: str | None = None,
    template_data: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON of one message (send, analyze, batch item); ``to`` overrides the message's."""
    recipients = address_list(message.to if to is None else to)
    body: dict[str, Any] = {
        "from": message.sender.formatted(),
        "to": recipients[0] if len(recipients) == 1 else recipients,
        "subject": message.subject,
    }
    if message.html:
        body["html"] = message.html
    if message.text:
        body["text"] = message.text
    if message.cc:
        body["cc"] = address_list(message.cc)
    if message.bcc:
        body["bcc"] = address_list(message.bcc)
    if message.headers:
        body["headers"] = dict(message.headers)
    if message.attachments:
        body["attachments"] = [encode_attachment(a) for a in message.attachments]
    data: dict[str, str] = {}
    if message.template is not None:
        body["template_id"] = message.template.template_id
        data.update(message.template.variables)
    if template_data:
        data.update(template_data)
    if data:
        body["template_data"] = data
    if message.tags:
        body["tags"] = list(message.tags)
    body["metadata"] = {
        **message.metadata,
        REFERENCE_KEY: reference if reference is not None else message.client_reference,
    }
    tracking = {
        name: value
        for name, value in (("opens", message.track_opens), ("clicks", message.track_clicks))
        if value is not None
    }
    if tracking:
        body["tracking"] = tracking
    if message.send_at is not None:
        body["scheduled_at"] = format_utc(message.send_at)
    return body


def field_from_text(text: str) -> str | None:
    """Guess the request field an ``invalid_request`` message names (quoted, or leading)."""
    lowered = text.lower()
    for word, field_name in FIELD_WORDS:
        name = re.escape(word)
        if re.search(rf"['\"`]{name}['\"`.\[]|^{name}\s+(?:is|must|contains|field)\b", lowered):
            return field_name
    return None


def recipients_of(value: Any) -> list[str]:
    """``to`` as a list, whether the provider answered a string or a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class MailingApiClient(ProviderClient):
    """MailingAPI: send, batch, lookup, listing, analysis, scheduling and events."""

    provider_id: ClassVar[str] = "mailingapi"
    capabilities: ClassVar[Capabilities] = MAILINGAPI

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    # -- errors -----------------------------------------------------------------------------

    def scrubbed(self, text: str) -> str:
        """Never let the key through, even if the provider echoes it."""
        return scrub(text, self.api_key)

    def error_from_response(self, response: httpx.Response, body: Any) -> ProviderError:
        """Map ``{"error": {"code", "message"}}`` by its documented code, else by status."""
        status = response.status_code
        error = body.get("error") if isinstance(body, dict) else None
        code = ""
        text = ""
        if isinstance(error, dict):
            code = text_or_empty(error.get("code")).strip()
            text = text_or_empty(error.get("message"))
        elif isinstance(error, str):
            text = error
        text = self.scrubbed(text)
        code = self.scrubbed(code)
        shown = text or code or f"HTTP {status} {response.reason_phrase}".strip()
        raw = scrub_raw(body, self.api_key) if isinstance(body, dict) else None
        raw = raw if raw is not None else self.scrubbed(response.text[:500])
        kwargs: dict[str, Any] = {
            "provider": self.provider_id,
            "code": code or str(status),
            "status": status,
            "raw": raw,
        }
        if status == 429 or code == "rate_limit_exceeded":
            return RateLimited(shown, retry_after=retry_after_seconds(response), **kwargs)
        if status >= 500:
            return Unavailable(shown, **kwargs)
        known = ERROR_CODES.get(code)
        if known is not None:
            cls, field_name = known
            if code == "invalid_request":
                field_name = field_from_text(text)
            return cls(shown, field=field_name, **kwargs)
        return error_for_status(
            status, shown, provider=self.provider_id, code=kwargs["code"], raw=raw
        )

    # -- reading answers --------------------------------------------------------------------

    def read_message(self, item: Any) -> ProviderMessage:
        """One message object of a lookup, listing, scheduled list or cancel answer."""
        raw_status = item.get("status")
        metadata = item.get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        reference = metadata.get(REFERENCE_KEY)
        return ProviderMessage(
            provider=self.provider_id,
            provider_message_id=id_text(item["id"]),
            status=normalize_status(text_or_empty(raw_status), STATUS_MAP),
            raw_status=text_or_empty(raw_status),
            to=recipients_of(item.get("to")),
            subject=text_or_empty(item.get("subject")),
            sender=text_or_empty(item.get("from")),
            created_at=parse_time(item.get("created_at")),
            scheduled_at=parse_time(item.get("scheduled_at")),
            client_reference=reference if isinstance(reference, str) else None,
            metadata=metadata,
            raw=item,
        )

    def read_event(self, item: Any) -> Event:
        """``{"id", "type", "timestamp", "metadata"}`` → a normalized event."""
        raw_type = text_or_empty(item["type"])
        timestamp = parse_time(item["timestamp"])
        if timestamp is None:
            raise ValueError(f"unreadable event timestamp {item['timestamp']!r}")
        event_id = item.get("id")
        recipient = item.get("recipient") or item.get("email") or ""
        return Event(
            type=normalize_status(raw_type, STATUS_MAP),
            timestamp=timestamp,
            provider_event_id=None if event_id in (None, "") else id_text(event_id),
            recipient=recipient if isinstance(recipient, str) else "",
            raw_type=raw_type,
            raw=item,
        )

    def read_batch(self, answer: Any) -> BatchResult:
        """``{"data": {"total", "queued", "errors", "messages": [...]}}``."""
        data = answer["data"]
        items = [self._read_batch_item(item) for item in data["messages"]]
        return BatchResult(
            total=_count(data.get("total"), len(items)),
            queued=_count(data.get("queued"), sum(1 for i in items if i.id)),
            errors=_count(data.get("errors"), sum(1 for i in items if i.error_code)),
            items=items,
            raw=answer,
        )

    @staticmethod
    def _read_batch_item(item: Any) -> BatchItem:
        index = item["index"]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("batch item index is not an integer")
        status = text_or_empty(item.get("status"))
        error = item.get("error")
        error = error if isinstance(error, dict) else {}
        item_id = item.get("id")
        failed = status == "failed" or item_id in (None, "")
        return BatchItem(
            index=index,
            status=status,
            to=text_or_empty(item.get("to")),
            id=None if failed else id_text(item_id),
            error_code=(text_or_empty(error.get("code")) or "failed") if failed else None,
            error_message=(text_or_empty(error.get("message")) or None) if failed else None,
        )

    def read_one(self, answer: Any) -> ProviderMessage:
        return self.read_message(answer["data"])

    def read_many(self, answer: Any) -> list[ProviderMessage]:
        return [self.read_message(item) for item in answer["data"]]

    def read_page(
        self, answer: Any, limit: int, offset: int
    ) -> tuple[list[ProviderMessage], ListMeta]:
        """A listing page and its ``meta`` (missing meta fields fall back to what was asked)."""
        page = self.read_many(answer)
        meta = answer.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        has_more = meta.get("has_more")
        total = meta.get("total")
        return page, ListMeta(
            count=_count(meta.get("count"), len(page)),
            total=total if isinstance(total, int) and not isinstance(total, bool) else None,
            limit=_count(meta.get("limit"), limit),
            offset=_count(meta.get("offset"), offset),
            has_more=has_more if isinstance(has_more, bool) else len(page) >= limit > 0,
        )

    def read_analysis(self, answer: Any) -> Analysis:
        data = answer["data"]
        score = data["score"]
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise TypeError("score is not a number")
        recommendations = data.get("recommendations") or []
        issues = data.get("issues") or []
        return Analysis(
            score=score,
            grade=text_or_empty(data.get("grade")),
            can_send=data.get("can_send") is True,
            recommendations=[r for r in recommendations if isinstance(r, str)],
            issues=[read_issue(i) for i in issues if isinstance(i, dict)],
            raw=answer,
        )

    def read_events(self, answer: Any) -> list[Event]:
        """The event list, oldest first (sorted again: the order is the contract's, not ours)."""
        return sorted((self.read_event(item) for item in answer["data"]), key=lambda e: e.timestamp)

    # -- endpoints --------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        what: str,
        read: Callable[[Any], T],
        *,
        sends_mail: bool = False,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> T:
        """One request, its success answer read by ``read``; a surprise in it is malformed."""
        answer = await self.request(
            method, path, sends_mail=sends_mail, json_body=json_body, params=params
        )
        with self.reading(what, sends_mail=sends_mail, raw=answer):
            return read(answer)
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_message(self, body: Mapping[str, Any]) -> ProviderMessage:
        """``POST /v1/messages/send`` with a ready body; returns the created message."""
        path = "/v1/messages/send"
        return await self.call(
            "POST", path, "a send", self.read_one, sends_mail=True, json_body=body
        )

    async def send_batch_messages(self, messages: Sequence[Message]) -> BatchResult:
        """``POST /v1/messages/batch`` in the messages-array form (at most 1,000)."""
        self._check_batch_size(len(messages))
        return await self._post_batch({"messages": [message_body(m) for m in messages]})

    async def send_batch_recipient_variables(
        self, template: Message, recipient_variables: Mapping[str, Mapping[str, str]]
    ) -> BatchResult:
        """``POST /v1/messages/batch`` in the recipient-variables form (at most 1,000).

        The template's own ``to`` is ignored; every item shares its ``metadata.mailconsole_id``.
        """
        self._check_batch_size(len(recipient_variables))
        body = message_body(template)
        del body["to"]
        body["recipient_variables"] = {
            email: dict(variables) for email, variables in recipient_variables.items()
        }
        return await self._post_batch(body)

    def _check_batch_size(self, size: int) -> None:
        if not 1 <= size <= BATCH_LIMIT:
            raise ValidationError(
                f"A MailingAPI batch holds 1 to {BATCH_LIMIT} messages, not {size}",
                provider=self.provider_id,
                code="batch_size",
                field="to",
            )

    async def _post_batch(self, body: Mapping[str, Any]) -> BatchResult:
        path = "/v1/messages/batch"
        return await self.call(
            "POST", path, "a batch send", self.read_batch, sends_mail=True, json_body=body
        )

    async def get_message(self, provider_message_id: str) -> ProviderMessage:
        """``GET /v1/messages/{id}``."""
        path = f"/v1/messages/{path_segment(provider_message_id)}"
        return await self.call("GET", path, "a message lookup", self.read_one)

    async def list_messages(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        status: str | None = None,
        to: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[ProviderMessage], ListMeta]:
        """``GET /v1/messages``: one page and its ``meta``."""
        params: dict[str, str] = {"limit": str(limit), "offset": str(offset)}
        if status:
            params["status"] = status
        if to:
            params["to"] = to
        if since is not None:
            params["since"] = format_utc(since)
        if until is not None:
            params["until"] = format_utc(until)
        return await self.call(
            "GET",
            "/v1/messages",
            "a message listing",
            lambda answer: self.read_page(answer, limit, offset),
            params=params,
        )

    async def iter_messages(
        self,
        *,
        status: str | None = None,
        to: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = PAGE_LIMIT,
    ) -> AsyncIterator[ProviderMessage]:
        """Every message of a listing, page after page, until ``has_more`` is false.

        Stops as well at a page of nothing new (a server that ignores ``offset`` must not make
        this loop forever).
        """
        offset = 0
        seen: set[str] = set()
        while True:
            page, meta = await self.list_messages(
                limit=page_size, offset=offset, status=status, to=to, since=since, until=until
            )
            fresh = [m for m in page if m.provider_message_id not in seen]
            for item in fresh:
                seen.add(item.provider_message_id)
                yield item
            if not meta.has_more or not fresh:
                return
            offset += len(page)

    async def analyze(self, message: Message) -> Analysis:
        """``POST /v1/messages/analyze``: score the message without sending it."""
        return await self.call(
            "POST",
            "/v1/messages/analyze",
            "an analysis",
            self.read_analysis,
            json_body=message_body(message),
        )

    async def list_scheduled(self) -> list[ProviderMessage]:
        """``GET /v1/messages/scheduled``."""
        return await self.call(
            "GET", "/v1/messages/scheduled", "the scheduled list", self.read_many
        )

    async def cancel_scheduled(self, provider_message_id: str) -> ProviderMessage:
        """``DELETE /v1/messages/{id}/schedule``; the message then never sends."""
        path = f"/v1/messages/{path_segment(provider_message_id)}/schedule"
        return await self.call("DELETE", path, "a cancellation", self.read_one)

    async def events(self, provider_message_id: str) -> list[Event]:
        """``GET /v1/messages/{id}/events``, oldest first."""
        path = f"/v1/messages/{path_segment(provider_message_id)}/events"
        return await self.call("GET", path, "an event list", self.read_events)

    # -- neutral operations -----------------------------------------------------------------

    async def send(self, message: Message) -> SendResult:
        """One request for every recipient; each outcome carries the one message id."""
        created = await self.send_message(message_body(message))
        scheduled = created.status is EventType.SCHEDULED or message.send_at is not None
        outcomes = [
            RecipientOutcome(
                recipient=address.email,
                status=OutcomeStatus.SCHEDULED if scheduled else OutcomeStatus.ACCEPTED,
                provider_message_id=created.provider_message_id,
                event=EventType.SCHEDULED if scheduled else EventType.QUEUED,
            )
            for address in message.recipients
        ]
        return SendResult(
            provider=self.provider_id,
            outcomes=outcomes,
            provider_message_id=created.provider_message_id,
            raw=created.raw,
        )

    async def send_bulk(self, bulk: BulkSend) -> SendResult:
        """Messages-array batches of at most 1,000 rows; see the module docstring."""
        template = bulk.template
        outcomes: list[RecipientOutcome] = []
        raw: list[Any] = []
        for start in range(0, len(bulk.rows), BATCH_LIMIT):
            rows = bulk.rows[start : start + BATCH_LIMIT]
            body = {
                "messages": [
                    message_body(
                        template,
                        to=[row.to],
                        reference=bulk_item_reference(template.client_reference, start + i),
                        template_data=row.variables,
                    )
                    for i, row in enumerate(rows)
                ]
            }
            try:
                result = await self._post_batch(body)
            except ProviderError as error:
                if start == 0:
                    raise
                outcomes.extend(failed_outcome(row.to.email, error) for row in rows)
                raw.append(error.raw)
                continue
            raw.append(result.raw)
            by_index = {item.index: item for item in result.items}
            outcomes.extend(
                batch_outcome(row.to.email, by_index.get(i), scheduled=template.send_at is not None)
                for i, row in enumerate(rows)
            )
        return SendResult(
            provider=self.provider_id,
            outcomes=outcomes,
            raw=raw[0] if len(raw) == 1 else raw,
        )

    async def check_connection(self) -> str:
        """``GET /v1/messages?limit=1``: an authenticated read that sends nothing."""
        await self.list_messages(limit=1)
        return "API key accepted: the console listed one message (GET /v1/messages?limit=1)."

    async def find_by_client_reference(
        self, client_reference: str, *, recipient: str, since: datetime
    ) -> ProviderMessage | None:
        """The recipient's message since ``since`` whose ``metadata.mailconsole_id`` matches.

        Lists ``GET /v1/messages?to=...&since=...`` (every page) and reads each candidate's
        metadata, fetching a candidate whose list item carries none.
        """
        email = Address.parse(recipient).email
        async for candidate in self.iter_messages(to=email, since=since - CLOCK_SKEW):
            if "metadata" not in candidate.raw:
                candidate = await self.get_message(candidate.provider_message_id)
            if candidate.client_reference == client_reference:
                return candidate
        return None


def read_issue(item: dict[str, Any]) -> AnalysisIssue:
    """One ``analyze`` issue; a missing or non-numeric penalty reads as 0."""
    penalty = item.get("penalty")
    if isinstance(penalty, bool) or not isinstance(penalty, int | float):
        penalty = 0.0
    return AnalysisIssue(
        type=text_or_empty(item.get("type")),
        subtype=text_or_empty(item.get("subtype")),
        severity=text_or_empty(item.get("severity")),
        detail=text_or_empty(item.get("detail")),
        penalty=penalty,
    )


def _count(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def batch_outcome(email: str, item: BatchItem | None, *, scheduled: bool) -> RecipientOutcome:
    """The outcome of one bulk row from its batch item (unknown when the item is missing)."""
    if item is None:
        return RecipientOutcome(
            recipient=email,
            status=OutcomeStatus.UNKNOWN,
            event=EventType.UNKNOWN,
            error="the provider did not report this batch item",
            error_code="not_reported",
        )
    if item.id is None:
        return RecipientOutcome(
            recipient=email,
            status=OutcomeStatus.REJECTED,
            event=EventType.REJECTED,
            error=item.error_message or item.error_code,
            error_code=item.error_code,
        )
    is_scheduled = scheduled or item.status == "scheduled"
    return RecipientOutcome(
        recipient=email,
        status=OutcomeStatus.SCHEDULED if is_scheduled else OutcomeStatus.ACCEPTED,
        provider_message_id=item.id,
        event=EventType.SCHEDULED if is_scheduled else EventType.QUEUED,
    )
