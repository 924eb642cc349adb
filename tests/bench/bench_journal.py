"""Benchmark of the journal: 100,000 messages and 1,000,000 events, then page and timeline times.

Run: ``.venv/bin/python tests/bench/bench_journal.py [--messages N] [--keep PATH]``. Not
collected by pytest. Targets: a filtered page of 200 messages < 50 ms, one timeline < 10 ms
(medians).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mailconsole.core.events import EventType
from mailconsole.store.codec import to_micros
from mailconsole.store.journal import (
    AccountRecord,
    Journal,
    MessageFilter,
    MessageRecord,
    MessageSort,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ACCOUNTS = ("acme", "minsk", "outboxa", "emsg")
PROVIDERS = ("mailingapi", "smsby", "mailingapi", "emsgnow")
LIFECYCLE = (
    EventType.QUEUED,
    EventType.DEFERRED,
    EventType.SENT,
    EventType.DELIVERED,
    EventType.OPENED,
    EventType.OPENED,
    EventType.CLICKED,
    EventType.OPENED,
    EventType.CLICKED,
    EventType.OPENED,
)
WORDS = ("order", "invoice", "welcome", "reset", "receipt", "newsletter", "заказ", "shipping")


def build(journal: Journal, messages: int, events_per_message: int, rng: random.Random) -> None:
    """Insert the messages through the journal and their events with one executemany."""
    for account, provider in zip(ACCOUNTS, PROVIDERS, strict=True):
        journal.add_account(AccountRecord(id=account, name=account.title(), provider=provider))
    records = []
    events: list[tuple[Any, ...]] = []
    for i in range(messages):
        slot = i % len(ACCOUNTS)
        created = T0 + timedelta(seconds=30 * i)
        bounced = rng.random() < 0.05
        kinds = list(LIFECYCLE[:events_per_message])
        if bounced:
            kinds = [EventType.QUEUED, EventType.SENT, EventType.BOUNCED][:events_per_message]
            kinds += [EventType.DEFERRED] * (events_per_message - len(kinds))
        message_id = f"{i:08d}-{rng.getrandbits(64):016x}"
        stamps = [to_micros(created + timedelta(seconds=5 * (n + 1))) for n in range(len(kinds))]
        records.append(
            MessageRecord(
                id=message_id,
                account_id=ACCOUNTS[slot],
                provider=PROVIDERS[slot],
                recipient=f"customer{i}@mail{i % 997}.example.com",
                subject=f"Your {rng.choice(WORDS)} #{i}",
                sender="shop@example.com",
                state=EventType.BOUNCED if bounced else kinds[-1],
                last_event=kinds[-1],
                created_at=created,
                last_event_at=created + timedelta(seconds=5 * len(kinds)),
                final=bounced,
            )
        )
        events += [
            (message_id, k.value, ts, f"ev-{i}-{n}", f"id:ev-{i}-{n}", '{"status":"x"}', ts)
            for n, (k, ts) in enumerate(zip(kinds, stamps, strict=True))
        ]
    journal.record_messages(records)
    with journal.transaction() as conn:
        conn.executemany(
            "INSERT INTO events (message_id, type, timestamp, provider_event_id, dedup_key, raw, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            events,
        )
    with journal.transaction() as conn:
        conn.execute("ANALYZE")


def median_ms(action: Callable[[], object], runs: int) -> tuple[float, object]:
    """The median wall time of ``action`` in milliseconds, and its last result."""
    times = []
    result: object = None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--events-per-message", type=int, default=10)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", type=Path, help="build the journal here and keep it")
    args = parser.parse_args()
    rng = random.Random(4)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.sqlite3"
        with Journal.open(path) as journal:
            start = time.perf_counter()
            build(journal, args.messages, args.events_per_message, rng)
            built = time.perf_counter() - start
            n_events = journal._query("SELECT count(*) FROM events")[0][0]
            print(f"built {args.messages:,} messages and {n_events:,} events in {built:.1f} s")
            print(f"file size {path.stat().st_size / 1e6:.0f} MB (+ WAL)")

            mid = journal.page_messages(limit=1, offset=args.messages // 2)[0]
            week = T0 + timedelta(seconds=30 * args.messages // 2)
            pages: list[tuple[str, Callable[[], object]]] = [
                ("first page, no filter", lambda: journal.page_messages(limit=200)),
                (
                    "account + state",
                    lambda: journal.page_messages(
                        MessageFilter(account_id="minsk", states=frozenset({EventType.OPENED}))
                    ),
                ),
                (
                    "state bounced (5%)",
                    lambda: journal.page_messages(
                        MessageFilter(states=frozenset({EventType.BOUNCED}))
                    ),
                ),
                (
                    "since/until one day",
                    lambda: journal.page_messages(
                        MessageFilter(since=week, until=week + timedelta(days=1))
                    ),
                ),
                (
                    "text, rare ('customer4242@')",
                    lambda: journal.page_messages(MessageFilter(text="customer4242@")),
                ),
                (
                    "text, common ('invoice')",
                    lambda: journal.page_messages(MessageFilter(text="invoice")),
                ),
                (
                    "text, non-ASCII ('ЗАКАЗ')",
                    lambda: journal.page_messages(MessageFilter(text="ЗАКАЗ")),
                ),
                (
                    "recipient 'mail7.' + account",
                    lambda: journal.page_messages(
                        MessageFilter(recipient="mail7.", account_id="acme")
                    ),
                ),
                (
                    "subject 'reset' + bounced",
                    lambda: journal.page_messages(
                        MessageFilter(subject="reset", states=frozenset({EventType.BOUNCED}))
                    ),
                ),
                ("keyset page after the middle row", lambda: journal.page_messages(after=mid)),
                (
                    "offset 50,000 (for comparison)",
                    lambda: journal.page_messages(offset=args.messages // 2),
                ),
                (
                    "sorted by recipient",
                    lambda: journal.page_messages(sort=MessageSort.RECIPIENT, descending=False),
                ),
            ]
            print(f"\npage of 200 (median of {args.runs} runs; target < 50 ms)")
            for label, action in pages:
                ms, rows = median_ms(action, args.runs)
                count = len(rows) if isinstance(rows, list) else 0
                print(f"  {label:<36} {ms:7.2f} ms  ({count} rows)")

            ids = [r[0] for r in journal._query("SELECT id FROM messages")]
            sample = rng.sample(ids, 200)
            times = []
            for message_id in sample:
                start = time.perf_counter()
                timeline = journal.timeline(message_id)
                times.append((time.perf_counter() - start) * 1000)
                assert len(timeline) == args.events_per_message
            print("\ntimeline of one message (200 random messages; target < 10 ms)")
            print(
                f"  median {statistics.median(times):.3f} ms, "
                f"p95 {sorted(times)[int(len(times) * 0.95)]:.3f} ms, max {max(times):.3f} ms"
            )
            ms, _ = median_ms(lambda: journal.messages_to_poll(T0, 100), args.runs)
            print(f"\nmessages_to_poll(limit=100): {ms:.2f} ms")


if __name__ == "__main__":
    main()
