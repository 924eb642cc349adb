"""The EmailMassivo (RuSender white-label) client: two JSON send endpoints and nothing else.

EmailMassivo offers ``POST /api/v1/external-mails/send`` and ``/send-by-template`` with the key in
``X-Api-Key``; it has no status, event, template-list or scheduling endpoint, so the console's
own journal is the only history (CONTRACT.md). Decisions where the contract is silent:

- Every send carries an ``idempotencyKey`` (the docs strongly recommend one): the message's
  ``idempotency_key``, else ``mailconsole-<client_reference>``. Retrying a whole ``send`` with the
  same message within the provider's one-hour window therefore never duplicates mail.
- ``to`` holds one recipient, so a message with several To addresses becomes one request per To,
  each keyed ``<key>:<address>``; cc/bcc ride on the first request the provider accepts (a 422
  refusal uses up nothing, so they move on to the next To).
- A 422 for a To address is a per-recipient ``rejected`` outcome, not an exception; any other
  error on the first request raises (nothing was sent), on a later one it becomes that
  recipient's outcome.
- 404 ``TemplateMailUser not found by id`` (and 422 ``Template not found by templateId``) is
  :class:`NotFound` with ``field="template"``: the thing named does not exist, and the field
  still lets the window point at the template chooser.
- A 429 without ``Retry-After`` gets ``retry_after=1.0``: the provider's window is one second.
- Pacing: a :class:`SlidingWindowPacer` of 10 per client, which holds each request's place in
  the window until one second after its answer (the provider counts arrivals, which we cannot
  see), so a burst on cold connections never puts 11 requests in one provider second.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from mailconsole.core.capabilities import EMAILMASSIVO, Capabilities
from mailconsole.core.errors import (
    AuthError,
    NotFound,
    PaymentRequired,
    ProviderError,
    RateLimited,
    RecipientRejected,
    Unavailable,
    UnknownOutcome,
    ValidationError,
)
from mailconsole.core.events import EventType
from mailconsole.core.message import (
    Address,
    Message,
    OutcomeStatus,
    RecipientOutcome,
    SendResult,
)
from mailconsole.providers.base import (
    ProviderClient,
    error_for_status,
    retry_after_seconds,
    scrub,
    scrub_raw,
)
from mailconsole.providers.pacing import Pacer, SlidingWindowPacer

SEND_PATH = "/api/v1/external-mails/send"
SEND_BY_TEMPLATE_PATH = "/api/v1/external-mails/send-by-template"

#: The HTTP status of the current task's last answer (a ContextVar: sends run concurrently).
_last_status: ContextVar[int] = ContextVar("emailmassivo_last_status", default=0)

#: 422 texts (CONTRACT.md: the literal documented texts) → RecipientRejected reasons.
RECIPIENT_REASONS: dict[str, str] = {
    "email receiver unsubscribed from this api key mails": "unsubscribed",
    "email receiver complained from this api key mails": "complained",
    "email receiver doesn't exist": "nonexistent",
    "email receiver unavailable": "unavailable",
}

#: Texts that mean the key itself is wrong, missing or inactive.
AUTH_TEXTS = frozenset({"invalid api key", "externalmailapikey not found", "api key is not active"})

TEMPLATE_MISSING_TEXTS = frozenset(
    {"templatemailuser not found by id", "template not found by templateid"}
)

#: Words in a validation message → our field names (longest first, so "previewTitle" wins).
FIELD_WORDS: tuple[tuple[str, str], ...] = (
    ("previewtitle", "preview_title"),
    ("idtemplatemailuser", "template"),
    ("html template", "template"),
    ("attachments", "attachments"),
    ("params", "template"),
    ("subject", "subject"),
    ("from", "from"),
    ("html", "html"),
    ("text", "text"),
    ("bcc", "bcc"),
    ("cc", "cc"),
    ("to", "to"),
)


@dataclass(frozen=True, slots=True)
class AdditionalRecipient:
    """One cc/bcc address as the provider answered it: a uuid when accepted, else an error."""

    email: str
    uuid: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MailAccepted:
    """A 201 (new mail) or 200 (duplicate within the hour: the first mail's uuid) answer."""

    uuid: str
    duplicate: bool
    warning: str | None = None
    additional_recipients: Sequence[AdditionalRecipient] = ()
    raw: Any = field(default=None, compare=False, repr=False)


def address_object(address: Address) -> dict[str, str]:
    """``{"email", "name"?}`` as the provider wants ``to`` and ``from``."""
    result = {"email": address.email}
    if address.name:
        result["name"] = address.name
    return result


def address_string(addresses: Sequence[Address]) -> str:
    """cc/bcc as one comma-separated string of bare addresses."""
    return ",".join(a.email for a in addresses)


def encode_attachments(message: Message) -> list[dict[str, str]]:
    """``[{"name.ext": "<base64>"}, ...]``: one single-key object per file."""
    return [{a.filename: base64.b64encode(a.content).decode("ascii")} for a in message.attachments]


def message_text(body: Any) -> str:
    """The ``message`` of an error body (a string or a list of strings) as one text."""
    if not isinstance(body, dict):
        return ""
    value = body.get("message")
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if isinstance(v, str | int | float))
    return ""


