#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is at /usr/bin/chromium for the console's browser test. CI runs as
# root on a fresh machine with Debian's package repositories reachable: install it there when it is missing (never a
# browser downloaded by an npm package). Prints the binary's path; fails with a clear message when it cannot.
set -euo pipefail
BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "error: Chromium is not installed at $BIN and this user cannot install it: run 'apt-get install -y chromium chromium-driver' as root (or set CHROMIUM_BIN)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" != "0" ] && SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
echo "installing chromium from the Debian repositories (one-time, ~1 min)" >&2
if ! $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >&2 2>/tmp/treecast-chromium-apt.log; then
  $SUDO apt-get update -q >&2 || { echo "error: apt-get update failed: the Debian package repositories must be reachable to install Chromium" >&2; exit 1; }
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >&2 || {
    echo "error: 'apt-get install chromium chromium-driver' failed (see above): the console's browser test needs Debian's Chromium" >&2
    exit 1
  }
fi
if [ ! -x "$BIN" ]; then
  echo "error: chromium was installed but $BIN is not there" >&2
  exit 1
fi
echo "$BIN"
