"""Small widgets shared by the tabs and dialogs: field errors, the status dot, banners, empty
states, a read-only text dialog and awaiting a dialog without a nested event loop."""

from mailconsole.ui.widgets.banner import Banner
from mailconsole.ui.widgets.data_tab import DataTab
from mailconsole.ui.widgets.dialogs import TextDialog, ask_question, await_dialog, set_tab_chain
from mailconsole.ui.widgets.empty_state import EmptyState
from mailconsole.ui.widgets.field_error import FieldErrorLabel, error_colour
from mailconsole.ui.widgets.status_dot import Health, StatusDot

__all__ = [
    "Banner",
    "DataTab",
    "EmptyState",
    "FieldErrorLabel",
    "Health",
    "StatusDot",
    "TextDialog",
    "ask_question",
    "await_dialog",
    "error_colour",
    "set_tab_chain",
]
