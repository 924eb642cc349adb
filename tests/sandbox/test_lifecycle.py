"""Lifecycles: events in order per provider and recipient rule, scheduling, cancel, expiry,
and eMsgNow callbacks to a loopback receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from sandbox_helpers import (
    EM_HEADERS,
    EM_SEND,
    EN_HEADERS,
    MA,
    MA_HEADERS,
    SMS,
    SMS_TOKEN,
    em_mail,
    en_message,
    ma_message,
    sent_messages,
    wait_for,
)

from mailconsole.sandbox import Sandbox


def iso_in(seconds: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- MailingAPI ---------------------------------------------------------------------------------


async def ma_events(http: httpx.AsyncClient, message_id: str) -> list[dict[str, Any]]:
    answer = await http.get(f"{MA}/{message_id}/events", headers=MA_HEADERS)
    assert answer.status_code == 200
    events: list[dict[str, Any]] = answer.json()["data"]
    return events


@pytest.mark.parametrize(
    ("to", "types", "status"),
    [
        ("user@example.com", ["queued", "sent", "delivered"], "delivered"),
        ("reader@example.com", ["queued", "sent", "delivered", "opened", "clicked"], "delivered"),
        ("bounce@example.com", ["queued", "sent", "bounced"], "bounced"),
        ("nobody@example.com", ["queued", "sent", "bounced"], "bounced"),
        ("complain@example.com", ["queued", "sent", "delivered", "complained"], "complained"),
        (
            "unsubscribed@example.com",
            ["queued", "sent", "delivered", "unsubscribed"],
            "unsubscribed",
        ),
        ("busy@example.com", ["queued", "sent"], "sent"),
    ],
)
async def test_mailingapi_events_come_oldest_first(
    http: httpx.AsyncClient, to: str, types: list[str], status: str
) -> None:
    answer = await http.post(f"{MA}/send", headers=MA_HEADERS, json=ma_message(to=to))
    message_id = answer.json()["data"]["id"]
    events = await wait_for(
        lambda: ma_events(http, message_id), lambda e: len(e) == len(types), within=5
    )
    await asyncio.sleep(0.3)  # nothing more comes
    events = await ma_events(http, message_id)
    assert [e["type"] for e in events] == types
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    assert len({e["id"] for e in events}) == len(events)
    got = await http.get(f"{MA}/{message_id}", headers=MA_HEADERS)
    assert got.json()["data"]["status"] == status


async def test_mailingapi_tracking_off_reports_no_opens_or_clicks(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        f"{MA}/send",
        headers=MA_HEADERS,
        json=ma_message(to="reader@example.com", tracking={"opens": False, "clicks": False}),
    )
    message_id = answer.json()["data"]["id"]
    await wait_for(lambda: ma_events(http, message_id), lambda e: len(e) == 3)
    await asyncio.sleep(0.3)
    assert [e["type"] for e in await ma_events(http, message_id)] == ["queued", "sent", "delivered"]


async def test_a_scheduled_message_can_be_cancelled_and_never_sends(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post(
        f"{MA}/send", headers=MA_HEADERS, json=ma_message(scheduled_at=iso_in(0.5))
    )
    data = answer.json()["data"]
    assert data["status"] == "scheduled"
    scheduled = (await http.get(f"{MA}/scheduled", headers=MA_HEADERS)).json()["data"]
    assert [s["id"] for s in scheduled] == [data["id"]]
    cancelled = await http.delete(f"{MA}/{data['id']}/schedule", headers=MA_HEADERS)
    assert cancelled.status_code == 200
    assert cancelled.json()["data"] == {
        "id": data["id"],
        "status": "cancelled",
        "created_at": data["created_at"],
    }
    await asyncio.sleep(0.8)  # past the scheduled time
    got = (await http.get(f"{MA}/{data['id']}", headers=MA_HEADERS)).json()["data"]
    assert got["status"] == "cancelled"
    assert "sent_at" not in got
    assert await ma_events(http, data["id"]) == []
    assert await sent_messages(http) == []
    assert (await http.get(f"{MA}/scheduled", headers=MA_HEADERS)).json()["data"] == []
    again = await http.delete(f"{MA}/{data['id']}/schedule", headers=MA_HEADERS)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_scheduled"


async def test_a_scheduled_message_waits_for_its_time_then_sends(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        f"{MA}/send", headers=MA_HEADERS, json=ma_message(scheduled_at=iso_in(0.4))
    )
    message_id = answer.json()["data"]["id"]
    assert await ma_events(http, message_id) == []
    assert await sent_messages(http) == []
    await wait_for(lambda: sent_messages(http), lambda m: len(m) == 1, within=5)
    assert [e["type"] for e in await ma_events(http, message_id)][:2] == ["queued", "sent"]
    refused = await http.delete(f"{MA}/{message_id}/schedule", headers=MA_HEADERS)
    assert refused.status_code == 409


async def test_mailingapi_list_filters_and_pages(http: httpx.AsyncClient) -> None:
    batch = {
        "from": "hello@yourdomain.com",
        "subject": "Hi {{name}}",
        "html": "<p>{{name}}</p>",
        "metadata": {"mailconsole_id": "m-1"},
        "recipient_variables": {f"u{i}@example.com": {"name": f"U{i}"} for i in range(5)},
    }
    answer = await http.post(f"{MA}/batch", headers=MA_HEADERS, json=batch)
    assert answer.json()["data"]["queued"] == 5
    page = (await http.get(MA, headers=MA_HEADERS, params={"limit": 2, "offset": 1})).json()
    assert page["meta"] == {"count": 2, "total": 5, "limit": 2, "offset": 1, "has_more": True}
    assert [m["to"] for m in page["data"]] == ["u3@example.com", "u2@example.com"]
    one = (await http.get(MA, headers=MA_HEADERS, params={"to": "U1@example.com"})).json()
    assert [(m["to"], m["subject"], m["metadata"]) for m in one["data"]] == [
        ("u1@example.com", "Hi U1", {"mailconsole_id": "m-1"})
    ]
    later = (await http.get(MA, headers=MA_HEADERS, params={"since": iso_in(60)})).json()
    assert later["meta"]["total"] == 0
    await wait_for(
        lambda: http.get(MA, headers=MA_HEADERS, params={"status": "delivered"}),
        lambda r: r.json()["meta"]["total"] == 5,
    )


# -- eMsgNow ------------------------------------------------------------------------------------


async def en_events(http: httpx.AsyncClient, tracking_id: str) -> list[str]:
    answer = await http.get(f"/emsgnow/email/{tracking_id}/events", headers=EN_HEADERS)
    return [e["message"]["status"] for e in answer.json()["events"]]


@pytest.mark.parametrize(
    ("to", "statuses"),
    [
        ("recipient@example.com", ["processing", "sent", "delivered"]),
        ("reader@example.com", ["processing", "sent", "delivered", "opened"]),
        ("bounce@example.com", ["processing", "sent", "bounced"]),
        ("complain@example.com", ["processing", "sent", "delivered"]),
        ("unsubscribed@example.com", ["processing", "sent", "delivered"]),
        ("busy@example.com", ["processing", "sent"]),
    ],
)
async def test_emsgnow_events_in_order(
    http: httpx.AsyncClient, to: str, statuses: list[str]
) -> None:
    answer = await http.post("/emsgnow/email", headers=EN_HEADERS, json=en_message(to=to))
    tracking_id = answer.json()["trackingId"]
    assert len(tracking_id) == 20
    await wait_for(lambda: en_events(http, tracking_id), lambda s: len(s) == len(statuses))
    await asyncio.sleep(0.3)
    assert await en_events(http, tracking_id) == statuses
    details = (await http.get(f"/emsgnow/email/{tracking_id}", headers=EN_HEADERS)).json()
    assert details["events"][-1]["message"]["status"] == statuses[-1]
    event_id = details["events"][-1]["id"]
    one = await http.get(f"/emsgnow/email/{tracking_id}/events/{event_id}", headers=EN_HEADERS)
    assert one.json()["message"]["status"] == statuses[-1]
    missing = await http.get(f"/emsgnow/email/{tracking_id}/events/nope", headers=EN_HEADERS)
    assert missing.status_code == 404


async def test_emsgnow_past_not_after_ends_expired(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/emsgnow/email", headers=EN_HEADERS, json=en_message(notAfter=iso_in(-5))
    )
    tracking_id = answer.json()["trackingId"]
    await asyncio.sleep(0.3)
    assert await en_events(http, tracking_id) == ["processing", "expired"]
    assert await sent_messages(http) == []


async def test_emsgnow_not_sent_by_not_after_ends_expired(http: httpx.AsyncClient) -> None:
    not_before = datetime.now(UTC) + timedelta(seconds=0.3)
    window = {
        "notBefore": not_before.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "notAfter": (not_before + timedelta(milliseconds=5))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
    }
    answer = await http.post("/emsgnow/email", headers=EN_HEADERS, json=en_message(**window))
    tracking_id = answer.json()["trackingId"]
    assert await en_events(http, tracking_id) == ["processing", "scheduled"]
    await wait_for(lambda: en_events(http, tracking_id), lambda s: s[-1] == "expired")
    await asyncio.sleep(0.2)
    assert await en_events(http, tracking_id) == ["processing", "scheduled", "expired"]
    assert await sent_messages(http) == []


async def test_emsgnow_not_before_waits_then_sends(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/emsgnow/email", headers=EN_HEADERS, json=en_message(notBefore=iso_in(0.3))
    )
    tracking_id = answer.json()["trackingId"]
    assert await en_events(http, tracking_id) == ["processing", "scheduled"]
    await wait_for(lambda: en_events(http, tracking_id), lambda s: s[-1] == "delivered")
    assert await en_events(http, tracking_id) == ["processing", "scheduled", "sent", "delivered"]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback aiohttp server that records every JSON body posted to it."""
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        await runner.cleanup()


