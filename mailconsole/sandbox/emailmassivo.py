"""EmailMassivo (RuSender) emulated under ``/emailmassivo``: the two send endpoints.

Decisions where CONTRACT.md and the documentation are silent:

- ``uuid`` is a UUID version 4; every accepted ``cc``/``bcc`` address gets its own uuid in
  ``additionalRecipients``, but the mail is stored (and listed by ``/_sandbox/messages``) once,
  with its ``cc``/``bcc``.
- Validation errors (400) follow RuSender's NestJS server: ``message`` is a list of texts such as
  ``mail.subject should not be empty``; malformed JSON or a wrong content type is a one-text
  400; an unknown path or a wrong method answers 404 ``Cannot POST /api/...`` as NestJS does.
- A key holding whitespace or non-printable characters counts as malformed (401).
- Attachments: each item is a one-key object ``{"name.ext": "<base64>"}``; anything else, or
  base64 that does not strictly decode, is ``Attachments parse failed``.
- Order of content checks after the syntax: attachments (400), duplicate lookup (200),
  sender domain (404), template (404), recipient (422). ``cc``/``bcc`` addresses that are
  malformed or refused by the recipient rules are reported per address in
  ``additionalRecipients`` (``error``) and do not refuse the mail.
- The seeded template ``1`` is ``<p>Hello {{name}}, your code is {{code}}.</p>``; the subject
  comes from the request. Without ``text`` a text part is generated from the HTML.
- The rate limit's sliding window is exactly one second, measured on arrival, as the real
  service counts it: a client must keep itself under it (the console's pacer holds each
  request's place until a second after its answer, so arrival jitter cannot draw a 429).
- The duplicate answer is the first answer's body with status 200 (a keyless one repeats the
  warning).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
import uuid
from typing import Any

from aiohttp import web

from mailconsole.sandbox.common import (
    SANDBOX_KEYS,
    ApiError,
    ProviderApi,
    SandboxContext,
    html_to_text,
    is_email,
    is_verified,
    json_response,
    read_json,
    render,
)
from mailconsole.sandbox.lifecycle import build_plan, recipient_rule
from mailconsole.sandbox.limits import SlidingWindowLimiter
from mailconsole.sandbox.state import StoredMessage

KEY = SANDBOX_KEYS["emailmassivo"]
INACTIVE_KEY = "sandbox-emailmassivo-inactive"
EMPTY_KEY = "sandbox-emailmassivo-empty"

SEND_PATH = "/api/v1/external-mails/send"
TEMPLATE_PATH = "/api/v1/external-mails/send-by-template"

RATE_LIMIT_PER_SECOND = 10
DUPLICATE_WINDOW = 3600.0
MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024
MAX_PREVIEW_TITLE = 255
FORBIDDEN_EXTENSIONS = frozenset({"exe", "bat", "cmd", "com", "js", "vbs", "scr", "jar", "msi"})

WARNING = (
    "idempotencyKey was not provided; an identical request within one hour is treated as a "
    "duplicate. Pass an idempotencyKey to control repeated requests."
)

TEMPLATES: dict[int, str] = {1: "<p>Hello {{name}}, your code is {{code}}.</p>"}

#: Recipient rule → the documented 422 text.
REFUSALS: dict[str, str] = {
    "unsubscribed": "Email receiver unsubscribed from this API key mails",
    "nobody": "Email receiver doesn't exist",
    "busy": "Email receiver unavailable",
}

STATUS_TEXTS: dict[int, str] = {
    400: "Bad Request",
    401: "Invalid API key",
    402: "Not enough resources on the user balance",
    403: "API key is not active",
    404: "Not Found",
    413: "Request body exceeds 25 MB",
    422: "Recipient is unavailable",
    429: "Too Many Requests",
    500: "Internal server error",
    503: "Email processing service is temporarily unavailable",
}


def _bad(text: str) -> ApiError:
    return ApiError(400, text)


class EmailMassivo(ProviderApi):
    """The EmailMassivo external-mails API."""

    name = "emailmassivo"
    accept_paths = frozenset({SEND_PATH, TEMPLATE_PATH})

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        self.limiter = SlidingWindowLimiter(RATE_LIMIT_PER_SECOND, 1.0)
        #: idempotencyKey → (accepted at, answer body); fingerprint → the same, for keyless.
        self.keyed: dict[str, tuple[float, dict[str, Any]]] = {}
        self.keyless: dict[str, tuple[float, dict[str, Any]]] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(SEND_PATH, self.send)
        app.router.add_post(TEMPLATE_PATH, self.send_by_template)

    def error_body(self, status: int, message: Any, code: str | None) -> Any:
        return {"statusCode": status, "message": message}

    def status_text(self, status: int) -> tuple[str, str | None]:
        return STATUS_TEXTS.get(status, "Error"), None

    def http_error(self, exc: web.HTTPException, request: web.Request) -> web.Response:
        if exc.status in (404, 405):
            path = request.path[len("/emailmassivo") :] or "/"
            return self.error_response(404, f"Cannot {request.method} {path}")
        return super().http_error(exc, request)

    async def before(self, request: web.Request) -> None:
        path = request.path[len("/emailmassivo") :]
        if path in self.accept_paths and not self.limiter.allow(request.remote or ""):
            raise ApiError(429, "Too Many Requests")

    def reset(self) -> None:
        self.limiter.reset()
        self.keyed.clear()
        self.keyless.clear()

    def restore(self) -> None:
        for kind, table in (("em_keyed", self.keyed), ("em_keyless", self.keyless)):
            for key, (accepted, answer) in self.ctx.load(kind).items():
                table[key] = (float(accepted), answer)

    # -- checks ---------------------------------------------------------------------------

    @staticmethod
    def _auth(request: web.Request) -> None:
        key = request.headers.get("X-Api-Key", "").strip()
        if not key or not key.isprintable() or any(c.isspace() for c in key):
            raise ApiError(401, "Invalid API key")
        if key == KEY:
            return
        if key == INACTIVE_KEY:
            raise ApiError(403, "API key is not active")
        if key == EMPTY_KEY:
            raise ApiError(402, "Not enough resources on the user balance")
        raise ApiError(404, "ExternalMailApiKey not found")

    @staticmethod
    def _syntax(body: Any, *, template: bool) -> tuple[str | None, dict[str, Any]]:
        """Check the shape; returns ``(idempotency key, mail)`` or raises 400 with all texts."""
        if not isinstance(body, dict):
            raise _bad("Request body must be a JSON object")
        errors: list[str] = []
        key = body.get("idempotencyKey")
        if key is not None and not isinstance(key, str):
            errors.append("idempotencyKey must be a string")
            key = None
        mail = body.get("mail")
        if not isinstance(mail, dict):
            errors.append(
                "mail must be an object" if mail is not None else "mail should not be empty"
            )
            raise ApiError(400, errors)
        for field in ("to", "from"):
            party = mail.get(field)
            if not isinstance(party, dict):
                errors.append(f"mail.{field} must be an object")
                continue
            if not is_email(party.get("email")):
                errors.append(f"mail.{field}.email must be an email")
            if party.get("name") is not None and not isinstance(party.get("name"), str):
                errors.append(f"mail.{field}.name must be a string")
        subject = mail.get("subject")
        if not isinstance(subject, str):
            errors.append(
                "mail.subject must be a string"
                if subject is not None
                else "mail.subject should not be empty"
            )
        elif not subject.strip():
            errors.append("mail.subject should not be empty")
        preview = mail.get("previewTitle")
        if preview is not None:
            if not isinstance(preview, str):
                errors.append("mail.previewTitle must be a string")
            elif len(preview) > MAX_PREVIEW_TITLE:
                errors.append("mail.previewTitle must be shorter than or equal to 255 characters")
        headers = mail.get("headers")
        if headers is not None and (
            not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())
        ):
            errors.append("mail.headers must be an object of strings")
        for field in ("cc", "bcc"):
            if mail.get(field) is not None and not isinstance(mail.get(field), str):
                errors.append(f"mail.{field} must be a string")
        if template:
            template_id = mail.get("idTemplateMailUser")
            if isinstance(template_id, bool) or not isinstance(template_id, int):
                errors.append("mail.idTemplateMailUser must be an integer number")
            params = mail.get("params")
            if params is not None and (
                not isinstance(params, dict)
                or not all(isinstance(v, (str, int, float)) for v in params.values())
            ):
                errors.append("mail.params must be an object of strings")
        else:
            html, text = mail.get("html"), mail.get("text")
            for field, value in (("html", html), ("text", text)):
                if value is not None and not isinstance(value, str):
                    errors.append(f"mail.{field} must be a string")
            if not (isinstance(html, str) and html) and not (isinstance(text, str) and text):
                errors.append("mail.html or mail.text should not be empty")
        if errors:
            raise ApiError(400, errors)
        return (key or None), mail

    @staticmethod
    def _attachments(value: Any) -> tuple[tuple[str, int], ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise _bad("Attachments parse failed")
        out: list[tuple[str, int]] = []
        total = 0
        for item in value:
            if not isinstance(item, dict) or len(item) != 1:
                raise _bad("Attachments parse failed")
            ((filename, content),) = item.items()
            if not filename or not isinstance(content, str):
                raise _bad("Attachments parse failed")
            try:
                size = len(base64.b64decode(content, validate=True))
            except (binascii.Error, ValueError):
                raise _bad("Attachments parse failed") from None
            extension = filename.rpartition(".")[2].lower() if "." in filename else ""
            if extension in FORBIDDEN_EXTENSIONS:
                raise _bad("Attachments type forbidden")
            total += size
            out.append((filename, size))
        if total > MAX_ATTACHMENTS_BYTES:
            raise _bad("Attachments size more than allowed")
        return tuple(out)

    @staticmethod
    def _fingerprint(mail: dict[str, Any], *, template: bool) -> str:
        parts: dict[str, Any] = {
            "from": str(mail["from"]["email"]).lower(),
            "to": str(mail["to"]["email"]).lower(),
            "subject": mail.get("subject"),
            "attachments": mail.get("attachments"),
        }
        if template:
            parts["template"] = mail.get("idTemplateMailUser")
            parts["params"] = mail.get("params") or {}
        else:
            parts["html"] = mail.get("html")
            parts["text"] = mail.get("text")
        raw = json.dumps(parts, sort_keys=True, ensure_ascii=False)
        return ("template:" if template else "send:") + hashlib.sha256(raw.encode()).hexdigest()

    # -- handlers -------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        return await self._handle(request, template=False)

    async def send_by_template(self, request: web.Request) -> web.Response:
        return await self._handle(request, template=True)

    async def _handle(self, request: web.Request, *, template: bool) -> web.Response:
        self._auth(request)
        body = await read_json(request, _bad)
        idempotency_key, mail = self._syntax(body, template=template)
        attachments = self._attachments(mail.get("attachments"))
        wall = time.time()
        fingerprint = None if idempotency_key else self._fingerprint(mail, template=template)
        previous = self._previous(idempotency_key, fingerprint, wall)
        if previous is not None:
            return json_response(previous, status=200)

        sender, to = str(mail["from"]["email"]), str(mail["to"]["email"])
        if not is_verified(sender):
            raise ApiError(404, "User Domain not found")
        html: str | None
        text: str | None
        if template:
            source = TEMPLATES.get(int(mail["idTemplateMailUser"]))
            if source is None:
                raise ApiError(404, "TemplateMailUser not found by id")
            params = {k: str(v) for k, v in (mail.get("params") or {}).items()}
            html = render(source, params)
            text = html_to_text(html)
        else:
            html = mail.get("html") or None
            text = mail.get("text") or (html_to_text(html) if html else None)
        refusal = REFUSALS.get(recipient_rule(to))
        if refusal is not None:
            raise ApiError(422, refusal)

        mail_uuid = str(uuid.uuid4())
        answer: dict[str, Any] = {"uuid": mail_uuid}
        if idempotency_key is None:
            answer["warning"] = WARNING
        extra_recipients: list[dict[str, str]] = []
        copies: dict[str, list[str]] = {"cc": [], "bcc": []}
        for field in ("cc", "bcc"):
            for address in (mail.get(field) or "").split(","):
                address = address.strip()
                if not address:
                    continue
                if not is_email(address):
                    extra_recipients.append({"email": address, "error": "Email is not valid"})
                    continue
                refused = REFUSALS.get(recipient_rule(address))
                if refused is not None:
                    extra_recipients.append({"email": address, "error": refused})
                    continue
                extra_recipients.append({"email": address, "uuid": str(uuid.uuid4())})
                copies[field].append(address)
        if extra_recipients:
            answer["additionalRecipients"] = extra_recipients

        now = self.ctx.clock.now()
        extra: dict[str, Any] = {}
        if idempotency_key is not None:
            extra["idempotency_key"] = idempotency_key
        if mail.get("headers"):
            extra["headers"] = mail["headers"]
        if mail.get("previewTitle"):
            extra["preview_title"] = mail["previewTitle"]
        if template:
            extra["template_id"] = mail["idTemplateMailUser"]
            extra["params"] = mail.get("params") or {}
        message = StoredMessage(
            provider=self.name,
            id=mail_uuid,
            sender=sender,
            to=(to,),
            cc=tuple(copies["cc"]),
            bcc=tuple(copies["bcc"]),
            subject=str(mail["subject"]),
            html=html,
            text=text,
            attachments=attachments,
            accepted_at=now,
            plan=build_plan(self.ctx.clock, to),
            extra=extra or None,
        )
        self.ctx.store.add(message)
        self._remember(idempotency_key, fingerprint, wall, answer)
        return json_response(answer, status=201)

    def _previous(
        self, key: str | None, fingerprint: str | None, wall: float
    ) -> dict[str, Any] | None:
        table, lookup = (self.keyed, key) if key is not None else (self.keyless, fingerprint)
        assert lookup is not None
        found = table.get(lookup)
        if found is None:
            return None
        if wall - found[0] >= DUPLICATE_WINDOW:
            del table[lookup]
            return None
        return found[1]

    def _remember(
        self, key: str | None, fingerprint: str | None, wall: float, answer: dict[str, Any]
    ) -> None:
        if len(self.keyed) + len(self.keyless) > 50_000:
            self._forget_expired(wall)
        if key is not None:
            self.keyed[key] = (wall, answer)
            self.ctx.put("em_keyed", key, [wall, answer])
        elif fingerprint is not None:
            self.keyless[fingerprint] = (wall, answer)
            self.ctx.put("em_keyless", fingerprint, [wall, answer])

    def _forget_expired(self, wall: float) -> None:
        for kind, table in (("em_keyed", self.keyed), ("em_keyless", self.keyless)):
            for key in [k for k, (at, _) in table.items() if wall - at >= DUPLICATE_WINDOW]:
                del table[key]
                self.ctx.delete(kind, key)
