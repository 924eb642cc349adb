"""SMS.BY client against the real sandbox over loopback: wire form, every method, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from mailconsole.core.errors import (
    AuthError,
    NotFound,
    RateLimited,
    Unavailable,
    UnknownOutcome,
    UnsupportedFeature,
    ValidationError,
)
from mailconsole.core.events import Event, EventType
from mailconsole.core.message import (
    Address,
    Attachment,
    BulkRow,
    BulkSend,
    Message,
    OutcomeStatus,
    TemplateRef,
)
from mailconsole.providers.smsby import PersonalLetter, Sending, SmsByClient
from mailconsole.sandbox import Sandbox

PROVIDER = "smsby"
SENDER = Address("news@example.com", "Example News")


def message(**changes: Any) -> Message:
    fields: dict[str, Any] = {
        "sender": SENDER,
        "to": [Address("jane@x.by")],
        "subject": "Hello",
        "html": "<p>Hello</p>",
        "text": "Hello (text)",
    }
    fields.update(changes)
    return Message(**fields)


def form(request: httpx.Request) -> dict[str, str]:
    """The url-encoded body of a request as a dict (every key appears once)."""
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def query(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))


def tomorrow_at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=2)
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


async def sent(box: Sandbox, *, at_least: int = 0, wait: float = 5.0) -> list[dict[str, Any]]:
    """This provider's messages in ``/_sandbox/messages``, waiting until ``at_least`` are sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    async with httpx.AsyncClient() as http:
        while True:
            answer = await http.get(f"{box.url}/_sandbox/messages")
            answer.raise_for_status()
            mine = [m for m in answer.json() if m["provider"] == PROVIDER]
            if len(mine) >= at_least or loop.time() > deadline:
                return mine
            await asyncio.sleep(0.05)


async def set_faults(box: Sandbox, **faults: Any) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{box.url}/_sandbox/faults", json={"provider": PROVIDER, **faults}
        )
        answer.raise_for_status()


