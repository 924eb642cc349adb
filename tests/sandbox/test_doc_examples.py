"""Every request example of the four documents, replayed as written, gets the documented answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_doc_examples import ALL_EXAMPLES, DocExample
from sandbox_helpers import (
    EN_HEADERS,
    MA,
    MA_HEADERS,
    SMS,
    SMS_TOKEN,
    en_message,
    ma_message,
    matches,
    wait_for,
)


async def _ma_delivered(http: httpx.AsyncClient) -> dict[str, str]:
    answer = await http.post(
        f"{MA}/send",
        headers=MA_HEADERS,
        json=ma_message(to="John Doe <john@example.com>", subject="Your order has shipped"),
    )
    message_id = answer.json()["data"]["id"]

    async def status() -> str:
        got = await http.get(f"{MA}/{message_id}", headers=MA_HEADERS)
        return str(got.json()["data"]["status"])

    await wait_for(status, lambda s: s == "delivered")
    return {"message_id": message_id}


async def _ma_scheduled(http: httpx.AsyncClient) -> dict[str, str]:
    answer = await http.post(
        f"{MA}/send",
        headers=MA_HEADERS,
        json=ma_message(
            subject="Holiday greeting",
            html="<p>Happy holidays!</p>",
            scheduled_at="2099-01-01T00:00:00Z".replace("2099-01-01", _in_a_week()),
        ),
    )
    assert answer.status_code == 200, answer.text
    return {"message_id": answer.json()["data"]["id"]}


def _in_a_week() -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d")


async def _sms_mailing(http: httpx.AsyncClient) -> dict[str, str]:
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
    return {"message_id": str(answer.json()["result"]["message_id"])}


async def _sms_bulk(http: httpx.AsyncClient) -> dict[str, str]:
    answer = await http.post(
        f"{SMS}/sendBulkEmail",
        data={
            "token": SMS_TOKEN,
            "name": "Newsletter name",
            "sender_email": "from@test.com",
            "sender_name": "SENDER",
            "subject": "S",
            "message": "M",
            "delivery_list[0]": "email1@mail.com",
            "delivery_list[1]": "email2@mail.com",
            "delivery_list[2]": "email3@mail",
        },
    )
    return {"uuid": answer.json()["result"]["uuid"]}


async def _en_sent(http: httpx.AsyncClient) -> dict[str, str]:
    answer = await http.post(
        "/emsgnow/email",
        headers=EN_HEADERS,
        json=en_message(
            message=None,
            subject=None,
            templateId="gPVTbWpwQHXgg8KSZ6sX",
            clientId="23948729438slkdfjwkfjhsdfsdf",
            variables={"name": "Jane Doe", "time": "10:49pm"},
        ),
    )
    tracking_id = answer.json()["trackingId"]

    async def events() -> list[dict[str, Any]]:
        got = await http.get(f"/emsgnow/email/{tracking_id}/events", headers=EN_HEADERS)
        found: list[dict[str, Any]] = got.json()["events"]
        return found

    found = await wait_for(events, lambda e: len(e) >= 2)
    return {"tracking_id": tracking_id, "event_id": found[0]["id"]}


SETUPS = {
    "ma_delivered": _ma_delivered,
    "ma_scheduled": _ma_scheduled,
    "sms_mailing": _sms_mailing,
    "sms_bulk": _sms_bulk,
    "en_sent": _en_sent,
}


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str) and "{" in value and "}" in value:
        return value.format(**names) if value.startswith("{") else value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=[e.id for e in ALL_EXAMPLES])
async def test_documented_example_gets_the_documented_answer(
    http: httpx.AsyncClient, example: DocExample
) -> None:
    names = await SETUPS[example.setup](http) if example.setup else {}
    answer = await http.request(
        example.method,
        example.path.format(**names),
        headers=example.headers,
        json=example.json,
        data=_fill(example.form, names) if example.form is not None else None,
        params=_fill(example.query, names) if example.query is not None else None,
    )
    assert answer.status_code == example.status, answer.text
    matches(answer.json(), example.shape)


def test_every_documented_endpoint_has_an_example() -> None:
    endpoints = {(e.method, e.path.split("{")[0].rstrip("/")) for e in ALL_EXAMPLES}
    expected = {
        ("POST", "/emailmassivo/api/v1/external-mails/send"),
        ("POST", "/emailmassivo/api/v1/external-mails/send-by-template"),
        *(
            ("POST", f"/smsby/api/v2/{m}")
            for m in (
                "sendEmail",
                "sendEmailByList",
                "getEmailDeliveryList",
                "sendBulkEmail",
                "statusBulkEmail",
                "unsubscribeEmail",
                "subscribeEmail",
                "getEmailTemplates",
                "createSubscriberList",
                "importContacts",
            )
        ),
        ("POST", "/mailingapi/v1/messages/send"),
        ("POST", "/mailingapi/v1/messages/batch"),
        ("POST", "/mailingapi/v1/messages/analyze"),
        ("GET", "/mailingapi/v1/messages"),
        ("GET", "/mailingapi/v1/messages/scheduled"),
        ("DELETE", "/mailingapi/v1/messages"),
        ("POST", "/emsgnow/email"),
        ("GET", "/emsgnow/email"),
    }
    assert expected <= endpoints


async def test_the_documented_send_renders_template_data(http: httpx.AsyncClient) -> None:
    (example,) = [e for e in ALL_EXAMPLES if e.id == "mailingapi-send"]
    answer = await http.post(example.path, headers=example.headers, json=example.json)
    message_id = answer.json()["data"]["id"]

    async def listed() -> list[dict[str, Any]]:
        got = await http.get("/_sandbox/messages", params={"provider": "mailingapi"})
        messages: list[dict[str, Any]] = got.json()
        return messages

    (stored,) = await wait_for(listed, lambda m: len(m) == 1)
    assert stored["id"] == message_id
    assert stored["html"] == (
        "<h1>Order Shipped</h1><p>Hi John, your order #12345 is on the way!</p>"
    )
    assert stored["text"] == "Order Shipped\n\nHi John, your order #12345 is on the way!"
    assert stored["tags"] == ["transactional", "shipping"]
    assert stored["metadata"] == {"user_id": "usr_123", "order_id": "ord_456"}
