"""eMsgNow emulated under ``/emsgnow``: ``POST /email`` and ``GET /email/:id[/events[/:eventId]]``.

Decisions where CONTRACT.md and the documentation are silent:

- ``trackingId`` is 20 lowercase hex characters; event ids are 20 base62 characters (like the
  documented ``5mogLKKETFjg7c3eNNvH``), stable for a message and event.
- Statuses in order: ``processing`` (at once), ``scheduled`` (at once, when ``notBefore`` is in the
  future), ``sent``, ``delivered``, ``opened``, or ``bounced``; ``expired`` when ``sent`` would
  come after ``notAfter`` (at once if ``notAfter`` has already passed). eMsgNow has no word for
  clicks, complaints, unsubscribes or deferrals: those steps are not reported (``complain*`` and
  ``unsubscribed*`` stop at ``delivered``, ``reader*`` at ``opened``).
- The rate limit (120 per minute per key, fixed window from the key's first request) counts
  ``POST /email`` only — the documented limit is on the Send Email endpoint; every answer,
  errors included, carries the ``X-RateLimit-*`` headers of the key's current window.
- Sender domains must be verified (400 otherwise), as at the other providers. ``variables`` fill
  ``{{name}}`` placeholders of a template (and of a plain ``message``). ``notBefore``/``notAfter``
  must carry a zone (``Z``); other zones are converted to UTC.
- An unknown ``templateId`` is 400 ``Template not found``; an unknown path 404 ``Not found``; a
  wrong method 405; a body over 25 MB 413; bad JSON or a wrong content type 400.
- ``GET /email/:id`` accepts a ``trackingId`` or, failing that, a ``clientId`` (the newest
  message sent with it): CONTRACT.md recovers a lost answer "by clientId", and this is the only
  lookup eMsgNow documents.
- ``callbackUrl`` must be an http(s) URL (400 otherwise); the sandbox posts each event, as the
  JSON event object of ``/events``, only to loopback hosts (``localhost``, 127.0.0.0/8, ``::1``)
  and ignores every failure; other hosts are accepted and never called.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import secrets
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from mailconsole.sandbox.common import (
    SANDBOX_KEYS,
    ApiError,
    ProviderApi,
    SandboxContext,
    is_email,
    is_verified,
    iso,
    json_response,
    parse_iso,
    read_json_object,
    render,
)
from mailconsole.sandbox.lifecycle import build_plan
from mailconsole.sandbox.limits import FixedWindowLimiter, WindowState
from mailconsole.sandbox.state import StoredMessage

KEY = SANDBOX_KEYS["emsgnow"]
MAX_MESSAGE_CHARS = 25_000
MAX_CLIENT_ID_CHARS = 100

TEMPLATES: dict[str, dict[str, str]] = {
    "gPVTbWpwQHXgg8KSZ6sX": {
        "subject": "Your appointment",
        "message": "Hello {{name}}, see you at {{time}}.",
    }
}

#: Normalized code → eMsgNow status (``None``: not reported).
STATUS_OF: dict[str, str | None] = {
    "queued": "processing",
    "scheduled": "scheduled",
    "sent": "sent",
    "delivered": "delivered",
    "opened": "opened",
    "bounced": "bounced",
    "expired": "expired",
    "clicked": None,
    "complained": None,
    "unsubscribed": None,
    "deferred": None,
}

STATUS_TEXTS: dict[int, str] = {
    400: "Bad request",
    401: "API key is required",
    403: "Invalid API key",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body exceeds 25 MB",
    429: "Rate limit exceeded",
    500: "Internal server error",
    503: "Service unavailable",
}

#: Where ``before`` leaves the key's rate-limit window for ``decorate``.
RATE_STATE = web.RequestKey("emsgnow_rate_state", WindowState)

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def event_id(tracking_id: str, index: int) -> str:
    number = int.from_bytes(hashlib.blake2b(f"{tracking_id}:{index}".encode()).digest()[:16])
    chars = []
    for _ in range(20):
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return "".join(chars)


def is_loopback_url(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bad(text: str) -> ApiError:
    return ApiError(400, text)


class CallbackPoster:
    """Posts each event of a message to its loopback ``callbackUrl`` when it happens."""

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, api: EMsgNow, message: StoredMessage, *, skip_past: bool = False) -> None:
        url = message.get("callback_url")
        if not url or not is_loopback_url(url):
            return
        task = asyncio.get_running_loop().create_task(self._deliver(api, message, url, skip_past))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, api: EMsgNow, message: StoredMessage, url: str, skip: bool) -> None:
        now = self.ctx.clock.now()
        for index, (offset, code) in enumerate(message.plan):
            if STATUS_OF.get(code) is None:
                continue
            at = message.accepted_at + offset
            if skip and at <= now:
                continue
            delay = at - self.ctx.clock.now()
            if delay > 0:
                await asyncio.sleep(delay)
            payload = api.event_object(message, index, code, at)
            with contextlib.suppress(Exception):
                async with self._client().post(url, json=payload) as response:
                    await response.read()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self._session

    def cancel_pending(self) -> None:
        """Stop every pending delivery (a reset); the tasks end on their own."""
        for task in self._tasks:
            task.cancel()

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def close(self) -> None:
        await self.cancel_all()
        if self._session is not None:
            await self._session.close()
            self._session = None


class EMsgNow(ProviderApi):
    """The eMsgNow email API."""

    name = "emsgnow"
    accept_paths = frozenset({"/email"})

    def __init__(self, ctx: SandboxContext) -> None:
        super().__init__(ctx)
        self.limiter = FixedWindowLimiter(ctx.emsgnow_rate_per_minute, 60.0)
        self.callbacks = CallbackPoster(ctx)

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/email", self.send)
        r.add_get("/email/{tracking_id}", self.get_email)
        r.add_get("/email/{tracking_id}/events", self.get_events)
        r.add_get("/email/{tracking_id}/events/{event_id}", self.get_event)

    def error_body(self, status: int, message: Any, code: str | None) -> Any:
        return {"error": str(message)}

    def status_text(self, status: int) -> tuple[str, str | None]:
        return STATUS_TEXTS.get(status, "Error"), None

    async def before(self, request: web.Request) -> None:
        key = request.headers.get("x-api-key", "").strip()
        if request.method == "POST" and request.path == "/emsgnow/email":
            state = self.limiter.hit(key)
        else:
            state = self.limiter.peek(key)
        request[RATE_STATE] = state
        if not state.allowed:
            raise ApiError(429, "Rate limit exceeded")

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        state = request.get(RATE_STATE)
        if state is None:
            state = self.limiter.peek(request.headers.get("x-api-key", "").strip())
        response.headers.update(state.headers())

    def reset(self) -> None:
        self.limiter.reset()
        self.callbacks.cancel_pending()

    def restore(self) -> None:
        for message in self.ctx.store.of(self.name).values():
            if message.get("callback_url"):
                self.callbacks.schedule(self, message, skip_past=True)

    async def close(self) -> None:
        await self.callbacks.close()

    # -- helpers --------------------------------------------------------------------------

    def _auth(self, request: web.Request) -> None:
        key = request.headers.get("x-api-key", "").strip()
        if not key:
            raise ApiError(401, "API key is required")
        if key != KEY:
            raise ApiError(403, "Invalid API key")

    def _message(self, request: web.Request) -> StoredMessage:
        wanted = request.match_info["tracking_id"]
        message = self.ctx.store.get(self.name, wanted)
        if message is None:
            message = self._by_client_id(wanted)
        if message is None:
            raise ApiError(404, "Email not found")
        return message

    def _by_client_id(self, client_id: str) -> StoredMessage | None:
        """The newest message sent with ``clientId`` (CONTRACT.md: a lost answer is recovered
        "by clientId", and ``GET /email/:messageId`` is eMsgNow's only lookup)."""
        if not client_id:
            return None
        for message in reversed(self.ctx.store.of(self.name).values()):
            if message.get("client_id") == client_id:
                return message
        return None

    def event_object(
        self, message: StoredMessage, index: int, code: str, at: float
    ) -> dict[str, Any]:
        info: dict[str, Any] = {}
        if code == "bounced":
            info = {"reason": "550 5.1.1 The email account that you tried to reach does not exist"}
        elif code == "expired":
            info = {"reason": "Not sent before notAfter"}
        stamp = iso(at, millis=True)
        return {
            "id": event_id(message.id, index),
            "message": {
                "channel": "email",
                "trackingId": message.id,
                "clientId": message.get("client_id", ""),
                "status": STATUS_OF[code],
                "statusAt": stamp,
                "additionalInfo": info,
            },
            "timestamp": stamp,
        }

    def events_of(self, message: StoredMessage, now: float) -> list[dict[str, Any]]:
        return [
            self.event_object(message, event.index, event.code, event.at)
            for event in message.events(now)
            if STATUS_OF.get(event.code) is not None
        ]

    # -- handlers -------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        self._auth(request)
        body = await read_json_object(request, _bad)
        now = self.ctx.clock.now()
        message = self._prepare(body, now)
        self.ctx.store.add(message)
        self.callbacks.schedule(self, message)
        return json_response({"message": "Email received successfully", "trackingId": message.id})

    def _prepare(self, body: dict[str, Any], now: float) -> StoredMessage:
        def string(field: str, *, required: bool = False) -> str | None:
            value = body.get(field)
            if value is None or (required and value == ""):
                if required:
                    raise _bad(f"{field} is required")
                return None
            if not isinstance(value, str):
                raise _bad(f"{field} must be a string")
            return value

        message_type = string("messageType")
        if message_type is not None and message_type != "email":
            raise _bad('messageType must be "email"')
        to = string("to", required=True)
        if not is_email(to):
            raise _bad("to must be a valid email address")
        sender = string("from", required=True)
        if not is_email(sender):
            raise _bad("from must be a valid email address")
        assert to is not None and sender is not None
        if not is_verified(sender):
            raise _bad(f"Sender domain {sender.rpartition('@')[2]} is not verified")
        text = string("message")
        template_id = string("templateId")
        if text is not None and template_id is not None:
            raise _bad("Provide either message or templateId, not both")
        if not text and not template_id:
            raise _bad("message or templateId is required")
        subject = string("subject")
        if template_id is None and not subject:
            raise _bad("subject is required")
        if text is not None and len(text) > MAX_MESSAGE_CHARS:
            raise _bad(f"message must be at most {MAX_MESSAGE_CHARS} characters")
        variables = body.get("variables")
        if variables is not None and (
            not isinstance(variables, dict)
            or not all(isinstance(v, (str, int, float, bool)) for v in variables.values())
        ):
            raise _bad("variables must be an object of strings")
        client_id = string("clientId") or ""
        if len(client_id) > MAX_CLIENT_ID_CHARS:
            raise _bad(f"clientId must be at most {MAX_CLIENT_ID_CHARS} characters")
        not_before = self._moment(string("notBefore"), "notBefore")
        not_after = self._moment(string("notAfter"), "notAfter")
        if not_before is not None and not_after is not None and not_after < not_before:
            raise _bad("notAfter must not be before notBefore")
        callback_url = string("callbackUrl")
        if callback_url is not None:
            try:
                parts = urlsplit(callback_url)
                valid = parts.scheme in ("http", "https") and bool(parts.hostname)
                parts.port  # noqa: B018 - raises ValueError on a malformed port
            except ValueError:
                valid = False
            if not valid:
                raise _bad("callbackUrl must be an http or https URL")
        if template_id is not None:
            template = TEMPLATES.get(template_id)
            if template is None:
                raise _bad("Template not found")
            subject = subject or template["subject"]
            text = template["message"]
        assert text is not None and subject is not None
        data = variables or {}
        rendered = render(text, data) if data else text
        delay = 0.0 if not_before is None else not_before - now
        expires = None if not_after is None else not_after - now
        tracking_id = secrets.token_hex(10)
        extra: dict[str, Any] = {"client_id": client_id, "message_type": "email"}
        if template_id is not None:
            extra["template_id"] = template_id
        if variables is not None:
            extra["variables"] = variables
        if not_before is not None:
            extra["not_before"] = iso(not_before, millis=True)
        if not_after is not None:
            extra["not_after"] = iso(not_after, millis=True)
        if callback_url is not None:
            extra["callback_url"] = callback_url
        return StoredMessage(
            provider=self.name,
            id=tracking_id,
            sender=sender,
            to=(to,),
            subject=render(subject, data) if data else subject,
            html=None,
            text=rendered,
            accepted_at=now,
            plan=build_plan(
                self.ctx.clock, to, delay=delay, expires_after=expires, queued_first=True
            ),
            extra=extra,
        )

    @staticmethod
    def _moment(value: str | None, field: str) -> float | None:
        if value is None:
            return None
        moment = parse_iso(value, require_zone=True)
        if moment is None:
            raise _bad(f"{field} must be a UTC ISO 8601 date-time (e.g. 2024-11-10T02:48:08Z)")
        return moment.timestamp()

    async def get_email(self, request: web.Request) -> web.Response:
        self._auth(request)
        message = self._message(request)
        now = self.ctx.clock.now()
        events = self.events_of(message, now)
        data: dict[str, Any] = {
            "to": message.to[0],
            "from": message.sender,
            "subject": message.subject,
            "message": message.text,
            "clientId": message.get("client_id", ""),
            "messageType": "email",
            "trackingId": message.id,
            "notBefore": message.get("not_before"),
            "notAfter": message.get("not_after"),
            "created": iso(message.accepted_at, millis=True),
            "updated": events[-1]["timestamp"] if events else iso(message.accepted_at, millis=True),
            "status": events[-1]["message"]["status"] if events else "processing",
            "events": events,
        }
        if message.get("template_id") is not None:
            data["templateId"] = message.get("template_id")
            data["variables"] = message.get("variables", {})
        return json_response(data)

    async def get_events(self, request: web.Request) -> web.Response:
        self._auth(request)
        message = self._message(request)
        events = self.events_of(message, self.ctx.clock.now())
        return json_response({"messageId": message.id, "events": events})

    async def get_event(self, request: web.Request) -> web.Response:
        self._auth(request)
        message = self._message(request)
        wanted = request.match_info["event_id"]
        for event in self.events_of(message, self.ctx.clock.now()):
            if event["id"] == wanted:
                return json_response({"messageId": message.id, **event})
        raise ApiError(404, "Email not found")
