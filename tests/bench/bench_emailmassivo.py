"""Benchmark: sustained EmailMassivo send rate through one paced client, and the 429s it drew.

    .venv/bin/python tests/bench/bench_emailmassivo.py [--seconds 30] [--tasks 20]

Starts the sandbox in a separate process (``python -m mailconsole.sandbox --port 0``, reading
the URL it prints), then sends from ``--tasks`` concurrent tasks through one
``EmailMassivoClient`` for ``--seconds``. The provider allows 10 requests per second in a
sliding window; the target is at least 9.5 accepted sends per second and no 429.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from mailconsole.core.errors import ProviderError, RateLimited
from mailconsole.core.message import Address, Message
from mailconsole.providers.emailmassivo import EmailMassivoClient

URL_PATTERN = re.compile(r"http://[\w.\-\[\]:]+:\d+")
TARGET_PER_SECOND = 9.5


@dataclass
class Tally:
    """What the senders saw."""

    accepted: int = 0
    rate_limited: int = 0
    other_errors: Counter[str] = field(default_factory=Counter)


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    """The sandbox process and its base URL (the first URL it prints)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mailconsole.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = URL_PATTERN.search(line)
        if found:
            return process, found.group(0).rstrip("/")
    process.terminate()
    raise SystemExit("the sandbox did not print its URL")


async def sender(client: EmailMassivoClient, number: int, stop_at: float, tally: Tally) -> None:
    """Send until ``stop_at``, each message with its own idempotency key."""
    count = 0
    while time.monotonic() < stop_at:
        count += 1
        message = Message(
            sender=Address("bench@example.com"),
            to=[Address(f"bench{number}@x.com")],
            subject=f"Bench {number}-{count}",
            text="benchmark",
            idempotency_key=f"bench-{number}-{count}-{time.time_ns()}",
        )
        try:
            result = await client.send(message)
        except RateLimited:
            tally.rate_limited += 1
        except ProviderError as error:
            tally.other_errors[f"{type(error).__name__}: {error.message}"] += 1
        else:
            tally.accepted += result.accepted


async def run(base_url: str, seconds: float, tasks: int) -> Tally:
    tally = Tally()
    async with EmailMassivoClient(
        api_key="sandbox-emailmassivo", base_url=f"{base_url}/emailmassivo"
    ) as client:
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(sender(client, n, stop_at, tally) for n in range(tasks)))
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tasks", type=int, default=20)
    args = parser.parse_args()
    process, base_url = start_sandbox()
    try:
        started = time.monotonic()
        tally = asyncio.run(run(base_url, args.seconds, args.tasks))
        elapsed = time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
    rate = tally.accepted / elapsed
    print(f"sandbox: {base_url}; {args.tasks} tasks for {elapsed:.1f} s")
    print(f"accepted sends: {tally.accepted} ({rate:.2f}/s, target >= {TARGET_PER_SECOND}/s)")
    print(f"429 answers: {tally.rate_limited}")
    for text, count in tally.other_errors.most_common():
        print(f"other error x{count}: {text}")
    ok = rate >= TARGET_PER_SECOND and tally.rate_limited == 0 and not tally.other_errors
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
