"""Benchmark: 10,000 personalised MailingAPI messages through ``send_bulk``.

Starts its own sandbox in a background thread, sends one bulk of 10,000 rows through
``create("mailingapi", ...)`` and prints the number of HTTP requests that went out (must be 10:
chunks of 1,000) and the wall time. Run: ``.venv/bin/python tests/bench/bench_mailingapi_batch.py``.
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx

from mailconsole.core.message import Address, BulkRow, BulkSend, Message, OutcomeStatus
from mailconsole.providers import create
from mailconsole.sandbox import SANDBOX_KEYS
from mailconsole.sandbox.server import SandboxThread

ROWS = 10_000
EXPECTED_REQUESTS = 10


class CountingTransport(httpx.AsyncHTTPTransport):
    """An ordinary transport that counts the requests it sends, by path."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


async def run(base_url: str) -> int:
    template = Message(
        sender=Address("hello@example.com", "Shop"),
        to=[],
        subject="Welcome, {{name}}!",
        html="<p>Hi {{name}}, your code is {{code}}.</p>",
        text="Hi {{name}}, your code is {{code}}.",
    )
    rows = [
        BulkRow(
            Address(f"user{i}@example.com", f"User {i}"), {"name": f"User {i}", "code": f"C{i}"}
        )
        for i in range(ROWS)
    ]
    transport = CountingTransport()
    async with create(
        "mailingapi", api_key=SANDBOX_KEYS["mailingapi"], base_url=base_url, transport=transport
    ) as client:
        started = time.perf_counter()
        result = await client.send_bulk(BulkSend(template=template, rows=rows))
        elapsed = time.perf_counter() - started
    accepted = sum(1 for o in result.outcomes if o.status is OutcomeStatus.ACCEPTED)
    print(f"rows:           {ROWS}")
    print(f"HTTP requests:  {len(transport.paths)} ({', '.join(sorted(set(transport.paths)))})")
    print(f"accepted:       {accepted}")
    print(f"wall time:      {elapsed:.2f} s ({ROWS / elapsed:,.0f} messages/s)")
    ok = len(transport.paths) == EXPECTED_REQUESTS and accepted == ROWS
    print("OK" if ok else f"FAIL: expected {EXPECTED_REQUESTS} requests and {ROWS} accepted")
    return 0 if ok else 1


def main() -> int:
    with SandboxThread(host="127.0.0.1", port=0, time_scale=1.0) as box:
        return asyncio.run(run(box.base_url("mailingapi")))


if __name__ == "__main__":
    sys.exit(main())
