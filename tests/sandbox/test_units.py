"""The sandbox's small pure pieces: placeholders, bracket parameters, plans and limiters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailconsole.sandbox.common import parse_mailbox, render
from mailconsole.sandbox.lifecycle import Clock, build_plan, current_code, recipient_rule
from mailconsole.sandbox.limits import FixedWindowLimiter, SlidingWindowLimiter
from mailconsole.sandbox.smsby import nest


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        ("Hi {{name}}", {"name": "Ann"}, "Hi Ann"),
        ("Hi {{ name }}!", {"name": "Ann"}, "Hi Ann!"),
        ("Hi {{user.first_name}}", {"user": {"first_name": "Bo"}}, "Hi Bo"),
        ('Hi {{name|default:"Customer"}}', {}, "Hi Customer"),
        ("Hi {{name|default:'Customer'}}", {"name": ""}, "Hi Customer"),
        ("Hi {{missing}}.", {}, "Hi ."),
        ("{{n}} items", {"n": 3}, "3 items"),
        ('{{ "".__class__ }}', {}, '{{ "".__class__ }}'),
    ],
)
def test_render(template: str, data: dict[str, object], expected: str) -> None:
    assert render(template, data) == expected


@given(st.text())
def test_render_never_fails(template: str) -> None:
    assert isinstance(render(template, {"a": "b"}), str)


def test_nest_brackets() -> None:
    flat = {
        "token": "t",
        "delivery_list[1][email]": "b@x.by",
        "delivery_list[0][email]": "a@x.by",
        "delivery_list[0][subject]": "S",
        "field_names[]": "email",
        "data[10][0]": "z@x.by",
        "data[2][0]": "y@x.by",
    }
    assert nest(flat) == {
        "token": "t",
        "delivery_list": [{"email": "a@x.by", "subject": "S"}, {"email": "b@x.by"}],
        "field_names": ["email"],
        "data": [["y@x.by"], ["z@x.by"]],
    }


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=5), max_size=8))
def test_nest_never_fails(flat: dict[str, str]) -> None:
    assert isinstance(nest(flat), dict)


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("bounce@x.com", "bounce"),
        ("Bounce.1@x.com", "bounce"),
        ("complain+a@x.com", "complain"),
        ("unsubscribed@x.com", "unsubscribed"),
        ("nobody@x.com", "nobody"),
        ("busy@x.com", "busy"),
        ("reader.vera@x.com", "reader"),
        ("jane@bounce.com", ""),
    ],
)
def test_recipient_rule(address: str, rule: str) -> None:
    assert recipient_rule(address) == rule


def test_plans_are_scaled_shared_and_expire() -> None:
    clock = Clock(10)
    plan = build_plan(clock, "reader@x.com")
    assert plan == (
        (0.0, "queued"),
        (0.1, "sent"),
        (0.3, "delivered"),
        (0.6, "opened"),
        (0.7, "clicked"),
    )
    assert build_plan(clock, "reader2@x.com") is plan
    assert current_code(100.0, plan, 100.35) == "delivered"
    expired = build_plan(clock, "a@x.com", delay=5.0, expires_after=5.05, queued_first=True)
    assert [code for _, code in expired] == ["queued", "scheduled", "expired"]
    assert build_plan(clock, "a@x.com", expires_after=-1)[-1] == (0.0, "expired")
    assert [c for _, c in build_plan(clock, "a@x.com", suppressed=True)] == [
        "queued",
        "unsubscribed",
    ]


def test_sliding_window_does_not_count_refusals() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 1.0, clock=lambda: now[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    assert limiter.allow("b")
    now[0] = 1.0
    assert limiter.allow("a")


def test_fixed_window_reports_headers() -> None:
    now = [0.0]
    limiter = FixedWindowLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.hit("k").headers() == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "1",
        "X-RateLimit-Reset": "60",
    }
    now[0] = 30.0
    assert limiter.hit("k").remaining == 0
    refused = limiter.hit("k")
    assert (refused.allowed, refused.reset) == (False, 30)
    now[0] = 60.0
    assert limiter.hit("k").remaining == 1


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("Jane Doe <jane@x.com>", ("Jane Doe", "jane@x.com")),
        ('"Doe, Jane" <jane@x.com>', ("Doe, Jane", "jane@x.com")),
        ("jane@x.com", ("", "jane@x.com")),
        ("Jane <not an address>", None),
        ("", None),
    ],
)
def test_parse_mailbox(value: str, parsed: tuple[str, str] | None) -> None:
    assert parse_mailbox(value) == parsed
