"""validate_message: every rule, for every provider, plus property tests that it never raises."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconsole.core.capabilities import (
    CAPABILITIES,
    EMAILMASSIVO,
    EMSGNOW,
    MAILINGAPI,
    MB,
    SMSBY,
    Capabilities,
)
from mailconsole.core.message import Address, Attachment, Message, TemplateRef
from mailconsole.core.validation import (
    SCHEDULE_MARGIN,
    FieldError,
    MessageInvalid,
    ensure_valid,
    errors_by_field,
    human_size,
    validate_address,
    validate_message,
)

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)

ALL = pytest.mark.parametrize("caps", list(CAPABILITIES.values()), ids=list(CAPABILITIES))


def with_caps(predicate: Any) -> list[Any]:
    """Parametrize values: (caps, expected) where expected is predicate(caps)."""
    return [pytest.param(c, predicate(c), id=c.provider) for c in CAPABILITIES.values()]


def basic(caps: Capabilities, **changes: Any) -> Message:
    """The smallest message every provider accepts, with ``changes`` applied."""
    message = Message(
        sender=Address("sender@example.com"),
        to=[Address("to@example.com")],
        subject="Hello",
        text="Hi there",
        client_reference="ref-1",
    )
    return dataclasses.replace(message, **changes)


def check(message: Message, caps: Capabilities, **kw: Any) -> list[FieldError]:
    return validate_message(message, caps, now=NOW, **kw)


def fields(message: Message, caps: Capabilities, **kw: Any) -> list[str]:
    return [e.field for e in check(message, caps, **kw)]


def full(caps: Capabilities) -> Message:
    """A message that uses every feature ``caps`` offers."""
    changes: dict[str, Any] = {
        "to": [Address("to@example.com", "Jane Doe" if caps.display_names else "")],
        "sender": Address("sender@example.com", "Shop" if caps.sender_name else ""),
        "send_at": NOW + timedelta(days=2),
    }
    if caps.html:
        changes["html"] = "<p>Hi there</p>"
    if caps.cc_bcc:
        changes["cc"] = [Address("cc@example.com")]
        changes["bcc"] = [Address("bcc@example.com")]
    if caps.preview_title:
        changes["preview_title"] = "Preview"
    if caps.attachments:
        changes["attachments"] = [Attachment("invoice.pdf", b"%PDF-1.4")]
    if caps.custom_headers:
        changes["headers"] = {"X-Campaign": "spring", "Reply-To": "help@example.com"}
    if caps.tags:
        changes["tags"] = ["transactional"]
    if caps.metadata:
        changes["metadata"] = {"order_id": "ord_1"}
    if caps.tracking_switches:
        changes["track_opens"] = False
        changes["track_clicks"] = True
    if caps.expiry:
        changes["expire_at"] = NOW + timedelta(days=3)
    if caps.callbacks:
        changes["callback_url"] = "http://127.0.0.1:9000/hook"
    return basic(caps, **changes)


# -- the happy paths ----------------------------------------------------------------------------


@ALL
def test_basic_message_is_valid_everywhere(caps: Capabilities) -> None:
    assert check(basic(caps), caps) == []


@ALL
def test_message_using_every_offered_feature_is_valid(caps: Capabilities) -> None:
    assert check(full(caps), caps) == []


@ALL
def test_ensure_valid_passes_and_raises(caps: Capabilities) -> None:
    ensure_valid(basic(caps), caps, now=NOW)
    with pytest.raises(MessageInvalid) as info:
        ensure_valid(basic(caps, to=[], subject=""), caps, now=NOW)
    assert {e.field for e in info.value.errors} == {"to", "subject"}
    text = str(info.value)
    assert "Add at least one To address" in text
    assert "subject: Enter a subject" in text
    assert isinstance(info.value, ValueError)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        validate_message(basic(EMAILMASSIVO), EMAILMASSIVO, now=datetime(2025, 1, 1))


def test_now_defaults_to_the_current_time() -> None:
    soon = datetime.now(UTC) + timedelta(minutes=10)
    assert validate_message(basic(MAILINGAPI, send_at=soon), MAILINGAPI) == []
    past = datetime.now(UTC) - timedelta(minutes=10)
    assert [e.field for e in validate_message(basic(MAILINGAPI, send_at=past), MAILINGAPI)] == [
        "send_at"
    ]


def test_errors_by_field_groups_in_order() -> None:
    errors = [FieldError("to", "a"), FieldError("subject", "b"), FieldError("to", "c")]
    assert errors_by_field(errors) == {"to": ["a", "c"], "subject": ["b"]}


# -- addresses ----------------------------------------------------------------------------------

BAD_ADDRESSES = [
    "",
    "plainaddress",
    "a@b",
    "a b@example.com",
    "jane@@example.com",
    "jane@example..com",
    "jane@foo.test",
    "a@[127.0.0.1]",
    "two@example.com, three@example.com",
]


@pytest.mark.parametrize("text", BAD_ADDRESSES)
def test_validate_address_rejects_bad_syntax(text: str) -> None:
    error = validate_address(text, field="to")
    assert error is not None
    assert error.field == "to"
    assert error.message.endswith(("Correct or remove it.", "enter an email address"))


@pytest.mark.parametrize(
    "value",
    [
        "jane@example.com",
        "Jane Doe <jane@example.com>",
        '"Doe, Jane" <jane@example.com>',
        "jöhn@exämple.com",
        Address("jane@example.com", "Jane"),
    ],
)
def test_validate_address_accepts_good_addresses(value: str | Address) -> None:
    assert validate_address(value, field="cc") is None


@pytest.mark.parametrize("name", ["Jane\r\nBcc: victim@example.com", "Jane\n", "a\rb", "x\x00"])
def test_validate_address_rejects_line_breaks_in_names(name: str) -> None:
    error = validate_address(Address("jane@example.com", name), field="from")
    assert error is not None
    assert error.field == "from"
    assert "line break" in error.message


def test_validate_address_rejects_line_breaks_in_the_address() -> None:
    assert validate_address(Address("jane@example.com\r\nBcc: x@y.com"), field="to") is not None


def address_fields(*names: str) -> list[Any]:
    """(caps, field) for every provider and every address field it has."""
    return [
        pytest.param(c, f, id=f"{c.provider}-{f}")
        for c in CAPABILITIES.values()
        for f in names
        if c.cc_bcc or f not in ("cc", "bcc")
    ]


@pytest.mark.parametrize(("caps", "field"), address_fields("from", "to", "cc", "bcc"))
@pytest.mark.parametrize("bad", ["not-an-address", "x@y", "jane@foo.test"])
def test_bad_address_is_reported_on_its_field(caps: Capabilities, field: str, bad: str) -> None:
    key = "sender" if field == "from" else field
    value: Any = Address(bad) if field == "from" else [Address(bad)]
    errors = check(basic(caps, **{key: value}), caps)
    assert [e.field for e in errors] == [field]
    assert bad in errors[0].message


@ALL
def test_at_least_one_to(caps: Capabilities) -> None:
    errors = check(basic(caps, to=[]), caps)
    assert errors == [FieldError("to", "Add at least one To address")]


@pytest.mark.parametrize(("caps", "refused"), with_caps(lambda c: c.max_to == 1))
def test_several_to_addresses(caps: Capabilities, refused: bool) -> None:
    message = basic(caps, to=[Address("a@example.com"), Address("b@example.com")])
    errors = check(message, caps)
    if refused:
        assert [e.field for e in errors] == ["to"]
        assert caps.display_name in errors[0].message
        assert "bulk send" in errors[0].message
    else:
        assert errors == []


def test_smsby_takes_many_to_addresses_for_send_bulk_email() -> None:
    to = [Address(f"user{i}@example.com") for i in range(50)]
    assert check(basic(SMSBY, to=to), SMSBY) == []


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.cc_bcc))
@pytest.mark.parametrize("field", ["cc", "bcc"])
def test_cc_and_bcc(caps: Capabilities, supported: bool, field: str) -> None:
    errors = check(basic(caps, **{field: [Address("x@example.com")]}), caps)
    if supported:
        assert errors == []
    else:
        label = field.capitalize()
        assert errors == [
            FieldError(
                field,
                f"{label} is not supported by {caps.display_name} — remove the {label} "
                "addresses or pick another account",
            )
        ]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.sender_name))
def test_sender_name(caps: Capabilities, supported: bool) -> None:
    message = basic(caps, sender=Address("sender@example.com", "The Shop"))
    errors = check(message, caps)
    assert errors == [] if supported else [e.field for e in errors] == ["from"]
    if not supported:
        assert "The Shop" in errors[0].message


def test_smsby_takes_a_sender_name_but_bare_recipients() -> None:
    assert check(basic(SMSBY, sender=Address("s@example.com", "Shop")), SMSBY) == []
    errors = check(basic(SMSBY, to=[Address("to@example.com", "Jane")]), SMSBY)
    assert [e.field for e in errors] == ["to"]
    assert "bare recipient addresses" in errors[0].message


@pytest.mark.parametrize(("caps", "field"), address_fields("to", "cc", "bcc"))
def test_recipient_names(caps: Capabilities, field: str) -> None:
    supported = caps.display_names
    errors = check(basic(caps, **{field: [Address("x@example.com", "Jane")]}), caps)
    assert errors == [] if supported else [e.field for e in errors] == [field]


@ALL
def test_verified_domains(caps: Capabilities) -> None:
    domains = ["example.com", "yourdomain.com", "test.com"]
    assert check(basic(caps), caps, verified_domains=domains) == []
    upper = basic(caps, sender=Address("Sender@EXAMPLE.COM"))
    assert check(upper, caps, verified_domains=["Example.com"]) == []
    other = basic(caps, sender=Address("sender@elsewhere.org"))
    errors = check(other, caps, verified_domains=domains)
    assert [e.field for e in errors] == ["from"]
    assert "elsewhere.org" in errors[0].message
    assert "example.com" in errors[0].message
    assert [e.field for e in check(other, caps, verified_domains=[])] == ["from"]


# -- header injection and header names ----------------------------------------------------------

BREAKS = ["\r\n", "\n", "\r"]


@ALL
@pytest.mark.parametrize("brk", BREAKS)
def test_line_break_in_subject(caps: Capabilities, brk: str) -> None:
    errors = check(basic(caps, subject=f"Hi{brk}Bcc: victim@example.com"), caps)
    assert [e.field for e in errors] == ["subject"]
    assert "line break" in errors[0].message


@ALL
@pytest.mark.parametrize("brk", BREAKS)
def test_line_break_in_display_names(caps: Capabilities, brk: str) -> None:
    sender = Address("sender@example.com", f"Shop{brk}Bcc: x@example.com")
    assert [e.field for e in check(basic(caps, sender=sender), caps)] == ["from"]
    to = [Address("to@example.com", f"Jane{brk}X: y")]
    assert [e.field for e in check(basic(caps, to=to), caps)] == ["to"]


@pytest.mark.parametrize("brk", BREAKS)
def test_line_break_in_preview_title(brk: str) -> None:
    message = basic(EMAILMASSIVO, preview_title=f"Hello{brk}there")
    assert [e.field for e in check(message, EMAILMASSIVO)] == ["preview_title"]


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.custom_headers])
@pytest.mark.parametrize("brk", BREAKS)
def test_line_break_in_header_value(caps: Capabilities, brk: str) -> None:
    message = basic(caps, headers={"X-Campaign": f"a{brk}Bcc: victim@example.com"})
    errors = check(message, caps)
    assert [e.field for e in errors] == ["headers"]
    assert "line break" in errors[0].message


@pytest.mark.parametrize("brk", BREAKS)
def test_line_break_in_tags_and_metadata(brk: str) -> None:
    caps = MAILINGAPI
    assert fields(basic(caps, tags=[f"a{brk}b"]), caps) == ["tags"]
    assert fields(basic(caps, metadata={f"k{brk}": "v"}), caps) == ["metadata"]
    assert fields(basic(caps, metadata={"k": f"v{brk}x"}), caps) == ["metadata"]


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.custom_headers])
@pytest.mark.parametrize("name", ["X Campaign", "X:Campaign", "", "Ünicode", "X-\tTab", "X-é"])
def test_header_names_must_be_rfc5322_field_names(caps: Capabilities, name: str) -> None:
    errors = check(basic(caps, headers={name: "v"}), caps)
    assert [e.field for e in errors] == ["headers"]
    assert "not a valid header name" in errors[0].message


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.custom_headers])
@pytest.mark.parametrize("name", ["X-Campaign", "List-Unsubscribe", "x_custom", "Reply-To"])
def test_good_header_names(caps: Capabilities, name: str) -> None:
    assert check(basic(caps, headers={name: "value"}), caps) == []


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.custom_headers])
@pytest.mark.parametrize("name", ["Subject", "from", "BCC", "Content-Type", "Message-ID"])
def test_headers_set_from_the_message_cannot_be_custom(caps: Capabilities, name: str) -> None:
    errors = check(basic(caps, headers={name: "value"}), caps)
    assert [e.field for e in errors] == ["headers"]
    assert "set from the message itself" in errors[0].message


# -- lengths ------------------------------------------------------------------------------------


@ALL
def test_subject_length(caps: Capabilities) -> None:
    assert check(basic(caps, subject="s" * 998), caps) == []
    errors = check(basic(caps, subject="s" * 999), caps)
    assert [e.field for e in errors] == ["subject"]
    assert "999" in errors[0].message
    assert "998" in errors[0].message


@ALL
@pytest.mark.parametrize("subject", ["", "   "])
def test_subject_required(caps: Capabilities, subject: str) -> None:
    assert check(basic(caps, subject=subject), caps) == [FieldError("subject", "Enter a subject")]


@pytest.mark.parametrize(
    ("caps", "optional"),
    with_caps(lambda c: c.send_by_template and not c.template_needs_subject),
)
def test_subject_with_a_template(caps: Capabilities, optional: bool) -> None:
    message = basic(caps, subject="", text="", template=TemplateRef("gPVTbWpwQHXgg8KSZ6sX"))
    got = fields(message, caps)
    if not caps.send_by_template:
        assert got == ["subject", "template"]
    elif optional:
        assert got == []
    else:
        assert got == ["subject"]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.preview_title))
def test_preview_title(caps: Capabilities, supported: bool) -> None:
    errors = check(basic(caps, preview_title="Read me first"), caps)
    if supported:
        assert errors == []
    else:
        assert [e.field for e in errors] == ["preview_title"]
        assert caps.display_name in errors[0].message


def test_preview_title_length() -> None:
    limit = EMAILMASSIVO.max_preview_title
    assert limit == 255
    assert check(basic(EMAILMASSIVO, preview_title="p" * limit), EMAILMASSIVO) == []
    errors = check(basic(EMAILMASSIVO, preview_title="p" * (limit + 1)), EMAILMASSIVO)
    assert [e.field for e in errors] == ["preview_title"]
    assert "255" in errors[0].message


@pytest.mark.parametrize(("caps", "limit"), with_caps(lambda c: c.max_text_chars))
def test_text_length(caps: Capabilities, limit: int | None) -> None:
    if limit is None:
        assert check(basic(caps, text="t" * 100_000), caps) == []
        return
    assert limit == 25_000
    assert check(basic(caps, text="t" * limit), caps) == []
    errors = check(basic(caps, text="t" * (limit + 1)), caps)
    assert [e.field for e in errors] == ["text"]
    assert "25,000" in errors[0].message


@ALL
def test_client_reference_length(caps: Capabilities) -> None:
    assert check(basic(caps, client_reference="r" * 100), caps) == []
    assert check(basic(caps, client_reference=""), caps) == []
    assert fields(basic(caps, client_reference="r" * 101), caps) == ["client_reference"]
    assert fields(basic(caps, client_reference="a\nb"), caps) == ["client_reference"]


# -- the body -----------------------------------------------------------------------------------


@ALL
def test_a_body_is_required(caps: Capabilities) -> None:
    errors = check(basic(caps, text="", html=""), caps)
    assert len(errors) == 1
    assert errors[0].field == ("html" if caps.html else "text")
    assert "no body" in errors[0].message
    assert fields(basic(caps, text="  \n ", html=""), caps) == [errors[0].field]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.html))
def test_html_body(caps: Capabilities, supported: bool) -> None:
    html_only = basic(caps, text="", html="<p>Hi</p>")
    both = basic(caps, html="<p>Hi</p>")
    if supported:
        assert check(html_only, caps) == []
        assert check(both, caps) == []
    else:
        errors = check(html_only, caps)
        assert [e.field for e in errors] == ["html"]
        assert "plain text only" in errors[0].message
        assert fields(both, caps) == ["html"]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.send_by_template))
def test_send_by_template(caps: Capabilities, supported: bool) -> None:
    message = basic(caps, text="", template=TemplateRef("1", {"name": "Jane"}))
    errors = check(message, caps)
    if supported:
        assert errors == []
    else:
        assert [e.field for e in errors] == ["template"]
        assert "cannot send by template" in errors[0].message


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.send_by_template])
@pytest.mark.parametrize("body", [{"text": "Hi"}, {"html": "<p>Hi</p>"}])
def test_template_and_body_are_exclusive(caps: Capabilities, body: dict[str, str]) -> None:
    message = basic(caps, template=TemplateRef("1"), **{"text": "", **body})
    got = fields(message, caps)
    assert "template" in got
    error = next(e for e in check(message, caps) if e.field == "template")
    assert "takes its body from the template" in error.message


def test_emsgnow_exactly_one_of_text_and_template() -> None:
    caps = EMSGNOW
    assert fields(basic(caps, text="", template=None), caps) == ["text"]
    assert fields(basic(caps, text="Hi", template=TemplateRef("t")), caps) == ["template"]
    assert fields(basic(caps, text="", template=TemplateRef("t")), caps) == []
    assert fields(basic(caps, text="Hi"), caps) == []


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.send_by_template])
def test_template_needs_an_id(caps: Capabilities) -> None:
    assert fields(basic(caps, text="", template=TemplateRef("  ")), caps) == ["template"]


# -- unsupported features -----------------------------------------------------------------------


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.custom_headers))
def test_custom_headers_support(caps: Capabilities, supported: bool) -> None:
    errors = check(basic(caps, headers={"X-Campaign": "spring"}), caps)
    assert errors == [] if supported else [e.field for e in errors] == ["headers"]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.tags))
def test_tags_support(caps: Capabilities, supported: bool) -> None:
    errors = check(basic(caps, tags=["welcome"]), caps)
    assert errors == [] if supported else [e.field for e in errors] == ["tags"]
    if not supported:
        assert caps.display_name in errors[0].message


def test_empty_tag() -> None:
    assert fields(basic(MAILINGAPI, tags=["ok", " "]), MAILINGAPI) == ["tags"]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.metadata))
def test_metadata_support(caps: Capabilities, supported: bool) -> None:
    errors = check(basic(caps, metadata={"order": "1"}), caps)
    assert errors == [] if supported else [e.field for e in errors] == ["metadata"]


def test_metadata_keys() -> None:
    caps = MAILINGAPI
    assert fields(basic(caps, metadata={"mailconsole_id": "x"}), caps) == ["metadata"]
    assert fields(basic(caps, metadata={"": "x"}), caps) == ["metadata"]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.tracking_switches))
@pytest.mark.parametrize("field", ["track_opens", "track_clicks"])
@pytest.mark.parametrize("value", [True, False])
def test_tracking_switches(caps: Capabilities, supported: bool, field: str, value: bool) -> None:
    errors = check(basic(caps, **{field: value}), caps)
    assert errors == [] if supported else [e.field for e in errors] == [field]


@ALL
def test_tracking_default_is_always_fine(caps: Capabilities) -> None:
    assert check(basic(caps, track_opens=None, track_clicks=None), caps) == []


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.callbacks))
def test_callback_url(caps: Capabilities, supported: bool) -> None:
    errors = check(basic(caps, callback_url="https://hooks.example.com/mail"), caps)
    assert errors == [] if supported else [e.field for e in errors] == ["callback_url"]
    assert check(basic(caps, callback_url=None), caps) == []
    assert check(basic(caps, callback_url=""), caps) == []


@pytest.mark.parametrize(
    "url", ["ftp://x.com/hook", "not a url", "http://", "javascript:alert(1)", "http://a\n.com"]
)
def test_callback_url_must_be_a_web_address(url: str) -> None:
    assert fields(basic(EMSGNOW, callback_url=url), EMSGNOW) == ["callback_url"]


# -- scheduling and expiry ----------------------------------------------------------------------


@ALL
def test_send_at_in_the_future_is_fine_even_without_provider_scheduling(
    caps: Capabilities,
) -> None:
    assert check(basic(caps, send_at=NOW + timedelta(hours=1)), caps) == []
    minsk = timezone(timedelta(hours=3))
    assert check(basic(caps, send_at=(NOW + timedelta(hours=1)).astimezone(minsk)), caps) == []


@ALL
@pytest.mark.parametrize(
    "delta",
    [timedelta(hours=-1), timedelta(0), SCHEDULE_MARGIN - timedelta(seconds=1)],
    ids=["past", "now", "within-margin"],
)
def test_send_at_must_be_in_the_future(caps: Capabilities, delta: timedelta) -> None:
    errors = check(basic(caps, send_at=NOW + delta), caps)
    assert [e.field for e in errors] == ["send_at"]
    assert "future" in errors[0].message


@ALL
def test_send_at_at_the_margin_is_fine(caps: Capabilities) -> None:
    assert check(basic(caps, send_at=NOW + SCHEDULE_MARGIN), caps) == []


@ALL
def test_send_at_must_be_aware(caps: Capabilities) -> None:
    naive = datetime(2030, 1, 1, 12, 0)
    assert fields(basic(caps, send_at=naive), caps) == ["send_at"]


@pytest.mark.parametrize(("caps", "days"), with_caps(lambda c: c.max_schedule_days))
def test_how_far_ahead(caps: Capabilities, days: int | None) -> None:
    if days is None:
        assert check(basic(caps, send_at=NOW + timedelta(days=365)), caps) == []
        return
    assert caps is MAILINGAPI
    assert days == 30
    assert check(basic(caps, send_at=NOW + timedelta(days=30)), caps) == []
    errors = check(basic(caps, send_at=NOW + timedelta(days=30, seconds=1)), caps)
    assert [e.field for e in errors] == ["send_at"]
    assert "30 days" in errors[0].message
    assert "14 Feb 2025 12:00 UTC" in errors[0].message


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.expiry))
def test_expiry_support(caps: Capabilities, supported: bool) -> None:
    errors = check(basic(caps, expire_at=NOW + timedelta(days=1)), caps)
    assert errors == [] if supported else [e.field for e in errors] == ["expire_at"]
    if not supported:
        assert caps.display_name in errors[0].message


def test_expiry_rules() -> None:
    caps = EMSGNOW
    later = NOW + timedelta(hours=2)
    assert fields(basic(caps, expire_at=NOW - timedelta(minutes=1)), caps) == ["expire_at"]
    assert fields(basic(caps, expire_at=NOW), caps) == ["expire_at"]
    assert fields(basic(caps, expire_at=datetime(2030, 1, 1)), caps) == ["expire_at"]
    before = basic(caps, send_at=later, expire_at=later - timedelta(minutes=5))
    assert fields(before, caps) == ["expire_at"]
    assert fields(basic(caps, send_at=later, expire_at=later), caps) == ["expire_at"]
    ok = basic(caps, send_at=later, expire_at=later + timedelta(minutes=5))
    assert fields(ok, caps) == []
    # A bad send time is reported once, not again through the expiry.
    bad_send = basic(caps, send_at=NOW - timedelta(hours=1), expire_at=later)
    assert fields(bad_send, caps) == ["send_at"]


# -- attachments --------------------------------------------------------------------------------


def files(n: int, size: int = 10, name: str = "file{}.pdf") -> list[Attachment]:
    return [Attachment(name.format(i), b"x" * size) for i in range(n)]


@pytest.mark.parametrize(("caps", "supported"), with_caps(lambda c: c.attachments))
def test_attachments_support(caps: Capabilities, supported: bool) -> None:
    errors = check(basic(caps, attachments=files(1)), caps)
    if supported:
        assert errors == []
    else:
        assert errors == [
            FieldError(
                "attachments",
                f"Attachments are not supported by {caps.display_name} — remove them or pick "
                "another account",
            )
        ]


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.attachments])
def test_attachment_count(caps: Capabilities) -> None:
    limit = caps.max_attachments
    if limit is None:
        assert check(basic(caps, attachments=files(25)), caps) == []
        return
    assert check(basic(caps, attachments=files(limit)), caps) == []
    errors = check(basic(caps, attachments=files(limit + 1)), caps)
    assert [e.field for e in errors] == ["attachments"]
    assert f"{limit + 1} files attached" in errors[0].message


def test_smsby_takes_one_file() -> None:
    errors = check(basic(SMSBY, attachments=files(2)), SMSBY)
    assert errors == [
        FieldError(
            "attachments",
            "2 files attached; SMS.BY allows 1 file — remove 1 or pick another account",
        )
    ]


def test_mailingapi_ten_files_of_ten_megabytes() -> None:
    caps = MAILINGAPI
    assert check(basic(caps, attachments=[Attachment("a.bin", b"x" * (10 * MB))]), caps) == []
    big = Attachment("scan.pdf", b"x" * (10 * MB + 1))
    errors = check(basic(caps, attachments=[big]), caps)
    assert [e.field for e in errors] == ["attachments"]
    assert "scan.pdf is 10 MB; MailingAPI allows 10 MB per file" in errors[0].message
    bigger = Attachment("scan.pdf", b"x" * int(12.5 * MB))
    assert "scan.pdf is 12.5 MB" in check(basic(caps, attachments=[bigger]), caps)[0].message


def test_emailmassivo_total_size() -> None:
    caps = EMAILMASSIVO
    exactly = [Attachment("a.pdf", b"x" * (5 * MB)), Attachment("b.pdf", b"x" * (5 * MB))]
    assert check(basic(caps, attachments=exactly), caps) == []
    over = [Attachment("a.pdf", b"x" * (6 * MB)), Attachment("b.pdf", b"x" * int(5.2 * MB))]
    errors = check(basic(caps, attachments=over), caps)
    assert [e.field for e in errors] == ["attachments"]
    assert "11.2 MB; EmailMassivo allows 10 MB in total" in errors[0].message


@pytest.mark.parametrize("extension", sorted(EMAILMASSIVO.forbidden_extensions))
def test_emailmassivo_forbidden_extensions(extension: str) -> None:
    for name in (f"setup.{extension}", f"SETUP.{extension.upper()}"):
        errors = check(basic(EMAILMASSIVO, attachments=[Attachment(name, b"MZ")]), EMAILMASSIVO)
        assert [e.field for e in errors] == ["attachments"]
        assert f".{extension} files ({name})" in errors[0].message


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.attachments])
@pytest.mark.parametrize("name", ["setup.exe", "script.js", "report.exe.pdf", "README"])
def test_extensions_elsewhere(caps: Capabilities, name: str) -> None:
    extension = name.rpartition(".")[2] if "." in name else ""
    expected = ["attachments"] if extension in caps.forbidden_extensions else []
    assert fields(basic(caps, attachments=[Attachment(name, b"x")]), caps) == expected


@pytest.mark.parametrize("caps", [c for c in CAPABILITIES.values() if c.attachments])
def test_attachment_names(caps: Capabilities) -> None:
    assert fields(basic(caps, attachments=[Attachment("", b"x")]), caps) == ["attachments"]
    assert fields(basic(caps, attachments=[Attachment("a\r\nb.pdf", b"x")]), caps) == [
        "attachments"
    ]


@pytest.mark.parametrize(
    ("caps", "supported"),
    [
        pytest.param(c, c.inline_images, id=c.provider)
        for c in CAPABILITIES.values()
        if c.attachments
    ],
)
def test_inline_images(caps: Capabilities, supported: bool) -> None:
    logo = Attachment("logo.png", b"\x89PNG", "image/png", content_id="logo")
    errors = check(basic(caps, html="<img src='cid:logo'>", attachments=[logo]), caps)
    assert errors == [] if supported else [e.field for e in errors] == ["attachments"]
    if not supported:
        assert "Inline images are not supported" in errors[0].message


def test_inline_content_ids() -> None:
    caps = MAILINGAPI
    twice = [
        Attachment("a.png", b"x", content_id="logo"),
        Attachment("b.png", b"x", content_id="logo"),
    ]
    assert fields(basic(caps, attachments=twice), caps) == ["attachments"]
    bad = [Attachment("a.png", b"x", content_id="lo\ngo")]
    assert fields(basic(caps, attachments=bad), caps) == ["attachments"]


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (10 * MB, "10 MB"),
        (int(11.2 * MB), "11.2 MB"),
        (3 * 1024 * MB, "3 GB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


# -- messages for people ------------------------------------------------------------------------


@ALL
def test_unsupported_feature_messages_name_the_provider_and_say_what_to_do(
    caps: Capabilities,
) -> None:
    everything = full(EMAILMASSIVO)
    everything = dataclasses.replace(
        everything,
        to=[Address("to@example.com", "Jane")],
        sender=Address("sender@example.com", "Shop"),
        html="<p>x</p>",
        cc=[Address("cc@example.com")],
        preview_title="p",
        attachments=[Attachment("a.pdf", b"x", content_id="a")],
        headers={"X-A": "b"},
        tags=["t"],
        metadata={"k": "v"},
        track_opens=True,
        expire_at=NOW + timedelta(days=3),
        callback_url="https://example.com/hook",
    )
    errors = check(everything, caps)
    assert errors
    for error in errors:
        assert error.message[0].isupper() or error.message.startswith(caps.display_name)
        assert caps.display_name in error.message, error
        assert " — " in error.message, error
        assert not error.message.endswith(".")


# -- property tests: never raises ---------------------------------------------------------------

any_text = st.text(max_size=40)
emailish = st.one_of(
    any_text,
    st.emails().map(str),
    st.builds(lambda a, b: f"{a}@{b}", any_text, any_text),
)
addresses = st.builds(Address, email=emailish, name=any_text)
moments = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-11))])),
)
attachments = st.builds(
    Attachment,
    filename=any_text,
    content=st.binary(max_size=16),
    content_type=any_text,
    content_id=st.one_of(st.none(), any_text),
)
messages = st.builds(
    Message,
    sender=addresses,
    to=st.lists(addresses, max_size=3),
    subject=any_text,
    html=any_text,
    text=any_text,
    cc=st.lists(addresses, max_size=2),
    bcc=st.lists(addresses, max_size=2),
    preview_title=any_text,
    headers=st.dictionaries(any_text, any_text, max_size=3),
    attachments=st.lists(attachments, max_size=3),
    tags=st.lists(any_text, max_size=3),
    metadata=st.dictionaries(any_text, any_text, max_size=3),
    track_opens=st.one_of(st.none(), st.booleans()),
    track_clicks=st.one_of(st.none(), st.booleans()),
    send_at=moments,
    expire_at=moments,
    template=st.one_of(
        st.none(), st.builds(TemplateRef, any_text, st.dictionaries(any_text, any_text))
    ),
    client_reference=any_text,
    idempotency_key=st.one_of(st.none(), any_text),
    callback_url=st.one_of(st.none(), any_text, st.from_regex(r"https?://[^\s]{0,20}")),
)

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@ALL
@PROPERTY_SETTINGS
@given(message=messages, verified=st.one_of(st.none(), st.lists(any_text, max_size=3)))
def test_validate_message_never_raises(
    caps: Capabilities, message: Message, verified: list[str] | None
) -> None:
    errors = validate_message(message, caps, now=NOW, verified_domains=verified)
    allowed = {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "preview_title",
        "html",
        "text",
        "attachments",
        "headers",
        "tags",
        "metadata",
        "track_opens",
        "track_clicks",
        "send_at",
        "expire_at",
        "template",
        "client_reference",
        "callback_url",
    }
    for error in errors:
        assert error.field in allowed
        assert error.message
    if errors:
        with pytest.raises(MessageInvalid):
            ensure_valid(message, caps, now=NOW, verified_domains=verified)


@PROPERTY_SETTINGS
@given(text=st.text(max_size=80), field=st.sampled_from(["from", "to", "cc", "bcc"]))
def test_validate_address_never_raises(text: str, field: str) -> None:
    error = validate_address(text, field=field)
    assert error is None or error.field == field


@ALL
@PROPERTY_SETTINGS
@given(
    before=st.text(max_size=20),
    brk=st.sampled_from(["\r", "\n", "\r\n"]),
    after=st.text(max_size=20),
)
def test_any_line_break_in_the_subject_is_caught(
    caps: Capabilities, before: str, brk: str, after: str
) -> None:
    errors = check(basic(caps, subject=before + brk + after), caps)
    assert any(e.field == "subject" and "line break" in e.message for e in errors)
