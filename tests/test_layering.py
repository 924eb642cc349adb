"""The layers of GUIDE.md, enforced: no Qt outside the UI, no I/O libraries in the core, and a
sandbox that never borrows from the provider clients it is meant to check.

Imports are read with ``ast`` (nothing is imported), including relative imports, imports under
``if TYPE_CHECKING:`` and ``importlib.import_module("...")`` / ``__import__("...")`` calls with a
literal name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "mailconsole"

QT = ("PySide6", "qasync", "shiboken6")

#: Modules (or packages) allowed to import Qt.
QT_ALLOWED = ("mailconsole.ui", "mailconsole.app", "mailconsole.__main__")


@dataclass(frozen=True)
class Rule:
    """Modules under ``scope`` must not import anything under ``banned``."""

    scope: str
    banned: tuple[str, ...]
    why: str


RULES = (
    Rule("mailconsole.core", ("httpx", "keyring", "aiohttp", "sqlite3"), "the core does no I/O"),
    Rule("mailconsole.sandbox", ("mailconsole.providers",), "the sandbox checks the clients"),
)


def is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(path: Path) -> tuple[str, bool]:
    """The dotted name of a source file under ``PACKAGE_ROOT`` and whether it is a package."""
    relative = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _resolve(module: str | None, level: int, current: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    base = current.split(".")
    if not is_package:
        base.pop()
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imported_modules(source: str, current: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports, as absolute dotted names.

    ``from x import y`` yields both ``x`` and ``x.y`` (``y`` may be a submodule).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, current, is_package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.add(first.value)
    found.discard("")
    return found


def violations(current: str, imports: set[str]) -> list[str]:
    """What ``current`` may not import, among ``imports``, with the reason."""
    problems: list[str] = []
    qt_allowed = any(is_under(current, allowed) for allowed in QT_ALLOWED)
    for name in sorted(imports):
        if not qt_allowed and any(is_under(name, qt) for qt in QT):
            problems.append(f"{current} imports {name}: Qt belongs in mailconsole.ui only")
        for rule in RULES:
            if is_under(current, rule.scope) and any(is_under(name, b) for b in rule.banned):
                problems.append(f"{current} imports {name}: {rule.why}")
    return problems


def source_files() -> list[Path]:
    return sorted(p for p in PACKAGE_ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_tree_respects_the_layers() -> None:
    problems: list[str] = []
    for path in source_files():
        current, is_package = module_name(path)
        imports = imported_modules(path.read_text(encoding="utf-8"), current, is_package=is_package)
        problems += violations(current, imports)
    assert problems == []


def test_the_walk_sees_the_core() -> None:
    names = {module_name(p)[0] for p in source_files()}
    assert {"mailconsole.core.message", "mailconsole.core.validation"} <= names


# -- the checker itself can fail ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "source", "expected"),
    [
        ("mailconsole.core.validation", "import PySide6", "Qt belongs"),
        ("mailconsole.core.validation", "from PySide6.QtCore import QObject", "Qt belongs"),
        ("mailconsole.core.validation", "import qasync", "Qt belongs"),
        ("mailconsole.core.validation", "import shiboken6", "Qt belongs"),
        ("mailconsole.providers.smsby", "from PySide6 import QtCore", "Qt belongs"),
        ("mailconsole.services.outbox", "import qasync as q", "Qt belongs"),
        ("mailconsole.store.journal", "import importlib\nimportlib.import_module('PySide6')", "Qt"),
        ("mailconsole.sandbox.server", "__import__('shiboken6')", "Qt belongs"),
        (
            "mailconsole.core.x",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import PySide6",
            "Qt",
        ),
        ("mailconsole.core.x", "def f():\n    import httpx", "no I/O"),
        ("mailconsole.core.x", "import keyring.backends", "no I/O"),
        ("mailconsole.core.x", "from aiohttp import web", "no I/O"),
        ("mailconsole.core.x", "import sqlite3", "no I/O"),
        ("mailconsole.sandbox.server", "from mailconsole.providers import smsby", "sandbox"),
        ("mailconsole.sandbox.server", "import mailconsole.providers.base", "sandbox"),
        ("mailconsole.sandbox.server", "from ..providers.base import ProviderClient", "sandbox"),
        ("mailconsole.sandbox.server", "from .. import providers", "sandbox"),
    ],
)
def test_forbidden_imports_are_caught(current: str, source: str, expected: str) -> None:
    problems = violations(current, imported_modules(source, current))
    assert problems
    assert any(expected in p for p in problems)


@pytest.mark.parametrize(
    ("current", "source"),
    [
        ("mailconsole.ui.bridge", "import qasync\nfrom PySide6.QtCore import QObject"),
        ("mailconsole.ui.compose.window", "from PySide6.QtWidgets import QWidget"),
        ("mailconsole.app", "from PySide6.QtWidgets import QApplication"),
        ("mailconsole.__main__", "import qasync"),
        ("mailconsole.providers.smsby", "import httpx"),
        ("mailconsole.store.journal", "import sqlite3"),
        ("mailconsole.services.secrets", "import keyring"),
        ("mailconsole.sandbox.server", "from aiohttp import web\nfrom mailconsole.core import x"),
        ("mailconsole.sandbox.server", "from .state import SandboxState"),
        ("mailconsole.core.x", "import email_validator\nfrom liquid import Environment"),
        ("mailconsole.core.x", "import httpx_like_name"),
        ("mailconsole.uix", "import json"),
    ],
)
def test_allowed_imports_pass(current: str, source: str) -> None:
    assert violations(current, imported_modules(source, current)) == []


def test_qt_allowance_is_by_module_not_by_prefix_text() -> None:
    # "mailconsole.uix" is not under "mailconsole.ui".
    assert violations("mailconsole.uix", {"PySide6"})


@pytest.mark.parametrize(
    ("source", "current", "is_package", "expected"),
    [
        (
            "from ..providers import base",
            "mailconsole.sandbox.server",
            False,
            "mailconsole.providers",
        ),
        (
            "from ..providers import base",
            "mailconsole.sandbox.server",
            False,
            "mailconsole.providers.base",
        ),
        ("from . import state", "mailconsole.sandbox.server", False, "mailconsole.sandbox.state"),
        ("from .state import x", "mailconsole.sandbox", True, "mailconsole.sandbox.state"),
        ("from ..core import x", "mailconsole.sandbox", True, "mailconsole.core"),
        ("from ...core import x", "mailconsole.ui.compose.window", False, "mailconsole.core"),
    ],
)
def test_relative_imports_resolve(
    source: str, current: str, is_package: bool, expected: str
) -> None:
    assert expected in imported_modules(source, current, is_package=is_package)
