"""PySide6 6.12.0 on Python 3.11 drops references to None and True on ordinary calls, and the
interpreter aborts after some thousands of them; pyproject.toml keeps PySide6 below 6.12. This
guards the pin: the check runs in a subprocess, so a bad PySide6 fails this test, not the
session."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CALLS = """
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication([])

class Source(QObject):
    changed = Signal()

source = Source()
label = QLabel()
timer = QTimer()
for i in range(200_000):
    label.setText("x")  # returns None
    source.changed.emit()  # returns True
    timer.start(1000)
    timer.stop()
print("survived")
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and True are immortal from 3.12")
def test_void_calls_and_emits_do_not_exhaust_none_and_true() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CALLS], env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "survived"
