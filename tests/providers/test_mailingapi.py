"""Contract tests of the MailingAPI client against the real sandbox over loopback HTTP.

Every endpoint goes through the real client; the wire form is read from the requests that
really went out (``wire``); every normalized error is provoked for real, faults included.
"""

from __future__ import annotations

import asyncio
import base64
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
from mailconsole.core.message import (
    Address,
    Attachment,
    BulkRow,
    BulkSend,
    Message,
    OutcomeStatus,
    TemplateRef,
)
from mailconsole.providers.mailingapi import MailingApiClient, bulk_item_reference
from mailconsole.sandbox import Sandbox

SENDER = Address("hello@example.com", "Your Company")


def message(**overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "sender": SENDER,
        "to": [Address("john@example.com", "John Doe")],
        "subject": "Your order has shipped",
        "html": "<p>Hi {{name}}</p>",
        "text": "Hi {{name}}",
    }
    fields.update(overrides)
    return Message(**fields)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


@pytest.fixture
async def client(
    sandbox: Sandbox, wire: httpx.AsyncBaseTransport
) -> AsyncIterator[MailingApiClient]:
    async with MailingApiClient(
        api_key="sandbox-mailingapi", base_url=sandbox.base_url("mailingapi"), transport=wire
    ) as ma:
        yield ma


