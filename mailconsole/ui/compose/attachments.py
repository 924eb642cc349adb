"""Attachments: added by file dialog or drag and drop, read off the GUI thread, listed with their
sizes against the provider's limits; images can be marked inline (``cid:name``)."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.message import Address, Attachment, Message
from mailconsole.core.validation import human_size, validate_message
from mailconsole.ui.bridge import async_slot, run_blocking
from mailconsole.ui.widgets import FieldErrorLabel


@dataclass(frozen=True, slots=True)
class AttachedFile:
    """An attachment and the file it was read from (drafts keep the path, not the bytes)."""

    attachment: Attachment
    path: str = ""


def read_attachment(path: Path) -> Attachment:
    """Read one file as an attachment (blocking: call it through ``run_blocking``)."""
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Attachment(filename=path.name, content=path.read_bytes(), content_type=content_type)


def describe_limits(caps: Capabilities) -> str:
    """``Up to 10 files, 10 MB each`` — the provider's attachment limits in one line."""
    if not caps.attachments:
        return caps.lacks("attachments")
    parts: list[str] = []
    if caps.max_attachments is not None:
        parts.append(
            "1 file" if caps.max_attachments == 1 else f"up to {caps.max_attachments} files"
        )
    if caps.max_attachment_bytes is not None:
        parts.append(f"{human_size(caps.max_attachment_bytes)} each")
    if caps.max_total_attachment_bytes is not None:
        parts.append(f"{human_size(caps.max_total_attachment_bytes)} in total")
    if caps.forbidden_extensions:
        shown = ", ".join(f".{e}" for e in sorted(caps.forbidden_extensions))
        parts.append(f"no {shown}")
    text = "; ".join(parts) if parts else "no documented limit"
    return f"{caps.display_name}: {text[0].upper()}{text[1:]}"


def attachment_problems(files: Iterable[Attachment], caps: Capabilities) -> list[str]:
    """The provider's attachment rules applied to ``files`` (core validation, this field only)."""
    probe = Message(
        sender=Address("probe@example.com"),
        to=[Address("probe@example.com")],
        subject="probe",
        text="probe",
        attachments=tuple(files),
    )
    return [e.message for e in validate_message(probe, caps) if e.field == "attachments"]


