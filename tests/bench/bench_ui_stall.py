"""How long the window freezes during a 10,000-recipient bulk send to the sandbox.

A 10 ms QTimer heartbeat runs on the GUI thread while the real window (the bulk dialog, its
results table and progress bar, the real facade over a real journal) sends 10,000 personalised
messages to the sandbox; the benchmark reports the largest lateness of a heartbeat (target
<= 50 ms) and a few percentiles. The sandbox runs in its own process, as a provider would, so
its work is not counted against the window.

    .venv/bin/python tests/bench/bench_ui_stall.py [--rows 10000] [--provider mailingapi]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, QTimer  # noqa: E402

from mailconsole.app import create_application  # noqa: E402
from mailconsole.core.capabilities import PROVIDER_IDS  # noqa: E402
from mailconsole.ui.bridge import QEventLoop  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sandbox(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mailconsole.sandbox", "--port", str(port), "--time-scale", "100"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the sandbox did not start")


class Heartbeat:
    """A 10 ms timer that records how late each tick comes."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.interval = interval_ms / 1000
        self.lateness: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.on_tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def on_tick(self) -> None:
        now = time.perf_counter()
        self.lateness.append(max(0.0, now - self._last - self.interval))
        self._last = now


async def run(rows: int, provider: str, port: int, work: Path) -> int:
    from mailconsole.services.facade import ConsoleFacade
    from mailconsole.ui.compose.bulk_dialog import BulkDialog
    from mailconsole.ui.main_window import MainWindow
    from mailconsole.ui.settings import UiSettings

    base = f"http://127.0.0.1:{port}"
    urls = {p: f"{base}/{p}" for p in PROVIDER_IDS}
    facade = await ConsoleFacade.open(data_dir=work / "data", sandbox_urls=urls)
    settings = UiSettings(QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat))
    settings.preview_visible = False
    settings.last_account = f"sandbox-{provider}"
    window = MainWindow(facade, settings)
    window.show()
    await window.start()
    compose = window.compose
    compose.from_field.edit.setText("Acme <hello@example.com>")
    compose.subject.setText("Order {{order_id}} has shipped")
    compose.body.html.setPlainText("<p>Hi {{name}}, order {{order_id}} is on its way.</p>")
    compose.update_content()

    path = work / "recipients.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "order_id"])
        for i in range(rows):
            writer.writerow([f"customer{i:05d}@example.org", f"Customer {i}", f"A{i}"])

    window.open_bulk()
    dialog = window._bulk_dialog
    assert isinstance(dialog, BulkDialog)
    heartbeat = Heartbeat()
    heartbeat.start()
    loaded = time.perf_counter()
    if await dialog.load_csv(path) is None:
        print(dialog.status.text())
        return 2
    load_time = time.perf_counter() - loaded
    load_stall = max(heartbeat.lateness, default=0.0)
    heartbeat.lateness.clear()
    done = asyncio.Event()
    dialog.sending_ended.connect(lambda _progress: done.set())
    started = time.perf_counter()
    await dialog.start()
    if dialog.running:
        await done.wait()
    elapsed = time.perf_counter() - started
    heartbeat.stop()
    print(dialog.status.text())
    lateness = sorted(heartbeat.lateness)
    worst = lateness[-1] * 1000 if lateness else 0.0
    p99 = lateness[int(len(lateness) * 0.99) - 1] * 1000 if lateness else 0.0
    median = statistics.median(lateness) * 1000 if lateness else 0.0
    print(f"rows: {rows} via {provider}; sent in {elapsed:.1f} s ({rows / elapsed:.0f} rows/s)")
    stall = load_stall * 1000
    print(f"reading and checking the CSV: {load_time * 1000:.0f} ms, worst stall {stall:.0f} ms")
    print(f"heartbeats: {len(lateness)}; lateness median {median:.1f} ms, p99 {p99:.1f} ms")
    print(f"largest lateness during the send: {worst:.1f} ms (target <= 50)")
    dialog.done(0)
    window.close()
    await window.shutdown()
    await facade.close()
    return 0 if worst <= 50 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--provider", default="mailingapi", choices=PROVIDER_IDS)
    options = parser.parse_args()
    port = free_port()
    sandbox = start_sandbox(port)
    try:
        with tempfile.TemporaryDirectory() as work:
            app = create_application(sys.argv[:1])
            with asyncio.Runner(loop_factory=lambda: QEventLoop(app)) as runner:
                return runner.run(run(options.rows, options.provider, port, Path(work)))
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    sys.exit(main())
