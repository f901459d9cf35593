#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser test (test/report/browser.test.ts).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (or sudo).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install-chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-chromium: needs root to apt-get install chromium" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
[ -x /usr/bin/chromium ] || { echo "install-chromium: /usr/bin/chromium missing after install" >&2; exit 1; }
