"""An address line (From, To, Cc, Bcc) that checks what is typed and says what is wrong under
itself."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QVBoxLayout, QWidget

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.message import Address
from mailconsole.core.validation import validate_address
from mailconsole.ui.widgets import FieldErrorLabel

_LABELS = {"from": "From", "to": "To", "cc": "Cc", "bcc": "Bcc"}

#: How long typing may pause before the field is checked.
VALIDATE_DELAY_MS = 400


def split_addresses(text: str) -> list[str]:
    """Split an address line on commas and semicolons outside quotes and angle brackets,
    keeping each part as typed (so an error quotes what the user wrote)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    depth = 0
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            depth += 1
        elif char == ">" and not quoted and depth:
            depth -= 1
        elif char in ",;" and not quoted and not depth:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_addresses(text: str) -> list[Address]:
    """The addresses of an address line, each parsed from the part the user typed."""
    return [Address.parse(part) for part in split_addresses(text)]


def address_problems(text: str, field: str, caps: Capabilities | None) -> list[str]:
    """Every problem with the addresses in ``text`` for the field ``field`` (``from`` takes one)."""
    if not text.strip():
        return []
    label = _LABELS.get(field, field)
    addresses = [Address.parse(text)] if field == "from" else parse_addresses(text)
    if field != "from" and not addresses:
        return [f"{text.strip()!r} in {label} is not an email address"]
    problems: list[str] = []
    for address in addresses:
        error = validate_address(address, field=field)
        if error is not None:
            problems.append(error.message)
            continue
        if caps is None or not address.name:
            continue
        if field == "from" and not caps.sender_name:
            problems.append(
                f"{caps.display_name} sends from a bare address — remove the name {address.name!r}"
            )
        elif field != "from" and not caps.display_names:
            problems.append(
                f"{caps.display_name} takes bare recipient addresses — write {address.email} "
                f"without the name {address.name!r}"
            )
    limit = caps.max_to if caps is not None and field == "to" else None
    if caps is not None and limit is not None and len(addresses) > limit:
        problems.append(
            f"{caps.display_name} sends each message to {limit} To address"
            f"{'es' if limit != 1 else ''} — use Bulk from CSV… for several recipients"
        )
    return problems


class AddressField(QWidget):
    """An address line with its error label under it; ``from`` is an editable combo of senders.

    Signals: ``changed()`` — the text changed (drafts are saved from it).
    """

    changed = Signal()

    def __init__(self, field: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.caps: Capabilities | None = None
        label = _LABELS.get(field, field)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.combo: QComboBox | None = None
        if field == "from":
            self.combo = QComboBox(self)
            self.combo.setEditable(True)
            self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            self.combo.setObjectName("compose.from.senders")
            line = self.combo.lineEdit()
            assert line is not None
            self.edit = line
            layout.addWidget(self.combo)
            self.combo.setAccessibleName("From")
        else:
            self.edit = QLineEdit(self)
            layout.addWidget(self.edit)
        self.edit.setObjectName(f"compose.{field}")
        self.edit.setAccessibleName(label)
        self.edit.setClearButtonEnabled(True)
        placeholders = {
            "from": "Acme <hello@example.com>",
            "to": "jane@example.com, John <john@example.com>",
            "cc": "",
            "bcc": "",
        }
        self.edit.setPlaceholderText(placeholders.get(field, ""))
        self.error = FieldErrorLabel(f"compose.{field}.error", self)
        layout.addWidget(self.error)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self.edit.textChanged.connect(self.on_text_changed)
        self.edit.editingFinished.connect(self.validate_now)

    # -- content -----------------------------------------------------------------------------

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
        self.validate_now()

    def addresses(self) -> list[Address]:
        text = self.edit.text()
        if self.field == "from":
            return [Address.parse(text)] if text.strip() else []
        return parse_addresses(text)

    def set_senders(self, senders: list[str]) -> None:
        """Offer ``senders`` in the From combo (keeps what is typed)."""
        if self.combo is None:
            return
        current = self.edit.text()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems([s for s in dict.fromkeys(senders) if s])
        self.combo.blockSignals(False)
        self.edit.setText(current)

    # -- capabilities and errors -------------------------------------------------------------

    def set_capabilities(
        self, caps: Capabilities, supported: bool = True, reason: str = ""
    ) -> None:
        self.caps = caps
        self.setEnabled(supported)
        self.edit.setToolTip("" if supported else reason)
        self.setToolTip("" if supported else reason)
        if self.combo is not None:
            self.combo.setToolTip("" if supported else reason)
        self.validate_now()

    def validate_now(self) -> list[str]:
        """Check the text now; shows and returns the problems."""
        self._timer.stop()
        problems = (
            address_problems(self.edit.text(), self.field, self.caps) if self.isEnabled() else []
        )
        self.error.show_errors(problems)
        self.edit.setProperty("invalid", bool(problems))
        return problems

    def show_errors(self, messages: list[str]) -> None:
        self.error.show_errors(messages)

    def on_text_changed(self, _text: str) -> None:
        # An error goes away as soon as the text changes; a new one waits for a pause.
        if self.error.has_errors:
            self.error.clear_errors()
        self._timer.start()
        self.changed.emit()

    def focus_field(self) -> None:
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.edit.selectAll()
