"""The bulk send's per-row results as a table model (display strings computed once per row)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QApplication

from mailconsole.services.facade_types import BulkRowResult, RowStatus
from mailconsole.ui.widgets.field_error import error_colour

COLUMNS: tuple[str, ...] = ("Line", "Address", "Result", "Provider id", "Detail")

_STATUS_WORDS = {
    RowStatus.PENDING: "waiting",
    RowStatus.SENT: "sent",
    RowStatus.REJECTED: "refused",
    RowStatus.SUPPRESSED: "suppressed",
    RowStatus.INVALID: "invalid",
    RowStatus.UNKNOWN: "unknown — check the timeline",
    RowStatus.CANCELLED: "not sent (cancelled)",
}

#: Outcomes that did not send: shown in the error colour so they stand out.
FAILED = frozenset({RowStatus.REJECTED, RowStatus.INVALID, RowStatus.UNKNOWN})

Index = QModelIndex | QPersistentModelIndex


def _display(result: BulkRowResult) -> tuple[str, ...]:
    return (
        str(result.line),
        result.email,
        _STATUS_WORDS.get(result.status, result.status.value),
        result.provider_message_id or "",
        result.detail,
    )


class BulkResultsModel(QAbstractTableModel):
    """One row per CSV row, updated in place as results arrive.

    Signals: QAbstractTableModel's own.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._results: list[BulkRowResult] = []
        self._display: list[tuple[str, ...]] = []
        self._row_of_line: dict[int, int] = {}

    # -- Qt model interface ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt override
        return 0 if parent.isValid() else len(self._results)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._results):
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._display[row][column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        failed = self._results[row].status in FAILED
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and failed:
            return QBrush(error_colour(QApplication.palette()))
        if role == Qt.ItemDataRole.UserRole:
            return self._results[row]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column (the line as a number); later results are appended after it."""
        if not 0 <= column < len(COLUMNS):
            return
        reverse = order == Qt.SortOrder.DescendingOrder
        rows = range(len(self._results))
        if column == 0:
            ordered = sorted(rows, key=lambda i: self._results[i].line, reverse=reverse)
        else:
            ordered = sorted(rows, key=lambda i: self._display[i][column].lower(), reverse=reverse)
        self.layoutAboutToBeChanged.emit()
        new_of_old = {old: new for new, old in enumerate(ordered)}
        self._results = [self._results[i] for i in ordered]
        self._display = [self._display[i] for i in ordered]
        self._row_of_line = {r.line: i for i, r in enumerate(self._results)}
        for index in self.persistentIndexList():
            if index.isValid():
                moved = self.index(new_of_old[index.row()], index.column())
                self.changePersistentIndex(index, moved)
        self.layoutChanged.emit()

    # -- updates -----------------------------------------------------------------------------

    def clear(self) -> None:
        self.beginResetModel()
        self._results.clear()
        self._display.clear()
        self._row_of_line.clear()
        self.endResetModel()

    def apply(self, results: Iterable[BulkRowResult]) -> None:
        """Add new rows and update known ones (by CSV line)."""
        new: list[BulkRowResult] = []
        changed: list[int] = []
        for result in results:
            row = self._row_of_line.get(result.line)
            if row is None:
                new.append(result)
                self._row_of_line[result.line] = -1  # placeholder, set below
                continue
            if row == -1:
                # Seen twice in this batch: keep the latest.
                position = next(i for i, r in enumerate(new) if r.line == result.line)
                new[position] = result
                continue
            self._results[row] = result
            self._display[row] = _display(result)
            changed.append(row)
        if changed:
            top = self.index(min(changed), 0)
            bottom = self.index(max(changed), len(COLUMNS) - 1)
            self.dataChanged.emit(top, bottom)
        if new:
            first = len(self._results)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for offset, result in enumerate(new):
                self._results.append(result)
                self._display.append(_display(result))
                self._row_of_line[result.line] = first + offset
            self.endInsertRows()

    def results(self) -> Sequence[BulkRowResult]:
        return list(self._results)

    def counts(self) -> dict[RowStatus, int]:
        counts: dict[RowStatus, int] = {}
        for result in self._results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts
