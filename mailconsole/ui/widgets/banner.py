"""An in-place message strip with an icon, a sentence and up to two action buttons."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget


class Banner(QFrame):
    """A dismissable strip ("Accepted by MailingAPI — id 550e…  [Open timeline]").

    Signals: ``action_triggered(str)`` — the key of the action button pressed.
    """

    action_triggered = Signal(str)

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName("Notice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.backgroundRole().AlternateBase)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self._icon = QLabel(self)
        self._text = QLabel(self)
        self._text.setObjectName(f"{object_name}.text")
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(self._text.textInteractionFlags().TextSelectableByMouse)
        layout.addWidget(self._icon)
        layout.addWidget(self._text, 1)
        self._buttons: list[QPushButton] = []
        self._button_row = QHBoxLayout()
        layout.addLayout(self._button_row)
        close = QPushButton(self)
        close.setObjectName(f"{object_name}.close")
        close.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        close.setFlat(True)
        close.setAccessibleName("Dismiss")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self.hide()

    @property
    def text(self) -> str:
        return self._text.text()

    def show_message(
        self,
        text: str,
        *,
        kind: QStyle.StandardPixmap = QStyle.StandardPixmap.SP_DialogApplyButton,
        actions: dict[str, str] | None = None,
    ) -> None:
        """Show ``text`` with ``actions`` (key -> button label)."""
        self._icon.setPixmap(self.style().standardIcon(kind).pixmap(16, 16))
        self._text.setText(text)
        self.setAccessibleDescription(text)
        for button in self._buttons:
            button.deleteLater()
        self._buttons.clear()
        for key, label in (actions or {}).items():
            button = QPushButton(label, self)
            button.setObjectName(f"{self.objectName()}.{key}")
            button.setAccessibleName(label.replace("&", ""))
            button.clicked.connect(lambda _=False, k=key: self.action_triggered.emit(k))
            self._button_row.addWidget(button)
            self._buttons.append(button)
        self.show()
