"""Message options: tags, metadata, tracking switches, send-at and (eMsgNow) expire-at."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.capabilities import Capabilities, Scheduling
from mailconsole.ui.widgets import FieldErrorLabel

#: Tri-state tracking: the combo's items and the value each stands for.
TRACKING_CHOICES: tuple[tuple[str, bool | None], ...] = (
    ("Account default", None),
    ("On", True),
    ("Off", False),
)


def parse_metadata(text: str) -> tuple[dict[str, str], list[str]]:
    """``key=value`` lines into a dict; returns it and the problems (by line number)."""
    metadata: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            problems.append(f"Line {number} is not key=value: {line.strip()!r}")
            continue
        metadata[key.strip()] = value.strip()
    return metadata, problems


def parse_tags(text: str) -> list[str]:
    return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]


def _to_local_qdatetime(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def _from_qdatetime(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch()).astimezone()


class OptionsPanel(QGroupBox):
    """The options group below the editor.

    Signals: ``changed()`` — any option changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Options", parent)
        self.setObjectName("compose.options")
        self.caps: Capabilities | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setVerticalSpacing(2)

        self.tags_label = QLabel("T&ags", self)
        self.tags = QLineEdit(self)
        self.tags.setObjectName("compose.tags")
        self.tags.setAccessibleName("Tags")
        self.tags.setPlaceholderText("welcome, onboarding")
        self.tags_label.setBuddy(self.tags)
        self.tags_error = FieldErrorLabel("compose.tags.error", self)
        grid.addWidget(self.tags_label, 0, 0)
        grid.addWidget(self.tags, 0, 1)
        grid.addWidget(self.tags_error, 1, 1)

        self.metadata_label = QLabel("&Metadata", self)
        self.metadata = QPlainTextEdit(self)
        self.metadata.setObjectName("compose.metadata")
        self.metadata.setAccessibleName("Metadata, one key=value per line")
        self.metadata.setPlaceholderText("order_id=12345\ncampaign=spring")
        self.metadata.setTabChangesFocus(True)
        self.metadata.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.metadata_label.setBuddy(self.metadata)
        self.metadata_error = FieldErrorLabel("compose.metadata.error", self)
        grid.addWidget(self.metadata_label, 2, 0)
        grid.addWidget(self.metadata, 2, 1)
        grid.addWidget(self.metadata_error, 3, 1)

        tracking = QHBoxLayout()
        self.track_opens_label = QLabel("Track &opens", self)
        self.track_opens = self._tracking_combo("compose.track_opens", "Track opens")
        self.track_opens_label.setBuddy(self.track_opens)
        self.track_clicks_label = QLabel("Track c&licks", self)
        self.track_clicks = self._tracking_combo("compose.track_clicks", "Track clicks")
        self.track_clicks_label.setBuddy(self.track_clicks)
        tracking.addWidget(self.track_opens_label)
        tracking.addWidget(self.track_opens)
        tracking.addSpacing(12)
        tracking.addWidget(self.track_clicks_label)
        tracking.addWidget(self.track_clicks)
        tracking.addStretch(1)
        grid.addLayout(tracking, 0, 3)

        schedule = QVBoxLayout()
        send_row = QHBoxLayout()
        self.send_at_enabled = QCheckBox("Send &at", self)
        self.send_at_enabled.setObjectName("compose.send_at.enabled")
        self.send_at_enabled.setAccessibleName("Send later")
        self.send_at = self._datetime_edit("compose.send_at", "Send at (local time)")
        send_row.addWidget(self.send_at_enabled)
        send_row.addWidget(self.send_at, 1)
        schedule.addLayout(send_row)
        self.send_at_note = QLabel(self)
        self.send_at_note.setObjectName("compose.send_at.note")
        self.send_at_note.setWordWrap(True)
        self.send_at_note.setForegroundRole(self.send_at_note.foregroundRole().PlaceholderText)
        schedule.addWidget(self.send_at_note)
        self.send_at_error = FieldErrorLabel("compose.send_at.error", self)
        schedule.addWidget(self.send_at_error)
        expire_row = QHBoxLayout()
        self.expire_at_enabled = QCheckBox("&Expire at", self)
        self.expire_at_enabled.setObjectName("compose.expire_at.enabled")
        self.expire_at_enabled.setAccessibleName("Expire if not sent by")
        self.expire_at = self._datetime_edit("compose.expire_at", "Expire at (local time)")
        expire_row.addWidget(self.expire_at_enabled)
        expire_row.addWidget(self.expire_at, 1)
        schedule.addLayout(expire_row)
        self.expire_at_error = FieldErrorLabel("compose.expire_at.error", self)
        schedule.addWidget(self.expire_at_error)
        grid.addLayout(schedule, 1, 3, 3, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setColumnMinimumWidth(2, 12)

        self.send_at_enabled.toggled.connect(self.on_send_at_toggled)
        self.expire_at_enabled.toggled.connect(self.on_expire_at_toggled)
        for signal in (
            self.tags.textChanged,
            self.metadata.textChanged,
            self.track_opens.currentIndexChanged,
            self.track_clicks.currentIndexChanged,
            self.send_at.dateTimeChanged,
            self.expire_at.dateTimeChanged,
        ):
            signal.connect(self.changed)
        self.metadata.textChanged.connect(self.on_metadata_changed)
        self.reset()

    def _tracking_combo(self, name: str, label: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setAccessibleName(label)
        for text, value in TRACKING_CHOICES:
            combo.addItem(text, value)
        return combo

    def _datetime_edit(self, name: str, label: str) -> QDateTimeEdit:
        edit = QDateTimeEdit(self)
        edit.setObjectName(name)
        edit.setAccessibleName(label)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        edit.setEnabled(False)
        return edit

    # -- values ------------------------------------------------------------------------------

    def reset(self) -> None:
        self.tags.clear()
        self.metadata.clear()
        self.track_opens.setCurrentIndex(0)
        self.track_clicks.setCurrentIndex(0)
        soon = QDateTime.currentDateTime().addSecs(3600)
        soon = soon.addSecs(-(soon.time().minute() % 15) * 60 - soon.time().second())
        self.send_at.setDateTime(soon)
        self.expire_at.setDateTime(soon.addDays(1))
        self.send_at_enabled.setChecked(False)
        self.expire_at_enabled.setChecked(False)

    def tag_list(self) -> list[str]:
        return parse_tags(self.tags.text()) if self.tags.isEnabled() else []

    def metadata_dict(self) -> dict[str, str]:
        return parse_metadata(self.metadata.toPlainText())[0] if self.metadata.isEnabled() else {}

    def tracking(self, combo: QComboBox) -> bool | None:
        if not combo.isEnabled():
            return None
        value = combo.currentData()
        return value if isinstance(value, bool) else None

    def send_at_value(self) -> datetime | None:
        if not (self.send_at_enabled.isChecked() and self.send_at_enabled.isEnabled()):
            return None
        return _from_qdatetime(self.send_at.dateTime())

    def expire_at_value(self) -> datetime | None:
        if not (self.expire_at_enabled.isChecked() and self.expire_at_enabled.isEnabled()):
            return None
        return _from_qdatetime(self.expire_at.dateTime())

    def draft_fields(self) -> dict[str, Any]:
        send_at = (
            _from_qdatetime(self.send_at.dateTime()) if self.send_at_enabled.isChecked() else None
        )
        expire = (
            _from_qdatetime(self.expire_at.dateTime())
            if self.expire_at_enabled.isChecked()
            else None
        )
        return {
            "tags": self.tags.text(),
            "metadata": self.metadata.toPlainText(),
            "track_opens": self.track_opens.currentData(),
            "track_clicks": self.track_clicks.currentData(),
            "send_at": send_at.isoformat() if send_at else None,
            "expire_at": expire.isoformat() if expire else None,
        }

    def load_draft(self, fields: dict[str, Any]) -> None:
        self.tags.setText(str(fields.get("tags") or ""))
        self.metadata.setPlainText(str(fields.get("metadata") or ""))
        for combo, key in ((self.track_opens, "track_opens"), (self.track_clicks, "track_clicks")):
            value = fields.get(key)
            index = next((i for i, (_, v) in enumerate(TRACKING_CHOICES) if v is value), 0)
            combo.setCurrentIndex(index)
        for check, edit, key in (
            (self.send_at_enabled, self.send_at, "send_at"),
            (self.expire_at_enabled, self.expire_at, "expire_at"),
        ):
            raw = fields.get(key)
            moment = None
            if isinstance(raw, str) and raw:
                try:
                    moment = datetime.fromisoformat(raw)
                except ValueError:
                    moment = None
            if moment is not None:
                edit.setDateTime(_to_local_qdatetime(moment))
            check.setChecked(moment is not None)

    # -- capabilities ------------------------------------------------------------------------

    def set_capabilities(self, caps: Capabilities) -> None:
        self.caps = caps
        self._support(caps.tags, caps.lacks("tags"), self.tags_label, self.tags)
        self._support(caps.metadata, caps.lacks("metadata"), self.metadata_label, self.metadata)
        tracking = caps.lacks("tracking switches")
        self._support(caps.tracking_switches, tracking, self.track_opens_label, self.track_opens)
        self._support(caps.tracking_switches, tracking, self.track_clicks_label, self.track_clicks)
        self._support(caps.expiry, caps.lacks("expiry time"), self.expire_at_enabled)
        self.expire_at.setEnabled(caps.expiry and self.expire_at_enabled.isChecked())
        self.expire_at.setToolTip("" if caps.expiry else caps.lacks("expiry time"))
        if caps.scheduling == Scheduling.NONE:
            note = (
                f"{caps.display_name} cannot schedule: the console keeps the message and sends "
                "it at that time (keep the console running)."
            )
        elif caps.scheduling == Scheduling.LOCAL_MINUTE:
            note = f"{caps.display_name} schedules to the minute, in the account's time zone."
        else:
            limit = f", up to {caps.max_schedule_days} days ahead" if caps.max_schedule_days else ""
            note = f"{caps.display_name} holds the message until then{limit}."
        self.send_at_note.setText(note)
        self.send_at_note.setVisible(self.send_at_enabled.isChecked())

    @staticmethod
    def _support(supported: bool, reason: str, *widgets: QWidget) -> None:
        for widget in widgets:
            widget.setEnabled(supported)
            widget.setToolTip("" if supported else reason)

    def error_label(self, field: str) -> FieldErrorLabel | None:
        return {
            "tags": self.tags_error,
            "metadata": self.metadata_error,
            "send_at": self.send_at_error,
            "expire_at": self.expire_at_error,
            "track_opens": self.tags_error,
            "track_clicks": self.tags_error,
        }.get(field)

    def focus_widget(self, field: str) -> QWidget | None:
        return {
            "tags": self.tags,
            "metadata": self.metadata,
            "send_at": self.send_at,
            "expire_at": self.expire_at,
            "track_opens": self.track_opens,
            "track_clicks": self.track_clicks,
        }.get(field)

    def clear_errors(self) -> None:
        for label in (
            self.tags_error,
            self.metadata_error,
            self.send_at_error,
            self.expire_at_error,
        ):
            label.clear_errors()

    # -- handlers ----------------------------------------------------------------------------

    def on_send_at_toggled(self, checked: bool) -> None:
        self.send_at.setEnabled(checked)
        self.send_at_note.setVisible(checked)
        self.send_at_error.clear_errors()
        if checked and self.send_at.dateTime() < QDateTime.currentDateTime():
            self.send_at.setDateTime(QDateTime.currentDateTime().addSecs(3600))
        self.changed.emit()

    def on_expire_at_toggled(self, checked: bool) -> None:
        self.expire_at.setEnabled(checked and (self.caps is None or self.caps.expiry))
        self.expire_at_error.clear_errors()
        self.changed.emit()

    def on_metadata_changed(self) -> None:
        self.metadata_error.show_errors(parse_metadata(self.metadata.toPlainText())[1])


__all__ = ["OptionsPanel", "parse_metadata", "parse_tags"]
