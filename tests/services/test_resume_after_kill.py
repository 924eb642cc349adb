"""Kill a 1,000-recipient bulk send with SIGKILL half way, restart it, and count the mail.

The sandbox runs in this test's process (it survives the kill); the bulk send runs in a
subprocess (``bulk_worker.py``) over a real journal file. After the restart every recipient of
EmailMassivo, MailingAPI and eMsgNow has exactly one message in ``/_sandbox/messages``, also with
20% of requests answered 503 and every accepted send's answer dropped (``drop_after_accept``).
SMS.BY offers neither idempotency nor lookup: rows whose answer was lost are reported
``unknown`` and never re-sent.

With every answer dropped, nothing can ever confirm an EmailMassivo send, so its restart runs
with the drop lifted (503s stay): the lost ones are then re-sent with their idempotency key and
the provider answers 200 with the first uuid. EmailMassivo is paced at 10 requests a second (real
time), so its runs take minutes: they are marked slow.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from outbox_support import WIDE_EMSGNOW_RATE, set_faults

from mailconsole.sandbox import Sandbox
from mailconsole.store.journal import Journal, OutboxState

WORKER = Path(__file__).with_name("bulk_worker.py")
ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 1000
BATCH_SIZE = 50  # native batches of 50 rows, so that a kill can land half way

FAULTS = {"error_rate": 0.2, "status": 503, "drop_after_accept": True}
FAULTS_RECOVERED = {"error_rate": 0.2, "status": 503}


async def start_worker(box: Sandbox, journal: Path, provider: str, *, resume: bool) -> Any:
    """The worker subprocess; its output goes to a file (a full pipe would stall it)."""
    args = [
        str(WORKER),
        "--journal",
        str(journal),
        "--sandbox-url",
        box.url,
        "--provider",
        provider,
        "--recipients",
        str(RECIPIENTS),
        "--batch-size",
        str(BATCH_SIZE),
    ]
    if resume:
        args.append("--resume")
    out = journal.with_name(f"worker-{'resume' if resume else 'start'}.log")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with out.open("wb") as stream:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=stream, stderr=asyncio.subprocess.STDOUT, env=env
        )


def log_of(journal: Path, phase: str) -> str:
    return journal.with_name(f"worker-{phase}.log").read_text(encoding="utf-8")


def sent_counts(box: Sandbox, provider: str) -> Counter[str]:
    """Messages per recipient that reached ``sent`` at the sandbox."""
    return Counter(to for m in box.messages(provider) for to in m["to"])


async def kill_half_way(box: Sandbox, proc: Any, journal: Path, provider: str) -> int:
    """SIGKILL the worker once half the recipients have mail; returns the count then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 240
    while True:
        count = len(box.messages(provider))
        if count >= RECIPIENTS // 2:
            break
        if proc.returncode is not None:
            pytest.fail(f"the worker ended before the kill:\n{log_of(journal, 'start')[-3000:]}")
        if loop.time() > deadline:
            proc.kill()
            await proc.wait()
            pytest.fail(f"no progress: {count} sent\n{log_of(journal, 'start')[-3000:]}")
        await asyncio.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return count


def outbox_states(journal_path: Path) -> dict[str, OutboxState]:
    """Each recipient's outbox state, read from the journal file."""
    with Journal.open(journal_path) as journal:
        with journal.transaction() as conn:
            rows = conn.execute("SELECT id FROM outbox").fetchall()
        states = {}
        for (entry_id,) in rows:
            entry = journal.get_outbox(entry_id)
            states[entry.message.to[0].email] = entry.state
    return states


class Run:
    """What a kill-and-resume run observed."""

    def __init__(
        self,
        at_kill: Counter[str],
        states_at_kill: dict[str, OutboxState],
        at_end: Counter[str],
        states: dict[str, OutboxState],
        final: dict[str, Any],
    ) -> None:
        self.at_kill = at_kill
        self.states_at_kill = states_at_kill
        self.at_end = at_end
        self.states = states
        self.final = final


