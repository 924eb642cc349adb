"""Show request: the exact HTTP request Send would make, as a curl command, key redacted.

The real provider client builds the request, and a capturing httpx transport stops it before it
leaves, so the preview can never drift from what Send does. The API key is replaced wherever it
appears (header, query string or form field) by ``$API_KEY``.
"""

from __future__ import annotations

import contextlib
import shlex
from urllib.parse import parse_qsl, quote, quote_plus

import httpx

from mailconsole.core.errors import ProviderError
from mailconsole.core.message import Message
from mailconsole.providers import create

#: Long values (base64 attachments) are cut in the preview, with their full size said.
MAX_BODY_CHARS = 4_000
KEY_PLACEHOLDER = "$API_KEY"


class _Captured(Exception):
    """Raised by :class:`CaptureTransport` to stop a request before it leaves."""


class CaptureTransport(httpx.AsyncBaseTransport):
    """An httpx transport that records the first request and sends nothing."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        raise _Captured


async def capture_send_request(
    provider: str, message: Message, *, api_key: str, base_url: str, **settings: object
) -> httpx.Request | None:
    """The first request ``send(message)`` would make, or None if the client refused first."""
    transport = CaptureTransport()
    async with create(
        provider, api_key=api_key, base_url=base_url, transport=transport, **settings
    ) as client:
        with contextlib.suppress(_Captured, ProviderError):
            await client.send(message)
    return transport.requests[0] if transport.requests else None


def _cut(text: str) -> str:
    """``text``, cut after :data:`MAX_BODY_CHARS` with its full size said."""
    if len(text) <= MAX_BODY_CHARS:
        return text
    return f"{text[:MAX_BODY_CHARS]}… [{len(text):,} characters in all]"


def as_curl(request: httpx.Request, api_key: str) -> str:
    """``request`` as a curl command line, the key replaced by ``$API_KEY``."""

    # The key may travel as is (headers, JSON) or percent-encoded (query string, form body).
    forms = {api_key, quote(api_key, safe=""), quote_plus(api_key)} - {""}

    def redact(text: str) -> str:
        for form in forms:
            text = text.replace(form, KEY_PLACEHOLDER)
        return text

    lines = [f"curl -X {request.method} {shlex.quote(redact(str(request.url)))}"]
    skipped = {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}
    for name, value in request.headers.items():
        if name.lower() in skipped:
            continue
        lines.append(f"  -H {shlex.quote(f'{name}: {redact(value)}')}")
    body = request.content
    content_type = request.headers.get("content-type", "")
    if body and content_type.startswith("application/x-www-form-urlencoded"):
        # One readable, decoded field per line; curl encodes them exactly as the client did.
        for name, value in parse_qsl(
            body.decode("utf-8", errors="replace"), keep_blank_values=True
        ):
            lines.append(f"  --data-urlencode {shlex.quote(redact(f'{name}={_cut(value)}'))}")
    elif body:
        text = _cut(body.decode("utf-8", errors="replace"))
        lines.append(f"  --data-binary {shlex.quote(redact(text))}")
    return " \\\n".join(lines)
