"""Message lifecycles: a scaled clock, recipient rules and event plans computed once per message.

A message's whole future is fixed when it is accepted: an *event plan*, a tuple of
``(offset_seconds, code)`` pairs relative to the acceptance time, in the normalized vocabulary
(``queued``, ``scheduled``, ``sent``, ``delivered``, ``opened``, ``clicked``, ``bounced``,
``complained``, ``unsubscribed``, ``deferred``, ``expired``). The current status and the event
list are derived from the wall clock at read time, so a hundred thousand messages need no timers
and a sandbox restarted on the same state file simply carries on.

Decisions (CONTRACT.md is silent):

- Lifecycle steps are divided by the time scale; scheduled times (``scheduled_at``,
  ``notBefore``, ``d_schedule``) are wall-clock times the user chose and are never scaled.
- ``busy*`` is deferred two seconds after ``sent`` and delivered three seconds later;
  ``complain*`` and ``unsubscribed*`` are delivered, then complain/unsubscribe where ``opened``
  would come; ``bounce*``/``nobody*`` bounce where ``delivered`` would come.
- Open and click tracking switched off (SMS.BY ``track_open``/``track_click``, MailingAPI
  ``tracking``) removes the ``opened``/``clicked`` steps of a ``reader*`` address.
- An address on a provider's own unsubscribe list (SMS.BY ``unsubscribeEmail``) is never sent:
  ``queued`` then ``unsubscribed`` one second later.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

#: One planned event: seconds after acceptance (real, already scaled) and a normalized code.
PlanStep = tuple[float, str]
Plan = tuple[PlanStep, ...]

#: The lifecycle in unscaled seconds after the send started (CONTRACT.md "Lifecycle").
SENT_AFTER = 1.0
DELIVERED_AFTER = 3.0
OPENED_AFTER = 6.0
CLICKED_AFTER = 7.0

RULES: tuple[str, ...] = ("bounce", "complain", "unsubscribed", "nobody", "busy", "reader")


class Clock:
    """Wall-clock time plus the time scale that divides every lifecycle step."""

    __slots__ = ("time_scale",)

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = float(time_scale)

    def now(self) -> float:
        """Seconds since the epoch (real time, never scaled)."""
        return time.time()

    def scaled(self, seconds: float) -> float:
        """A lifecycle delay in real seconds."""
        return seconds / self.time_scale


def recipient_rule(address: str) -> str:
    """The recipient rule for an address, by its local part: one of :data:`RULES` or ``""``."""
    local = address.rpartition("@")[0].lower() if "@" in address else address.lower()
    for rule in RULES:
        if local.startswith(rule):
            return rule
    return ""


def _steps(rule: str, *, opens: bool, clicks: bool, suppressed: bool) -> list[tuple[float, str]]:
    if suppressed:
        return [(0.0, "queued"), (SENT_AFTER, "unsubscribed")]
    steps = [(0.0, "queued"), (SENT_AFTER, "sent")]
    if rule in ("bounce", "nobody"):
        steps.append((DELIVERED_AFTER, "bounced"))
    elif rule == "busy":
        # Deferred, then delivered; but no provider here has a word for a deferral (EmailMassivo
        # refuses busy* with 422), so each "reports the nearest earlier state and stops there"
        # (CONTRACT.md): sent.
        pass
    elif rule == "complain":
        steps += [(DELIVERED_AFTER, "delivered"), (OPENED_AFTER, "complained")]
    elif rule == "unsubscribed":
        steps += [(DELIVERED_AFTER, "delivered"), (OPENED_AFTER, "unsubscribed")]
    elif rule == "reader":
        steps.append((DELIVERED_AFTER, "delivered"))
        if opens:
            steps.append((OPENED_AFTER, "opened"))
        if clicks:
            steps.append((CLICKED_AFTER, "clicked"))
    else:
        steps.append((DELIVERED_AFTER, "delivered"))
    return steps


_PLAN_CACHE: dict[tuple[str, bool, bool, bool, float], Plan] = {}


def build_plan(
    clock: Clock,
    address: str,
    *,
    delay: float = 0.0,
    opens: bool = True,
    clicks: bool = True,
    suppressed: bool = False,
    expires_after: float | None = None,
    queued_first: bool = False,
) -> Plan:
    """The event plan of a message to ``address`` accepted now.

    ``delay`` is the real time in seconds until a scheduled send starts (the message reads
    ``scheduled`` until then); ``expires_after`` is the real time after which an unsent message
    ends ``expired`` (eMsgNow ``notAfter``). A scheduled plan reads ``scheduled`` then ``queued``
    at the scheduled time, or with ``queued_first`` ``queued`` and ``scheduled`` at once (eMsgNow:
    ``processing`` then ``scheduled``). Unscheduled, unexpiring plans are shared objects.
    """
    rule = recipient_rule(address)
    scale = clock.time_scale
    if delay <= 0 and expires_after is None:
        key = (rule, opens, clicks, suppressed, scale)
        cached = _PLAN_CACHE.get(key)
        if cached is None:
            steps = _steps(rule, opens=opens, clicks=clicks, suppressed=suppressed)
            cached = tuple((offset / scale, code) for offset, code in steps)
            _PLAN_CACHE[key] = cached
        return cached
    delay = max(delay, 0.0)
    steps = _steps(rule, opens=opens, clicks=clicks, suppressed=suppressed)
    plan: list[PlanStep] = []
    if delay > 0:
        plan = [(0.0, "queued"), (0.0, "scheduled")] if queued_first else [(0.0, "scheduled")]
        # "A scheduled message has status scheduled until sent" (CONTRACT.md): its ``queued``
        # step comes at the same moment as ``sent`` (eMsgNow reports it at once instead), so
        # it stays cancellable until it is sent.
        steps = steps[1:] if queued_first else [(steps[1][0], steps[0][1]), *steps[1:]]
    plan += [(delay + offset / scale, code) for offset, code in steps]
    if expires_after is not None:
        sent_at = next((offset for offset, code in plan if code == "sent"), None)
        if sent_at is None or sent_at > expires_after:
            expiry = max(expires_after, 0.0)
            plan = [(offset, code) for offset, code in plan if offset < expiry]
            if not plan:
                plan = [(0.0, "queued")]
            plan.append((max(expiry, plan[-1][0]), "expired"))
    return tuple(plan)


def plan_from_record(raw: Sequence[Sequence[object]]) -> Plan:
    """A plan read back from JSON (lists of ``[offset, code]``)."""
    return tuple((float(str(step[0])), str(step[1])) for step in raw)


@dataclass(frozen=True, slots=True)
class Event:
    """One event that has happened: its index in the plan, time (epoch seconds) and code."""

    index: int
    at: float
    code: str


def events_at(
    accepted_at: float, plan: Plan, now: float, cancelled_at: float | None = None
) -> list[Event]:
    """The events of a plan that have happened by ``now`` (a cancel ends the plan)."""
    out: list[Event] = []
    for index, (offset, code) in enumerate(plan):
        at = accepted_at + offset
        if at > now or (cancelled_at is not None and at > cancelled_at):
            break
        out.append(Event(index, at, code))
    if cancelled_at is not None and cancelled_at <= now:
        out.append(Event(len(plan), cancelled_at, "cancelled"))
    return out


def current_code(
    accepted_at: float, plan: Plan, now: float, cancelled_at: float | None = None
) -> str:
    """The latest normalized code by ``now`` (``queued`` before anything happened)."""
    if cancelled_at is not None and cancelled_at <= now:
        return "cancelled"
    code = "queued"
    for offset, step in plan:
        if accepted_at + offset > now:
            break
        code = step
    return code


def time_of(accepted_at: float, plan: Plan, code: str, now: float) -> float | None:
    """When ``code`` happened (or ``None`` if it has not happened by ``now``)."""
    for offset, step in plan:
        at = accepted_at + offset
        if at > now:
            return None
        if step == code:
            return at
    return None
