"""Contract tests of the eMsgNow client against the real sandbox over loopback HTTP.

Every endpoint goes through the real client; the wire form is read from the requests that
really went out (``wire``); every normalized error is provoked for real, faults included.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mailconsole.core.errors import (
    AuthError,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    ValidationError,
)
from mailconsole.core.events import EventType
from mailconsole.core.message import Address, Message, OutcomeStatus, TemplateRef
from mailconsole.providers.emsgnow import EMsgNowClient, client_id_for
from mailconsole.providers.pacing import HeaderPacer, Pacer
from mailconsole.sandbox import Sandbox

SENDER = Address("sender@example.com")
TEMPLATE_ID = "gPVTbWpwQHXgg8KSZ6sX"


def message(**overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "sender": SENDER,
        "to": [Address("recipient@example.com")],
        "subject": "Test Email",
        "text": "Hello, this is a test email message.",
    }
    fields.update(overrides)
    return Message(**fields)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


@pytest.fixture
async def client(sandbox: Sandbox, wire: httpx.AsyncBaseTransport) -> AsyncIterator[EMsgNowClient]:
    async with EMsgNowClient(
        api_key="sandbox-emsgnow", base_url=sandbox.base_url("emsgnow"), transport=wire
    ) as em:
        yield em


@pytest.fixture
async def admin(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the sandbox's own endpoints."""
    async with httpx.AsyncClient(base_url=f"{sandbox.url}/_sandbox") as http:
        yield http


