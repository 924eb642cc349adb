"""Property tests of the EmailMassivo and SMS.BY response parsers.

No real server can be made to answer arbitrary garbage, so here (and only here) an
``httpx.MockTransport`` returns generated answers: truncated JSON, wrong types, extra and missing
fields, HTML error pages and arbitrary status codes. Whatever comes back, every public method
either returns a valid result or raises a normalized ``ProviderError``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mailconsole.core.errors import AuthError, ProviderError, RecipientRejected, ValidationError
from mailconsole.core.events import Event
from mailconsole.core.message import (
    Address,
    Attachment,
    BulkRow,
    BulkSend,
    Message,
    ProviderMessage,
    SendResult,
    Template,
    TemplateRef,
)
from mailconsole.providers.emailmassivo import EmailMassivoClient, MailAccepted
from mailconsole.providers.pacing import Pacer
from mailconsole.providers.smsby import (
    BulkMailingStatus,
    DeliveryStatus,
    ImportResult,
    ListMailing,
    PersonalLetter,
    Sending,
    SmsByClient,
)

KEY = "secret-key-0123456789"
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- generated answers -------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(st.integers(min_value=0, max_value=10**9), st.text(max_size=12), json_values)
status_words = st.one_of(
    st.sampled_from(
        ["NEW", "SENT", "DELIVERED", "OPEN", "CLICK", "UNDELIVERED", "UNSUBSCRIBED", "SPAM"]
    ),
    st.text(max_size=10),
    json_values,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value, another JSON value, or nothing (the key is dropped)."""
    return st.one_of(strategy, json_values, st.just(_DROP))


_DROP = object()


def shaped(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the documented keys (each maybe wrong or missing) plus extra keys."""

    def build(values: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in values.items() if v is not _DROP}
        return {**extra, **kept}

    return st.builds(
        build,
        st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}),
        st.dictionaries(st.text(max_size=8), json_values, max_size=2),
    )


EM_TEXTS = [
    "Invalid API key",
    "ExternalMailApiKey not found",
    "API key is not active",
    "Not enough resources on the user balance",
    "User Domain not found",
    "TemplateMailUser not found by id",
    "MailUuid not found",
    "Attachments parse failed",
    "Attachments size more than allowed",
    "Attachments type forbidden",
    "HTML template is not valid",
    "Email receiver unsubscribed from this API key mails",
    "Email receiver complained from this API key mails",
    "Email receiver doesn't exist",
    "Email receiver unavailable",
    "Template not found by templateId",
    "Too Many Requests",
]
em_bodies = st.one_of(
    shaped(
        uuid=ids,
        warning=st.text(max_size=20),
        additionalRecipients=st.lists(
            shaped(email=st.emails(), uuid=ids, error=st.text(max_size=10)), max_size=3
        ),
    ),
    shaped(
        statusCode=st.integers(100, 599),
        message=st.one_of(
            st.sampled_from(EM_TEXTS), st.lists(st.sampled_from(EM_TEXTS), max_size=3)
        ),
    ),
    json_values,
)

delivery = shaped(email_id=ids, email=st.emails(), status=status_words, error=st.text(max_size=8))
bulk_success = shaped(email_id=ids, recipient=st.emails(), status=status_words, error=st.none())
mailings = st.lists(
    shaped(
        message_id=ids,
        name=st.text(max_size=8),
        sender_email=st.emails(),
        sender_name=st.text(max_size=8),
        success=st.lists(bulk_success, max_size=3),
        errors=st.lists(shaped(email=st.emails(), error=st.text(max_size=8)), max_size=2),
    ),
    max_size=2,
)
imported = shaped(
    inserted=ids,
    updated=ids,
    invalid=ids,
    log=st.lists(shaped(index=ids, error_message=st.text(max_size=8)), max_size=2),
)
SMS_RESULTS: dict[str, st.SearchStrategy[Any]] = {
    "email_id": shaped(email_id=ids),
    "list_mailing": shaped(message_id=ids, count_emails=ids),
    "deliveries": st.lists(delivery, max_size=3),
    "uuid": shaped(uuid=ids),
    "mailings": mailings,
    "templates": st.lists(shaped(id=ids, title=st.text(max_size=8)), max_size=3),
    "list_id": shaped(list_id=ids),
    "imported": imported,
    "none": st.none(),
}


def sms_bodies(result: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``{"status":"OK","result":...}`` of the method's shape, else anything."""
    return st.one_of(
        st.fixed_dictionaries({"status": st.just("OK"), "result": result}),
        shaped(status=st.sampled_from(["OK", "ERROR"]), result=result, error=st.text()),
        shaped(error=st.text(max_size=30)),
        json_values,
    )


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


def answers(bodies: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[int, bytes, dict[str, str]]]:
    """(status, raw body, headers): well-formed, truncated, HTML, binary; any status."""
    status = st.one_of(
        st.sampled_from([200, 201]),
        st.sampled_from([200, 201, 400, 401, 402, 403, 404, 413, 421, 422, 429, 500, 502, 503]),
        st.integers(min_value=200, max_value=599),
    )
    raw = st.one_of(
        bodies.map(encode),
        st.tuples(bodies.map(encode), st.integers(0, 40)).map(lambda t: t[0][: t[1]]),
        st.just(b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        st.binary(max_size=40),
        st.just(b""),
    )
    headers: st.SearchStrategy[dict[str, str]] = st.one_of(
        st.just({}),
        st.fixed_dictionaries({"Retry-After": st.sampled_from(["1", "-5", "soon", "1e9", "2.5"])}),
    )
    return st.tuples(status, raw, headers)


def mock(status: int, content: bytes, headers: dict[str, str]) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=content, headers=headers)
    )


