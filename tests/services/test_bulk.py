"""Bulk sends against the real sandbox and a real journal: rows checked and reported by line,
one-transaction queueing, native batches, pause, resume, cancel, and resuming from the journal."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from outbox_support import (
    FAST_POLICY,
    SENDER,
    World,
    account_id,
    sandbox_messages,
    world,
)

from mailconsole.core.message import Address, Message
from mailconsole.core.validation import validate_address
from mailconsole.services.bulk import BulkService, address_problem, prepare_rows
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.csv_import import default_mapping, parse_csv_text
from mailconsole.services.facade_types import BulkProgress, RowStatus
from mailconsole.services.outbox import Outbox
from mailconsole.services.suppressions import SuppressionService
from mailconsole.store.journal import BulkState, OutboxState

__all__ = ["world"]

TEMPLATE = Message(
    sender=SENDER,
    to=(),
    subject="Your code, {{name}}",
    text="Hello {{name}}, your code is {{code}}.",
    idempotency_key="must-not-be-shared",
)

CSV = (
    "email;name;code\n"  # line 1
    "ann@test.com;Ann;A1\n"  # 2
    "not-an-address;Bad;B2\n"  # 3
    "cy@test.com;Cy;C3\n"  # 4
    "dee@test.com;Dee;\n"  # 5: code is empty -> the template leaves it without a value
    "eve@test.com;Eve;E5\n"  # 6: suppressed
    "fay@test.com;Fay;F6\n"  # 7
    "gus@test.com;Gus\n"  # 8: a field short
)


def rows_csv(count: int, start: int = 0) -> str:
    return "email,name,code\n" + "".join(
        f"r{i}@test.com,Reader {i},C{i}\n" for i in range(start, start + count)
    )


@pytest.mark.parametrize("provider", ["mailingapi", "smsby", "emsgnow", "emailmassivo"])
async def test_invalid_and_suppressed_rows_are_reported_and_nothing_else_is_lost(
    world: World, provider: str
) -> None:
    suppressions = SuppressionService(world.journal)
    await suppressions.add("eve@test.com", reason="asked us")
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    bulk = BulkService(world.journal, outbox, suppressions=suppressions)
    table = parse_csv_text(CSV)
    reports: list[BulkProgress] = []
    job = await bulk.start(
        account_id(provider), TEMPLATE, table, default_mapping(table), reports.append
    )
    final = await job.wait()

    rows = {r.line: r for p in reports for r in p.results}
    assert rows[3].status is RowStatus.INVALID and rows[3].detail.startswith("Line 3: ")
    assert "'not-an-address'" in rows[3].detail
    assert rows[5].status is RowStatus.INVALID and "code" in rows[5].detail
    assert rows[5].detail.startswith("Line 5: ")
    assert rows[6].status is RowStatus.SUPPRESSED and "asked us" in rows[6].detail
    assert rows[8].status is RowStatus.INVALID and "Line 8 has 2 fields" in rows[8].detail
    assert {line for line, r in rows.items() if r.status is RowStatus.SENT} == {2, 4, 7}
    assert all(rows[line].provider_message_id for line in (2, 4, 7))
    assert (final.total, final.sent, final.skipped, final.failed) == (7, 3, 4, 0)
    assert final.done == final.total and final.finished and not final.cancelled

    sent = await sandbox_messages(world.box, provider)
    assert Counter(to for m in sent for to in m["to"]) == {
        "ann@test.com": 1,
        "cy@test.com": 1,
        "fay@test.com": 1,
    }
    subjects = {m["to"][0]: m["subject"] for m in sent}
    assert subjects["cy@test.com"] == "Your code, Cy"
    record = world.journal.get_bulk(job.bulk_id)
    assert record.state is BulkState.FINISHED and record.skipped_rows == 4


def test_rows_get_their_own_reference_and_never_share_an_idempotency_key() -> None:
    table = parse_csv_text(rows_csv(3))
    prepared = prepare_rows(TEMPLATE, table, default_mapping(table))
    messages = [m for _, m in prepared.messages]
    assert len({m.client_reference for m in messages}) == 3
    assert {m.idempotency_key for m in messages} == {None}
    assert [m.text for m in messages][1] == "Hello Reader 1, your code is C1."
    assert [line for line, _ in prepared.messages] == [2, 3, 4]


class CountingTransport(httpx.AsyncHTTPTransport):
    """A real transport that counts requests by method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[f"{request.method} {request.url.path}"] += 1
        return await super().handle_async_request(request)


