"""The window shell: accounts in the selector, fields per provider, shortcuts, status bar,
remembered geometry and state — on the real facade and the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import *  # noqa: F403
from helpers import allow_headless_noise, close_window, open_window, run
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from mailconsole.services.facade import ConsoleFacade
from mailconsole.ui.main_window import MainWindow
from mailconsole.ui.settings import UiSettings

pytestmark = allow_headless_noise


def select(qtbot: QtBot, window: MainWindow, account_id: str) -> None:
    assert window.select_account(account_id)
    qtbot.waitUntil(
        lambda: window.compose.ready and window.compose.account.id == account_id  # type: ignore[union-attr]
    )


def test_sandbox_accounts_are_labelled(window: MainWindow) -> None:
    labels = [window.account_combo.itemText(i) for i in range(window.account_combo.count())]
    assert len(labels) == 4
    assert all("Sandbox" in label for label in labels)
    assert window.account_combo.currentData() == "sandbox-mailingapi"
    assert "MailingAPI" in window.status_account.text()
    assert window.status_keyring.text().startswith("keys: ")
    assert window.status_dot.toolTip()


@pytest.mark.parametrize(
    ("account_id", "field", "tooltip"),
    [
        ("sandbox-emsgnow", "cc", "eMsgNow has no Cc"),
        ("sandbox-emsgnow", "bcc", "eMsgNow has no Bcc"),
        ("sandbox-emsgnow", "attachments", "eMsgNow has no attachments"),
        ("sandbox-emsgnow", "html", "eMsgNow has no HTML body"),
        ("sandbox-smsby", "cc", "SMS.BY has no Cc"),
        ("sandbox-smsby", "preview_title", "SMS.BY has no preview text"),
        ("sandbox-emailmassivo", "tags", "EmailMassivo has no tags"),
        ("sandbox-emailmassivo", "track_opens", "EmailMassivo has no tracking switches"),
        ("sandbox-mailingapi", "expire_at", "MailingAPI has no expiry time"),
    ],
)
def test_unsupported_fields_are_disabled_with_the_reason(
    window: MainWindow, qtbot: QtBot, account_id: str, field: str, tooltip: str
) -> None:
    select(qtbot, window, account_id)
    compose = window.compose
    widgets: dict[str, QWidget] = {
        "cc": compose.cc_field.edit,
        "bcc": compose.bcc_field.edit,
        "attachments": compose.attachments.add_button,
        "html": compose.body.html,
        "preview_title": compose.preview_title,
        "tags": compose.options.tags,
        "track_opens": compose.options.track_opens,
        "expire_at": compose.options.expire_at_enabled,
    }
    widget = widgets[field]
    assert not widget.isEnabled()
    assert tooltip in widget.toolTip()


def test_supported_fields_are_enabled(window: MainWindow, qtbot: QtBot) -> None:
    compose = window.compose
    for widget in (
        compose.cc_field.edit,
        compose.bcc_field.edit,
        compose.body.html,
        compose.attachments.add_button,
        compose.options.tags,
        compose.options.metadata,
        compose.options.track_clicks,
    ):
        assert widget.isEnabled(), widget.objectName()
        assert widget.toolTip() == "" or "has no" not in widget.toolTip()


def test_every_control_has_names(window: MainWindow) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit

    kinds = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit)
    missing = []
    for widget in window.compose.findChildren(QWidget):
        if not isinstance(widget, kinds) or widget.parent() is None:
            continue
        if isinstance(widget, QLineEdit) and isinstance(widget.parent(), QComboBox):
            continue  # an editable combo's own line edit
        if widget.objectName().startswith("qt_") or (
            type(widget).__name__ == "QToolButton" and not widget.objectName()
        ):
            continue  # Qt's own parts: a spin box's line edit, a field's clear button
        if not widget.objectName() or not widget.accessibleName():
            missing.append((type(widget).__name__, widget.objectName(), widget.accessibleName()))
    assert missing == []


def test_tab_shortcuts(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    for index in (2, 3, 4, 5, 1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + index), Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentIndex() == index - 1


def test_menu_shortcuts_are_declared(window: MainWindow) -> None:
    expected = {
        "new": "Ctrl+N",
        "send": "Ctrl+Return",
        "analyze": "Ctrl+Shift+A",
        "accounts": "Ctrl+,",
        "quit": "Ctrl+Q",
        "about": "F1",
        "refresh": "F5",
        "tab.compose": "Ctrl+1",
        "tab.suppressions": "Ctrl+5",
    }
    for name, key in expected.items():
        action = window.actions_by_name[name]
        assert action.shortcut().toString() == key, name


def test_ctrl_comma_opens_the_accounts_dialog(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window._accounts_dialog is not None)
    dialog = window._accounts_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.list.count() == 4
    dialog.reject()


def test_ctrl_n_starts_a_new_message(window: MainWindow, qtbot: QtBot) -> None:
    compose = window.compose
    qtbot.keyClicks(compose.subject, "Half written")
    window.show_tab(3)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: compose.subject.text() == "")
    assert window.tabs.currentIndex() == 0


def test_window_state_is_restored(
    facade: ConsoleFacade, ui_settings: UiSettings, qtbot: QtBot
) -> None:
    first = open_window(qtbot, facade, ui_settings, account_id="sandbox-smsby")
    first.resize(760, 560)  # the offscreen screen is 800 x 600
    first.move(10, 10)
    first.compose.splitter.setSizes([500, 200])
    first.tabs.setCurrentIndex(3)
    qtbot.wait(50)
    size = first.size()
    close_window(qtbot, first)

    second = open_window(qtbot, facade, ui_settings)
    try:
        # Width as left; height as left within what the compose form needs at least (the
        # offscreen screen is barely taller than that).
        assert second.size().width() == size.width() == 760
        assert abs(second.size().height() - size.height()) <= 12
        assert second.tabs.currentIndex() == 3
        assert second.current_account() is not None
        assert second.current_account().id == "sandbox-smsby"  # type: ignore[union-attr]
        second.show_tab(0)
        qtbot.wait(20)
        sizes = second.compose.splitter.sizes()
        assert sizes[0] > 2 * sizes[1]
    finally:
        close_window(qtbot, second)


def test_data_tabs_show_an_empty_state_or_data(window: MainWindow, qtbot: QtBot) -> None:
    window.show_tab(3)
    qtbot.waitUntil(lambda: window.timeline_tab.loaded)
    assert window.timeline_tab.stack.currentWidget() is window.timeline_tab.empty
    assert "appears here" in window.timeline_tab.empty.label.text()
    window.show_tab(1)
    qtbot.waitUntil(lambda: window.templates_tab.loaded)
    names = [
        window.templates_tab.tree.topLevelItem(i).text(0)
        for i in range(window.templates_tab.tree.topLevelItemCount())
    ]
    assert "TODO" not in " ".join(names)


def test_closing_requests_shutdown(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClicks(window.compose.subject, "Kept")
    with qtbot.waitSignal(window.close_requested, timeout=2000):
        window.close()
    run(qtbot, window.shutdown())
    assert not window.tasks.running("compose.draft")
    # The draft typed just before closing was saved.
    draft = run(qtbot, window.facade.load_draft("sandbox-mailingapi"))
    assert draft is not None and draft["subject"] == "Kept"


def test_unexpected_errors_are_shown_and_logged(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from mailconsole.ui.errors import ErrorReporter

    reporter = ErrorReporter()
    try:
        raise RuntimeError("the provider exploded")
    except RuntimeError as exc:
        reporter.excepthook(type(exc), exc, exc.__traceback__)
    boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "error_dialog"]
    assert boxes and isinstance(boxes[-1], QMessageBox)
    box = boxes[-1]
    assert "the provider exploded" in box.informativeText()
    assert "Traceback" in box.detailedText()
    assert "unexpected error" in caplog.text
    box.close()
    box.deleteLater()


def test_run_console_opens_the_sandbox_and_shuts_down_in_order(
    qloop: object, qtbot: QtBot, tmp_path: Path
) -> None:
    import argparse
    import asyncio

    from PySide6.QtCore import QSettings

    from mailconsole.ui.main_window import run_console

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    args = argparse.Namespace(sandbox=True, port=0, data_dir=tmp_path / "data")
    task = asyncio.ensure_future(run_console(QApplication.instance(), args))  # type: ignore[arg-type]
    found: list[MainWindow] = []

    def ready() -> bool:
        found[:] = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        return bool(found) and found[0].attached and found[0].compose.ready

    qtbot.waitUntil(ready, timeout=30000)
    window = found[0]
    assert window.account_combo.count() == 4
    assert all("Sandbox" in window.account_combo.itemText(i) for i in range(4))
    window.close()
    qtbot.waitUntil(task.done, timeout=30000)
    assert task.result() == 0


def test_first_start_offers_the_sandbox(qloop: object, qtbot: QtBot, tmp_path: Path) -> None:
    import argparse
    import asyncio

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox, QPushButton

    from mailconsole.ui.main_window import run_console

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    args = argparse.Namespace(sandbox=False, port=0, data_dir=tmp_path / "empty")
    task = asyncio.ensure_future(run_console(QApplication.instance(), args))  # type: ignore[arg-type]
    offer: list[QMessageBox] = []

    def offered() -> bool:
        offer[:] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "first_start" and w.isVisible()
        ]
        return bool(offer)

    qtbot.waitUntil(offered, timeout=30000)
    buttons = [b for b in offer[0].findChildren(QPushButton) if "sandbox" in b.text().lower()]
    qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    windows: list[MainWindow] = []

    def ready() -> bool:
        windows[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        return bool(windows) and windows[0].attached and windows[0].account_combo.count() == 4

    qtbot.waitUntil(ready, timeout=30000)
    windows[0].close()
    qtbot.waitUntil(task.done, timeout=30000)
    assert task.result() == 0


def test_keyboard_order_of_compose(window: MainWindow, qtbot: QtBot) -> None:
    compose = window.compose
    order = []
    widget: QWidget | None = compose.to_field.edit
    for _ in range(6):
        assert widget is not None
        order.append(widget.objectName())
        widget = widget.nextInFocusChain()
        while widget is not None and (
            not widget.isEnabled() or widget.focusPolicy() == Qt.FocusPolicy.NoFocus
        ):
            widget = widget.nextInFocusChain()
    assert order[:5] == [
        "compose.to",
        "compose.cc",
        "compose.bcc",
        "compose.subject",
        "compose.template",
    ] or order[:4] == ["compose.to", "compose.cc", "compose.bcc", "compose.subject"]
