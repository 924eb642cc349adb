#!/usr/bin/env bash
# Installs what is needed and opens Mail Console on the built-in sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
  echo "console: no display found; the window runs offscreen (set DISPLAY to see it)." >&2
  echo "console: the sandbox and the console keep running until Ctrl+C." >&2
  export QT_QPA_PLATFORM=offscreen
fi
# QtWebEngine (the preview) refuses to start as root without this.
if [[ $(id -u) -eq 0 ]]; then
  export QTWEBENGINE_CHROMIUM_FLAGS="${QTWEBENGINE_CHROMIUM_FLAGS:-} --no-sandbox"
fi
exec .venv/bin/mailconsole --sandbox "$@"
