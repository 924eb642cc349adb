"""``python -m mailconsole.sandbox``: serve the four provider APIs until Ctrl+C (or SIGTERM).

Prints where each provider listens and its key, one line each, then serves; SIGINT or SIGTERM
stops it cleanly (exit 0). A non-loopback ``--host`` is refused (exit 2) unless
``--allow-non-loopback`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from mailconsole.sandbox.common import PROVIDERS, SANDBOX_KEYS
from mailconsole.sandbox.server import Sandbox, is_loopback_host


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mailconsole.sandbox",
        description="Serve EmailMassivo, SMS.BY, MailingAPI and eMsgNow emulated on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8025, help="port (0: any free port)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="run message lifecycles this many times faster (default 1.0)",
    )
    parser.add_argument("--state", metavar="FILE", help="keep state in this SQLite file")
    parser.add_argument(
        "--emsgnow-rate",
        type=int,
        default=120,
        metavar="N",
        help="eMsgNow's requests per minute per key (default 120, as the contract says)",
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow listening on an address other than loopback",
    )
    return parser


async def serve(args: argparse.Namespace) -> int:
    sandbox = Sandbox(
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        state_path=args.state,
        allow_non_loopback=args.allow_non_loopback,
        emsgnow_rate_per_minute=args.emsgnow_rate,
    )
    try:
        await sandbox.start()
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        print(f"Mail Console sandbox on {sandbox.url} (time scale {args.time_scale:g})")
        for name in PROVIDERS:
            print(f"{name:<13} {sandbox.base_url(name)}  key: {SANDBOX_KEYS[name]}")
        print("Press Ctrl+C to stop.", flush=True)
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await sandbox.stop()
    print("sandbox stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.time_scale > 0:
        print("sandbox: --time-scale must be positive", file=sys.stderr)
        return 2
    if not args.allow_non_loopback and not is_loopback_host(args.host):
        print(
            f"sandbox: refusing to listen on non-loopback host {args.host!r}; the sandbox has "
            "no authentication worth the name. Pass --allow-non-loopback to do it anyway.",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