async def sent_messages(admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await admin.get("/messages")
    response.raise_for_status()
    return [m for m in response.json() if m["provider"] == "emsgnow"]


async def set_faults(admin: httpx.AsyncClient, **faults: Any) -> None:
    response = await admin.post("/faults", json={"provider": "emsgnow", **faults})
    response.raise_for_status()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Poll ``check`` until it holds (lifecycles run 100 times faster in the sandbox)."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


# -- wire form ----------------------------------------------------------------------------------


async def test_send_wire_form(client: EMsgNowClient, wire: Any) -> None:
    send_at = datetime(2100, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    msg = message(
        send_at=send_at,
        expire_at=send_at + timedelta(hours=6),
        callback_url="http://127.0.0.1:9/callback",
        client_reference="order-42",
    )
    result = await client.send(msg)

    request = wire.last
    assert request.method == "POST"
    assert request.url.path == "/emsgnow/email"
    assert request.headers["x-api-key"] == "sandbox-emsgnow"
    assert request.headers["Content-Type"] == "application/json"
    assert "Authorization" not in request.headers
    assert body_of(request) == {
        "to": "recipient@example.com",
        "from": "sender@example.com",
        "subject": "Test Email",
        "message": "Hello, this is a test email message.",
        "notBefore": "2100-01-02T03:04:05Z",
        "notAfter": "2100-01-02T09:04:05Z",
        "callbackUrl": "http://127.0.0.1:9/callback",
        "clientId": "order-42",
    }
    [outcome] = result.outcomes
    assert outcome.status is OutcomeStatus.SCHEDULED
    assert outcome.provider_message_id == result.provider_message_id


async def test_template_send_wire_form_and_rendering(
    client: EMsgNowClient, wire: Any, admin: httpx.AsyncClient
) -> None:
    msg = message(
        subject="",
        text="",
        template=TemplateRef(TEMPLATE_ID, {"name": "Jane Doe", "time": "10:49pm"}),
    )
    result = await client.send(msg)
    body = body_of(wire.last)
    assert body["templateId"] == TEMPLATE_ID
    assert body["variables"] == {"name": "Jane Doe", "time": "10:49pm"}
    assert body["clientId"] == msg.client_reference
    assert "message" not in body and "subject" not in body

    async def arrived() -> bool:
        return any(m["id"] == result.provider_message_id for m in await sent_messages(admin))

    await eventually(arrived)
    [stored] = [m for m in await sent_messages(admin) if m["id"] == result.provider_message_id]
    assert stored["subject"] == "Your appointment"
    assert stored["text"] == "Hello Jane Doe, see you at 10:49pm."


async def test_several_to_are_one_request_each_with_its_own_client_id(
    client: EMsgNowClient, wire: Any
) -> None:
    msg = message(to=[Address("one@example.com"), Address("Two@example.com")])
    result = await client.send(msg)
    first, second = (body_of(r) for r in wire.requests[-2:])
    assert (first["to"], second["to"]) == ("one@example.com", "Two@example.com")
    assert first["clientId"] == msg.client_reference
    assert second["clientId"] == client_id_for(msg.client_reference, "two@example.com", 1)
    assert second["clientId"].startswith(msg.client_reference + "-")
    assert len({o.provider_message_id for o in result.outcomes}) == 2
    assert all(o.status is OutcomeStatus.ACCEPTED for o in result.outcomes)


# -- lookups ------------------------------------------------------------------------------------


async def test_get_email_events_and_single_event(client: EMsgNowClient, wire: Any) -> None:
    msg = message(to=[Address("reader@example.com")])
    tracking_id = (await client.send(msg)).provider_message_id or ""

    async def opened() -> bool:
        return (await client.get_email(tracking_id)).status is EventType.OPENED

    await eventually(opened)
    details = await client.get_email(tracking_id)
    assert wire.last.url.path == f"/emsgnow/email/{tracking_id}"
    assert details.provider_message_id == tracking_id
    assert details.client_reference == msg.client_reference
    assert details.to == ["reader@example.com"]
    assert details.raw_status == "opened"
    assert [e.raw_type for e in details.events] == ["processing", "sent", "delivered", "opened"]

    events = await client.get_email_events(tracking_id)
    assert wire.last.url.path == f"/emsgnow/email/{tracking_id}/events"
    assert [e.type for e in events] == [
        EventType.QUEUED,
        EventType.SENT,
        EventType.DELIVERED,
        EventType.OPENED,
    ]
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)

    single = await client.get_email_event(tracking_id, events[1].provider_event_id or "")
    assert wire.last.url.path.endswith(f"/events/{events[1].provider_event_id}")
    assert single.type is EventType.SENT
    assert single.provider_event_id == events[1].provider_event_id

    neutral = await client.events(tracking_id)
    assert [e.type for e in neutral] == [e.type for e in events]
    assert all(e.recipient == "reader@example.com" for e in neutral)
    assert (await client.get_message(tracking_id)).status is EventType.OPENED


async def test_bounce_and_expiry_are_normalized(client: EMsgNowClient) -> None:
    bounced = (await client.send(message(to=[Address("bounce@example.com")]))).provider_message_id
    expired = (
        await client.send(message(expire_at=datetime.now(UTC) - timedelta(minutes=1)))
    ).provider_message_id

    async def settled() -> bool:
        a = await client.get_message(bounced or "")
        b = await client.get_message(expired or "")
        return a.status is EventType.BOUNCED and b.status is EventType.EXPIRED

    await eventually(settled)
    assert (await client.events(expired or ""))[-1].raw_type == "expired"


async def test_unknown_ids_are_not_found(client: EMsgNowClient) -> None:
    tracking_id = (await client.send(message())).provider_message_id or ""
    with pytest.raises(NotFound) as caught:
        await client.get_email("doesnotexist")
    assert caught.value.message == "Email not found"
    with pytest.raises(NotFound):
        await client.get_email_events("doesnotexist")
    with pytest.raises(NotFound):
        await client.get_email_event(tracking_id, "noSuchEvent")


# -- recovery -----------------------------------------------------------------------------------


async def test_find_by_client_reference_returns_none_for_an_unknown_reference(
    client: EMsgNowClient, wire: Any
) -> None:
    found = await client.find_by_client_reference(
        "never-sent", recipient="recipient@example.com", since=datetime.now(UTC)
    )
    assert found is None
    assert wire.requests[0].url.path == "/emsgnow/email/never-sent"


async def test_find_by_client_reference_after_a_dropped_answer(
    client: EMsgNowClient, admin: httpx.AsyncClient
) -> None:
    attempt = datetime.now(UTC)
    await set_faults(admin, drop_after_accept=True)
    msg = message(to=[Address("one@example.com"), Address("two@example.com")])
    with pytest.raises(UnknownOutcome):
        await client.send(msg)
    await set_faults(admin)
    found = await client.find_by_client_reference(
        msg.client_reference, recipient="one@example.com", since=attempt
    )
    assert found is not None
    assert found.client_reference == msg.client_reference
    assert found.to == ["one@example.com"]


async def test_check_connection_sends_nothing(
    client: EMsgNowClient, wire: Any, admin: httpx.AsyncClient
) -> None:
    text = await client.check_connection()
    assert "404" in text and "sends nothing" in text
    assert wire.last.method == "GET"
    assert wire.last.url.path.startswith("/emsgnow/email/mailconsole-check-")
    assert await sent_messages(admin) == []


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"sender": Address("sender@unverified.org")}, "from"),
        ({"to": [Address("nope")]}, "to"),
        ({"text": "x" * 25_001}, "text"),
        ({"text": ""}, "text"),
        ({"text": "", "template": TemplateRef("noSuchTemplate")}, "template"),
        (
            {
                "send_at": datetime.now(UTC) + timedelta(hours=2),
                "expire_at": datetime.now(UTC) + timedelta(hours=1),
            },
            "expire_at",
        ),
        ({"callback_url": "ftp://example.com/x"}, "callback_url"),
    ],
)
async def test_validation_errors_carry_the_field(
    client: EMsgNowClient, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(**overrides))
    error = caught.value
    assert (error.field, error.status, error.code) == (field, 400, "400")
    assert error.message and error.provider == "emsgnow"


