"""What the four emulated APIs share: the provider base class with its error middleware, body
parsing with the 25 MB limit, addresses, ``{{var}}`` rendering and time formatting.

Every provider is an aiohttp sub-application under its prefix whose middleware turns every
failure (our :class:`ApiError`, aiohttp's 404/405/413, anything unexpected) into that provider's
own error shape, so a bad request never answers 500 with a traceback.
"""

from __future__ import annotations

import asyncio
import binascii
import html as html_lib
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from mailconsole.sandbox.lifecycle import Clock
from mailconsole.sandbox.state import MessageStore, Persistence

if TYPE_CHECKING:
    from mailconsole.sandbox.admin import FaultBook

logger = logging.getLogger("mailconsole.sandbox")

#: Request bodies larger than this get 413 (CONTRACT.md "The sandbox").
MAX_BODY_BYTES = 25 * 1024 * 1024

PROVIDERS: tuple[str, ...] = ("emailmassivo", "smsby", "mailingapi", "emsgnow")

SANDBOX_KEYS: dict[str, str] = {name: f"sandbox-{name}" for name in PROVIDERS}

VERIFIED_DOMAINS: frozenset[str] = frozenset({"example.com", "yourdomain.com", "test.com"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A refusal answered in the provider's own error shape."""

    def __init__(
        self,
        status: int,
        message: Any,
        code: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


class DropConnection(Exception):
    """Raised after a request was accepted: close the connection without an answer."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__("drop after accept")
        self.response = response


class SandboxContext:
    """The state every provider shares: clock, message store, persistence and faults."""

    def __init__(
        self,
        clock: Clock,
        store: MessageStore,
        faults: FaultBook,
        persistence: Persistence | None = None,
        *,
        emsgnow_rate_per_minute: int = 120,
    ) -> None:
        self.clock = clock
        self.store = store
        self.faults = faults
        self.persistence = persistence
        self.emsgnow_rate_per_minute = emsgnow_rate_per_minute
        self.random = random.Random()

    def put(self, kind: str, key: str, value: Any) -> None:
        """Persist one provider record (no-op in memory)."""
        if self.persistence is not None:
            self.persistence.put(kind, key, value)

    def delete(self, kind: str, key: str) -> None:
        if self.persistence is not None:
            self.persistence.delete(kind, key)

    def load(self, kind: str) -> dict[str, Any]:
        return {} if self.persistence is None else self.persistence.load(kind)


#: Default texts for statuses a provider may answer without a more precise reason.
STATUS_TEXTS: dict[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    402: "Payment required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body exceeds 25 MB",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class ProviderApi:
    """One emulated provider: its routes, error shape, hooks and resettable state."""

    name: ClassVar[str] = ""
    #: Paths (relative to the prefix) of the POST endpoints that accept messages.
    accept_paths: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx

    # -- to override --------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def error_body(self, status: int, message: Any, code: str | None) -> Any:
        """The provider's error body."""
        raise NotImplementedError

    def status_text(self, status: int) -> tuple[str, str | None]:
        """Message and code for a bare status (404, 405, 413, 429, faults)."""
        return STATUS_TEXTS.get(status, "Error"), None

    async def before(self, request: web.Request) -> None:
        """Checks that come before faults and handlers (rate limits)."""

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """Add headers every answer carries."""

    def reset(self) -> None:
        """Forget provider state (not messages) and re-seed it."""

    def restore(self) -> None:
        """Read provider state back from persistence."""

    async def close(self) -> None:
        """Stop background work."""

    # -- shared -------------------------------------------------------------------------

    def error_response(
        self,
        status: int,
        message: Any = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        if message is None:
            message, default_code = self.status_text(status)
            code = code or default_code
        return web.json_response(
            self.error_body(status, message, code), status=status, headers=headers
        )

    def accepts(self, request: web.Request) -> bool:
        """Whether this request is one that accepts messages (for ``drop_after_accept``)."""
        if request.method != "POST":
            return False
        prefix = "/" + self.name
        return request.path[len(prefix) :] in self.accept_paths

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        self.add_routes(app)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            await self.before(request)
            response = await self.ctx.faults.run(self, request, handler)
        except ApiError as exc:
            response = self.error_response(exc.status, exc.message, exc.code, exc.headers)
        except web.HTTPException as exc:
            response = self.http_error(exc, request)
        except DropConnection as drop:
            if request.transport is not None:
                request.transport.close()
            return drop.response
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.debug("unexpected error in %s %s", request.method, request.path, exc_info=True)
            response = self.error_response(500)
        self.decorate(request, response)
        return response

    def http_error(self, exc: web.HTTPException, request: web.Request) -> web.Response:
        """aiohttp's own refusals (unknown path 404, wrong method 405, body too large 413)."""
        response = self.error_response(exc.status)
        if exc.status == 405:
            response.headers["Allow"] = exc.headers.get("Allow", "")
        return response


# -- bodies ---------------------------------------------------------------------------------


def is_json_type(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


async def read_json(request: web.Request, error: Callable[[str], ApiError]) -> Any:
    """The JSON body (any JSON value); wrong content type or bad JSON raises ``error(text)``."""
    if not is_json_type(request.content_type):
        raise error("Content-Type must be application/json")
    raw = await request.read()
    if not raw.strip():
        raise error("Request body is empty")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise error("Request body is not valid JSON") from None


async def read_json_object(
    request: web.Request, error: Callable[[str], ApiError]
) -> dict[str, Any]:
    """The JSON body, which must be an object."""
    body = await read_json(request, error)
    if not isinstance(body, dict):
        raise error("Request body must be a JSON object")
    return body


# -- addresses ------------------------------------------------------------------------------

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAILBOX_RE = re.compile(r'^\s*(?:"?(?P<name>[^"<>]*?)"?\s*)?<(?P<address>[^<>\s]+)>\s*$')


def is_email(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 254 and EMAIL_RE.match(value) is not None


def parse_mailbox(value: str) -> tuple[str, str] | None:
    """``"Jane <jane@x.com>"`` or ``jane@x.com`` → ``(name, address)``; ``None`` if malformed."""
    match = MAILBOX_RE.match(value)
    if match is not None:
        name, address = (match.group("name") or "").strip(), match.group("address")
    else:
        name, address = "", value.strip()
    return (name, address) if is_email(address) else None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_verified(address: str) -> bool:
    return domain_of(address) in VERIFIED_DOMAINS


# -- templates ------------------------------------------------------------------------------

PLACEHOLDER_RE = re.compile(
    r"\{\{\s*(?P<path>[A-Za-z_][\w]*(?:\.\w+)*)\s*"
    r"(?:\|\s*default\s*:\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'))?\s*\}\}"
)


def _is_index(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²``, which ``int`` refuses."""
    return text.isascii() and text.isdigit()


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and _is_index(part) and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render(template: str, data: Mapping[str, Any]) -> str:
    """Fill ``{{var}}``, ``{{a.b}}`` and ``{{name|default:"X"}}``; a missing value renders empty."""
    if "{{" not in template:
        return template

    def replace(match: re.Match[str]) -> str:
        value = _lookup(data, match.group("path"))
        if value is None or value == "":
            default = match.group("dq")
            if default is None:
                default = match.group("sq")
            return default or ""
        return _as_text(value)

    return PLACEHOLDER_RE.sub(replace, template)


# -- misc -----------------------------------------------------------------------------------

TAG_RE = re.compile(r"<[^>]*>")
BLOCK_RE = re.compile(r"<\s*(?:br|/p|/div|/h[1-6]|/li|/tr)\b[^>]*>", re.IGNORECASE)
SPACES_RE = re.compile(r"[ \t]+")


def html_to_text(html: str) -> str:
    """A plain-text version of HTML (what providers generate when no text part is given)."""
    text = BLOCK_RE.sub("\n", html)
    text = html_lib.unescape(TAG_RE.sub("", text))
    lines = [SPACES_RE.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def b64_size(data: str, *, strict: bool) -> int | None:
    """Decoded size of base64 text, or ``None`` if it does not decode."""
    import base64

    try:
        return len(base64.b64decode(data, validate=strict))
    except (binascii.Error, ValueError):
        return None


def iso(ts: float, *, millis: bool = False) -> str:
    """Epoch seconds → ``2024-01-15T10:30:00Z`` (or with milliseconds)."""
    moment = datetime.fromtimestamp(ts, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str, *, require_zone: bool = True) -> datetime | None:
    """An ISO 8601 date-time (``Z`` allowed); naive ones are UTC unless ``require_zone``."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        if require_zone:
            return None
        moment = moment.replace(tzinfo=UTC)
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        return None
    # Years 1 and 9999 cannot be shifted or formatted back safely: refuse them as unreadable.
    return moment if 1 < in_utc.year < 9999 else None


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
