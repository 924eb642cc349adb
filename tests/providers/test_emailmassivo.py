"""EmailMassivo client against the real sandbox over loopback: wire form, sends, errors."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mailconsole.core.errors import (
    AuthError,
    NotFound,
    PaymentRequired,
    ProviderError,
    RateLimited,
    RecipientRejected,
    Unavailable,
    UnknownOutcome,
    UnsupportedFeature,
    ValidationError,
)
from mailconsole.core.events import EventType
from mailconsole.core.message import Address, Attachment, Message, OutcomeStatus, TemplateRef
from mailconsole.providers import create
from mailconsole.providers.emailmassivo import SEND_PATH, EmailMassivoClient
from mailconsole.providers.pacing import Pacer, SlidingWindowPacer
from mailconsole.sandbox import Sandbox

PROVIDER = "emailmassivo"
SENDER = Address("news@example.com", "Example News")


def message(**changes: Any) -> Message:
    fields: dict[str, Any] = {
        "sender": SENDER,
        "to": [Address("jane@x.com", "Jane")],
        "subject": "Hello",
        "html": "<p>Hello</p>",
        "text": "Hello",
    }
    fields.update(changes)
    return Message(**fields)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


async def sent(box: Sandbox, *, at_least: int = 0, wait: float = 5.0) -> list[dict[str, Any]]:
    """This provider's messages in ``/_sandbox/messages``, waiting until ``at_least`` are sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    async with httpx.AsyncClient() as http:
        while True:
            answer = await http.get(f"{box.url}/_sandbox/messages")
            answer.raise_for_status()
            mine = [m for m in answer.json() if m["provider"] == PROVIDER]
            if len(mine) >= at_least or loop.time() > deadline:
                return mine
            await asyncio.sleep(0.05)


async def set_faults(box: Sandbox, **faults: Any) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{box.url}/_sandbox/faults", json={"provider": PROVIDER, **faults}
        )
        answer.raise_for_status()


@pytest.fixture
async def client(
    sandbox: Sandbox, wire: httpx.AsyncBaseTransport, keys: dict[str, str]
) -> AsyncIterator[EmailMassivoClient]:
    async with EmailMassivoClient(
        api_key=keys[PROVIDER], base_url=sandbox.base_url(PROVIDER), transport=wire
    ) as made:
        yield made


def client_with_key(sandbox: Sandbox, key: str, **settings: Any) -> EmailMassivoClient:
    return EmailMassivoClient(api_key=key, base_url=sandbox.base_url(PROVIDER), **settings)


# -- wire form ---------------------------------------------------------------------------------


async def test_wire_form_of_a_send(
    client: EmailMassivoClient, wire: Any, keys: dict[str, str]
) -> None:
    pdf = b"%PDF-1.4 invoice \x00\xff"
    await client.send(
        message(
            cc=[Address("c1@x.com"), Address("c2@x.com", "Copy Two")],
            bcc=[Address("b1@x.com")],
            preview_title="Preview",
            headers={"X-Campaign": "spring"},
            attachments=[Attachment("invoice.pdf", pdf, "application/pdf")],
            idempotency_key="key-1",
        )
    )
    request = wire.last
    assert request.method == "POST"
    assert request.url.path.endswith(SEND_PATH)
    assert request.headers["X-Api-Key"] == keys[PROVIDER]
    assert request.headers["Content-Type"] == "application/json"
    body = body_of(request)
    assert set(body) == {"idempotencyKey", "mail"}
    assert body["idempotencyKey"] == "key-1"
    mail = body["mail"]
    assert "idempotencyKey" not in mail
    assert mail["to"] == {"email": "jane@x.com", "name": "Jane"}
    assert mail["from"] == {"email": "news@example.com", "name": "Example News"}
    assert mail["cc"] == "c1@x.com,c2@x.com"
    assert mail["bcc"] == "b1@x.com"
    assert mail["previewTitle"] == "Preview"
    assert mail["headers"] == {"X-Campaign": "spring"}
    assert mail["html"] == "<p>Hello</p>"
    assert mail["text"] == "Hello"
    assert mail["attachments"] == [{"invoice.pdf": base64.b64encode(pdf).decode()}]


async def test_names_are_omitted_when_empty_and_a_key_is_always_sent(
    client: EmailMassivoClient, wire: Any
) -> None:
    msg = message(to=[Address("plain@x.com")], sender=Address("news@example.com"), html="")
    result = await client.send(msg)
    body = body_of(wire.last)
    assert body["mail"]["to"] == {"email": "plain@x.com"}
    assert body["mail"]["from"] == {"email": "news@example.com"}
    assert "html" not in body["mail"]
    assert body["idempotencyKey"] == f"mailconsole-{msg.client_reference}"
    assert result.warning is None


