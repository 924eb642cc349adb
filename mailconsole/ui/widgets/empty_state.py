"""What a list shows while it has nothing in it: one sentence, centred, in the muted text colour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QStyle, QVBoxLayout, QWidget


class EmptyState(QWidget):
    """An icon and a sentence, centred.

    Signals: none.
    """

    def __init__(
        self,
        text: str,
        *,
        icon: QStyle.StandardPixmap = QStyle.StandardPixmap.SP_FileDialogInfoView,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        picture = QLabel(self)
        picture.setPixmap(self.style().standardIcon(icon).pixmap(48, 48))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(picture)
        self.label = QLabel(text, self)
        self.label.setObjectName("empty_state.text")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.label)
        layout.addStretch(2)
        self.setAccessibleName(text)

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self.setAccessibleName(text)