# -- operations -------------------------------------------------------------------------------

SENDER = Address("from@example.com", "Shop")
MESSAGE = Message(
    sender=SENDER,
    to=[Address("a@x.by", "A"), Address("b@x.by")],
    cc=[Address("c@x.by")],
    bcc=[Address("d@x.by")],
    subject="Hi",
    html="<p>Hi</p>",
    text="Hi",
)
TEMPLATE_MESSAGE = Message(
    sender=SENDER, to=[Address("a@x.by")], subject="Hi", template=TemplateRef("1", {"name": "A"})
)
LATER = datetime.now(UTC) + timedelta(days=1)

EmOperation = Callable[[EmailMassivoClient], Awaitable[Any]]
SmsOperation = Callable[[SmsByClient], Awaitable[Any]]

EM_OPERATIONS: dict[str, tuple[EmOperation, type | tuple[type, ...]]] = {
    "send": (lambda c: c.send(MESSAGE), SendResult),
    "send_template": (lambda c: c.send(TEMPLATE_MESSAGE), SendResult),
    "send_mail": (
        lambda c: c.send_mail({"to": {"email": "a@x.by"}}, idempotency_key="k"),
        MailAccepted,
    ),
    "check_connection": (lambda c: c.check_connection(), str),
}
SENDING = Sending("from@example.com", send_at=LATER, track_open=True, track_click=False)
ATTACHED = Message(
    sender=SENDER,
    to=[Address("a@x.by"), Address("b@x.by")],
    subject="s",
    text="t",
    attachments=[Attachment("a.txt", b"hello")],
)
SMS_OPERATIONS: dict[str, tuple[SmsOperation, type | tuple[type, ...]]] = {
    "send": (
        lambda c: c.send(Message(sender=SENDER, to=[Address("a@x.by")], text="t")),
        SendResult,
    ),
    "send_attached": (lambda c: c.send(ATTACHED), SendResult),
    "send_bulk": (
        lambda c: c.send_bulk(
            BulkSend(
                template=Message(sender=SENDER, to=[], subject="{{n}}", html="<b>{{n}}</b>"),
                rows=[BulkRow(Address("a@x.by"), {"n": "1"}), BulkRow(Address("b@x.by"), {})],
            )
        ),
        SendResult,
    ),
    "send_email": (
        lambda c: c.send_email(SENDING, email="a@x.by", subject="s", message="m"),
        str,
    ),
    "send_email_by_list": (
        lambda c: c.send_email_by_list(SENDING, list_id="1", subject="s", message="m"),
        ListMailing,
    ),
    "send_bulk_email": (
        lambda c: c.send_bulk_email(
            SENDING, delivery_list=[PersonalLetter("a@x.by", "s", "m"), "b@x.by"]
        ),
        str,
    ),
    "get_email_delivery_list": (lambda c: c.get_email_delivery_list("5"), list),
    "status_bulk_email": (lambda c: c.status_bulk_email("u-1"), list),
    "unsubscribe_email": (lambda c: c.unsubscribe_email("a@x.by", ["1"], "r"), type(None)),
    "subscribe_email": (lambda c: c.subscribe_email("a@x.by"), type(None)),
    "get_email_templates": (lambda c: c.get_email_templates(), list),
    "create_subscriber_list": (lambda c: c.create_subscriber_list("n"), str),
    "import_contacts": (
        lambda c: c.import_contacts("1", ["email"], [["a@x.by"]] * 3),
        ImportResult,
    ),
    "events_bulk": (lambda c: c.events("bulk:u-1:a@x.by"), list),
    "events_list": (lambda c: c.events("list:5"), list),
    "get_message": (lambda c: c.get_message("bulk:u-1:a@x.by"), ProviderMessage),
    "list_templates": (lambda c: c.list_templates(), list),
    "check_connection": (lambda c: c.check_connection(), str),
}
#: The documented result shape each operation reads (the mock answers every call with it).
SMS_SHAPES = {
    "send": "uuid",
    "send_attached": "email_id",
    "send_bulk": "uuid",
    "send_email": "email_id",
    "send_email_by_list": "list_mailing",
    "send_bulk_email": "uuid",
    "get_email_delivery_list": "deliveries",
    "status_bulk_email": "mailings",
    "unsubscribe_email": "none",
    "subscribe_email": "none",
    "get_email_templates": "templates",
    "create_subscriber_list": "list_id",
    "import_contacts": "imported",
    "events_bulk": "mailings",
    "events_list": "deliveries",
    "get_message": "mailings",
    "list_templates": "templates",
    "check_connection": "templates",
}
ELEMENT_TYPES = (DeliveryStatus, BulkMailingStatus, Template, Event)


