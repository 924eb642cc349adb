"""Bulk from CSV…: choose a CSV, map its columns, see the first rows rendered, then send the
Compose message to every row with a progress bar, a live results table, Pause/Resume, Cancel,
a final summary and Export results."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyle,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.message import Message
from mailconsole.core.templates import TemplateError, render, template_variables
from mailconsole.core.validation import MessageInvalid, validate_address
from mailconsole.services.facade import ConsoleFacade
from mailconsole.services.facade_types import (
    AccountView,
    BulkProgress,
    BulkRowResult,
    ColumnMapping,
    CsvTable,
)
from mailconsole.ui.bridge import EventRelay, TaskRegistry, async_slot, run_blocking
from mailconsole.ui.compose.bulk_model import COLUMNS, BulkResultsModel
from mailconsole.ui.compose.tab import ComposeTab
from mailconsole.ui.errors import describe_error
from mailconsole.ui.widgets import FieldErrorLabel, ask_question, set_tab_chain

log = logging.getLogger(__name__)

#: How many rows the preview renders.
PREVIEW_ROWS = 3

#: How many problems the mapping box lists before it summarises.
MAX_PROBLEMS_SHOWN = 12

NO_COLUMN = "(none)"


def guess_column(columns: Sequence[str], *candidates: str) -> str | None:
    """The first column whose name matches one of ``candidates`` (case and spaces ignored)."""
    normal = {c.strip().lower().replace(" ", "_").replace("-", "_"): c for c in columns}
    for candidate in candidates:
        if candidate in normal:
            return normal[candidate]
    return None


def mapping_problems(table: CsvTable, mapping: ColumnMapping) -> list[tuple[int, str]]:
    """Rows the mapping cannot send, by file line: a missing or invalid address (blocking)."""
    problems: list[tuple[int, str]] = []
    for line, row in zip(table.line_numbers, table.rows, strict=False):
        value = (row.get(mapping.email) or "").strip()
        if not value:
            problems.append((line, "no address"))
            continue
        error = validate_address(value, field="to")
        if error is not None:
            problems.append((line, error.message))
    return problems


def write_results(path: Path, results: Sequence[BulkRowResult]) -> None:
    """Export the results as CSV (blocking: call it through ``run_blocking``)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "email", "status", "provider_message_id", "detail"])
        for r in results:
            writer.writerow(
                [r.line, r.email, r.status.value, r.provider_message_id or "", r.detail]
            )


