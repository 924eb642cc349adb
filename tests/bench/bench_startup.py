"""Start-up time of the console window, as a ratio to a bare PySide6 QMainWindow.

Each run is a fresh subprocess (``QT_QPA_PLATFORM=offscreen`` unless set): the time from spawning
the process to the first paint of the main window. The console runs its real start-up
(``mailconsole.app.run_gui`` with ``--sandbox``: the embedded sandbox, the journal, the four
sandbox accounts, the window and the last draft), in a fresh data directory prepared once.
The median of 5 runs of each is reported; the target is a ratio of at most 1.5.

    .venv/bin/python tests/bench/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Prints the wall-clock time of the first paint of a QMainWindow, then closes it.
FIRST_PAINT = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, event):
        if not self.done and event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
            self.done = True
            print(f"SHOWN {time.time():.6f}", flush=True)
            if not CLOSE_WHEN_READY:
                QTimer.singleShot(0, obj.close)
        return False

CLOSE_WHEN_READY = False
"""

BARE = (
    FIRST_PAINT
    + """
app = QApplication(sys.argv[:1])
app.setQuitOnLastWindowClosed(True)
spy = FirstPaint()
app.installEventFilter(spy)
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1200, 820)
window.show()
app.exec()
"""
)

#: The same bare window, started the way the console starts: qasync's loop under asyncio.Runner.
BARE_QASYNC = (
    FIRST_PAINT
    + """
import asyncio
from PySide6.QtCore import Qt
from mailconsole.app import create_application
from mailconsole.ui.bridge import QEventLoop

async def main(app):
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1200, 820)
    closed = asyncio.Event()
    window.destroyed.connect(closed.set)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    window.show()
    await closed.wait()
    return 0

app = create_application(sys.argv[:1])
spy = FirstPaint()
app.installEventFilter(spy)
with asyncio.Runner(loop_factory=lambda: QEventLoop(app)) as runner:
    sys.exit(runner.run(main(app)))
"""
)

CONSOLE = (
    FIRST_PAINT
    + """
CLOSE_WHEN_READY = True
from mailconsole.__main__ import build_parser
from mailconsole.app import create_application, run_gui
import mailconsole.ui.main_window as main_window  # what run_gui imports before the application
app = create_application(sys.argv[:1])
spy = FirstPaint()
app.installEventFilter(spy)
start = main_window.MainWindow.start

async def start_and_report(self):
    await start(self)
    print(f"READY {time.time():.6f}", flush=True)
    QTimer.singleShot(0, self.close)

main_window.MainWindow.start = start_and_report
args = build_parser().parse_args(["--sandbox"])
sys.exit(run_gui(args))
"""
)


def _stamps(stdout: str) -> dict[str, str]:
    pairs = (line.split() for line in stdout.splitlines() if line[:5] in ("SHOWN", "READY"))
    return dict((p[0], p[1]) for p in pairs)


def one_run(code: str, env: dict[str, str], what: str = "SHOWN") -> float:
    """Seconds from spawning the process to its ``what`` line (first paint, or ready)."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    stamps = dict(
        line.split() for line in out.stdout.splitlines() if line[:5] in ("SHOWN", "READY")
    )
    if what not in stamps:
        raise RuntimeError(f"no {what} (exit {out.returncode}):\n{out.stderr[-2000:]}")
    return float(stamps[what]) - start


def both(code: str, env: dict[str, str]) -> tuple[float, float]:
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    stamps = dict(
        line.split() for line in out.stdout.splitlines() if line[:5] in ("SHOWN", "READY")
    )
    if "SHOWN" not in stamps or "READY" not in stamps:
        raise RuntimeError(f"no start (exit {out.returncode}):\n{out.stderr[-2000:]}")
    return float(stamps["SHOWN"]) - start, float(stamps["READY"]) - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["MAILCONSOLE_DATA_DIR"] = str(Path(home) / "data")
        env["XDG_CONFIG_HOME"] = str(Path(home) / "config")
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        both(CONSOLE, env)  # the first start creates the journal and the sandbox accounts
        bare: list[float] = []
        bare_qasync: list[float] = []
        shown: list[float] = []
        ready: list[float] = []
        for _ in range(options.runs):  # interleaved, so machine load hits all alike
            bare.append(one_run(BARE, env))
            bare_qasync.append(one_run(BARE_QASYNC, env))
            first, done = both(CONSOLE, env)
            shown.append(first)
            ready.append(done)

    def line(name: str, values: list[float]) -> float:
        median = statistics.median(values)
        print(f"{name:38s} median {median * 1000:5.0f} ms  {[round(v * 1000) for v in values]}")
        return median

    b = line("bare QMainWindow (app.exec)", bare)
    bq = line("bare QMainWindow (qasync, as the app)", bare_qasync)
    s = line("Mail Console: window shown", shown)
    line("Mail Console: ready (accounts, draft)", ready)
    print(f"ratio shown / bare (app.exec):   {s / b:.2f}")
    print(f"ratio shown / bare (qasync):     {s / bq:.2f}  (target <= 1.5)")
    return 0 if s / bq <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
