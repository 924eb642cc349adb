"""The /_sandbox endpoints: faults (errors, drops, rate limits, latency) and reset."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
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
    matches,
    sent_messages,
    wait_for,
)

from mailconsole.sandbox import Sandbox

SENDS: dict[str, dict[str, Any]] = {
    "emailmassivo": {"url": EM_SEND, "headers": EM_HEADERS, "json": {"mail": em_mail()}},
    "mailingapi": {"url": f"{MA}/send", "headers": MA_HEADERS, "json": ma_message()},
    "emsgnow": {"url": "/emsgnow/email", "headers": EN_HEADERS, "json": en_message()},
    "smsby": {
        "url": f"{SMS}/sendEmail",
        "data": {
            "token": SMS_TOKEN,
            "sender_email": "from@test.com",
            "subject": "S",
            "message": "M",
            "email": "a@x.by",
        },
    },
}

SHAPES: dict[str, Any] = {
    "emailmassivo": {"statusCode": 503, "message": str},
    "mailingapi": {"error": {"code": "service_unavailable", "message": str}},
    "emsgnow": {"error": str},
    "smsby": {"status": "ERROR", "error": str},
}


async def faults(http: httpx.AsyncClient, **settings: Any) -> httpx.Response:
    answer = await http.post("/_sandbox/faults", json=settings)
    assert answer.status_code == 200, answer.text
    return answer


@pytest.mark.parametrize("provider", list(SENDS))
async def test_error_rate_one_answers_the_status_in_the_provider_shape(
    http: httpx.AsyncClient, provider: str
) -> None:
    await faults(http, provider=provider, error_rate=1.0, status=503)
    answer = await http.post(**SENDS[provider])
    assert answer.status_code == 503
    matches(answer.json(), SHAPES[provider])
    await faults(http, provider=provider)
    cleared = await http.post(**SENDS[provider])
    assert cleared.status_code in (200, 201)
    await asyncio.sleep(0.1)
    assert len(await sent_messages(http, provider)) == 1


@pytest.mark.parametrize("provider", list(SENDS))
async def test_drop_after_accept_stores_the_message_but_drops_the_answer(
    http: httpx.AsyncClient, provider: str
) -> None:
    await faults(http, provider=provider, drop_after_accept=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(**SENDS[provider])
    (stored,) = await wait_for(lambda: sent_messages(http, provider), lambda m: len(m) == 1)
    assert stored["provider"] == provider


async def test_drop_after_accept_leaves_lookups_alone(http: httpx.AsyncClient) -> None:
    await faults(http, provider="mailingapi", drop_after_accept=True)
    listed = await http.get(MA, headers=MA_HEADERS)
    assert listed.status_code == 200


async def test_rate_limit_fault_answers_429_with_retry_after(http: httpx.AsyncClient) -> None:
    await faults(http, provider="mailingapi", rate_limit=2)
    answers = [await http.post(**SENDS["mailingapi"]) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "1"
    matches(answers[2].json(), {"error": {"code": "rate_limit_exceeded", "message": str}})
    await asyncio.sleep(1.05)
    assert (await http.post(**SENDS["mailingapi"])).status_code == 200


async def test_rate_limit_fault_in_smsby_shape(http: httpx.AsyncClient) -> None:
    await faults(http, provider="smsby", rate_limit=1)
    await http.post(**SENDS["smsby"])
    limited = await http.post(**SENDS["smsby"])
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    matches(limited.json(), {"status": "ERROR", "error": str})


async def test_latency_fault_delays_answers(http: httpx.AsyncClient) -> None:
    await faults(http, provider="emsgnow", latency_ms=200)
    started = time.monotonic()
    answer = await http.post(**SENDS["emsgnow"])
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.19


async def test_other_error_statuses(http: httpx.AsyncClient) -> None:
    await faults(http, provider="emailmassivo", error_rate=1, status=500)
    answer = await http.post(**SENDS["emailmassivo"])
    assert answer.json() == {"statusCode": 500, "message": "Internal server error"}


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "nope"},
        {"provider": "smsby", "error_rate": 2},
        {"provider": "smsby", "status": 200},
        {"provider": "smsby", "rate_limit": 0},
        {"provider": "smsby", "latency": 5},
        {"provider": "smsby", "drop_after_accept": "yes"},
        [1],
    ],
)
async def test_bad_fault_settings_are_400(http: httpx.AsyncClient, body: Any) -> None:
    answer = await http.post("/_sandbox/faults", json=body)
    assert answer.status_code == 400
    matches(answer.json(), {"error": str})


async def test_reset_forgets_messages_state_and_faults(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await http.post(**SENDS["mailingapi"])
    created = await http.post(
        f"{SMS}/createSubscriberList", params={"token": SMS_TOKEN, "name": "L"}
    )
    list_id = created.json()["result"]["list_id"]
    await http.post(EM_SEND, headers=EM_HEADERS, json={"idempotencyKey": "k", "mail": em_mail()})
    await faults(http, provider="emsgnow", error_rate=1)
    await wait_for(lambda: sent_messages(http), lambda m: len(m) == 2)
    answer = await http.post("/_sandbox/reset")
    assert answer.status_code == 200
    assert await sent_messages(http) == []
    assert sandbox.messages() == []
    assert (await http.post(**SENDS["emsgnow"])).status_code == 200
    again = await http.post(
        EM_SEND, headers=EM_HEADERS, json={"idempotencyKey": "k", "mail": em_mail()}
    )
    assert again.status_code == 201
    gone = await http.post(
        f"{SMS}/sendEmailByList",
        data={**SENDS["smsby"]["data"], "list_id": str(list_id)},
    )
    assert gone.status_code == 404
    seeded = await http.post(
        f"{SMS}/sendEmailByList", data={**SENDS["smsby"]["data"], "list_id": "1"}
    )
    assert seeded.json()["result"]["count_emails"] == 3
    assert (await http.get("/_sandbox/faults")).json() == {}