class BulkDialog(QDialog):
    """The bulk send dialog.

    Signals: ``sending_ended(object)`` — the send finished or was cancelled (the last
    :class:`BulkProgress`). Progress arrives through an :class:`EventRelay`.
    """

    sending_ended = Signal(object)

    def __init__(
        self,
        facade: ConsoleFacade,
        account: AccountView,
        compose: ComposeTab,
        tasks: TaskRegistry,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bulk")
        self.setWindowTitle(f"Bulk send — {account.label}")
        self.resize(980, 720)
        self.facade = facade
        self.account = account
        self.compose = compose
        self.tasks = tasks
        self.table: CsvTable | None = None
        self.bulk_id: str | None = None
        self.last_progress: BulkProgress | None = None
        self._running = False
        self._paused = False
        self._variable_combos: dict[str, QComboBox] = {}
        self.relay = EventRelay(self)
        self.relay.reported.connect(self.on_progress)
        self.model = BulkResultsModel(self)
        self._build()
        self._update_buttons()

    # -- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        style = self.style()
        layout = QVBoxLayout(self)

        file_row = QHBoxLayout()
        file_label = QLabel("CSV &file", self)
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("bulk.path")
        self.path_edit.setAccessibleName("CSV file")
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("Choose a CSV file with an address column")
        file_label.setBuddy(self.path_edit)
        self.choose_button = QPushButton("&Choose…", self)
        self.choose_button.setObjectName("bulk.choose")
        self.choose_button.setAccessibleName("Choose a CSV file")
        self.choose_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton))
        self.choose_button.clicked.connect(self.on_choose)
        file_row.addWidget(file_label)
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)
        layout.addLayout(file_row)
        self.file_info = QLabel(self)
        self.file_info.setObjectName("bulk.file_info")
        self.file_info.setForegroundRole(self.file_info.foregroundRole().PlaceholderText)
        layout.addWidget(self.file_info)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        top = QWidget(splitter)
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)

        self.mapping_box = QGroupBox("Columns", top)
        mapping_layout = QVBoxLayout(self.mapping_box)
        form = QFormLayout()
        self.email_column = QComboBox(self.mapping_box)
        self.email_column.setObjectName("bulk.email_column")
        self.email_column.setAccessibleName("Address column")
        self.name_column = QComboBox(self.mapping_box)
        self.name_column.setObjectName("bulk.name_column")
        self.name_column.setAccessibleName("Name column")
        form.addRow("&Address", self.email_column)
        form.addRow("&Name", self.name_column)
        mapping_layout.addLayout(form)
        self.variables_host = QWidget(self.mapping_box)
        self.variables_form = QGridLayout(self.variables_host)
        self.variables_form.setContentsMargins(0, 0, 0, 0)
        mapping_layout.addWidget(self.variables_host)
        self.variables_note = QLabel(self.mapping_box)
        self.variables_note.setWordWrap(True)
        self.variables_note.setForegroundRole(self.variables_note.foregroundRole().PlaceholderText)
        mapping_layout.addWidget(self.variables_note)
        self.problems = FieldErrorLabel("bulk.problems", self.mapping_box)
        self.problems.setAccessibleName("Problems in the file")
        mapping_layout.addWidget(self.problems)
        mapping_layout.addStretch(1)
        top_layout.addWidget(self.mapping_box, 1)

        preview_box = QGroupBox("First rows, as they will be sent", top)
        preview_layout = QVBoxLayout(preview_box)
        self.preview = QTreeWidget(preview_box)
        self.preview.setObjectName("bulk.preview")
        self.preview.setAccessibleName("Preview of the first rows")
        self.preview.setHeaderLabels(["To", "Subject", "Text"])
        self.preview.setRootIsDecorated(False)
        self.preview.setWordWrap(True)
        self.preview.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.preview.header().setStretchLastSection(True)
        preview_layout.addWidget(self.preview)
        top_layout.addWidget(preview_box, 2)

        bottom = QWidget(splitter)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar(bottom)
        self.progress.setObjectName("bulk.progress")
        self.progress.setAccessibleName("Progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m (%p%)")
        self.progress.setTextVisible(False)  # until a file gives it something to count
        progress_row.addWidget(self.progress, 1)
        bottom_layout.addLayout(progress_row)
        self.status = QLabel("Choose a CSV file to begin.", bottom)
        self.status.setObjectName("bulk.status")
        self.status.setAccessibleName("Status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom_layout.addWidget(self.status)
        self.results = QTableView(bottom)
        self.results.setObjectName("bulk.results")
        self.results.setAccessibleName("Results per row")
        # The model sorts itself when a header is clicked (a sort proxy would re-sort
        # thousands of rows on every report while sending).
        self.results.setModel(self.model)
        self.results.setSortingEnabled(True)
        self.results.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setAlternatingRowColors(True)
        self.results.verticalHeader().hide()
        self.results.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.results.setWordWrap(False)
        self.results.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.results.horizontalHeader().setStretchLastSection(True)
        self.results.setColumnWidth(0, 60)
        self.results.setColumnWidth(1, 240)
        self.results.setColumnWidth(2, 150)
        self.results.setColumnWidth(3, 300)
        bottom_layout.addWidget(self.results, 1)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([300, 380])
        layout.addWidget(splitter, 1)

        buttons = QHBoxLayout()
        self.export_button = QPushButton("E&xport results…", self)
        self.export_button.setObjectName("bulk.export")
        self.export_button.setAccessibleName("Export the results as CSV")
        self.export_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.export_button.clicked.connect(self.on_export)
        self.pause_button = QPushButton("&Pause", self)
        self.pause_button.setObjectName("bulk.pause")
        self.pause_button.setAccessibleName("Pause")
        self.pause_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self.pause_button.clicked.connect(self.on_pause)
        self.cancel_button = QPushButton("Cancel &send", self)
        self.cancel_button.setObjectName("bulk.cancel")
        self.cancel_button.setAccessibleName("Cancel the bulk send")
        self.cancel_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.cancel_button.clicked.connect(self.on_cancel)
        self.send_button = QPushButton("&Send to all rows", self)
        self.send_button.setObjectName("bulk.send")
        self.send_button.setAccessibleName("Send to every row")
        self.send_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.on_send)
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("bulk.close")
        self.close_button.setAccessibleName("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

        self.email_column.currentIndexChanged.connect(self.on_mapping_changed)
        self.name_column.currentIndexChanged.connect(self.on_mapping_changed)
        chain: list[QWidget] = [
            self.choose_button,
            self.email_column,
            self.name_column,
            self.variables_host,
            self.preview,
            self.results,
            self.export_button,
            self.pause_button,
            self.cancel_button,
            self.send_button,
            self.close_button,
        ]
        set_tab_chain(chain)

    # -- the message -------------------------------------------------------------------------

    def template_message(self) -> Message:
        return self.compose.build_bulk_template()

    def message_variables(self) -> list[str]:
        try:
            message = self.template_message()
        except MessageInvalid:
            return []
        try:
            return template_variables(
                message.subject, message.preview_title, message.html, message.text
            )
        except TemplateError:
            return []

    # -- the file ----------------------------------------------------------------------------

    def on_choose(self) -> None:
        start = str(Path(self.path_edit.text()).parent) if self.path_edit.text() else ""
        dialog = QFileDialog(
            self, "Choose a CSV file", start, "CSV files (*.csv *.txt);;All files (*)"
        )
        dialog.setObjectName("bulk.file_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.on_file_selected)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @async_slot(str)
    async def on_file_selected(self, path: str) -> None:
        await self.load_csv(Path(path))

    async def load_csv(self, path: Path) -> CsvTable | None:
        """Read ``path`` (off the GUI thread) and offer its columns."""
        self.choose_button.setEnabled(False)
        self.status.setText(f"Reading {path.name}…")
        try:
            table = await self.facade.read_csv(path)
        except Exception as exc:
            self.table = None
            self.status.setText(f"{path.name} could not be read: {describe_error(exc)}")
            self._update_buttons()
            return None
        finally:
            self.choose_button.setEnabled(True)
        self.table = table
        self.path_edit.setText(str(path))
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon"}.get(
            table.delimiter, table.delimiter
        )
        self.file_info.setText(
            f"{len(table.rows)} rows, {len(table.columns)} columns, separated by {delimiter}"
        )
        self._fill_mapping(table)
        self.model.clear()
        self.progress.setRange(0, max(1, len(table.rows)))
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        problems = await self.check_mapping()
        lines = {line for line, _ in problems}
        ready = max(0, len(table.rows) - len(lines & set(table.line_numbers)))
        skipped = len(table.rows) - ready
        self.status.setText(
            f"Ready to send to {ready} rows of {path.name}"
            + (
                f"; {skipped} with problems (listed on the left) will be skipped."
                if skipped
                else "."
            )
        )
        return table

    def _fill_mapping(self, table: CsvTable) -> None:
        columns = list(table.columns)
        for combo in (self.email_column, self.name_column):
            combo.blockSignals(True)
            combo.clear()
        self.email_column.addItems(columns)
        self.name_column.addItem(NO_COLUMN)
        self.name_column.addItems(columns)
        email = guess_column(columns, "email", "e_mail", "address", "email_address", "to")
        self.email_column.setCurrentText(email or columns[0] if columns else "")
        name = guess_column(columns, "name", "full_name", "first_name")
        self.name_column.setCurrentText(name or NO_COLUMN)
        for combo in (self.email_column, self.name_column):
            combo.blockSignals(False)

        while self.variables_form.count():
            item = self.variables_form.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._variable_combos.clear()
        names = self.message_variables()
        for row, name in enumerate(names):
            label = QLabel(f"{{{{{name}}}}}", self.variables_host)
            combo = QComboBox(self.variables_host)
            combo.setObjectName(f"bulk.variable.{name}")
            combo.setAccessibleName(f"Column for {name}")
            combo.addItem(NO_COLUMN)
            combo.addItems(columns)
            match = guess_column(columns, name.lower(), name.lower().replace(".", "_"))
            combo.setCurrentText(match or NO_COLUMN)
            combo.currentIndexChanged.connect(self.on_mapping_changed)
            label.setBuddy(combo)
            self.variables_form.addWidget(label, row, 0)
            self.variables_form.addWidget(combo, row, 1)
            self._variable_combos[name] = combo
        self.variables_note.setText(
            "Each {{variable}} of the message takes its value from a column."
            if names
            else "The message uses no {{variables}}: every row gets the same text."
        )

    def mapping(self) -> ColumnMapping:
        name = self.name_column.currentText()
        variables = {
            variable: combo.currentText()
            for variable, combo in self._variable_combos.items()
            if combo.currentText() != NO_COLUMN
        }
        return ColumnMapping(
            email=self.email_column.currentText(),
            name=None if name in ("", NO_COLUMN) else name,
            variables=variables,
        )

    @async_slot(int)
    async def on_mapping_changed(self, _index: int) -> None:
        await self.check_mapping()

    async def check_mapping(self) -> list[tuple[int, str]]:
        """List the rows that cannot be sent and render the first ones."""
        table = self.table
        if table is None:
            return []
        mapping = self.mapping()
        problems = list(table.problems)
        problems += await run_blocking(mapping_problems, table, mapping)
        unmapped = [v for v, c in self._variable_combos.items() if c.currentText() == NO_COLUMN]
        messages: list[str] = []
        if unmapped:
            messages.append(
                "No column for " + ", ".join(unmapped) + " — those rows would be refused."
            )
        problems.sort()
        for line, text in problems[:MAX_PROBLEMS_SHOWN]:
            messages.append(f"Line {line}: {text}")
        if len(problems) > MAX_PROBLEMS_SHOWN:
            messages.append(f"…and {len(problems) - MAX_PROBLEMS_SHOWN} more lines with problems.")
        self.problems.show_errors(messages)
        self._render_preview(table, mapping)
        self._update_buttons()
        return problems

    def _render_preview(self, table: CsvTable, mapping: ColumnMapping) -> None:
        self.preview.clear()
        try:
            message = self.template_message()
        except MessageInvalid as exc:
            item = QTreeWidgetItem(["", "The message in Compose has problems:", str(exc)])
            self.preview.addTopLevelItem(item)
            return
        body = message.text or message.html
        for row in list(table.rows)[:PREVIEW_ROWS]:
            values = {var: row.get(col, "") for var, col in mapping.variables.items()}
            to = row.get(mapping.email, "")
            if mapping.name and row.get(mapping.name):
                to = f"{row.get(mapping.name)} <{to}>"
            try:
                subject = render(message.subject, values)
                text = render(body, values)
            except TemplateError as exc:
                subject, text = "—", exc.message
            excerpt = " ".join(text.split())[:240]
            item = QTreeWidgetItem([to, subject, excerpt])
            item.setToolTip(2, text[:2000])
            self.preview.addTopLevelItem(item)
        self.preview.resizeColumnToContents(0)
        self.preview.setColumnWidth(1, 220)

    # -- sending -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    @async_slot()
    async def on_send(self) -> str | None:
        return await self.start()

    async def start(self) -> str | None:
        """Start the bulk send; progress arrives through the relay."""
        table = self.table
        if table is None or self._running:
            return None
        try:
            message = self.template_message()
        except MessageInvalid as exc:
            self.status.setText(
                "The message in Compose has problems: "
                + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            )
            return None
        self.model.clear()
        self.last_progress = None
        self.bulk_id = None
        self.progress.setRange(0, max(1, len(table.rows)))
        self.progress.setValue(0)
        self._running = True
        self._paused = False
        self._update_buttons()
        self.status.setText(f"Queueing {len(table.rows)} rows…")
        try:
            bulk_id = await self.facade.start_bulk(
                self.account.id, message, table, self.mapping(), self.relay
            )
        except MessageInvalid as exc:
            self._running = False
            self.status.setText(
                "Not sent: " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            )
            self._update_buttons()
            return None
        except Exception as exc:
            self._running = False
            log.warning("bulk send failed to start: %s", exc)
            self.status.setText(f"Not sent: {describe_error(exc)}")
            self._update_buttons()
            return None
        if self.bulk_id is None:
            self.bulk_id = bulk_id
        if self._running and self.last_progress is None:
            self.status.setText(f"Sending to {len(table.rows)} rows…")
        return bulk_id

    def on_progress(self, payload: object) -> None:
        if not isinstance(payload, BulkProgress):
            return
        progress = payload
        if self.bulk_id is None:
            self.bulk_id = progress.bulk_id
        self.last_progress = progress
        if progress.results:
            self.model.apply(progress.results)
        if progress.paused or progress.finished or progress.cancelled:
            # Rows arrive in the order they are settled (skipped ones first); once the send
            # rests, put them back in the order the header shows.
            header = self.results.horizontalHeader()
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.progress.setRange(0, max(1, progress.total))
        self.progress.setValue(progress.done)
        self._paused = progress.paused
        if progress.finished or progress.cancelled:
            was_running = self._running
            self._running = False
            self.status.setText(self.summary(progress))
            if was_running:
                self.sending_ended.emit(progress)
        else:
            state = "Paused" if progress.paused else "Sending"
            self.status.setText(
                f"{state}: {progress.done} of {progress.total} done — {progress.sent} sent, "
                f"{progress.failed} failed, {progress.skipped} skipped."
            )
        self._update_buttons()

    def summary(self, progress: BulkProgress) -> str:
        """The final sentence: what was sent and what was not."""
        name = self.account.capabilities.display_name
        not_sent = progress.total - progress.sent
        if progress.cancelled:
            head = (
                f"Cancelled after {progress.done} of {progress.total} rows: {progress.sent} sent "
                f"to {name}; {not_sent} not sent."
            )
        else:
            head = f"Finished: {progress.sent} of {progress.total} sent to {name}."
        details = []
        if progress.failed:
            details.append(f"{progress.failed} failed")
        if progress.skipped:
            details.append(f"{progress.skipped} skipped (suppressed or invalid)")
        tail = (
            f" {', '.join(details).capitalize()} — see the table or export it." if details else ""
        )
        return head + tail

    def on_pause(self) -> None:
        if not self._running or self.bulk_id is None:
            return
        try:
            if self._paused:
                self.facade.resume_bulk(self.bulk_id)
                self._paused = False
                self.status.setText("Resuming…")
            else:
                self.facade.pause_bulk(self.bulk_id)
                self._paused = True
                self.status.setText("Pausing after the requests already on their way…")
        except Exception as exc:
            self.status.setText(describe_error(exc))
        self._update_buttons()

    @async_slot()
    async def on_cancel(self) -> BulkProgress | None:
        return await self.cancel()

    async def cancel(self) -> BulkProgress | None:
        if not self._running or self.bulk_id is None:
            return None
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")
        try:
            progress = await self.facade.cancel_bulk(self.bulk_id)
        except Exception as exc:
            self.status.setText(f"Could not cancel: {describe_error(exc)}")
            self._update_buttons()
            return None
        self.on_progress(progress)
        if self._running:
            self._running = False
            self.sending_ended.emit(progress)
        self.status.setText(self.summary(progress))
        self._update_buttons()
        return progress

    def on_export(self) -> None:
        start = (
            str(Path(self.path_edit.text()).with_suffix("")) + "-results.csv"
            if self.path_edit.text()
            else ""
        )
        dialog = QFileDialog(self, "Export results", start, "CSV files (*.csv)")
        dialog.setObjectName("bulk.export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(self.on_export_selected)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @async_slot(str)
    async def on_export_selected(self, path: str) -> None:
        await self.export(Path(path))

    async def export(self, path: Path) -> None:
        results = self.model.results()
        try:
            await run_blocking(write_results, path, results)
        except OSError as exc:
            self.status.setText(f"Not exported: {describe_error(exc)}")
            return
        self.status.setText(f"{self.status.text()}\nExported {len(results)} results to {path}.")

    # -- state -------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        ready = (
            self.table is not None
            and bool(self.table.rows)
            and bool(self.email_column.currentText())
        )
        self.send_button.setEnabled(ready and not self._running)
        self.choose_button.setEnabled(not self._running)
        self.mapping_box.setEnabled(not self._running)
        self.pause_button.setEnabled(self._running and self.bulk_id is not None)
        self.pause_button.setText("&Resume" if self._paused else "&Pause")
        self.pause_button.setAccessibleName("Resume" if self._paused else "Pause")
        icon = (
            QStyle.StandardPixmap.SP_MediaPlay
            if self._paused
            else QStyle.StandardPixmap.SP_MediaPause
        )
        self.pause_button.setIcon(self.style().standardIcon(icon))
        self.cancel_button.setEnabled(self._running and self.bulk_id is not None)
        self.export_button.setEnabled(self.model.rowCount() > 0)

    def reject(self) -> None:
        if self._running:
            self.tasks.start("bulk.confirm_close", self._confirm_close())
            return
        super().reject()

    async def _confirm_close(self) -> None:
        stop = await ask_question(
            self,
            "Stop the bulk send?",
            "The bulk send is still running. Cancel it? Rows already sent stay sent.",
            confirm="Cancel the send",
            object_name="bulk.confirm_close",
            destructive=True,
        )
        if stop and self._running:
            await self.cancel()
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._running:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)


__all__ = ["COLUMNS", "BulkDialog", "guess_column", "mapping_problems", "write_results"]