class AttachmentList(QWidget):
    """The attachment list with Attach…/Remove, drop support, sizes and limits.

    Signals: ``changed()`` — an attachment was added, removed or marked inline.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compose.attachments.box")
        self.caps: Capabilities | None = None
        self._files: list[AttachedFile] = []
        self.last_directory = ""
        self.setAcceptDrops(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        self.title = QLabel("Attachments", self)
        row.addWidget(self.title)
        self.limits = QLabel(self)
        self.limits.setObjectName("compose.attachments.limits")
        self.limits.setForegroundRole(self.limits.foregroundRole().PlaceholderText)
        row.addWidget(self.limits, 1)
        self.add_button = QPushButton("Attach &files…", self)
        self.add_button.setObjectName("compose.attachments.add")
        self.add_button.setAccessibleName("Attach files")
        self.add_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton)
        )
        self.add_button.clicked.connect(self.on_add_clicked)
        row.addWidget(self.add_button)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("compose.attachments.remove")
        self.remove_button.setAccessibleName("Remove the selected attachments")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.on_remove_clicked)
        row.addWidget(self.remove_button)
        layout.addLayout(row)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("compose.attachments")
        self.tree.setAccessibleName("Attachments")
        self.tree.setHeaderLabels(["File", "Size", "Inline (cid:)"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setAcceptDrops(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.itemSelectionChanged.connect(self.on_selection_changed)
        self.tree.itemChanged.connect(self.on_item_changed)
        self.tree.setToolTip("Drop files here, or use Attach files…")
        layout.addWidget(self.tree)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tree)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.on_remove_clicked)

        self.error = FieldErrorLabel("compose.attachments.error", self)
        layout.addWidget(self.error)
        self._refresh()

    # -- content -----------------------------------------------------------------------------

    def attachments(self) -> list[Attachment]:
        return [f.attachment for f in self._files]

    def files(self) -> list[AttachedFile]:
        return list(self._files)

    def draft_entries(self) -> list[dict[str, str]]:
        """What a draft keeps: the path and the content id of each file."""
        return [
            {
                "path": f.path,
                "content_id": f.attachment.content_id or "",
                "name": f.attachment.filename,
            }
            for f in self._files
        ]

    def clear(self) -> None:
        self._files.clear()
        self._refresh()
        self.changed.emit()

    async def add_paths(self, paths: Iterable[str | Path]) -> list[str]:
        """Read ``paths`` off the GUI thread and attach them; returns the problems met."""
        problems: list[str] = []
        self.add_button.setEnabled(False)
        try:
            for raw in paths:
                path = Path(raw)
                try:
                    attachment = await run_blocking(read_attachment, path)
                except OSError as exc:
                    problems.append(f"{path.name} could not be read: {exc.strerror or exc}")
                    continue
                self._files.append(AttachedFile(attachment, str(path)))
                self.last_directory = str(path.parent)
        finally:
            self.add_button.setEnabled(self.caps is None or self.caps.attachments)
        self._refresh(extra=problems)
        self.changed.emit()
        return problems

    async def restore(self, entries: Iterable[dict[str, str]]) -> list[str]:
        """Re-read a draft's files; files that moved are reported, not silently dropped."""
        self._files.clear()
        problems: list[str] = []
        for entry in entries:
            path = Path(entry.get("path", ""))
            try:
                attachment = await run_blocking(read_attachment, path)
            except OSError:
                problems.append(f"{entry.get('name') or path.name} is no longer at {path}")
                continue
            content_id = entry.get("content_id") or None
            if content_id:
                attachment = Attachment(
                    attachment.filename, attachment.content, attachment.content_type, content_id
                )
            self._files.append(AttachedFile(attachment, str(path)))
        self._refresh(extra=problems)
        return problems

    def set_capabilities(self, caps: Capabilities) -> None:
        self.caps = caps
        enabled = caps.attachments
        self.add_button.setEnabled(enabled)
        self.tree.setEnabled(enabled or bool(self._files))
        self.setAcceptDrops(enabled)
        tip = "" if enabled else caps.lacks("attachments")
        self.add_button.setToolTip(tip or "Attach files (or drop them on the list)")
        self.title.setToolTip(tip)
        self._refresh()

    def show_errors(self, messages: list[str]) -> None:
        self.error.show_errors(messages)

    def focus_field(self) -> None:
        self.tree.setFocus() if self.tree.isEnabled() else self.add_button.setFocus()

    # -- handlers ----------------------------------------------------------------------------

    def on_add_clicked(self) -> None:
        dialog = QFileDialog(self, "Attach files", self.last_directory)
        dialog.setObjectName("compose.attachments.dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self.on_files_selected)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @async_slot(list)
    async def on_files_selected(self, paths: list[str]) -> None:
        await self.add_paths(paths)

    def on_remove_clicked(self) -> None:
        rows = sorted(
            {self.tree.indexOfTopLevelItem(i) for i in self.tree.selectedItems()}, reverse=True
        )
        for row in rows:
            if 0 <= row < len(self._files):
                del self._files[row]
        if rows:
            self._refresh()
            self.changed.emit()

    def on_selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.tree.selectedItems()))

    def on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 2:
            return
        row = self.tree.indexOfTopLevelItem(item)
        if not 0 <= row < len(self._files):
            return
        entry = self._files[row]
        inline = item.checkState(2) == Qt.CheckState.Checked
        content_id = entry.attachment.filename if inline else None
        if content_id == entry.attachment.content_id:
            return
        a = entry.attachment
        self._files[row] = AttachedFile(
            Attachment(a.filename, a.content, a.content_type, content_id), entry.path
        )
        item.setToolTip(2, f'Use <img src="cid:{a.filename}"> in the HTML' if inline else "")
        self._refresh_summary()
        self.changed.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and (self.caps is None or self.caps.attachments):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls() and (self.caps is None or self.caps.attachments):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.on_files_selected(paths)
        else:
            event.ignore()

    # -- display -----------------------------------------------------------------------------

    def _refresh(self, extra: list[str] | None = None) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        inline_ok = self.caps is not None and self.caps.inline_images
        for entry in self._files:
            a = entry.attachment
            item = QTreeWidgetItem([a.filename, human_size(a.size), ""])
            item.setToolTip(0, entry.path or a.filename)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if a.content_type.startswith("image/"):
                if inline_ok:
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(
                        2, Qt.CheckState.Checked if a.content_id else Qt.CheckState.Unchecked
                    )
                elif self.caps is not None:
                    item.setText(2, "—")
                    item.setToolTip(2, self.caps.lacks("inline images"))
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        self.tree.setVisible(bool(self._files))
        rows = min(max(len(self._files), 1), 4)
        row_height = self.tree.sizeHintForRow(0) if self._files else self.fontMetrics().height() + 4
        header = self.tree.header().sizeHint().height()
        self.tree.setFixedHeight(
            header + rows * max(row_height, 1) + 2 * self.tree.frameWidth() + 2
        )
        self.remove_button.setEnabled(bool(self.tree.selectedItems()))
        self._refresh_summary(extra)

    def _refresh_summary(self, extra: list[str] | None = None) -> None:
        caps = self.caps
        total = sum(f.attachment.size for f in self._files)
        count = len(self._files)
        summary = f"{count} file{'s' if count != 1 else ''}, {human_size(total)}" if count else ""
        limits = describe_limits(caps) if caps is not None else ""
        self.limits.setText(" · ".join(p for p in (summary, limits) if p))
        problems = list(extra or [])
        if caps is not None and self._files:
            problems += attachment_problems(self.attachments(), caps)
        self.error.show_errors(problems)
