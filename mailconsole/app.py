"""Start-up and orderly shutdown of the console window.

``main`` builds the QApplication and runs :func:`run_console` on a qasync loop through
``asyncio.Runner`` (Python 3.11's ``asyncio.run`` takes no loop factory). Closing the window asks
for shutdown; the coroutine then closes every client, the journal and the sandbox, in that
order, and returns — ``app.quit()`` is never called before the async cleanup.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

from mailconsole import __version__
from mailconsole.ui.bridge import QEventLoop

log = logging.getLogger(__name__)

#: The GIL switch interval while the window runs (seconds).
GUI_SWITCH_INTERVAL = 0.001


def create_application(argv: list[str]) -> QApplication:
    """The QApplication with the names QSettings and the platform use."""
    QCoreApplication.setOrganizationName("MailConsole")
    QCoreApplication.setApplicationName("Mail Console")
    QCoreApplication.setApplicationVersion(__version__)
    # Worker threads (CSV checks, journal batches) run Python code too; the GUI thread needs the
    # GIL for every Qt-to-Python callback, and by default waits up to 5 ms each time for it.
    # 1 ms keeps a 10,000-row bulk send from freezing the window.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    # QtWebEngine (loaded later, for the preview) shares OpenGL contexts with the widgets; this
    # must be set before the application exists.
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    # The main coroutine decides when the app ends, after its async cleanup.
    app.setQuitOnLastWindowClosed(False)
    return app


def run_gui(args: argparse.Namespace) -> int:
    """Run the window until it is closed; returns the process exit code."""
    from mailconsole.ui.main_window import run_console

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if getattr(args, "verbose", False):
        logging.getLogger("mailconsole").setLevel(logging.DEBUG)
    app = create_application(sys.argv[:1])
    with asyncio.Runner(loop_factory=lambda: QEventLoop(app)) as runner:
        try:
            return runner.run(run_console(app, args))
        except KeyboardInterrupt:
            # Ctrl+C in the terminal: the runner cancelled the console, whose cleanup (clients,
            # journal, sandbox) has already run in its ``finally``.
            log.info("interrupted; the console closed its journal and clients")
            return 130
