"""The QtWebEngine half of the preview, imported only when the preview is first shown (start-up
never loads QtWebEngine).

The page renders as a mail client would: no JavaScript, no plugins, links open in the browser,
and nothing leaves the machine — every http(s) request is blocked by
:class:`RemoteContentBlocker` until the user allows remote images for this message.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

#: Schemes that never reach the network and so are always allowed.
LOCAL_SCHEMES = frozenset({"data", "about", "blob", "cid"})

#: Schemes allowed once the user asks to show remote images.
REMOTE_SCHEMES = frozenset({"http", "https"})


class RemoteContentBlocker(QWebEngineUrlRequestInterceptor):
    """Blocks every request that would leave the machine unless remote content is allowed.

    Counts what it blocked so the preview can say so. Runs on Qt WebEngine's IO thread: it only
    reads a bool and increments an int.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allow_remote = False
        self.blocked = 0

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        scheme = info.requestUrl().scheme().lower()
        if scheme in LOCAL_SCHEMES:
            return
        if scheme in REMOTE_SCHEMES and self.allow_remote:
            return
        self.blocked += 1
        info.block(True)


class PreviewPage(QWebEnginePage):
    """A page that shows what it is given and opens clicked links outside the console.

    Signals: ``link_clicked(QUrl)``.
    """

    link_clicked = Signal(QUrl)

    def acceptNavigationRequest(
        self, url: QUrl | str, kind: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        if kind == QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            self.link_clicked.emit(QUrl(url))
            return False
        scheme = QUrl(url).scheme().lower()
        return scheme in LOCAL_SCHEMES or not is_main_frame


def create_preview_view(
    parent: QWidget, profile_owner: QObject
) -> tuple[QWebEngineView, RemoteContentBlocker]:
    """A web view on a private, off-the-record profile with the blocker installed.

    ``profile_owner`` must outlive ``parent`` (Qt WebEngine wants every page gone before its
    profile): pass an object whose children are deleted after ``parent``.
    """
    profile = QWebEngineProfile(profile_owner)  # no storage name: off the record, nothing on disk
    blocker = RemoteContentBlocker(profile)
    profile.setUrlRequestInterceptor(blocker)
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(
        QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
    )
    view = QWebEngineView(parent)
    page = PreviewPage(profile, view)
    settings = page.settings()
    attr = QWebEngineSettings.WebAttribute
    settings.setAttribute(attr.JavascriptEnabled, False)
    settings.setAttribute(attr.PluginsEnabled, False)
    settings.setAttribute(attr.AutoLoadImages, True)
    settings.setAttribute(attr.LocalContentCanAccessFileUrls, False)
    settings.setAttribute(attr.LocalContentCanAccessRemoteUrls, True)
    settings.setAttribute(attr.LocalStorageEnabled, False)
    settings.setAttribute(attr.NavigateOnDropEnabled, False)
    settings.setAttribute(attr.HyperlinkAuditingEnabled, False)
    settings.setAttribute(attr.DnsPrefetchEnabled, False)
    page.link_clicked.connect(_open_externally)
    view.setPage(page)
    view.setContextMenuPolicy(view.contextMenuPolicy().NoContextMenu)
    view.setObjectName("compose.preview.view")
    view.setAccessibleName("Message preview")
    return view, blocker


def _open_externally(url: QUrl) -> None:
    if url.scheme().lower() in ("http", "https", "mailto"):
        QDesktopServices.openUrl(url)
