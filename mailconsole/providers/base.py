"""The shared base of every provider client: one ``httpx.AsyncClient`` per account, pacing,
and the translation of transport failures into the normalized errors of CONTRACT.md.

A subclass declares its ``provider_id``, ``capabilities`` and ``error_from_response``, and builds
its requests with :meth:`ProviderClient.request`. Operations a provider does not offer raise
:class:`~mailconsole.core.errors.UnsupportedFeature` from the defaults here.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import quote

import httpx

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.errors import (
    AuthError,
    NotFound,
    PaymentRequired,
    ProviderError,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    UnsupportedFeature,
    ValidationError,
)
from mailconsole.core.events import Event, EventType
from mailconsole.core.message import (
    BulkSend,
    Message,
    OutcomeStatus,
    ProviderMessage,
    RecipientOutcome,
    SendResult,
    Template,
)
from mailconsole.providers.pacing import Pacer

log = logging.getLogger(__name__)

_QUERY_SECRET = re.compile(r"(?i)([?&](?:token|api_key|apikey|key)=)[^&\s\"']+")


class RedactQuerySecrets(logging.Filter):
    """Keeps API keys that travel in a query string (SMS.BY's ``token``) out of httpx's log.

    httpx logs every request URL at INFO; the filter rewrites ``token=...`` to ``token=***``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY_SECRET.sub(r"\1***", str(a)) if isinstance(a, httpx.URL | str) else a
                for a in record.args
            )
        record.msg = _QUERY_SECRET.sub(r"\1***", str(record.msg))
        return True


logging.getLogger("httpx").addFilter(RedactQuerySecrets())

#: Explicit timeouts: connecting must be quick; a send may take a while to be answered.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

USER_AGENT = "MailConsole/0.1 (+https://github.com/mailconsole)"


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS context (system CA bundle via certifi) shared by every client.

    Building one reads and parses the whole CA bundle, tens of milliseconds that would otherwise
    be spent on every client created, on whatever thread creates it (the window's, for a first
    send). Call it from a worker thread at start-up to have it ready.
    """
    return httpx.create_ssl_context()


class ProviderClient:
    """An async client of one provider account; use as ``async with``.

    ``api_key`` is never logged nor put in an error message. ``base_url`` defaults to the
    provider's production URL. ``transport`` lets tests or the sandbox pass an httpx transport.
    """

    provider_id: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        url = base_url or self.capabilities.production_url
        if not url:
            raise ValueError(f"{self.capabilities.display_name} needs a base URL")
        self.base_url = url.rstrip("/")
        self._api_key = api_key
        self.pacer = pacer if pacer is not None else self.default_pacer()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            transport=transport,
            verify=shared_tls_context(),
            headers={"User-Agent": USER_AGENT, **self.auth_headers()},
            follow_redirects=False,
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    # -- for subclasses --------------------------------------------------------------------

    def default_pacer(self) -> Pacer:
        """The pacer used when none is given (one per account)."""
        return Pacer()

    def auth_headers(self) -> dict[str, str]:
        """Headers that carry the API key (empty where the key travels in the body)."""
        return {}

    @property
    def api_key(self) -> str:
        return self._api_key

    def error_from_response(self, response: httpx.Response, body: Any) -> ProviderError:
        """Translate a non-success answer into a normalized error."""
        raise NotImplementedError

    def is_success(self, response: httpx.Response) -> bool:
        return 200 <= response.status_code < 300

    async def request(
        self,
        method: str,
        path: str,
        *,
        sends_mail: bool = False,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        params: httpx.QueryParams | Mapping[str, str] | None = None,
    ) -> Any:
        """Send one paced request and return its decoded JSON body.

        ``sends_mail`` marks a request whose failure after the body left must not be retried
        blindly: a timeout or dropped connection then raises ``UnknownOutcome`` rather than
        ``Unavailable``. Non-success answers raise the subclass's normalized error.
        """
        await self.pacer.acquire()
        try:
            response = await self._http.request(
                method, path, json=json_body, data=data, files=files, params=params
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise Unavailable(
                f"Cannot reach {self.capabilities.display_name} at {self.base_url}: "
                f"{type(exc).__name__}",
                provider=self.provider_id,
            ) from exc
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            text = (
                f"No answer from {self.capabilities.display_name} ({type(exc).__name__}); "
                "the request may have been received"
            )
            if sends_mail:
                raise UnknownOutcome(text, provider=self.provider_id) from exc
            raise Unavailable(text, provider=self.provider_id) from exc
        finally:
            self.pacer.release()
        self.pacer.observe(response.headers)
        body = decode_json(response)
        if not self.is_success(response):
            error = self.error_from_response(response, body)
            log.info(
                "%s %s %s -> %s %s",
                self.provider_id,
                method,
                path,
                response.status_code,
                type(error).__name__,
            )
            raise error
        if body is _NOT_JSON:
            raise self.malformed(
                f"answered {response.status_code} with a body that is not JSON",
                sends_mail=sends_mail,
                raw=response.text[:500],
                status=response.status_code,
            )
        return body

    def malformed(
        self, what: str, *, sends_mail: bool, raw: Any = None, status: int | None = None
    ) -> ProviderError:
        """The error for an answer the client cannot read.

        After a send it is ``UnknownOutcome`` (the mail may have been accepted); otherwise
        ``Unavailable`` (a proxy's error page or a truncated body is usually passing).
        """
        text = f"{self.capabilities.display_name} {what}"
        cls = UnknownOutcome if sends_mail else Unavailable
        return cls(text, provider=self.provider_id, status=status, raw=raw, code="malformed")

    @contextmanager
    def reading(self, what: str, *, sends_mail: bool = False, raw: Any = None) -> Iterator[None]:
        """Turn a surprise in a success body (a missing key, a wrong type) into a normalized
        error, so no ``KeyError`` ever reaches the caller."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise self.malformed(
                f"sent an unexpected answer to {what} ({type(exc).__name__}: {exc})",
                sends_mail=sends_mail,
                raw=raw,
            ) from exc

    # -- operations (defaults: not offered) --------------------------------------------------

    def _unsupported(self, what: str) -> UnsupportedFeature:
        return UnsupportedFeature(
            self.capabilities.lacks(what), provider=self.provider_id, code="unsupported"
        )

    async def send(self, message: Message) -> SendResult:
        """Send one message (every recipient); returns a per-recipient result."""
        raise NotImplementedError

    async def send_bulk(self, bulk: BulkSend) -> SendResult:
        """Send a personalised bulk send with the provider's native batch, if it has one."""
        raise self._unsupported("batch sending")

    async def check_connection(self) -> str:
        """An authenticated call that sends nothing; returns what it checked."""
        raise self._unsupported("authenticated call that sends nothing")

    async def get_message(self, provider_message_id: str) -> ProviderMessage:
        raise self._unsupported("message lookup")

    async def events(self, provider_message_id: str) -> list[Event]:
        raise self._unsupported("event history")

    async def list_templates(self) -> list[Template]:
        raise self._unsupported("template list")

    async def list_scheduled(self) -> list[ProviderMessage]:
        raise self._unsupported("scheduled message list")

    async def cancel_scheduled(self, provider_message_id: str) -> ProviderMessage:
        raise self._unsupported("cancelling of scheduled messages")

    async def find_by_client_reference(
        self, client_reference: str, *, recipient: str, since: datetime
    ) -> ProviderMessage | None:
        """Look a message up by the console's own reference, to recover a lost answer."""
        raise self._unsupported("lookup by client reference")


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    code: str | None = None,
    field: str | None = None,
    raw: Any = None,
    retry_after: float | None = None,
) -> ProviderError:
    """The normalized error for an HTTP status, for answers without a more precise code."""
    kwargs: dict[str, Any] = {
        "provider": provider,
        "code": code if code is not None else str(status),
        "status": status,
        "field": field,
        "raw": raw,
    }
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status in (401, 403):
        return AuthError(message, **kwargs)
    if status == 402:
        return PaymentRequired(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status >= 500:
        return Unavailable(message, **kwargs)
    return ValidationError(message, **kwargs)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta form only), if present and sane."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86_400 else None


