"""The console window (PySide6). All qasync use sits in :mod:`mailconsole.ui.bridge`."""