@pytest.fixture
async def admin(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client of the sandbox's own endpoints."""
    async with httpx.AsyncClient(base_url=f"{sandbox.url}/_sandbox") as http:
        yield http


async def sent_messages(admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await admin.get("/messages")
    response.raise_for_status()
    return [m for m in response.json() if m["provider"] == "mailingapi"]


async def set_faults(admin: httpx.AsyncClient, **faults: Any) -> None:
    response = await admin.post("/faults", json={"provider": "mailingapi", **faults})
    response.raise_for_status()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Poll ``check`` until it holds (lifecycles run 100 times faster in the sandbox)."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


# -- wire form ---------------------------------------------------------------------------------


async def test_send_wire_form(client: MailingApiClient, wire: Any) -> None:
    msg = message(
        cc=[Address("cc1@example.com", "Cc One"), Address("cc2@example.com")],
        bcc=[Address("audit@example.com")],
        attachments=[
            Attachment("invoice.pdf", b"%PDF-1.4 fake", "application/pdf"),
            Attachment("logo.png", b"\x89PNG", "image/png", content_id="logo"),
        ],
        template=TemplateRef("tmpl_welcome", {"name": "John"}),
        tags=["transactional", "shipping"],
        metadata={"user_id": "usr_123"},
        track_opens=False,
        headers={"X-Campaign": "spring"},
    )
    result = await client.send(msg)

    request = wire.last
    assert request.method == "POST"
    assert request.url.path == "/mailingapi/v1/messages/send"
    assert request.headers["Authorization"] == "Bearer sandbox-mailingapi"
    assert request.headers["Content-Type"] == "application/json"
    body = body_of(request)
    assert body["from"] == "Your Company <hello@example.com>"
    assert body["to"] == "John Doe <john@example.com>"
    assert body["cc"] == ["Cc One <cc1@example.com>", "cc2@example.com"]
    assert body["bcc"] == ["audit@example.com"]
    assert body["attachments"] == [
        {
            "filename": "invoice.pdf",
            "content": base64.b64encode(b"%PDF-1.4 fake").decode(),
            "content_type": "application/pdf",
        },
        {
            "filename": "logo.png",
            "content": base64.b64encode(b"\x89PNG").decode(),
            "content_type": "image/png",
            "content_id": "logo",
        },
    ]
    assert body["template_id"] == "tmpl_welcome"
    assert body["template_data"] == {"name": "John"}
    assert body["tags"] == ["transactional", "shipping"]
    assert body["metadata"] == {"user_id": "usr_123", "mailconsole_id": msg.client_reference}
    assert body["tracking"] == {"opens": False}
    assert body["headers"] == {"X-Campaign": "spring"}
    assert "scheduled_at" not in body

    assert [o.recipient for o in result.outcomes] == [
        "john@example.com",
        "cc1@example.com",
        "cc2@example.com",
        "audit@example.com",
    ]
    assert {o.provider_message_id for o in result.outcomes} == {result.provider_message_id}
    assert all(o.status is OutcomeStatus.ACCEPTED for o in result.outcomes)


async def test_several_to_go_as_a_list_and_the_console_id_wins_over_user_metadata(
    client: MailingApiClient, wire: Any
) -> None:
    msg = message(
        to=[Address("a@example.com"), Address("b@example.com", "Bee")],
        metadata={"mailconsole_id": "user-value"},
    )
    await client.send(msg)
    body = body_of(wire.last)
    assert body["to"] == ["a@example.com", "Bee <b@example.com>"]
    assert body["metadata"]["mailconsole_id"] == msg.client_reference
    assert "tracking" not in body


async def test_sent_message_reaches_the_sandbox_and_reads_back(
    client: MailingApiClient, admin: httpx.AsyncClient
) -> None:
    msg = Message(
        sender=SENDER,
        to=[Address("john@example.com")],
        subject="Order {{order}}",
        html="<p>Order {{order}}</p>",
        template=TemplateRef("tmpl_welcome", {"order": "12345"}),
    )
    result = await client.send(msg)
    message_id = result.provider_message_id
    assert message_id

    async def arrived() -> bool:
        return any(m["id"] == message_id for m in await sent_messages(admin))

    await eventually(arrived)
    [stored] = [m for m in await sent_messages(admin) if m["id"] == message_id]
    assert stored["subject"] == "Order 12345"
    found = await client.get_message(message_id)
    assert found.provider_message_id == message_id
    assert found.client_reference == msg.client_reference
    assert found.to == ["john@example.com"]
    assert found.status in (EventType.SENT, EventType.DELIVERED)


# -- batch and bulk ----------------------------------------------------------------------------


async def test_batch_messages_items_are_independent(client: MailingApiClient, wire: Any) -> None:
    good = message(to=[Address("alice@example.com")])
    bad = message(to=[Address("not an address")])
    result = await client.send_batch_messages([good, bad])
    assert wire.last.url.path == "/mailingapi/v1/messages/batch"
    items = body_of(wire.last)["messages"]
    assert [i["metadata"]["mailconsole_id"] for i in items] == [
        good.client_reference,
        bad.client_reference,
    ]
    assert (result.total, result.queued, result.errors) == (2, 1, 1)
    ok, failed = result.items
    assert ok.id and ok.error_code is None
    assert failed.id is None
    assert failed.error_code == "invalid_to_address"


async def test_batch_recipient_variables_form(
    client: MailingApiClient, wire: Any, admin: httpx.AsyncClient
) -> None:
    template = message(to=[], subject="Welcome, {{name}}!", html="<p>{{code}}</p>", text="")
    result = await client.send_batch_recipient_variables(
        template,
        {
            "alice@example.com": {"name": "Alice", "code": "ABC123"},
            "bob@example.com": {"name": "Bob", "code": "XYZ789"},
        },
    )
    body = body_of(wire.last)
    assert "to" not in body and "messages" not in body
    assert body["recipient_variables"]["bob@example.com"] == {"name": "Bob", "code": "XYZ789"}
    assert result.queued == 2
    ids = {item.id for item in result.items}

    async def both_sent() -> bool:
        return ids <= {m["id"] for m in await sent_messages(admin)}

    await eventually(both_sent)
    subjects = {m["subject"] for m in await sent_messages(admin) if m["id"] in ids}
    assert subjects == {"Welcome, Alice!", "Welcome, Bob!"}


async def test_send_bulk_chunks_by_1000_and_each_item_carries_its_own_id(
    client: MailingApiClient, wire: Any
) -> None:
    template = message(to=[], subject="Hi {{name}}", html="<p>{{name}}</p>", text="")
    rows = [BulkRow(Address(f"user{i}@example.com"), {"name": f"U{i}"}) for i in range(2_100)]
    rows[1_500] = BulkRow(Address("broken address"), {"name": "X"})
    result = await client.send_bulk(BulkSend(template=template, rows=rows))

    batches = [r for r in wire.requests if r.url.path.endswith("/v1/messages/batch")]
    assert [len(body_of(r)["messages"]) for r in batches] == [1000, 1000, 100]
    second = body_of(batches[1])["messages"]
    assert second[0]["metadata"]["mailconsole_id"] == bulk_item_reference(
        template.client_reference, 1000
    )
    assert second[0]["template_data"] == {"name": "U1000"}
    assert len(result.outcomes) == 2_100
    rejected = [o for o in result.outcomes if o.status is OutcomeStatus.REJECTED]
    assert [o.recipient for o in rejected] == ["broken address"]
    assert rejected[0].error_code == "invalid_to_address"
    assert rejected[0].error
    accepted = [o for o in result.outcomes if o.status is OutcomeStatus.ACCEPTED]
    assert len({o.provider_message_id for o in accepted}) == 2_099

    looked_up = await client.get_message(result.outcomes[2_000].provider_message_id or "")
    assert looked_up.client_reference == bulk_item_reference(template.client_reference, 2_000)


# -- listing -----------------------------------------------------------------------------------


async def test_list_messages_filters_and_pages(client: MailingApiClient, wire: Any) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    for i in range(5):
        await client.send(message(to=[Address("pager@example.com")], subject=f"n{i}"))
    await client.send(message(to=[Address("other@example.com")]))

    page, meta = await client.list_messages(limit=2, to="pager@example.com", since=before)
    params = wire.last.url.params
    assert params["limit"] == "2" and params["to"] == "pager@example.com"
    assert params["since"].endswith("Z")
    assert len(page) == 2 and meta.has_more and meta.total == 5
    assert all(m.to == ["pager@example.com"] for m in page)

    everything = [m async for m in client.iter_messages(to="pager@example.com", page_size=2)]
    assert len(everything) == 5
    assert len({m.provider_message_id for m in everything}) == 5
    offsets = [r.url.params.get("offset") for r in wire.requests[-3:]]
    assert offsets == ["0", "2", "4"]

    none_yet, _ = await client.list_messages(until=before)
    assert none_yet == []


async def test_analyze_is_deterministic(client: MailingApiClient, wire: Any) -> None:
    msg = message(text="", html="<p>Content here</p>", subject="Test email")
    first = await client.analyze(msg)
    second = await client.analyze(msg)
    assert wire.last.url.path == "/mailingapi/v1/messages/analyze"
    assert first == second
    assert first.score == 85 and first.grade == "good" and first.can_send
    assert [i.subtype for i in first.issues] == ["missing_text"]
    assert first.recommendations == ["Consider adding a text version for better deliverability"]
    bad = await client.analyze(message(sender=Address("x@unverified.org"), subject=""))
    assert not bad.can_send and bad.score < first.score


# -- scheduling --------------------------------------------------------------------------------


async def test_scheduled_message_listed_cancelled_and_never_sent(
    client: MailingApiClient, wire: Any, admin: httpx.AsyncClient
) -> None:
    send_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    cancelled = await client.send(message(send_at=send_at, subject="cancel me"))
    control = await client.send(message(send_at=send_at, subject="keep me"))
    assert body_of(wire.last)["scheduled_at"] == send_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cancelled.outcomes[0].status is OutcomeStatus.SCHEDULED
    cancelled_id = cancelled.provider_message_id or ""

    scheduled = await client.list_scheduled()
    assert {m.provider_message_id for m in scheduled} == {
        cancelled_id,
        control.provider_message_id,
    }
    assert all(m.status is EventType.SCHEDULED and m.scheduled_at == send_at for m in scheduled)

    answer = await client.cancel_scheduled(cancelled_id)
    assert wire.last.method == "DELETE"
    assert wire.last.url.path == f"/mailingapi/v1/messages/{cancelled_id}/schedule"
    assert answer.status is EventType.CANCELLED
    assert [m.provider_message_id for m in await client.list_scheduled()] == [
        control.provider_message_id
    ]

    async def control_sent() -> bool:
        return any(m["id"] == control.provider_message_id for m in await sent_messages(admin))

    await eventually(control_sent, within=10)
    assert cancelled_id not in {m["id"] for m in await sent_messages(admin)}
    assert (await client.get_message(cancelled_id)).status is EventType.CANCELLED
    with pytest.raises(ValidationError) as again:
        await client.cancel_scheduled(cancelled_id)
    assert again.value.status == 409


# -- events ------------------------------------------------------------------------------------


async def test_events_oldest_first_and_normalized(client: MailingApiClient) -> None:
    result = await client.send(message(to=[Address("reader@example.com")]))
    message_id = result.provider_message_id or ""

    async def clicked() -> bool:
        return any(e.type is EventType.CLICKED for e in await client.events(message_id))

    await eventually(clicked)
    events = await client.events(message_id)
    assert [e.type for e in events] == [
        EventType.QUEUED,
        EventType.SENT,
        EventType.DELIVERED,
        EventType.OPENED,
        EventType.CLICKED,
    ]
    assert [e.raw_type for e in events] == ["queued", "sent", "delivered", "opened", "clicked"]
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    assert len({e.provider_event_id for e in events}) == 5
    assert all(e.timestamp.tzinfo is not None for e in events)


async def test_bounce_is_normalized(client: MailingApiClient) -> None:
    result = await client.send(message(to=[Address("bounce@example.com")]))
    message_id = result.provider_message_id or ""

    async def bounced() -> bool:
        return (await client.get_message(message_id)).status is EventType.BOUNCED

    await eventually(bounced)
    assert EventType.BOUNCED in [e.type for e in await client.events(message_id)]


# -- recovery ----------------------------------------------------------------------------------


async def test_find_by_client_reference_recovers_a_lost_answer(
    client: MailingApiClient, admin: httpx.AsyncClient, wire: Any
) -> None:
    attempt = datetime.now(UTC)
    for i in range(3):  # other mail to the same recipient: candidates to read past
        await client.send(message(to=[Address("lost@example.com")], subject=f"other {i}"))
    await set_faults(admin, drop_after_accept=True)
    msg = message(to=[Address("Lost <lost@example.com>")])
    with pytest.raises(UnknownOutcome):
        await client.send(msg)
    await set_faults(admin)

    found = await client.find_by_client_reference(
        msg.client_reference, recipient="Lost <lost@example.com>", since=attempt
    )
    assert found is not None
    assert found.client_reference == msg.client_reference
    listing = [r for r in wire.requests if r.url.path == "/mailingapi/v1/messages"][-1]
    assert listing.url.params["to"] == "lost@example.com"
    assert listing.url.params["since"] <= attempt.strftime("%Y-%m-%dT%H:%M:%SZ")

    missing = await client.find_by_client_reference(
        "never-sent", recipient="lost@example.com", since=attempt
    )
    assert missing is None


async def test_check_connection_sends_nothing(
    client: MailingApiClient, wire: Any, admin: httpx.AsyncClient
) -> None:
    text = await client.check_connection()
    assert "GET /v1/messages?limit=1" in text
    assert wire.last.method == "GET"
    assert wire.last.url.params["limit"] == "1"
    assert await sent_messages(admin) == []


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field", "status"),
    [
        ({"sender": Address("hello@unverified.org")}, "domain_not_verified", "from", 403),
        ({"sender": Address("not-an-address")}, "invalid_from_address", "from", 400),
        ({"to": [Address("nope")]}, "invalid_to_address", "to", 400),
        ({"subject": ""}, "missing_subject", "subject", 400),
        ({"html": "", "text": ""}, "missing_body", "html", 400),
        (
            {"attachments": [Attachment(f"f{i}.txt", b"x") for i in range(11)]},
            "too_many_attachments",
            "attachments",
            400,
        ),
        ({"template": TemplateRef("tmpl_missing")}, "invalid_template", "template", 400),
        (
            {"send_at": datetime.now(UTC) - timedelta(hours=1)},
            "invalid_scheduled_at",
            "send_at",
            400,
        ),
        (
            {"send_at": datetime.now(UTC) + timedelta(days=31)},
            "invalid_scheduled_at",
            "send_at",
            400,
        ),
    ],
)
async def test_validation_errors_carry_code_and_field(
    client: MailingApiClient,
    overrides: dict[str, Any],
    code: str,
    field: str,
    status: int,
) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(**overrides))
    error = caught.value
    assert (error.code, error.field, error.status) == (code, field, status)
    assert error.message and error.provider == "mailingapi"


