"""Fixtures and helpers for the widget tests: a real sandbox on loopback, a real facade over a
real SQLite journal in ``tmp_path``, and the real window, all on the test's qasync loop.

Test modules import the fixtures they use (``from helpers import sandbox, facade, window``).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from pytestqt.qtbot import QtBot

# QtWebEngine (the preview) wants shared OpenGL contexts set before the QApplication exists;
# test modules import this file at collection, before pytest-qt creates the application.
if QCoreApplication.instance() is None:
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

from mailconsole.core.capabilities import PROVIDER_IDS
from mailconsole.sandbox import Sandbox
from mailconsole.services.facade import ConsoleFacade
from mailconsole.ui.main_window import MainWindow
from mailconsole.ui.settings import UiSettings

T = TypeVar("T")

#: What Qt's offscreen platform and Chromium say on a headless machine without a GPU (QtWebEngine
#: starting, the offscreen plugin lacking size hints); they are about the test machine, not the
#: console, so test modules ignore exactly these (``pytestmark = allow_headless_noise``).
HEADLESS_NOISE: tuple[str, ...] = (
    r"QRhiGles2: Failed to create",
    r"Failed to create RHI",
    r"GPUInfo not initialized",
    r"createPlatformVulkanInstance",
    r"QVulkanInstance",
    r"GBM is not supported",
    r"Unable to detect GPU vendor",
    r"This plugin does not support propagateSizeHints",
)

#: Mark a module whose tests show windows on the offscreen platform.
allow_headless_noise = pytest.mark.qt_log_ignore(*HEADLESS_NOISE)


def run(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = 15000) -> T:
    """Run ``coro`` on the test's qasync loop until it ends, and return its result."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def wait_task(qtbot: QtBot, task: asyncio.Task[T], timeout: int = 15000) -> T:
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


async def fetch_json(url: str) -> Any:
    def get() -> Any:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read().decode())

    return await asyncio.to_thread(get)


def delivered(qtbot: QtBot, sandbox: Sandbox) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = run(qtbot, fetch_json(f"{sandbox.url}/_sandbox/messages"))
    return result


@pytest.fixture
def sandbox(qloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> Iterator[Sandbox]:
    """A fresh sandbox on an ephemeral loopback port, lifecycles 100 times faster."""
    box = Sandbox(port=0, time_scale=100)
    run(qtbot, box.start())
    try:
        yield box
    finally:
        run(qtbot, box.stop())


def sandbox_urls(box: Sandbox) -> dict[str, str]:
    return {provider: box.base_url(provider) for provider in PROVIDER_IDS}


@pytest.fixture
def facade(sandbox: Sandbox, tmp_path: Path, qtbot: QtBot) -> Iterator[ConsoleFacade]:
    """The real facade over a real SQLite journal in ``tmp_path``, with the sandbox accounts."""
    console = run(
        qtbot, ConsoleFacade.open(data_dir=tmp_path / "data", sandbox_urls=sandbox_urls(sandbox))
    )
    try:
        yield console
    finally:
        run(qtbot, console.close())


@pytest.fixture
def ui_settings(tmp_path: Path) -> UiSettings:
    """Window settings in an INI file of their own (never the user's)."""
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


def open_window(
    qtbot: QtBot,
    console: ConsoleFacade,
    settings: UiSettings,
    *,
    account_id: str | None = None,
    preview: bool = False,
) -> MainWindow:
    """The real window on ``console``, shown and started (the preview hidden unless asked)."""
    settings.preview_visible = preview
    if account_id is not None:
        settings.last_account = account_id
    window = MainWindow(console, settings)
    window.show()
    qtbot.waitExposed(window)
    run(qtbot, window.start())
    return window


def close_window(qtbot: QtBot, window: MainWindow) -> None:
    """Close the window as the user does, then shut it down as ``run_console`` does."""
    if window.isVisible():
        window.close()
    run(qtbot, window.shutdown())
    window.deleteLater()
    qtbot.wait(10)


@pytest.fixture
def window(facade: ConsoleFacade, ui_settings: UiSettings, qtbot: QtBot) -> Iterator[MainWindow]:
    """The window on the MailingAPI sandbox account."""
    win = open_window(qtbot, facade, ui_settings, account_id="sandbox-mailingapi")
    try:
        yield win
    finally:
        close_window(qtbot, win)


#: What ``from helpers import *`` brings into a test module: the fixtures and helpers.
__all__ = [
    "HEADLESS_NOISE",
    "allow_headless_noise",
    "close_window",
    "delivered",
    "facade",
    "fetch_json",
    "open_window",
    "run",
    "sandbox",
    "sandbox_urls",
    "ui_settings",
    "wait_task",
    "window",
]
