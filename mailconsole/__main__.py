"""``mailconsole`` / ``python -m mailconsole``: start the console.

Until the window lands (issue #5), ``--sandbox`` starts the built-in sandbox of the four
providers in the foreground and prints where it listens, so the provider clients can be tried
against it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    parser.add_argument("--port", type=int, default=0, help="sandbox port (default: any free)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if args.sandbox:
        from mailconsole.sandbox.__main__ import main as sandbox_main

        return sandbox_main(["--port", str(args.port)])
    print(
        "The console window is not built yet; run `mailconsole --sandbox` to start the "
        "built-in sandbox of the four providers.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
