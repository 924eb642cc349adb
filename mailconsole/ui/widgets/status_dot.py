"""The status bar's coloured dot: green when the provider answered, amber while paced, red
after a failure (its tooltip says which)."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget


class Health(StrEnum):
    """The provider health the dot shows (``ProviderStatus.health``)."""

    OK = "ok"
    PACED = "paced"
    ERROR = "error"
    UNKNOWN = "unknown"


#: The only hard-coded colours of the window: a traffic light reads the same on any palette.
_COLOURS = {
    Health.OK: QColor("#2e9d4a"),
    Health.PACED: QColor("#e0a100"),
    Health.ERROR: QColor("#d93025"),
    Health.UNKNOWN: QColor("#9e9e9e"),
}

_WORDS = {
    Health.OK: "The last request to the provider succeeded",
    Health.PACED: "Requests are being paced or retried",
    Health.ERROR: "The last request failed",
    Health.UNKNOWN: "No request made yet",
}


class StatusDot(QWidget):
    """A small filled circle in one of four health colours.

    Signals: none.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status.dot")
        self._health = Health.UNKNOWN
        self.setFixedSize(QSize(16, 16))
        self.set_health(Health.UNKNOWN)

    @property
    def health(self) -> Health:
        return self._health

    def set_health(self, health: str, detail: str = "") -> None:
        """Show ``health`` ("ok", "paced", "error"); ``detail`` (the error) joins the tooltip."""
        try:
            self._health = Health(health)
        except ValueError:
            self._health = Health.UNKNOWN
        words = _WORDS[self._health]
        tip = f"{words}: {detail}" if detail else words
        self.setToolTip(tip)
        self.setAccessibleName("Provider status")
        self.setAccessibleDescription(tip)
        self.update()

    def colour(self) -> QColor:
        return _COLOURS[self._health]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour())
        side = min(self.width(), self.height()) - 6
        painter.drawEllipse((self.width() - side) // 2, (self.height() - side) // 2, side, side)
        painter.end()
