"""Screenshots of the real window, offscreen: Compose with a message, and the bulk dialog
mid-send. They are saved in the test's temporary directory, and into resources/screenshots/
when ``MAILCONSOLE_SCREENSHOTS=1`` (look at them: a screenshot shows what a test cannot)."""

from __future__ import annotations

import csv
import os
import shutil
import zlib
from pathlib import Path

from helpers import *  # noqa: F403
from helpers import allow_headless_noise, close_window, open_window, run, wait_task
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mailconsole.services.facade import ConsoleFacade
from mailconsole.ui.compose.bulk_dialog import BulkDialog
from mailconsole.ui.settings import UiSettings

pytestmark = allow_headless_noise

SHOTS = Path(__file__).resolve().parents[2] / "resources" / "screenshots"


def keep(path: Path) -> None:
    if os.environ.get("MAILCONSOLE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)


def logo_png() -> bytes:
    """A 48 x 48 blue square with a white bar, as PNG (no image library needed)."""
    width = height = 48
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            white = 18 <= y <= 29 and 8 <= x <= 39
            row += bytes((255, 255, 255) if white else (47, 111, 179))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


HTML = """<div style="font-family: sans-serif; max-width: 520px">
<p><img src="cid:logo.png" width="48" height="48" alt="Acme"></p>
<h1 style="color:#2f6fb3">Your order has shipped</h1>
<p>Hi {{name}},</p>
<p>Good news: order <b>{{order_id}}</b> left our warehouse today and is on its way.</p>
<p><a href="https://example.com/track/{{order_id}}">Track your parcel</a></p>
<p><img src="https://example.com/banner.png" alt="Spring sale"></p>
<p style="color:#777">Acme Ltd · 1 High Street</p>
</div>"""


def test_compose_screenshot(
    facade: ConsoleFacade, ui_settings: UiSettings, qtbot: QtBot, tmp_path: Path
) -> None:
    window = open_window(qtbot, facade, ui_settings, account_id="sandbox-mailingapi", preview=True)
    try:
        window.resize(1280, 860)
        compose = window.compose
        compose.from_field.edit.setText("Acme <hello@example.com>")
        compose.to_field.edit.setText("Jane Doe <jane@example.org>, john@example.org")
        compose.subject.setText("Your order {{order_id}} has shipped")
        compose.body.html.setPlainText(HTML)
        logo = tmp_path / "logo.png"
        logo.write_bytes(logo_png())
        pdf = tmp_path / "invoice-12345.pdf"
        pdf.write_bytes(b"%PDF-1.4\n" + os.urandom(212 * 1024))
        wait_task(qtbot, compose.attachments.on_files_selected([str(pdf), str(logo)]))
        item = compose.attachments.tree.topLevelItem(1)
        assert item is not None
        item.setCheckState(2, Qt.CheckState.Checked)
        compose.options.tags.setText("orders, shipping")
        compose.options.track_opens.setCurrentIndex(1)
        compose.update_content()
        for name, value in (("name", "Jane"), ("order_id", "12345")):
            field = compose.template_panel.field(name)
            assert field is not None
            field.setText(value)
        qtbot.waitUntil(lambda: compose.preview.view is not None, timeout=20000)
        compose.update_content()
        with qtbot.waitSignal(compose.preview.rendered, timeout=20000):
            compose.preview.render_now()
        qtbot.wait(300)
        path = tmp_path / "compose.png"
        assert window.grab().save(str(path))
        keep(path)
    finally:
        close_window(qtbot, window)


def test_bulk_screenshot(
    facade: ConsoleFacade, ui_settings: UiSettings, qtbot: QtBot, tmp_path: Path
) -> None:
    window = open_window(qtbot, facade, ui_settings, account_id="sandbox-emailmassivo")
    dialog: BulkDialog | None = None
    try:
        compose = window.compose
        compose.from_field.edit.setText("Acme <hello@example.com>")
        compose.subject.setText("Your order {{order_id}} has shipped")
        compose.body.html.setPlainText("<p>Hi {{name}}, order {{order_id}} is on its way.</p>")
        compose.update_content()
        path = tmp_path / "customers.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email", "name", "order_id"])
            for i in range(120):
                email = f"bounce{i}@example.org" if i % 17 == 5 else f"customer{i:03d}@example.org"
                writer.writerow([email, f"Customer {i}", f"A{1000 + i}"])
            writer.writerow(["not-an-address", "Broken", "A9999"])
        window.open_bulk()
        bulk = window._bulk_dialog
        assert isinstance(bulk, BulkDialog)
        dialog = bulk
        qtbot.waitExposed(dialog)
        assert run(qtbot, dialog.load_csv(path)) is not None
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog is not None and dialog.progress.value() >= 50, timeout=30000)
        qtbot.mouseClick(dialog.pause_button, Qt.MouseButton.LeftButton)
        qtbot.wait(400)
        shot = tmp_path / "bulk.png"
        assert dialog.grab().save(str(shot))
        keep(shot)
    finally:
        if dialog is not None and dialog.running:
            run(qtbot, dialog.cancel())
        if dialog is not None:
            dialog.done(0)
        close_window(qtbot, window)
