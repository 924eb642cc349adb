"""The HTML body and its plain-text part: the text is generated from the HTML until the user
edits it ("edit to override"), then left alone until they ask to regenerate it."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.templates import html_to_text
from mailconsole.ui.widgets import FieldErrorLabel

#: How long typing may pause before the text part is regenerated.
REGENERATE_DELAY_MS = 250


class BodyEditor(QWidget):
    """The HTML editor above the plain-text editor, each with its error label.

    Signals: ``changed()`` — either body changed; ``html_changed()`` — the HTML changed (the
    preview follows it).
    """

    changed = Signal()
    html_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text_overridden = False
        self._html_supported = True
        self._updating = False
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("compose.body.splitter")
        self.splitter.setChildrenCollapsible(False)

        html_box = QWidget(self.splitter)
        html_layout = QVBoxLayout(html_box)
        html_layout.setContentsMargins(0, 0, 0, 0)
        html_layout.setSpacing(2)
        self.html_label = QLabel("&HTML", html_box)
        html_layout.addWidget(self.html_label)
        self.html = QPlainTextEdit(html_box)
        self.html.setObjectName("compose.html")
        self.html.setAccessibleName("HTML body")
        self.html.setFont(fixed)
        self.html.setTabChangesFocus(True)
        self.html.setPlaceholderText(
            "<h1>Order shipped</h1>\n<p>Hi {{name}}, your order is on the way.</p>"
        )
        self.html_label.setBuddy(self.html)
        html_layout.addWidget(self.html, 1)
        self.html_error = FieldErrorLabel("compose.html.error", html_box)
        html_layout.addWidget(self.html_error)

        text_box = QWidget(self.splitter)
        text_layout = QVBoxLayout(text_box)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.setSpacing(2)
        header = QHBoxLayout()
        self.text_label = QLabel(text_box)
        header.addWidget(self.text_label, 1)
        self.regenerate = QPushButton("&Regenerate from HTML", text_box)
        self.regenerate.setObjectName("compose.text.regenerate")
        self.regenerate.setAccessibleName("Regenerate the text from the HTML")
        self.regenerate.setToolTip("Throw away the edited text and generate it from the HTML again")
        self.regenerate.clicked.connect(self.on_regenerate)
        header.addWidget(self.regenerate)
        text_layout.addLayout(header)
        self.text = QPlainTextEdit(text_box)
        self.text.setObjectName("compose.text")
        self.text.setAccessibleName("Plain-text body")
        self.text.setTabChangesFocus(True)
        self.text_label.setBuddy(self.text)
        text_layout.addWidget(self.text, 1)
        self.text_error = FieldErrorLabel("compose.text.error", text_box)
        text_layout.addWidget(self.text_error)

        self.html_box = html_box
        self.splitter.addWidget(html_box)
        self.splitter.addWidget(text_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REGENERATE_DELAY_MS)
        self._timer.timeout.connect(self.regenerate_text)
        self.html.textChanged.connect(self.on_html_changed)
        self.text.textChanged.connect(self.on_text_changed)
        self._update_text_label()

    # -- state -------------------------------------------------------------------------------

    @property
    def text_overridden(self) -> bool:
        return self._text_overridden

    def html_source(self) -> str:
        return self.html.toPlainText() if self._html_supported else ""

    def text_source(self) -> str:
        """The text part to send: the generated one is brought up to date first."""
        if self._timer.isActive():
            self.regenerate_text()
        return self.text.toPlainText()

    def set_content(self, html: str, text: str, *, text_overridden: bool) -> None:
        """Load a draft or template without marking the text as edited."""
        self._updating = True
        try:
            self.html.setPlainText(html)
            self._text_overridden = text_overridden
            if text_overridden or not html.strip():
                self.text.setPlainText(text)
                self._text_overridden = text_overridden or bool(text and not html.strip())
            else:
                self.text.setPlainText(html_to_text(html))
        finally:
            self._updating = False
        self._timer.stop()
        self._update_text_label()
        self.html_changed.emit()

    def set_capabilities(self, caps: Capabilities) -> None:
        self._html_supported = caps.html
        self.html.setEnabled(caps.html)
        # A text-only provider (eMsgNow): the text part is the message, so it takes the room.
        self.html_box.setVisible(caps.html)
        tip = "" if caps.html else f"{caps.lacks('HTML body')} — it sends the plain text only"
        self.html.setToolTip(tip)
        self.html_label.setToolTip(tip)
        self._update_text_label()

    def clear_errors(self) -> None:
        self.html_error.clear_errors()
        self.text_error.clear_errors()

    # -- handlers ----------------------------------------------------------------------------

    def on_html_changed(self) -> None:
        self.html_error.clear_errors()
        if not self._updating:
            if not self._text_overridden:
                self._timer.start()
            self.changed.emit()
        self.html_changed.emit()

    def on_text_changed(self) -> None:
        self.text_error.clear_errors()
        if self._updating:
            return
        if not self._text_overridden and self._html_supported:
            # The user typed into the generated text: from now on it is theirs.
            self._text_overridden = True
            self._timer.stop()
            self._update_text_label()
        self.changed.emit()

    def on_regenerate(self) -> None:
        self._text_overridden = False
        self.regenerate_text()
        self._update_text_label()
        self.changed.emit()

    def regenerate_text(self) -> None:
        self._timer.stop()
        if self._text_overridden or not self._html_supported:
            return
        generated = html_to_text(self.html.toPlainText()) if self.html.toPlainText().strip() else ""
        if generated != self.text.toPlainText():
            self._updating = True
            try:
                self.text.setPlainText(generated)
            finally:
                self._updating = False

    def _update_text_label(self) -> None:
        if not self._html_supported:
            self.text_label.setText("&Text (the message)")
            self.text.setPlaceholderText("Write the message here")
            self.regenerate.hide()
        elif self._text_overridden:
            self.text_label.setText("&Text (edited — no longer follows the HTML)")
            self.text.setPlaceholderText("")
            self.regenerate.show()
        else:
            self.text_label.setText("&Text (generated from the HTML — edit to override)")
            self.text.setPlaceholderText("Generated from the HTML as you type")
            self.regenerate.hide()
