"""The application's excepthook: an unexpected error is logged and shown in a dialog with its
traceback, instead of killing the window or vanishing; and :func:`describe_error`, the one
sentence the window shows for an error it expected (a provider's refusal, a missing keyring)."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from mailconsole.core.errors import ProviderError

log = logging.getLogger("mailconsole.ui")

_KEYRING_HELP = (
    "No OS keyring is available to keep the API key. Install and unlock one (GNOME Keyring or "
    "KWallet on Linux; Keychain and Credential Manager work out of the box on macOS and "
    "Windows), then try again. The console never stores keys in a plain file."
)


def describe_error(error: BaseException) -> str:
    """A sentence for the user: the provider's own words, or what to do."""
    name = type(error).__name__
    if name in ("SecretStoreUnavailable", "NoKeyringError", "InitError"):
        detail = str(error).strip()
        return f"{_KEYRING_HELP}\n({detail})" if detail else _KEYRING_HELP
    if isinstance(error, ProviderError):
        who = error.provider or "The provider"
        code = f" [{error.code}]" if error.code else ""
        return f"{who} answered: {error.message}{code}"
    if isinstance(error, NotImplementedError):
        return "This part of the console is not available yet."
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}"
    text = str(error).strip()
    return text or name


class ErrorReporter(QObject):
    """Shows unexpected exceptions in a dialog on the GUI thread and logs them.

    Signals: ``reported(str, str)`` — the summary and the traceback (queued across threads).
    """

    reported = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reported.connect(self.on_reported)
        self._previous = sys.excepthook
        self._open: QMessageBox | None = None

    def install(self) -> None:
        sys.excepthook = self.excepthook

    def uninstall(self) -> None:
        if sys.excepthook == self.excepthook:
            sys.excepthook = self._previous

    def excepthook(
        self,
        kind: type[BaseException],
        value: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous(kind, value, tb)
            return
        log.error("unexpected error", exc_info=(kind, value, tb))
        details = "".join(traceback.format_exception(kind, value, tb))
        self.reported.emit(f"{kind.__name__}: {describe_error(value)}", details)

    def on_reported(self, summary: str, details: str) -> None:
        if self._open is not None and self._open.isVisible():
            self._open.setDetailedText(self._open.detailedText() + "\n\n" + details)
            return
        parent: QWidget | None = QApplication.activeWindow()
        box = QMessageBox(parent)
        box.setObjectName("error_dialog")
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Unexpected error")
        box.setText("Something went wrong. Your draft is saved; you can keep working.")
        box.setInformativeText(summary)
        box.setDetailedText(details)
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.open()
        self._open = box
