"""Bulk from CSV… on the real facade and the real sandbox: 200 rows end at 100% with a result
per row; cancelled half way, it stops and says what was sent; the results model is sound."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import *  # noqa: F403
from helpers import allow_headless_noise, delivered, run, wait_task
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mailconsole.sandbox import Sandbox
from mailconsole.services.facade_types import BulkRowResult, RowStatus
from mailconsole.ui.compose.bulk_dialog import BulkDialog
from mailconsole.ui.compose.bulk_model import BulkResultsModel
from mailconsole.ui.main_window import MainWindow

pytestmark = allow_headless_noise

ROWS = 200


def write_csv(path: Path, rows: int = ROWS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Name", "order_id"])
        for i in range(rows):
            writer.writerow([f"customer{i:03d}@example.org", f"Customer {i}", f"A{1000 + i}"])
    return path


def compose_template(qtbot: QtBot, window: MainWindow) -> None:
    compose = window.compose
    compose.from_field.edit.setText("Acme <hello@example.com>")
    qtbot.keyClicks(compose.subject, "Order {{order_id}} has shipped")
    qtbot.keyClicks(compose.body.html, "<p>Hi {{name}}, order {{order_id}} is on the way.</p>")
    compose.update_content()


def open_bulk(qtbot: QtBot, window: MainWindow, csv_path: Path) -> BulkDialog:
    window.open_bulk()
    dialog = window._bulk_dialog
    assert isinstance(dialog, BulkDialog)
    qtbot.waitExposed(dialog)
    table = run(qtbot, dialog.load_csv(csv_path))
    assert table is not None, dialog.status.text()
    return dialog


@pytest.fixture
def bulk_window(window: MainWindow, qtbot: QtBot) -> Iterator[MainWindow]:
    yield window
    dialog = window._bulk_dialog
    if isinstance(dialog, BulkDialog):
        if dialog.running:
            run(qtbot, dialog.cancel())
        dialog.done(0)


def test_results_model_passes_the_model_tester(qtmodeltester: object) -> None:
    model = BulkResultsModel()
    pending = RowStatus.PENDING
    model.apply(BulkRowResult(line=i + 2, email=f"a{i}@x.org", status=pending) for i in range(5))
    model.apply(
        [
            BulkRowResult(2, "a0@x.org", RowStatus.SENT, provider_message_id="m1"),
            BulkRowResult(7, "a5@x.org", RowStatus.REJECTED, detail="bounced"),
        ]
    )
    assert model.rowCount() == 6
    assert model.data(model.index(0, 2)) == "sent"
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, 0)) == "7"
    model.sort(2)
    assert model.data(model.index(0, 2)) == "refused"
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.clear()
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_mapping_and_preview(bulk_window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    compose_template(qtbot, bulk_window)
    dialog = open_bulk(qtbot, bulk_window, write_csv(tmp_path / "customers.csv", rows=5))
    assert dialog.email_column.currentText() == "Email"
    assert dialog.name_column.currentText() == "Name"
    mapping = dialog.mapping()
    assert mapping.variables == {"order_id": "order_id", "name": "Name"}
    first = dialog.preview.topLevelItem(0)
    assert first is not None
    assert first.text(1) == "Order A1000 has shipped"
    assert "Hi Customer 0, order A1000" in first.text(2)
    assert dialog.send_button.isEnabled()


def test_problems_are_listed_by_line(bulk_window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("email,name\ngood@example.org,Good\nnot-an-address,Bad\n,Empty\n", "utf-8")
    compose_template(qtbot, bulk_window)
    dialog = open_bulk(qtbot, bulk_window, path)
    qtbot.waitUntil(dialog.problems.isVisible)
    text = dialog.problems.text()
    assert "Line 3:" in text and "not-an-address" in text
    assert "Line 4: no address" in text


def test_two_hundred_rows_complete(
    bulk_window: MainWindow, sandbox: Sandbox, qtbot: QtBot, tmp_path: Path
) -> None:
    compose_template(qtbot, bulk_window)
    dialog = open_bulk(qtbot, bulk_window, write_csv(tmp_path / "customers.csv"))
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.running, timeout=5000)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60000)
    assert dialog.progress.value() == dialog.progress.maximum() == ROWS
    assert dialog.model.rowCount() == ROWS
    assert dialog.model.counts().get(RowStatus.SENT) == ROWS, dialog.status.text()
    assert dialog.status.text().startswith(f"Finished: {ROWS} of {ROWS} sent to MailingAPI")
    assert dialog.export_button.isEnabled()

    out = tmp_path / "results.csv"
    run(qtbot, dialog.export(out))
    with out.open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == ROWS
    assert {row["status"] for row in exported} == {"sent"}

    def all_delivered() -> bool:
        messages = delivered(qtbot, sandbox)
        subjects = {m["subject"] for m in messages if m["provider"] == "mailingapi"}
        return len(subjects) == ROWS

    qtbot.waitUntil(all_delivered, timeout=30000)
    assert "Order A1000 has shipped" in {m["subject"] for m in delivered(qtbot, sandbox)}


def test_cancel_half_way_stops_and_says_what_was_sent(
    window: MainWindow, sandbox: Sandbox, qtbot: QtBot, tmp_path: Path
) -> None:
    # EmailMassivo sends one request per message at 10 a second: 200 rows take 20 s.
    assert window.select_account("sandbox-emailmassivo")
    compose = window.compose
    qtbot.waitUntil(lambda: compose.ready and compose.account.id.endswith("massivo"))  # type: ignore[union-attr]
    compose_template(qtbot, window)
    dialog = open_bulk(qtbot, window, write_csv(tmp_path / "customers.csv"))
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() >= 10, timeout=30000)

    # Pause holds it; Resume lets it go on.
    qtbot.mouseClick(dialog.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pause_button.text() == "&Resume", timeout=5000)
    qtbot.wait(600)
    held = dialog.progress.value()
    qtbot.wait(600)
    assert dialog.progress.value() <= held + 1
    qtbot.mouseClick(dialog.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > held + 2, timeout=10000)

    progress = wait_task(qtbot, dialog.on_cancel(), timeout=30000)
    assert progress is not None and progress.cancelled
    assert not dialog.running
    assert 0 < progress.sent < ROWS, [r.detail for r in dialog.model.results() if r.detail][:3]
    assert dialog.status.text().startswith("Cancelled after")
    assert f"{progress.sent} sent to EmailMassivo" in dialog.status.text()
    assert f"{ROWS - progress.sent} not sent" in dialog.status.text()
    # Nothing more leaves after the cancel.
    qtbot.wait(1000)

    def count() -> int:
        return len([m for m in delivered(qtbot, sandbox) if m["provider"] == "emailmassivo"])

    sent_now = count()
    qtbot.wait(1000)
    assert count() == sent_now
    assert sent_now <= progress.sent
    dialog.done(0)
