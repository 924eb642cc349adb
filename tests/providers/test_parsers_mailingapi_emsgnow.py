"""Property tests of the MailingAPI and eMsgNow response parsers.

No real server can be made to answer arbitrary garbage, so here (and only here) an
``httpx.MockTransport`` returns generated answers: truncated JSON, wrong types, extra and missing
fields, HTML error pages, arbitrary status codes and rate-limit headers. Whatever comes back,
every public method either returns a valid result or raises a normalized ``ProviderError``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mailconsole.core.errors import (
    AuthError,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
    ValidationError,
)
from mailconsole.core.events import Event, EventType
from mailconsole.core.message import (
    Address,
    Attachment,
    BulkRow,
    BulkSend,
    Message,
    ProviderMessage,
    SendResult,
    TemplateRef,
)
from mailconsole.providers.emsgnow import EMsgNowClient
from mailconsole.providers.mailingapi import Analysis, BatchResult, ListMeta, MailingApiClient
from mailconsole.providers.pacing import HeaderPacer, Pacer

KEY = "secret-key-0123456789"
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- generated answers -------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(st.uuids().map(str), st.integers(0, 10**9), st.text(max_size=12), json_values)
times = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.sampled_from(["2024-01-15T10:30:00Z", "2024-01-15T10:30:00.123Z", "yesterday", ""]),
    json_values,
)
_DROP = object()


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the value; else another JSON value, or nothing (the key is dropped)."""
    return st.one_of(*[strategy] * 6, json_values, st.just(_DROP))


