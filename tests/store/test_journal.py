"""The journal on a real SQLite file: accounts, drafts, outbox, messages, events, paging."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconsole.core.events import Event, EventType, derive_state
from mailconsole.core.message import Address, Attachment, Message, TemplateRef
from mailconsole.store import journal as journal_module
from mailconsole.store.codec import MESSAGE_FIELDS, decode_message, encode_message
from mailconsole.store.journal import (
    AccountRecord,
    BulkSendRecord,
    BulkState,
    Journal,
    LocalTemplate,
    MessageFilter,
    MessageRecord,
    MessageSort,
    OutboxItem,
    OutboxState,
    OutboxStateError,
    UnknownRecord,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _message(to: str = "jane@example.com", **kw: object) -> Message:
    return Message(
        sender=Address("shop@example.com", "Shop"),
        to=(Address(to),),
        subject=kw.pop("subject", "Your order"),  # type: ignore[arg-type]
        text="Hello",
        **kw,  # type: ignore[arg-type]
    )


def _record(i: int, **kw: object) -> MessageRecord:
    values: dict[str, object] = {
        "id": f"m{i:04d}",
        "account_id": "acme",
        "provider": "mailingapi",
        "recipient": f"user{i}@example.com",
        "subject": f"Order {i}",
        "sender": "shop@example.com",
        "created_at": T0 + timedelta(seconds=i),
    }
    values.update(kw)
    return MessageRecord(**values)  # type: ignore[arg-type]


def _event(kind: EventType, minutes: float, pid: str | None = None) -> Event:
    return Event(
        type=kind, timestamp=T0 + timedelta(minutes=minutes), provider_event_id=pid, raw={"k": 1}
    )


# -- codec ---------------------------------------------------------------------------------------


def test_codec_covers_every_message_field() -> None:
    assert {f.name for f in fields(Message)} == MESSAGE_FIELDS


def test_message_round_trip() -> None:
    message = Message(
        sender=Address("a@example.com", "Ä, Shop"),
        to=(Address("b@example.com"), Address("c@example.com", "C")),
        subject="Hi",
        html="<p>Hi</p>",
        text="Hi",
        cc=(Address("d@example.com"),),
        bcc=(Address("e@example.com"),),
        preview_title="Preview",
        headers={"X-A": "1"},
        attachments=(Attachment("a.pdf", b"%PDF\x00\xff", "application/pdf", "cid1"),),
        tags=("t",),
        metadata={"m": "1"},
        track_opens=False,
        track_clicks=True,
        send_at=T0,
        expire_at=T0 + timedelta(hours=1),
        template=TemplateRef("tmpl", {"name": "Jane"}),
        idempotency_key="idem",
        callback_url="http://127.0.0.1/cb",
    )
    data, blobs = encode_message(message)
    assert decode_message(data, blobs.__getitem__) == message


# -- accounts and drafts -------------------------------------------------------------------------


def test_account_crud(journal: Journal) -> None:
    added = journal.add_account(
        AccountRecord(
            id="x",
            name="X",
            provider="emsgnow",
            base_url="https://e.example",
            default_sender="me@example.com",
            settings={"time_zone": "UTC"},
        )
    )
    assert added.created_at is not None
    assert journal.get_account("x") == added
    updated = journal.update_account(
        AccountRecord(id="x", name="Y", provider="emsgnow", base_url="https://f.example")
    )
    assert (updated.name, updated.base_url, updated.created_at) == (
        "Y",
        "https://f.example",
        added.created_at,
    )
    assert [a.id for a in journal.list_accounts()] == ["acme", "minsk", "x"]
    assert journal.delete_account("x")
    assert not journal.delete_account("x")
    with pytest.raises(UnknownRecord):
        journal.get_account("x")
    with pytest.raises(UnknownRecord):
        journal.update_account(AccountRecord(id="x", name="Y", provider="emsgnow"))


@pytest.mark.parametrize("name", ["api_key", "API-Key", "token", "password"])
def test_account_settings_refuse_secrets(journal: Journal, name: str) -> None:
    with pytest.raises(ValueError, match="secrets"):
        journal.add_account(AccountRecord(id="x", name="X", provider="smsby", settings={name: "k"}))


def test_deleting_account_deletes_its_history(journal: Journal) -> None:
    journal.record_message(_record(1), [_event(EventType.QUEUED, 0)])
    journal.save_draft("acme", {"subject": "s"})
    journal.enqueue([OutboxItem("acme", _message(attachments=(Attachment("f", b"data"),)))])
    journal.delete_account("acme")
    assert journal.page_messages() == []
    assert journal.load_draft("acme") is None
    assert journal.unfinished() == []
    assert journal._query("SELECT count(*) FROM events")[0][0] == 0
    assert journal._query("SELECT count(*) FROM blobs")[0][0] == 0


def test_drafts(journal: Journal) -> None:
    assert journal.load_draft("acme") is None
    fields_ = {"to": "jane@example.com", "attachments": [{"name": "a.bin", "content": b"\x00\x01"}]}
    journal.save_draft("acme", fields_)
    journal.save_draft("acme", {"subject": "named"}, name="Promo")
    assert journal.load_draft("acme") == fields_
    journal.save_draft("acme", {"to": "other@example.com"})
    assert journal.load_draft("acme") == {"to": "other@example.com"}
    assert sorted(journal.list_drafts("acme")) == ["", "Promo"]
    journal.delete_draft("acme")
    assert journal.load_draft("acme") is None
    assert journal.load_draft("acme", "Promo") == {"subject": "named"}


# -- outbox --------------------------------------------------------------------------------------


def test_enqueue_claim_and_transitions(journal: Journal) -> None:
    first, second = _message("a@example.com"), _message("b@example.com", idempotency_key="k2")
    later = _message("c@example.com", send_at=T0 + timedelta(hours=1))
    journal.clock = lambda: T0
    ids = journal.enqueue(
        [OutboxItem("acme", first), OutboxItem("acme", second), OutboxItem("minsk", later)]
    )
    assert ids == [first.client_reference, second.client_reference, later.client_reference]

    claimed = journal.claim_next_due(T0)
    assert claimed is not None
    assert (claimed.id, claimed.state, claimed.attempts) == (ids[0], OutboxState.SENDING, 1)
    assert claimed.message == first
    claimed2 = journal.claim_next_due(T0, account_id="acme")
    assert claimed2 is not None and claimed2.idempotency_key == "k2"
    assert journal.claim_next_due(T0) is None  # the scheduled one is not due yet
    due = journal.claim_next_due(T0 + timedelta(hours=1))
    assert due is not None and due.id == ids[2] and due.send_at == later.send_at

    assert journal.mark_accepted(ids[0], "prov-1").provider_message_id == "prov-1"
    assert journal.mark_unknown(ids[1], "timeout").state is OutboxState.UNKNOWN
    retried = journal.retry_at(ids[1], T0 + timedelta(seconds=30), "timeout")
    assert (retried.state, retried.next_attempt_at) == (
        OutboxState.QUEUED,
        T0 + timedelta(seconds=30),
    )
    assert journal.claim_next_due(T0) is None
    assert journal.claim_next_due(T0 + timedelta(seconds=30)) is not None
    assert journal.mark_rejected(ids[1], "invalid_to_address").last_error == "invalid_to_address"
    assert journal.get_outbox(ids[1]).attempts == 2

    with pytest.raises(OutboxStateError, match="accepted; it cannot become cancelled"):
        journal.mark_cancelled(ids[0])
    with pytest.raises(UnknownRecord):
        journal.mark_sending("nope")
    assert [e.id for e in journal.unfinished()] == [ids[2]]
    assert journal.mark_unknown(ids[2], "dropped").state is OutboxState.UNKNOWN
    assert journal.mark_cancelled(ids[2]).state is OutboxState.CANCELLED
    assert journal.unfinished() == []


def test_enqueue_is_all_or_nothing(journal: Journal) -> None:
    message = _message()
    journal.enqueue([OutboxItem("acme", message)])
    with pytest.raises(sqlite3.IntegrityError):
        journal.enqueue(
            [OutboxItem("acme", _message("x@example.com")), OutboxItem("acme", message)]
        )
    assert len(journal.unfinished()) == 1


def test_attachments_stored_once_and_pruned(journal: Journal) -> None:
    big = Attachment("big.pdf", b"x" * 100_000, "application/pdf")
    items = [
        OutboxItem("acme", _message(f"u{i}@example.com", attachments=(big,))) for i in range(50)
    ]
    journal.enqueue(items)
    assert journal._query("SELECT count(*) FROM blobs")[0][0] == 1
    assert all(e.message.attachments == (big,) for e in journal.unfinished())
    assert journal.prune_blobs() == 0
    journal.delete_account("acme")
    assert journal._query("SELECT count(*) FROM blobs")[0][0] == 0


def test_bulk_pause_cancel_and_counts(journal: Journal) -> None:
    journal.add_bulk(
        BulkSendRecord(id="b1", account_id="acme", csv_path="/tmp/x.csv", total_rows=4)
    )
    items = [
        OutboxItem("acme", _message(f"u{i}@example.com"), bulk_id="b1", line=i + 2)
        for i in range(3)
    ]
    journal.enqueue(items)
    now = journal.clock()
    entry = journal.claim_next_due(now)
    assert entry is not None and entry.line == 2
    journal.mark_accepted(entry.id, "p")
    journal.set_bulk_state("b1", BulkState.PAUSED)
    assert journal.claim_next_due(now) is None
    journal.set_bulk_state("b1", BulkState.RUNNING)
    nxt = journal.claim_next_due(now)
    assert nxt is not None and nxt.line == 3
    journal.set_bulk_state("b1", BulkState.CANCELLED)
    counts = journal.bulk_counts("b1")
    assert counts[OutboxState.ACCEPTED] == 1
    assert counts[OutboxState.SENDING] == 1
    assert counts[OutboxState.CANCELLED] == 1
    assert journal.get_bulk("b1").state is BulkState.CANCELLED
    assert [b.id for b in journal.list_bulks("acme")] == ["b1"]
    with pytest.raises(UnknownRecord):
        journal.set_bulk_state("nope", BulkState.PAUSED)


# -- messages and events ---------------------------------------------------------------------------


def test_events_dedup_and_state(journal: Journal) -> None:
    journal.record_message(_record(1, next_poll_at=T0), [_event(EventType.QUEUED, 0, "e1")])
    new = journal.append_events(
        "m0001",
        [
            _event(EventType.QUEUED, 0, "e1"),  # same provider id
            _event(EventType.SENT, 1),
            _event(EventType.SENT, 1),  # same type and time, no id
            _event(EventType.DELIVERED, 2, "e3"),
        ],
    )
    assert [e.type for e in new] == [EventType.SENT, EventType.DELIVERED]
    assert journal.append_events("m0001", [_event(EventType.DELIVERED, 2, "e3")]) == []
    message = journal.get_message("m0001")
    assert (message.state, message.last_event, message.final) == (
        EventType.DELIVERED,
        EventType.DELIVERED,
        False,
    )
    assert message.last_event_at == T0 + timedelta(minutes=2)
    timeline = journal.timeline("m0001")
    assert [e.type for e in timeline] == [EventType.QUEUED, EventType.SENT, EventType.DELIVERED]
    assert timeline[0].raw == {"k": 1} and timeline[0].provider_event_id == "e1"
    with pytest.raises(UnknownRecord):
        journal.append_events("nope", [_event(EventType.SENT, 1)])


def test_state_precedence_through_append_events(journal: Journal) -> None:
    journal.record_message(_record(1, next_poll_at=T0))
    # opened arrives before a late delivered: state never moves backwards
    journal.append_events("m0001", [_event(EventType.OPENED, 5)])
    journal.append_events("m0001", [_event(EventType.DELIVERED, 2)])
    assert journal.get_message("m0001").state is EventType.OPENED
    assert journal.get_message("m0001").last_event is EventType.OPENED
    # a terminal negative outranks a later positive event, and ends polling
    journal.append_events("m0001", [_event(EventType.COMPLAINED, 6), _event(EventType.CLICKED, 7)])
    message = journal.get_message("m0001")
    assert (message.state, message.last_event, message.final) == (
        EventType.COMPLAINED,
        EventType.CLICKED,
        True,
    )
    assert message.next_poll_at is None
    assert journal.messages_to_poll(T0 + timedelta(days=1)) == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(
        st.lists(
            st.tuples(st.sampled_from(list(EventType)), st.integers(0, 20), st.booleans()),
            max_size=5,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_derived_state_matches_derive_state(
    journal: Journal, batches: list[list[tuple[EventType, int, bool]]]
) -> None:
    message_id = uuid.uuid4().hex
    journal.record_message(_record(1, id=message_id))
    seen: dict[str, Event] = {}
    for batch in batches:
        events = [_event(kind, m, f"p{kind}{m}" if with_id else None) for kind, m, with_id in batch]
        journal.append_events(message_id, events)
        for e in events:
            seen.setdefault(e.dedup_key, e)
    expected = derive_state(seen.values()) if seen else EventType.QUEUED
    assert journal.get_message(message_id).state is expected
    assert len(journal.timeline(message_id)) == len(seen)


def test_record_message_again_updates_provider_id(journal: Journal) -> None:
    journal.record_message(_record(1), [_event(EventType.QUEUED, 0)])
    again = journal.record_message(_record(1, provider_message_id="pm-1"))
    assert again.provider_message_id == "pm-1"
    assert len(journal.timeline("m0001")) == 1
    assert [m.id for m in journal.find_by_provider_id("acme", "pm-1")] == ["m0001"]


def test_messages_to_poll(journal: Journal) -> None:
    journal.record_messages(
        [
            _record(1, next_poll_at=T0 + timedelta(minutes=2)),
            _record(2, next_poll_at=T0 + timedelta(minutes=1)),
            _record(3, next_poll_at=T0 + timedelta(hours=1)),
            _record(4),
        ]
    )
    due = journal.messages_to_poll(T0 + timedelta(minutes=5))
    assert [m.id for m in due] == ["m0002", "m0001"]
    journal.set_poll("m0002", T0 + timedelta(hours=2), 60.0)
    assert [m.id for m in journal.messages_to_poll(T0 + timedelta(minutes=5), limit=1)] == ["m0001"]
    assert journal.get_message("m0002").poll_interval == 60.0


# -- paging and filters ----------------------------------------------------------------------------


@pytest.fixture
def filled(journal: Journal) -> Journal:
    records = [_record(i) for i in range(300)]
    records[7] = _record(7, recipient="Jane.Doe@Example.com", subject="Ваш Заказ отправлен")
    records[8] = _record(8, account_id="minsk", provider="smsby", subject="100% off_today")
    journal.record_messages(records)
    journal.append_events("m0010", [_event(EventType.BOUNCED, 1)])
    journal.append_events("m0011", [_event(EventType.DELIVERED, 1)])
    return journal


def _ids(rows: list[MessageRecord]) -> list[str]:
    return [r.id for r in rows]


def test_page_default_sort_and_keyset(filled: Journal) -> None:
    first = filled.page_messages(limit=200)
    assert len(first) == 200 and first[0].id == "m0299"
    rest = filled.page_messages(limit=200, after=first[-1])
    assert len(rest) == 100 and rest[-1].id == "m0000"
    assert _ids(rest) == _ids(filled.page_messages(limit=200, offset=200))
    assert filled.count_messages() == 300


def test_page_sorted_by_recipient_ascending_keyset(filled: Journal) -> None:
    collected: list[MessageRecord] = []
    after = None
    while page := filled.page_messages(
        sort=MessageSort.RECIPIENT, descending=False, limit=64, after=after
    ):
        collected += page
        after = page[-1]
    assert len(collected) == 300
    assert [m.recipient for m in collected] == sorted(m.recipient for m in collected)


@pytest.mark.parametrize("threshold", [0, 10_000])  # both the scan and the index paths
def test_filters(filled: Journal, threshold: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "SEARCH_INDEX_THRESHOLD", threshold)

    def ids(**kw: object) -> list[str]:
        return _ids(filled.page_messages(MessageFilter(**kw)))  # type: ignore[arg-type]

    assert ids(account_id="minsk") == ["m0008"]
    assert ids(states=frozenset({EventType.BOUNCED, EventType.DELIVERED})) == ["m0011", "m0010"]
    assert ids(recipient="jane.doe") == ["m0007"]
    assert ids(recipient="JANE") == ["m0007"]
    assert ids(subject="заказ") == ["m0007"]  # case-insensitive beyond ASCII
    assert ids(text="ЗАКАЗ") == ["m0007"]
    assert ids(text="100%") == ["m0008"]  # LIKE wildcards are literal
    assert ids(subject="f_t") == ["m0008"]
    assert ids(text="user29") == [
        "m0299",
        "m0298",
        "m0297",
        "m0296",
        "m0295",
        "m0294",
        "m0293",
        "m0292",
        "m0291",
        "m0290",
        "m0029",
    ]
    assert ids(text="shop@example", account_id="minsk") == ["m0008"]
    assert ids(text="nowhere") == []
    assert ids(text="ab") == []
    since = T0 + timedelta(seconds=295)
    assert ids(since=since) == ["m0299", "m0298", "m0297", "m0296", "m0295"]
    assert ids(since=since, until=since + timedelta(seconds=2)) == ["m0296", "m0295"]
    assert ids(final=True) == ["m0010"]
    assert filled.count_messages(MessageFilter(text="user1")) == 111


# -- templates and threads -------------------------------------------------------------------------


def test_local_templates(journal: Journal) -> None:
    saved = journal.save_template(
        LocalTemplate(id="t1", name="Welcome", subject="Hi {{name}}", text="x", variables=["name"])
    )
    assert saved.updated_at is not None and saved.variables == ("name",)
    journal.save_template(LocalTemplate(id="t0", name="alpha"))
    assert [t.id for t in journal.list_templates()] == ["t0", "t1"]
    assert saved.to_template().source == "local"
    assert journal.delete_template("t1") and not journal.delete_template("t1")
    with pytest.raises(UnknownRecord):
        journal.get_template("t1")


async def test_usable_from_worker_threads(journal: Journal) -> None:
    journal.record_messages(_record(i) for i in range(40))

    def write(i: int) -> None:
        journal.append_events(
            f"m{i:04d}", [_event(EventType.SENT, 1), _event(EventType.DELIVERED, 2)]
        )

    def read() -> int:
        return len(journal.page_messages(MessageFilter(text="user"), limit=50))

    results = await asyncio.gather(
        *(asyncio.to_thread(write, i) for i in range(40)),
        *(asyncio.to_thread(read) for _ in range(40)),
    )
    assert results[40:] == [40] * 40
    delivered = MessageFilter(states=frozenset({EventType.DELIVERED}))
    assert await asyncio.to_thread(journal.count_messages, delivered) == 40


def test_transactions_nest_and_roll_back_together(tmp_path: Path) -> None:
    from mailconsole.store.journal import BulkSendRecord

    with Journal.open(tmp_path / "j.sqlite3") as journal:
        journal.add_account(AccountRecord(id="a1", name="Acme", provider="mailingapi"))
        with pytest.raises(RuntimeError), journal.transaction():
            journal.add_bulk(BulkSendRecord(id="b1", account_id="a1"))
            raise RuntimeError("crash between the bulk record and its rows")
        assert journal.list_bulks() == []
        with journal.transaction():
            journal.add_bulk(BulkSendRecord(id="b2", account_id="a1"))
        assert [b.id for b in journal.list_bulks()] == ["b2"]