async def test_client_id_over_100_characters_is_refused_before_sending(
    client: EMsgNowClient, wire: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(client_reference="r" * 101))
    assert caught.value.field == "client_reference"
    assert wire.requests == []


@pytest.mark.parametrize(("key", "status"), [("", 401), ("wrong-key-31337", 403)])
async def test_missing_or_wrong_key_is_auth_error_and_never_shown(
    sandbox: Sandbox, key: str, status: int
) -> None:
    async with EMsgNowClient(api_key=key, base_url=sandbox.base_url("emsgnow")) as bad:
        errors: list[ProviderError] = []
        for call in (bad.check_connection(), bad.send(message()), bad.get_email("x")):
            with pytest.raises(AuthError) as caught:
                await call
            errors.append(caught.value)
    for error in errors:
        assert error.status == status
        assert error.message == ("API key is required" if status == 401 else "Invalid API key")
        if key:
            assert key not in str(error) and key not in repr(error.raw)


async def test_121st_send_in_a_minute_is_rate_limited_with_the_reset(sandbox: Sandbox) -> None:
    async with EMsgNowClient(
        api_key="sandbox-emsgnow", base_url=sandbox.base_url("emsgnow"), pacer=Pacer()
    ) as unpaced:
        for _ in range(120):
            await unpaced.send(message())
        with pytest.raises(RateLimited) as caught:
            await unpaced.send(message())
    assert caught.value.message == "Rate limit exceeded"
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 60


async def test_header_pacer_keeps_the_client_under_the_limit(
    client: EMsgNowClient, wire: Any
) -> None:
    pacer = client.pacer
    assert isinstance(pacer, HeaderPacer)
    await asyncio.gather(*(client.send(message()) for _ in range(120)))  # no 429 among them
    assert pacer.limit == 120
    assert pacer.remaining == 0
    assert "0/120" in pacer.budget_text
    with pytest.raises(TimeoutError):  # the 121st waits for the window instead of a 429
        await asyncio.wait_for(client.send(message()), timeout=0.5)
    assert len([r for r in wire.requests if r.method == "POST"]) == 120


async def test_rate_limit_fault_and_503_and_drop(
    client: EMsgNowClient, admin: httpx.AsyncClient
) -> None:
    await set_faults(admin, error_rate=1.0, status=503)
    with pytest.raises(Unavailable) as unavailable:
        await client.send(message())
    assert unavailable.value.status == 503
    await set_faults(admin, drop_after_accept=True)
    with pytest.raises(UnknownOutcome):
        await client.send(message())
    await set_faults(admin, rate_limit=1)
    with pytest.raises(NotFound):
        await client.get_email("warm-up")
    with pytest.raises(RateLimited) as limited:
        await client.get_email("too-soon")
    assert limited.value.retry_after is not None


async def test_unreachable_server_is_unavailable() -> None:
    async with EMsgNowClient(api_key="k", base_url="http://127.0.0.1:9") as offline:
        with pytest.raises(Unavailable):
            await offline.send(message())