def shaped(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the documented keys (each maybe wrong or missing) plus extra keys."""

    def build(values: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in values.items() if v is not _DROP}
        return {**extra, **kept}

    return st.builds(
        build,
        st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}),
        st.dictionaries(st.text(max_size=8), json_values, max_size=2),
    )


MA_STATUSES = st.one_of(
    st.sampled_from(
        ["pending", "queued", "sent", "delivered", "bounced", "failed", "scheduled", "cancelled"]
    ),
    st.text(max_size=8),
)
ma_message = shaped(
    id=ids,
    message_id=st.text(max_size=10),
    to=st.one_of(st.emails(), st.lists(st.emails(), max_size=2)),
    subject=st.text(max_size=10),
    status=MA_STATUSES,
    metadata=st.dictionaries(st.sampled_from(["mailconsole_id", "x"]), st.text(max_size=6)),
    created_at=times,
    scheduled_at=times,
)
ma_event = shaped(
    id=ids,
    type=st.sampled_from(["queued", "sent", "delivered", "opened", "clicked", "bounced", "zz"]),
    timestamp=times,
    metadata=json_values,
)
ma_batch = shaped(
    total=ids,
    queued=ids,
    errors=ids,
    messages=st.lists(
        shaped(
            index=st.integers(0, 3),
            status=st.sampled_from(["queued", "failed", "scheduled"]),
            id=ids,
            to=st.emails(),
            error=shaped(code=st.text(max_size=6), message=st.text(max_size=6)),
        ),
        max_size=4,
    ),
)
ma_analysis = shaped(
    score=st.one_of(st.integers(0, 100), st.floats(0, 100)),
    grade=st.text(max_size=6),
    can_send=st.booleans(),
    recommendations=st.lists(st.text(max_size=6), max_size=2),
    issues=st.lists(
        shaped(
            type=st.text(), subtype=st.text(), severity=st.text(), detail=st.text(), penalty=ids
        ),
        max_size=2,
    ),
)
ma_meta = shaped(
    count=ids, total=ids, limit=ids, offset=ids, has_more=st.one_of(st.booleans(), json_values)
)
MA_CODES = [
    "unauthorized",
    "domain_not_verified",
    "invalid_from_address",
    "invalid_to_address",
    "missing_subject",
    "missing_body",
    "attachment_too_large",
    "too_many_attachments",
    "invalid_template",
    "invalid_scheduled_at",
    "not_found",
    "rate_limit_exceeded",
    "invalid_request",
]
ma_error = shaped(
    error=st.one_of(
        shaped(code=st.sampled_from(MA_CODES), message=st.text(max_size=20)), json_values
    )
)
MA_DATA: dict[str, st.SearchStrategy[Any]] = {
    "message": shaped(data=ma_message),
    "page": shaped(data=st.lists(ma_message, max_size=3), meta=ma_meta),
    "events": shaped(data=st.lists(ma_event, max_size=3)),
    "batch": shaped(data=ma_batch),
    "analysis": shaped(data=ma_analysis),
}


def ma_bodies(shape: str) -> st.SearchStrategy[Any]:
    """Mostly the operation's own success shape; else an error body, another shape, anything."""
    return st.one_of(*[MA_DATA[shape]] * 3, ma_error, *MA_DATA.values(), json_values)


em_status_object = shaped(
    channel=st.just("email"),
    trackingId=ids,
    clientId=st.text(max_size=8),
    status=st.one_of(
        st.sampled_from(
            ["processing", "scheduled", "sent", "delivered", "opened", "bounced", "expired"]
        ),
        st.text(max_size=6),
    ),
    statusAt=times,
    additionalInfo=json_values,
)
em_event = shaped(id=ids, message=em_status_object, timestamp=times)
EM_DATA: dict[str, st.SearchStrategy[Any]] = {
    "accepted": shaped(message=st.text(max_size=10), trackingId=ids),
    "details": shaped(
        to=st.emails(),
        subject=st.text(max_size=6),
        clientId=st.text(max_size=8),
        trackingId=ids,
        status=st.text(max_size=6),
        notBefore=times,
        created=times,
        events=st.lists(em_event, max_size=3),
    ),
    "events": shaped(messageId=ids, events=st.lists(em_event, max_size=3)),
    "event": em_event.map(lambda e: {"messageId": "m", **e}),
}


def em_bodies(shape: str) -> st.SearchStrategy[Any]:
    """Mostly the operation's own success shape; else an error body, another shape, anything."""
    error = shaped(error=st.text(max_size=30))
    return st.one_of(*[EM_DATA[shape]] * 3, error, *EM_DATA.values(), json_values)


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


RATE_HEADERS = st.fixed_dictionaries(
    {
        "X-RateLimit-Limit": st.sampled_from(["120", "0", "-1", "x"]),
        "X-RateLimit-Remaining": st.sampled_from(["5", "0", "-3", ""]),
        "X-RateLimit-Reset": st.sampled_from(["0", "1e9", "inf", "nan", "-4", "0.01", "z"]),
    }
)


def answers(bodies: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[int, bytes, dict[str, str]]]:
    """(status, raw body, headers): well-formed, truncated, HTML, binary; any status."""
    status = st.one_of(
        st.sampled_from([200, 202]),
        st.sampled_from([200, 202]),
        st.sampled_from([200, 202, 400, 401, 403, 404, 409, 413, 429, 500, 502, 503]),
        st.integers(min_value=200, max_value=599),
    )
    raw = st.one_of(
        bodies.map(encode),
        bodies.map(encode),
        st.tuples(bodies.map(encode), st.integers(0, 40)).map(lambda t: t[0][: t[1]]),
        st.just(b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        st.binary(max_size=40),
        st.just(b""),
    )
    headers: st.SearchStrategy[dict[str, str]] = st.one_of(
        st.just({}),
        st.fixed_dictionaries({"Retry-After": st.sampled_from(["1", "-5", "soon", "1e9", "2.5"])}),
        RATE_HEADERS,
    )
    return st.tuples(status, raw, headers)


def mock(status: int, content: bytes, headers: dict[str, str]) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=content, headers=headers)
    )


# -- operations -------------------------------------------------------------------------------

SENDER = Address("hello@example.com", "Shop")
LATER = datetime.now(UTC) + timedelta(days=1)
MESSAGE = Message(
    sender=SENDER,
    to=[Address("a@example.com", "A"), Address("b@example.com")],
    cc=[Address("c@example.com")],
    subject="Hi",
    html="<p>Hi</p>",
    text="Hi",
    attachments=[Attachment("a.txt", b"hello", "text/plain")],
)
SINGLE = Message(sender=Address("hello@example.com"), to=[Address("a@example.com")], text="t")
BULK = BulkSend(
    template=Message(sender=SENDER, to=[], subject="{{n}}", html="<b>{{n}}</b>"),
    rows=[BulkRow(Address("a@example.com"), {"n": "1"}), BulkRow(Address("b@example.com"), {})],
)