async def test_template_send_wire_form_and_delivery(
    client: EmailMassivoClient, wire: Any, sandbox: Sandbox
) -> None:
    msg = message(html="", text="", template=TemplateRef("1", {"name": "Ann", "code": "42"}))
    result = await client.send(msg)
    assert result.accepted
    request = wire.last
    assert request.url.path.endswith("/api/v1/external-mails/send-by-template")
    mail = body_of(request)["mail"]
    assert mail["idTemplateMailUser"] == 1
    assert mail["params"] == {"name": "Ann", "code": "42"}
    assert "html" not in mail and "text" not in mail
    (stored,) = await sent(sandbox, at_least=1)
    assert "Ann" in (stored["html"] or "") + (stored["text"] or "")


async def test_a_template_id_that_is_not_a_number_is_refused_before_sending(
    client: EmailMassivoClient, wire: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(template=TemplateRef("welcome")))
    assert caught.value.field == "template"
    assert wire.requests == []


# -- sending -----------------------------------------------------------------------------------


async def test_send_is_accepted_and_delivered(client: EmailMassivoClient, sandbox: Sandbox) -> None:
    result = await client.send(message())
    assert result.provider == PROVIDER
    assert not result.duplicate
    (outcome,) = result.outcomes
    assert outcome.status is OutcomeStatus.ACCEPTED
    assert outcome.event is EventType.QUEUED
    assert outcome.provider_message_id == result.provider_message_id
    (stored,) = await sent(sandbox, at_least=1)
    assert stored["id"] == result.provider_message_id
    assert stored["to"] == ["jane@x.com"]
    assert stored["subject"] == "Hello"


async def test_same_key_twice_sends_one_mail_and_reports_a_duplicate(
    client: EmailMassivoClient, sandbox: Sandbox
) -> None:
    msg = message(idempotency_key="order-17")
    first = await client.send(msg)
    second = await client.send(msg)
    assert not first.duplicate
    assert second.duplicate
    assert second.provider_message_id == first.provider_message_id
    await asyncio.sleep(0.2)
    assert len(await sent(sandbox, at_least=1)) == 1


async def test_without_a_key_the_endpoint_warns_and_matches_identical_mails(
    client: EmailMassivoClient, wire: Any, sandbox: Sandbox
) -> None:
    mail = client.build_mail(message(), Address("jane@x.com"), with_copies=False)
    first = await client.send_mail(mail, idempotency_key=None)
    second = await client.send_mail(mail, idempotency_key=None)
    assert "idempotencyKey" not in body_of(wire.last)
    assert first.warning and second.warning
    assert not first.duplicate and second.duplicate
    assert second.uuid == first.uuid
    await asyncio.sleep(0.2)
    assert len(await sent(sandbox, at_least=1)) == 1


async def test_different_keys_make_different_mails(
    client: EmailMassivoClient, sandbox: Sandbox
) -> None:
    first = await client.send(message(idempotency_key="a"))
    second = await client.send(message(idempotency_key="b"))
    assert first.provider_message_id != second.provider_message_id
    assert len(await sent(sandbox, at_least=2)) == 2


async def test_several_to_addresses_make_one_request_each_with_copies_on_the_first(
    client: EmailMassivoClient, wire: Any, sandbox: Sandbox
) -> None:
    msg = message(
        to=[Address("one@x.com"), Address("two@x.com")],
        cc=[Address("copy@x.com")],
        bcc=[Address("hidden@x.com")],
        idempotency_key="multi",
    )
    result = await client.send(msg)
    first, second = (body_of(r) for r in wire.requests)
    assert first["idempotencyKey"] == "multi:one@x.com"
    assert second["idempotencyKey"] == "multi:two@x.com"
    assert first["mail"]["cc"] == "copy@x.com" and first["mail"]["bcc"] == "hidden@x.com"
    assert "cc" not in second["mail"] and "bcc" not in second["mail"]
    by_recipient = {o.recipient: o for o in result.outcomes}
    assert set(by_recipient) == {"one@x.com", "two@x.com", "copy@x.com", "hidden@x.com"}
    assert all(o.status is OutcomeStatus.ACCEPTED for o in result.outcomes)
    assert all(o.provider_message_id for o in result.outcomes)
    assert len(await sent(sandbox, at_least=2)) == 2
    again = await client.send(msg)
    assert again.duplicate
    assert [o.provider_message_id for o in again.outcomes[:1]] == [
        by_recipient["one@x.com"].provider_message_id
    ]


async def test_an_invalid_copy_address_is_reported_for_that_recipient(
    client: EmailMassivoClient,
) -> None:
    result = await client.send(message(cc=[Address("good@x.com"), Address("not-an-address")]))
    by_recipient = {o.recipient: o for o in result.outcomes}
    assert by_recipient["good@x.com"].status is OutcomeStatus.ACCEPTED
    refused = by_recipient["not-an-address"]
    assert refused.status is OutcomeStatus.REJECTED
    assert refused.error


