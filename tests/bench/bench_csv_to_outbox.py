"""Benchmark: a 10,000-row recipients CSV to queued outbox entries (issue #4: under 2 s).

Run: ``.venv/bin/python tests/bench/bench_csv_to_outbox.py [--rows N] [--repeat R]``. Not
collected by pytest. Measures what Start does before the first request: read and parse the CSV,
personalise every row (strict templates, address syntax), check suppressions, and queue every
valid row in one journal transaction. Prints each phase and the total (best of ``--repeat``).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from mailconsole.core.message import Address, Message
from mailconsole.services.bulk import BulkService
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.csv_import import default_mapping, read_csv
from mailconsole.services.outbox import Outbox
from mailconsole.services.suppressions import SuppressionService
from mailconsole.store.journal import AccountRecord, Journal, OutboxState

TARGET_SECONDS = 2.0

TEMPLATE = Message(
    sender=Address("news@example.com", "Example News"),
    to=(),
    subject="{{name}}, your order {{order}} has shipped",
    html="<p>Hello {{name}},</p><p>Order <b>{{order}}</b> ships to {{city}}.</p>",
    text="Hello {{name}}, order {{order}} ships to {{city}}.",
)


def write_csv(path: Path, rows: int) -> None:
    """``email;name;order;city`` rows with a BOM, 1 in 500 addresses malformed."""
    lines = ["email;name;order;city"]
    for i in range(rows):
        email = f"reader{i}@example.com" if i % 500 else f"reader{i}-at-example.com"
        lines.append(f"{email};Reader {i};A-{i:06d};Minsk")
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")


async def run_once(rows: int) -> dict[str, float]:
    """One measured run in a fresh journal; returns seconds per phase."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "recipients.csv"
        write_csv(csv_path, rows)
        with Journal.open(folder / "journal.sqlite3") as journal:
            journal.add_account(
                AccountRecord(id="acct", name="Bench", provider="mailingapi", base_url="http://x")
            )
            suppressions = SuppressionService(journal)
            for i in range(1, rows, 1000):
                await suppressions.add(f"reader{i}@example.com", reason="bench")
            clients = ClientRegistry(journal)
            try:
                bulk = BulkService(journal, Outbox(journal, clients), suppressions=suppressions)
                t0 = time.perf_counter()
                table = await asyncio.to_thread(read_csv, csv_path)
                t1 = time.perf_counter()
                bulk_id, skipped = await bulk.create(
                    "acct", TEMPLATE, table, default_mapping(table)
                )
                t2 = time.perf_counter()
            finally:
                await clients.aclose()
            queued = journal.bulk_counts(bulk_id)[OutboxState.QUEUED]
            assert queued + len(skipped) == rows, (queued, len(skipped))
    return {"read_csv": t1 - t0, "prepare_and_enqueue": t2 - t1, "total": t2 - t0}


def main() -> None:
    """Run the benchmark and print the phases of the best run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [asyncio.run(run_once(args.rows)) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["total"])
    for phase, seconds in best.items():
        print(f"{phase:>22}: {seconds * 1000:8.1f} ms")
    verdict = "OK" if best["total"] < TARGET_SECONDS else "TOO SLOW"
    print(f"{args.rows} rows CSV -> queued outbox: {best['total']:.2f} s (target < 2 s) {verdict}")


if __name__ == "__main__":
    main()
