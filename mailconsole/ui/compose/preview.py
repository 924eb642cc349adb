"""The preview beside the editor, rendered as a mail client would.

QtWebEngine is heavy, so the web view is created the first time the preview is shown, after the
window has painted; until then (and where QtWebEngine is missing) a placeholder stands in.
``cid:`` images are replaced by the matching attachments as data: URLs before the HTML is set.
"""

from __future__ import annotations

import base64
import html as html_lib
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedLayout,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from mailconsole.core.message import Attachment

if TYPE_CHECKING:
    from PySide6.QtWebEngineWidgets import QWebEngineView

    from mailconsole.ui.compose.web_preview import RemoteContentBlocker

log = logging.getLogger(__name__)

#: QWebEngine's setHtml refuses content over 2 MB; larger inline images are left out.
MAX_HTML_BYTES = 2 * 1024 * 1024 - 4096

#: How long typing may pause before the preview is rendered again.
RENDER_DELAY_MS = 300

_CID = re.compile(r"""cid:([^"'\s)>]+)""", re.IGNORECASE)
_REMOTE = re.compile(
    r"""(?:src|href|background|url)\s*[=(]\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)


def inline_cid_images(html: str, attachments: Sequence[Attachment]) -> str:
    """Replace ``cid:x`` by a data: URL of the attachment whose content id (or name) is x."""
    by_id: dict[str, Attachment] = {}
    for attachment in attachments:
        by_id.setdefault(attachment.filename.lower(), attachment)
        if attachment.content_id:
            by_id[attachment.content_id.strip("<>").lower()] = attachment
    budget = MAX_HTML_BYTES - len(html.encode())

    def replace(match: re.Match[str]) -> str:
        nonlocal budget
        attachment = by_id.get(match.group(1).strip("<>").lower())
        if attachment is None:
            return match.group(0)
        encoded = base64.b64encode(attachment.content).decode("ascii")
        if len(encoded) > budget:
            return match.group(0)
        budget -= len(encoded)
        return f"data:{attachment.content_type};base64,{encoded}"

    return _CID.sub(replace, html)


def has_remote_content(html: str) -> bool:
    """True when the HTML refers to something on the network (images, stylesheets, fonts)."""
    return bool(_REMOTE.search(html))


def text_as_html(text: str) -> str:
    """Plain text shown as a mail client shows a text-only message."""
    escaped = html_lib.escape(text)
    return (
        '<html><body><pre style="white-space: pre-wrap; font-family: sans-serif; '
        f'font-size: 14px;">{escaped}</pre></body></html>'
    )


class PreviewPane(QWidget):
    """The rendered message, with the remote-images bar above it.

    Signals: ``view_created()`` — the web view exists (QtWebEngine was loaded);
    ``rendered(bool)`` — a render finished (``ok``).
    """

    view_created = Signal()
    rendered = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compose.preview")
        self.setAccessibleName("Preview")
        self._html = ""
        self._attachments: Sequence[Attachment] = ()
        self._view: QWebEngineView | None = None
        self._blocker: RemoteContentBlocker | None = None
        self._allow_remote = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        title = QLabel("Preview", self)
        layout.addWidget(title)

        self.remote_bar = QFrame(self)
        self.remote_bar.setObjectName("compose.preview.remote_bar")
        self.remote_bar.setFrameShape(QFrame.Shape.StyledPanel)
        bar = QHBoxLayout(self.remote_bar)
        bar.setContentsMargins(6, 2, 2, 2)
        icon = QLabel(self.remote_bar)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(16, 16)
        )
        bar.addWidget(icon)
        self.remote_label = QLabel("Remote images are blocked.", self.remote_bar)
        bar.addWidget(self.remote_label, 1)
        self.show_remote = QPushButton("Show remote images", self.remote_bar)
        self.show_remote.setObjectName("compose.preview.show_remote")
        self.show_remote.setAccessibleName("Show remote images")
        self.show_remote.setToolTip(
            "Load the images this message fetches from the web, for this message only — the "
            "servers that host them will see the request"
        )
        self.show_remote.clicked.connect(self.on_show_remote)
        bar.addWidget(self.show_remote)
        self.remote_bar.hide()
        layout.addWidget(self.remote_bar)

        self._stack_host = QFrame(self)
        self._stack_host.setFrameShape(QFrame.Shape.StyledPanel)
        self._stack = QStackedLayout(self._stack_host)
        self.placeholder = QLabel("The preview appears here.", self._stack_host)
        self.placeholder.setObjectName("compose.preview.placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self._stack.addWidget(self.placeholder)
        layout.addWidget(self._stack_host, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RENDER_DELAY_MS)
        self._timer.timeout.connect(self.render_now)

    # -- public ------------------------------------------------------------------------------

    @property
    def view(self) -> QWebEngineView | None:
        return self._view

    @property
    def remote_allowed(self) -> bool:
        return self._allow_remote

    def set_message(self, html: str, attachments: Sequence[Attachment]) -> None:
        """Show ``html`` (a full document or a fragment), rendered after a short pause."""
        self._html = html
        self._attachments = attachments
        self.remote_bar.setVisible(has_remote_content(html) and not self._allow_remote)
        if self._view is not None:
            self._timer.start()

    def reset_remote_images(self) -> None:
        """Block remote images again (a new message)."""
        self._allow_remote = False
        if self._blocker is not None:
            self._blocker.allow_remote = False
        self.remote_bar.setVisible(has_remote_content(self._html))

    def ensure_view(self) -> bool:
        """Create the web view now if it does not exist; False when QtWebEngine is missing."""
        if self._view is not None:
            return True
        try:
            from mailconsole.ui.compose.web_preview import create_preview_view
        except ImportError as exc:  # a Qt build without QtWebEngine
            log.warning("no preview: %s", exc)
            self.placeholder.setText("The preview needs Qt WebEngine, which is not installed.")
            return False
        # The profile belongs to the pane, created after the stack host that holds the view,
        # so the view and its page are deleted first.
        view, blocker = create_preview_view(self._stack_host, self)
        blocker.allow_remote = self._allow_remote
        view.loadFinished.connect(self.rendered.emit)
        self._view, self._blocker = view, blocker
        self._stack.addWidget(view)
        self._stack.setCurrentWidget(view)
        self.view_created.emit()
        self.render_now()
        return True

    def render_now(self) -> None:
        self._timer.stop()
        if self._view is None:
            return
        self._view.setHtml(inline_cid_images(self._html, self._attachments))

    # -- handlers ----------------------------------------------------------------------------

    def on_show_remote(self) -> None:
        self._allow_remote = True
        if self._blocker is not None:
            self._blocker.allow_remote = True
        self.remote_bar.hide()
        self.render_now()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._view is None:
            # After the window has painted: start-up does not wait for QtWebEngine.
            QTimer.singleShot(50, self._create_if_visible)

    def _create_if_visible(self) -> None:
        if self.isVisible():
            self.ensure_view()
