"""The template row: a template combo (the provider's templates and the console's own) and a form
with one field per variable the message uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.message import Template
from mailconsole.ui.widgets import FieldErrorLabel

#: Variable fields per row of the form.
COLUMNS = 3


class TemplatePanel(QWidget):
    """Template combo and variables form.

    Signals: ``template_chosen(object)`` — a :class:`Template` or None; ``changed()`` — a
    variable's value changed.
    """

    template_chosen = Signal(object)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caps: Capabilities | None = None
        self._templates: list[Template] = []
        self._fields: dict[str, QLineEdit] = {}
        self._values: dict[str, str] = {}
        self._content_names: list[str] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        self.combo = QComboBox(self)
        self.combo.setObjectName("compose.template")
        self.combo.setAccessibleName("Template")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumContentsLength(18)
        self.combo.currentIndexChanged.connect(self.on_index_changed)
        row.addWidget(self.combo)
        self.note = QLabel(self)
        self.note.setObjectName("compose.template.note")
        self.note.setWordWrap(True)
        self.note.setForegroundRole(self.note.foregroundRole().PlaceholderText)
        row.addWidget(self.note, 1)
        layout.addLayout(row)
        self.form_host = QWidget(self)
        self.form = QGridLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setHorizontalSpacing(6)
        self.form.setVerticalSpacing(2)
        layout.addWidget(self.form_host)
        self.error = FieldErrorLabel("compose.template.error", self)
        layout.addWidget(self.error)
        self.set_templates([], None)

    # -- templates ---------------------------------------------------------------------------

    def set_templates(self, templates: Sequence[Template], caps: Capabilities | None) -> None:
        """Offer ``templates`` (keeps the chosen one when it is still there)."""
        self.caps = caps
        current = self.selected()
        self._templates = list(templates)
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("No template", None)
        for template in self._templates:
            suffix = " (read-only)" if template.read_only else ""
            self.combo.addItem(f"{template.name} — {template.source}{suffix}", template.id)
            index = self.combo.count() - 1
            tip = template.subject or template.name
            if template.read_only:
                tip = f"{template.source} templates cannot be sent by id; shown for reference"
            self.combo.setItemData(index, tip, role=3)  # Qt.ToolTipRole
        self.combo.blockSignals(False)
        if current is not None:
            self.select(current.id)
        if not self._templates:
            self.combo.setToolTip("No templates for this account yet")
        else:
            self.combo.setToolTip("Fill the message from a template")
        self._update_note()

    def templates(self) -> list[Template]:
        return list(self._templates)

    def selected(self) -> Template | None:
        index = self.combo.currentIndex()
        if index <= 0 or index - 1 >= len(self._templates):
            return None
        return self._templates[index - 1]

    def select(self, template_id: str | None) -> bool:
        for i, template in enumerate(self._templates, start=1):
            if template.id == template_id:
                self.combo.setCurrentIndex(i)
                return True
        self.combo.setCurrentIndex(0)
        return False

    def sends_by_reference(self) -> bool:
        """True when the chosen template is sent by id (the provider fills it)."""
        template = self.selected()
        caps = self.caps
        return (
            template is not None
            and not template.read_only
            and caps is not None
            and caps.send_by_template
            and template.source.lower() not in ("this console", "console", "local")
        )

    # -- variables ---------------------------------------------------------------------------

    def set_content_variables(self, names: Iterable[str]) -> None:
        """The variables the message text uses (the form shows these and the template's)."""
        self._content_names = list(names)
        self._rebuild_form()

    def variable_names(self) -> list[str]:
        names = dict.fromkeys(self._content_names)
        template = self.selected()
        if template is not None:
            names.update(dict.fromkeys(template.variables))
        return list(names)

    def values(self) -> dict[str, str]:
        """Every variable of the form with its value (empty ones included)."""
        return {name: self._values.get(name, "") for name in self.variable_names()}

    def set_values(self, values: dict[str, str]) -> None:
        self._values = dict(values)
        for name, edit in self._fields.items():
            edit.blockSignals(True)
            edit.setText(self._values.get(name, ""))
            edit.blockSignals(False)

    def field(self, name: str) -> QLineEdit | None:
        return self._fields.get(name)

    def _rebuild_form(self) -> None:
        names = self.variable_names()
        if list(self._fields) == names:
            return
        while self.form.count():
            item = self.form.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._fields.clear()
        for i, name in enumerate(names):
            label = QLabel(name, self.form_host)
            edit = QLineEdit(self._values.get(name, ""), self.form_host)
            edit.setObjectName(f"compose.variable.{name}")
            edit.setAccessibleName(f"Variable {name}")
            edit.setPlaceholderText(f"{{{{{name}}}}}")
            label.setBuddy(edit)
            edit.textChanged.connect(lambda text, n=name: self.on_value_changed(n, text))
            row, col = divmod(i, COLUMNS)
            self.form.addWidget(label, row, col * 2)
            self.form.addWidget(edit, row, col * 2 + 1)
            self._fields[name] = edit
        self.form_host.setVisible(bool(names))

    # -- handlers ----------------------------------------------------------------------------

    def on_value_changed(self, name: str, text: str) -> None:
        self._values[name] = text
        self.error.clear_errors()
        self.changed.emit()

    def on_index_changed(self, _index: int) -> None:
        self.error.clear_errors()
        self._rebuild_form()
        self._update_note()
        self.template_chosen.emit(self.selected())

    def _update_note(self) -> None:
        template = self.selected()
        caps = self.caps
        if template is None:
            names = self.variable_names()
            self.note.setText(
                "Variables fill {{placeholders}} in the subject and bodies." if names else ""
            )
        elif template.read_only:
            self.note.setText(f"{template.source} templates are shown for reference only.")
        elif self.sends_by_reference() and caps is not None:
            self.note.setText(f"{caps.display_name} fills template {template.id} when it sends.")
        else:
            self.note.setText("The template's content was copied into the message.")
