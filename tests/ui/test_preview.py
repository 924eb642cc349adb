"""The preview renders as a mail client would: nothing is fetched from the network until the user
asks for remote images, counted at a real aiohttp server on loopback."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from helpers import *  # noqa: F403
from helpers import allow_headless_noise, close_window, open_window, run, wait_task
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mailconsole.core.message import Attachment
from mailconsole.services.facade import ConsoleFacade
from mailconsole.ui.compose.preview import inline_cid_images
from mailconsole.ui.main_window import MainWindow
from mailconsole.ui.settings import UiSettings

pytestmark = allow_headless_noise

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class ImageServer:
    """A loopback HTTP server that counts the requests it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        async def image(request: web.Request) -> web.Response:
            self.requests.append(request.path)
            return web.Response(body=PIXEL, content_type="image/png")

        app = web.Application()
        app.router.add_get("/{name}", image)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
def images(facade: ConsoleFacade, qtbot: QtBot) -> Iterator[ImageServer]:
    server = ImageServer()
    run(qtbot, server.start())
    try:
        yield server
    finally:
        run(qtbot, server.stop())


@pytest.fixture
def preview_window(
    facade: ConsoleFacade, ui_settings: UiSettings, qtbot: QtBot
) -> Iterator[MainWindow]:
    window = open_window(qtbot, facade, ui_settings, account_id="sandbox-mailingapi", preview=True)
    qtbot.waitUntil(lambda: window.compose.preview.view is not None, timeout=20000)
    try:
        yield window
    finally:
        close_window(qtbot, window)


def test_start_up_does_not_load_qtwebengine() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import mailconsole.ui.main_window; "
        "print(any(m.startswith('PySide6.QtWebEngine') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_remote_images_load_only_when_allowed(
    preview_window: MainWindow, images: ImageServer, qtbot: QtBot
) -> None:
    compose = preview_window.compose
    preview = compose.preview
    html = (
        f'<h1>Hello</h1><img src="{images.url}/logo.png">'
        f'<p style="background:url({images.url}/bg.png)">x</p>'
    )
    blocker = preview._blocker
    assert blocker is not None
    compose.body.html.setPlainText(html)
    qtbot.waitUntil(lambda: blocker.blocked >= 2, timeout=20000)
    qtbot.wait(200)
    assert images.requests == []
    assert preview.remote_bar.isVisible()

    with qtbot.waitSignal(preview.rendered, timeout=20000):
        qtbot.mouseClick(preview.show_remote, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(images.requests) >= 1, timeout=10000)
    assert "/logo.png" in images.requests
    assert not preview.remote_bar.isVisible()

    # A new message blocks them again.
    wait_task(qtbot, compose.new_message())
    assert not preview.remote_allowed


def test_javascript_is_off(preview_window: MainWindow, images: ImageServer, qtbot: QtBot) -> None:
    compose = preview_window.compose
    script = f'<script>new Image().src = "{images.url}/from-script.png";</script><p>hi</p>'
    compose.body.html.setPlainText(script)
    compose.update_content()
    with qtbot.waitSignal(compose.preview.rendered, timeout=20000):
        compose.preview.render_now()
    qtbot.mouseClick(compose.preview.show_remote, Qt.MouseButton.LeftButton)
    qtbot.wait(500)
    assert "/from-script.png" not in images.requests


def test_cid_images_come_from_the_attachments(tmp_path: Path) -> None:
    logo = Attachment("logo.png", PIXEL, "image/png", content_id="logo.png")
    html = inline_cid_images('<img src="cid:logo.png"><img src="cid:missing">', [logo])
    assert 'src="data:image/png;base64,' in html
    assert "cid:missing" in html
