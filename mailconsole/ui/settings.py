"""The window's own settings, declared once and typed, persisted with QSettings.

API keys never come here (they live in the OS keyring through the services); this is only how
the window looked and what it last showed.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings


class UiSettings:
    """Typed access to the window's QSettings (geometry, state, last account, splitters)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings()

    @property
    def qsettings(self) -> QSettings:
        return self._settings

    # -- window ------------------------------------------------------------------------------

    @property
    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._settings.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._settings.setValue("window/state", value)

    @property
    def current_tab(self) -> int:
        return self._int("window/tab", 0)

    @current_tab.setter
    def current_tab(self, value: int) -> None:
        self._settings.setValue("window/tab", int(value))

    # -- what was shown -------------------------------------------------------------------------

    @property
    def last_account(self) -> str:
        value = self._settings.value("accounts/last", "")
        return value if isinstance(value, str) else ""

    @last_account.setter
    def last_account(self, value: str) -> None:
        self._settings.setValue("accounts/last", value)

    def splitter_state(self, name: str) -> QByteArray | None:
        """The state saved for the splitter ``name`` (``QSplitter.saveState``), if any."""
        return self._bytes(f"splitters/{name}")

    def set_splitter_state(self, name: str, state: QByteArray) -> None:
        self._settings.setValue(f"splitters/{name}", state)

    @property
    def preview_visible(self) -> bool:
        return self._bool("compose/preview", True)

    @preview_visible.setter
    def preview_visible(self, value: bool) -> None:
        self._settings.setValue("compose/preview", bool(value))

    @property
    def last_directory(self) -> str:
        value = self._settings.value("files/last_directory", "")
        return value if isinstance(value, str) else ""

    @last_directory.setter
    def last_directory(self, value: str) -> None:
        self._settings.setValue("files/last_directory", value)

    def sync(self) -> None:
        self._settings.sync()

    # -- helpers -----------------------------------------------------------------------------

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def _int(self, key: str, default: int) -> int:
        value = self._settings.value(key, default)
        if isinstance(value, int | str):
            try:
                return int(value)
            except ValueError:
                return default
        return default

    def _bool(self, key: str, default: bool) -> bool:
        value = self._settings.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("true", "1", "yes")
        return bool(value)
