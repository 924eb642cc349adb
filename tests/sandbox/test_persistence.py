"""A sandbox restarted on the same state file carries on where it stopped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sandbox_helpers import (
    EM_HEADERS,
    EM_SEND,
    EN_HEADERS,
    MA,
    MA_HEADERS,
    SMS,
    SMS_TOKEN,
    em_mail,
    en_message,
    ma_message,
    sent_messages,
    wait_for,
)

from mailconsole.sandbox import Sandbox


async def test_a_restarted_sandbox_keeps_messages_schedules_and_state(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.sqlite"
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with (
        Sandbox(port=0, time_scale=50, state_path=state) as box,
        httpx.AsyncClient(base_url=box.url) as http,
    ):
        sent = await http.post(f"{MA}/send", headers=MA_HEADERS, json=ma_message())
        sent_id = sent.json()["data"]["id"]
        scheduled = await http.post(
            f"{MA}/send", headers=MA_HEADERS, json=ma_message(scheduled_at=later)
        )
        scheduled_id = scheduled.json()["data"]["id"]
        slow = await http.post(
            "/emsgnow/email", headers=EN_HEADERS, json=en_message(to="reader@example.com")
        )
        tracking_id = slow.json()["trackingId"]
        keyed = await http.post(
            EM_SEND, headers=EM_HEADERS, json={"idempotencyKey": "k", "mail": em_mail()}
        )
        await http.post(f"{SMS}/unsubscribeEmail", data={"token": SMS_TOKEN, "email": "u@x.by"})
        created = await http.post(
            f"{SMS}/createSubscriberList", params={"token": SMS_TOKEN, "name": "Kept"}
        )
        list_id = str(created.json()["result"]["list_id"])
        await http.post(
            f"{SMS}/importContacts",
            params={
                "token": SMS_TOKEN,
                "list_id": list_id,
                "field_names[0]": "email",
                "data[0][0]": "kept@x.by",
                "data[1][0]": "u@x.by",
            },
        )
        before = await wait_for(lambda: sent_messages(http), lambda m: len(m) == 3)

    async with (
        Sandbox(port=0, time_scale=50, state_path=state) as box,
        httpx.AsyncClient(base_url=box.url) as http,
    ):
        after = await sent_messages(http)
        assert {m["id"] for m in after} >= {m["id"] for m in before}
        got = await http.get(f"{MA}/{sent_id}", headers=MA_HEADERS)
        assert got.json()["data"]["status"] in ("sent", "delivered")
        listed = (await http.get(f"{MA}/scheduled", headers=MA_HEADERS)).json()["data"]
        assert [m["id"] for m in listed] == [scheduled_id]
        cancelled = await http.delete(f"{MA}/{scheduled_id}/schedule", headers=MA_HEADERS)
        assert cancelled.status_code == 200
        again = await http.post(
            EM_SEND, headers=EM_HEADERS, json={"idempotencyKey": "k", "mail": em_mail()}
        )
        assert again.status_code == 200
        assert again.json()["uuid"] == keyed.json()["uuid"]

        async def statuses() -> list[str]:
            answer = await http.get(f"/emsgnow/email/{tracking_id}/events", headers=EN_HEADERS)
            return [e["message"]["status"] for e in answer.json()["events"]]

        await wait_for(statuses, lambda s: s[-1] == "opened")
        mailing = await http.post(
            f"{SMS}/sendEmailByList",
            data={
                "token": SMS_TOKEN,
                "list_id": list_id,
                "sender_email": "from@test.com",
                "subject": "S",
                "message": "M",
            },
        )
        assert mailing.json()["result"]["count_emails"] == 2
        await asyncio.sleep(0.2)
        tos = {m["to"][0] for m in await sent_messages(http, "smsby")}
        assert tos == {"kept@x.by"}  # u@x.by is unsubscribed: accepted, never sent

    async with (
        Sandbox(port=0, time_scale=50, state_path=state) as box,
        httpx.AsyncClient(base_url=box.url) as http,
    ):
        got = await http.get(f"{MA}/{scheduled_id}", headers=MA_HEADERS)
        assert got.json()["data"]["status"] == "cancelled"
        assert (await http.post("/_sandbox/reset")).status_code == 200

    async with Sandbox(port=0, state_path=state) as box:
        assert box.messages() == []
