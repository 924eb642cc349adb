"""Fixtures for widget tests: a qasync loop running inside pytest-qt's QApplication.

Follows what is known to work here (GUIDE.md): a per-test ``QEventLoop(qapp,
already_running=True)`` set as the current loop, so ``qtbot.waitSignal``/``waitUntil`` drive both
Qt and asyncio; on teardown the pending tasks are cancelled and the loop unregistered without
``loop.stop()`` (which would call ``QApplication.exit()`` and break later tests). The loop's
worker threads (``run_blocking``) are a plain pool shut down with the test: qasync's own are
QThreads that the per-test loop never stops, and Qt aborts when Python exits with them running.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtWidgets import QApplication

from mailconsole.ui.bridge import QEventLoop

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")


@pytest.fixture
def qloop(qapp: QApplication, qtbot: object) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop for one test."""
    loop = QEventLoop(qapp, already_running=True)
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-worker")
    loop.set_default_executor(pool)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        deadline = 200
        while pending and deadline:
            qapp.processEvents()
            pending = [t for t in pending if not t.done()]
            deadline -= 1
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
