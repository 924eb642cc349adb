"""A read-only list tab: a filter box, a table filled from the facade, and an empty state that
says in one sentence what will appear there. The Templates, Scheduled, Timeline and
Suppressions tabs start as these until their own work lands."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailconsole.ui.widgets.empty_state import EmptyState

log = logging.getLogger(__name__)

Rows = Sequence[Sequence[str]]
Loader = Callable[[], Awaitable[Rows]]


class DataTab(QWidget):
    """A filterable list loaded by ``loader`` (an async callable returning rows of strings).

    Signals: none.
    """

    def __init__(
        self,
        name: str,
        empty_text: str,
        columns: Sequence[str],
        loader: Loader,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.empty_text = empty_text
        self.loader = loader
        self._columns = list(columns)
        self._rows: list[Sequence[str]] = []
        self._loaded = False
        self._built = False
        self._wanted: tuple[str, int] | None = None

    def ensure_built(self) -> None:
        """Build the widgets the first time the tab is needed (start-up builds none)."""
        if self._built:
            return
        self._built = True
        name = self.objectName()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        top = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setObjectName(f"{name}.search")
        self.search.setAccessibleName("Filter")
        self.search.setPlaceholderText("Filter (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._fill)
        top.addWidget(self.search, 1)
        self.count = QLabel(self)
        self.count.setObjectName(f"{name}.count")
        top.addWidget(self.count)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName(f"{name}.refresh")
        self.refresh_button.setAccessibleName("Refresh")
        self.refresh_button.setToolTip("Load again (F5)")
        self.refresh_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        )
        top.addWidget(self.refresh_button)
        layout.addLayout(top)

        self.stack = QStackedWidget(self)
        self.empty = EmptyState(self.empty_text, parent=self.stack)
        self.empty.setObjectName(f"{name}.empty")
        self.tree = QTreeWidget(self.stack)
        self.tree.setObjectName(f"{name}.list")
        self.tree.setAccessibleName(name.capitalize())
        self.tree.setHeaderLabels(self._columns)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSortingEnabled(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tree)
        layout.addWidget(self.stack, 1)
        self.refresh_button.clicked.connect(self.on_refresh_clicked)

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_built()
        super().showEvent(event)

    @property
    def loaded(self) -> bool:
        return self._loaded

    def on_refresh_clicked(self) -> None:
        from mailconsole.ui.bridge import ensure_awaitable

        ensure_awaitable(self.refresh())

    async def refresh(self) -> None:
        """Load the rows again; a part of the console that is not there yet shows its sentence."""
        self.ensure_built()
        self.refresh_button.setEnabled(False)
        try:
            rows = await self.loader()
        except NotImplementedError:
            rows = []
        except Exception as exc:
            log.warning("%s: %s", self.objectName(), exc)
            from mailconsole.ui.errors import describe_error

            self._rows = []
            self.empty.set_text(f"{self.empty_text}\n\nCould not load: {describe_error(exc)}")
            self.stack.setCurrentWidget(self.empty)
            self.count.clear()
            return
        finally:
            self.refresh_button.setEnabled(True)
        self._loaded = True
        self._rows = [list(r) for r in rows]
        self.empty.set_text(self.empty_text)
        self._fill()

    def _fill(self) -> None:
        needle = self.search.text().strip().lower()
        rows = [r for r in self._rows if not needle or any(needle in c.lower() for c in r)]
        self.tree.setSortingEnabled(False)
        self.tree.clear()
        self.tree.addTopLevelItems([QTreeWidgetItem(list(r)) for r in rows])
        self.tree.setSortingEnabled(True)
        for column in range(self.tree.columnCount() - 1):
            self.tree.resizeColumnToContents(column)
        shown = len(rows)
        total = len(self._rows)
        self.count.setText(
            f"{shown} of {total} shown" if needle else (f"{total} in all" if total else "")
        )
        self.stack.setCurrentWidget(self.tree if self._rows else self.empty)
        # A refresh (the tab's own, on show) must not lose the row asked for.
        self._select_wanted()

    async def select_row(self, text: str, column: int) -> bool:
        """Load the rows again and select (and scroll to) the first whose ``column`` is
        ``text``, now and after every later refresh; False when there is none yet."""
        self._wanted = (text, column)
        await self.refresh()
        return self._select_wanted()

    def _select_wanted(self) -> bool:
        if self._wanted is None:
            return False
        text, column = self._wanted
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None and item.text(column) == text:
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return True
        return False

    def focus_search(self) -> None:
        self.ensure_built()
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
