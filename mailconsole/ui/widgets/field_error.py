"""The red sentence under a field that says what is wrong with it."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def error_colour(palette: QPalette) -> QColor:
    """A red readable on the palette's window colour (lighter on a dark palette)."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor("#ff6b6b") if dark else QColor("#c62828")


class FieldErrorLabel(QLabel):
    """A word-wrapped error message under a field; hidden while there is nothing to say.

    Signals: none (it only shows text).
    """

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName("Error")
        self.setWordWrap(True)
        self.setTextFormat(self.textFormat().PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._apply_colour()
        self.hide()

    def _apply_colour(self) -> None:
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, error_colour(palette))
        self.setPalette(palette)

    def show_errors(self, messages: list[str]) -> None:
        """Show ``messages`` one per line, or hide the label when there are none."""
        text = "\n".join(messages)
        self.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))

    def clear_errors(self) -> None:
        self.show_errors([])

    @property
    def has_errors(self) -> bool:
        return bool(self.text())