async def kill_and_resume(
    tmp_path: Path, provider: str, faults: dict[str, Any] | None, recovered: dict[str, Any] | None
) -> Run:
    """Run, kill half way, resume; returns what was sent and recorded at the kill and after."""
    journal = tmp_path / "journal.sqlite3"
    workers: list[Any] = []
    async with Sandbox(
        host="127.0.0.1", port=0, time_scale=100.0, emsgnow_rate_per_minute=WIDE_EMSGNOW_RATE
    ) as box:
        try:
            if faults:
                await set_faults(box, provider=provider, **faults)
            workers.append(await start_worker(box, journal, provider, resume=False))
            await kill_half_way(box, workers[0], journal, provider)
            await asyncio.sleep(0.05)
            at_kill = sent_counts(box, provider)
            assert 0 < sum(at_kill.values()) < RECIPIENTS
            states_at_kill = outbox_states(journal)
            await set_faults(box, provider=provider, **(recovered or {}))
            workers.append(await start_worker(box, journal, provider, resume=True))
            status = await asyncio.wait_for(workers[1].wait(), 270)
            assert status == 0, log_of(journal, "resume")[-3000:]
            await asyncio.sleep(0.1)  # accepted → sent takes 10 ms at time scale 100
            at_end = sent_counts(box, provider)
        finally:
            for worker in workers:  # never leave a worker behind a failed test
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
    done_lines = [x for x in log_of(journal, "resume").splitlines() if x.startswith("DONE ")]
    assert done_lines, log_of(journal, "resume")[-3000:]
    final = json.loads(done_lines[-1].removeprefix("DONE "))
    states = outbox_states(journal)
    assert OutboxState.QUEUED not in states.values()
    assert OutboxState.SENDING not in states.values()
    return Run(at_kill, states_at_kill, at_end, states, final)


def assert_exactly_one_each(run: Run) -> None:
    """Every recipient has exactly one message and every row is accepted."""
    at_end, states, final = run.at_end, run.states, run.final
    expected = {f"r{i}@test.com" for i in range(RECIPIENTS)}
    assert set(at_end) == expected
    duplicates = {email: n for email, n in at_end.items() if n != 1}
    assert duplicates == {}
    assert set(states) == expected
    assert Counter(states.values()) == {OutboxState.ACCEPTED: RECIPIENTS}
    assert final["sent"] == RECIPIENTS and final["finished"] and final["failed"] == 0


@pytest.mark.parametrize("provider", ["mailingapi", "emsgnow"])
async def test_kill_and_resume_sends_each_recipient_once(tmp_path: Path, provider: str) -> None:
    assert_exactly_one_each(await kill_and_resume(tmp_path, provider, None, None))


@pytest.mark.parametrize("provider", ["mailingapi", "emsgnow"])
async def test_kill_and_resume_with_503s_and_lost_answers(tmp_path: Path, provider: str) -> None:
    assert_exactly_one_each(await kill_and_resume(tmp_path, provider, FAULTS, FAULTS))


@pytest.mark.slow
@pytest.mark.timeout(290)
async def test_kill_and_resume_emailmassivo(tmp_path: Path) -> None:
    assert_exactly_one_each(await kill_and_resume(tmp_path, "emailmassivo", None, None))


@pytest.mark.slow
@pytest.mark.timeout(290)
async def test_kill_and_resume_emailmassivo_with_503s_and_lost_answers(tmp_path: Path) -> None:
    run = await kill_and_resume(tmp_path, "emailmassivo", FAULTS, FAULTS_RECOVERED)
    assert_exactly_one_each(run)
    # The restart found rows whose answer had been lost, and resolved them with their key.
    assert OutboxState.UNKNOWN in run.states_at_kill.values()


@pytest.mark.parametrize("faults", [None, FAULTS], ids=["clean", "faults"])
async def test_kill_and_resume_smsby_reports_the_unsure_as_unknown(
    tmp_path: Path, faults: dict[str, Any] | None
) -> None:
    run = await kill_and_resume(tmp_path, "smsby", faults, faults)
    expected = {f"r{i}@test.com" for i in range(RECIPIENTS)}
    assert set(run.states) == expected
    assert max(run.at_end.values()) == 1  # nothing was ever sent twice
    unknown = {e for e, s in run.states.items() if s is OutboxState.UNKNOWN}
    accepted = {e for e, s in run.states.items() if s is OutboxState.ACCEPTED}
    assert unknown | accepted == expected
    assert all(run.at_end[e] == 1 for e in accepted)
    # Rows in flight (or already unsure) at the kill stay unknown and were not re-sent.
    unsure = {
        e for e, s in run.states_at_kill.items() if s in (OutboxState.SENDING, OutboxState.UNKNOWN)
    }
    assert unsure <= unknown
    assert all(run.at_end[e] == run.at_kill[e] for e in unsure)
    assert run.final["failed"] == len(unknown) and run.final["sent"] == len(accepted)
    if faults:  # every answer was dropped: each row is unsure, and each went out once
        assert unsure
        assert unknown == expected
        # ... except rows in flight at the kill, whose request may never have left.
        assert all(run.at_end[e] == 1 for e in expected - unsure)
