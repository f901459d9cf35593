#!/usr/bin/env bash
# Prepares the Wine adapter (adapters/wine): Debian's Wine 8.0, mingw-w64 and faketime, a
# 64-bit Wine prefix inside the project (.wine-prefix/, gitignored), the driver, client and
# server built with mingw into adapters/wine/build/ (gitignored), the server's COM class
# registered in the prefix, and a smoke run of the driver. Idempotent: each step is skipped
# when already done, so running it again costs a few seconds.
#
#   scripts/setup-wine.sh            set up (installs packages with apt-get when missing)
#   DCOMKIT_WINE_PREFIX=/some/dir    use another prefix
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$root/adapters/wine/src"
build="$root/adapters/wine/build"
export WINEPREFIX="${DCOMKIT_WINE_PREFIX:-$root/.wine-prefix}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64 WINELOADER=/usr/lib/wine/wine64
unset DISPLAY WAYLAND_DISPLAY
wine64=/usr/lib/wine/wine64
say() { printf 'setup-wine: %s\n' "$*"; }
t0=$(date +%s)

# --- packages ----------------------------------------------------------------------------
missing=()
[ -x "$wine64" ] && command -v wineserver >/dev/null 2>&1 || missing+=(wine wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v flock >/dev/null 2>&1 || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  say "installing ${missing[*]}"
  # Only refresh the package lists when apt does not know the packages yet.
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
else
  say "packages present ($("$wine64" --version 2>/dev/null))"
fi

# --- build -------------------------------------------------------------------------------
mkdir -p "$build"
for prog in driver client server; do
  out="$build/$prog.exe"
  if [ ! -f "$out" ] || [ -n "$(find "$src" -newer "$out" -type f -name '*.[ch]' ! -name 'epoll-floor.c' 2>/dev/null | head -n 1)" ]; then
    say "building $prog.exe"
    libs=(-lole32 -loleaut32 -luuid -ladvapi32)
    x86_64-w64-mingw32-gcc -std=gnu11 -O2 -Wall -Wno-unused-function -o "$out.tmp" "$src/$prog.c" "${libs[@]}"
    mv "$out.tmp" "$out"
  fi
done

# Native helper that keeps the wineserver from spinning under faketime; optional (without a
# C compiler for the host the adapter works, one core just stays busy while it runs).
if command -v cc >/dev/null 2>&1; then
  if [ ! -f "$build/epoll-floor.so" ] || [ "$src/epoll-floor.c" -nt "$build/epoll-floor.so" ]; then
    say "building epoll-floor.so"
    cc -O2 -shared -fPIC -o "$build/epoll-floor.so" "$src/epoll-floor.c" -ldl
  fi
else
  say "no host C compiler (cc): the wineserver will spin on one core under faketime"
fi

# --- prefix, registration, smoke run (one Wine session at a time per prefix) -------------
mkdir -p "$WINEPREFIX"
exec 9>"$WINEPREFIX/.dcomkit.lock"
flock -w 600 9 || { say "prefix $WINEPREFIX is busy"; exit 1; }
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT

if [ ! -f "$WINEPREFIX/system.reg" ] || [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
  say "creating the Wine prefix $WINEPREFIX"
  "$wine64" wineboot -i </dev/null >/dev/null 2>&1 9>&-
  wineserver -w
fi
# No automatic prefix update at each session start (it costs seconds and starts Explorer).
echo disable >"$WINEPREFIX/.update-timestamp"

stamp="$WINEPREFIX/.dcomkit-setup"
want="server=$(sha256sum "$build/server.exe" | cut -c1-16) path=$build"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "registering the test class"
  rm -f "$stamp"
  "$wine64" "$build/server.exe" /regserver </dev/null 9>&-
  wineserver -w
  echo "$want" >"$stamp"
fi
flock -u 9
exec 9>&-
trap - EXIT

# A loaded machine can make a first Wine session miss faketime's sped-up timeouts: one more try
# before giving up, and the driver's own complaints shown if both fail.
smoke() {
  printf '{"type":"close","id":1}\n' | DCOMKIT_WINE_PREFIX="$WINEPREFIX" timeout 180 "$root/adapters/wine/run-driver.sh" 2>"$smoke_err"
}
smoke_err=$(mktemp)
trap 'rm -f "$smoke_err"' EXIT
answered() { case "$1" in *'"type":"hello"'*'"type":"events","id":1'*) return 0 ;; *) return 1 ;; esac; }
say "smoke run of the driver"
reply=$(smoke || true)
if ! answered "$reply"; then
  say "the driver did not answer as expected ($(tail -n 3 "$smoke_err" | tr '\n' ' ')); trying once more"
  reply=$(smoke || true)
fi
if answered "$reply"; then
  say "driver answered: $(printf '%s' "$reply" | head -n 1 | cut -c1-120)..."
else
  say "the driver did not answer as expected: ${reply:-nothing}; it said:"
  tail -n 20 "$smoke_err" >&2
  exit 1
fi
say "done in $(($(date +%s) - t0)) s"
