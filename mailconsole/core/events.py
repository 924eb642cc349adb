"""The normalized event vocabulary and the state precedence of CONTRACT.md.

Event types are django-anymail's vocabulary plus the console's ``scheduled``, ``cancelled`` and
``expired``. A message's state is derived from its append-only event log by :func:`derive_state`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """A normalized event type; also used as a message's state."""

    QUEUED = "queued"
    SENT = "sent"
    REJECTED = "rejected"
    FAILED = "failed"
    BOUNCED = "bounced"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    AUTORESPONDED = "autoresponded"
    OPENED = "opened"
    CLICKED = "clicked"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    SUBSCRIBED = "subscribed"
    UNKNOWN = "unknown"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


#: Terminal negative events: once one is seen it outranks anything else.
TERMINAL_NEGATIVE = frozenset(
    {
        EventType.BOUNCED,
        EventType.COMPLAINED,
        EventType.REJECTED,
        EventType.FAILED,
        EventType.EXPIRED,
        EventType.CANCELLED,
    }
)

#: States after which nothing more is expected, so the poller stops asking for events.
FINAL_STATES = TERMINAL_NEGATIVE | {EventType.UNSUBSCRIBED}

#: Forward order of the ordinary lifecycle, used so that an event never moves state backwards.
PROGRESS_RANK: dict[EventType, int] = {
    EventType.UNKNOWN: 0,
    EventType.SCHEDULED: 1,
    EventType.QUEUED: 2,
    EventType.DEFERRED: 3,
    EventType.SENT: 4,
    EventType.DELIVERED: 5,
    EventType.AUTORESPONDED: 6,
    EventType.OPENED: 7,
    EventType.CLICKED: 8,
    EventType.SUBSCRIBED: 8,
    EventType.UNSUBSCRIBED: 9,
}


#: Position of each type in the vocabulary: the tie-break between events at the same instant.
_DECLARATION_ORDER: dict[EventType, int] = {kind: i for i, kind in enumerate(EventType)}


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to one message, as reported by its provider.

    ``timestamp`` is an aware UTC datetime; ``provider_event_id`` is None when the provider
    gives no event id (then events are de-duplicated by type and timestamp).
    """

    type: EventType
    timestamp: datetime
    provider_event_id: str | None = None
    recipient: str = ""
    raw_type: str = ""
    raw: Any = field(default=None, compare=False)

    @property
    def dedup_key(self) -> str:
        """The key events are de-duplicated by (CONTRACT.md)."""
        if self.provider_event_id:
            return f"id:{self.provider_event_id}"
        return f"{self.type.value}@{self.timestamp.isoformat()}"


def derive_state(events: Iterable[Event]) -> EventType:
    """Derive a message's state from its events, following CONTRACT.md's precedence.

    A terminal negative outranks anything else (the earliest one wins); otherwise the event with
    the latest provider timestamp wins, except that an event never moves state backwards in the
    ordinary lifecycle (a late ``delivered`` after ``opened`` keeps ``opened``). Events at the
    same instant are taken in the vocabulary's order, so the result never depends on the
    order they arrived in.
    """
    state = EventType.UNKNOWN
    negatives: list[Event] = []
    # Ties on the timestamp are broken by the vocabulary's order, so that the state does not
    # depend on the order the events arrived in.
    ordered = sorted(events, key=lambda e: (e.timestamp, _DECLARATION_ORDER[e.type]))
    for event in ordered:
        if event.type in TERMINAL_NEGATIVE:
            negatives.append(event)
            continue
        if PROGRESS_RANK.get(event.type, 0) >= PROGRESS_RANK.get(state, 0):
            state = event.type
    if negatives:
        return negatives[0].type
    return state


def normalize_status(raw: str, mapping: dict[str, EventType]) -> EventType:
    """Map a provider's status word to the vocabulary; unknown words map to ``unknown``."""
    return mapping.get(raw.strip().lower() if isinstance(raw, str) else "", EventType.UNKNOWN)
