#!/usr/bin/env bash
# Prepares the impacket adapter (adapters/impacket): Debian's python3-impacket for
# /usr/bin/python3 (the `python3` on PATH may be another interpreter). Idempotent: when
# /usr/bin/python3 already imports impacket it only says so.
#
#   scripts/setup-impacket.sh        installs python3-impacket with apt-get when missing
set -euo pipefail
python=${DCOMKIT_IMPACKET_PYTHON:-/usr/bin/python3}
say() { printf 'setup-impacket: %s\n' "$*"; }
check() { "$python" -c 'import impacket.version, impacket.dcerpc.v5.dcomrt; print(impacket.version.version)' 2>/dev/null; }

if version=$(check); then
  say "impacket $version already importable by $python"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
say "installing python3-impacket"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq python3 python3-impacket >/dev/null

if version=$(check); then
  say "impacket $version importable by $python"
else
  say "python3-impacket is installed but $python still cannot import impacket" >&2
  exit 1
fi
