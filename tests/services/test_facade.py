"""The facade the window calls, end to end: real sandbox, real journal, real keyring."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mailconsole.core.errors import ValidationError
from mailconsole.core.message import Address, Attachment, Message
from mailconsole.core.validation import MessageInvalid
from mailconsole.sandbox import Sandbox
from mailconsole.services.facade import ConsoleFacade
from mailconsole.services.facade_types import AccountDraft, BulkProgress, ColumnMapping
from mailconsole.services.secrets import SecretStore

PROVIDERS = ("emailmassivo", "smsby", "mailingapi", "emsgnow")


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(port=0, time_scale=100.0) as box:
        yield box


@pytest.fixture
async def facade(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[ConsoleFacade]:
    urls = {p: sandbox.base_url(p) for p in PROVIDERS}
    console = await ConsoleFacade.open(data_dir=tmp_path, sandbox_urls=urls)
    try:
        yield console
    finally:
        await console.close()


async def sent(sandbox: Sandbox) -> list[dict[str, object]]:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{sandbox.url}/_sandbox/messages")
    messages: list[dict[str, object]] = answer.json()
    return messages


def message(**changes: object) -> Message:
    fields: dict[str, object] = {
        "sender": Address("shop@example.com", "Shop"),
        "to": [Address("jane@example.org", "Jane")],
        "subject": "Your order",
        "html": "<p>Shipped</p>",
        "text": "Shipped",
    }
    fields.update(changes)
    return Message(**fields)  # type: ignore[arg-type]


async def test_sandbox_accounts_are_opened(facade: ConsoleFacade) -> None:
    views = {v.provider: v for v in facade.accounts()}
    assert set(views) == set(PROVIDERS)
    assert all(v.is_sandbox and v.label.startswith("Sandbox — ") for v in views.values())
    assert facade.capabilities("sandbox-emsgnow").cc_bcc is False


@pytest.mark.parametrize("provider", ["mailingapi", "emailmassivo"])
async def test_send_reaches_the_sandbox_and_the_journal(
    facade: ConsoleFacade, sandbox: Sandbox, provider: str
) -> None:
    msg = message(
        attachments=[Attachment("invoice.pdf", b"%PDF-1.4 x", "application/pdf")],
    )
    receipt = await facade.send(f"sandbox-{provider}", msg)
    assert receipt.result is not None and receipt.result.accepted
    delivered = [m for m in await sent(sandbox) if m["provider"] == provider]
    assert len(delivered) == 1
    assert delivered[0]["subject"] == "Your order"
    assert delivered[0]["attachments"] == [{"name": "invoice.pdf", "size": 10}]
    rows = await facade.messages_page()
    assert [r.recipient for r in rows] == ["jane@example.org"]
    assert rows[0].provider_message_id


async def test_invalid_message_names_its_field_and_sends_nothing(
    facade: ConsoleFacade, sandbox: Sandbox
) -> None:
    with pytest.raises(MessageInvalid) as caught:
        await facade.send("sandbox-mailingapi", message(to=[Address("not-an-address")]))
    assert [e.field for e in caught.value.errors] == ["to"]
    assert await sent(sandbox) == []


async def test_provider_refusal_is_raised_with_its_field(facade: ConsoleFacade) -> None:
    with pytest.raises(ValidationError) as caught:
        await facade.send(
            "sandbox-mailingapi", message(sender=Address("shop@unverified-domain.org"))
        )
    assert caught.value.field == "from"
    status = facade.provider_status("sandbox-mailingapi")
    assert status.health == "error" and "domain" in status.last_error.lower()


async def test_suppressed_recipient_is_stopped_before_sending(
    facade: ConsoleFacade, sandbox: Sandbox
) -> None:
    await facade.suppress("jane@example.org", account_id=None, reason="asked by phone")
    with pytest.raises(MessageInvalid) as caught:
        await facade.send("sandbox-mailingapi", message())
    assert caught.value.errors[0].field == "to"
    assert "asked by phone" in caught.value.errors[0].message
    await facade.unsuppress("jane@example.org", account_id=None)
    await facade.send("sandbox-mailingapi", message())
    assert len(await sent(sandbox)) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_show_request_is_the_real_request_with_the_key_redacted(
    facade: ConsoleFacade, sandbox: Sandbox, provider: str
) -> None:
    msg = message(html="", text="Shipped") if provider == "emsgnow" else message()
    if provider in ("smsby", "emsgnow"):
        msg = Message(
            sender=Address("shop@example.com"),
            to=[Address("jane@example.org")],
            subject="Your order",
            text="Shipped",
        )
    text = await facade.show_request(f"sandbox-{provider}", msg)
    assert text.startswith("curl -X POST")
    assert sandbox.base_url(provider) in text
    assert f"sandbox-{provider}" not in text
    assert "$API_KEY" in text
    assert "Your order" in text
    assert await sent(sandbox) == [], "Show request must send nothing"


async def test_analyze_uses_mailingapi_and_console_checks_elsewhere(
    facade: ConsoleFacade,
) -> None:
    remote = await facade.analyze("sandbox-mailingapi", message(text=""))
    assert remote.source == "MailingAPI" and remote.score is not None
    local = await facade.analyze(
        "sandbox-emailmassivo",
        message(subject="BUY NOW", text="", html='<a href="http://x.example">x</a>'),
    )
    assert local.source == "Mail Console checks" and local.score is None
    joined = " ".join(local.issues)
    assert "capitals" in joined and "plain-text" in joined and "http://" in joined


async def test_bulk_send_from_csv_reports_every_row(
    facade: ConsoleFacade, sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = ["email;name;code"] + [f"user{i}@example.org;User {i};C{i}" for i in range(20)]
    rows.insert(5, "broken-address;Nobody;X")
    csv_path = tmp_path / "people.csv"
    csv_path.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    table = await facade.read_csv(csv_path)
    mapping = facade.default_mapping(table)
    assert mapping == ColumnMapping(email="email", name="name", variables={"code": "code"})
    reports: list[BulkProgress] = []
    finished = asyncio.Event()

    def on_progress(progress: BulkProgress) -> None:
        reports.append(progress)
        if progress.finished:
            finished.set()

    template = message(
        to=[], subject="Hi {{name}}", html="<p>Code {{code}}</p>", text="Code {{code}}"
    )
    bulk_id = await facade.start_bulk("sandbox-mailingapi", template, table, mapping, on_progress)
    await asyncio.wait_for(finished.wait(), 10)
    final = reports[-1]
    assert (final.total, final.sent, final.skipped) == (21, 20, 1)
    seen = [r for p in reports for r in p.results]
    assert any(r.line == 6 and r.email == "broken-address" for r in seen)
    delivered = await sent(sandbox)
    assert len(delivered) == 20
    assert {m["subject"] for m in delivered} == {f"Hi User {i}" for i in range(20)}
    assert bulk_id


async def test_scheduled_message_is_listed_and_cancelled(
    facade: ConsoleFacade, sandbox: Sandbox
) -> None:
    from datetime import timedelta

    when = facade.now() + timedelta(days=2)
    await facade.send("sandbox-mailingapi", message(send_at=when))
    rows = await facade.scheduled()
    assert len(rows) == 1 and rows[0].can_cancel
    await facade.cancel_scheduled(rows[0].id)
    assert [r.state for r in await facade.scheduled() if r.id == rows[0].id] in ([], ["cancelled"])
    assert await sent(sandbox) == []


async def test_real_account_key_lives_in_the_keyring_only(
    sandbox: Sandbox, tmp_path: Path, secret_store: SecretStore
) -> None:
    console = await ConsoleFacade.open(data_dir=tmp_path, secrets=secret_store)
    key = "ob_test_" + "k3y" * 8
    try:
        view = await console.add_account(
            AccountDraft(
                name="Acme",
                provider="mailingapi",
                base_url=sandbox.base_url("mailingapi"),
                default_sender="hello@example.com",
                api_key=key,
            )
        )
        assert await secret_store.get(view.id) == key
        assert console.keyring_backend() == "Secret Service"
        checked = await console.test_connection(
            AccountDraft(
                name="Acme",
                provider="mailingapi",
                base_url=sandbox.base_url("mailingapi"),
                api_key="sandbox-mailingapi",
            )
        )
        assert checked
    finally:
        await console.close()
    files = await asyncio.to_thread(lambda: [p.read_bytes() for p in tmp_path.iterdir()])
    assert files, "the journal should have been written"
    assert all(key.encode() not in content for content in files), "the key leaked to a file"
