#!/usr/bin/env bash
# Installs what is needed and opens Mail Console on the built-in sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh
exec .venv/bin/mailconsole --sandbox "$@"
