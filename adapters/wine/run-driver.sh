#!/usr/bin/env bash
# Starts the Wine adapter's driver (adapters/wine/src/driver.c) for the kit: stdin and stdout
# are the kit's JSON Lines pipes, stderr gets only this script's own complaints (the Wine
# processes log to $WINEPREFIX/dcomkit-logs/).
#
# The whole Wine session (wineserver, Wine's services, server, clients, driver) runs under
# faketime sped up DCOMKIT_WINE_SCALE times (default 480, as adapters/wine/index.ts), so Wine's timers, waits and clocks
# and the driver's clock all run at that speed. Wine's background services are started
# before the driver, with their stdio on /dev/null and the log, so they never hold the
# kit's pipes. When the driver ends, or this script is killed, `wineserver -k` ends
# every process of the prefix; a detached watchdog does it if this script dies first.
#
# Environment: DCOMKIT_WINE_PREFIX (default <repo>/.wine-prefix), DCOMKIT_WINE_SCALE,
# DCOMKIT_WINE_NOTES=1 (reference-count notes in the trace).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export WINEPREFIX="${DCOMKIT_WINE_PREFIX:-$root/.wine-prefix}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64 WINELOADER=/usr/lib/wine/wine64
export DCOMKIT_WINE_SCALE="${DCOMKIT_WINE_SCALE:-480}"
unset DISPLAY WAYLAND_DISPLAY
wine64=/usr/lib/wine/wine64
build="$here/build"
logdir="$WINEPREFIX/dcomkit-logs"

if [ "${1:-}" = "--inner" ]; then
  # Runs under faketime. Everything started here shares faketime's clock.
  log="$2"
  if [ -f "$build/epoll-floor.so" ]; then
    # Keep the wineserver from spinning under faketime (see src/epoll-floor.c).
    LD_PRELOAD="$build/epoll-floor.so${LD_PRELOAD:+:$LD_PRELOAD}" DCOMKIT_EPOLL_FLOOR_MS="$DCOMKIT_WINE_SCALE" \
      wineserver -p </dev/null >/dev/null 2>>"$log"
  else
    wineserver -p </dev/null >/dev/null 2>>"$log"
  fi
  "$wine64" wineboot </dev/null >>"$log" 2>&1
  "$wine64" "$build/driver.exe" 0<&0 2>>"$log" &
  driver=$!
  trap 'kill -TERM "$driver" 2>/dev/null' TERM INT HUP
  while :; do
    wait "$driver"
    rc=$?
    kill -0 "$driver" 2>/dev/null || break
  done
  # faketime waits until every process it started is gone: end the session here.
  wineserver -k >/dev/null 2>&1
  exit "$rc"
fi

if [ ! -f "$WINEPREFIX/.dcomkit-setup" ] || [ ! -f "$build/driver.exe" ]; then
  echo "dcomkit wine adapter: Wine is not set up (no $WINEPREFIX/.dcomkit-setup or $build/driver.exe); run scripts/setup-wine.sh" >&2
  exit 2
fi
for tool in "$wine64" faketime wineserver flock; do
  command -v "$tool" >/dev/null 2>&1 || { echo "dcomkit wine adapter: $tool is missing; run scripts/setup-wine.sh" >&2; exit 2; }
done
mkdir -p "$logdir"
log="$logdir/driver-$(date +%Y%m%d-%H%M%S)-$$.log"

# One Wine session per prefix: wait for any other adapter using it.
exec 9>"$WINEPREFIX/.dcomkit.lock"
if ! flock -w 600 9; then
  echo "dcomkit wine adapter: $WINEPREFIX is busy (another Wine adapter holds $WINEPREFIX/.dcomkit.lock)" >&2
  exit 3
fi
wineserver -k >/dev/null 2>&1 # a stale session must not run unfaked clocks

# If this script dies without cleaning up (SIGKILL of its process group), a detached watchdog
# ends the session, unless a new adapter has already taken the prefix over (it ends stale
# sessions itself and must not lose its own).
me=$$
lock="$WINEPREFIX/.dcomkit.lock"
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec 9>"$2"; flock -n 9 && wineserver -k' \
  watchdog "$me" "$lock" </dev/null >/dev/null 2>&1 9>&- &

cleanup() {
  wineserver -k >/dev/null 2>&1
  wineserver -w >/dev/null 2>&1
}
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 129' HUP

faketime -f "+0 x$DCOMKIT_WINE_SCALE" bash "$here/run-driver.sh" --inner "$log" 0<&0 9>&- &
inner=$!
trap 'kill -TERM "$inner" 2>/dev/null; cleanup; exit 143' TERM
while :; do
  wait "$inner"
  rc=$?
  kill -0 "$inner" 2>/dev/null || break
done
cleanup
if [ "$rc" -ne 0 ]; then
  echo "dcomkit wine adapter: driver ended with status $rc; last lines of $log:" >&2
  tail -n 20 "$log" >&2
fi
exit "$rc"
