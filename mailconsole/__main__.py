"""``mailconsole`` / ``python -m mailconsole``: start the console window.

``--sandbox`` also starts the built-in sandbox of the four providers and opens its accounts;
``--sandbox-only`` serves the sandbox in the foreground without a window.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mailconsole import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailconsole",
        description="Send email through EmailMassivo, SMS.BY, MailingAPI and eMsgNow.",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="start the built-in sandbox of the four providers and use its accounts",
    )
    parser.add_argument(
        "--sandbox-only",
        action="store_true",
        help="serve the sandbox in the foreground without the window (Ctrl+C stops it)",
    )
    parser.add_argument("--port", type=int, default=0, help="sandbox port (default: any free)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the journal here instead of the user's data directory",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if args.sandbox_only:
        from mailconsole.sandbox.__main__ import main as sandbox_main

        return sandbox_main(["--port", str(args.port)])
    from mailconsole.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
