"""MailingAPI (Outboxa) emulated under ``/mailingapi``: ``/v1/messages/...`` with a Bearer key.

Decisions where CONTRACT.md and the documentation are silent:

- Message ``id`` is a UUID (version 4); ``message_id`` is ``<32 hex of the id@mailingapi.com>``.
  Times are ISO 8601 UTC with milliseconds (``2024-01-15T10:30:00.123Z``) so events a few
  milliseconds apart (high time scales) still order by timestamp.
- ``to`` comes back as a string when one address was given as a string, else as a list; the
  recipient rule of the first ``to`` address decides the message's lifecycle.
- ``status`` is the latest of ``scheduled``, ``queued``, ``sent``, ``delivered``, ``bounced``,
  ``complained``, ``unsubscribed``, ``cancelled``; opens and clicks do not change it (as in the
  documented example: ``delivered`` with ``opened_at``), they appear as events and as
  ``opened_at``/``clicked_at``. There is no deferral event: ``busy*`` stops at ``sent``.
- A template (``tmpl_welcome``: subject ``Welcome, {{name}}!``) fills ``subject``/``html``/
  ``text`` the request leaves out; ``{{var}}`` in all three is filled from ``template_data``.
- ``DELETE /v1/messages/{id}/schedule`` on a message that is not (or no longer) scheduled answers
  409 ``{"error": {"code": "not_scheduled", ...}}``; an unknown id 404 ``not_found``.
- Missing or non-string ``from`` is 400 ``invalid_from_address``; missing or malformed ``to``,
  ``cc`` or ``bcc`` addresses 400 ``invalid_to_address``; a field of the wrong JSON type, a wrong
  content type, malformed JSON, undecodable base64 and a batch over 1,000 items 400
  ``invalid_request``; a body over 25 MB 413 ``request_too_large``; an unknown path 404
  ``not_found``; a wrong method 405 ``method_not_allowed``.
- ``scheduled_at`` without a zone is read as UTC. ``optimize_send_time`` is accepted and ignored.
- In a batch, every item (including each ``recipient_variables`` expansion) is validated alone;
  a failure that would be 403/413 for a single send is that item's ``failed`` entry.
- ``analyze`` scores ``100 - 3 x (sum of penalties)`` (so the documented example, one missing
  text part with penalty 5, scores 85); grades: excellent >= 90, good >= 70, fair >= 50, poor.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from typing import Any

from aiohttp import web

from mailconsole.sandbox.common import (
    SANDBOX_KEYS,
    ApiError,
    ProviderApi,
    b64_size,
    is_verified,
    iso,
    json_response,
    parse_iso,
    parse_mailbox,
    read_json,
    read_json_object,
    render,
)
from mailconsole.sandbox.lifecycle import build_plan
from mailconsole.sandbox.state import StoredMessage

KEY = SANDBOX_KEYS["mailingapi"]
MAX_BATCH = 1000
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_SCHEDULE_AHEAD = timedelta(days=30)

TEMPLATES: dict[str, dict[str, str]] = {
    "tmpl_welcome": {
        "subject": "Welcome, {{name}}!",
        "html": "<p>Welcome, {{name}}!</p>",
        "text": "Welcome, {{name}}!",
    }
}

#: Normalized code → message status (``None``: leaves the status as it was).
STATUS_OF: dict[str, str | None] = {
    "scheduled": "scheduled",
    "queued": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "bounced": "bounced",
    "complained": "complained",
    "unsubscribed": "unsubscribed",
    "cancelled": "cancelled",
    "expired": "failed",
    "deferred": None,
    "opened": None,
    "clicked": None,
}

EVENT_TYPES = frozenset(
    {"queued", "sent", "delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"}
)

EVENT_METADATA: dict[str, dict[str, str]] = {
    "opened": {"user_agent": "Mozilla/5.0 (Mail Console sandbox)"},
    "clicked": {"user_agent": "Mozilla/5.0 (Mail Console sandbox)", "url": "https://example.com/"},
    "bounced": {"reason": "550 5.1.1 The email account that you tried to reach does not exist"},
    "complained": {"feedback_type": "abuse"},
}

STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "The request is invalid"),
    401: ("unauthorized", "Missing or invalid API key"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("request_too_large", "Request body exceeds 25 MB"),
    429: ("rate_limit_exceeded", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("service_unavailable", "Service temporarily unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}


def invalid(message: str, code: str = "invalid_request", status: int = 400) -> ApiError:
    return ApiError(status, message, code)


def _bad_request(text: str) -> ApiError:
    return invalid(text)


def _string_list(value: Any, field: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"'{field}' must be a string or an array of strings")
    return value


def _addresses(value: Any, field: str, *, required: bool) -> list[str]:
    if value is None or value == [] or value == "":
        if required:
            raise invalid(f"'{field}' is required", "invalid_to_address")
        return []
    if not isinstance(value, (str, list)):
        raise invalid(f"'{field}' must be a string or an array of strings", "invalid_to_address")
    out: list[str] = []
    for item in _string_list(value, field):
        parsed = parse_mailbox(item) if isinstance(item, str) else None
        if parsed is None:
            raise invalid(f"'{field}' contains an invalid address: {item!r}", "invalid_to_address")
        out.append(parsed[1])
    return out


def _optional(body: dict[str, Any], field: str, kind: type) -> Any:
    """``body[field]`` if present and of JSON type ``kind``, else 400 ``invalid_request``."""
    value = body.get(field)
    if value is not None and not isinstance(value, kind):
        names = {str: "a string", dict: "an object", list: "an array", bool: "a boolean"}
        raise invalid(f"'{field}' must be {names.get(kind, 'valid')}")
    return value


class MailingApi(ProviderApi):
    """The MailingAPI Messages API."""

    name = "mailingapi"
    accept_paths = frozenset({"/v1/messages/send", "/v1/messages/batch"})

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/v1/messages/send", self.send)
        r.add_post("/v1/messages/batch", self.batch)
        r.add_post("/v1/messages/analyze", self.analyze)
        r.add_get("/v1/messages", self.list_messages)
        r.add_get("/v1/messages/scheduled", self.list_scheduled)
        r.add_get("/v1/messages/{message_id}", self.get_message)
        r.add_delete("/v1/messages/{message_id}/schedule", self.cancel)
        r.add_get("/v1/messages/{message_id}/events", self.events)

    def error_body(self, status: int, message: Any, code: str | None) -> Any:
        default_code, _ = STATUS_CODES.get(status, ("error", "Error"))
        return {"error": {"code": code or default_code, "message": str(message)}}

    def status_text(self, status: int) -> tuple[str, str | None]:
        code, message = STATUS_CODES.get(status, ("error", "Error"))
        return message, code

    # -- helpers --------------------------------------------------------------------------

    def _auth(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != KEY:
            raise ApiError(401, "Missing or invalid API key", "unauthorized")

    def _message(self, request: web.Request) -> StoredMessage:
        message = self.ctx.store.get(self.name, request.match_info["message_id"])
        if message is None:
            raise ApiError(404, "Message not found", "not_found")
        return message

    def prepare(self, body: Any, now: float) -> StoredMessage:
        """Validate one message and build it (not yet stored); raises :class:`ApiError`."""
        if not isinstance(body, dict):
            raise invalid("A message must be a JSON object")
        sender_raw = body.get("from")
        sender = parse_mailbox(sender_raw) if isinstance(sender_raw, str) else None
        if sender is None:
            raise invalid(
                "'from' is missing or not a valid address"
                if sender_raw is None or isinstance(sender_raw, str)
                else "'from' must be a string",
                "invalid_from_address",
            )
        if not is_verified(sender[1]):
            raise ApiError(
                403,
                f"Sending domain '{sender[1].rpartition('@')[2]}' is not verified",
                "domain_not_verified",
            )
        to_raw = body.get("to")
        to = _addresses(to_raw, "to", required=True)
        cc = _addresses(body.get("cc"), "cc", required=False)
        bcc = _addresses(body.get("bcc"), "bcc", required=False)

        template_id = _optional(body, "template_id", str)
        data = _optional(body, "template_data", dict) or {}
        headers = _optional(body, "headers", dict)
        if headers is not None and not all(isinstance(v, str) for v in headers.values()):
            raise invalid("'headers' values must be strings")
        tags = _optional(body, "tags", list)
        if tags is not None and not all(isinstance(t, str) for t in tags):
            raise invalid("'tags' must be an array of strings")
        metadata = _optional(body, "metadata", dict)
        tracking = _optional(body, "tracking", dict) or {}
        opens, clicks = tracking.get("opens", True), tracking.get("clicks", True)
        if not isinstance(opens, bool) or not isinstance(clicks, bool):
            raise invalid("'tracking.opens' and 'tracking.clicks' must be booleans")
        _optional(body, "optimize_send_time", bool)
        subject = _optional(body, "subject", str)
        html = _optional(body, "html", str)
        text = _optional(body, "text", str)
        if template_id is not None:
            template = TEMPLATES.get(template_id)
            if template is None:
                raise invalid(f"Template '{template_id}' not found or inactive", "invalid_template")
            subject = subject or template["subject"]
            html = html or template["html"]
            text = text or template["text"]
        if not subject:
            raise invalid("Subject line required", "missing_subject")
        if not html and not text:
            raise invalid("HTML or text body required", "missing_body")

        attachments = self._attachments(body.get("attachments"))
        scheduled_raw = _optional(body, "scheduled_at", str)
        delay = 0.0
        if scheduled_raw is not None:
            moment = parse_iso(scheduled_raw, require_zone=False)
            if moment is None:
                raise invalid(
                    "'scheduled_at' must be an ISO 8601 date-time", "invalid_scheduled_at"
                )
            delay = moment.timestamp() - now
            if delay < 0:
                raise invalid("'scheduled_at' is in the past", "invalid_scheduled_at")
            if delay > MAX_SCHEDULE_AHEAD.total_seconds():
                raise invalid("'scheduled_at' is more than 30 days ahead", "invalid_scheduled_at")
        subject_out = render(subject, data)
        extra: dict[str, Any] = {}
        if isinstance(to_raw, list):
            extra["to_list"] = True
        if tags is not None:
            extra["tags"] = tags
        if metadata is not None:
            extra["metadata"] = metadata
        if headers is not None:
            extra["headers"] = headers
        if template_id is not None:
            extra["template_id"] = template_id
        if scheduled_raw is not None:
            extra["scheduled_at"] = iso(now + delay, millis=True)
        if sender[0]:
            extra["from_name"] = sender[0]
        return StoredMessage(
            provider=self.name,
            id=str(uuid.uuid4()),
            sender=sender[1],
            to=tuple(to),
            cc=tuple(cc),
            bcc=tuple(bcc),
            subject=subject_out,
            html=render(html, data) if html else None,
            text=render(text, data) if text else None,
            attachments=attachments,
            accepted_at=now,
            plan=build_plan(self.ctx.clock, to[0], delay=delay, opens=opens, clicks=clicks),
            extra=extra or None,
        )

    def _attachments(self, value: Any) -> tuple[tuple[str, int], ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise invalid("'attachments' must be an array")
        if len(value) > MAX_ATTACHMENTS:
            raise invalid("Maximum 10 attachments", "too_many_attachments")
        out: list[tuple[str, int]] = []
        for item in value:
            if not isinstance(item, dict):
                raise invalid("Each attachment must be an object")
            filename, content = item.get("filename"), item.get("content")
            if not isinstance(filename, str) or not filename or not isinstance(content, str):
                raise invalid("Each attachment needs a 'filename' and base64 'content'")
            for key in ("content_type", "content_id"):
                if key in item and not isinstance(item[key], str):
                    raise invalid(f"'attachments[].{key}' must be a string")
            size = b64_size(content, strict=False)
            if size is None:
                raise invalid(f"Attachment '{filename}' is not valid base64")
            if size > MAX_ATTACHMENT_BYTES:
                raise ApiError(
                    413, f"Attachment '{filename}' exceeds 10 MB", "attachment_too_large"
                )
            out.append((filename, size))
        return tuple(out)

    def status_of(self, message: StoredMessage, now: float) -> str:
        status = "queued"
        for event in message.events(now):
            mapped = STATUS_OF.get(event.code)
            if mapped is not None:
                status = mapped
        return status

    def summary(self, message: StoredMessage, now: float) -> dict[str, Any]:
        to: str | list[str] = list(message.to) if message.get("to_list") else message.to[0]
        data: dict[str, Any] = {
            "id": message.id,
            "message_id": f"<{message.id.replace('-', '')}@mailingapi.com>",
            "from": message.sender,
            "to": to,
            "subject": message.subject,
            "status": self.status_of(message, now),
            "tags": message.get("tags", []),
            "metadata": message.get("metadata", {}),
            "created_at": iso(message.accepted_at, millis=True),
        }
        if message.cc:
            data["cc"] = list(message.cc)
        if message.bcc:
            data["bcc"] = list(message.bcc)
        scheduled_at = message.get("scheduled_at")
        if scheduled_at is not None:
            data["scheduled_at"] = scheduled_at
        return data

    # -- handlers -------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        self._auth(request)
        body = await read_json_object(request, _bad_request)
        now = self.ctx.clock.now()
        message = self.prepare(body, now)
        self.ctx.store.add(message)
        return json_response({"data": self.summary(message, now)})

    async def batch(self, request: web.Request) -> web.Response:
        self._auth(request)
        body = await read_json_object(request, _bad_request)
        items = self._batch_items(body)
        now = self.ctx.clock.now()
        accepted: list[StoredMessage] = []
        results: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            to = item.get("to") if isinstance(item, dict) else None
            try:
                message = self.prepare(item, now)
            except ApiError as exc:
                results.append(
                    {
                        "index": index,
                        "status": "failed",
                        "to": to,
                        "error": {"code": exc.code or "invalid_request", "message": exc.message},
                    }
                )
                continue
            accepted.append(message)
            results.append(
                {
                    "index": index,
                    "status": "scheduled" if message.get("scheduled_at") else "queued",
                    "id": message.id,
                    "to": message.to[0] if not message.get("to_list") else list(message.to),
                }
            )
        self.ctx.store.add_many(accepted)
        return json_response(
            {
                "data": {
                    "total": len(items),
                    "queued": len(accepted),
                    "errors": len(items) - len(accepted),
                    "messages": results,
                }
            }
        )

    def _batch_items(self, body: dict[str, Any]) -> list[Any]:
        messages = body.get("messages")
        variables = body.get("recipient_variables")
        if messages is not None and variables is not None:
            raise invalid("Use either 'messages' or 'recipient_variables', not both")
        if messages is not None:
            if not isinstance(messages, list):
                raise invalid("'messages' must be an array")
            items: list[Any] = messages
        elif variables is not None:
            if not isinstance(variables, dict):
                raise invalid("'recipient_variables' must be an object")
            base = {k: v for k, v in body.items() if k != "recipient_variables"}
            shared = base.get("template_data")
            if shared is not None and not isinstance(shared, dict):
                raise invalid("'template_data' must be an object")
            items = []
            for address, values in variables.items():
                if not isinstance(values, dict):
                    raise invalid("Each 'recipient_variables' entry must be an object")
                item = dict(base)
                item["to"] = address
                item["template_data"] = {**(shared or {}), **values}
                items.append(item)
        else:
            raise invalid("Provide 'messages' or 'recipient_variables'")
        if not items:
            raise invalid("The batch is empty")
        if len(items) > MAX_BATCH:
            raise invalid("Maximum 1,000 messages per request")
        return items

    async def get_message(self, request: web.Request) -> web.Response:
        self._auth(request)
        message = self._message(request)
        now = self.ctx.clock.now()
        data = self.summary(message, now)
        for code in ("sent", "delivered", "opened", "clicked", "bounced"):
            at = message.time_of(code, now)
            if at is not None:
                data[f"{code}_at"] = iso(at, millis=True)
        if message.cancelled_at is not None:
            data["cancelled_at"] = iso(message.cancelled_at, millis=True)
        return json_response({"data": data})

    async def list_messages(self, request: web.Request) -> web.Response:
        self._auth(request)
        query = request.query
        limit = self._int_param(query.get("limit"), "limit", 50)
        offset = self._int_param(query.get("offset"), "offset", 0, minimum=0)
        if limit < 1:
            raise invalid("'limit' must be at least 1")
        limit = min(limit, 100)
        status = query.get("status")
        to_filter: str | None = None
        if "to" in query:
            parsed = parse_mailbox(query["to"])
            to_filter = (parsed[1] if parsed else query["to"]).lower()
        since = self._time_param(query.get("since"), "since")
        until = self._time_param(query.get("until"), "until")
        now = self.ctx.clock.now()
        matched: list[StoredMessage] = []
        for message in reversed(self.ctx.store.of(self.name).values()):
            if since is not None and message.accepted_at < since:
                continue
            if until is not None and message.accepted_at > until:
                continue
            if to_filter is not None and to_filter not in (a.lower() for a in message.to):
                continue
            if status is not None and self.status_of(message, now) != status:
                continue
            matched.append(message)
        page = matched[offset : offset + limit]
        return json_response(
            {
                "data": [self.summary(message, now) for message in page],
                "meta": {
                    "count": len(page),
                    "total": len(matched),
                    "limit": limit,
                    "offset": offset,
                    "has_more": offset + len(page) < len(matched),
                },
            }
        )

    @staticmethod
    def _int_param(value: str | None, name: str, default: int, minimum: int = 1) -> int:
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise invalid(f"'{name}' must be an integer") from None
        if number < minimum:
            raise invalid(f"'{name}' must be at least {minimum}")
        return number

    @staticmethod
    def _time_param(value: str | None, name: str) -> float | None:
        if value is None:
            return None
        moment = parse_iso(value, require_zone=False)
        if moment is None:
            raise invalid(f"'{name}' must be an ISO 8601 date-time")
        return moment.timestamp()

    async def list_scheduled(self, request: web.Request) -> web.Response:
        self._auth(request)
        now = self.ctx.clock.now()
        data = [
            {
                "id": message.id,
                "to": message.to[0] if not message.get("to_list") else list(message.to),
                "subject": message.subject,
                "scheduled_at": message.get("scheduled_at"),
                "status": "scheduled",
            }
            for message in self.ctx.store.of(self.name).values()
            if message.get("scheduled_at") is not None and message.code(now) == "scheduled"
        ]
        data.sort(key=lambda item: str(item["scheduled_at"]))
        return json_response({"data": data})

    async def cancel(self, request: web.Request) -> web.Response:
        self._auth(request)
        message = self._message(request)
        now = self.ctx.clock.now()
        status = self.status_of(message, now)
        if status != "scheduled":
            raise ApiError(409, f"Message is not scheduled (status: {status})", "not_scheduled")
        message.cancelled_at = now
        self.ctx.store.update(message)
        return json_response(
            {
                "data": {
                    "id": message.id,
                    "status": "cancelled",
                    "created_at": iso(message.accepted_at, millis=True),
                }
            }
        )

    async def events(self, request: web.Request) -> web.Response:
        self._auth(request)
        message = self._message(request)
        now = self.ctx.clock.now()
        data = [
            {
                "id": event_id(message.id, event.index),
                "type": event.code,
                "timestamp": iso(event.at, millis=True),
                "metadata": EVENT_METADATA.get(event.code, {}),
            }
            for event in message.events(now)
            if event.code in EVENT_TYPES
        ]
        return json_response({"data": data})

    async def analyze(self, request: web.Request) -> web.Response:
        self._auth(request)
        body = await read_json(request, _bad_request)
        if not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        return json_response({"data": analyze(body)})


def event_id(message_id: str, index: int) -> str:
    digest = hashlib.blake2b(f"{message_id}:{index}".encode(), digest_size=12).hexdigest()
    return f"evt_{digest}"


SPAM_WORDS = ("free", "winner", "urgent", "act now", "100%", "guarantee", "cash", "click here")

RECOMMENDATIONS: dict[str, str] = {
    "missing_text": "Consider adding a text version for better deliverability",
    "missing_html": "Consider adding an HTML version",
    "missing_subject": "Add a subject line",
    "missing_body": "Add an HTML or text body",
    "invalid_from": "Use a valid sender address",
    "unverified_domain": "Verify the sending domain before sending",
    "invalid_to": "Use a valid recipient address",
    "subject_too_long": "Keep the subject under 78 characters",
    "subject_all_caps": "Avoid writing the subject in capital letters",
    "excessive_punctuation": "Avoid repeated exclamation marks",
    "spam_words": "Avoid words that spam filters associate with spam",
}

SEVERITY_PENALTY = {"critical": 20, "high": 10, "medium": 5, "low": 2}


def analyze(body: dict[str, Any]) -> dict[str, Any]:
    """A deterministic spam score for a message (same input, same answer)."""
    issues: list[dict[str, Any]] = []

    def issue(kind: str, subtype: str, severity: str, detail: str) -> None:
        issues.append(
            {
                "type": kind,
                "subtype": subtype,
                "severity": severity,
                "detail": detail,
                "penalty": SEVERITY_PENALTY[severity],
            }
        )

    sender = body.get("from")
    parsed = parse_mailbox(sender) if isinstance(sender, str) else None
    if parsed is None:
        issue("sender", "invalid_from", "critical", "Sender address is missing or invalid")
    elif not is_verified(parsed[1]):
        issue("authentication", "unverified_domain", "critical", "Sending domain is not verified")
    to = body.get("to")
    targets = to if isinstance(to, list) else [to]
    if not targets or not all(isinstance(t, str) and parse_mailbox(t) for t in targets):
        issue("recipient", "invalid_to", "critical", "Recipient address is missing or invalid")
    subject = body.get("subject") if isinstance(body.get("subject"), str) else ""
    html = body.get("html") if isinstance(body.get("html"), str) else ""
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    if not subject:
        issue("content", "missing_subject", "critical", "No subject line")
    else:
        if len(subject) > 78:
            issue("content", "subject_too_long", "low", "Subject is longer than 78 characters")
        letters = [c for c in subject if c.isalpha()]
        if len(letters) >= 4 and all(c.isupper() for c in letters):
            issue("content", "subject_all_caps", "high", "Subject is all capital letters")
        if "!!" in subject:
            issue("content", "excessive_punctuation", "low", "Repeated exclamation marks")
    if not html and not text:
        issue("content", "missing_body", "critical", "No HTML or text body")
    elif not text:
        issue("content", "missing_text", "medium", "No plain text version")
    elif not html:
        issue("content", "missing_html", "low", "No HTML version")
    words = f"{subject} {html} {text}".lower()
    found = [w for w in SPAM_WORDS if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", words)]
    if found:
        issue("content", "spam_words", "medium", f"Spam trigger words: {', '.join(found)}")
    score = max(0, 100 - 3 * sum(i["penalty"] for i in issues))
    grade = (
        "excellent"
        if score >= 90
        else "good"
        if score >= 70
        else "fair"
        if score >= 50
        else ("poor")
    )
    counts = {s: sum(1 for i in issues if i["severity"] == s) for s in SEVERITY_PENALTY}
    return {
        "score": score,
        "grade": grade,
        "issues_count": len(issues),
        "critical_count": counts["critical"],
        "high_count": counts["high"],
        "medium_count": counts["medium"],
        "low_count": counts["low"],
        "can_send": counts["critical"] == 0,
        "recommendations": [RECOMMENDATIONS[i["subtype"]] for i in issues],
        "issues": issues,
    }
