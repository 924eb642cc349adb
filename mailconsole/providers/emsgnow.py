"""The eMsgNow client: JSON under ``{base}/email``, key in ``x-api-key``, paced from headers.

eMsgNow publishes no production URL, so the user must enter one. Every answer carries
``X-RateLimit-Limit/Remaining/Reset`` and the client paces itself from them
(:class:`~mailconsole.providers.pacing.HeaderPacer`). Decisions where the contract is silent:

- ``to`` is one bare address, so a message with several To addresses becomes one request per To.
  The first carries ``clientId`` = ``message.client_reference``; each later one
  ``<reference>-<8 hex of sha256(lower-cased address)>`` (:func:`client_id_for`), so a lookup
  can compute it from the recipient alone. A failure of the first request raises (nothing was
  sent); a failure of a later one becomes that recipient's outcome.
- The body is the message's plain text (eMsgNow's ``message``); a message sent by template
  carries ``templateId`` and ``variables`` and its subject only when it has one.
- ``GET /email/:messageId`` takes either the ``trackingId`` or the ``clientId`` (our reading;
  the only lookup eMsgNow has). :meth:`EMsgNowClient.find_by_client_reference` relies on it.
- The details answer has no status of its own: the message's status is derived from its events
  (or read from a ``status`` field when the provider adds one). An event's time is its
  ``message.statusAt`` (when the status happened), else its ``timestamp``.
- :meth:`EMsgNowClient.events` reads ``GET /email/:id`` rather than ``/events`` because only the
  details carry the recipient, which every normalized event names.
- eMsgNow errors carry no code: ``code`` is the HTTP status and the field is guessed from the
  text where it names one. A 429's ``retry_after`` is ``X-RateLimit-Reset``, else
  ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from mailconsole.core.capabilities import EMSGNOW, Capabilities
from mailconsole.core.errors import (
    AuthError,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
    ValidationError,
)
from mailconsole.core.events import Event, EventType, derive_state, normalize_status
from mailconsole.core.message import (
    Address,
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
from mailconsole.providers.pacing import HeaderPacer, Pacer

#: eMsgNow's ``clientId`` limit.
MAX_CLIENT_ID = 100

#: Statuses (CONTRACT.md) → the normalized vocabulary.
STATUS_MAP: dict[str, EventType] = {
    "processing": EventType.QUEUED,
    "scheduled": EventType.SCHEDULED,
    "sent": EventType.SENT,
    "delivered": EventType.DELIVERED,
    "opened": EventType.OPENED,
    "bounced": EventType.BOUNCED,
    "failed": EventType.FAILED,
    "expired": EventType.EXPIRED,
}

#: Patterns in a 400 text → our field names (first match wins; None: known, no compose field).
FIELD_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bnotafter\b|expir", "expire_at"),
    (r"\bnotbefore\b|schedul", "send_at"),
    (r"\bclientid\b", "client_reference"),
    (r"\bcallbackurl\b|callback", "callback_url"),
    (r"\bmessage\b|25,?000", "text"),
    (r"\btemplateid\b|\btemplate\b|\bvariables?\b", "template"),
    (r"\bsubject\b", "subject"),
    (r"\bfrom\b|\bsender\b", "from"),
    (r"^to\b|['\"`]to['\"`]|\bto (?:is|must|field|address)\b|\brecipient\b", "to"),
)


def client_id_for(reference: str, recipient: str, index: int) -> str:
    """The ``clientId`` of the ``index``-th To address of a message (see the module docstring)."""
    if index == 0:
        return reference
    digest = hashlib.sha256(recipient.strip().lower().encode("utf-8")).hexdigest()[:8]
    return f"{reference[: MAX_CLIENT_ID - 9]}-{digest}"


def field_from_text(text: str) -> str | None:
    """Guess the request field a 400 text is about."""
    lowered = text.strip().lower()
    for pattern, field_name in FIELD_PATTERNS:
        if re.search(pattern, lowered):
            return field_name
    return None


def reset_seconds(response: httpx.Response) -> float | None:
    """``X-RateLimit-Reset`` (seconds until the window resets), else ``Retry-After``."""
    value = response.headers.get("X-RateLimit-Reset")
    if value is not None:
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if 0 <= seconds < 86_400:
            return seconds
    return retry_after_seconds(response)


class EMsgNowClient(ProviderClient):
    """eMsgNow: one send endpoint and three lookups, paced from the rate-limit headers."""

    provider_id: ClassVar[str] = "emsgnow"
    capabilities: ClassVar[Capabilities] = EMSGNOW

    def __init__(self, *, api_key: str, base_url: str | None = None, **settings: Any) -> None:
        if not base_url:
            raise ValueError(
                "eMsgNow publishes no production URL: enter your account's API base URL"
            )
        super().__init__(api_key=api_key, base_url=base_url, **settings)

    def default_pacer(self) -> Pacer:
        """Paced from the ``X-RateLimit-*`` headers of every answer (CONTRACT.md)."""
        return HeaderPacer()

    def auth_headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}

    # -- errors -----------------------------------------------------------------------------

    def scrubbed(self, text: str) -> str:
        """Never let the key through, even if the provider echoes it."""
        return scrub(text, self.api_key)

    def error_from_response(self, response: httpx.Response, body: Any) -> ProviderError:
        """Map ``{"error": text}`` by status: 401/403 auth, 404, 429, 400 with a guessed field."""
        status = response.status_code
        error = body.get("error") if isinstance(body, dict) else None
        text = self.scrubbed(error if isinstance(error, str) else "")
        shown = text or f"HTTP {status} {response.reason_phrase}".strip()
        raw = scrub_raw(body, self.api_key) if isinstance(body, dict) else None
        raw = raw if raw is not None else self.scrubbed(response.text[:500])
        kwargs: dict[str, Any] = {
            "provider": self.provider_id,
            "code": str(status),
            "status": status,
            "raw": raw,
        }
        if status == 429:
            return RateLimited(shown, retry_after=reset_seconds(response), **kwargs)
        if status in (401, 403):
            return AuthError(shown, **kwargs)
        if status == 404:
            return NotFound(shown, **kwargs)
        if status >= 500:
            return Unavailable(shown, **kwargs)
        if status == 400:
            return ValidationError(shown, field=field_from_text(text), **kwargs)
        return error_for_status(status, shown, provider=self.provider_id, raw=raw)

    # -- reading answers --------------------------------------------------------------------

    def read_event(self, item: Any, *, recipient: str = "") -> Event:
        """``{"id", "message": {"status", "statusAt", ...}, "timestamp"}`` → a normalized event."""
        status_object = item["message"]
        raw_status = text_or_empty(status_object["status"])
        timestamp = parse_time(status_object.get("statusAt")) or parse_time(item.get("timestamp"))
        if timestamp is None:
            raise ValueError("event without a readable statusAt or timestamp")
        event_id = item.get("id")
        return Event(
            type=normalize_status(raw_status, STATUS_MAP),
            timestamp=timestamp,
            provider_event_id=None if event_id in (None, "") else id_text(event_id),
            recipient=recipient,
            raw_type=raw_status,
            raw=item,
        )

    def read_events(self, items: Any, *, recipient: str = "") -> list[Event]:
        if not isinstance(items, list):
            raise TypeError("events is not a list")
        events = [self.read_event(item, recipient=recipient) for item in items]
        return sorted(events, key=lambda e: e.timestamp)

    def read_details(self, body: Any) -> ProviderMessage:
        """The ``GET /email/:id`` answer: the message with its events."""
        recipient = text_or_empty(body.get("to"))
        events = self.read_events(body.get("events") or [], recipient=recipient)
        raw_status = text_or_empty(body.get("status"))
        if raw_status:
            status = normalize_status(raw_status, STATUS_MAP)
        elif events:
            status = derive_state(events)
            raw_status = events[-1].raw_type
        else:
            status = EventType.UNKNOWN
        client_id = body.get("clientId")
        return ProviderMessage(
            provider=self.provider_id,
            provider_message_id=id_text(body["trackingId"]),
            status=status,
            raw_status=raw_status,
            to=[recipient] if recipient else [],
            subject=text_or_empty(body.get("subject")),
            sender=text_or_empty(body.get("from")),
            created_at=parse_time(body.get("created")),
            scheduled_at=parse_time(body.get("notBefore")),
            expire_at=parse_time(body.get("notAfter")),
            client_reference=client_id if isinstance(client_id, str) and client_id else None,
            events=events,
            raw=body,
        )

    # -- endpoints --------------------------------------------------------------------------

    def build_email(self, message: Message, to: Address, client_id: str) -> dict[str, Any]:
        """The ``POST /email`` body for one To address."""
        body: dict[str, Any] = {"to": to.email, "from": message.sender.email}
        if message.subject or message.template is None:
            body["subject"] = message.subject
        if message.template is not None:
            body["templateId"] = message.template.template_id
            if message.template.variables:
                body["variables"] = dict(message.template.variables)
        elif message.text:
            body["message"] = message.text
        if message.send_at is not None:
            body["notBefore"] = format_utc(message.send_at)
        if message.expire_at is not None:
            body["notAfter"] = format_utc(message.expire_at)
        if message.callback_url:
            body["callbackUrl"] = message.callback_url
        if client_id:
            body["clientId"] = client_id
        return body

    async def send_email(self, body: Mapping[str, Any]) -> str:
        """``POST /email`` with a ready body; returns the ``trackingId``."""
        answer = await self.request("POST", "/email", sends_mail=True, json_body=body)
        with self.reading("a send", sends_mail=True, raw=answer):
            return id_text(answer["trackingId"])
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_email(self, message_id: str) -> ProviderMessage:
        """``GET /email/:messageId`` (a trackingId or a clientId), with its events."""
        answer = await self.request("GET", f"/email/{path_segment(message_id)}")
        with self.reading("an email lookup", raw=answer):
            return self.read_details(answer)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_email_events(self, message_id: str) -> list[Event]:
        """``GET /email/:messageId/events``, oldest first (these events name no recipient)."""
        answer = await self.request("GET", f"/email/{path_segment(message_id)}/events")
        with self.reading("an event list", raw=answer):
            return self.read_events(answer["events"])
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_email_event(self, message_id: str, event_id: str) -> Event:
        """``GET /email/:messageId/events/:eventId``."""
        path = f"/email/{path_segment(message_id)}/events/{path_segment(event_id)}"
        answer = await self.request("GET", path)
        with self.reading("an event", raw=answer):
            return self.read_event(answer)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- neutral operations -----------------------------------------------------------------

    async def send(self, message: Message) -> SendResult:
        """One request per To address; see the module docstring for the ``clientId`` of each."""
        client_ids = [
            client_id_for(message.client_reference, to.email, i) for i, to in enumerate(message.to)
        ]
        if any(len(c) > MAX_CLIENT_ID for c in client_ids):
            raise ValidationError(
                f"eMsgNow's clientId is at most {MAX_CLIENT_ID} characters",
                provider=self.provider_id,
                code="client_id_too_long",
                field="client_reference",
            )
        scheduled = message.send_at is not None
        outcomes: list[RecipientOutcome] = []
        first_id: str | None = None
        for index, (to, client_id) in enumerate(zip(message.to, client_ids, strict=True)):
            try:
                tracking_id = await self.send_email(self.build_email(message, to, client_id))
            except ProviderError as error:
                if index == 0:
                    raise
                outcomes.append(failed_outcome(to.email, error))
                continue
            first_id = first_id or tracking_id
            outcomes.append(
                RecipientOutcome(
                    recipient=to.email,
                    status=OutcomeStatus.SCHEDULED if scheduled else OutcomeStatus.ACCEPTED,
                    provider_message_id=tracking_id,
                    event=EventType.SCHEDULED if scheduled else EventType.QUEUED,
                )
            )
        return SendResult(
            provider=self.provider_id, outcomes=outcomes, provider_message_id=first_id
        )

    async def get_message(self, provider_message_id: str) -> ProviderMessage:
        return await self.get_email(provider_message_id)

    async def events(self, provider_message_id: str) -> list[Event]:
        """The message's events, oldest first, naming its recipient (read from the details)."""
        details = await self.get_email(provider_message_id)
        return list(details.events)

    async def find_by_client_reference(
        self, client_reference: str, *, recipient: str, since: datetime
    ) -> ProviderMessage | None:
        """``GET /email/<clientId>`` for the recipient's clientId; None when eMsgNow has none.

        Tries the reference itself (the first To), then the recipient's derived clientId.
        ``since`` is not needed: clientIds are unique to the console's messages.
        """
        email = Address.parse(recipient).email.strip().lower()
        for client_id in dict.fromkeys(
            [client_reference, client_id_for(client_reference, email, 1)]
        ):
            try:
                found = await self.get_email(client_id)
            except NotFound:
                continue
            same_recipient = not found.to or found.to[0].strip().lower() == email
            if found.client_reference == client_id and same_recipient:
                return found
        return None

    async def check_connection(self) -> str:
        """``GET /email/<random id>``: eMsgNow has no call that sends nothing, but a lookup of an
        id that cannot exist answers 404 only once the key is accepted (401/403 otherwise)."""
        probe = f"mailconsole-check-{uuid.uuid4().hex}"
        try:
            await self.get_email(probe)
        except NotFound:
            pass
        else:
            return "API key accepted (a lookup of an id that cannot exist was answered 200)."
        return (
            "API key accepted: eMsgNow has no call that sends nothing, so the console looked up "
            "a message id that cannot exist and was answered 404 Email not found, which comes "
            "only after the key check."
        )
