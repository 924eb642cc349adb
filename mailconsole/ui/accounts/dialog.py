"""The accounts dialog: the list of accounts and a form to add, edit, test and remove them.

The API key is typed into a masked field and goes straight to the OS keyring through the facade;
it is never shown back — an account with a stored key says "•••• stored in Secret Service" and
keeps the key unless a new one is typed.
"""

from __future__ import annotations

import logging
import zoneinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.capabilities import CAPABILITIES, capabilities_for
from mailconsole.services.accounts import DEFAULT_TIME_ZONE, AccountInvalid
from mailconsole.services.facade import ConsoleFacade
from mailconsole.services.facade_types import AccountDraft, AccountView
from mailconsole.ui.bridge import async_slot
from mailconsole.ui.errors import describe_error
from mailconsole.ui.widgets import FieldErrorLabel, ask_question, set_tab_chain

log = logging.getLogger(__name__)

#: Where the form says the key is when one is stored.
MASK = "••••"


def account_label(account: AccountView) -> str:
    """The label used everywhere: sandbox accounts say so."""
    label = account.label
    if account.is_sandbox and "sandbox" not in label.lower():
        label = f"{label} (Sandbox)"
    return label


class AccountsDialog(QDialog):
    """Add, edit, test and remove accounts.

    Signals: ``accounts_changed(str)`` — an account was saved or removed (its id).
    """

    accounts_changed = Signal(str)

    def __init__(self, facade: ConsoleFacade, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accounts")
        self.setWindowTitle("Accounts")
        self.resize(820, 520)
        self.facade = facade
        self._current_id: str | None = None
        self._busy = False
        self._build()
        self.reload()

    # -- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        style = self.style()
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        list_label = QLabel("&Accounts", left)
        left_layout.addWidget(list_label)
        self.list = QListWidget(left)
        self.list.setObjectName("accounts.list")
        self.list.setAccessibleName("Accounts")
        list_label.setBuddy(self.list)
        left_layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("A&dd", left)
        self.add_button.setObjectName("accounts.add")
        self.add_button.setAccessibleName("Add an account")
        self.add_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder))
        self.remove_button = QPushButton("&Remove…", left)
        self.remove_button.setObjectName("accounts.remove")
        self.remove_button.setAccessibleName("Remove the account")
        self.remove_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left_layout.addLayout(row)

        right = QWidget(splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        self.heading = QLabel(right)
        self.heading.setObjectName("accounts.heading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        right_layout.addWidget(self.heading)
        self.sandbox_note = QLabel(
            "Sandbox accounts come with the built-in sandbox: they send nothing off this "
            "machine and cannot be edited.",
            right,
        )
        self.sandbox_note.setWordWrap(True)
        self.sandbox_note.hide()
        right_layout.addWidget(self.sandbox_note)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.name = QLineEdit(right)
        self.name.setObjectName("accounts.name")
        self.name.setAccessibleName("Account name")
        self.name.setPlaceholderText("Acme")
        self.provider = QComboBox(right)
        self.provider.setObjectName("accounts.provider")
        self.provider.setAccessibleName("Provider")
        for caps in CAPABILITIES.values():
            self.provider.addItem(caps.display_name, caps.provider)
        self.base_url = QLineEdit(right)
        self.base_url.setObjectName("accounts.base_url")
        self.base_url.setAccessibleName("Base URL")
        self.base_url_note = QLabel(right)
        self.base_url_note.setObjectName("accounts.base_url.note")
        self.base_url_note.setWordWrap(True)
        self.default_sender = QLineEdit(right)
        self.default_sender.setObjectName("accounts.default_sender")
        self.default_sender.setAccessibleName("Default sender")
        self.default_sender.setPlaceholderText("Acme <hello@acme.com>")
        self.time_zone = QComboBox(right)
        self.time_zone.setObjectName("accounts.time_zone")
        self.time_zone.setAccessibleName("Time zone")
        self.time_zone.setEditable(True)
        self.time_zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.time_zone.addItems(sorted(zoneinfo.available_timezones()))
        self.api_key = QLineEdit(right)
        self.api_key.setObjectName("accounts.api_key")
        self.api_key.setAccessibleName("API key")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhNoPredictiveText
            | Qt.InputMethodHint.ImhSensitiveData
        )
        self.api_key_note = QLabel(right)
        self.api_key_note.setObjectName("accounts.api_key.note")
        self.api_key_note.setWordWrap(True)

        self.errors: dict[str, FieldErrorLabel] = {}

        def add_row(text: str, field: str, widget: QWidget, note: QLabel | None = None) -> None:
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(widget)
            if note is not None:
                note.setForegroundRole(note.foregroundRole().PlaceholderText)
                box.addWidget(note)
            error = FieldErrorLabel(f"accounts.{field}.error", right)
            self.errors[field] = error
            box.addWidget(error)
            label = QLabel(text, right)
            label.setBuddy(widget)
            form.addRow(label, box)

        add_row("&Name", "name", self.name)
        add_row("&Provider", "provider", self.provider)
        add_row("&Base URL", "base_url", self.base_url, self.base_url_note)
        add_row("Default &sender", "default_sender", self.default_sender)
        add_row("&Time zone", "time_zone", self.time_zone)
        add_row("API &key", "api_key", self.api_key, self.api_key_note)
        right_layout.addLayout(form)

        self.message = QLabel(right)
        self.message.setObjectName("accounts.message")
        self.message.setAccessibleName("Result")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_icon = QLabel(right)
        message_row = QHBoxLayout()
        message_row.addWidget(self.message_icon, 0, Qt.AlignmentFlag.AlignTop)
        message_row.addWidget(self.message, 1)
        right_layout.addLayout(message_row)
        right_layout.addStretch(1)

        actions = QHBoxLayout()
        self.test_button = QPushButton("&Test connection", right)
        self.test_button.setObjectName("accounts.test")
        self.test_button.setAccessibleName("Test the connection")
        self.test_button.setToolTip("An authenticated call that sends nothing")
        self.save_button = QPushButton("&Save", right)
        self.save_button.setObjectName("accounts.save")
        self.save_button.setAccessibleName("Save the account")
        self.save_button.setDefault(True)
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        right_layout.addLayout(actions)

        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([260, 560])

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("accounts.close")
        close.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.list.currentItemChanged.connect(self.on_current_changed)
        self.add_button.clicked.connect(self.on_add)
        self.remove_button.clicked.connect(self.on_remove)
        self.provider.currentIndexChanged.connect(self.on_provider_changed)
        self.save_button.clicked.connect(self.on_save)
        self.test_button.clicked.connect(self.on_test)
        for edit in (self.name, self.base_url, self.default_sender, self.api_key):
            edit.textChanged.connect(self.on_edited)

        chain: list[QWidget] = [
            self.list,
            self.add_button,
            self.remove_button,
            self.name,
            self.provider,
            self.base_url,
            self.default_sender,
            self.time_zone,
            self.api_key,
            self.test_button,
            self.save_button,
            close,
        ]
        set_tab_chain(chain)

    # -- list --------------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Fill the list from the facade; select ``select`` (or the first account)."""
        self.list.blockSignals(True)
        self.list.clear()
        style = self.style()
        for account in self.facade.accounts():
            item = QListWidgetItem(account_label(account))
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            icon = (
                QStyle.StandardPixmap.SP_DriveNetIcon
                if not account.is_sandbox
                else QStyle.StandardPixmap.SP_ComputerIcon
            )
            item.setIcon(style.standardIcon(icon))
            item.setToolTip(f"{account.base_url}\n{account.default_sender}".strip())
            self.list.addItem(item)
        self.list.blockSignals(False)
        row = 0
        if select is not None:
            for i in range(self.list.count()):
                if self.list.item(i).data(Qt.ItemDataRole.UserRole) == select:
                    row = i
        if self.list.count():
            self.list.setCurrentRow(row)
            self.show_account(self.current_account())
        else:
            self.on_add()

    def current_account(self) -> AccountView | None:
        item = self.list.currentItem()
        if item is None:
            return None
        account_id = item.data(Qt.ItemDataRole.UserRole)
        return next((a for a in self.facade.accounts() if a.id == account_id), None)

    def on_current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.show_account(self.current_account())

    # -- form --------------------------------------------------------------------------------

    def show_account(self, account: AccountView | None) -> None:
        """Fill the form from ``account``; None starts a new one."""
        self.clear_messages()
        self._current_id = account.id if account is not None else None
        sandbox = account is not None and account.is_sandbox
        if account is None:
            self.heading.setText("New account")
            provider = "mailingapi"
            self._set_provider(provider)
            self.name.clear()
            self.base_url.setText(capabilities_for(provider).production_url or "")
            self.default_sender.clear()
            self.time_zone.setCurrentText(DEFAULT_TIME_ZONE)
        else:
            self.heading.setText(account_label(account))
            self._set_provider(account.provider)
            self.name.setText(account.name)
            self.base_url.setText(account.base_url)
            self.default_sender.setText(account.default_sender)
            self.time_zone.setCurrentText(account.time_zone or DEFAULT_TIME_ZONE)
        self.api_key.clear()
        self._update_key_note()
        self._update_provider_notes()
        self.sandbox_note.setVisible(sandbox)
        for widget in (
            self.name,
            self.provider,
            self.base_url,
            self.default_sender,
            self.api_key,
            self.save_button,
        ):
            widget.setEnabled(not sandbox)
        self.time_zone.setEnabled(not sandbox and self.selected_provider() == "smsby")
        self.remove_button.setEnabled(account is not None and not sandbox)
        self.remove_button.setToolTip(
            "Sandbox accounts come with the sandbox" if sandbox else "Remove this account"
        )

    def _set_provider(self, provider: str) -> None:
        self.provider.blockSignals(True)
        self.provider.setCurrentIndex(max(0, self.provider.findData(provider)))
        self.provider.blockSignals(False)

    def selected_provider(self) -> str:
        value = self.provider.currentData()
        return value if isinstance(value, str) else "mailingapi"

    def _update_provider_notes(self) -> None:
        caps = capabilities_for(self.selected_provider())
        if self._is_sandbox():
            self.base_url_note.setText("The built-in sandbox on this machine.")
        elif caps.production_url:
            self.base_url.setPlaceholderText(caps.production_url)
            self.base_url_note.setText(f"{caps.display_name}'s production address is prefilled.")
        else:
            self.base_url.setPlaceholderText("https://…")
            self.base_url_note.setText(
                f"{caps.display_name} publishes no API address: enter the one from your "
                f"{caps.display_name} dashboard or welcome email."
            )
        smsby = caps.provider == "smsby"
        self.time_zone.setToolTip(
            "SMS.BY schedules in the account's time zone"
            if smsby
            else f"Only SMS.BY needs a time zone; {caps.display_name} uses UTC"
        )

    def _update_key_note(self) -> None:
        backend = self.facade.keyring_backend()
        problem = self.facade.keyring_problem()
        if self._current_id is None:
            self.api_key.setPlaceholderText("Paste the API key")
            self.api_key_note.setText(
                f"⚠ {problem} Until then, this account cannot be saved."
                if problem
                else f"Kept in the OS keyring ({backend}), never in a file."
            )
        elif self._is_sandbox():
            self.api_key.setPlaceholderText("The sandbox's public key")
            self.api_key_note.setText("Sandbox accounts use the sandbox's public keys.")
        else:
            self.api_key.setPlaceholderText(f"{MASK} stored in {backend}")
            self.api_key_note.setText(
                f"{MASK} stored in {backend}. Leave empty to keep it; type a new key to replace it."
            )

    def draft(self) -> AccountDraft:
        key = self.api_key.text().strip()
        return AccountDraft(
            name=self.name.text().strip(),
            provider=self.selected_provider(),
            base_url=self.base_url.text().strip(),
            default_sender=self.default_sender.text().strip(),
            time_zone=self.time_zone.currentText().strip() or DEFAULT_TIME_ZONE,
            api_key=key or None,
        )

    # -- messages ----------------------------------------------------------------------------

    def clear_messages(self) -> None:
        for label in self.errors.values():
            label.clear_errors()
        self.message.clear()
        self.message_icon.clear()

    def show_message(self, text: str, *, ok: bool) -> None:
        icon = (
            QStyle.StandardPixmap.SP_DialogApplyButton
            if ok
            else QStyle.StandardPixmap.SP_MessageBoxCritical
        )
        self.message_icon.setPixmap(self.style().standardIcon(icon).pixmap(16, 16))
        self.message.setText(text)
        self.message.setAccessibleDescription(text)

    def show_problems(self, problems: list[tuple[str, str]]) -> None:
        unplaced: list[str] = []
        first: QWidget | None = None
        for field, text in problems:
            label = self.errors.get(field)
            if label is None:
                unplaced.append(text)
                continue
            label.show_errors([text])
            if first is None:
                first = self._widget(field)
        count = len(problems)
        self.show_message(
            f"Not saved: {count} problem{'s' if count != 1 else ''}. " + " ".join(unplaced),
            ok=False,
        )
        if first is not None:
            first.setFocus()

    def _widget(self, field: str) -> QWidget | None:
        return {
            "name": self.name,
            "provider": self.provider,
            "base_url": self.base_url,
            "default_sender": self.default_sender,
            "time_zone": self.time_zone,
            "api_key": self.api_key,
        }.get(field)

    # -- handlers ----------------------------------------------------------------------------

    def on_edited(self) -> None:
        sender = self.sender()
        for field, label in self.errors.items():
            if self._widget(field) is sender:
                label.clear_errors()

    def on_provider_changed(self, _index: int) -> None:
        caps = capabilities_for(self.selected_provider())
        production = {c.production_url for c in CAPABILITIES.values() if c.production_url}
        current = self.base_url.text().strip()
        if not current or current in production:
            self.base_url.setText(caps.production_url or "")
        self.time_zone.setEnabled(caps.provider == "smsby")
        self.errors["base_url"].clear_errors()
        self._update_provider_notes()

    def on_add(self) -> None:
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self.show_account(None)
        self.name.setFocus()

    @async_slot()
    async def on_save(self) -> AccountView | None:
        return await self.save()

    async def save(self) -> AccountView | None:
        if self._busy:
            return None
        self.clear_messages()
        draft = self.draft()
        problems: list[tuple[str, str]] = []
        if not draft.base_url:
            caps = capabilities_for(draft.provider)
            problems.append(
                (
                    "base_url",
                    f"Enter {caps.display_name}'s API address"
                    + ("" if caps.production_url else " — it publishes none, so it must be typed"),
                )
            )
        if self._current_id is None and not draft.api_key:
            problems.append(("api_key", "Enter the API key."))
        if problems:
            self.show_problems(problems)
            return None
        self._set_busy(True)
        try:
            if self._current_id is None:
                saved = await self.facade.add_account(draft)
            else:
                saved = await self.facade.update_account(self._current_id, draft)
        except AccountInvalid as exc:
            self.show_problems(exc.problems)
            return None
        except Exception as exc:
            log.warning("saving the account failed: %s", exc)
            keyring = type(exc).__name__ in ("SecretStoreUnavailable", "NoKeyringError")
            if keyring:
                self.errors["api_key"].show_errors(["No OS keyring could store the key."])
            self.show_message(f"Not saved. {describe_error(exc)}", ok=False)
            return None
        finally:
            self._set_busy(False)
        self.reload(select=saved.id)
        key_note = f" The key is in {self.facade.keyring_backend()}." if draft.api_key else ""
        self.show_message(f"Saved {saved.name}.{key_note}", ok=True)
        self.accounts_changed.emit(saved.id)
        return saved

    @async_slot()
    async def on_test(self) -> str | None:
        return await self.test_connection()

    async def test_connection(self) -> str | None:
        if self._busy:
            return None
        self.clear_messages()
        self._set_busy(True)
        self.show_message("Testing…", ok=True)
        try:
            checked = await self.facade.test_connection(self.draft(), self._current_id)
        except Exception as exc:
            self.show_message(f"The connection test failed. {describe_error(exc)}", ok=False)
            return None
        finally:
            self._set_busy(False)
        self.show_message(f"Connection works: {checked}", ok=True)
        return checked

    @async_slot()
    async def on_remove(self) -> None:
        account = self.current_account()
        if account is None or account.is_sandbox:
            return
        confirmed = await ask_question(
            self,
            "Remove account",
            f"Remove {account_label(account)}? Its API key is deleted from the keyring; the "
            "messages already sent stay in the timeline.",
            confirm="Remove",
            object_name="accounts.confirm_remove",
            destructive=True,
        )
        if not confirmed:
            return
        self._set_busy(True)
        try:
            await self.facade.remove_account(account.id)
        except Exception as exc:
            self.show_message(f"Not removed. {describe_error(exc)}", ok=False)
            return
        finally:
            self._set_busy(False)
        self.reload()
        self.show_message(f"Removed {account.name}.", ok=True)
        self.accounts_changed.emit(account.id)

    def _is_sandbox(self) -> bool:
        account = self.current_account() if self._current_id is not None else None
        return account is not None and account.is_sandbox

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        editable = not busy and not self._is_sandbox()
        self.save_button.setEnabled(editable)
        self.test_button.setEnabled(not busy)
        self.add_button.setEnabled(not busy)
