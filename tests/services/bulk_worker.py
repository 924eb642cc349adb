"""A bulk send in its own process, for the kill-and-resume test (tests/services/
test_resume_after_kill.py), which SIGKILLs it half way and runs it again with ``--resume``.

    python tests/services/bulk_worker.py --journal J --sandbox-url URL --provider P \\
        --recipients 1000 [--batch-size 50] [--resume]

Without ``--resume`` it writes a CSV of ``--recipients`` rows (``r<i>@test.com``), queues the bulk
send in the journal and sends it; with ``--resume`` it does what the console does on start:
``Outbox.resume()``, then runs every unfinished bulk send from the journal. Each progress report
is printed as one JSON line; the last line is ``DONE <json>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

from mailconsole.core.message import Address, Message
from mailconsole.services.bulk import BulkService
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.csv_import import default_mapping, read_csv
from mailconsole.services.facade_types import BulkProgress
from mailconsole.services.outbox import Outbox
from mailconsole.services.retry import RetryPolicy
from mailconsole.store.journal import AccountRecord, Journal, UnknownRecord

#: Generous attempts with short waits: 20% of requests fail on purpose in the fault runs.
POLICY = RetryPolicy(attempts=15, initial=0.01, maximum=0.2)


def write_csv(path: Path, count: int) -> None:
    """``email;name;code`` rows for ``count`` recipients (semicolons, with a BOM)."""
    lines = ["email;name;code"]
    lines += [f"r{i}@test.com;Reader {i};C{i:04d}" for i in range(count)]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")


def ensure_account(journal: Journal, provider: str, url: str) -> str:
    """The sandbox account of ``provider`` (created on the first run)."""
    account_id = f"sandbox-{provider}"
    try:
        journal.get_account(account_id)
    except UnknownRecord:
        journal.add_account(
            AccountRecord(
                id=account_id,
                name="Sandbox",
                provider=provider,
                base_url=f"{url}/{provider}",
                is_sandbox=True,
            )
        )
    return account_id


def report(progress: BulkProgress, prefix: str = "") -> None:
    """Print one progress report as a JSON line (without the per-row results)."""
    data = asdict(progress)
    data["results"] = len(progress.results)
    print(prefix + json.dumps(data), flush=True)


async def main(args: argparse.Namespace) -> int:
    """Start or resume the bulk send; returns the exit status."""
    with Journal.open(args.journal) as journal:
        account_id = ensure_account(journal, args.provider, args.sandbox_url)
        clients = ClientRegistry(journal)
        try:
            outbox = Outbox(journal, clients, policy=POLICY)
            bulk = BulkService(journal, outbox, batch_size=args.batch_size)
            if args.resume:
                await outbox.resume()
                bulk_ids = await bulk.unfinished()
            else:
                csv_path = Path(args.journal).with_suffix(".csv")
                write_csv(csv_path, args.recipients)
                table = await asyncio.to_thread(read_csv, csv_path)
                template = Message(
                    sender=Address("console@example.com", "Console"),
                    to=(),
                    subject="Your code, {{name}}",
                    text="Hello {{name}}, your code is {{code}}.",
                )
                bulk_id, _ = await bulk.create(account_id, template, table, default_mapping(table))
                bulk_ids = [bulk_id]
            final: BulkProgress | None = None
            for bulk_id in bulk_ids:
                final = await bulk.job(bulk_id, report).run()
            if final is not None:
                report(final, "DONE ")
        finally:
            await clients.aclose()
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journal", required=True)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--provider", required=True)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--resume", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