def run_em(operation: EmOperation, transport: httpx.MockTransport) -> Any:
    async def scenario() -> Any:
        async with EmailMassivoClient(
            api_key=KEY, base_url="http://em.test", transport=transport, pacer=Pacer()
        ) as client:
            return await operation(client)

    return asyncio.run(scenario())


def run_sms(operation: SmsOperation, transport: httpx.MockTransport) -> Any:
    async def scenario() -> Any:
        async with SmsByClient(
            api_key=KEY, base_url="http://sms.test", transport=transport
        ) as client:
            return await operation(client)

    return asyncio.run(scenario())


def check_outcome(run: Callable[[], Any], expected: type | tuple[type, ...]) -> None:
    """A valid result of the expected type, or a normalized error without the key."""
    try:
        result = run()
    except ProviderError as error:
        event(type(error).__name__)
        assert KEY not in str(error)
        assert KEY not in error.message
        assert KEY not in repr(error.raw)
        return
    event("result")
    assert isinstance(result, expected)
    if isinstance(result, list):
        assert all(isinstance(item, ELEMENT_TYPES) for item in result)


@PROPERTY
@given(name=st.sampled_from(sorted(EM_OPERATIONS)), answer=answers(em_bodies))
def test_emailmassivo_any_answer_is_a_result_or_a_normalized_error(
    name: str, answer: tuple[int, bytes, dict[str, str]]
) -> None:
    operation, expected = EM_OPERATIONS[name]
    check_outcome(lambda: run_em(operation, mock(*answer)), expected)


@PROPERTY
@given(name=st.sampled_from(sorted(SMS_OPERATIONS)), data=st.data())
def test_smsby_any_answer_is_a_result_or_a_normalized_error(name: str, data: st.DataObject) -> None:
    operation, expected = SMS_OPERATIONS[name]
    answer = data.draw(answers(sms_bodies(SMS_RESULTS[SMS_SHAPES[name]])))
    check_outcome(lambda: run_sms(operation, mock(*answer)), expected)


# -- precise mappings of documented texts (fixed answers, so each can fail on its own) ---------


@pytest.mark.parametrize(
    ("status", "text", "kind", "field", "reason"),
    [
        (401, "Invalid API key", AuthError, None, None),
        (404, "ExternalMailApiKey not found", AuthError, None, None),
        (403, "API key is not active", AuthError, None, None),
        (404, "User Domain not found", ValidationError, "from", None),
        (400, "Attachments parse failed", ValidationError, "attachments", None),
        (400, "Attachments size more than allowed", ValidationError, "attachments", None),
        (400, "Attachments type forbidden", ValidationError, "attachments", None),
        (400, "HTML template is not valid", ValidationError, "template", None),
        (
            422,
            "Email receiver unsubscribed from this API key mails",
            RecipientRejected,
            "to",
            "unsubscribed",
        ),
        (
            422,
            "Email receiver complained from this API key mails",
            RecipientRejected,
            "to",
            "complained",
        ),
        (422, "Email receiver doesn't exist", RecipientRejected, "to", "nonexistent"),
        (422, "Email receiver unavailable", RecipientRejected, "to", "unavailable"),
        (
            400,
            ["mail.previewTitle must be shorter than or equal to 255 characters"],
            ValidationError,
            "preview_title",
            None,
        ),
    ],
)
def test_emailmassivo_documented_texts_map_precisely(
    status: int, text: Any, kind: type, field: str | None, reason: str | None
) -> None:
    content = encode({"statusCode": status, "message": text})
    with pytest.raises(ProviderError) as caught:
        run_em(EM_OPERATIONS["send_mail"][0], mock(status, content, {}))
    error = caught.value
    assert type(error) is kind
    assert error.field == field
    assert error.status == status
    if reason is not None:
        assert isinstance(error, RecipientRejected)
        assert error.reason == reason


@pytest.mark.parametrize("echo", ["emailmassivo", "smsby"])
def test_key_echoed_by_a_provider_never_reaches_the_error_text(echo: str) -> None:
    if echo == "emailmassivo":
        content = encode({"statusCode": 401, "message": f"Invalid API key {KEY}"})
        with pytest.raises(AuthError) as caught:
            run_em(EM_OPERATIONS["send_mail"][0], mock(401, content, {}))
    else:
        content = encode({"status": "ERROR", "error": f"bad token {KEY}"})
        with pytest.raises(AuthError) as caught:
            run_sms(SMS_OPERATIONS["get_email_templates"][0], mock(401, content, {}))
    assert KEY not in str(caught.value)
    assert KEY not in caught.value.message
    assert KEY not in repr(caught.value.raw)
