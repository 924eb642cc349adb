"""eMsgNow's rate limit: 120 sends per minute per key, with headers on every answer."""

from __future__ import annotations

import httpx
from sandbox_helpers import EN_HEADERS, en_message


async def test_the_121st_send_in_a_minute_is_429_with_headers(http: httpx.AsyncClient) -> None:
    remaining: list[int] = []
    for _ in range(120):
        answer = await http.post("/emsgnow/email", headers=EN_HEADERS, json=en_message())
        assert answer.status_code == 200
        assert answer.headers["X-RateLimit-Limit"] == "120"
        remaining.append(int(answer.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(119, -1, -1))
    limited = await http.post("/emsgnow/email", headers=EN_HEADERS, json=en_message())
    assert limited.status_code == 429
    assert limited.json() == {"error": "Rate limit exceeded"}
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert 50 <= int(limited.headers["X-RateLimit-Reset"]) <= 60
    other_key = await http.post("/emsgnow/email", headers={"x-api-key": "x"}, json=en_message())
    assert other_key.status_code == 403
    assert other_key.headers["X-RateLimit-Remaining"] == "119"
    lookup = await http.get("/emsgnow/email/none", headers=EN_HEADERS)
    assert lookup.status_code == 404
    assert lookup.headers["X-RateLimit-Remaining"] == "0"


async def test_the_window_is_per_key_and_counts_sends_only(http: httpx.AsyncClient) -> None:
    for _ in range(3):
        await http.get("/emsgnow/email/none", headers=EN_HEADERS)
    answer = await http.post("/emsgnow/email", headers=EN_HEADERS, json=en_message())
    assert answer.headers["X-RateLimit-Remaining"] == "119"


async def test_the_per_minute_budget_is_a_setting() -> None:
    from mailconsole.sandbox import Sandbox

    async with (
        Sandbox(port=0, emsgnow_rate_per_minute=3) as box,
        httpx.AsyncClient(base_url=box.url) as client,
    ):
        codes = [
            (await client.post("/emsgnow/email", headers=EN_HEADERS, json=en_message())).status_code
            for _ in range(4)
        ]
        last = await client.get("/emsgnow/email/none", headers=EN_HEADERS)
    assert codes == [200, 200, 200, 429]
    assert last.headers["X-RateLimit-Limit"] == "3"
