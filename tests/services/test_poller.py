"""The event poller against the real sandbox (lifecycles 100 times faster) and a real journal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from outbox_support import (
    FAST_POLICY,
    World,
    account_id,
    plain_message,
    world,
)

from mailconsole.core.events import EventType
from mailconsole.core.message import Address, Message
from mailconsole.services.bulk import BulkService
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.csv_import import default_mapping, parse_csv_text
from mailconsole.services.outbox import Outbox
from mailconsole.services.poller import EventPoller
from mailconsole.services.suppressions import SuppressionService
from mailconsole.store.journal import MessageFilter, MessageRecord

__all__ = ["world"]

LIFECYCLE = 0.15  # the whole sandbox lifecycle (7 s) at time scale 100, with a margin

#: (provider, address) → the final or last state the poller must reach.
EXPECTED = {
    ("mailingapi", "bounce@test.com"): EventType.BOUNCED,
    ("mailingapi", "complain@test.com"): EventType.COMPLAINED,
    ("mailingapi", "unsubscribed@test.com"): EventType.UNSUBSCRIBED,
    ("mailingapi", "reader@test.com"): EventType.CLICKED,
    ("smsby", "bounce@test.com"): EventType.BOUNCED,
    ("smsby", "complain@test.com"): EventType.COMPLAINED,
    ("smsby", "unsubscribed@test.com"): EventType.UNSUBSCRIBED,
    ("smsby", "reader@test.com"): EventType.CLICKED,
    ("emsgnow", "bounce@test.com"): EventType.BOUNCED,
    ("emsgnow", "complain@test.com"): EventType.DELIVERED,  # eMsgNow has no complaint status
    ("emsgnow", "reader@test.com"): EventType.OPENED,  # ... and no click
}


async def send_all(world: World, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Send one message per (provider, address); returns their journal message ids."""
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    ids = {}
    for provider, email in pairs:
        delivery = await outbox.send(account_id(provider), plain_message(email))
        [ids[(provider, email)]] = delivery.message_ids
    return ids


async def test_poller_reaches_final_states_and_feeds_suppressions(world: World) -> None:
    ids = await send_all(world, list(EXPECTED))
    await asyncio.sleep(LIFECYCLE)
    suppressions = SuppressionService(world.journal)
    seen: list[str] = []
    poller = EventPoller(
        world.journal,
        world.clients,
        suppressions=suppressions,
        listener=lambda record, events: seen.append(record.id),
    )
    now = datetime.now(UTC) + timedelta(seconds=6)
    report = await poller.poll_once(now)
    assert report.polled == len(EXPECTED) and report.errors == 0
    for key, expected in EXPECTED.items():
        record = world.journal.get_message(ids[key])
        assert record.state is expected, (key, world.journal.timeline(record.id))
        assert record.final == (
            expected in (EventType.BOUNCED, EventType.COMPLAINED, EventType.UNSUBSCRIBED)
        )
        assert record.final == (record.next_poll_at is None)
    assert set(seen) == set(ids.values())
    # A bounce suppresses the address everywhere; a complaint only for its account.
    bounce = await suppressions.is_suppressed("bounce@test.com", "any-account")
    assert bounce is not None and bounce.account_id is None
    assert await suppressions.is_suppressed("complain@test.com", account_id("mailingapi"))
    assert not await suppressions.is_suppressed("complain@test.com", account_id("emsgnow"))


async def test_idle_messages_back_off_and_stop_after_seven_days(world: World) -> None:
    ids = await send_all(world, [("mailingapi", "reader@test.com")])
    await asyncio.sleep(LIFECYCLE)
    poller = EventPoller(world.journal, world.clients, initial=5.0, maximum=20.0)
    message_id = ids[("mailingapi", "reader@test.com")]
    start = datetime.now(UTC) + timedelta(seconds=6)

    assert (await poller.poll_once(start)).new_events > 0
    intervals = [world.journal.get_message(message_id).poll_interval]
    moment = start
    for _ in range(4):
        record = world.journal.get_message(message_id)
        assert record.next_poll_at is not None
        assert (await poller.poll_once(record.next_poll_at - timedelta(seconds=1))).polled == 0
        moment = record.next_poll_at
        report = await poller.poll_once(moment)
        assert report.polled == 1 and report.new_events == 0
        intervals.append(world.journal.get_message(message_id).poll_interval)
    assert intervals == [5.0, 10.0, 20.0, 20.0, 20.0]  # doubling, capped at the maximum

    later = world.journal.get_message(message_id).created_at + timedelta(days=7, seconds=1)
    report = await poller.poll_once(later)
    assert report.retired == 1 and report.polled == 0
    assert world.journal.get_message(message_id).next_poll_at is None