async def test_a_refused_to_address_is_an_outcome_and_copies_move_to_the_next(
    client: EmailMassivoClient, wire: Any
) -> None:
    msg = message(to=[Address("nobody@x.com"), Address("ok@x.com")], cc=[Address("copy@x.com")])
    result = await client.send(msg)
    by_recipient = {o.recipient: o for o in result.outcomes}
    refused = by_recipient["nobody@x.com"]
    assert refused.status is OutcomeStatus.REJECTED
    assert refused.event is EventType.REJECTED
    assert refused.error_code == "nonexistent"
    assert by_recipient["ok@x.com"].status is OutcomeStatus.ACCEPTED
    assert by_recipient["copy@x.com"].status is OutcomeStatus.ACCEPTED
    assert body_of(wire.requests[1])["mail"]["cc"] == "copy@x.com"


async def test_rapid_sends_from_one_client_never_get_a_429(
    client: EmailMassivoClient, sandbox: Sandbox
) -> None:
    results = await asyncio.gather(
        *(client.send(message(idempotency_key=f"rapid-{i}")) for i in range(25))
    )
    assert all(r.accepted for r in results)
    assert len({r.provider_message_id for r in results}) == 25


async def test_the_limit_is_real_without_the_pacer(sandbox: Sandbox, keys: dict[str, str]) -> None:
    async with client_with_key(sandbox, keys[PROVIDER], pacer=Pacer()) as unpaced:
        answers = await asyncio.gather(
            *(unpaced.send(message(idempotency_key=f"burst-{i}")) for i in range(15)),
            return_exceptions=True,
        )
    limited = [a for a in answers if isinstance(a, RateLimited)]
    assert limited, answers
    assert limited[0].status == 429
    assert limited[0].retry_after == 1.0
    assert limited[0].message == "Too Many Requests"


async def test_a_request_holds_its_window_place_until_a_window_after_it_ended() -> None:
    pacer = SlidingWindowPacer(2, window=0.2, margin=0.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await pacer.acquire()
    await pacer.acquire()
    third = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.3)  # both still in flight (a slow first connection): no place yet
    assert not third.done()
    pacer.release()
    released = loop.time()
    await third
    assert loop.time() - released >= 0.19
    assert loop.time() - started >= 0.49
    pacer.release()
    pacer.release()


def test_the_default_pacer_is_a_sliding_window_of_ten() -> None:
    made = create(PROVIDER, api_key="k", base_url="http://127.0.0.1:9")
    try:
        assert isinstance(made.pacer, SlidingWindowPacer)
        assert made.pacer.limit == 10
    finally:
        asyncio.run(made.aclose())


# -- check_connection ----------------------------------------------------------------------------


async def test_check_connection_sends_nothing(
    client: EmailMassivoClient, wire: Any, sandbox: Sandbox
) -> None:
    text = await client.check_connection()
    assert "nothing was sent" in text
    assert body_of(wire.last) == {}
    await asyncio.sleep(0.1)
    assert await sent(sandbox) == []


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("wrong-key", AuthError),
        ("sandbox-emailmassivo-inactive", AuthError),
        ("sandbox-emailmassivo-empty", PaymentRequired),
    ],
)
async def test_check_connection_reports_key_problems(
    sandbox: Sandbox, key: str, kind: type[ProviderError]
) -> None:
    async with client_with_key(sandbox, key) as keyed:
        with pytest.raises(kind):
            await keyed.check_connection()


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kind", "status", "text"),
    [
        ("", AuthError, 401, "Invalid API key"),
        ("not-a-key-at-all", AuthError, 404, "ExternalMailApiKey not found"),
        ("sandbox-emailmassivo-inactive", AuthError, 403, "API key is not active"),
        (
            "sandbox-emailmassivo-empty",
            PaymentRequired,
            402,
            "Not enough resources on the user balance",
        ),
    ],
)
async def test_key_and_balance_errors(
    sandbox: Sandbox, key: str, kind: type[ProviderError], status: int, text: str
) -> None:
    async with client_with_key(sandbox, key) as keyed:
        with pytest.raises(kind) as caught:
            await keyed.send(message())
    error = caught.value
    assert type(error) is kind
    assert error.status == status
    assert error.message == text
    assert error.provider == PROVIDER
    if key:
        assert key not in str(error)


async def test_the_key_never_appears_in_errors(sandbox: Sandbox) -> None:
    secret = "sk-VERY-SECRET-0042"
    async with client_with_key(sandbox, secret) as keyed:
        errors: list[ProviderError] = []
        for call in (keyed.send(message()), keyed.check_connection()):
            with pytest.raises(ProviderError) as caught:
                await call
            errors.append(caught.value)
    async with EmailMassivoClient(api_key=secret, base_url="http://127.0.0.1:9") as closed:
        with pytest.raises(Unavailable) as caught:
            await closed.send(message())
        errors.append(caught.value)
    for error in errors:
        assert secret not in str(error)
        assert secret not in error.message
        assert secret not in repr(error.raw)


