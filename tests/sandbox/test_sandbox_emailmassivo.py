"""EmailMassivo idempotency (keyed and keyless) and its per-address rate limit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sandbox_helpers import EM_HEADERS, EM_SEND, EM_TEMPLATE, em_mail, sent_messages, wait_for


async def send(
    http: httpx.AsyncClient, body: dict[str, Any], path: str = EM_SEND
) -> httpx.Response:
    return await http.post(path, headers=EM_HEADERS, json=body)


async def all_sent(http: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    await asyncio.sleep(0.1)  # sent after 20 ms at the tests' time scale
    return await wait_for(lambda: sent_messages(http, "emailmassivo"), lambda m: len(m) >= count)


async def test_the_same_key_twice_is_one_mail_with_one_uuid(http: httpx.AsyncClient) -> None:
    body = {"idempotencyKey": "order-1", "mail": em_mail()}
    first = await send(http, body)
    second = await send(http, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == {"uuid": first.json()["uuid"]}
    assert second.json()["uuid"] == first.json()["uuid"]
    changed = await send(http, {"idempotencyKey": "order-1", "mail": em_mail(subject="Other")})
    assert changed.status_code == 200
    assert changed.json()["uuid"] == first.json()["uuid"]
    assert len(await all_sent(http, 1)) == 1


async def test_different_keys_make_different_mails(http: httpx.AsyncClient) -> None:
    first = await send(http, {"idempotencyKey": "a", "mail": em_mail()})
    second = await send(http, {"idempotencyKey": "b", "mail": em_mail()})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["uuid"] != second.json()["uuid"]
    assert len(await all_sent(http, 2)) == 2


async def test_identical_keyless_requests_within_the_hour_are_one_mail(
    http: httpx.AsyncClient,
) -> None:
    body = {"mail": em_mail(text="plain", attachments=[{"a.txt": "aGk="}])}
    first = await send(http, body)
    second = await send(http, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["uuid"] == first.json()["uuid"]
    assert first.json()["warning"].startswith("idempotencyKey was not provided; ")
    assert second.json()["warning"] == first.json()["warning"]
    assert len(await all_sent(http, 1)) == 1


async def test_keyless_requests_differing_in_any_compared_field_are_two_mails(
    http: httpx.AsyncClient,
) -> None:
    base = em_mail(text="plain", attachments=[{"a.txt": "aGk="}])
    variants = [
        {**base, "subject": "Other"},
        {**base, "html": "<p>Other</p>"},
        {**base, "text": "other"},
        {**base, "attachments": [{"a.txt": "aGo="}]},
        {**base, "attachments": [{"b.txt": "aGk="}]},
        {**base, "to": {"email": "other@example.com"}},
        {**base, "from": {"email": "other@example.com"}},
    ]
    assert (await send(http, {"mail": base})).status_code == 201
    for variant in variants:
        assert (await send(http, {"mail": variant})).status_code == 201, variant
    await asyncio.sleep(1.0)  # the rate limit: ten per second
    assert len(await all_sent(http, 8)) == 8


async def test_keyless_template_sends_compare_template_and_params(
    http: httpx.AsyncClient,
) -> None:
    mail = em_mail(html=None, idTemplateMailUser=1, params={"name": "Ann", "code": "1"})
    first = await send(http, {"mail": mail}, EM_TEMPLATE)
    again = await send(http, {"mail": mail}, EM_TEMPLATE)
    other = await send(http, {"mail": {**mail, "params": {"name": "Bob"}}}, EM_TEMPLATE)
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    stored = await all_sent(http, 2)
    assert {m["html"] for m in stored} == {
        "<p>Hello Ann, your code is 1.</p>",
        "<p>Hello Bob, your code is .</p>",
    }


async def test_keyed_and_keyless_requests_are_never_matched(http: httpx.AsyncClient) -> None:
    keyless = await send(http, {"mail": em_mail()})
    keyed = await send(http, {"idempotencyKey": "k", "mail": em_mail()})
    keyless_again = await send(http, {"mail": em_mail()})
    assert (keyless.status_code, keyed.status_code, keyless_again.status_code) == (201, 201, 200)
    assert keyed.json()["uuid"] != keyless.json()["uuid"]
    assert keyless_again.json()["uuid"] == keyless.json()["uuid"]


async def test_a_refused_request_uses_up_nothing(http: httpx.AsyncClient) -> None:
    refused = await send(
        http, {"idempotencyKey": "k", "mail": em_mail(to={"email": "nobody@example.com"})}
    )
    assert refused.status_code == 422
    refused_keyless = await send(http, {"mail": em_mail(**{"from": {"email": "a@nope.org"}})})
    assert refused_keyless.status_code == 404
    accepted = await send(http, {"idempotencyKey": "k", "mail": em_mail()})
    assert accepted.status_code == 201
    assert len(await all_sent(http, 1)) == 1


async def test_the_eleventh_request_inside_one_second_is_429(http: httpx.AsyncClient) -> None:
    bodies = [{"idempotencyKey": f"r{i}", "mail": em_mail()} for i in range(10)]
    answers = await asyncio.gather(
        *(send(http, b, EM_SEND if i % 2 else EM_TEMPLATE) for i, b in enumerate(bodies))
    )
    assert all(a.status_code != 429 for a in answers)
    eleventh = await send(http, {"idempotencyKey": "r10", "mail": em_mail()})
    assert eleventh.status_code == 429
    assert eleventh.json() == {"statusCode": 429, "message": "Too Many Requests"}
    assert "X-RateLimit-Limit" not in eleventh.headers
    twelfth = await send(http, {"idempotencyKey": "r11", "mail": em_mail()})
    assert twelfth.status_code == 429
    await asyncio.sleep(1.05)  # refused requests did not count: the window is free again
    for i in range(10):
        fine = await send(http, {"idempotencyKey": f"s{i}", "mail": em_mail()})
        assert fine.status_code == 201, fine.text


async def test_the_rate_limit_is_checked_before_the_key(http: httpx.AsyncClient) -> None:
    for _ in range(10):
        await http.post(EM_SEND, headers={"X-Api-Key": "unknown"}, json={})
    answer = await http.post(EM_SEND, headers={"X-Api-Key": "unknown"}, json={})
    assert answer.status_code == 429
