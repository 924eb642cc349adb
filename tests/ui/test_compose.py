"""Compose on the real facade, the real journal and the real sandbox: what is typed is what the
provider receives; every problem lands on its field; the draft survives errors and restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import *  # noqa: F403
from helpers import allow_headless_noise, close_window, delivered, open_window, run, wait_task
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mailconsole.sandbox import Sandbox
from mailconsole.services.facade import ConsoleFacade
from mailconsole.ui.compose import ComposeTab
from mailconsole.ui.main_window import MainWindow
from mailconsole.ui.settings import UiSettings

pytestmark = allow_headless_noise

HTML = "<h1>Order shipped</h1><p>Hi Jane, your order is on the way.</p>"


def invoice(tmp_path: Path) -> Path:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    return path


def type_message(
    qtbot: QtBot, compose: ComposeTab, attachment: Path | None, *, subject: str = "Your order"
) -> None:
    compose.from_field.edit.clear()
    qtbot.keyClicks(compose.from_field.edit, "Acme <hello@example.com>")
    qtbot.keyClicks(compose.to_field.edit, "Jane <jane@example.org>")
    qtbot.keyClicks(compose.cc_field.edit, "john@example.org")
    qtbot.keyClicks(compose.subject, subject)
    qtbot.keyClicks(compose.body.html, HTML)
    if attachment is not None:
        wait_task(qtbot, compose.attachments.on_files_selected([str(attachment)]))


def sent_with_subject(qtbot: QtBot, sandbox: Sandbox, subject: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def arrived() -> bool:
        for message in delivered(qtbot, sandbox):
            if message["subject"] == subject:
                found.update(message)
                return True
        return False

    qtbot.waitUntil(arrived, timeout=15000)
    return found


def wait_sent(qtbot: QtBot, compose: ComposeTab) -> None:
    qtbot.waitUntil(
        lambda: compose.banner.isVisible() or compose.summary.isVisible(), timeout=15000
    )
    assert compose.banner.isVisible(), compose.summary.text()


def test_send_button_delivers_what_was_typed(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, tmp_path: Path
) -> None:
    compose = window.compose
    type_message(qtbot, compose, invoice(tmp_path), subject="Shipped by button")
    # The plain-text part is generated from the HTML.
    qtbot.waitUntil(lambda: "Order shipped" in compose.body.text.toPlainText(), timeout=3000)
    qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
    wait_sent(qtbot, compose)
    assert compose.banner.text.startswith("Accepted by MailingAPI — id ")

    message = sent_with_subject(qtbot, sandbox, "Shipped by button")
    assert message["provider"] == "mailingapi"
    assert "hello@example.com" in message["from"]
    assert any("jane@example.org" in to for to in message["to"])
    assert any("john@example.org" in cc for cc in message["cc"])
    assert "<h1>Order shipped</h1>" in message["html"]
    assert "Order shipped" in message["text"] and "<h1>" not in message["text"]
    assert message["attachments"] == [
        {"name": "invoice.pdf", "size": invoice(tmp_path).stat().st_size}
    ]
    # The send button came back, and the form is ready for the next message.
    assert compose.send_button.isEnabled()
    assert compose.subject.text() == ""


def test_ctrl_return_sends(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, tmp_path: Path
) -> None:
    compose = window.compose
    type_message(qtbot, compose, invoice(tmp_path), subject="Shipped by keyboard")
    window.activateWindow()
    compose.body.html.setFocus()
    qtbot.keyClick(compose.body.html, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_sent(qtbot, compose)
    message = sent_with_subject(qtbot, sandbox, "Shipped by keyboard")
    assert message["attachments"][0]["name"] == "invoice.pdf"
    assert "Hi Jane" in message["text"]


def test_an_invalid_address_is_shown_under_its_field_as_you_type(
    window: MainWindow, qtbot: QtBot
) -> None:
    compose = window.compose
    qtbot.keyClicks(compose.to_field.edit, "jane@@example")
    qtbot.waitUntil(compose.to_field.error.isVisible, timeout=3000)
    assert "jane@@example" in compose.to_field.error.text()
    compose.to_field.edit.clear()
    qtbot.keyClicks(compose.to_field.edit, "jane@example.org")
    qtbot.waitUntil(lambda: not compose.to_field.error.isVisible(), timeout=3000)


def press_send(qtbot: QtBot, compose: ComposeTab) -> None:
    qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: compose.summary.isVisible() or compose.banner.isVisible(), timeout=15000
    )
    qtbot.waitUntil(compose.send_button.isEnabled, timeout=5000)


def draft(qtbot: QtBot, facade: ConsoleFacade, account_id: str) -> dict[str, Any]:
    fields = run(qtbot, facade.load_draft(account_id))
    assert fields is not None
    return fields


def test_invalid_address_on_send_lands_on_to(
    window: MainWindow, facade: ConsoleFacade, qtbot: QtBot
) -> None:
    compose = window.compose
    type_message(qtbot, compose, None, subject="Bad address")
    compose.to_field.edit.setText("jane@@example")
    press_send(qtbot, compose)
    assert not compose.banner.isVisible()
    assert compose.to_field.error.isVisible()
    assert "jane@@example" in compose.to_field.error.text()
    assert compose.summary.text().startswith("Not sent")
    assert "To:" in compose.summary.text()
    assert QApplication.focusWidget() is compose.to_field.edit
    kept = draft(qtbot, facade, "sandbox-mailingapi")
    assert kept["to"] == "jane@@example" and kept["subject"] == "Bad address"


def test_missing_subject_lands_on_subject(
    window: MainWindow, facade: ConsoleFacade, qtbot: QtBot
) -> None:
    compose = window.compose
    type_message(qtbot, compose, None, subject="")
    press_send(qtbot, compose)
    assert compose.subject_error.isVisible()
    assert "subject" in compose.subject_error.text().lower()
    assert "Subject:" in compose.summary.text()
    assert QApplication.focusWidget() is compose.subject
    kept = draft(qtbot, facade, "sandbox-mailingapi")
    assert kept["html"] == HTML


def test_unverified_sender_domain_lands_on_from(
    window: MainWindow, facade: ConsoleFacade, qtbot: QtBot
) -> None:
    compose = window.compose
    type_message(qtbot, compose, None, subject="From nowhere")
    compose.from_field.edit.setText("Acme <hello@unverified-domain.org>")
    press_send(qtbot, compose)
    assert not compose.banner.isVisible()
    assert compose.from_field.error.isVisible()
    assert "unverified-domain.org" in compose.from_field.error.text()
    assert "verif" in compose.from_field.error.text().lower()
    assert QApplication.focusWidget() in (compose.from_field.combo, compose.from_field.edit)
    kept = draft(qtbot, facade, "sandbox-mailingapi")
    assert kept["from"] == "Acme <hello@unverified-domain.org>"
    assert kept["subject"] == "From nowhere"


def test_text_follows_the_html_until_edited(window: MainWindow, qtbot: QtBot) -> None:
    body = window.compose.body
    qtbot.keyClicks(body.html, "<p>First</p>")
    qtbot.waitUntil(lambda: body.text.toPlainText() == "First", timeout=3000)
    body.text.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(body.text, " - my own words")
    assert body.text_overridden
    assert body.regenerate.isVisible()
    qtbot.keyClicks(body.html, "<p>Second</p>")
    qtbot.wait(400)
    assert body.text.toPlainText() == "First - my own words"
    qtbot.mouseClick(body.regenerate, Qt.MouseButton.LeftButton)
    assert "Second" in body.text.toPlainText()
    assert not body.text_overridden


def test_variables_form_follows_the_placeholders(window: MainWindow, qtbot: QtBot) -> None:
    compose = window.compose
    qtbot.keyClicks(compose.subject, "Order {{order_id}}")
    qtbot.keyClicks(compose.body.html, "<p>Hi {{name}}</p>")
    qtbot.waitUntil(lambda: compose.template_panel.field("name") is not None, timeout=3000)
    assert compose.template_panel.variable_names() == ["order_id", "name"]
    field = compose.template_panel.field("order_id")
    assert field is not None and field.objectName() == "compose.variable.order_id"


def test_draft_is_restored_after_a_restart(
    facade: ConsoleFacade, ui_settings: UiSettings, qtbot: QtBot, tmp_path: Path
) -> None:
    first = open_window(qtbot, facade, ui_settings, account_id="sandbox-mailingapi")
    type_message(qtbot, first.compose, invoice(tmp_path), subject="Half written")
    qtbot.keyClicks(first.compose.options.tags, "welcome, spring")
    qtbot.wait(700)  # the draft is saved half a second after typing stops
    close_window(qtbot, first)

    second = open_window(qtbot, facade, ui_settings)
    try:
        compose = second.compose
        assert compose.subject.text() == "Half written"
        assert compose.to_field.text() == "Jane <jane@example.org>"
        assert compose.body.html.toPlainText() == HTML
        assert compose.options.tags.text() == "welcome, spring"
        assert [a.filename for a in compose.attachments.attachments()] == ["invoice.pdf"]
    finally:
        close_window(qtbot, second)


def test_each_account_keeps_its_own_draft(window: MainWindow, qtbot: QtBot) -> None:
    compose = window.compose
    qtbot.keyClicks(compose.subject, "For MailingAPI")
    assert window.select_account("sandbox-smsby")
    qtbot.waitUntil(lambda: compose.ready and compose.account.id == "sandbox-smsby")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: compose.subject.text() == "", timeout=3000)
    qtbot.keyClicks(compose.subject, "For SMS.BY")
    assert window.select_account("sandbox-mailingapi")
    qtbot.waitUntil(lambda: compose.subject.text() == "For MailingAPI", timeout=3000)
    assert window.select_account("sandbox-smsby")
    qtbot.waitUntil(lambda: compose.subject.text() == "For SMS.BY", timeout=3000)


def test_show_request_shows_the_request_with_the_key_redacted(
    window: MainWindow, qtbot: QtBot
) -> None:
    from mailconsole.ui.widgets import TextDialog

    compose = window.compose
    type_message(qtbot, compose, None, subject="Request please")
    wait_task(qtbot, compose.on_show_request())
    dialog = compose.findChild(TextDialog, "compose.request")
    assert dialog is not None and dialog.isVisible()
    text = dialog.text_edit.toPlainText()
    assert "curl" in text and "/v1/messages/send" in text
    assert "sandbox-mailingapi" not in text.replace("/mailingapi", "")
    assert dialog.text_edit.isReadOnly()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == text
    dialog.close()


def test_analyze_shows_the_report(window: MainWindow, qtbot: QtBot) -> None:
    from mailconsole.ui.widgets import TextDialog

    compose = window.compose
    type_message(qtbot, compose, None, subject="Analyze me")
    wait_task(qtbot, compose.on_analyze())
    dialog = compose.findChild(TextDialog, "compose.analysis")
    assert dialog is not None, compose.summary.text()
    assert "MailingAPI" in dialog.text_edit.toPlainText()
    dialog.close()


def test_open_timeline_selects_the_message_just_sent(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot
) -> None:
    compose = window.compose
    type_message(qtbot, compose, None, subject="Find me in the timeline")
    qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
    wait_sent(qtbot, compose)
    message = sent_with_subject(qtbot, sandbox, "Find me in the timeline")
    compose.on_banner_action("timeline")
    timeline = window.timeline_tab
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is timeline, timeout=5000)

    def selected_subject() -> str:
        item = timeline.tree.currentItem()
        return item.text(2) if item is not None else ""

    qtbot.waitUntil(lambda: selected_subject() == "Find me in the timeline", timeout=10000)
    assert timeline.tree.currentItem().text(5) == message["id"]  # type: ignore[union-attr]