async def test_emsgnow_callbacks_arrive_at_a_loopback_receiver(
    http: httpx.AsyncClient, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    answer = await http.post(
        "/emsgnow/email",
        headers=EN_HEADERS,
        json=en_message(to="reader@example.com", callbackUrl=url, clientId="c-1"),
    )
    tracking_id = answer.json()["trackingId"]

    async def statuses() -> list[str]:
        return [r["message"]["status"] for r in received]

    await wait_for(statuses, lambda s: len(s) == 4)
    assert await statuses() == ["processing", "sent", "delivered", "opened"]
    assert all(r["message"]["trackingId"] == tracking_id for r in received)
    assert all(r["message"]["clientId"] == "c-1" for r in received)
    listed = (await http.get(f"/emsgnow/email/{tracking_id}/events", headers=EN_HEADERS)).json()
    assert listed["events"] == received


async def test_emsgnow_never_calls_back_a_non_loopback_host(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/emsgnow/email",
        headers=EN_HEADERS,
        json=en_message(callbackUrl="http://192.0.2.1:9/hook"),
    )
    assert answer.status_code == 200
    await asyncio.sleep(0.2)  # nothing to wait for: no task was started


# -- SMS.BY -------------------------------------------------------------------------------------

SMS_ORDER = ["NEW", "SENT", "DELIVERED", "OPEN", "CLICK"]


async def bulk_statuses(http: httpx.AsyncClient, bulk_uuid: str) -> dict[str, str]:
    answer = await http.post(f"{SMS}/statusBulkEmail", data={"token": SMS_TOKEN, "uuid": bulk_uuid})
    result = answer.json()["result"][0]
    return {s["recipient"]: s["status"] for s in result["success"]}


async def test_smsby_statuses_advance_in_order(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        f"{SMS}/sendBulkEmail",
        data={
            "token": SMS_TOKEN,
            "sender_email": "from@test.com",
            "subject": "S",
            "message": "M",
            "delivery_list[0]": "reader@x.by",
            "delivery_list[1]": "bounce@x.by",
            "delivery_list[2]": "complain@x.by",
            "delivery_list[3]": "unsubscribed@x.by",
        },
    )
    bulk_uuid = answer.json()["result"]["uuid"]
    seen: list[str] = []

    async def probe() -> dict[str, str]:
        statuses = await bulk_statuses(http, bulk_uuid)
        if not seen or seen[-1] != statuses["reader@x.by"]:
            seen.append(statuses["reader@x.by"])
        return statuses

    final = await wait_for(probe, lambda s: s["reader@x.by"] == "CLICK", interval=0.002)
    assert seen == [s for s in SMS_ORDER if s in seen]
    await asyncio.sleep(0.1)
    final = await bulk_statuses(http, bulk_uuid)
    assert final == {
        "reader@x.by": "CLICK",
        "bounce@x.by": "UNDELIVERED",
        "complain@x.by": "SPAM",
        "unsubscribed@x.by": "UNSUBSCRIBED",
    }


async def test_smsby_unsubscribed_address_is_accepted_but_never_sent(
    http: httpx.AsyncClient,
) -> None:
    done = await http.post(
        f"{SMS}/unsubscribeEmail", data={"token": SMS_TOKEN, "email": "anna@example.com"}
    )
    assert done.json() == {"status": "OK"}
    answer = await http.post(
        f"{SMS}/sendEmailByList",
        data={
            "token": SMS_TOKEN,
            "list_id": "1",
            "sender_email": "from@test.com",
            "subject": "S",
            "message": "M",
        },
    )
    mailing = answer.json()["result"]
    assert mailing["count_emails"] == 3

    async def deliveries() -> dict[str, str]:
        got = await http.post(
            f"{SMS}/getEmailDeliveryList",
            data={"token": SMS_TOKEN, "message_id": str(mailing["message_id"])},
        )
        return {d["email"]: d["status"] for d in got.json()["result"]}

    final = await wait_for(
        deliveries, lambda d: "NEW" not in d.values() and "SENT" not in d.values()
    )
    assert final["anna@example.com"] == "UNSUBSCRIBED"
    assert final["boris@example.com"] == "DELIVERED"
    await asyncio.sleep(0.3)
    assert "anna@example.com" not in {m["to"][0] for m in await sent_messages(http)}
    await http.post(f"{SMS}/subscribeEmail", data={"token": SMS_TOKEN, "email": "anna@example.com"})
    again = await http.post(
        f"{SMS}/sendEmail",
        data={
            "token": SMS_TOKEN,
            "sender_email": "from@test.com",
            "subject": "S",
            "message": "M",
            "email": "anna@example.com",
        },
    )
    email_id = str(again.json()["result"]["email_id"])
    await wait_for(lambda: sent_messages(http, "smsby"), lambda m: email_id in {x["id"] for x in m})


async def test_smsby_d_schedule_waits_in_minsk_time(http: httpx.AsyncClient) -> None:
    from zoneinfo import ZoneInfo

    later = (datetime.now(UTC) + timedelta(hours=1)).astimezone(ZoneInfo("Europe/Minsk"))
    answer = await http.post(
        f"{SMS}/sendBulkEmail",
        data={
            "token": SMS_TOKEN,
            "sender_email": "from@test.com",
            "subject": "S",
            "message": "M",
            "d_schedule": later.strftime("%Y-%m-%d %H:%M"),
            "delivery_list[0]": "a@x.by",
        },
    )
    bulk_uuid = answer.json()["result"]["uuid"]
    await asyncio.sleep(0.3)
    assert await bulk_statuses(http, bulk_uuid) == {"a@x.by": "NEW"}
    assert await sent_messages(http) == []


# -- EmailMassivo and the sandbox view ---------------------------------------------------------


async def test_emailmassivo_mail_is_listed_once_sent_with_its_fields(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post(
        EM_SEND,
        headers=EM_HEADERS,
        json={
            "idempotencyKey": "k-1",
            "mail": em_mail(
                cc="copy@example.com",
                bcc="hidden@example.com",
                headers={"X-Test": "1"},
                attachments=[{"a.txt": "aGVsbG8="}],
            ),
        },
    )
    assert answer.status_code == 201
    mail_uuid = answer.json()["uuid"]
    assert [r["email"] for r in answer.json()["additionalRecipients"]] == [
        "copy@example.com",
        "hidden@example.com",
    ]
    (stored,) = await wait_for(lambda: sent_messages(http), lambda m: len(m) == 1)
    assert stored["id"] == mail_uuid
    assert stored["provider"] == "emailmassivo"
    assert (stored["from"], stored["to"], stored["cc"], stored["bcc"]) == (
        "sender@example.com",
        ["user@example.com"],
        ["copy@example.com"],
        ["hidden@example.com"],
    )
    assert stored["attachments"] == [{"name": "a.txt", "size": 5}]
    assert stored["text"] == "Hello"
    assert stored["headers"] == {"X-Test": "1"}
    assert stored["idempotency_key"] == "k-1"
    await wait_for(lambda: sent_messages(http), lambda m: m[0]["status"] == "delivered")


async def test_sandbox_messages_are_newest_first_and_filterable(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    for to in ("first@example.com", "second@example.com"):
        await http.post(f"{MA}/send", headers=MA_HEADERS, json=ma_message(to=to))
        await asyncio.sleep(0.01)
    await http.post("/emsgnow/email", headers=EN_HEADERS, json=en_message())
    listed = await wait_for(lambda: sent_messages(http), lambda m: len(m) == 3)
    assert [m["to"][0] for m in listed] == [
        "recipient@example.com",
        "second@example.com",
        "first@example.com",
    ]
    only = await sent_messages(http, "mailingapi")
    assert [m["provider"] for m in only] == ["mailingapi", "mailingapi"]
    assert sandbox.messages() == await sent_messages(http) or len(sandbox.messages()) == 3
    bad = await http.get("/_sandbox/messages", params={"provider": "nope"})
    assert bad.status_code == 400