async def test_unverified_sender_domain(client: EmailMassivoClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(sender=Address("me@unverified.org")))
    assert caught.value.field == "from"
    assert caught.value.message == "User Domain not found"
    assert caught.value.status == 404


async def test_unknown_template(client: EmailMassivoClient) -> None:
    with pytest.raises(NotFound) as caught:
        await client.send(message(template=TemplateRef("999", {"name": "x"})))
    assert caught.value.field == "template"
    assert caught.value.message == "TemplateMailUser not found by id"


@pytest.mark.parametrize(
    ("attachments", "text"),
    [
        ([Attachment("setup.exe", b"MZ")], "Attachments type forbidden"),
        (
            [Attachment("big.bin", b"\0" * (10 * 1024 * 1024 + 1))],
            "Attachments size more than allowed",
        ),
    ],
)
async def test_attachment_errors(
    client: EmailMassivoClient, attachments: list[Attachment], text: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(attachments=attachments))
    assert caught.value.field == "attachments"
    assert caught.value.message == text
    assert caught.value.status == 400


async def test_attachment_that_is_not_base64(client: EmailMassivoClient) -> None:
    mail = client.build_mail(message(), Address("jane@x.com"), with_copies=False)
    mail["attachments"] = [{"a.txt": "%%% not base64 %%%"}]
    with pytest.raises(ValidationError) as caught:
        await client.send_mail(mail, idempotency_key="bad-base64")
    assert caught.value.field == "attachments"
    assert caught.value.message == "Attachments parse failed"


async def test_exactly_ten_megabytes_is_allowed(client: EmailMassivoClient) -> None:
    result = await client.send(
        message(attachments=[Attachment("big.bin", b"\0" * 10 * 1024 * 1024)])
    )
    assert result.accepted


@pytest.mark.parametrize(
    ("local", "reason", "text"),
    [
        ("unsubscribed", "unsubscribed", "Email receiver unsubscribed from this API key mails"),
        ("nobody", "nonexistent", "Email receiver doesn't exist"),
        ("busy", "unavailable", "Email receiver unavailable"),
    ],
)
async def test_recipient_refusals(
    client: EmailMassivoClient, local: str, reason: str, text: str
) -> None:
    mail = client.build_mail(message(), Address(f"{local}@x.com"), with_copies=False)
    with pytest.raises(RecipientRejected) as caught:
        await client.send_mail(mail, idempotency_key=f"refuse-{local}")
    assert caught.value.reason == reason
    assert caught.value.message == text
    assert caught.value.status == 422
    assert caught.value.field == "to"
    result = await client.send(message(to=[Address(f"{local}@x.com")]))
    assert not result.accepted
    assert result.outcomes[0].error_code == reason


async def test_missing_body_is_a_validation_error(client: EmailMassivoClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(html="", text=""))
    assert caught.value.status == 400


async def test_preview_title_over_255_characters(client: EmailMassivoClient) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.send(message(preview_title="p" * 256))
    assert caught.value.status == 400
    assert caught.value.field == "preview_title"


async def test_fault_rate_limit_is_rate_limited_with_retry_after(
    client: EmailMassivoClient, sandbox: Sandbox
) -> None:
    await set_faults(sandbox, rate_limit=1)
    answers = await asyncio.gather(
        *(client.send(message(idempotency_key=f"rl-{i}")) for i in range(4)),
        return_exceptions=True,
    )
    limited = [a for a in answers if isinstance(a, RateLimited)]
    assert limited, answers
    assert limited[0].retry_after == 1.0


async def test_503_is_unavailable(client: EmailMassivoClient, sandbox: Sandbox) -> None:
    await set_faults(sandbox, error_rate=1.0, status=503)
    with pytest.raises(Unavailable) as caught:
        await client.send(message())
    assert caught.value.status == 503
    assert caught.value.retryable


async def test_a_dropped_answer_is_unknown_and_a_retry_with_the_key_is_safe(
    client: EmailMassivoClient, sandbox: Sandbox
) -> None:
    msg = message(idempotency_key="dropped-once")
    await set_faults(sandbox, drop_after_accept=True)
    with pytest.raises(UnknownOutcome):
        await client.send(msg)
    await set_faults(sandbox)
    retried = await client.send(msg)
    assert retried.duplicate
    await asyncio.sleep(0.2)
    assert len(await sent(sandbox, at_least=1)) == 1


async def test_events_are_not_offered(client: EmailMassivoClient) -> None:
    for call in (client.events("x"), client.get_message("x"), client.list_templates()):
        with pytest.raises(UnsupportedFeature):
            await call
