"""The Scheduled tab's service against the real sandbox and a real journal: merged rows,
MailingAPI cancel, rows that cannot be cancelled, EmailMassivo's local send-later."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from outbox_support import (
    FAST_POLICY,
    World,
    account_id,
    plain_message,
    sandbox_messages,
    world,
)

from mailconsole.core.errors import UnsupportedFeature
from mailconsole.core.events import EventType
from mailconsole.services.outbox import Outbox
from mailconsole.services.schedules import HELD_LOCALLY, ScheduleService
from mailconsole.store.journal import OutboxState

__all__ = ["world"]


def service(world: World) -> ScheduleService:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    return ScheduleService(world.journal, world.clients, outbox)


async def test_mailingapi_rows_merge_and_cancel(world: World) -> None:
    schedules = service(world)
    tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    delivery = await schedules.outbox.send(
        account_id("mailingapi"), plain_message("sam@test.com", send_at=tomorrow)
    )
    assert delivery.state is OutboxState.ACCEPTED
    [message_id] = delivery.message_ids
    assert world.journal.get_message(message_id).state is EventType.SCHEDULED
    # One scheduled outside the console: only the provider's list knows it.
    client = await world.clients.client(account_id("mailingapi"))
    outside = await client.send(
        plain_message("tia@test.com", send_at=tomorrow + timedelta(hours=1))
    )
    outside_id = outside.provider_message_id

    rows = await schedules.rows()
    assert [r.id for r in rows] == [
        f"message:{message_id}",
        f"provider:{account_id('mailingapi')}:{outside_id}",
    ]  # the console's own appears once, though the provider lists it too
    mine, theirs = rows
    assert mine.send_at == tomorrow and mine.held_by == "provider" and mine.can_cancel
    assert theirs.recipient == "tia@test.com" and theirs.can_cancel

    await schedules.cancel(mine.id)
    record = world.journal.get_message(message_id)
    assert record.state is EventType.CANCELLED and record.final
    assert world.journal.get_outbox(delivery.entry.id).state is OutboxState.CANCELLED
    listed = await client.list_scheduled()
    assert [m.provider_message_id for m in listed] == [outside_id]

    await schedules.cancel(theirs.id)
    assert await client.list_scheduled() == []
    assert await schedules.rows() == []


@pytest.mark.parametrize("provider", ["emsgnow", "smsby"])
async def test_rows_that_cannot_be_cancelled_say_why(world: World, provider: str) -> None:
    schedules = service(world)
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    expire = start + timedelta(hours=3) if provider == "emsgnow" else None
    delivery = await schedules.outbox.send(
        account_id(provider), plain_message("una@test.com", send_at=start, expire_at=expire)
    )
    assert delivery.state is OutboxState.ACCEPTED, delivery.entry.last_error
    [row] = await schedules.rows()
    assert row.send_at == start and row.expire_at == expire
    assert not row.can_cancel
    assert "cannot cancel" in row.cancel_reason
    with pytest.raises(UnsupportedFeature, match="cannot cancel"):
        await schedules.cancel(row.id)


async def test_emailmassivo_send_later_is_held_and_sent_when_due(world: World) -> None:
    schedules = service(world)
    soon = datetime.now(UTC) + timedelta(seconds=0.4)
    later = datetime.now(UTC) + timedelta(hours=5)
    due = await schedules.outbox.send(
        account_id("emailmassivo"), plain_message("val@test.com", send_at=soon)
    )
    kept = await schedules.outbox.send(
        account_id("emailmassivo"), plain_message("wes@test.com", send_at=later)
    )
    assert due.held_locally and kept.held_locally

    rows = await schedules.rows()
    assert [r.id for r in rows] == [f"outbox:{due.entry.id}", f"outbox:{kept.entry.id}"]
    assert all(r.held_by == "console" and r.can_cancel for r in rows)
    assert rows[0].state == HELD_LOCALLY and "running" in HELD_LOCALLY

    await schedules.cancel(rows[1].id)
    assert world.journal.get_outbox(kept.entry.id).state is OutboxState.CANCELLED

    task = schedules.start(interval=0.05)
    assert task.get_name() == "send-later-due-checker"
    try:
        for _ in range(100):
            if world.journal.get_outbox(due.entry.id).state is OutboxState.ACCEPTED:
                break
            await asyncio.sleep(0.05)
    finally:
        await schedules.stop()
    entry = world.journal.get_outbox(due.entry.id)
    assert entry.state is OutboxState.ACCEPTED
    assert entry.updated_at >= soon  # not before its time
    sent = await sandbox_messages(world.box, "emailmassivo")
    assert [m["to"] for m in sent] == [["val@test.com"]]  # the cancelled one never left
    assert await schedules.rows() == []