async def test_attachment_over_10_mb_is_413(client: MailingApiClient) -> None:
    big = Attachment("big.bin", b"\0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as caught:
        await client.send(message(attachments=[big]))
    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "attachment_too_large",
        "attachments",
        413,
    )


async def test_not_found(client: MailingApiClient) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    for call in (client.get_message, client.events, client.cancel_scheduled):
        with pytest.raises(NotFound) as caught:
            await call(unknown)
        assert caught.value.code == "not_found"


async def test_bad_key_is_auth_error_and_never_shown(sandbox: Sandbox) -> None:
    key = "ob_test_wrong_key_4242"
    async with MailingApiClient(api_key=key, base_url=sandbox.base_url("mailingapi")) as bad:
        errors: list[ProviderError] = []
        for call in (bad.check_connection(), bad.send(message()), bad.get_message("x")):
            with pytest.raises(AuthError) as caught:
                await call
            errors.append(caught.value)
    for error in errors:
        assert error.code == "unauthorized" and error.status == 401
        assert key not in str(error) and key not in error.message and key not in repr(error.raw)


async def test_rate_limit_fault_is_rate_limited_with_retry_after(
    client: MailingApiClient, admin: httpx.AsyncClient
) -> None:
    await set_faults(admin, rate_limit=1)
    await client.check_connection()
    with pytest.raises(RateLimited) as caught:
        await client.check_connection()
    assert caught.value.retry_after == 1.0
    assert caught.value.status == 429


async def test_503_fault_is_unavailable(client: MailingApiClient, admin: httpx.AsyncClient) -> None:
    await set_faults(admin, error_rate=1.0, status=503)
    with pytest.raises(Unavailable) as caught:
        await client.send(message())
    assert caught.value.status == 503
    assert caught.value.retryable


async def test_dropped_answer_is_unknown_outcome_but_a_dropped_read_is_unavailable(
    client: MailingApiClient, admin: httpx.AsyncClient
) -> None:
    await set_faults(admin, drop_after_accept=True)
    with pytest.raises(UnknownOutcome):
        await client.send(message())
    with pytest.raises(UnknownOutcome):
        await client.send_batch_messages([message()])
    assert (await client.list_messages())[1].total == 2  # reads are not dropped


async def test_unreachable_server_is_unavailable() -> None:
    async with MailingApiClient(api_key="k", base_url="http://127.0.0.1:9") as offline:
        with pytest.raises(Unavailable):
            await offline.send(message())
