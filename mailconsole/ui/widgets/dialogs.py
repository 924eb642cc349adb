"""Dialogs awaited from coroutines (``open()`` and a future, never a nested ``exec()`` loop, which
would re-enter asyncio), and the read-only monospace text dialog with Copy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from itertools import pairwise

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


async def await_dialog(dialog: QDialog) -> int:
    """Open ``dialog`` window-modally and wait for its result without blocking the loop."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_finished(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(on_finished)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(on_finished)


async def ask_question(
    parent: QWidget,
    title: str,
    text: str,
    *,
    confirm: str,
    object_name: str = "confirm",
    destructive: bool = False,
) -> bool:
    """Ask a yes/no question; True when the user pressed ``confirm``."""
    box = QMessageBox(parent)
    box.setObjectName(object_name)
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    role = (
        QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    )
    yes = box.addButton(confirm, role)
    yes.setObjectName(f"{object_name}.yes")
    no = box.addButton(QMessageBox.StandardButton.Cancel)
    no.setObjectName(f"{object_name}.no")
    box.setDefaultButton(no)
    await await_dialog(box)
    clicked = box.clickedButton()
    box.deleteLater()
    return clicked is yes


class TextDialog(QDialog):
    """A read-only monospace text with Copy and Close (Show request, Analyze reports).

    Signals: none beyond QDialog's.
    """

    def __init__(
        self,
        title: str,
        text: str,
        *,
        intro: str = "",
        object_name: str = "text_dialog",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWindowTitle(title)
        self.resize(760, 480)
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro, self)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.text_edit = QPlainTextEdit(self)
        self.text_edit.setObjectName(f"{object_name}.text")
        self.text_edit.setAccessibleName(title)
        self.text_edit.setReadOnly(True)
        self.text_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text_edit.setPlainText(text)
        layout.addWidget(self.text_edit, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("&Copy", self)
        self.copy_button.setObjectName(f"{object_name}.copy")
        self.copy_button.setAccessibleName("Copy to clipboard")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.on_copy)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName(f"{object_name}.close")
        layout.addWidget(buttons)

    def on_copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text_edit.toPlainText())
        self.copy_button.setText("Copied")


def set_tab_chain(widgets: Sequence[QWidget]) -> None:
    """Make Tab visit ``widgets`` in this order."""
    for first, second in pairwise(widgets):
        QWidget.setTabOrder(first, second)