@pytest.mark.parametrize(
    ("provider", "endpoint", "requests"),
    [
        ("mailingapi", "POST /mailingapi/v1/messages/batch", 3),
        ("smsby", "POST /smsby/api/v2/sendBulkEmail", 3),
    ],
)
async def test_native_batches_are_used(
    world: World, provider: str, endpoint: str, requests: int
) -> None:
    transport = CountingTransport()
    clients = ClientRegistry(world.journal, transport=transport)
    try:
        outbox = Outbox(world.journal, clients, policy=FAST_POLICY)
        bulk = BulkService(world.journal, outbox, batch_size=50)
        table = parse_csv_text(rows_csv(120))
        job = await bulk.start(account_id(provider), TEMPLATE, table, default_mapping(table))
        assert (await job.wait()).sent == 120
    finally:
        await clients.aclose()
    assert transport.calls == {endpoint: requests}
    sent = await sandbox_messages(world.box, provider)
    assert len(sent) == 120 and len({m["to"][0] for m in sent}) == 120


async def test_enqueue_is_one_transaction(world: World) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    bulk = BulkService(world.journal, outbox)
    table = parse_csv_text(rows_csv(50))
    statements: list[str] = []
    world.journal._conn.set_trace_callback(statements.append)
    try:
        bulk_id, skipped = await bulk.create(
            account_id("mailingapi"), TEMPLATE, table, default_mapping(table)
        )
    finally:
        world.journal._conn.set_trace_callback(None)
    assert skipped == []
    assert world.journal.bulk_counts(bulk_id)[OutboxState.QUEUED] == 50
    # Every row's INSERT sits inside one BEGIN ... COMMIT.
    inserts = [i for i, sql in enumerate(statements) if sql.startswith("INSERT INTO outbox")]
    assert len(inserts) == 50
    begin = max(i for i, sql in enumerate(statements[: inserts[0]]) if sql.startswith("BEGIN"))
    commit = next(i for i, sql in enumerate(statements) if i > begin and sql == "COMMIT")
    assert begin < inserts[0] and inserts[-1] < commit


async def test_pause_resume_and_cancel(world: World) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    bulk = BulkService(world.journal, outbox)
    table = parse_csv_text(rows_csv(40))
    reports: list[BulkProgress] = []
    job = await bulk.start(
        account_id("emailmassivo"), TEMPLATE, table, default_mapping(table), reports.append
    )

    async def until(condition: object) -> None:
        for _ in range(400):
            if callable(condition) and condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("timed out")

    await until(lambda: reports and reports[-1].sent >= 3)
    job.pause()
    await asyncio.sleep(0.05)  # the request in flight finishes
    paused_at = len(await sandbox_messages(world.box, "emailmassivo"))
    assert world.journal.get_bulk(job.bulk_id).state is BulkState.PAUSED
    await asyncio.sleep(0.3)
    assert len(await sandbox_messages(world.box, "emailmassivo")) == paused_at
    assert reports[-1].paused

    job.resume()
    await until(lambda: reports[-1].sent >= paused_at + 3)
    final = await job.cancel()
    assert final.cancelled and not final.finished
    cancelled = [r for r in final.results if r.status is RowStatus.CANCELLED]
    assert final.sent + len(cancelled) == 40
    assert 0 < len(cancelled) < 40
    await asyncio.sleep(0.2)
    sent = await sandbox_messages(world.box, "emailmassivo")
    assert len(sent) == final.sent  # what was reported sent is what went out, and no more
    assert job.task is not None and job.task.done()


async def test_a_new_service_resumes_a_bulk_send_from_the_journal(world: World) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    first = BulkService(world.journal, outbox, batch_size=10)
    table = parse_csv_text(rows_csv(30))
    bulk_id, _ = await first.create(
        account_id("mailingapi"), TEMPLATE, table, default_mapping(table)
    )
    # Ten rows were claimed when the process died: they are in the journal as sending.
    with world.journal.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET state = 'sending' WHERE id IN "
            "(SELECT id FROM outbox WHERE bulk_id = ? ORDER BY line LIMIT 10)",
            (bulk_id,),
        )
    restarted = BulkService(world.journal, Outbox(world.journal, world.clients, policy=FAST_POLICY))
    assert await restarted.unfinished() == [bulk_id]
    final = await restarted.job(bulk_id).run()
    assert final.sent == 30 and final.finished
    sent = await sandbox_messages(world.box, "mailingapi")
    assert sorted(m["to"][0] for m in sent) == sorted(f"r{i}@test.com" for i in range(30))


@settings(max_examples=300, deadline=None)
@given(
    local=st.one_of(
        st.from_regex(r"[a-z0-9._+'-]{0,70}", fullmatch=True),
        st.text(max_size=20),
    ),
    domain=st.sampled_from(["example.com", "test.com", "bad_domain", "x", "ex--ample.com", ""]),
    name=st.sampled_from(["", "Ann", "Ann\nBcc: x@evil.com"]),
)
def test_fast_address_check_agrees_with_the_full_one(local: str, domain: str, name: str) -> None:
    address = Address(f"{local}@{domain}", name)
    fast = address_problem(address)
    full = validate_address(address, field="to")
    assert (fast is None) == (full is None)
