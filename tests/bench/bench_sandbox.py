"""Benchmark of the sandbox: ``.venv/bin/python tests/bench/bench_sandbox.py``.

(a) accepted MailingAPI sends per second at concurrency 50 (target >= 1,000/s), from this
process through one aiohttp ``ClientSession``, against ``python -m mailconsole.sandbox --port 0``
in its own process; bounded to ``--requests`` requests or ``--seconds`` seconds.
(b) resident memory (VmRSS) of the sandbox process after 100,000 stored messages sent as
MailingAPI batches of 1,000 (target < 300 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"Authorization": "Bearer sandbox-mailingapi"}


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mailconsole.sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if match is None:
        process.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return process, match.group(1)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def bench_sends(url: str, requests: int, seconds: float, concurrency: int) -> None:
    body = {
        "from": "hello@yourdomain.com",
        "to": "bench@example.com",
        "subject": "Benchmark {{n}}",
        "html": "<p>Hello {{n}}</p>",
        "template_data": {"n": "1"},
    }
    send_url = f"{url}/mailingapi/v1/messages/send"
    connector = aiohttp.TCPConnector(limit=concurrency)
    counter = iter(range(requests))
    ok = failed = 0
    deadline = time.perf_counter() + seconds

    async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as session:
        # warm up the connections
        for _ in range(200):
            async with session.post(send_url, json=body) as response:
                await response.read()

        async def worker() -> None:
            nonlocal ok, failed
            for _ in counter:
                if time.perf_counter() > deadline:
                    return
                async with session.post(send_url, json=body) as response:
                    await response.read()
                    if response.status == 200:
                        ok += 1
                    else:
                        failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    print(
        f"(a) sends: {ok} accepted, {failed} failed in {elapsed:.2f} s at concurrency "
        f"{concurrency}: {ok / elapsed:,.0f} accepted sends/s (target >= 1,000/s)"
    )


async def bench_memory(url: str, pid: int, total: int) -> None:
    batch_url = f"{url}/mailingapi/v1/messages/batch"
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        async with session.post(f"{url}/_sandbox/reset") as response:
            await response.read()
        before = rss_mb(pid)
        started = time.perf_counter()
        stored = 0
        for start in range(0, total, 1000):
            variables = {
                f"user{n}@example.com": {"name": f"User {n}", "code": f"C{n:06d}"}
                for n in range(start, min(start + 1000, total))
            }
            body = {
                "from": "hello@yourdomain.com",
                "subject": "Welcome, {{name}}!",
                "html": "<p>Hi {{name}}, your code is {{code}}.</p>",
                "recipient_variables": variables,
            }
            async with session.post(batch_url, json=body) as response:
                data = await response.json()
                stored += data["data"]["queued"]
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1.2)  # every message reaches ``sent`` one second after acceptance
        async with session.get(f"{url}/_sandbox/messages") as response:
            listed = len(await response.json())
    after = rss_mb(pid)
    print(
        f"(b) memory: {stored:,} messages stored in {elapsed:.1f} s "
        f"({stored / elapsed:,.0f}/s); RSS {before:.0f} MB before, {after:.0f} MB after "
        f"(target < 300 MB); /_sandbox/messages lists {listed:,}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    process, url = start_sandbox()
    try:
        await bench_sends(url, args.requests, args.seconds, args.concurrency)
        await bench_memory(url, process.pid, args.messages)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(30)
        print(f"sandbox exited with {code}")


if __name__ == "__main__":
    asyncio.run(main())
