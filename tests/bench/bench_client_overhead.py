"""Benchmark: the client's overhead over bare httpx, MailingAPI sends per second.

Starts its own sandbox in a subprocess (so the server does not share this process's CPU time
slice logic with the client), then sends the same JSON bodies at the same concurrency two ways:
through ``create("mailingapi", ...).send`` and through a bare ``httpx.AsyncClient`` posting them.
Prints both rates and their ratio (target >= 0.8). Each way runs several times, in alternating
order on a freshly reset sandbox, and the best run counts (the machine is shared). Run:
``.venv/bin/python tests/bench/bench_client_overhead.py [--sends 3000] [--concurrency 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from mailconsole.core.message import Address, Message
from mailconsole.providers import create
from mailconsole.providers.mailingapi import message_body
from mailconsole.sandbox import SANDBOX_KEYS

KEY = SANDBOX_KEYS["mailingapi"]
TARGET = 0.8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sandbox(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mailconsole.sandbox", "--port", str(port), "--time-scale", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sandbox/messages", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("sandbox did not start")


def messages(count: int) -> list[Message]:
    return [
        Message(
            sender=Address("hello@example.com", "Shop"),
            to=[Address(f"user{i}@example.com", f"User {i}")],
            subject="Your order {{order}}",
            html="<p>Order {{order}} has shipped.</p>",
            text="Order {{order}} has shipped.",
            metadata={"order": str(i)},
        )
        for i in range(count)
    ]


async def run_tasks(
    send: Callable[[Message], Awaitable[object]], batch: list[Message], n: int
) -> float:
    """Send ``batch`` with ``n`` concurrent workers; returns sends per second."""
    queue = iter(batch)

    async def worker() -> None:
        for msg in queue:
            await send(msg)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(n)))
    return len(batch) / (time.perf_counter() - started)


async def through_client(base_url: str, batch: list[Message], n: int) -> float:
    async with create("mailingapi", api_key=KEY, base_url=base_url) as client:
        return await run_tasks(client.send, batch, n)


async def through_httpx(base_url: str, batch: list[Message], n: int) -> float:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:

        async def send(msg: Message) -> object:
            response = await http.post("/v1/messages/send", json=message_body(msg))
            response.raise_for_status()
            return response.json()

        return await run_tasks(send, batch, n)


MOCK_ANSWER = (
    b'{"data": {"id": "550e8400-e29b-41d4-a716-446655440000", "from": "hello@example.com",'
    b' "to": "user@example.com", "subject": "s", "status": "queued", "metadata": {},'
    b' "created_at": "2024-01-15T10:30:00.123Z"}}'
)


def mock_transport() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=MOCK_ANSWER))


async def cpu_only(sends: int, concurrency: int) -> tuple[float, float]:
    """Both ways over an in-process transport: the client's own CPU cost, free of network and
    server noise (the machine is shared)."""
    batch = messages(sends)
    async with create(
        "mailingapi", api_key=KEY, base_url="http://mock/mailingapi", transport=mock_transport()
    ) as client:
        ours = await run_tasks(client.send, batch, concurrency)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(
        base_url="http://mock/mailingapi", headers=headers, transport=mock_transport()
    ) as http:

        async def send(msg: Message) -> object:
            response = await http.post("/v1/messages/send", json=message_body(msg))
            response.raise_for_status()
            return response.json()

        bare = await run_tasks(send, batch, concurrency)
    return bare, ours


async def reset(base_url: str) -> None:
    """Forget every stored message, so each run meets the same sandbox."""
    root = base_url.rsplit("/", 1)[0]
    async with httpx.AsyncClient() as http:
        (await http.post(f"{root}/_sandbox/reset")).raise_for_status()


async def main_async(base_url: str, sends: int, concurrency: int, rounds: int) -> float:
    await through_httpx(base_url, messages(200), concurrency)  # warm up both paths
    await through_client(base_url, messages(200), concurrency)
    ways = {"bare": through_httpx, "ours": through_client}
    rates: dict[str, list[float]] = {"bare": [], "ours": []}
    for round_number in range(rounds):
        order = ["bare", "ours"] if round_number % 2 == 0 else ["ours", "bare"]
        for name in order:
            await reset(base_url)
            rates[name].append(await ways[name](base_url, messages(sends), concurrency))
    bare, ours = max(rates["bare"]), max(rates["ours"])
    ratio = ours / bare
    print(
        f"sends each way: {sends} per run, {rounds} runs (order alternating), "
        f"concurrency {concurrency}; best run counts"
    )
    for label, name, best in (("bare httpx:", "bare", bare), ("client.send:", "ours", ours)):
        runs = ", ".join(f"{r:.0f}" for r in rates[name])
        print(f"{label:<15} {best:7.0f} sends/s  (runs: {runs})")
    print(f"ratio:          {ratio:.2f}  (target >= {TARGET})")
    mock_bare, mock_ours = await cpu_only(sends, concurrency)
    print(
        f"in-process (no network): bare {mock_bare:.0f}/s, client {mock_ours:.0f}/s, "
        f"ratio {mock_ours / mock_bare:.2f}"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    port = free_port()
    sandbox = start_sandbox(port)
    try:
        ratio = asyncio.run(
            main_async(
                f"http://127.0.0.1:{port}/mailingapi", args.sends, args.concurrency, args.rounds
            )
        )
    finally:
        os.kill(sandbox.pid, signal.SIGTERM)
        sandbox.wait(timeout=30)
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
