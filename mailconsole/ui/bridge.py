"""The one place where Qt meets asyncio (qasync).

The rest of the UI imports from here: :func:`async_slot` to run a coroutine from a Qt signal,
:class:`TaskRegistry` for long work that can be cancelled, :class:`EventRelay` to re-emit Python
callbacks as Qt signals, and :func:`run_blocking` for keyring, SQLite and file work that must
not freeze the window.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast

import qasync
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

QEventLoop = qasync.QEventLoop


def async_slot(
    *types: type,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, asyncio.Task[T]]]:
    """Decorate a coroutine method so a Qt signal runs it as an asyncio task; exceptions reach
    ``sys.excepthook`` (and so the application's error dialog). Calling the method directly
    returns the task, which tests can await. (A typed face for ``qasync.asyncSlot``.)"""
    return cast(
        Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, asyncio.Task[T]]],
        qasync.asyncSlot(*types),
    )


async def run_blocking(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call (keyring, SQLite, file I/O) in a worker thread."""
    return await asyncio.to_thread(fn, *args, **kwargs)


class TaskRegistry(QObject):
    """Named, cancellable background tasks with strong references; failures are logged.

    Signals: ``started(name)``, ``finished(name)``, ``failed(name, message)``.
    """

    started = Signal(str)
    finished = Signal(str)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def start(self, name: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start ``coro`` as the task ``name``; a running task of the same name is cancelled."""
        self.cancel(name)
        task = asyncio.ensure_future(coro)
        self._tasks[name] = task
        self.started.emit(name)
        task.add_done_callback(functools.partial(self._done, name))
        return task

    def _done(self, name: str, task: asyncio.Task[Any]) -> None:
        if self._tasks.get(name) is task:
            del self._tasks[name]
        if task.cancelled():
            self.finished.emit(name)
            return
        error = task.exception()
        if error is not None:
            log.error("task %s failed", name, exc_info=error)
            self.failed.emit(name, str(error))
        self.finished.emit(name)

    def cancel(self, name: str) -> bool:
        """Cancel the task ``name`` if it runs; True when there was one."""
        task = self._tasks.get(name)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    async def cancel_all(self) -> None:
        """Cancel every task and wait for them to end (orderly shutdown)."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


class EventRelay(QObject):
    """Re-emits plain Python callbacks from the services as a Qt signal, on the GUI thread.

    Signals: ``reported(object)`` — whatever the service reported. Qt queues the emission when
    the callback comes from a worker thread.
    """

    reported = Signal(object)

    def __call__(self, payload: object) -> None:
        self.reported.emit(payload)


def ensure_awaitable(value: Awaitable[T]) -> asyncio.Future[T]:
    """Schedule an awaitable on the running loop (for callers outside coroutines)."""
    return asyncio.ensure_future(value)
