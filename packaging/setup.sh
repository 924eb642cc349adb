#!/usr/bin/env bash
# Installs what Mail Console needs on Debian 12 / Python 3.11: Qt's system libraries, the OS
# keyring, and a virtualenv at .venv with the project (and, with --test, its test tools).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

# Qt (offscreen and xcb), QtWebEngine's libraries, a font, D-Bus and gnome-keyring.
packages=(
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libglib2.0-0
  libdbus-1-3 fonts-dejavu-core libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6
  libxkbfile1 libasound2 libxshmfence1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xkb1 libx11-xcb1 dbus gnome-keyring
)
(( want_test )) && packages+=(dbus-x11 xvfb xauth)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$python" -m venv .venv

# Reinstall only when pyproject.toml changed since the last install.
extra=""
(( want_test )) && extra="[test]"
stamp=".venv/.mailconsole-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)$extra"
have="$(cat "$stamp" 2>/dev/null || true)"
# An install with the test tools also serves a plain run.
if [[ "$have" != "$want" && "$have" != "$want[test]" ]]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extra"
  echo "$want" > "$stamp"
fi
