#!/usr/bin/env bash
# python3 for the example adapter (examples/python-adapter: standard library only, 3.8 or
# later). Idempotent: does nothing when a python3 is on PATH; otherwise installs Debian's.
set -euo pipefail
if command -v python3 >/dev/null 2>&1; then
  echo "setup-python3: present ($(python3 --version 2>&1))"
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup-python3: needs root to apt-get install python3" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "setup-python3: installing Debian's python3"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends python3 >/dev/null
command -v python3 >/dev/null 2>&1 || { echo "setup-python3: python3 missing after install" >&2; exit 1; }
