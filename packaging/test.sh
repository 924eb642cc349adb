#!/usr/bin/env bash
# Installs everything the tests need (Debian packages included) and runs the whole suite:
# ruff, mypy, then pytest inside one D-Bus session with an unlocked gnome-keyring, so the
# keyring tests talk to a real Secret Service. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh --test

export QT_QPA_PLATFORM=offscreen
export QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox"
export PYTHONDONTWRITEBYTECODE=1
# A private home for the keyring and the console's data, so tests never touch the user's.
test_home=$(mktemp -d)
trap 'rm -rf "$test_home"' EXIT
export HOME="$test_home" XDG_DATA_HOME="$test_home/data" XDG_CONFIG_HOME="$test_home/config"
export XDG_CACHE_HOME="$test_home/cache" XDG_RUNTIME_DIR="$test_home/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

echo "== ruff"
.venv/bin/ruff check mailconsole tests
.venv/bin/ruff format --check mailconsole tests
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# pytest exits 5 when it collects nothing: that is a failure here too (set -e keeps it).
dbus-run-session -- sh -c '
  echo mailconsole-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec .venv/bin/python -m pytest "$@"
' pytest "$@"