MaOperation = Callable[[MailingApiClient], Awaitable[Any]]
EmOperation = Callable[[EMsgNowClient], Awaitable[Any]]


async def collect(client: MailingApiClient) -> list[ProviderMessage]:
    return [m async for m in client.iter_messages(to="a@example.com")]


MA_OPERATIONS: dict[str, tuple[MaOperation, type | tuple[type, ...], str]] = {
    "send": (lambda c: c.send(MESSAGE), SendResult, "message"),
    "send_bulk": (lambda c: c.send_bulk(BULK), SendResult, "batch"),
    "send_batch_messages": (
        lambda c: c.send_batch_messages([MESSAGE, SINGLE]),
        BatchResult,
        "batch",
    ),
    "send_batch_recipient_variables": (
        lambda c: c.send_batch_recipient_variables(SINGLE, {"a@example.com": {"n": "1"}}),
        BatchResult,
        "batch",
    ),
    "get_message": (lambda c: c.get_message("m-1"), ProviderMessage, "message"),
    "list_messages": (lambda c: c.list_messages(limit=5), tuple, "page"),
    "iter_messages": (collect, list, "page"),
    "analyze": (lambda c: c.analyze(MESSAGE), Analysis, "analysis"),
    "list_scheduled": (lambda c: c.list_scheduled(), list, "page"),
    "cancel_scheduled": (lambda c: c.cancel_scheduled("m-1"), ProviderMessage, "message"),
    "events": (lambda c: c.events("m-1"), list, "events"),
    "find_by_client_reference": (
        lambda c: c.find_by_client_reference("ref", recipient="a@example.com", since=LATER),
        (ProviderMessage, type(None)),
        "page",
    ),
    "check_connection": (lambda c: c.check_connection(), str, "page"),
}

EM_OPERATIONS: dict[str, tuple[EmOperation, type | tuple[type, ...], str]] = {
    "send": (lambda c: c.send(SINGLE), SendResult, "accepted"),
    "send_several": (
        lambda c: c.send(
            Message(
                sender=Address("hello@example.com"),
                to=[Address("a@example.com"), Address("b@example.com")],
                subject="s",
                template=TemplateRef("t", {"name": "A"}),
                send_at=LATER,
                expire_at=LATER + timedelta(hours=1),
            )
        ),
        SendResult,
        "accepted",
    ),
    "send_email": (lambda c: c.send_email({"to": "a@example.com"}), str, "accepted"),
    "get_email": (lambda c: c.get_email("t-1"), ProviderMessage, "details"),
    "get_email_events": (lambda c: c.get_email_events("t-1"), list, "events"),
    "get_email_event": (lambda c: c.get_email_event("t-1", "e-1"), Event, "event"),
    "get_message": (lambda c: c.get_message("t-1"), ProviderMessage, "details"),
    "events": (lambda c: c.events("t-1"), list, "details"),
    "find_by_client_reference": (
        lambda c: c.find_by_client_reference("ref", recipient="b@example.com", since=LATER),
        (ProviderMessage, type(None)),
        "details",
    ),
    "check_connection": (lambda c: c.check_connection(), str, "details"),
}


def run_ma(operation: MaOperation, transport: httpx.AsyncBaseTransport) -> Any:
    async def scenario() -> Any:
        async with MailingApiClient(
            api_key=KEY, base_url="http://ma.test", transport=transport
        ) as client:
            return await operation(client)

    return asyncio.run(scenario())


def run_em(
    operation: EmOperation, transport: httpx.AsyncBaseTransport, pacer: Pacer | None = None
) -> Any:
    async def scenario() -> Any:
        async with EMsgNowClient(
            api_key=KEY, base_url="http://em.test", transport=transport, pacer=pacer
        ) as client:
            return await asyncio.wait_for(operation(client), timeout=30)

    return asyncio.run(scenario())


