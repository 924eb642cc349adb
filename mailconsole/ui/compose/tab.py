"""The Compose tab: Thunderbird's header grid, the HTML editor with its live preview, attachments,
options, and Analyze / Show request / Bulk from CSV… / Send.

Everything the provider cannot do is greyed out with a tooltip naming it ("eMsgNow has no Cc").
Errors land under their field and in one summary line above Send; the draft is saved as the
user types, so an error, a crash or closing the window loses nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.capabilities import Capabilities
from mailconsole.core.errors import ProviderError
from mailconsole.core.message import Address, Message, Template, TemplateRef
from mailconsole.core.templates import TemplateError, render, render_message, template_variables
from mailconsole.core.validation import FieldError, MessageInvalid
from mailconsole.services.facade import ConsoleFacade
from mailconsole.services.facade_types import AccountView, Analysis, SendReceipt
from mailconsole.ui.bridge import TaskRegistry, async_slot
from mailconsole.ui.compose.address_field import AddressField
from mailconsole.ui.compose.attachments import AttachmentList
from mailconsole.ui.compose.body_editor import BodyEditor
from mailconsole.ui.compose.fields import FIELD_LABELS, compose_field, field_rank
from mailconsole.ui.compose.options import OptionsPanel, parse_metadata
from mailconsole.ui.compose.preview import PreviewPane, text_as_html
from mailconsole.ui.compose.template_panel import TemplatePanel
from mailconsole.ui.errors import describe_error
from mailconsole.ui.widgets import Banner, FieldErrorLabel, TextDialog, error_colour, set_tab_chain

log = logging.getLogger(__name__)

#: How long typing may pause before the draft is saved.
DRAFT_DELAY_MS = 500

#: How long typing may pause before variables and the preview follow the text.
CONTENT_DELAY_MS = 300


def short_id(value: str, keep: int = 8) -> str:
    return value if len(value) <= keep + 1 else value[:keep] + "…"


class ComposeTab(QWidget):
    """Write one message and send it.

    Signals: ``sent(object)`` — a :class:`SendReceipt`; ``timeline_requested(str)`` — the user
    asked to see a message's timeline (its provider id); ``bulk_requested()`` — Bulk from
    CSV… was pressed; ``busy_changed(bool)`` — a send started or ended.
    """

    sent = Signal(object)
    timeline_requested = Signal(str)
    bulk_requested = Signal()
    busy_changed = Signal(bool)

    def __init__(
        self, facade: ConsoleFacade, tasks: TaskRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compose")
        self.facade = facade
        self.tasks = tasks
        self.account: AccountView | None = None
        self.caps: Capabilities | None = None
        self._loading = False
        self._sending = False
        self._stash: tuple[str, str, bool] | None = None
        self._last_sent: dict[str, Any] | None = None
        self._receipt: SendReceipt | None = None
        self._receipt_provider_id = ""
        self._pending_template: str | None = None
        self._build()
        self._wire()

    # -- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(6)

        self.banner = Banner("compose.banner", self)
        outer.addWidget(self.banner)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        self.from_field = AddressField("from", self)
        self.to_field = AddressField("to", self)
        self.cc_field = AddressField("cc", self)
        self.bcc_field = AddressField("bcc", self)
        self.subject = QLineEdit(self)
        self.subject.setObjectName("compose.subject")
        self.subject.setAccessibleName("Subject")
        self.subject.setPlaceholderText("Your order has shipped")
        self.subject_error = FieldErrorLabel("compose.subject.error", self)
        self.preview_title = QLineEdit(self)
        self.preview_title.setObjectName("compose.preview_title")
        self.preview_title.setAccessibleName("Preview text")
        self.preview_title.setPlaceholderText("Shown after the subject in the inbox")
        self.preview_title_error = FieldErrorLabel("compose.preview_title.error", self)
        self.template_panel = TemplatePanel(self)

        def label(text: str, buddy: QWidget) -> QLabel:
            widget = QLabel(text, self)
            widget.setBuddy(buddy)
            widget.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            widget.setContentsMargins(0, 4, 0, 0)
            return widget

        self.labels: dict[str, QLabel] = {
            "from": label("&From", self.from_field.edit),
            "to": label("&To", self.to_field.edit),
            "cc": label("&Cc", self.cc_field.edit),
            "bcc": label("&Bcc", self.bcc_field.edit),
            "subject": label("&Subject", self.subject),
            "preview_title": label("Pre&view text", self.preview_title),
            "template": label("Tem&plate", self.template_panel.combo),
        }
        # Everything sits at the top of its row: an error shown under one field makes the row
        # taller, and the fields beside it must stay level with their labels.
        top = Qt.AlignmentFlag.AlignTop
        grid.addWidget(self.labels["from"], 0, 0)
        grid.addWidget(self.from_field, 0, 1, 1, 5, top)
        grid.addWidget(self.labels["to"], 1, 0)
        grid.addWidget(self.to_field, 1, 1, top)
        grid.addWidget(self.labels["cc"], 1, 2)
        grid.addWidget(self.cc_field, 1, 3, top)
        grid.addWidget(self.labels["bcc"], 1, 4)
        grid.addWidget(self.bcc_field, 1, 5, top)
        subject_box = QVBoxLayout()
        subject_box.setSpacing(2)
        subject_box.addWidget(self.subject)
        subject_box.addWidget(self.subject_error)
        preview_box = QVBoxLayout()
        preview_box.setSpacing(2)
        preview_box.addWidget(self.preview_title)
        preview_box.addWidget(self.preview_title_error)
        grid.addWidget(self.labels["subject"], 2, 0)
        grid.addLayout(subject_box, 2, 1, top)
        grid.addWidget(self.labels["preview_title"], 2, 2)
        grid.addLayout(preview_box, 2, 3, 1, 3, top)
        grid.addWidget(self.labels["template"], 3, 0)
        grid.addWidget(self.template_panel, 3, 1, 1, 5)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 1)
        grid.setColumnStretch(5, 1)
        outer.addLayout(grid)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("compose.splitter")
        self.splitter.setChildrenCollapsible(False)
        self.body = BodyEditor(self.splitter)
        self.preview = PreviewPane(self.splitter)
        self.splitter.addWidget(self.body)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([600, 600])  # half and half until the user moves it
        outer.addWidget(self.splitter, 1)

        self.attachments = AttachmentList(self)
        outer.addWidget(self.attachments)
        self.options = OptionsPanel(self)
        outer.addWidget(self.options)

        self.summary = QLabel(self)
        self.summary.setObjectName("compose.summary")
        self.summary.setAccessibleName("Problems")
        self.summary.setWordWrap(True)
        palette = self.summary.palette()
        palette.setColor(self.summary.foregroundRole(), error_colour(palette))
        self.summary.setPalette(palette)
        self.summary.hide()
        outer.addWidget(self.summary)

        buttons = QHBoxLayout()
        style = self.style()
        self.analyze_button = QPushButton("A&nalyze", self)
        self.analyze_button.setObjectName("compose.analyze")
        self.analyze_button.setAccessibleName("Analyze the message")
        self.analyze_button.setToolTip("Check deliverability and content (Ctrl+Shift+A)")
        self.analyze_button.setIcon(
            style.standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView)
        )
        self.request_button = QPushButton("Show re&quest", self)
        self.request_button.setObjectName("compose.show_request")
        self.request_button.setAccessibleName("Show the request Send would make")
        self.request_button.setToolTip("The exact HTTP request Send would make, key redacted")
        self.request_button.setIcon(
            style.standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView)
        )
        self.new_button = QPushButton("New &message", self)
        self.new_button.setObjectName("compose.new")
        self.new_button.setAccessibleName("New message")
        self.new_button.setToolTip("Start a new message (Ctrl+N)")
        self.new_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_FileIcon))
        self.bulk_button = QPushButton("B&ulk from CSV…", self)
        self.bulk_button.setObjectName("compose.bulk")
        self.bulk_button.setAccessibleName("Bulk send from a CSV file")
        self.bulk_button.setToolTip("Send this message to every row of a CSV file, personalised")
        self.bulk_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_FileDialogListView))
        self.send_button = QPushButton("S&end", self)
        self.send_button.setObjectName("compose.send")
        self.send_button.setAccessibleName("Send")
        self.send_button.setToolTip("Send the message (Ctrl+Return)")
        self.send_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
        self.send_button.setDefault(True)
        buttons.addWidget(self.analyze_button)
        buttons.addWidget(self.request_button)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.bulk_button)
        buttons.addWidget(self.send_button)
        outer.addLayout(buttons)

        self._field_labels: dict[str, FieldErrorLabel] = {
            "from": self.from_field.error,
            "to": self.to_field.error,
            "cc": self.cc_field.error,
            "bcc": self.bcc_field.error,
            "subject": self.subject_error,
            "preview_title": self.preview_title_error,
            "template": self.template_panel.error,
            "html": self.body.html_error,
            "text": self.body.text_error,
            "attachments": self.attachments.error,
        }
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.from_field.combo or self.from_field.edit,
            self.to_field.edit,
            self.cc_field.edit,
            self.bcc_field.edit,
            self.subject,
            self.preview_title,
            self.template_panel.combo,
            self.body.html,
            self.body.text,
            self.attachments.add_button,
            self.attachments.tree,
            self.attachments.remove_button,
            self.options.tags,
            self.options.metadata,
            self.options.track_opens,
            self.options.track_clicks,
            self.options.send_at_enabled,
            self.options.send_at,
            self.options.expire_at_enabled,
            self.options.expire_at,
            self.analyze_button,
            self.request_button,
            self.new_button,
            self.bulk_button,
            self.send_button,
        ]
        set_tab_chain(chain)

    def _wire(self) -> None:
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.on_draft_due)
        self._content_timer = QTimer(self)
        self._content_timer.setSingleShot(True)
        self._content_timer.setInterval(CONTENT_DELAY_MS)
        self._content_timer.timeout.connect(self.update_content)

        for field in (self.from_field, self.to_field, self.cc_field, self.bcc_field):
            field.changed.connect(self.on_changed)
        self.subject.textChanged.connect(self.on_subject_changed)
        self.preview_title.textChanged.connect(self.on_preview_title_changed)
        self.body.changed.connect(self.on_changed)
        self.body.html_changed.connect(self._content_timer.start)
        self.attachments.changed.connect(self.on_attachments_changed)
        self.options.changed.connect(self.on_changed)
        self.template_panel.changed.connect(self.on_variables_changed)
        self.template_panel.template_chosen.connect(self.on_template_chosen)
        self.banner.action_triggered.connect(self.on_banner_action)

        self.send_button.clicked.connect(self.on_send)
        self.analyze_button.clicked.connect(self.on_analyze)
        self.request_button.clicked.connect(self.on_show_request)
        self.new_button.clicked.connect(self.new_message)
        self.bulk_button.clicked.connect(self.bulk_requested)

    # -- account -------------------------------------------------------------------------------

    async def set_account(self, account: AccountView | None) -> None:
        """Switch to ``account``: the current draft is saved, the account's draft restored."""
        if self.account is not None and account is not None and account.id == self.account.id:
            return
        await self.flush_draft()
        self.account = account
        self.caps = account.capabilities if account is not None else None
        self.apply_capabilities()
        self.clear_errors()
        self.banner.hide()
        if account is None:
            self.setEnabled(False)
            return
        self.from_field.set_senders([account.default_sender])
        self.tasks.start("compose.templates", self.load_templates(account))
        # The form takes no typing until the account's draft is in: a draft arriving after the
        # user started typing would overwrite what they typed.
        self.setEnabled(False)
        try:
            await self.load_draft()
        finally:
            self.setEnabled(self.account is account)

    @property
    def ready(self) -> bool:
        """True once an account is chosen and its draft loaded (the form takes typing)."""
        return self.account is not None and self.isEnabled()

    def apply_capabilities(self) -> None:
        caps = self.caps
        if caps is None:
            return
        self.from_field.set_capabilities(caps)
        self.to_field.set_capabilities(caps)
        self.cc_field.set_capabilities(caps, caps.cc_bcc, caps.lacks("Cc"))
        self.bcc_field.set_capabilities(caps, caps.cc_bcc, caps.lacks("Bcc"))
        for name in ("cc", "bcc"):
            self.labels[name].setEnabled(caps.cc_bcc)
            self.labels[name].setToolTip("" if caps.cc_bcc else caps.lacks(FIELD_LABELS[name]))
        self.preview_title.setEnabled(caps.preview_title)
        tip = "" if caps.preview_title else caps.lacks("preview text")
        self.preview_title.setToolTip(tip)
        self.labels["preview_title"].setEnabled(caps.preview_title)
        self.labels["preview_title"].setToolTip(tip)
        if caps.max_preview_title:
            self.preview_title.setMaxLength(caps.max_preview_title)
        self.body.set_capabilities(caps)
        self.attachments.set_capabilities(caps)
        self.options.set_capabilities(caps)
        self.analyze_button.setEnabled(True)
        self.analyze_button.setToolTip(
            f"Ask {caps.display_name} to score the message (Ctrl+Shift+A)"
            if caps.analysis
            else "Check the message with the console's own rules (Ctrl+Shift+A)"
        )
        self._content_timer.start()

    async def load_templates(self, account: AccountView) -> None:
        try:
            templates: Sequence[Template] = await self.facade.templates(account.id)
        except NotImplementedError:
            templates = []
        except Exception as exc:  # a provider that cannot list: the combo says so
            log.warning("templates of %s: %s", account.id, exc)
            self.template_panel.combo.setToolTip(
                f"Templates could not be loaded: {describe_error(exc)}"
            )
            templates = []
        if self.account is not None and self.account.id == account.id:
            self._loading = True
            try:
                chosen = self._pending_template
                self.template_panel.set_templates(templates, account.capabilities)
                if chosen:
                    self.template_panel.select(chosen)
            finally:
                self._loading = False

    # -- drafts ------------------------------------------------------------------------------

    def draft_fields(self) -> dict[str, Any]:
        """Everything typed, as a draft (attachments by path)."""
        stash = self._stash
        html, text, overridden = (
            stash
            if stash is not None
            else (
                self.body.html.toPlainText(),
                self.body.text.toPlainText(),
                self.body.text_overridden,
            )
        )
        template = self.template_panel.selected()
        return {
            "version": 1,
            "from": self.from_field.text(),
            "to": self.to_field.text(),
            "cc": self.cc_field.text(),
            "bcc": self.bcc_field.text(),
            "subject": self.subject.text(),
            "preview_title": self.preview_title.text(),
            "html": html,
            "text": text,
            "text_overridden": overridden,
            "attachments": self.attachments.draft_entries(),
            "template_id": template.id if template is not None else None,
            "variables": self.template_panel.values(),
            **self.options.draft_fields(),
        }

    async def load_fields(self, fields: dict[str, Any] | None) -> None:
        """Fill the form from a draft (None: an empty message from the account's sender)."""
        fields = fields or {}
        self._loading = True
        try:
            self._stash = None
            self.template_panel.select(None)
            self.body.html.setReadOnly(False)
            self.body.text.setReadOnly(False)
            default_sender = self.account.default_sender if self.account is not None else ""
            self.from_field.set_text(str(fields.get("from") or default_sender))
            self.to_field.set_text(str(fields.get("to") or ""))
            self.cc_field.set_text(str(fields.get("cc") or ""))
            self.bcc_field.set_text(str(fields.get("bcc") or ""))
            self.subject.setText(str(fields.get("subject") or ""))
            self.preview_title.setText(str(fields.get("preview_title") or ""))
            self.body.set_content(
                str(fields.get("html") or ""),
                str(fields.get("text") or ""),
                text_overridden=bool(fields.get("text_overridden")),
            )
            self.options.load_draft(fields)
            variables = fields.get("variables") or {}
            self.template_panel.set_values({str(k): str(v) for k, v in dict(variables).items()})
            template_id = fields.get("template_id")
            self._pending_template = str(template_id) if template_id else None
            if template_id:
                self.template_panel.select(str(template_id))
            entries = fields.get("attachments") or []
            problems = await self.attachments.restore([dict(e) for e in entries])
            if problems:
                self.attachments.show_errors(problems)
        finally:
            self._loading = False
        self.clear_errors(keep_attachments=True)
        self.update_content()

    async def load_draft(self) -> None:
        account = self.account
        if account is None:
            return
        try:
            fields = await self.facade.load_draft(account.id)
        except NotImplementedError:
            fields = None
        if self.account is account:
            await self.load_fields(fields)

    async def flush_draft(self) -> None:
        """Save the draft now if a save is due (account switch, shutdown)."""
        if self._draft_timer.isActive() and self.account is not None:
            self._draft_timer.stop()
            await self.save_draft(self.account.id, self.draft_fields())

    async def save_draft(self, account_id: str, fields: dict[str, Any]) -> None:
        with contextlib.suppress(NotImplementedError):
            await self.facade.save_draft(account_id, fields)

    def on_draft_due(self) -> None:
        if self.account is not None:
            self.tasks.start("compose.draft", self.save_draft(self.account.id, self.draft_fields()))

    def on_changed(self) -> None:
        if self._loading:
            return
        self.summary.hide()
        # The last send's banner belongs to that message, not to the one being written now.
        self.banner.hide()
        self._draft_timer.start()

    def on_subject_changed(self) -> None:
        self.subject_error.clear_errors()
        self._content_timer.start()
        self.on_changed()

    def on_preview_title_changed(self) -> None:
        self.preview_title_error.clear_errors()
        self._content_timer.start()
        self.on_changed()

    def on_attachments_changed(self) -> None:
        self._content_timer.start()
        self.on_changed()

    def on_variables_changed(self) -> None:
        self._content_timer.start()
        self.on_changed()

    # -- content: variables and preview ----------------------------------------------------------

    def update_content(self) -> None:
        """Follow the text: the variables form and the preview."""
        self._content_timer.stop()
        parts = (
            self.subject.text(),
            self.preview_title.text(),
            self.body.html.toPlainText(),
            self.body.text.toPlainText(),
        )
        try:
            names = template_variables(*parts)
            self.template_panel.error.clear_errors()
        except TemplateError as exc:
            names = []
            self.template_panel.error.show_errors([exc.message])
        self.template_panel.set_content_variables(names)
        # Unfilled variables stay visible as {{name}} in the preview.
        values = {k: v or f"{{{{{k}}}}}" for k, v in self.template_panel.values().items()}
        html = self.body.html_source()
        if not html.strip():
            text = self.body.text.toPlainText()
            html = text_as_html(self._render_loose(text, values)) if text.strip() else ""
        else:
            html = self._render_loose(html, values)
        self.preview.set_message(html, self.attachments.attachments())

    @staticmethod
    def _render_loose(text: str, values: dict[str, str]) -> str:
        try:
            return render(text, values, strict=False) if "{" in text else text
        except TemplateError:
            return text

    # -- templates ---------------------------------------------------------------------------

    def on_template_chosen(self, template: Template | None) -> None:
        if self._loading:
            return
        if self._stash is not None:
            html, text, overridden = self._stash
            self._stash = None
            self.body.html.setReadOnly(False)
            self.body.text.setReadOnly(False)
            self.body.set_content(html, text, text_overridden=overridden)
        if template is None or template.read_only:
            self.on_changed()
            return
        if template.subject and not self.subject.text().strip():
            self.subject.setText(template.subject)
        if self.template_panel.sends_by_reference():
            # The provider fills the template: show it read-only, keep the user's own body.
            self._stash = (
                self.body.html.toPlainText(),
                self.body.text.toPlainText(),
                self.body.text_overridden,
            )
            self.body.set_content(template.html, template.text, text_overridden=bool(template.text))
            self.body.html.setReadOnly(True)
            self.body.text.setReadOnly(True)
        else:
            self.body.set_content(template.html, template.text, text_overridden=bool(template.text))
        self.update_content()
        self.on_changed()

    # -- building the message ----------------------------------------------------------------

    def build_message(self, *, render_variables: bool = True) -> Message:
        """The message as typed; raises :class:`MessageInvalid` for what cannot be read.

        With ``render_variables`` False the placeholders are kept (a bulk send's template).
        """
        errors: list[FieldError] = []
        senders = self.from_field.addresses()
        sender = senders[0] if senders else Address("")
        metadata, metadata_problems = parse_metadata(self.options.metadata.toPlainText())
        if self.options.metadata.isEnabled():
            errors += [FieldError("metadata", p) for p in metadata_problems]
        else:
            metadata = {}
        message = Message(
            sender=sender,
            to=tuple(self.to_field.addresses()),
            cc=tuple(self.cc_field.addresses()) if self.cc_field.isEnabled() else (),
            bcc=tuple(self.bcc_field.addresses()) if self.bcc_field.isEnabled() else (),
            subject=self.subject.text(),
            preview_title=self.preview_title.text() if self.preview_title.isEnabled() else "",
            html=self.body.html_source(),
            text=self.body.text_source(),
            attachments=tuple(self.attachments.attachments()),
            tags=tuple(self.options.tag_list()),
            metadata=metadata,
            track_opens=self.options.tracking(self.options.track_opens),
            track_clicks=self.options.tracking(self.options.track_clicks),
            send_at=self.options.send_at_value(),
            expire_at=self.options.expire_at_value(),
        )
        template = self.template_panel.selected()
        values = self.template_panel.values()
        if template is not None and self.template_panel.sends_by_reference():
            message = dataclasses.replace(
                message, html="", text="", template=TemplateRef(template.id, values)
            )
        elif render_variables:
            try:
                names = template_variables(
                    message.subject, message.preview_title, message.html, message.text
                )
                if names:
                    message = render_message(message, values, strict=True)
            except TemplateError as exc:
                errors.append(FieldError("template", exc.message))
        if errors:
            raise MessageInvalid(errors)
        return message

    def build_bulk_template(self) -> Message:
        """The message as a bulk send's template: placeholders kept, recipients from the CSV."""
        return dataclasses.replace(self.build_message(render_variables=False), to=(), cc=(), bcc=())

    # -- errors ------------------------------------------------------------------------------

    def clear_errors(self, *, keep_attachments: bool = False) -> None:
        for name, label in self._field_labels.items():
            if keep_attachments and name == "attachments":
                continue
            label.clear_errors()
        self.options.clear_errors()
        self.summary.hide()
        self.summary.clear()

    def error_label(self, field: str) -> FieldErrorLabel | None:
        return self._field_labels.get(field) or self.options.error_label(field)

    def focus_widget(self, field: str) -> QWidget | None:
        widgets: dict[str, QWidget] = {
            "from": self.from_field.edit,
            "to": self.to_field.edit,
            "cc": self.cc_field.edit,
            "bcc": self.bcc_field.edit,
            "subject": self.subject,
            "preview_title": self.preview_title,
            "template": self.template_panel.combo,
            "html": self.body.html,
            "text": self.body.text,
            "attachments": self.attachments.tree
            if self.attachments.tree.isVisible()
            else self.attachments.add_button,
        }
        return widgets.get(field) or self.options.focus_widget(field)

    def show_field_errors(self, errors: Sequence[FieldError], *, prefix: str = "Not sent") -> None:
        """Put each error under its field, list them in the summary, focus the first field."""
        grouped: dict[str, list[str]] = {}
        unplaced: list[str] = []
        for error in errors:
            field = compose_field(error.field)
            if field is not None and self.error_label(field) is not None:
                grouped.setdefault(field, []).append(error.message)
            else:
                name = FIELD_LABELS.get(error.field, error.field)
                unplaced.append(f"{name}: {error.message}")
        for field, messages in grouped.items():
            target = self.error_label(field)
            assert target is not None
            target.show_errors(messages)
        ordered = sorted(grouped, key=field_rank)
        parts = [f"{FIELD_LABELS.get(f, f)}: {grouped[f][0]}" for f in ordered] + unplaced
        count = len(errors)
        head = f"{prefix} — {count} problem{'s' if count != 1 else ''}"
        self.show_summary(f"{head}. " + " · ".join(parts))
        if ordered:
            widget = self.focus_widget(ordered[0])
            if widget is not None:
                widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_summary(self, text: str) -> None:
        self.summary.setText(text)
        self.summary.setAccessibleDescription(text)
        self.summary.show()

    def show_provider_error(self, error: ProviderError) -> None:
        caps = self.caps
        who = caps.display_name if caps is not None else (error.provider or "The provider")
        code = f" [{error.code}]" if error.code else ""
        sentence = f"{who} refused the message: {error.message}{code}"
        field = compose_field(error.field)
        label = self.error_label(field) if field is not None else None
        if field is not None and label is not None:
            label.show_errors([f"{who}: {error.message}{code}"])
            self.show_summary(f"Not sent. {sentence}")
            widget = self.focus_widget(field)
            if widget is not None:
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.show_summary(f"Not sent. {sentence}")

    # -- actions -----------------------------------------------------------------------------

    @property
    def sending(self) -> bool:
        return self._sending

    @async_slot()
    async def on_send(self) -> None:
        await self.send()

    async def send(self) -> SendReceipt | None:
        """Send what is typed; errors are shown in place and the draft is kept."""
        account = self.account
        if account is None or self._sending:
            return None
        self._sending = True
        self.send_button.setEnabled(False)
        self.send_button.setText("Sending…")
        self.busy_changed.emit(True)
        self.clear_errors()
        self.banner.hide()
        receipt: SendReceipt | None = None
        try:
            message = self.build_message()
            # Everything the console can check is shown before anything leaves the machine.
            problems = self.facade.validate(account.id, message)
            if problems:
                raise MessageInvalid(problems)
            receipt = await self.facade.send(account.id, message)
        except MessageInvalid as exc:
            self.show_field_errors(exc.errors)
        except ProviderError as exc:
            self.show_provider_error(exc)
        except Exception as exc:
            log.exception("send failed")
            self.show_summary(f"Not sent. {describe_error(exc)}")
        finally:
            self._sending = False
            self.send_button.setEnabled(True)
            self.send_button.setText("S&end")
            self.busy_changed.emit(False)
        if receipt is not None:
            await self.on_accepted(account, receipt)
        elif self.account is not None:
            # Keep the draft exactly as it was sent.
            self._draft_timer.stop()
            await self.save_draft(self.account.id, self.draft_fields())
        return receipt

    async def on_accepted(self, account: AccountView, receipt: SendReceipt) -> None:
        self._last_sent = self.draft_fields()
        name = account.capabilities.display_name
        result = receipt.result
        provider_id = None
        if result is not None:
            provider_id = result.provider_message_id or next(
                (o.provider_message_id for o in result.outcomes if o.provider_message_id), None
            )
        if receipt.held_locally or result is None:
            when = self.options.send_at_value()
            at = f" at {when.strftime('%Y-%m-%d %H:%M')}" if when is not None else " when it is due"
            text = (
                f"Held by the console: it sends the message to {name}{at} — keep the console "
                "running (see Scheduled)."
            )
        else:
            text = f"Accepted by {name}"
            if provider_id:
                text += f" — id {short_id(provider_id)}"
            refused = [o for o in result.outcomes if o.error]
            if refused:
                text += " · refused: " + ", ".join(f"{o.recipient} ({o.error})" for o in refused)
            if result.duplicate:
                text += " · the provider had already accepted this message; nothing new was sent"
            if result.warning:
                text += f" · {result.warning}"
        if account.is_sandbox:
            text += " (sandbox: nothing left this machine)"
        actions = {"reuse": "&Reuse message"}
        if receipt.message_ids and provider_id:
            actions = {"timeline": "&Open timeline", **actions}
        self._receipt = receipt
        self._receipt_provider_id = provider_id or ""
        self.banner.show_message(text, actions=actions)
        self.banner.setToolTip(provider_id or "")
        self.sent.emit(receipt)
        await self.reset_message(keep_banner=True)

    def on_banner_action(self, key: str) -> None:
        if key == "timeline" and self._receipt_provider_id:
            self.timeline_requested.emit(self._receipt_provider_id)
        elif key == "reuse" and self._last_sent is not None:
            fields = self._last_sent
            self.tasks.start("compose.reuse", self._reuse(fields))

    async def _reuse(self, fields: dict[str, Any]) -> None:
        await self.load_fields(fields)
        self.banner.hide()
        self.on_changed()

    @async_slot()
    async def new_message(self) -> None:
        await self.reset_message()

    async def reset_message(self, *, keep_banner: bool = False) -> None:
        """An empty message from the account's sender; the empty draft is saved."""
        if not keep_banner:
            self.banner.hide()
        self.preview.reset_remote_images()
        self._draft_timer.stop()
        fields: dict[str, Any] = {"from": self.from_field.text()}
        await self.load_fields(fields)
        if self.account is not None:
            await self.save_draft(self.account.id, self.draft_fields())
        self.to_field.edit.setFocus()

    @async_slot()
    async def on_analyze(self) -> None:
        account = self.account
        if account is None:
            return
        self.analyze_button.setEnabled(False)
        self.clear_errors()
        try:
            message = self.build_message()
            analysis = await self.facade.analyze(account.id, message)
        except MessageInvalid as exc:
            self.show_field_errors(exc.errors, prefix="Cannot analyze")
            return
        except Exception as exc:
            self.show_summary(f"Analyze failed: {describe_error(exc)}")
            return
        finally:
            self.analyze_button.setEnabled(True)
        self.show_analysis(analysis)

    def show_analysis(self, analysis: Analysis) -> None:
        lines = [f"Checked by {analysis.source}"]
        if analysis.score is not None:
            grade = f" (grade {analysis.grade})" if analysis.grade else ""
            lines.append(f"Score: {analysis.score}{grade}")
        lines.append("Ready to send." if analysis.can_send else "Fix the issues before sending.")
        lines.append("")
        lines += [f"• {issue}" for issue in analysis.issues] or ["No issues found."]
        dialog = TextDialog(
            "Analysis", "\n".join(lines), object_name="compose.analysis", parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @async_slot()
    async def on_show_request(self) -> None:
        account = self.account
        if account is None:
            return
        self.clear_errors()
        try:
            message = self.build_message()
            text = await self.facade.show_request(account.id, message)
        except MessageInvalid as exc:
            self.show_field_errors(exc.errors, prefix="Cannot show the request")
            return
        except Exception as exc:
            self.show_summary(f"Cannot show the request: {describe_error(exc)}")
            return
        dialog = TextDialog(
            "Request",
            text,
            intro=f"What Send would make to {account.capabilities.display_name}, key redacted:",
            object_name="compose.request",
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