class _NotJson:
    def __repr__(self) -> str:
        return "<not JSON>"


_NOT_JSON: Any = _NotJson()


def decode_json(response: httpx.Response) -> Any:
    """The decoded JSON body, or the ``_NOT_JSON`` marker (an HTML error page, truncation)."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def is_json(body: Any) -> bool:
    return body is not _NOT_JSON


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string; None for anything unparsable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """``2024-12-25T09:00:00Z`` from an aware datetime."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- small readers shared by the clients ---------------------------------------------------------


def text_or_empty(value: Any) -> str:
    """``value`` if it is a string, else ``""`` (optional text fields of an answer)."""
    return value if isinstance(value, str) else ""


def id_text(value: Any) -> str:
    """An id as a string; TypeError for anything but a non-empty string or an integer."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise TypeError(f"not an id: {value!r}")
    return str(value)


def path_segment(value: str) -> str:
    """An id made safe as one URL path segment (``/`` and ``?`` are escaped)."""
    return quote(value, safe="")


def scrub(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` (an API key) replaced by ``***``."""
    return text.replace(secret, "***") if secret and secret.strip() else text


def scrub_raw(body: Any, secret: str) -> Any:
    """A decoded JSON body with ``secret`` removed from every string in it."""
    if isinstance(body, str):
        return scrub(body, secret)
    if isinstance(body, list):
        return [scrub_raw(item, secret) for item in body]
    if isinstance(body, dict):
        return {scrub(str(k), secret): scrub_raw(v, secret) for k, v in body.items()}
    return body


def failed_outcome(recipient: str, error: ProviderError) -> RecipientOutcome:
    """The outcome of a recipient whose own request failed after others went out.

    ``UnknownOutcome`` stays unknown (the mail may have been accepted); anything else is a
    refusal carrying the provider's code and message.
    """
    unknown = isinstance(error, UnknownOutcome)
    return RecipientOutcome(
        recipient=recipient,
        status=OutcomeStatus.UNKNOWN if unknown else OutcomeStatus.REJECTED,
        event=EventType.UNKNOWN if unknown else EventType.FAILED,
        error=error.message,
        error_code=error.code,
    )
