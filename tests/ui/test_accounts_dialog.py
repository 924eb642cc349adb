"""The accounts dialog on the real facade: the key goes to the real OS keyring (Secret Service
in a D-Bus session), never into the journal; Test connection reports what it checked."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from helpers import *  # noqa: F403
from helpers import allow_headless_noise, wait_task
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from mailconsole.sandbox import Sandbox
from mailconsole.services.facade import ConsoleFacade
from mailconsole.services.secrets import SERVICE
from mailconsole.ui.accounts import AccountsDialog
from mailconsole.ui.main_window import MainWindow

#: The sandbox's valid MailingAPI key, and a key that appears nowhere else (to look for it).
KEY = "sandbox-mailingapi"
SECRET = "ob_live_5e3c1a9f0d7b4e2a8c6f"

pytestmark = allow_headless_noise


def keyring_works() -> bool:
    """True when an OS keyring answers (inside a D-Bus session with gnome-keyring)."""
    try:
        keyring.get_password("mailconsole-test-probe", "probe")
    except Exception:
        return False
    return True


needs_keyring = pytest.mark.skipif(
    not keyring_works(), reason="no OS keyring: run inside dbus-run-session with gnome-keyring"
)


def fill(qtbot: QtBot, dialog: AccountsDialog, sandbox: Sandbox, name: str, key: str) -> None:
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.name, name)
    dialog.provider.setCurrentIndex(dialog.provider.findData("mailingapi"))
    dialog.base_url.clear()
    qtbot.keyClicks(dialog.base_url, sandbox.base_url("mailingapi"))
    qtbot.keyClicks(dialog.default_sender, "Acme <hello@example.com>")
    qtbot.keyClicks(dialog.api_key, key)


def test_the_key_field_is_masked(window: MainWindow, qtbot: QtBot) -> None:
    dialog = window.open_accounts()
    assert dialog.api_key.echoMode() == QLineEdit.EchoMode.Password
    dialog.reject()


def test_emsgnow_asks_for_its_url(window: MainWindow, qtbot: QtBot) -> None:
    dialog = window.open_accounts()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    dialog.provider.setCurrentIndex(dialog.provider.findData("emsgnow"))
    assert dialog.base_url.text() == ""
    assert "publishes no API address" in dialog.base_url_note.text()
    dialog.provider.setCurrentIndex(dialog.provider.findData("smsby"))
    assert dialog.base_url.text() == "https://app.sms.by"
    assert dialog.time_zone.isEnabled()
    dialog.provider.setCurrentIndex(dialog.provider.findData("mailingapi"))
    assert not dialog.time_zone.isEnabled()
    dialog.reject()


def test_sandbox_accounts_are_read_only(window: MainWindow) -> None:
    dialog = window.open_accounts()
    assert dialog.current_account() is not None
    assert not dialog.save_button.isEnabled()
    assert not dialog.remove_button.isEnabled()
    dialog.reject()


@needs_keyring
def test_added_account_keeps_its_key_in_the_keyring_only(
    window: MainWindow, facade: ConsoleFacade, sandbox: Sandbox, qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = window.open_accounts()
    fill(qtbot, dialog, sandbox, "Acme", SECRET)
    saved = wait_task(qtbot, dialog.on_save())
    assert saved is not None, dialog.message.text()
    assert "Saved Acme" in dialog.message.text()
    try:
        assert keyring.get_password(SERVICE, saved.id) == SECRET
        # In the selector, and the key is never shown back.
        assert window.account_combo.findData(saved.id) >= 0
        assert dialog.api_key.text() == ""
        assert "•••• stored in" in dialog.api_key.placeholderText()
        # The journal (and everything else in the data directory) holds no key.
        files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
        assert files
        for path in files:
            assert SECRET.encode() not in path.read_bytes(), path

        # Saving again without typing a key keeps the stored one.
        dialog.default_sender.setText("Acme <news@example.com>")
        assert wait_task(qtbot, dialog.on_save()) is not None
        assert keyring.get_password(SERVICE, saved.id) == SECRET

        # Remove, confirmed: the key leaves the keyring too.
        task = dialog.on_remove()
        box = None

        def confirm_shown() -> bool:
            nonlocal box
            box = dialog.findChild(QMessageBox, "accounts.confirm_remove")
            return box is not None and box.isVisible()

        qtbot.waitUntil(confirm_shown)
        assert box is not None
        yes = box.findChild(QPushButton, "accounts.confirm_remove.yes")
        qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
        wait_task(qtbot, task)
        assert "Removed Acme" in dialog.message.text()
        assert keyring.get_password(SERVICE, saved.id) is None
        assert window.account_combo.findData(saved.id) < 0
    finally:
        if keyring.get_password(SERVICE, saved.id) is not None:
            keyring.delete_password(SERVICE, saved.id)
        dialog.reject()


def test_connection_test_says_what_it_checked(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot
) -> None:
    dialog = window.open_accounts()
    fill(qtbot, dialog, sandbox, "Acme", KEY)
    checked = wait_task(qtbot, dialog.on_test())
    assert checked is not None, dialog.message.text()
    assert dialog.message.text().startswith("Connection works")
    assert "/v1/messages" in dialog.message.text()
    dialog.reject()


def test_problems_show_on_their_fields(window: MainWindow, qtbot: QtBot) -> None:
    dialog = window.open_accounts()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    dialog.provider.setCurrentIndex(dialog.provider.findData("emsgnow"))
    wait_task(qtbot, dialog.on_save())
    assert dialog.errors["base_url"].isVisible()
    assert "eMsgNow" in dialog.errors["base_url"].text()
    assert dialog.errors["api_key"].isVisible()
    assert "Not saved" in dialog.message.text()
    dialog.reject()


def test_a_wrong_key_fails_the_connection_test(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot
) -> None:
    dialog = window.open_accounts()
    fill(qtbot, dialog, sandbox, "Wrong", "ob_live_not_a_key")
    wait_task(qtbot, dialog.on_test())
    assert "failed" in dialog.message.text()
    assert "mailingapi" in dialog.message.text().lower()
    dialog.reject()