def check_outcome(run: Callable[[], Any], expected: type | tuple[type, ...]) -> None:
    """A valid result of the expected type, or a normalized error without the key."""
    try:
        result = run()
    except ProviderError as error:
        event(type(error).__name__)
        assert KEY not in str(error)
        assert KEY not in error.message
        return
    event("result")
    assert isinstance(result, expected)
    if isinstance(result, tuple):
        page, meta = result
        assert all(isinstance(m, ProviderMessage) for m in page)
        assert isinstance(meta, ListMeta)
    elif isinstance(result, list):
        assert all(isinstance(item, ProviderMessage | Event) for item in result)
    if isinstance(result, ProviderMessage):
        assert isinstance(result.status, EventType)
        assert isinstance(result.provider_message_id, str) and result.provider_message_id
    if isinstance(result, SendResult):
        assert all(o.recipient for o in result.outcomes)


@PROPERTY
@given(name=st.sampled_from(sorted(MA_OPERATIONS)), data=st.data())
def test_mailingapi_any_answer_is_a_result_or_a_normalized_error(
    name: str, data: st.DataObject
) -> None:
    operation, expected, shape = MA_OPERATIONS[name]
    answer = data.draw(answers(ma_bodies(shape)))
    check_outcome(lambda: run_ma(operation, mock(*answer)), expected)


@PROPERTY
@given(name=st.sampled_from(sorted(EM_OPERATIONS)), data=st.data())
def test_emsgnow_any_answer_is_a_result_or_a_normalized_error(
    name: str, data: st.DataObject
) -> None:
    operation, expected, shape = EM_OPERATIONS[name]
    answer = data.draw(answers(em_bodies(shape)))
    check_outcome(lambda: run_em(operation, mock(*answer), pacer=Pacer()), expected)


# -- precise mappings (fixed answers, so each can fail on its own) -----------------------------


@pytest.mark.parametrize(
    ("status", "code", "kind", "field"),
    [
        (401, "unauthorized", AuthError, None),
        (403, "domain_not_verified", ValidationError, "from"),
        (400, "invalid_from_address", ValidationError, "from"),
        (400, "invalid_to_address", ValidationError, "to"),
        (400, "missing_subject", ValidationError, "subject"),
        (400, "missing_body", ValidationError, "html"),
        (413, "attachment_too_large", ValidationError, "attachments"),
        (400, "too_many_attachments", ValidationError, "attachments"),
        (400, "invalid_template", ValidationError, "template"),
        (400, "invalid_scheduled_at", ValidationError, "send_at"),
        (404, "not_found", NotFound, None),
        (429, "rate_limit_exceeded", RateLimited, None),
        (400, "invalid_request", ValidationError, None),
        (503, "service_unavailable", Unavailable, None),
        (418, "brand_new_code", ValidationError, None),
    ],
)
def test_mailingapi_documented_codes_map_precisely(
    status: int, code: str, kind: type, field: str | None
) -> None:
    content = encode({"error": {"code": code, "message": f"text for {code}"}})
    with pytest.raises(ProviderError) as caught:
        run_ma(MA_OPERATIONS["send"][0], mock(status, content, {"Retry-After": "7"}))
    error = caught.value
    assert type(error) is kind
    assert (error.code, error.field, error.status) == (code, field, status)
    assert error.message == f"text for {code}"
    if isinstance(error, RateLimited):
        assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("'cc' contains an invalid address", "cc"),
        ("'template_data' must be an object", "template"),
        ("'tags' must be an array of strings", "tags"),
        ("Malformed JSON", None),
    ],
)
def test_mailingapi_invalid_request_guesses_the_field(text: str, field: str | None) -> None:
    content = encode({"error": {"code": "invalid_request", "message": text}})
    with pytest.raises(ValidationError) as caught:
        run_ma(MA_OPERATIONS["send"][0], mock(400, content, {}))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("status", "text", "kind", "field"),
    [
        (401, "API key is required", AuthError, None),
        (403, "Invalid API key", AuthError, None),
        (404, "Email not found", NotFound, None),
        (400, "to must be a valid email address", ValidationError, "to"),
        (400, "from must be a valid email address", ValidationError, "from"),
        (400, "Sender domain x.org is not verified", ValidationError, "from"),
        (400, "subject is required", ValidationError, "subject"),
        (400, "message must be at most 25000 characters", ValidationError, "text"),
        (400, "Template not found", ValidationError, "template"),
        (400, "clientId must be at most 100 characters", ValidationError, "client_reference"),
        (400, "notAfter must not be before notBefore", ValidationError, "expire_at"),
        (400, "notBefore must be a UTC ISO 8601 date-time", ValidationError, "send_at"),
        (400, "callbackUrl must be an http or https URL", ValidationError, "callback_url"),
        (400, "Unable to parse the body", ValidationError, None),
        (500, "Failed to retrieve email status", Unavailable, None),
    ],
)
def test_emsgnow_documented_texts_map_precisely(
    status: int, text: str, kind: type, field: str | None
) -> None:
    content = encode({"error": text})
    with pytest.raises(ProviderError) as caught:
        run_em(EM_OPERATIONS["send"][0], mock(status, content, {}))
    error = caught.value
    assert type(error) is kind
    assert (error.field, error.status, error.message) == (field, status, text)


