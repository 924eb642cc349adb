"""Where the console keeps its files: the user's data directory, overridable for tests and
portable installs."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

#: Environment variable that overrides the data directory.
DATA_DIR_ENV = "MAILCONSOLE_DATA_DIR"

#: File name of the journal inside the data directory.
JOURNAL_FILE = "journal.sqlite3"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``override``, else ``$MAILCONSOLE_DATA_DIR``, else platformdirs'."""
    if override is not None:
        return Path(override)
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env)
    return Path(user_data_dir("mailconsole", appauthor=False))


def journal_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The journal file inside :func:`data_dir` (created with mode 0700 if missing)."""
    directory = data_dir(override)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory / JOURNAL_FILE
