"""The console window: the account selector, the five tabs, menus and shortcuts, the status bar,
and :func:`run_console`, the coroutine that opens everything, shows the window and closes
everything again in order when it is closed.

Start-up shows the window first: this module imports only Qt and the window's own small
widgets; the services (journal, keyring, provider clients, templates, the sandbox) are imported
in a worker thread after the first paint and attached to the window with :meth:`MainWindow.attach`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTabWidget,
    QToolBar,
    QWidget,
)

from mailconsole import __version__
from mailconsole.ui.bridge import EventRelay, TaskRegistry, async_slot, run_blocking
from mailconsole.ui.settings import UiSettings
from mailconsole.ui.widgets import DataTab, EmptyState, StatusDot, await_dialog

if TYPE_CHECKING:
    from mailconsole.sandbox import Sandbox
    from mailconsole.services.facade import ConsoleFacade
    from mailconsole.services.facade_types import AccountView
    from mailconsole.ui.accounts import AccountsDialog
    from mailconsole.ui.compose import ComposeTab

log = logging.getLogger(__name__)

#: The icons and screenshots shipped beside the package.
RESOURCES = Path(__file__).resolve().parents[2] / "resources"

#: How often the status bar reads the provider's budget.
STATUS_INTERVAL_MS = 1000

TAB_NAMES: tuple[str, ...] = ("Compose", "Templates", "Scheduled", "Timeline", "Suppressions")

TIMELINE_COLUMNS: tuple[str, ...] = ("Time", "To", "Subject", "State", "Last event", "Provider id")

#: What start-up imports in a worker thread, after the window has painted.
SERVICE_MODULES: tuple[str, ...] = (
    "mailconsole.services.facade",
    "mailconsole.ui.compose",
    "mailconsole.ui.accounts",
    "mailconsole.ui.errors",
)


def import_services(*extra: str) -> None:
    """Import the services and the heavy UI modules (blocking: run it in a worker thread)."""
    import importlib

    for name in (*SERVICE_MODULES, *extra):
        importlib.import_module(name)


def account_label(account: AccountView) -> str:
    from mailconsole.ui.accounts import account_label as label

    return label(account)


def app_icon() -> QIcon:
    path = RESOURCES / "icons" / "mailconsole.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


class MainWindow(QMainWindow):
    """The console window.

    Signals: ``close_requested()`` — the user closed the window (the app then shuts down);
    ``account_changed(str)`` — another account was chosen (its id).
    """

    close_requested = Signal()
    account_changed = Signal(str)

    def __init__(
        self,
        facade: ConsoleFacade | None = None,
        settings: UiSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main")
        self.setWindowTitle("Mail Console")
        self.setWindowIcon(app_icon())
        self._facade: ConsoleFacade | None = None
        self._compose: ComposeTab | None = None
        self.settings = settings if settings is not None else UiSettings()
        self.tasks = TaskRegistry(self)
        self.relay = EventRelay(self)
        self.relay.reported.connect(self.on_notice)
        self._remove_listener: Callable[[], None] | None = None
        self._accounts_dialog: AccountsDialog | None = None
        self._bulk_dialog: QWidget | None = None
        self._shut_down = False
        self.actions_by_name: dict[str, QAction] = {}

        self._build_toolbar()
        self._build_tabs()
        self._build_status_bar()
        self._build_menus()
        self._restore_state()

        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_INTERVAL_MS)
        self._status_timer.timeout.connect(self.update_status)
        self._status_soon = QTimer(self)
        self._status_soon.setSingleShot(True)
        self._status_soon.setInterval(100)
        self._status_soon.timeout.connect(self.update_status)
        self._tabs_to_refresh: set[DataTab] = set()
        self._refresh_soon = QTimer(self)
        self._refresh_soon.setSingleShot(True)
        self._refresh_soon.setInterval(300)
        self._refresh_soon.timeout.connect(self.on_refresh_due)
        if facade is not None:
            self.attach(facade)
        else:
            self.show_starting("Opening the journal and the accounts…")

    @property
    def facade(self) -> ConsoleFacade:
        if self._facade is None:
            raise RuntimeError("the window has no facade yet (attach() it)")
        return self._facade

    @property
    def compose(self) -> ComposeTab:
        if self._compose is None:
            raise RuntimeError("the window has no Compose tab yet (attach() a facade)")
        return self._compose

    @property
    def attached(self) -> bool:
        return self._facade is not None

    def show_starting(self, text: str) -> None:
        """Say what start-up is doing, in the Compose tab and the status bar."""
        self._starting.set_text(text)
        self.status_account.setText(text)

    def attach(self, facade: ConsoleFacade) -> None:
        """Connect the window to the services: build Compose, fill the account selector."""
        from mailconsole.ui.compose import ComposeTab

        self._facade = facade
        self._remove_listener = facade.add_listener(self.relay)
        compose = ComposeTab(facade, self.tasks, self.tabs)
        self._compose = compose
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        self.tabs.removeTab(0)
        self.tabs.insertTab(0, compose, self._tab_icons[0], TAB_NAMES[0])
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        self._starting.deleteLater()
        compose.timeline_requested.connect(self.on_timeline_requested)
        compose.bulk_requested.connect(self.open_bulk)
        compose.busy_changed.connect(self.on_compose_busy)
        compose.sent.connect(lambda _receipt: self.update_status())
        for name, splitter in self._splitters().items():
            saved = self.settings.splitter_state(name)
            if saved is not None:
                splitter.restoreState(saved)
        compose.preview.setVisible(self.settings.preview_visible)
        for action in self.actions_by_name.values():
            action.setEnabled(True)
        self._status_timer.start()

    # -- construction --------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = QToolBar("Account", self)
        bar.setObjectName("main.toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        label = QLabel(" &Account ", bar)
        self.account_combo = QComboBox(bar)
        self.account_combo.setObjectName("main.account")
        self.account_combo.setAccessibleName("Account")
        self.account_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.account_combo.setMinimumContentsLength(24)
        self.account_combo.setToolTip("The account every tab works with")
        label.setBuddy(self.account_combo)
        bar.addWidget(label)
        bar.addWidget(self.account_combo)
        spacer = QWidget(bar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.toolbar = bar
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.account_combo.currentIndexChanged.connect(self.on_account_index_changed)

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("main.tabs")
        self.tabs.setAccessibleName("Sections")
        self.tabs.setDocumentMode(True)
        self._starting = EmptyState("Starting…", parent=self.tabs)
        self._starting.setObjectName("compose.starting")
        self.templates_tab = DataTab(
            "templates",
            "Templates of this account and the console's own appear here; choose one in Compose "
            "to fill a message from it.",
            ["Name", "Source", "Subject", "Variables"],
            self._load_templates,
        )
        self.scheduled_tab = DataTab(
            "scheduled",
            "Messages sent with a later send time wait here until they go.",
            ["When", "Account", "To", "Subject", "Held by", "State"],
            self._load_scheduled,
        )
        self.timeline_tab = DataTab(
            "timeline",
            "Every message sent from this account appears here with what happened to it.",
            TIMELINE_COLUMNS,
            self._load_timeline,
        )
        self.suppressions_tab = DataTab(
            "suppressions",
            "Addresses the console will not send to — unsubscribed, bounced or added by hand — "
            "are listed here.",
            ["Address", "Scope", "Reason", "Source", "Since"],
            self._load_suppressions,
        )
        style = self.style()
        icons = (
            QStyle.StandardPixmap.SP_FileIcon,
            QStyle.StandardPixmap.SP_FileDialogDetailedView,
            QStyle.StandardPixmap.SP_BrowserReload,
            QStyle.StandardPixmap.SP_FileDialogInfoView,
            QStyle.StandardPixmap.SP_MessageBoxWarning,
        )
        tabs: Sequence[QWidget] = (
            self._starting,
            self.templates_tab,
            self.scheduled_tab,
            self.timeline_tab,
            self.suppressions_tab,
        )
        self._tab_icons = [style.standardIcon(icon) for icon in icons]
        for widget, name, icon in zip(tabs, TAB_NAMES, self._tab_icons, strict=True):
            self.tabs.addTab(widget, icon, name)
        self.setCentralWidget(self.tabs)
        self.tabs.currentChanged.connect(self.on_tab_changed)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("status")
        self.status_account = QLabel(bar)
        self.status_account.setObjectName("status.account")
        self.status_budget = QLabel(bar)
        self.status_budget.setObjectName("status.budget")
        self.status_keyring = QLabel(bar)
        self.status_keyring.setObjectName("status.keyring")
        self.status_dot = StatusDot(bar)
        bar.addWidget(self.status_account)
        bar.addWidget(self.status_budget, 1)
        bar.addPermanentWidget(self.status_keyring)
        bar.addPermanentWidget(self.status_dot)

    def _action(
        self,
        name: str,
        text: str,
        slot: Callable[..., Any],
        shortcut: str | QKeySequence.StandardKey | Sequence[str] | None = None,
        *,
        icon: QStyle.StandardPixmap | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"action.{name}")
        if isinstance(shortcut, str):
            action.setShortcut(QKeySequence(shortcut))
        elif isinstance(shortcut, QKeySequence.StandardKey):
            action.setShortcuts(shortcut)
        elif shortcut:
            action.setShortcuts([QKeySequence(s) for s in shortcut])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _build_menus(self) -> None:
        px = QStyle.StandardPixmap
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        new = self._action(
            "new", "&New message", self.on_new_message, "Ctrl+N", icon=px.SP_FileIcon
        )
        file_menu.addAction(new)
        file_menu.addAction(self._action("bulk", "&Bulk from CSV…", self.open_bulk, "Ctrl+Shift+B"))
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("quit", "&Quit", self.close, "Ctrl+Q", icon=px.SP_DialogCloseButton)
        )
        self.toolbar.addAction(new)

        edit_menu = menus.addMenu("&Edit")
        for name, text, key in (
            ("undo", "&Undo", QKeySequence.StandardKey.Undo),
            ("redo", "&Redo", QKeySequence.StandardKey.Redo),
            ("cut", "Cu&t", QKeySequence.StandardKey.Cut),
            ("copy", "&Copy", QKeySequence.StandardKey.Copy),
            ("paste", "&Paste", QKeySequence.StandardKey.Paste),
            ("select_all", "Select &all", QKeySequence.StandardKey.SelectAll),
        ):
            action = QAction(text, self)
            action.setObjectName(f"action.{name}")
            action.setShortcuts(key)
            # The focused field handles these keys itself; the menu entry forwards the click.
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _=False, method=name: self.on_edit_action(method))
            edit_menu.addAction(action)
            self.actions_by_name[name] = action
        edit_menu.addSeparator()
        edit_menu.addAction(
            self._action("find", "&Find in tab", self.on_find, QKeySequence.StandardKey.Find)
        )

        message_menu = menus.addMenu("&Message")
        message_menu.addAction(
            self._action(
                "send",
                "&Send",
                self.on_send,
                ["Ctrl+Return", "Ctrl+Enter"],
                icon=px.SP_ArrowForward,
                tip="Send the message",
            )
        )
        message_menu.addAction(self._action("analyze", "&Analyze", self.on_analyze, "Ctrl+Shift+A"))
        message_menu.addAction(
            self._action("show_request", "Show &request", self.on_show_request, "Ctrl+Shift+R")
        )
        message_menu.addSeparator()
        message_menu.addAction(self.actions_by_name["bulk"])

        view_menu = menus.addMenu("&View")
        for index, name in enumerate(TAB_NAMES):
            view_menu.addAction(
                self._action(
                    f"tab.{name.lower()}",
                    f"&{index + 1} {name}",
                    lambda _=False, i=index: self.show_tab(i),
                    f"Ctrl+{index + 1}",
                )
            )
        view_menu.addSeparator()
        preview = self._action("preview", "Show &preview", self.on_toggle_preview, "Ctrl+Shift+P")
        preview.setCheckable(True)
        preview.setChecked(self.settings.preview_visible)
        view_menu.addAction(preview)
        view_menu.addAction(
            self._action("refresh", "&Refresh", self.on_refresh, "F5", icon=px.SP_BrowserReload)
        )

        self.accounts_menu = menus.addMenu("&Accounts")
        self.accounts_menu.addAction(
            self._action(
                "accounts",
                "&Manage accounts…",
                self.open_accounts,
                "Ctrl+,",
                icon=px.SP_DirHomeIcon,
            )
        )
        self.accounts_menu.addSeparator()
        self.account_group = QActionGroup(self)
        self.account_group.setExclusive(True)

        help_menu = menus.addMenu("&Help")
        help_menu.addAction(
            self._action(
                "about", "&About Mail Console", self.on_about, "F1", icon=px.SP_DialogHelpButton
            )
        )
        help_menu.addAction(self._action("about_qt", "About &Qt", QApplication.aboutQt))
        for name in ("new", "bulk", "send", "analyze", "show_request", "accounts", "refresh"):
            self.actions_by_name[name].setEnabled(False)  # until the services are attached

    def _restore_state(self) -> None:
        geometry = self.settings.window_geometry
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1200, int(screen.width() * 0.9)), min(820, int(screen.height() * 0.9)))
        state = self.settings.window_state
        if state is not None:
            self.restoreState(state)
        self.tabs.setCurrentIndex(min(max(self.settings.current_tab, 0), self.tabs.count() - 1))

    def _splitters(self) -> dict[str, QSplitter]:
        if self._compose is None:
            return {}
        return {"compose": self._compose.splitter, "compose.body": self._compose.body.splitter}

    def save_state(self) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.current_tab = self.tabs.currentIndex()
        for name, splitter in self._splitters().items():
            self.settings.set_splitter_state(name, splitter.saveState())
        account = self.current_account()
        if account is not None:
            self.settings.last_account = account.id
        self.settings.sync()

    # -- accounts ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Fill the account selector and open the last account used."""
        self.reload_accounts(select=self.settings.last_account or None)
        await self.compose.set_account(self.current_account())
        self.update_status()
        await self.refresh_current_tab()

    def reload_accounts(self, select: str | None = None) -> None:
        """Refill the selector (and the Accounts menu) from the facade."""
        current = self.current_account()
        keep = select or (current.id if current is not None else None)
        accounts = self.facade.accounts()
        self.account_combo.blockSignals(True)
        self.account_combo.clear()
        for action in self.account_group.actions():
            self.account_group.removeAction(action)
            self.accounts_menu.removeAction(action)
            action.deleteLater()
        for account in accounts:
            self.account_combo.addItem(account_label(account), account.id)
            index = self.account_combo.count() - 1
            self.account_combo.setItemData(
                index,
                f"{account.base_url}\nFrom: {account.default_sender}",
                Qt.ItemDataRole.ToolTipRole,
            )
            action = QAction(account_label(account), self.account_group)
            action.setCheckable(True)
            action.setData(account.id)
            action.triggered.connect(lambda _=False, i=index: self.account_combo.setCurrentIndex(i))
            self.accounts_menu.addAction(action)
        if not accounts:
            self.account_combo.addItem(
                "No account — add one with Accounts ▸ Manage accounts…", None
            )
        found = self.account_combo.findData(keep) if keep else -1
        self.account_combo.setCurrentIndex(found if found >= 0 else 0)
        self.account_combo.setEnabled(bool(accounts))
        self.account_combo.blockSignals(False)
        self._check_account_action()

    def current_account(self) -> AccountView | None:
        account_id = self.account_combo.currentData()
        if not isinstance(account_id, str) or self._facade is None:
            return None
        return next((a for a in self.facade.accounts() if a.id == account_id), None)

    def select_account(self, account_id: str) -> bool:
        index = self.account_combo.findData(account_id)
        if index < 0:
            return False
        self.account_combo.setCurrentIndex(index)
        return True

    def _check_account_action(self) -> None:
        account = self.current_account()
        for action in self.account_group.actions():
            action.setChecked(account is not None and action.data() == account.id)

    @async_slot(int)
    async def on_account_index_changed(self, _index: int) -> None:
        account = self.current_account()
        self._check_account_action()
        self.update_status()
        await self.compose.set_account(account)
        if account is not None:
            self.settings.last_account = account.id
            self.account_changed.emit(account.id)
        for tab in self._data_tabs():
            if tab.loaded or tab.isVisible():
                self.tasks.start(f"refresh.{tab.objectName()}", tab.refresh())

    def open_accounts(self) -> AccountsDialog:
        """Open (or raise) the accounts dialog."""
        from mailconsole.ui.accounts import AccountsDialog

        dialog = self._accounts_dialog
        if dialog is None:
            dialog = AccountsDialog(self.facade, self)
            dialog.accounts_changed.connect(self.on_accounts_changed)
            dialog.finished.connect(self.on_accounts_closed)
            self._accounts_dialog = dialog
            dialog.open()
        else:
            dialog.raise_()
            dialog.activateWindow()
        return dialog

    def on_accounts_closed(self, _result: int) -> None:
        if self._accounts_dialog is not None:
            self._accounts_dialog.deleteLater()
        self._accounts_dialog = None

    def on_accounts_changed(self, account_id: str) -> None:
        current = self.current_account()
        if current is None or current.id == account_id or not self.select_account(current.id):
            self.reload_accounts(select=account_id if current is None else None)
        else:
            self.reload_accounts()
        self.tasks.start("accounts.switch", self._follow_account_change(account_id))

    async def _follow_account_change(self, account_id: str) -> None:
        account = self.current_account()
        if account is not None and account.id == account_id:
            # Its settings changed (sender, provider): start from them.
            self.compose.account = None
        await self.compose.set_account(account)
        self.update_status()

    # -- status bar --------------------------------------------------------------------------

    def update_status(self) -> None:
        if self._facade is None:
            return
        account = self.current_account()
        keyring = self.facade.keyring_backend()
        problem = self.facade.keyring_problem()
        self.status_keyring.setText(f"keys: {keyring} ⚠" if problem else f"keys: {keyring}")
        self.status_keyring.setToolTip(problem or "Where API keys are kept (the OS keyring)")
        if account is None:
            self.status_account.setText("No account")
            self.status_budget.clear()
            self.status_dot.set_health("unknown")
            self.setWindowTitle("Mail Console")
            return
        caps = account.capabilities
        parts = [account.name, caps.display_name]
        if account.is_sandbox and account.name.lower() != "sandbox":
            parts.append("Sandbox")
        self.status_account.setText(" · ".join(parts) + " ·")
        self.setWindowTitle(f"{account_label(account)} — Mail Console")
        try:
            status = self.facade.provider_status(account.id)
        except Exception as exc:  # a status must never break the window
            self.status_budget.setText("")
            self.status_dot.set_health("error", str(exc))
            return
        self.status_budget.setText(status.budget)
        self.status_dot.set_health(status.health, status.last_error)

    # -- notices -----------------------------------------------------------------------------

    def on_notice(self, notice: object) -> None:
        # Called for every outbox change (thousands in a bulk send): no import here, since
        # PySide's import hook makes even a cached import cost tens of microseconds.
        kind = getattr(notice, "kind", None)
        if not isinstance(kind, str):
            return
        if kind == "account":
            self.reload_accounts()
        # A bulk send reports thousands of messages: one status update per pause will do.
        busy = kind in ("status", "account", "message", "bulk")
        if busy and not self._status_soon.isActive():
            self._status_soon.start()
        tab = {
            "message": self.timeline_tab,
            "events": self.timeline_tab,
            "scheduled": self.scheduled_tab,
            "suppression": self.suppressions_tab,
        }.get(kind)
        if tab is not None and tab.isVisible():
            self._tabs_to_refresh.add(tab)
            if not self._refresh_soon.isActive():
                self._refresh_soon.start()

    def on_refresh_due(self) -> None:
        tabs, self._tabs_to_refresh = self._tabs_to_refresh, set()
        for tab in tabs:
            self.tasks.start(f"refresh.{tab.objectName()}", tab.refresh())

    # -- tabs --------------------------------------------------------------------------------

    def _data_tabs(self) -> list[DataTab]:
        return [self.templates_tab, self.scheduled_tab, self.timeline_tab, self.suppressions_tab]

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        widget = self.tabs.currentWidget()
        if isinstance(widget, DataTab):
            widget.ensure_built()
            widget.tree.setFocus()

    def on_tab_changed(self, _index: int) -> None:
        self.tasks.start("refresh.tab", self.refresh_current_tab())

    async def refresh_current_tab(self) -> None:
        widget = self.tabs.currentWidget()
        if isinstance(widget, DataTab):
            await widget.refresh()

    async def _load_templates(self) -> list[list[str]]:
        if self._facade is None:
            return []
        account = self.current_account()
        if account is None:
            return []
        templates = await self.facade.templates(account.id)
        return [
            [
                t.name,
                t.source + (" (read-only)" if t.read_only else ""),
                t.subject,
                ", ".join(t.variables),
            ]
            for t in templates
        ]

    async def _load_scheduled(self) -> list[list[str]]:
        if self._facade is None:
            return []
        names = {a.id: a.name for a in self.facade.accounts()}
        rows = await self.facade.scheduled()
        return [
            [
                _local(r.send_at),
                names.get(r.account_id, r.account_id),
                r.recipient,
                r.subject,
                r.held_by,
                r.state,
            ]
            for r in rows
        ]

    async def _load_timeline(self) -> list[list[str]]:
        if self._facade is None:
            return []
        account = self.current_account()
        rows = await self.facade.messages_page(account_id=account.id if account else None)
        return [
            [
                _local(r.created_at),
                r.recipient,
                r.subject,
                r.state.value,
                r.last_event.value if r.last_event else "",
                r.provider_message_id or "",
            ]
            for r in rows
        ]

    async def _load_suppressions(self) -> list[list[str]]:
        if self._facade is None:
            return []
        names = {a.id: a.name for a in self.facade.accounts()}
        rows = await self.facade.suppressions()
        return [
            [
                s.email,
                names.get(s.account_id, s.account_id) if s.account_id else "All accounts",
                s.reason,
                s.source.value.replace("_", " "),
                _local(s.created_at),
            ]
            for s in rows
        ]

    # -- actions -----------------------------------------------------------------------------

    def on_new_message(self) -> None:
        if self._compose is not None:
            self.show_tab(0)
            self._compose.new_message()

    def on_send(self) -> None:
        if self._compose is not None:
            self.show_tab(0)
            self._compose.on_send()

    def on_analyze(self) -> None:
        if self._compose is not None:
            self.show_tab(0)
            self._compose.on_analyze()

    def on_show_request(self) -> None:
        if self._compose is not None:
            self.show_tab(0)
            self._compose.on_show_request()

    def open_bulk(self) -> None:
        """Open the bulk send dialog for the current account and the message in Compose."""
        account = self.current_account()
        if account is None:
            return
        from mailconsole.ui.compose.bulk_dialog import BulkDialog

        if self._bulk_dialog is not None and self._bulk_dialog.isVisible():
            self._bulk_dialog.raise_()
            return
        self.show_tab(0)
        dialog = BulkDialog(self.facade, account, self.compose, self.tasks, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.destroyed.connect(self._forget_bulk)
        self._bulk_dialog = dialog
        dialog.open()

    def _forget_bulk(self) -> None:
        self._bulk_dialog = None

    def on_compose_busy(self, busy: bool) -> None:
        self.actions_by_name["send"].setEnabled(not busy)

    def on_timeline_requested(self, provider_message_id: str) -> None:
        """Show the Timeline with the message just sent selected."""
        self.show_tab(TAB_NAMES.index("Timeline"))
        column = TIMELINE_COLUMNS.index("Provider id")
        self.tasks.start(
            "timeline.select", self.timeline_tab.select_row(provider_message_id, column)
        )

    def on_toggle_preview(self, checked: bool) -> None:
        if self._compose is not None:
            self._compose.preview.setVisible(checked)
        self.settings.preview_visible = checked

    def on_refresh(self) -> None:
        self.tasks.start("refresh.tab", self.refresh_current_tab())
        self.update_status()

    def on_find(self) -> None:
        widget = self.tabs.currentWidget()
        if isinstance(widget, DataTab):
            widget.focus_search()

    def on_edit_action(self, method: str) -> None:
        target = QApplication.focusWidget()
        slot = getattr(target, {"select_all": "selectAll"}.get(method, method), None)
        if callable(slot):
            slot()

    def on_about(self) -> None:
        box = QMessageBox(self)
        box.setObjectName("about")
        box.setWindowTitle("About Mail Console")
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setText(f"<b>Mail Console</b> {__version__}")
        box.setInformativeText(
            "Send email through EmailMassivo, SMS.BY, MailingAPI and eMsgNow, with a built-in "
            "sandbox of all four. API keys stay in the OS keyring "
            f"({self.facade.keyring_backend() if self._facade else 'not opened yet'})."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- shutdown ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        event.accept()
        self.close_requested.emit()

    async def shutdown(self) -> None:
        """Save the draft, stop the timers and cancel every task (before the facade closes)."""
        if self._shut_down:
            return
        self._shut_down = True
        self._status_timer.stop()
        self._status_soon.stop()
        self._refresh_soon.stop()
        try:
            if self._compose is not None:
                await self._compose.flush_draft()
        except Exception:
            log.exception("the draft could not be saved at shutdown")
        await self.tasks.cancel_all()
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None


# -- start-up ----------------------------------------------------------------------------------


async def _offer_first_start(parent: QWidget | None) -> str:
    """Ask what to do when there is no account: "sandbox", "add" or "later"."""
    box = QMessageBox(parent)
    box.setObjectName("first_start")
    box.setWindowTitle("Welcome to Mail Console")
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.setText("There is no account yet.")
    box.setInformativeText(
        "Try everything with the built-in sandbox — it emulates all four providers on this "
        "machine and sends nothing out — or add an account with your provider's API key."
    )
    sandbox = box.addButton("Try the &sandbox", QMessageBox.ButtonRole.AcceptRole)
    add = box.addButton("&Add an account…", QMessageBox.ButtonRole.ActionRole)
    box.addButton("&Later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(sandbox)
    await await_dialog(box)
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is sandbox:
        return "sandbox"
    if clicked is add:
        return "add"
    return "later"


async def _start_sandbox(port: int = 0) -> tuple[Sandbox, dict[str, str]]:
    await run_blocking(import_services, "mailconsole.sandbox")
    from mailconsole.core.capabilities import PROVIDER_IDS
    from mailconsole.sandbox import Sandbox

    sandbox = Sandbox(port=port)
    await sandbox.start()
    log.info("the built-in sandbox listens at %s (keys: sandbox-<provider>)", sandbox.url)
    return sandbox, {provider: sandbox.base_url(provider) for provider in PROVIDER_IDS}


async def _open_facade(data_dir: Path | None, sandbox_urls: dict[str, str] | None) -> ConsoleFacade:
    from mailconsole.services.facade import ConsoleFacade

    return await ConsoleFacade.open(data_dir=data_dir, sandbox_urls=sandbox_urls)


async def run_console(app: QApplication, args: argparse.Namespace) -> int:
    """Show the window, open the facade (and the sandbox with ``--sandbox``) behind it, run
    until the window is closed, then close everything in order; returns the exit code."""
    sandbox: Sandbox | None = None
    facade: ConsoleFacade | None = None
    app.setWindowIcon(app_icon())
    window = MainWindow()
    closed = asyncio.Event()
    window.close_requested.connect(closed.set)
    window.show()
    data_dir = getattr(args, "data_dir", None)
    want_sandbox = bool(getattr(args, "sandbox", False))
    await run_blocking(import_services, *(("mailconsole.sandbox",) if want_sandbox else ()))
    from mailconsole.ui.errors import ErrorReporter

    reporter = ErrorReporter(app)
    reporter.install()
    try:
        sandbox_urls: dict[str, str] | None = None
        if want_sandbox:
            window.show_starting("Starting the built-in sandbox…")
            sandbox, sandbox_urls = await _start_sandbox(int(getattr(args, "port", 0) or 0))
        facade = await _open_facade(data_dir, sandbox_urls)
        if sandbox is None and any(a.is_sandbox for a in facade.accounts()):
            # Sandbox accounts from an earlier run: bring their sandbox up again.
            window.show_starting("Starting the built-in sandbox…")
            sandbox, sandbox_urls = await _start_sandbox()
            await facade.close()
            facade = await _open_facade(data_dir, sandbox_urls)
        add_account = False
        if not facade.accounts() and not closed.is_set():
            choice = await _offer_first_start(window)
            if choice == "sandbox":
                sandbox, sandbox_urls = await _start_sandbox()
                await facade.close()
                facade = await _open_facade(data_dir, sandbox_urls)
            add_account = choice == "add"
        if not closed.is_set():
            window.attach(facade)
            # Finish interrupted sends, poll events and send due send-laters, behind the window.
            facade.start_background()
            await window.start()
            if add_account:
                window.open_accounts()
            await closed.wait()
        await window.shutdown()
        window.deleteLater()
        return 0
    finally:
        if facade is not None:
            await facade.close()
        if sandbox is not None:
            await sandbox.stop()
        reporter.uninstall()