def field_from_text(text: str) -> str | None:
    """Guess the request field a free-text validation message is about."""
    lowered = text.lower()
    for word, field_name in FIELD_WORDS:
        if re.search(rf"\b{re.escape(word)}\b", lowered):
            return field_name
    return None


class EmailMassivoClient(ProviderClient):
    """EmailMassivo: send and send-by-template, paced under 10 requests per second."""

    provider_id: ClassVar[str] = "emailmassivo"
    capabilities: ClassVar[Capabilities] = EMAILMASSIVO

    def default_pacer(self) -> Pacer:
        """A sliding one-second window of 10, as the provider counts (CONTRACT.md)."""
        return SlidingWindowPacer(10)

    def auth_headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.api_key}

    # -- errors -----------------------------------------------------------------------------

    def error_from_response(self, response: httpx.Response, body: Any) -> ProviderError:
        """Map ``{"statusCode", "message"}`` by its literal documented text, then by status."""
        status = response.status_code
        text = scrub(message_text(body), self.api_key)
        raw = (
            scrub_raw(body, self.api_key)
            if isinstance(body, dict)
            else scrub(response.text[:500], self.api_key)
        )
        shown = text or f"HTTP {status} {response.reason_phrase}".strip()
        lowered = text.strip().lower()
        kwargs: dict[str, Any] = {
            "provider": self.provider_id,
            "code": text or str(status),
            "status": status,
            "raw": raw,
        }
        if status == 429:
            retry = retry_after_seconds(response)
            return RateLimited(shown, retry_after=1.0 if retry is None else retry, **kwargs)
        if lowered in AUTH_TEXTS or status in (401, 403):
            return AuthError(shown, **kwargs)
        if status == 402:
            return PaymentRequired(shown, **kwargs)
        if lowered in RECIPIENT_REASONS:
            return RecipientRejected(shown, reason=RECIPIENT_REASONS[lowered], field="to", **kwargs)
        if lowered in TEMPLATE_MISSING_TEXTS:
            return NotFound(shown, field="template", **kwargs)
        if lowered == "user domain not found":
            return ValidationError(shown, field="from", **kwargs)
        if status == 413:
            return ValidationError(shown, field="attachments", **kwargs)
        if status == 422:
            return RecipientRejected(shown, reason="rejected", field="to", **kwargs)
        if status >= 500:
            return Unavailable(shown, **kwargs)
        field_name = field_from_text(text) if status == 400 else None
        return error_for_status(
            status, shown, provider=self.provider_id, code=kwargs["code"], field=field_name, raw=raw
        )

    # -- endpoints --------------------------------------------------------------------------

    async def send_mail(
        self, mail: Mapping[str, Any], *, idempotency_key: str | None
    ) -> MailAccepted:
        """``POST /send`` with a ready ``mail`` object (html and/or text)."""
        return await self._post_mail(SEND_PATH, mail, idempotency_key)

    async def send_mail_by_template(
        self, mail: Mapping[str, Any], *, idempotency_key: str | None
    ) -> MailAccepted:
        """``POST /send-by-template``: ``mail`` holds ``idTemplateMailUser`` and ``params``."""
        return await self._post_mail(SEND_BY_TEMPLATE_PATH, mail, idempotency_key)

    async def _post_mail(
        self, path: str, mail: Mapping[str, Any], idempotency_key: str | None
    ) -> MailAccepted:
        payload: dict[str, Any] = {"mail": dict(mail)}
        if idempotency_key is not None:
            payload["idempotencyKey"] = idempotency_key
        response_body = await self.request("POST", path, sends_mail=True, json_body=payload)
        return self._read_accepted(response_body)

    def _read_accepted(self, body: Any) -> MailAccepted:
        """Read ``{uuid, warning?, additionalRecipients?}``; the status decides ``duplicate``."""
        with self.reading("a send", sends_mail=True, raw=body):
            uuid = body["uuid"]
            if not isinstance(uuid, str | int) or isinstance(uuid, bool) or not str(uuid):
                raise TypeError("uuid is not a string")
            warning = body.get("warning")
            extra = body.get("additionalRecipients") or []
            if not isinstance(extra, list):
                raise TypeError("additionalRecipients is not a list")
            additional = [self._read_additional(item) for item in extra]
            return MailAccepted(
                uuid=str(uuid),
                duplicate=_last_status.get() == 200,
                warning=warning if isinstance(warning, str) else None,
                additional_recipients=additional,
                raw=body,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _read_additional(item: Any) -> AdditionalRecipient:
        email = item["email"]
        uuid = item.get("uuid")
        error = item.get("error")
        if not isinstance(email, str):
            raise TypeError("additional recipient without an email")
        return AdditionalRecipient(
            email=email,
            uuid=str(uuid) if isinstance(uuid, str | int) and not isinstance(uuid, bool) else None,
            error=str(error) if error is not None else None,
        )

    def is_success(self, response: httpx.Response) -> bool:
        """2xx; also remembers the status for this task, since 200 and 201 differ here."""
        _last_status.set(response.status_code)
        return super().is_success(response)

    # -- neutral operations -----------------------------------------------------------------

    def build_mail(self, message: Message, to: Address, *, with_copies: bool) -> dict[str, Any]:
        """The ``mail`` object for one To address (cc/bcc only when ``with_copies``)."""
        mail: dict[str, Any] = {
            "to": address_object(to),
            "from": address_object(message.sender),
            "subject": message.subject,
        }
        if message.preview_title:
            mail["previewTitle"] = message.preview_title
        if message.headers:
            mail["headers"] = dict(message.headers)
        if with_copies and message.cc:
            mail["cc"] = address_string(message.cc)
        if with_copies and message.bcc:
            mail["bcc"] = address_string(message.bcc)
        if message.template is not None:
            mail["idTemplateMailUser"] = self._template_id(message.template.template_id)
            mail["params"] = {str(k): str(v) for k, v in message.template.variables.items()}
        else:
            if message.html:
                mail["html"] = message.html
            if message.text:
                mail["text"] = message.text
        if message.attachments:
            mail["attachments"] = encode_attachments(message)
        return mail

    def _template_id(self, template_id: str) -> int:
        try:
            return int(template_id)
        except ValueError:
            raise ValidationError(
                f"EmailMassivo template ids are numbers, not {template_id!r}",
                provider=self.provider_id,
                code="template_id",
                field="template",
            ) from None

    @staticmethod
    def idempotency_key(message: Message) -> str:
        """The message's key, or one derived from its client reference (always sent)."""
        return message.idempotency_key or f"mailconsole-{message.client_reference}"

    async def send(self, message: Message) -> SendResult:
        """One request per To address (``to`` holds one recipient); see the module docstring."""
        if not message.to:
            raise ValidationError(
                "No To address", provider=self.provider_id, code="no_recipient", field="to"
            )
        base_key = self.idempotency_key(message)
        single = len(message.to) == 1
        outcomes: list[RecipientOutcome] = []
        copies_pending = bool(message.cc or message.bcc)
        first_uuid: str | None = None
        duplicate = False
        warning: str | None = None
        raw: list[Any] = []
        for index, to in enumerate(message.to):
            key = base_key if single else f"{base_key}:{to.email.lower()}"
            mail = self.build_mail(message, to, with_copies=copies_pending)
            send = self.send_mail_by_template if message.template else self.send_mail
            try:
                accepted = await send(mail, idempotency_key=key)
            except RecipientRejected as error:
                outcomes.append(rejected_outcome(to.email, error))
                raw.append(error.raw)
                continue
            except ProviderError as error:
                if index == 0:
                    raise
                outcomes.append(failed_outcome(to.email, error))
                raw.append(error.raw)
                continue
            raw.append(accepted.raw)
            first_uuid = first_uuid or accepted.uuid
            duplicate = duplicate or accepted.duplicate
            warning = warning or accepted.warning
            outcomes.append(accepted_outcome(to.email, accepted.uuid))
            if copies_pending:
                outcomes.extend(copy_outcomes(message, accepted))
                copies_pending = False
        if copies_pending:
            note = "not sent: every To address was refused"
            outcomes.extend(
                RecipientOutcome(
                    recipient=a.email,
                    status=OutcomeStatus.REJECTED,
                    event=EventType.REJECTED,
                    error=note,
                    error_code="not_sent",
                )
                for a in (*message.cc, *message.bcc)
            )
        return SendResult(
            provider=self.provider_id,
            outcomes=outcomes,
            provider_message_id=first_uuid,
            duplicate=duplicate,
            warning=warning,
            raw=raw[0] if len(raw) == 1 else raw,
        )

    async def check_connection(self) -> str:
        """POST an empty JSON object to ``/send``: the key is checked before the body, so a 400
        proves the key works, and a body with no recipient cannot send anything.

        EmailMassivo has no read-only call. Where the provider checks the balance with the key
        (as the sandbox does), an account with no balance raises ``PaymentRequired`` here.
        """
        try:
            await self.request("POST", SEND_PATH, json_body={})
        except ValidationError as error:
            if error.status == 400:
                return (
                    "API key accepted. EmailMassivo has no read-only call, so the console sent an "
                    "empty send request: it was refused at the body check, after the key check, "
                    "and nothing was sent."
                )
            raise
        return (
            "API key accepted (the empty test request was answered as a success, which "
            "EmailMassivo does not document; nothing can have been sent without a recipient)."
        )


def accepted_outcome(email: str, uuid: str) -> RecipientOutcome:
    return RecipientOutcome(
        recipient=email, status=OutcomeStatus.ACCEPTED, provider_message_id=uuid
    )


def rejected_outcome(email: str, error: RecipientRejected) -> RecipientOutcome:
    """A 422 refusal: ``error_code`` is the normalized reason (unsubscribed, complained, ...)."""
    return RecipientOutcome(
        recipient=email,
        status=OutcomeStatus.REJECTED,
        event=EventType.REJECTED,
        error=error.message,
        error_code=error.reason,
    )


def failed_outcome(email: str, error: ProviderError) -> RecipientOutcome:
    """A later To's request failed for another reason; UnknownOutcome stays unknown."""
    unknown = isinstance(error, UnknownOutcome)
    return RecipientOutcome(
        recipient=email,
        status=OutcomeStatus.UNKNOWN if unknown else OutcomeStatus.REJECTED,
        event=EventType.UNKNOWN if unknown else EventType.FAILED,
        error=error.message,
        error_code=error.code,
    )


def copy_outcomes(message: Message, accepted: MailAccepted) -> list[RecipientOutcome]:
    """cc/bcc outcomes from ``additionalRecipients`` (matched by address, case-insensitive)."""
    by_email = {a.email.strip().lower(): a for a in accepted.additional_recipients}
    outcomes: list[RecipientOutcome] = []
    for address in (*message.cc, *message.bcc):
        answer = by_email.get(address.email.strip().lower())
        if answer is None:
            outcomes.append(
                RecipientOutcome(
                    recipient=address.email,
                    status=OutcomeStatus.UNKNOWN,
                    event=EventType.UNKNOWN,
                    error="the provider did not report this copy recipient",
                    error_code="not_reported",
                )
            )
        elif answer.uuid is not None:
            outcomes.append(accepted_outcome(address.email, answer.uuid))
        else:
            outcomes.append(
                RecipientOutcome(
                    recipient=address.email,
                    status=OutcomeStatus.REJECTED,
                    event=EventType.REJECTED,
                    error=answer.error or "refused",
                    error_code="additional_recipient",
                )
            )
    return outcomes