async def test_emailmassivo_is_never_polled(world: World) -> None:
    ids = await send_all(world, [("emailmassivo", "bounce@test.com")])
    poller = EventPoller(world.journal, world.clients)
    report = await poller.poll_once(datetime.now(UTC) + timedelta(days=1))
    assert report.polled == 0
    record = world.journal.get_message(ids[("emailmassivo", "bounce@test.com")])
    assert record.state is EventType.QUEUED and record.next_poll_at is None


class CountingTransport(httpx.AsyncHTTPTransport):
    """A real transport that counts the requests per URL path."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


async def test_smsby_mailing_is_read_with_one_call(world: World) -> None:
    transport = CountingTransport()
    clients = ClientRegistry(world.journal, transport=transport)
    try:
        outbox = Outbox(world.journal, clients, policy=FAST_POLICY)
        table = parse_csv_text(
            "email,name\n"
            + "".join(f"p{i}@test.com,P{i}\n" for i in range(5))
            + "bounce@test.com,B\n"
        )
        template = Message(
            sender=Address("console@example.com"),
            to=(),
            subject="Hi {{name}}",
            text="Hello {{name}}",
        )
        bulk = BulkService(world.journal, outbox)
        job = await bulk.start(account_id("smsby"), template, table, default_mapping(table))
        assert (await job.wait()).sent == 6
        await asyncio.sleep(LIFECYCLE)
        transport.paths.clear()
        poller = EventPoller(world.journal, clients)
        report = await poller.poll_once(datetime.now(UTC) + timedelta(seconds=6))
    finally:
        await clients.aclose()
    assert report.polled == 6
    assert transport.paths == ["/smsby/api/v2/statusBulkEmail"]
    records = world.journal.page_messages(MessageFilter(account_id=account_id("smsby")))
    states = {r.recipient: r.state for r in records}
    assert states.pop("bounce@test.com") is EventType.BOUNCED
    assert set(states.values()) == {EventType.DELIVERED}


async def test_failed_polls_back_off(world: World) -> None:
    ids = await send_all(world, [("mailingapi", "reader@test.com")])
    from outbox_support import set_faults

    await set_faults(world.box, provider="mailingapi", error_rate=1.0, status=503)
    poller = EventPoller(world.journal, world.clients, initial=5.0)
    report = await poller.poll_once(datetime.now(UTC) + timedelta(seconds=6))
    assert report.errors == 1
    record: MessageRecord = world.journal.get_message(ids[("mailingapi", "reader@test.com")])
    assert record.poll_interval == 10.0 and record.state is EventType.QUEUED


async def test_start_and_stop_the_polling_task(world: World) -> None:
    ids = await send_all(world, [("emsgnow", "bounce@test.com")])
    await asyncio.sleep(LIFECYCLE)
    poller = EventPoller(
        world.journal,
        world.clients,
        clock=lambda: datetime.now(UTC) + timedelta(minutes=1),
        tick=0.01,
    )
    task = poller.start()
    assert poller.running and task.get_name() == "event-poller"
    message_id = ids[("emsgnow", "bounce@test.com")]
    for _ in range(200):
        if world.journal.get_message(message_id).final:
            break
        await asyncio.sleep(0.01)
    await poller.stop()
    assert task.done() and not poller.running
    assert world.journal.get_message(message_id).state is EventType.BOUNCED


@pytest.mark.parametrize("interval", [None, 3.0, 1000.0, 5000.0])
def test_backoff_doubles_from_the_initial_interval_up_to_the_maximum(
    interval: float | None,
) -> None:
    poller = EventPoller.__new__(EventPoller)
    poller.initial, poller.maximum = 5.0, 1800.0
    record = MessageRecord(
        id="m",
        account_id="a",
        provider="mailingapi",
        recipient="x@test.com",
        poll_interval=interval,
    )
    expected = {None: 10.0, 3.0: 10.0, 1000.0: 1800.0, 5000.0: 1800.0}[interval]
    assert poller._backed_off(record) == expected
