"""The asyncio bridge: tasks started from the UI run on the Qt loop and can be cancelled."""

from __future__ import annotations

import asyncio

from pytestqt.qtbot import QtBot

from mailconsole.ui.bridge import EventRelay, TaskRegistry


def test_task_runs_and_reports_finished(qloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> None:
    registry = TaskRegistry()
    seen: list[str] = []

    async def work() -> None:
        await asyncio.sleep(0.01)
        seen.append("done")

    with qtbot.waitSignal(registry.finished, timeout=2000) as blocker:
        registry.start("work", work())
    assert blocker.args == ["work"]
    assert seen == ["done"]
    assert not registry.running("work")


def test_cancel_stops_the_task(qloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> None:
    registry = TaskRegistry()
    reached_end: list[bool] = []

    async def long_work() -> None:
        await asyncio.sleep(30)
        reached_end.append(True)

    registry.start("long", long_work())
    assert registry.running("long")
    with qtbot.waitSignal(registry.finished, timeout=2000):
        assert registry.cancel("long")
    assert reached_end == []
    assert not registry.running("long")


def test_failure_is_reported(qloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> None:
    registry = TaskRegistry()

    async def broken() -> None:
        raise RuntimeError("provider exploded")

    with qtbot.waitSignal(registry.failed, timeout=2000) as blocker:
        registry.start("broken", broken())
    assert blocker.args == ["broken", "provider exploded"]


def test_relay_re_emits_callbacks(qtbot: QtBot) -> None:
    relay = EventRelay()
    with qtbot.waitSignal(relay.reported, timeout=1000) as blocker:
        relay({"kind": "progress", "done": 3})
    assert blocker.args == [{"kind": "progress", "done": 3}]
