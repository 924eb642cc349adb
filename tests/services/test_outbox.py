"""The outbox against the real sandbox over loopback and a real journal file: the state machine,
safe retries, lost answers resolved per provider, resume after a crash, send-later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from outbox_support import (
    FAST_POLICY,
    PROVIDERS,
    World,
    account_id,
    plain_message,
    sandbox_messages,
    set_faults,
    world,
)

from mailconsole.core.events import EventType
from mailconsole.core.message import Address, Attachment, Message, TemplateRef
from mailconsole.services.clients import ClientRegistry
from mailconsole.services.outbox import Outbox
from mailconsole.services.retry import RetryPolicy
from mailconsole.services.suppressions import SuppressionService
from mailconsole.store.journal import MessageFilter, OutboxEntry, OutboxState

__all__ = ["world"]


def recipients_in(messages: list[dict[str, Any]], email: str) -> int:
    """How many sandbox messages went to ``email``."""
    return sum(1 for m in messages if email in m["to"])


def states(log: list[OutboxEntry]) -> list[str]:
    return [e.state.value for e in log]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_send_walks_the_state_machine_and_records_messages(
    world: World, provider: str
) -> None:
    log: list[OutboxEntry] = []
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY, listener=log.append)
    delivery = await outbox.send(account_id(provider), plain_message("ann@test.com"))

    assert states(log) == ["queued", "sending", "accepted"]
    assert delivery.state is OutboxState.ACCEPTED
    assert delivery.entry.provider_message_id
    [record] = world.journal.page_messages(MessageFilter(outbox_id=delivery.entry.id))
    assert record.recipient == "ann@test.com"
    assert record.provider_message_id
    assert record.state is EventType.QUEUED
    assert [e.type for e in world.journal.timeline(record.id)] == [EventType.QUEUED]
    # EmailMassivo has no events: the journal is its only history, so it is never polled.
    assert (record.next_poll_at is None) == (provider == "emailmassivo")
    assert recipients_in(await sandbox_messages(world.box, provider), "ann@test.com") == 1


class JournalSpy(httpx.AsyncHTTPTransport):
    """A real transport that reads the outbox state of the entry being sent as each request
    leaves."""

    def __init__(self) -> None:
        super().__init__()
        self.outbox: Outbox | None = None
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.outbox is not None
        entries = self.outbox.journal.unfinished()
        self.seen.extend(e.state.value for e in entries)
        return await super().handle_async_request(request)


async def test_sending_is_committed_before_the_request_leaves(world: World) -> None:
    spy = JournalSpy()
    clients = ClientRegistry(world.journal, transport=spy)
    try:
        outbox = Outbox(world.journal, clients, policy=FAST_POLICY)
        spy.outbox = outbox
        delivery = await outbox.send(account_id("mailingapi"), plain_message("bo@test.com"))
    finally:
        await clients.aclose()
    assert delivery.state is OutboxState.ACCEPTED
    assert spy.seen == ["sending"]


@pytest.mark.parametrize(
    ("provider", "faults"),
    [
        ("mailingapi", {"error_rate": 0.6, "status": 503}),
        ("emsgnow", {"error_rate": 0.6, "status": 503}),
        ("emailmassivo", {"error_rate": 0.6, "status": 503}),
        ("smsby", {"error_rate": 0.6, "status": 503}),
        ("mailingapi", {"error_rate": 0.6, "status": 429}),
    ],
)
async def test_retryable_errors_are_retried_without_duplicates(
    world: World, provider: str, faults: dict[str, Any]
) -> None:
    await set_faults(world.box, provider=provider, **faults)
    outbox = Outbox(world.journal, world.clients, policy=RetryPolicy(attempts=30, initial=0.002))
    emails = [f"r{i}@test.com" for i in range(8)]
    for email in emails:
        delivery = await outbox.send(account_id(provider), plain_message(email))
        assert delivery.state is OutboxState.ACCEPTED, delivery.entry.last_error
    await set_faults(world.box, provider=provider)
    sent = await sandbox_messages(world.box, provider)
    assert [recipients_in(sent, e) for e in emails] == [1] * len(emails)


async def test_retries_are_bounded_and_keep_the_last_error(world: World) -> None:
    await set_faults(world.box, provider="mailingapi", error_rate=1.0, status=503)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(attempts=4, initial=1.0, maximum=8.0, rng=lambda: 1.0)
    outbox = Outbox(world.journal, world.clients, policy=policy, sleep=sleep)
    delivery = await outbox.send(account_id("mailingapi"), plain_message("cy@test.com"))
    assert delivery.state is OutboxState.REJECTED
    assert delivery.entry.last_error is not None
    assert delivery.entry.last_error.startswith("mailingapi: Gave up after 4 attempts")
    assert waits == [1.0, 2.0, 4.0]  # exponential, three waits between four attempts


def test_retry_after_is_honoured() -> None:
    from mailconsole.core.errors import RateLimited

    policy = RetryPolicy(initial=0.1, rng=lambda: 0.5)
    assert policy.delay(1, RateLimited("slow down", retry_after=7.0)) == 7.0
    assert policy.delay(1, RateLimited("slow down")) == pytest.approx(0.05)
    assert policy.delay(30) <= policy.maximum


async def test_non_retryable_errors_surface_at_once_with_the_providers_words(
    world: World,
) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    message = Message(
        sender=Address("me@unverified.org"), to=(Address("dee@test.com"),), subject="S", text="T"
    )
    delivery = await outbox.send(account_id("mailingapi"), message)
    assert delivery.state is OutboxState.REJECTED
    assert delivery.error is not None and delivery.error.code == "domain_not_verified"
    assert delivery.entry.attempts == 0  # one request, no retry (deliver counts no attempts)
    assert delivery.entry.last_error == str(delivery.error)


async def test_recipient_refusal_is_recorded_and_suppressed(world: World) -> None:
    suppressions = SuppressionService(world.journal)
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY, suppressions=suppressions)
    delivery = await outbox.send(account_id("emailmassivo"), plain_message("nobody@test.com"))
    assert delivery.state is OutboxState.REJECTED
    [record] = world.journal.page_messages(MessageFilter(outbox_id=delivery.entry.id))
    assert record.state is EventType.REJECTED
    assert await suppressions.is_suppressed("nobody@test.com", account_id("emailmassivo"))


@pytest.mark.parametrize("provider", ["mailingapi", "emsgnow"])
async def test_lost_answer_is_resolved_by_lookup(world: World, provider: str) -> None:
    await set_faults(world.box, provider=provider, drop_after_accept=True)
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    delivery = await outbox.send(account_id(provider), plain_message("eve@test.com"))
    assert delivery.state is OutboxState.ACCEPTED
    assert delivery.result is not None and delivery.result.duplicate  # found, not re-sent
    sent = await sandbox_messages(world.box, provider)
    assert recipients_in(sent, "eve@test.com") == 1
    assert sent[0]["id"] == delivery.entry.provider_message_id


async def test_lost_answer_at_emailmassivo_is_resent_with_the_same_key(world: World) -> None:
    await set_faults(world.box, provider="emailmassivo", drop_after_accept=True)
    outbox = Outbox(world.journal, world.clients, policy=RetryPolicy(attempts=3, initial=0.001))
    delivery = await outbox.send(account_id("emailmassivo"), plain_message("fay@test.com"))
    # Every answer is lost, so the outcome stays unknown, and the key kept it to one mail.
    assert delivery.state is OutboxState.UNKNOWN
    assert recipients_in(await sandbox_messages(world.box), "fay@test.com") == 1
    # The provider recovers: resuming sends again with the same key and learns the first uuid.
    await set_faults(world.box, provider="emailmassivo")
    [resumed] = await outbox.resume()
    assert resumed.state is OutboxState.ACCEPTED
    assert resumed.result is not None and resumed.result.duplicate
    sent = await sandbox_messages(world.box)
    assert recipients_in(sent, "fay@test.com") == 1
    assert sent[0]["id"] == resumed.entry.provider_message_id


async def test_lost_answer_at_smsby_stays_unknown_and_is_never_resent(world: World) -> None:
    await set_faults(world.box, provider="smsby", drop_after_accept=True)
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    delivery = await outbox.send(account_id("smsby"), plain_message("gus@test.com"))
    assert delivery.state is OutboxState.UNKNOWN
    assert "no way to check" in (delivery.entry.last_error or "")
    await set_faults(world.box, provider="smsby")
    [resumed] = await outbox.resume()
    assert resumed.state is OutboxState.UNKNOWN
    assert recipients_in(await sandbox_messages(world.box), "gus@test.com") == 1
    # The user decides: cancel it.
    cancelled = await outbox.cancel(delivery.entry.id)
    assert cancelled.state is OutboxState.CANCELLED


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("reached_provider", [False, True])
async def test_resume_after_a_crash_between_sending_and_the_answer(
    world: World, provider: str, reached_provider: bool
) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    message = plain_message("hal@test.com")
    entry = await outbox.enqueue(account_id(provider), message)
    world.journal.mark_sending(entry.id)  # committed, then the process died ...
    if reached_provider:  # ... after (or before) the request reached the provider
        client = await world.clients.client(account_id(provider))
        await client.send(message)

    [resumed] = await outbox.resume()

    sent = await sandbox_messages(world.box, provider)
    if provider == "smsby":
        assert resumed.state is OutboxState.UNKNOWN
        assert recipients_in(sent, "hal@test.com") == int(reached_provider)
    else:
        assert resumed.state is OutboxState.ACCEPTED
        assert recipients_in(sent, "hal@test.com") == 1
        assert resumed.entry.provider_message_id == sent[0]["id"]


async def test_message_round_trips_through_the_journal_with_attachments(world: World) -> None:
    message = Message(
        sender=Address("console@example.com", "Console"),
        to=(Address("ivy@test.com", "Ivy"), Address("jo@test.com")),
        subject="Invoice",
        html="<p>Hi</p>",
        text="Hi",
        cc=(Address("cc@test.com"),),
        headers={"X-Ref": "42"},
        attachments=(
            Attachment("invoice.pdf", b"%PDF-1.4\x00\xff binary", "application/pdf"),
            Attachment("logo.png", b"\x89PNG...", "image/png", content_id="logo"),
        ),
        tags=("billing",),
        metadata={"order": "42"},
        track_opens=False,
        send_at=datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC),
        template=TemplateRef("tmpl_welcome", {"name": "Ivy"}),
        idempotency_key="key-1",
    )
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    entry = await outbox.enqueue(account_id("mailingapi"), message)
    assert entry.message == message
    assert entry.idempotency_key == "key-1"
    assert world.journal.get_outbox(entry.id).message == message


async def test_resumed_send_carries_its_attachment(world: World) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    message = plain_message(
        "kim@test.com", attachments=(Attachment("a.txt", b"x" * 1234, "text/plain"),)
    )
    entry = await outbox.enqueue(account_id("mailingapi"), message)
    world.journal.mark_sending(entry.id)
    [resumed] = await outbox.resume()
    assert resumed.state is OutboxState.ACCEPTED
    [sent] = await sandbox_messages(world.box, "mailingapi")
    assert sent["attachments"] == [{"name": "a.txt", "size": 1234}]


async def test_emailmassivo_send_later_is_held_and_sent_when_due(world: World) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    now = datetime.now(UTC)
    message = plain_message("lou@test.com", send_at=now + timedelta(hours=1))
    delivery = await outbox.send(account_id("emailmassivo"), message)
    assert delivery.held_locally and delivery.state is OutboxState.QUEUED
    assert await outbox.send_due(now) == []
    assert await sandbox_messages(world.box, "emailmassivo") == []
    [sent] = await outbox.send_due(now + timedelta(hours=1, seconds=1))
    assert sent.state is OutboxState.ACCEPTED
    assert recipients_in(await sandbox_messages(world.box), "lou@test.com") == 1


async def test_cancel_a_queued_entry(world: World) -> None:
    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    later = datetime.now(UTC) + timedelta(hours=2)
    delivery = await outbox.send(
        account_id("emailmassivo"), plain_message("max@test.com", send_at=later)
    )
    cancelled = await outbox.cancel(delivery.entry.id)
    assert cancelled.state is OutboxState.CANCELLED
    assert await outbox.send_due(later + timedelta(minutes=1)) == []


@pytest.mark.parametrize("sweep", ["send_due", "resume"])
async def test_a_send_in_progress_is_left_alone_by_background_sweeps(
    world: World, sweep: str
) -> None:
    """The due-checker and a resume run beside the user's sends: an entry that a send has
    queued but not yet marked ``sending`` must not be taken (and perhaps sent twice)."""
    import asyncio

    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    queued, go_on = asyncio.Event(), asyncio.Event()
    deliver = outbox.deliver

    async def paused_deliver(entry_id: str, *, resend_lost: bool = True) -> Any:
        queued.set()
        await go_on.wait()
        return await deliver(entry_id, resend_lost=resend_lost)

    outbox.deliver = paused_deliver  # type: ignore[method-assign]
    message = plain_message("jane@example.org")
    send = asyncio.create_task(outbox.send(account_id("mailingapi"), message))
    await asyncio.wait_for(queued.wait(), 10)
    outbox.deliver = deliver  # type: ignore[method-assign]
    swept = await (outbox.send_due() if sweep == "send_due" else outbox.resume())
    assert swept == []
    go_on.set()
    delivery = await asyncio.wait_for(send, 10)
    assert delivery.state is OutboxState.ACCEPTED
    assert recipients_in(await sandbox_messages(world.box), "jane@example.org") == 1


async def test_a_lost_answer_then_a_refusal_ends_unknown_not_rejected(world: World) -> None:
    """The first request was accepted but its answer lost; the resend (same key) is then
    refused for another reason. The mail may have gone: ``rejected`` would invite the user to
    send it again, so the entry must end ``unknown``."""
    from mailconsole.core.errors import PaymentRequired, UnknownOutcome
    from mailconsole.providers import create

    calls: list[int] = []

    def flaky(provider: str, **settings: Any) -> Any:
        client = create(provider, **settings)
        real_send = client.send

        async def send(message: Message) -> Any:
            calls.append(1)
            if len(calls) == 1:
                await real_send(message)  # accepted by the sandbox...
                raise UnknownOutcome("connection dropped", provider=provider)  # ...answer lost
            raise PaymentRequired("Not enough resources on the user balance", provider=provider)

        client.send = send  # type: ignore[method-assign]
        return client

    clients = ClientRegistry(world.journal, factory=flaky)
    try:
        outbox = Outbox(world.journal, clients, policy=FAST_POLICY)
        delivery = await outbox.send(account_id("emailmassivo"), plain_message("ann@example.org"))
    finally:
        await clients.aclose()
    assert len(calls) == 2
    assert delivery.state is OutboxState.UNKNOWN
    assert "connection dropped" in (delivery.entry.last_error or "")
    assert recipients_in(await sandbox_messages(world.box), "ann@example.org") == 1


async def test_the_lookup_window_starts_before_the_first_request(world: World) -> None:
    """An entry marked unknown long after its send must still find the message: the lookup
    looks from the entry's creation, not from its last change."""
    from mailconsole.providers import create

    outbox = Outbox(world.journal, world.clients, policy=FAST_POLICY)
    message = plain_message("leo@example.org")
    entry = await outbox.enqueue(account_id("mailingapi"), message)
    world.journal.mark_sending(entry.id)
    async with create(
        "mailingapi", api_key="sandbox-mailingapi", base_url=world.box.base_url("mailingapi")
    ) as client:
        await client.send(message)  # accepted; pretend the answer was lost
    world.journal.mark_unknown(entry.id, "no answer")
    later = datetime.now(UTC) + timedelta(minutes=10)
    with world.journal.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET updated_at = ? WHERE id = ?",
            (int(later.timestamp() * 1_000_000), entry.id),
        )
    resolved = await outbox.resolve(world.journal.get_outbox(entry.id))
    assert resolved.state is OutboxState.ACCEPTED
    assert recipients_in(await sandbox_messages(world.box), "leo@example.org") == 1
