"""The accounts dialog."""

from mailconsole.ui.accounts.dialog import AccountsDialog, account_label

__all__ = ["AccountsDialog", "account_label"]