def test_emsgnow_429_waits_for_the_rate_limit_reset() -> None:
    headers = {"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"}
    content = encode({"error": "Rate limit exceeded"})
    with pytest.raises(RateLimited) as caught:
        run_em(EM_OPERATIONS["send"][0], mock(429, content, headers), pacer=Pacer())
    assert caught.value.retry_after == 42.0


@PROPERTY
@given(
    headers=st.dictionaries(
        st.sampled_from(["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]),
        st.one_of(st.sampled_from(["1e9", "inf", "-inf", "nan", "0", "-1", "60"]), st.text()),
    )
)
def test_header_pacer_reads_any_headers_and_never_waits_past_a_minute(
    headers: dict[str, str],
) -> None:
    pacer = HeaderPacer()
    pacer.observe(headers)
    if pacer._reset_at is not None:
        assert pacer._reset_at - time.monotonic() <= 60.0
    assert pacer.limit >= 1


@pytest.mark.parametrize("provider", ["mailingapi", "emsgnow"])
def test_key_echoed_by_a_provider_never_reaches_the_error_text(provider: str) -> None:
    if provider == "mailingapi":
        content = encode({"error": {"code": "unauthorized", "message": f"bad key {KEY}"}})
        with pytest.raises(AuthError) as caught:
            run_ma(MA_OPERATIONS["get_message"][0], mock(401, content, {}))
    else:
        content = encode({"error": f"Invalid API key {KEY}"})
        with pytest.raises(AuthError) as caught:
            run_em(EM_OPERATIONS["get_email"][0], mock(403, content, {}))
    assert KEY not in str(caught.value)
    assert KEY not in caught.value.message
    assert KEY not in repr(caught.value.raw)


# -- well-formed answers with extra fields always parse ----------------------------------------

good_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
extras = st.dictionaries(st.text(min_size=1, max_size=8).map(lambda k: f"x_{k}"), json_values)


def with_extras(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The documented object, every documented field well-formed, plus unknown fields."""
    return st.builds(lambda d, e: {**e, **d}, st.fixed_dictionaries(fields), extras)


good_ma_message = with_extras(
    id=st.uuids().map(str),
    to=st.one_of(st.emails(), st.lists(st.emails(), min_size=1, max_size=3)),
    status=MA_STATUSES,
    created_at=good_times,
    metadata=st.dictionaries(st.sampled_from(["mailconsole_id", "user_id"]), st.text()),
)
good_ma_event = with_extras(
    id=st.text(min_size=1, max_size=10),
    type=st.text(max_size=10),
    timestamp=good_times,
    metadata=st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
)
GOOD_MA: dict[str, st.SearchStrategy[Any]] = {
    "get_message": with_extras(data=good_ma_message),
    "list_scheduled": with_extras(data=st.lists(good_ma_message, max_size=4)),
    "events": with_extras(data=st.lists(good_ma_event, max_size=5)),
}


@PROPERTY
@given(name=st.sampled_from(sorted(GOOD_MA)), data=st.data())
def test_mailingapi_well_formed_answers_with_extra_fields_parse(
    name: str, data: st.DataObject
) -> None:
    body = data.draw(GOOD_MA[name])
    operation, expected, _ = MA_OPERATIONS[name]
    result: Any = run_ma(operation, mock(200, encode(body), {}))
    assert isinstance(result, expected)
    if name == "events":
        events: Any = result
        stamps = [e.timestamp for e in events]
        assert stamps == sorted(stamps)
        assert len(events) == len(body["data"])


good_em_event = with_extras(
    id=st.text(min_size=1, max_size=20),
    message=with_extras(
        channel=st.just("email"),
        trackingId=st.text(min_size=1, max_size=20),
        status=st.text(max_size=12),
        statusAt=good_times,
        additionalInfo=st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
    ),
    timestamp=good_times,
)
GOOD_EM: dict[str, st.SearchStrategy[Any]] = {
    "get_email": with_extras(
        to=st.emails(),
        trackingId=st.text(min_size=1, max_size=20),
        clientId=st.text(max_size=100),
        created=good_times,
        events=st.lists(good_em_event, max_size=5),
    ),
    "get_email_events": with_extras(
        messageId=st.text(min_size=1), events=st.lists(good_em_event, max_size=5)
    ),
}


@PROPERTY
@given(name=st.sampled_from(sorted(GOOD_EM)), data=st.data())
def test_emsgnow_well_formed_answers_with_extra_fields_parse(
    name: str, data: st.DataObject
) -> None:
    body = data.draw(GOOD_EM[name])
    operation, expected, _ = EM_OPERATIONS[name]
    result: Any = run_em(operation, mock(200, encode(body), {}), pacer=Pacer())
    assert isinstance(result, expected)
    events: Any = result.events if isinstance(result, ProviderMessage) else result
    assert len(events) == len(body["events"])
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)


# -- every status word maps to the vocabulary; unknown ones keep their raw value ----------------


@pytest.mark.parametrize(
    ("word", "normalized"),
    [
        ("pending", EventType.QUEUED),
        ("queued", EventType.QUEUED),
        ("sent", EventType.SENT),
        ("delivered", EventType.DELIVERED),
        ("bounced", EventType.BOUNCED),
        ("failed", EventType.FAILED),
        ("scheduled", EventType.SCHEDULED),
        ("cancelled", EventType.CANCELLED),
        ("opened", EventType.OPENED),
        ("clicked", EventType.CLICKED),
        ("complained", EventType.COMPLAINED),
        ("unsubscribed", EventType.UNSUBSCRIBED),
        ("teleported", EventType.UNKNOWN),
    ],
)
def test_mailingapi_statuses_and_event_types_map(word: str, normalized: EventType) -> None:
    message = {"data": {"id": "m-1", "status": word}}
    found = run_ma(MA_OPERATIONS["get_message"][0], mock(200, encode(message), {}))
    assert (found.status, found.raw_status) == (normalized, word)
    events = {"data": [{"id": "e", "type": word, "timestamp": "2024-01-15T10:30:00Z"}]}
    [event] = run_ma(MA_OPERATIONS["events"][0], mock(200, encode(events), {}))
    assert (event.type, event.raw_type) == (normalized, word)


@pytest.mark.parametrize(
    ("word", "normalized"),
    [
        ("processing", EventType.QUEUED),
        ("scheduled", EventType.SCHEDULED),
        ("sent", EventType.SENT),
        ("delivered", EventType.DELIVERED),
        ("opened", EventType.OPENED),
        ("bounced", EventType.BOUNCED),
        ("failed", EventType.FAILED),
        ("expired", EventType.EXPIRED),
        ("teleported", EventType.UNKNOWN),
    ],
)
def test_emsgnow_statuses_map(word: str, normalized: EventType) -> None:
    event = {
        "id": "5mogLKKETFjg7c3eNNvH",
        "message": {"trackingId": "t", "status": word, "statusAt": "2024-11-10T02:48:08.019Z"},
        "timestamp": "2024-11-10T18:18:31.050Z",
    }
    details = {"to": "r@example.com", "trackingId": "t", "clientId": "c", "events": [event]}
    found = run_em(EM_OPERATIONS["get_email"][0], mock(200, encode(details), {}), pacer=Pacer())
    assert (found.status, found.raw_status) == (normalized, word)
    [single] = found.events
    assert (single.type, single.raw_type, single.recipient) == (normalized, word, "r@example.com")
    assert single.timestamp == datetime(2024, 11, 10, 2, 48, 8, 19000, tzinfo=UTC)
