"""derive_state: CONTRACT.md's precedence, and event de-duplication keys."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailconsole.core.events import (
    FINAL_STATES,
    PROGRESS_RANK,
    TERMINAL_NEGATIVE,
    Event,
    EventType,
    derive_state,
    normalize_status,
)

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
E = EventType


def at(kind: EventType, seconds: int, event_id: str | None = None) -> Event:
    return Event(kind, T0 + timedelta(seconds=seconds), provider_event_id=event_id)


def test_no_events_is_unknown() -> None:
    assert derive_state([]) is E.UNKNOWN


def test_ordinary_lifecycle_follows_the_latest_event() -> None:
    events = [at(E.QUEUED, 0), at(E.SENT, 1), at(E.DELIVERED, 3), at(E.OPENED, 6)]
    for n in range(1, len(events) + 1):
        assert derive_state(events[:n]) is events[n - 1].type


def test_order_of_arrival_does_not_matter() -> None:
    events = [at(E.QUEUED, 0), at(E.SENT, 1), at(E.DELIVERED, 3), at(E.OPENED, 6), at(E.CLICKED, 7)]
    for permutation in itertools.permutations(events):
        assert derive_state(permutation) is E.CLICKED


def test_latest_timestamp_wins_not_the_last_received() -> None:
    assert derive_state([at(E.DELIVERED, 10), at(E.SENT, 5)]) is E.DELIVERED
    assert derive_state([at(E.SCHEDULED, 0), at(E.QUEUED, 60)]) is E.QUEUED


def test_never_moves_backwards() -> None:
    # A late-timestamped "delivered" after "opened" keeps "opened".
    assert derive_state([at(E.OPENED, 5), at(E.DELIVERED, 9)]) is E.OPENED
    assert derive_state([at(E.DELIVERED, 5), at(E.QUEUED, 9)]) is E.DELIVERED
    assert derive_state([at(E.UNSUBSCRIBED, 5), at(E.OPENED, 9)]) is E.UNSUBSCRIBED


@pytest.mark.parametrize("negative", sorted(TERMINAL_NEGATIVE))
def test_terminal_negative_outranks_anything(negative: EventType) -> None:
    later_positive = [at(E.QUEUED, 0), at(negative, 1), at(E.DELIVERED, 5), at(E.CLICKED, 9)]
    assert derive_state(later_positive) is negative
    assert derive_state([at(E.UNSUBSCRIBED, 0), at(negative, 1)]) is negative
    assert derive_state([at(negative, 0)]) is negative


def test_complaint_after_delivery() -> None:
    events = [at(E.QUEUED, 0), at(E.SENT, 1), at(E.DELIVERED, 3), at(E.COMPLAINED, 10)]
    assert derive_state(events) is E.COMPLAINED


def test_earliest_terminal_negative_wins() -> None:
    assert derive_state([at(E.EXPIRED, 9), at(E.CANCELLED, 3)]) is E.CANCELLED
    assert derive_state([at(E.BOUNCED, 1), at(E.COMPLAINED, 2)]) is E.BOUNCED


def test_deferred_then_delivered() -> None:
    events = [at(E.QUEUED, 0), at(E.DEFERRED, 1), at(E.DELIVERED, 5)]
    assert derive_state(events) is E.DELIVERED
    assert derive_state(events[:2]) is E.DEFERRED


def test_duplicates_do_not_change_the_state() -> None:
    events = [at(E.QUEUED, 0, "e1"), at(E.DELIVERED, 3, "e2"), at(E.DELIVERED, 3, "e2")]
    assert derive_state(events) is E.DELIVERED


def test_every_type_has_a_place() -> None:
    for kind in EventType:
        assert kind in PROGRESS_RANK or kind in TERMINAL_NEGATIVE
    assert TERMINAL_NEGATIVE <= FINAL_STATES


def test_dedup_key_uses_the_provider_event_id() -> None:
    a = at(E.OPENED, 5, "evt_4")
    b = Event(E.OPENED, T0 + timedelta(seconds=99), provider_event_id="evt_4", raw={"x": 1})
    assert a.dedup_key == b.dedup_key == "id:evt_4"


def test_dedup_key_without_an_id_is_type_and_timestamp() -> None:
    a = at(E.DELIVERED, 5)
    assert a.dedup_key == f"delivered@{(T0 + timedelta(seconds=5)).isoformat()}"
    assert a.dedup_key == at(E.DELIVERED, 5).dedup_key
    assert a.dedup_key != at(E.OPENED, 5).dedup_key
    assert a.dedup_key != at(E.DELIVERED, 6).dedup_key
    assert Event(E.SENT, T0, provider_event_id="").dedup_key.startswith("sent@")


def test_raw_payload_does_not_affect_equality() -> None:
    assert Event(E.SENT, T0, raw={"a": 1}) == Event(E.SENT, T0, raw={"b": 2})


def test_normalize_status() -> None:
    mapping = {"delivered": E.DELIVERED, "undelivered": E.BOUNCED}
    assert normalize_status(" DELIVERED ", mapping) is E.DELIVERED
    assert normalize_status("Undelivered", mapping) is E.BOUNCED
    assert normalize_status("weird", mapping) is E.UNKNOWN


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(EventType)), st.integers(min_value=0, max_value=1000)),
        max_size=12,
    ),
    st.randoms(),
)
def test_state_properties(pairs: list[tuple[EventType, int]], rnd: random.Random) -> None:
    events = [at(kind, seconds) for kind, seconds in pairs]
    state = derive_state(events)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert derive_state(shuffled) is state
    negatives = [e for e in events if e.type in TERMINAL_NEGATIVE]
    if negatives:
        assert state in TERMINAL_NEGATIVE
    elif events:
        # The state is the highest-ranked event seen: it never goes backwards.
        assert PROGRESS_RANK[state] == max(PROGRESS_RANK[e.type] for e in events)
    else:
        assert state is E.UNKNOWN


def test_simultaneous_events_do_not_depend_on_arrival_order() -> None:
    same = [at(E.FAILED, 0), at(E.REJECTED, 0)]
    assert derive_state(same) is derive_state(same[::-1]) is E.REJECTED
    peers = [at(E.CLICKED, 0), at(E.SUBSCRIBED, 0)]
    assert derive_state(peers) is derive_state(peers[::-1])