async def events_until(
    read: Callable[[], Awaitable[list[Event]]], wanted: EventType, wait: float = 5.0
) -> list[Event]:
    """Poll until an event of type ``wanted`` is observed (or the wait is over)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        found = await read()
        if any(e.type is wanted for e in found) or loop.time() > deadline:
            return found
        await asyncio.sleep(0.05)


@pytest.fixture
async def client(
    sandbox: Sandbox, wire: httpx.AsyncBaseTransport, keys: dict[str, str]
) -> AsyncIterator[SmsByClient]:
    async with SmsByClient(
        api_key=keys[PROVIDER], base_url=sandbox.base_url(PROVIDER), transport=wire
    ) as made:
        yield made


# -- wire form ---------------------------------------------------------------------------------


async def test_send_goes_through_personal_bulk_with_bracket_fields(
    client: SmsByClient, wire: Any, keys: dict[str, str]
) -> None:
    await client.send(
        message(to=[Address("a@x.by"), Address("b@x.by")], track_opens=True, track_clicks=False)
    )
    request = wire.last
    assert request.url.path.endswith("/api/v2/sendBulkEmail")
    assert request.url.query == b""
    fields = form(request)
    assert fields["token"] == keys[PROVIDER]
    assert fields["message_type"] == "personal"
    assert fields["sender_email"] == "news@example.com"
    assert fields["sender_name"] == "Example News"
    assert fields["delivery_list[0][email]"] == "a@x.by"
    assert fields["delivery_list[0][subject]"] == "Hello"
    assert fields["delivery_list[0][message]"] == "<p>Hello</p>"
    assert fields["delivery_list[1][email]"] == "b@x.by"
    assert fields["track_open"] == "1"
    assert fields["track_click"] == "0"
    assert "d_schedule" not in fields


async def test_tracking_switches_are_omitted_when_unset_and_text_is_sent_without_html(
    client: SmsByClient, wire: Any
) -> None:
    await client.send(message(html="", sender=Address("news@example.com")))
    fields = form(wire.last)
    assert "track_open" not in fields and "track_click" not in fields
    assert "sender_name" not in fields
    assert fields["delivery_list[0][message]"] == "Hello (text)"


async def test_bulk_mode_lists_bare_addresses(client: SmsByClient, wire: Any) -> None:
    await client.send_bulk_email(
        Sending("news@example.com"),
        delivery_list=["a@x.by", "b@x.by"],
        subject="S",
        message="M",
        name="Newsletter 1",
    )
    fields = form(wire.last)
    assert fields["message_type"] == "bulk"
    assert fields["delivery_list[0]"] == "a@x.by"
    assert fields["delivery_list[1]"] == "b@x.by"
    assert fields["subject"] == "S" and fields["message"] == "M"
    assert fields["name"] == "Newsletter 1"


async def test_an_attachment_goes_multipart_through_send_email(
    client: SmsByClient, wire: Any, keys: dict[str, str], sandbox: Sandbox
) -> None:
    result = await client.send(
        message(attachments=[Attachment("note.txt", b"attached bytes", "text/plain")])
    )
    request = wire.last
    assert request.url.path.endswith("/api/v2/sendEmail")
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    content = request.content
    assert b'name="token"\r\n\r\n' + keys[PROVIDER].encode() in content
    assert b'name="email"\r\n\r\njane@x.by' in content
    assert b'name="attachment"; filename="note.txt"' in content
    assert b"attached bytes" in content
    (outcome,) = result.outcomes
    assert outcome.provider_message_id is not None
    assert outcome.provider_message_id.startswith("email:")
    (stored,) = await sent(sandbox, at_least=1)
    assert stored["attachments"] == [{"name": "note.txt", "size": len(b"attached bytes")}]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Europe/Minsk", "12:00"), ("Asia/Tokyo", "18:00"), ("UTC", "09:00")],
)
async def test_d_schedule_is_in_the_account_time_zone(
    sandbox: Sandbox, wire: Any, keys: dict[str, str], zone: str, expected: str
) -> None:
    when = tomorrow_at(9)
    async with SmsByClient(
        api_key=keys[PROVIDER], base_url=sandbox.base_url(PROVIDER), transport=wire, time_zone=zone
    ) as zoned:
        result = await zoned.send(message(send_at=when))
    d_schedule = form(wire.last)["d_schedule"]
    assert d_schedule == f"{when.date().isoformat()} {expected}"
    assert result.outcomes[0].status is OutcomeStatus.SCHEDULED
    assert result.outcomes[0].event is EventType.SCHEDULED


def test_d_schedule_rounds_up_to_the_next_minute() -> None:
    made = SmsByClient(api_key="k", base_url="http://127.0.0.1:9")
    try:
        assert made.schedule_text(datetime(2030, 1, 1, 9, 0, 1, tzinfo=UTC)) == "2030-01-01 12:01"
        assert made.schedule_text(datetime(2030, 1, 1, 9, 0, 0, tzinfo=UTC)) == "2030-01-01 12:00"
        assert made.schedule_text(datetime(2030, 6, 30, 21, 30)) == "2030-07-01 00:30"
    finally:
        asyncio.run(made.aclose())


def test_an_unknown_time_zone_is_refused_when_the_client_is_made() -> None:
    with pytest.raises(ValueError, match="Mars/Base"):
        SmsByClient(api_key="k", base_url="http://127.0.0.1:9", time_zone="Mars/Base")


async def test_query_string_methods_put_every_parameter_in_the_query(
    client: SmsByClient, wire: Any, keys: dict[str, str]
) -> None:
    await client.get_email_templates()
    assert query(wire.last) == {"token": keys[PROVIDER]}
    assert wire.last.content == b""
    list_id = await client.create_subscriber_list("Customers")
    assert query(wire.last) == {"token": keys[PROVIDER], "name": "Customers"}
    assert wire.last.content == b""
    await client.import_contacts(list_id, ["email", "name"], [["a@x.by", "A"], ["b@x.by", "B"]])
    assert wire.last.url.path.endswith("/api/v2/importContacts")
    assert wire.last.content == b""
    assert query(wire.last) == {
        "token": keys[PROVIDER],
        "list_id": list_id,
        "field_names[0]": "email",
        "field_names[1]": "name",
        "data[0][0]": "a@x.by",
        "data[0][1]": "A",
        "data[1][0]": "b@x.by",
        "data[1][1]": "B",
    }


async def test_unsubscribe_and_subscribe_fields(client: SmsByClient, wire: Any) -> None:
    await client.unsubscribe_email("a@x.by", ["1", "7"], reason="asked by phone")
    fields = form(wire.last)
    assert wire.last.url.path.endswith("/api/v2/unsubscribeEmail")
    assert fields["email"] == "a@x.by"
    assert fields["list_ids"] == "1,7"
    assert fields["reason"] == "asked by phone"
    await client.subscribe_email("a@x.by")
    fields = form(wire.last)
    assert wire.last.url.path.endswith("/api/v2/subscribeEmail")
    assert "list_ids" not in fields and "reason" not in fields


# -- every method against the sandbox ----------------------------------------------------------


async def test_send_is_delivered_and_followed_by_events(
    client: SmsByClient, sandbox: Sandbox
) -> None:
    result = await client.send(message())
    (outcome,) = result.outcomes
    assert outcome.status is OutcomeStatus.ACCEPTED
    assert outcome.provider_message_id == f"{result.provider_message_id}:jane@x.by"
    assert outcome.provider_message_id is not None
    message_id = outcome.provider_message_id
    found = await events_until(lambda: client.events(message_id), EventType.DELIVERED)
    assert [e.type for e in found] == [EventType.DELIVERED]
    assert found[0].raw_type == "DELIVERED"
    assert found[0].recipient == "jane@x.by"
    assert found[0].provider_event_id and found[0].provider_event_id.endswith(":DELIVERED")
    (stored,) = await sent(sandbox, at_least=1)
    assert stored["to"] == ["jane@x.by"]
    assert stored["subject"] == "Hello"
    looked_up = await client.get_message(message_id)
    assert looked_up.status is EventType.DELIVERED
    assert looked_up.raw_status == "DELIVERED"
    assert list(looked_up.to) == ["jane@x.by"]


@pytest.mark.parametrize(
    ("local", "final", "raw"),
    [
        ("reader", EventType.CLICKED, "CLICK"),
        ("bounce", EventType.BOUNCED, "UNDELIVERED"),
        ("complain", EventType.COMPLAINED, "SPAM"),
        ("unsubscribed", EventType.UNSUBSCRIBED, "UNSUBSCRIBED"),
        ("nobody", EventType.BOUNCED, "UNDELIVERED"),
    ],
)
async def test_recipient_outcomes_map_to_the_vocabulary(
    client: SmsByClient, local: str, final: EventType, raw: str
) -> None:
    result = await client.send(message(to=[Address(f"{local}@x.by")]))
    message_id = result.outcomes[0].provider_message_id
    assert message_id is not None
    found = await events_until(lambda: client.events(message_id), final)
    assert found[-1].type is final
    assert found[-1].raw_type == raw


async def test_a_mailing_to_several_recipients_is_followed_per_recipient(
    client: SmsByClient,
) -> None:
    result = await client.send(message(to=[Address("a@x.by"), Address("b@x.by")]))
    assert result.provider_message_id is not None
    whole = await events_until(
        lambda: client.events(str(result.provider_message_id)), EventType.DELIVERED
    )
    assert {e.recipient for e in whole} == {"a@x.by", "b@x.by"}
    one = await client.events(f"{result.provider_message_id}:b@x.by")
    assert {e.recipient for e in one} == {"b@x.by"}


async def test_an_attached_send_is_trackable_only_as_queued(client: SmsByClient) -> None:
    result = await client.send(message(attachments=[Attachment("a.txt", b"x")]))
    message_id = result.outcomes[0].provider_message_id
    assert message_id is not None
    assert await client.events(message_id) == []
    looked_up = await client.get_message(message_id)
    assert looked_up.status is EventType.QUEUED


async def test_send_email_returns_a_string_id(client: SmsByClient, sandbox: Sandbox) -> None:
    email_id = await client.send_email(
        Sending("news@example.com", "News"), email="solo@x.by", subject="S", message="M"
    )
    assert isinstance(email_id, str) and email_id
    (stored,) = await sent(sandbox, at_least=1)
    assert stored["to"] == ["solo@x.by"]
    assert stored["from"].endswith("news@example.com") or "news@example.com" in stored["from"]


async def test_send_email_by_list_and_its_delivery_list(
    client: SmsByClient, sandbox: Sandbox
) -> None:
    mailing = await client.send_email_by_list(
        Sending("news@example.com"), list_id="1", subject="To the list", message="Hi all"
    )
    assert mailing.count_emails == 3
    assert isinstance(mailing.message_id, str)
    found = await events_until(
        lambda: client.events(f"list:{mailing.message_id}"), EventType.DELIVERED
    )
    assert len({e.recipient for e in found}) == 3
    deliveries = await client.get_email_delivery_list(mailing.message_id)
    assert len(deliveries) == 3
    assert all(isinstance(d.email_id, str) and d.email == d.email.strip() for d in deliveries)
    assert len(await sent(sandbox, at_least=3)) == 3


async def test_status_bulk_email_lists_each_recipient(client: SmsByClient) -> None:
    uuid = await client.send_bulk_email(
        Sending("news@example.com", "News"),
        delivery_list=["a@x.by", "b@x.by"],
        subject="S",
        message="M",
        name="Spring",
    )
    mailings = await client.status_bulk_email(uuid)
    assert mailings
    recipients = {s.email for m in mailings for s in m.success}
    assert recipients == {"a@x.by", "b@x.by"}
    assert mailings[0].sender_email == "news@example.com"
    assert all(isinstance(s.email_id, str) for m in mailings for s in m.success)


async def test_an_address_the_mailing_refused_is_a_rejected_event(client: SmsByClient) -> None:
    uuid = await client.send_bulk_email(
        Sending("news@example.com"),
        delivery_list=["good@x.by", "not-an-address"],
        subject="S",
        message="M",
    )
    mailings = await client.status_bulk_email(uuid)
    assert [r.email for m in mailings for r in m.errors] == ["not-an-address"]
    refused = await client.events(f"bulk:{uuid}:not-an-address")
    assert [e.type for e in refused] == [EventType.REJECTED]
    assert refused[0].raw["error"]


async def test_personal_letters_are_sent_each_with_its_own_subject(
    client: SmsByClient, sandbox: Sandbox
) -> None:
    await client.send_bulk_email(
        Sending("news@example.com"),
        delivery_list=[
            PersonalLetter("a@x.by", "For A", "Body A"),
            PersonalLetter("b@x.by", "For B", "Body B"),
        ],
    )
    stored = await sent(sandbox, at_least=2)
    assert {(m["to"][0], m["subject"]) for m in stored} == {
        ("a@x.by", "For A"),
        ("b@x.by", "For B"),
    }


async def test_send_bulk_renders_each_row(client: SmsByClient, sandbox: Sandbox, wire: Any) -> None:
    template = Message(
        sender=SENDER, to=[], subject="Hi {{name}}", html="<p>Code {{code}}</p>", text=""
    )
    result = await client.send_bulk(
        BulkSend(
            template=template,
            rows=[
                BulkRow(Address("a@x.by"), {"name": "Ann", "code": "1"}, line=2),
                BulkRow(Address("b@x.by"), {"name": "Bob", "code": "2"}, line=3),
                BulkRow(Address("c@x.by"), {"name": "Cy"}, line=4),
            ],
        )
    )
    by_recipient = {o.recipient: o for o in result.outcomes}
    assert by_recipient["a@x.by"].status is OutcomeStatus.ACCEPTED
    assert by_recipient["c@x.by"].status is OutcomeStatus.REJECTED
    assert "line 4" in (by_recipient["c@x.by"].error or "")
    assert len(wire.requests) == 1
    stored = await sent(sandbox, at_least=2)
    assert {(m["to"][0], m["subject"]) for m in stored} == {
        ("a@x.by", "Hi Ann"),
        ("b@x.by", "Hi Bob"),
    }
    assert any("Code 2" in (m["html"] or "") for m in stored)


async def test_unsubscribe_then_send_is_accepted_but_unsubscribed_then_resubscribe(
    client: SmsByClient,
) -> None:
    await client.unsubscribe_email("later@x.by", reason="test")
    result = await client.send(message(to=[Address("later@x.by")]))
    first = result.outcomes[0].provider_message_id
    assert first is not None
    found = await events_until(lambda: client.events(first), EventType.UNSUBSCRIBED)
    assert found[-1].type is EventType.UNSUBSCRIBED
    await client.subscribe_email("later@x.by")
    again = await client.send(message(to=[Address("later@x.by")]))
    second = again.outcomes[0].provider_message_id
    assert second is not None
    found = await events_until(lambda: client.events(second), EventType.DELIVERED)
    assert found[-1].type is EventType.DELIVERED


async def test_templates_are_listed_read_only(client: SmsByClient) -> None:
    templates = await client.list_templates()
    assert {t.id for t in templates} >= {"11", "12"}
    assert all(t.read_only and t.source == PROVIDER and t.name for t in templates)


async def test_a_new_list_is_filled_and_mailed(client: SmsByClient, wire: Any) -> None:
    list_id = await client.create_subscriber_list("Bigger")
    assert isinstance(list_id, str)
    rows = [[f"user{i}@x.by", f"User {i}"] for i in range(1200)]
    rows[700] = ["not-an-address", "Broken"]
    before = len(wire.requests)
    imported = await client.import_contacts(list_id, ["email", "name"], rows)
    calls = wire.requests[before:]
    assert len(calls) >= 3
    assert all(len(str(c.url)) < 8000 for c in calls)
    per_call = [
        sum(1 for k in query(c) if k.startswith("data[") and k.endswith("][0]")) for c in calls
    ]
    assert max(per_call) <= 500 and sum(per_call) == 1200
    assert imported.inserted == 1199
    assert imported.invalid == 1
    assert [index for index, _ in imported.log] == [700]
    mailing = await client.send_email_by_list(
        Sending("news@example.com"), list_id=list_id, subject="S", message="M"
    )
    assert mailing.count_emails == 1199


async def test_check_connection(client: SmsByClient, wire: Any) -> None:
    text = await client.check_connection()
    assert "getEmailTemplates" in text
    assert wire.last.url.path.endswith("/api/v2/getEmailTemplates")


async def test_what_smsby_cannot_carry_is_refused_before_sending(
    client: SmsByClient, wire: Any
) -> None:
    cases = [
        (message(cc=[Address("c@x.by")]), "cc"),
        (message(template=TemplateRef("11")), "template"),
        (message(attachments=[Attachment("a", b"1"), Attachment("b", b"2")]), "attachments"),
    ]
    for msg, field in cases:
        with pytest.raises(UnsupportedFeature) as caught:
            await client.send(msg)
        assert caught.value.field == field
    assert wire.requests == []


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.send(message()),
        lambda c: c.get_email_templates(),
        lambda c: c.create_subscriber_list("x"),
    ],
    ids=["form", "query-templates", "query-list"],
)
async def test_a_bad_token_is_an_auth_error_without_the_token(
    sandbox: Sandbox, call: Callable[[SmsByClient], Awaitable[Any]]
) -> None:
    secret = "tok-VERY-SECRET-77"
    async with SmsByClient(api_key=secret, base_url=sandbox.base_url(PROVIDER)) as wrong:
        with pytest.raises(AuthError) as caught:
            await call(wrong)
    assert caught.value.status == 401
    assert caught.value.message
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value.raw)


async def test_an_unreachable_server_does_not_reveal_the_token() -> None:
    secret = "tok-VERY-SECRET-78"
    async with SmsByClient(api_key=secret, base_url="http://127.0.0.1:9") as closed:
        with pytest.raises(Unavailable) as caught:
            await closed.get_email_templates()
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.status_bulk_email("00000000-0000-0000-0000-000000000000"),
        lambda c: c.get_email_delivery_list("987654"),
        lambda c: c.send_email_by_list(
            Sending("news@example.com"), list_id="987654", subject="S", message="M"
        ),
        lambda c: c.import_contacts("987654", ["email"], [["a@x.by"]]),
    ],
    ids=["uuid", "message_id", "list_id", "import-list_id"],
)
async def test_unknown_ids_are_not_found(
    client: SmsByClient, call: Callable[[SmsByClient], Awaitable[Any]]
) -> None:
    with pytest.raises(NotFound) as caught:
        await call(client)
    assert caught.value.status == 404
    assert caught.value.message


async def test_a_time_in_the_past_is_refused(client: SmsByClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(send_at=datetime.now(UTC) - timedelta(hours=2)))
    assert caught.value.status == 400
    assert caught.value.field == "send_at"


async def test_a_missing_subject_is_refused(client: SmsByClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send_email(
            Sending("news@example.com"), email="a@x.by", subject="", message="M"
        )
    assert caught.value.status == 400
    assert caught.value.field == "subject"


async def test_fault_rate_limit(client: SmsByClient, sandbox: Sandbox) -> None:
    await set_faults(sandbox, rate_limit=1)
    answers = await asyncio.gather(
        *(client.get_email_templates() for _ in range(4)), return_exceptions=True
    )
    limited = [a for a in answers if isinstance(a, RateLimited)]
    assert limited, answers
    assert limited[0].retry_after == 1.0
    assert limited[0].status == 429


async def test_503_is_unavailable(client: SmsByClient, sandbox: Sandbox) -> None:
    await set_faults(sandbox, error_rate=1.0, status=503)
    with pytest.raises(Unavailable) as caught:
        await client.send(message())
    assert caught.value.status == 503


async def test_500_is_unavailable(client: SmsByClient, sandbox: Sandbox) -> None:
    await set_faults(sandbox, error_rate=1.0, status=500)
    with pytest.raises(Unavailable) as caught:
        await client.get_email_templates()
    assert caught.value.status == 500


async def test_a_dropped_answer_to_a_send_is_unknown(client: SmsByClient, sandbox: Sandbox) -> None:
    await set_faults(sandbox, drop_after_accept=True)
    with pytest.raises(UnknownOutcome):
        await client.send(message())
    await set_faults(sandbox)
    assert len(await sent(sandbox, at_least=1)) == 1


async def test_a_later_failure_in_a_per_recipient_send_is_that_recipients_outcome(
    client: SmsByClient, sandbox: Sandbox
) -> None:
    msg = message(
        to=[Address("a@x.by"), Address("b@x.by")], attachments=[Attachment("a.txt", b"x")]
    )
    await set_faults(sandbox, rate_limit=1)
    result = await client.send(msg)
    by_recipient = {o.recipient: o for o in result.outcomes}
    assert by_recipient["a@x.by"].status is OutcomeStatus.ACCEPTED
    assert by_recipient["b@x.by"].status is OutcomeStatus.REJECTED
    assert by_recipient["b@x.by"].error_code
