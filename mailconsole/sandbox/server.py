"""The sandbox server: one aiohttp application with the four providers under their prefixes,
the ``/_sandbox`` endpoints, and in-process start/stop (also from a background thread)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from mailconsole.sandbox.admin import FaultBook, build_admin_app, sandbox_messages
from mailconsole.sandbox.common import MAX_BODY_BYTES, PROVIDERS, Handler, SandboxContext
from mailconsole.sandbox.emailmassivo import EmailMassivo
from mailconsole.sandbox.emsgnow import EMsgNow
from mailconsole.sandbox.lifecycle import Clock
from mailconsole.sandbox.mailingapi import MailingApi
from mailconsole.sandbox.smsby import SmsBy
from mailconsole.sandbox.state import MessageStore, Persistence

PROVIDER_CLASSES = {
    "emailmassivo": EmailMassivo,
    "smsby": SmsBy,
    "mailingapi": MailingApi,
    "emsgnow": EMsgNow,
}


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names a loopback interface (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@web.middleware
async def _outside_prefixes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Requests no provider claims (unknown top-level paths): a plain JSON error."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response({"error": exc.reason}, status=exc.status)


class Sandbox:
    """The four provider APIs on one loopback port, embeddable in a running event loop.

    ``async with Sandbox(port=0, time_scale=50) as sandbox: ...``; ``sandbox.url`` and
    ``sandbox.base_url("mailingapi")`` say where it listens.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        state_path: str | Path | None = None,
        *,
        allow_non_loopback: bool = False,
        emsgnow_rate_per_minute: int = 120,
    ) -> None:
        if not allow_non_loopback and not is_loopback_host(host):
            raise ValueError(f"refusing to listen on non-loopback host {host!r}")
        self.host = host
        self.requested_port = port
        self.clock = Clock(time_scale)
        self.state_path = Path(state_path) if state_path is not None else None
        self.faults = FaultBook()
        #: eMsgNow's per-minute budget per key (the contract's default is 120).
        self.emsgnow_rate_per_minute = emsgnow_rate_per_minute
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._ctx: SandboxContext | None = None
        self.providers: dict[str, Any] = {}

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Restore any saved state and start listening."""
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        persistence = Persistence(self.state_path) if self.state_path is not None else None
        store = MessageStore(persistence)
        ctx = SandboxContext(
            self.clock,
            store,
            self.faults,
            persistence,
            emsgnow_rate_per_minute=self.emsgnow_rate_per_minute,
        )
        self._ctx = ctx
        self.providers = {name: cls(ctx) for name, cls in PROVIDER_CLASSES.items()}
        store.load()
        for provider in self.providers.values():
            provider.restore()
        app = web.Application(middlewares=[_outside_prefixes], client_max_size=MAX_BODY_BYTES)
        for name, provider in self.providers.items():
            app.add_subapp(f"/{name}", provider.build_app())
        app.add_subapp("/_sandbox", build_admin_app(self))
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            await self._close_providers()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening, stop callbacks, close the state file."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._close_providers()

    async def _close_providers(self) -> None:
        for provider in self.providers.values():
            await provider.close()
        if self._ctx is not None and self._ctx.persistence is not None:
            self._ctx.persistence.close()
            self._ctx.persistence = None
            self._ctx.store.persistence = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- where ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("sandbox not started")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def base_url(self, provider: str) -> str:
        if provider not in PROVIDERS:
            raise KeyError(provider)
        return f"{self.url}/{provider}"

    # -- control --------------------------------------------------------------------------

    @property
    def context(self) -> SandboxContext:
        if self._ctx is None:
            raise RuntimeError("sandbox not started")
        return self._ctx

    def messages(self, provider: str | None = None) -> list[dict[str, Any]]:
        """What ``GET /_sandbox/messages`` answers: sent messages, newest first."""
        ctx = self.context
        return sandbox_messages(ctx.store, ctx.clock.now(), provider)

    def reset(self) -> None:
        """Forget every message, record and fault; re-seed the providers' data."""
        ctx = self.context
        ctx.store.clear()
        if ctx.persistence is not None:
            ctx.persistence.clear()
        self.faults.clear()
        for provider in self.providers.values():
            provider.reset()


class SandboxThread:
    """A :class:`Sandbox` running in a background thread with its own event loop."""

    def __init__(self, **kwargs: Any) -> None:
        self.sandbox = Sandbox(**kwargs)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> SandboxThread:
        """Start the thread; returns once the sandbox listens (or raises why it could not)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self._run, name="mailconsole-sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("sandbox did not start in time")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self.sandbox.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.sandbox.stop()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the sandbox and join the thread."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or loop is None or stop is None:
            return
        if thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> SandboxThread:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.sandbox.url

    def base_url(self, provider: str) -> str:
        return self.sandbox.base_url(provider)

    def messages(self, provider: str | None = None) -> list[dict[str, Any]]:
        """Sent messages, read on the sandbox's own loop."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("sandbox thread not started")

        async def read() -> list[dict[str, Any]]:
            return self.sandbox.messages(provider)

        future: Future[list[dict[str, Any]]] = asyncio.run_coroutine_threadsafe(read(), loop)
        return future.result(10)
