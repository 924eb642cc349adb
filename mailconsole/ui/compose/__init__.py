"""The Compose tab and the bulk send dialog."""

from mailconsole.ui.compose.tab import ComposeTab

__all__ = ["ComposeTab"]
